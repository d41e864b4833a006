package edge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"openfront/internal/cache"
	"openfront/internal/httpcache"
	"openfront/internal/model"
	"openfront/internal/origin"
)

// originRequest writes the plan's origin request for this exchange to
// out; own is planner.originRequest's.
func (x *exchange) originRequest(out *origin.Request, own []string, method string, body io.Reader, length int64) {
	h := headOf(x.r)
	if x.fnHeader != nil { // as the viewer-request function returned it
		h.full, h.header = x.fnHeader, httpHeader(x.fnHeader)
	}
	x.s.planner().originRequest(out, own, &x.plan, &h, method, x.reqID, x.s.via[0])
	out.Body, out.ContentLength = body, length
}

// fetch sends the request to the behaviour's origin (or the origins a
// viewer-request function chose: plan.origin), failing over to the
// group's secondary on an error or a listed status (GET, HEAD and OPTIONS
// only: "Optimize high availability with CloudFront origin failover",
// AWS CloudFront Developer Guide). out.Header goes back to the origin
// client (origin.ReleaseHeader) when no client keeps it: the callers
// read nothing of out afterwards.
func (x *exchange) fetch(ctx context.Context, out *origin.Request, watch *watchedBody) (*http.Response, error) {
	var resp *http.Response
	var err error
	keptNowhere := true // every attempt's client wrote the header out and kept nothing
	defer func() {
		if keptNowhere {
			origin.ReleaseHeader(out.Header)
			out.Header = nil
		}
	}()
	origins, failoverCodes := x.beh.Origins, x.beh.FailoverCodes
	if c := x.plan.origin; c != nil { // as a viewer-request function chose them
		origins, failoverCodes = c.models(), c.failoverCodes
	}
	for i, o := range origins {
		req := *out
		req.Origin = o
		req.Header = x.withOriginHeaders(out.Header, o)
		req.Path = o.OriginPath + out.Path
		var set requestOrigin // what a function set on top of the origin's settings
		if c := x.plan.origin; c != nil {
			set = c.origins[i]
			req.ServerName, req.AllowedCertificateNames = set.sni, set.certNames
		}
		if o.S3 != nil {
			req.Sign = x.signS3(o, out.Header)
			if set.signing != "" {
				req.Sign = signsWith(set.signing, out.Header)
			}
		} else if set.host != "" {
			req.Host = set.host
		} else if x.beh.Policy.ForwardsHeader("Host") {
			req.Host = x.r.Host
		} else {
			req.Host = o.DomainName // CloudFront sends the origin's domain name, without a port
		}
		if !x.s.opts.Origin.KeepsNoHeader(&req) {
			keptNowhere = false
		}
		began := time.Now()
		resp, err = x.s.opts.Origin.Do(ctx, &req)
		if err != nil && bodyFailure(out.Body, err) != nil {
			// The viewer's request body failed, not the origin: the
			// caller answers it (viewerBodyFailed), nothing is counted
			// against the origin.
			break
		}
		if x.s.opts.Stats != nil {
			x.s.opts.Stats.RecordOrigin(x.dist.ID, time.Since(began), err)
		}
		if err == nil && x.log != nil {
			x.log.timeOrigin(began, resp) // origin-fbl, origin-lbl
		}
		if err != nil && ctx.Err() == nil {
			x.logOriginFailure(&req, err.Error(), err)
		} else if err == nil && len(origins) > 1 && slices.Contains(failoverCodes, resp.StatusCode) {
			x.logOriginFailure(&req, "failover status "+resp.Status, nil)
		}
		if err == nil && watch != nil {
			resp.Body = watch.watch(x, &req, resp.Body)
		}
		last := i == len(origins)-1
		if last || (out.Method != http.MethodGet && out.Method != http.MethodHead && out.Method != http.MethodOptions) {
			break
		}
		if err == nil && !slices.Contains(failoverCodes, resp.StatusCode) {
			break
		}
		if err == nil {
			resp.Body.Close()
		}
	}
	return resp, err
}

// logOriginFailure names a failed origin fetch at the default level:
// distribution, origin id and host:port, reason and the attempts made
// (the origin client counts them: ConnectionAttempts at most).
func (x *exchange) logOriginFailure(req *origin.Request, reason string, err error) {
	detail, attempts := "OriginError", 1
	var oe *origin.Error
	if errors.As(err, &oe) {
		detail = oe.Detail
		attempts = max(oe.Attempts, 1)
	}
	if err == nil {
		detail = "OriginFailoverStatus"
	}
	x.s.logOriginFailure(x.dist.ID, x.reqID, req, detail, reason, attempts)
}

func (s *Server) logOriginFailure(distID, reqID string, req *origin.Request, detail, reason string, attempts int) {
	u := s.opts.Origin.URL(req)
	hostport := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		hostport = net.JoinHostPort(u.Hostname(), port)
	}
	s.opts.Log.Warn("edge: origin failed", "dist_id", distID, "origin_id", req.Origin.ID, "origin", hostport,
		"detail", detail, "reason", reason, "attempts", attempts, "method", req.Method, "path", req.Path, "request_id", reqID)
}

// watchedBody is an origin's response body that logs a failure part way
// through it (the origin closed the connection or stopped sending before
// the end) as fetch logs a failure before the head: the viewer gets a
// truncated response, and the operator a line naming the origin. A fill
// keeps one in its originFill, so watching allocates nothing on a miss;
// the originFill is then reused only once the body is closed (reuseFill:
// a large body is read by a goroutine of its own after Fill returns).
type watchedBody struct {
	io.ReadCloser
	s *Server
	// What the line names, copied: the exchange may serve another request
	// while a fill it led still reads. The strings are the fill's and the
	// snapshot's, which outlive the read.
	distID, reqID string
	origin        *model.Origin
	method        string
	path, query   string
	viewerHTTPS   bool
	read          int64
	logged        bool
	closed        atomic.Bool // the body was closed: nothing reads w any more
}

// watch makes w the watcher of body, fetched by x with req, and returns w.
func (w *watchedBody) watch(x *exchange, req *origin.Request, body io.ReadCloser) io.ReadCloser {
	*w = watchedBody{ReadCloser: body, s: x.s, distID: x.dist.ID, reqID: x.reqID, origin: req.Origin,
		method: req.Method, path: req.Path, query: req.RawQuery, viewerHTTPS: req.ViewerHTTPS}
	return w
}

// inUse reports whether a body may still be read through w: one was
// watched (an origin's body is never nil) and not closed yet.
func (w *watchedBody) inUse() bool { return w.ReadCloser != nil && !w.closed.Load() }

func (w *watchedBody) Close() error {
	err := w.ReadCloser.Close()
	w.closed.Store(true)
	return err
}

func (w *watchedBody) Read(p []byte) (int, error) {
	n, err := w.ReadCloser.Read(p)
	w.read += int64(n)
	if err != nil && err != io.EOF && !w.logged && !errors.Is(err, context.Canceled) {
		w.logged = true // once, however often the reader tries again
		detail := "OriginReadError"
		if oe := (*origin.Error)(nil); errors.As(err, &oe) {
			detail = oe.Detail
		}
		req := origin.Request{Origin: w.origin, Method: w.method, Path: w.path, RawQuery: w.query, ViewerHTTPS: w.viewerHTTPS}
		w.s.logOriginFailure(w.distID, w.reqID, &req, detail, fmt.Sprintf("body cut after %d bytes: %v", w.read, err), 1)
	}
	return n, err
}

// withOriginHeaders sets the Host for the origin and its custom headers
// (which replace viewer headers of the same name).
func (x *exchange) withOriginHeaders(h http.Header, o *model.Origin) http.Header {
	if len(o.CustomHeaders) > 0 {
		h = h.Clone()
		for _, ch := range o.CustomHeaders {
			h.Set(ch.Name, ch.Value)
		}
	}
	// The Host header goes in origin.Request.Host; net/http ignores a Host
	// entry in the header map.
	return h
}

// reservedResponse are headers the edge owns; an origin cannot set them.
var reservedResponse = []string{"Via", "X-Cache", "X-Amz-Cf-Pop", "X-Amz-Cf-Id", "Age"}

// upstreamResponse turns the origin's response into what is stored and
// sent: headers filtered, TTL decided, compressed when CloudFront would.
// Nothing viewer-specific happens here: the result is shared by every
// request collapsed onto the fill and by later hits. It is written to
// res, which is returned.
func (x *exchange) upstreamResponse(resp *http.Response, res *cache.FetchResult) *cache.FetchResult {
	p := x.beh.Policy
	h := resp.Header
	age, _ := httpcache.ParseAge(h) // before Age goes with the reserved headers
	x.filterOriginHeader(h)

	status := resp.StatusCode
	now := x.s.now()
	var d httpcache.Decision
	if status >= 400 {
		var minTTL = x.errorCachingMinTTL(status)
		d = httpcache.DecideErrorTTL(&minTTL, p.MaxTTL, status, h, now)
	} else {
		d = httpcache.DecideTTL(x.ttlConfig(), status, h, now)
	}
	for _, name := range d.StripHeaders {
		h.Del(name)
	}
	size := resp.ContentLength
	body := resp.Body
	if enc := x.compression(status, h, size); enc != "" {
		body = compress(body, enc)
		h.Set("Content-Encoding", enc)
		h.Del("Content-Length")
		if v := h.Get("Vary"); !hasToken(v, "Accept-Encoding") {
			if v == "" {
				h.Set("Vary", "Accept-Encoding")
			} else {
				h.Set("Vary", v+", Accept-Encoding")
			}
		}
		if et := h.Get("ETag"); strings.HasPrefix(et, `"`) {
			h.Set("ETag", "W/"+et)
		} else if et != "" && !strings.HasPrefix(et, "W/") {
			h.Del("ETag")
		}
		size = -1
	}
	*res = cache.FetchResult{
		Status:    status,
		Header:    h,
		Expires:   httpcache.FreshUntil(now, d.TTL, age),
		Age:       age,
		Size:      size,
		Body:      body,
		Cacheable: d.Cacheable && x.key != "",
	}
	return res
}

// filterOriginHeader removes from an origin's response header what the
// edge does not store or pass on: hop-by-hop fields, the fields CloudFront
// sets itself, X-Edge-*, Set-Cookie when the behaviour forwards no cookies,
// and the Vary values it does not vary on. A fill's header and a 304's
// (which refreshed merges into the stored one) go through the same filter,
// so a revalidation cannot bring back what the fill removed.
func (x *exchange) filterOriginHeader(h http.Header) {
	p := x.beh.Policy
	removeHopByHop(h)
	for _, name := range reservedResponse {
		delete(h, name)
	}
	for name := range h {
		if strings.HasPrefix(name, "X-Edge-") {
			delete(h, name)
		}
	}
	if !p.ForwardsCookies() {
		delete(h, "Set-Cookie")
	}
	filterVary(h, p.VaryAllowed, p.MinTTL == 0)
}

// filterVary keeps only the Vary values CloudFront itself varies on (AWS
// "Request and response behavior for custom origins", HTTP response
// headers that CloudFront removes or replaces). A member with a "*" is
// kept as "*" when keepStar (MinTTL 0: the response is then never cached)
// and dropped otherwise (docs/http-caching.md, Vary).
func filterVary(h http.Header, allowed func(string) bool, keepStar bool) {
	vs := h["Vary"]
	if len(vs) == 0 {
		return
	}
	var keep []string
	for _, v := range vs {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			switch {
			case strings.IndexByte(name, '*') >= 0:
				if keepStar && !slices.Contains(keep, "*") {
					keep = append(keep, "*")
				}
			case name != "" && allowed(name):
				keep = append(keep, name)
			}
		}
	}
	if len(keep) == 0 {
		delete(h, "Vary")
		return
	}
	h["Vary"] = []string{strings.Join(keep, ", ")}
}

// signS3 decides whether a request to an S3 origin is signed: with an
// origin access identity always, with an origin access control by its
// signing behaviour (never, always, or no-override: only when the request
// carries no Authorization of its own).
func (x *exchange) signS3(o *model.Origin, h http.Header) bool {
	if o.OACID != "" {
		oac := x.snap.OACs[o.OACID]
		if oac == nil {
			return true
		}
		switch oac.SigningBehavior {
		case "never":
			return false
		case "no-override":
			return h.Get("Authorization") == ""
		}
		return true
	}
	return o.S3.OAI != ""
}
