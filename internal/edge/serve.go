package edge

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"openfront/internal/cache"
	"openfront/internal/httpcache"
	"openfront/internal/origin"
	"openfront/internal/urlpath"
)

// fillTimeout bounds a whole fill; origin reads are bounded separately by
// the origin's read timeout between packets, so only a stalled-forever
// transfer hits this.
const fillTimeout = 24 * time.Hour

// obtain runs the cache phases and returns what to send: a stored copy,
// the collapsed fill of a miss or an expired copy, or, for requests that
// are not cached, the origin's answer; a failure is CloudFront's error
// page.
func (x *exchange) obtain() response {
	if x.webSocket {
		return x.webSocketHandshake() // websocket.go
	}
	if !x.cached {
		return x.passThrough()
	}
	// GET and HEAD share one cached object: a HEAD miss fills with GET.
	if entry, ok := x.s.opts.Cache.Lookup(x.key); ok {
		return x.fromStore(entry)
	}
	return x.fill(nil)
}

// fromStore serves a stored object: fresh is a Hit; stale is revalidated
// or refetched, or served stale where the origin's directives allow.
func (x *exchange) fromStore(e cache.Entry) response {
	m := e.Meta
	if x.now.Before(m.Expires.Time()) {
		return x.storedCopy("Hit", e)
	}
	cc := httpcache.ParseCacheControl(m.Header.Get("Cache-Control"))
	if cc.HasStaleWhileRevalidate && x.now.Before(m.Expires.Time().Add(cc.StaleWhileRevalidate)) {
		// Serve the stale copy now and refresh it in the background.
		x.backgroundRefresh()
		return x.storedCopy("RefreshHit", e)
	}
	stale := e // escapes (fill keeps &stale); only the stale path pays for it
	return x.fill(&stale)
}

// storedCopy is the response of a stored object, which write closes. It
// counts a hit of the object (the console's top objects).
func (x *exchange) storedCopy(result string, e cache.Entry) response {
	e.CountHit()
	return response{result: result, meta: e.Meta, stored: e, hasStored: true, hit: true, age: x.now.Sub(e.Meta.StoredAt.Time())}
}

// backgroundRefresh refills the object for stale-while-revalidate; it
// joins any fill already running for the key.
func (x *exchange) backgroundRefresh() {
	bg := *x // copied before this request goes on writing to x
	bg.w, bg.reused, bg.spareFill = nil, false, nil
	bg.reqID = strings.Clone(x.reqID) // (x's bytes, which a reused x writes again)
	// The viewer's request is not kept past ServeHTTP (package fastpath
	// refills it for the connection's next request): the refresh reads a
	// copy of it, and of the header a viewer-request function left,
	// which may be the request's own map.
	ctx := context.WithoutCancel(x.r.Context())
	bg.r = x.r.Clone(ctx)
	if x.fnHeader != nil {
		bg.fnHeader = x.fnHeader.Clone()
	}
	go func() {
		bg.s.opts.Cache.Delete(bg.key)
		s, err := bg.s.opts.Cache.Fill(ctx, &bg.newOriginFill(nil, nil).req) // no viewer: no 1xx relay
		if err == nil {
			io.Copy(io.Discard, s)
			s.Close()
		}
	}()
}

// purgePath is what invalidation paths are matched against: the access
// form of the object's path (after the default root object rewrite, so
// "/index.html" also purges a cached "/"), with the query string when the
// behaviour keys on it. invalidation.Compile normalises the invalidation
// paths to the same form.
func (x *exchange) purgePath() string {
	p := x.accessPath
	if p == "" || x.originPath != x.path {
		if a, err := urlpath.ForAccess(x.originPath); err == nil {
			p = a
		} else {
			p = x.originPath
		}
	}
	if x.rawQuery != "" && x.beh.Policy.KeysQuery() {
		if pq, ok := pathQueryIn(x.key, p, x.rawQuery); ok {
			return pq
		}
		return p + "?" + x.rawQuery
	}
	return p
}

// pathQueryIn returns p+"?"+q as a part of key, when key holds it: a key
// that keys on every query parameter carries the origin path and the
// query as received (cachepolicy.AppendKeyWith), usually the purge path.
// The key is kept as long as the object it names and never changes, so
// sharing its bytes keeps nothing alive and saves a string per fill.
func pathQueryIn(key, p, q string) (string, bool) {
	for off := 0; ; {
		i := strings.Index(key[off:], p)
		if i < 0 || p == "" {
			return "", false
		}
		i += off
		if rest := key[i+len(p):]; len(rest) > len(q) && rest[0] == '?' && rest[1:1+len(q)] == q {
			return key[i : i+len(p)+1+len(q)], true
		}
		off = i + 1
	}
}

// fill asks the origin through the collapsing fill. stale is the expired
// stored copy, if any: it is revalidated (a 304 stores it again, fresh),
// and served when the origin fails and the directives allow.
func (x *exchange) fill(stale *cache.Entry) response {
	var release io.Closer
	var revalidated *atomic.Bool
	if stale != nil {
		// Fill would hand back the stored copy; take it out of the way.
		x.s.opts.Cache.Delete(x.key)
		r := &staleRelease{stale: stale}
		release, revalidated = r, &r.revalidated
	}
	of := x.originFillFor(stale, revalidated)
	x.interim = of.relayTo(x.w, x.r)
	s, err := x.s.opts.Cache.Fill(x.r.Context(), &of.req)
	x.interim.end()
	if h := of.res.Header; h != nil {
		// This request's fetch ran, and the cache copied the header
		// (Meta) before Fill returned: the map goes back to the origin
		// client.
		of.res.Header = nil
		origin.ReleaseHeader(h)
	}
	if x.reused {
		x.reuseFill(of)
	}
	if err != nil {
		if x.r.Context().Err() != nil {
			closeIf(release)
			return response{viewerGone: true}
		}
		if stale != nil {
			if resp, ok := x.staleOnError(stale, err); ok {
				return resp // the response owns stale now
			}
		}
		closeIf(release)
		return x.originFailed(err)
	}
	result := "Miss"
	switch {
	case s.Shared:
		result = "Hit"
	case revalidated != nil && revalidated.Load():
		result = "RefreshHit"
	}
	return response{result: result, meta: s.Meta, stream: s, release: release, hit: s.Shared}
}

// staleRelease closes the expired copy after its fill, unless the fill
// took its body over (the origin answered 304: revalidated is set by the
// fetch, which may run on after this request).
type staleRelease struct {
	stale       *cache.Entry
	revalidated atomic.Bool
}

func (r *staleRelease) Close() error {
	if !r.revalidated.Load() {
		return r.stale.Close()
	}
	return nil
}

func closeIf(c io.Closer) {
	if c != nil {
		c.Close()
	}
}

// staleOnError serves the expired copy when the origin failed with a 5xx
// or could not be reached, unless the object said stale-if-error=0, and
// keeps it for ErrorCachingMinTTL before asking the origin again ("How
// CloudFront processes HTTP 4xx and 5xx status codes from your origin", AWS
// CloudFront Developer Guide). ok is false when the copy may not be served.
func (x *exchange) staleOnError(stale *cache.Entry, err error) (_ response, ok bool) {
	var oe *origin.Error
	if !errors.As(err, &oe) {
		return response{}, false
	}
	cc := httpcache.ParseCacheControl(stale.Meta.Header.Get("Cache-Control"))
	if cc.HasStaleIfError && (cc.StaleIfError == 0 || x.now.After(stale.Meta.Expires.Time().Add(cc.StaleIfError))) {
		return response{}, false
	}
	keep := x.errorCachingMinTTL(oe.Status)
	m, now := stale.Meta, x.now // (Fetch reads no exchange)
	_, _ = x.s.opts.Cache.Fill(context.WithoutCancel(x.r.Context()), &cache.FillRequest{
		Key: x.key, DistID: x.dist.ID, Path: x.purgePath(),
		Fetch: func(context.Context) (*cache.FetchResult, error) {
			return &cache.FetchResult{Status: m.Status, Header: m.Header.Clone(), Expires: now.Add(keep), Age: now.Sub(m.StoredAt.Time()), Size: m.Size,
				Body: io.NopCloser(io.NewSectionReader(stale, 0, m.Size)), Cacheable: true}, nil
		},
	})
	return x.storedCopy("RefreshHit", *stale), true
}

// originFill is one fill of the exchange's key from the origin: the
// cache's request, whose Fetch is fetch, the result fetch returns and the
// relay of the origin's 1xx to the viewer and the origin request's own
// header values: one allocation and the method values of fetch and relay
// where there were six objects (the request, a Fetch closure, the relay,
// its method value, the result and the values; bench/FILL-RESULTS.md).
// Their lifetimes fit: the cache calls a request's Fetch at most once
// (FillRequest.Fetch) and reads the result before that Fill returns,
// keeping only its body and a copy of its header (Meta); the relay is
// ended by fill before the exchange writes anything else, and an origin
// client that calls it later finds it ended. An originFill is made per
// fill and reused only by a reused exchange's next fill, when nothing
// can hold a part of it any more (reuseFill); whatever else still holds
// a part of it after the request (the origin request's header, the
// relay's method value) only keeps it alive.
type originFill struct {
	req cache.FillRequest
	x   *exchange
	// stale is the expired copy revalidated; revalidated, if not nil, is
	// set when the origin answered 304 to the conditional request built
	// from it (the fill then owns stale's body).
	stale       *cache.Entry
	revalidated *atomic.Bool
	res         cache.FetchResult // what fetch returns for an answer from the origin
	interim     interimRelay      // relays only once fill sets its writer
	// own backs the origin request's values that the edge sets
	// (planner.originRequest): written once, by the one fetch, and
	// referenced only by that request's header.
	own [ownValues]string
	// headerKept: the fetch's origin request header was not given back
	// (a client may keep it, and with it own's values).
	headerKept bool
	watched    watchedBody // the body fetch returned, watched for a cut
}

// newOriginFill describes the fill of this exchange's key.
func (x *exchange) newOriginFill(stale *cache.Entry, revalidated *atomic.Bool) *originFill {
	of := new(originFill)
	x.setOriginFill(of, stale, revalidated, of.fetch)
	return of
}

// setOriginFill sets every field of of for this exchange's fill; fetch
// is of.fetch.
func (x *exchange) setOriginFill(of *originFill, stale *cache.Entry, revalidated *atomic.Bool, fetch func(context.Context) (*cache.FetchResult, error)) {
	*of = originFill{x: x, stale: stale, revalidated: revalidated}
	of.req = cache.FillRequest{
		Key: x.key, DistID: x.dist.ID, Path: x.purgePath(), Timeout: fillTimeout,
		// The viewer's goroutine runs the fetch it leads: the handler
		// waits for the headers either way.
		OnCaller: true,
		Fetch:    fetch,
	}
}

// originFillFor describes the fill of this exchange's key in the spare
// originFill a reused exchange (connScratch) kept from its connection's
// last fill (reuseFill), or in a new one (newOriginFill): only a reused
// exchange ever has a spare.
func (x *exchange) originFillFor(stale *cache.Entry, revalidated *atomic.Bool) *originFill {
	of := x.spareFill
	if of == nil {
		return x.newOriginFill(stale, revalidated)
	}
	// Taken until reuseFill gives it back; its Fetch is of.fetch, bound
	// to of.
	x.spareFill = nil
	x.setOriginFill(of, stale, revalidated, of.req.Fetch)
	return of
}

// reuseFill keeps of, a reused exchange's fill that Fill has returned
// from, for the connection's next fill, when nothing can hold a part of
// it any more: Fill ran its Fetch, if at all, on this goroutine before
// returning (OnCaller), and read the result then; the origin request's
// header, which holds of.own's values, was given back, unless a client
// may keep it (origin.Client.KeepsNoHeader), and such a client, net/http's
// Transport, is also the only one that may call the relay after the
// fetch (the plain-HTTP client relays on the fetch's goroutine): that
// fill's originFill is left to the garbage collector, as is one whose
// origin body is still being read (a body the cache does not read inline
// is read on a goroutine of its own after Fill returns, through
// of.watched).
func (x *exchange) reuseFill(of *originFill) {
	if of.headerKept || of.watched.inUse() { // (a body still read on its own goroutine)
		return
	}
	fetch := of.req.Fetch
	*of = originFill{req: cache.FillRequest{Fetch: fetch}} // keeps nothing of this fill alive
	x.spareFill = of
}

// relayTo starts the fill's relay of 1xx responses to w and returns it,
// or returns nil where newInterimRelay would.
func (of *originFill) relayTo(w http.ResponseWriter, r *http.Request) *interimRelay {
	if !relaysInterim(w, r) {
		return nil
	}
	of.interim.w = w
	return &of.interim
}

// fetch is the fill's Fetch: the origin request, and the answer as it is
// stored.
func (of *originFill) fetch(ctx context.Context) (*cache.FetchResult, error) {
	x, stale, revalidated := of.x, of.stale, of.revalidated
	method := x.r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	var out origin.Request
	x.originRequest(&out, of.own[:0], method, nil, 0)
	out.Interim = x.interim.relayFunc()
	out.DeadlineOnly = cache.IsFillContext(ctx)
	if stale != nil {
		for name, vs := range httpcache.RevalidationHeaders(stale.Meta.Header.Clone()) {
			out.Header[name] = vs
		}
	}
	resp, err := x.fetch(ctx, &out, &of.watched)
	of.headerKept = out.Header != nil // (fetch gives it back when no client keeps it)
	if err != nil {
		if stale != nil || ctx.Err() != nil {
			return nil, err // a stale copy is served instead (staleOnError)
		}
		if res := x.failedFetchResult(err); res != nil {
			return res, nil // the edge's 502/504, cached for ErrorCachingMinTTL
		}
		return nil, err
	}
	if stale != nil && resp.StatusCode >= 500 {
		// An expired copy beats a 5xx ("How CloudFront processes HTTP
		// 4xx and 5xx status codes from your origin", AWS): report
		// the failure so the viewer side can serve the copy.
		resp.Body.Close()
		return nil, &origin.Error{Status: resp.StatusCode, Detail: "OriginError", Err: errors.New(resp.Status)}
	}
	if stale != nil && resp.StatusCode == http.StatusNotModified {
		resp.Body.Close()
		res := x.refreshed(stale, resp.Header)
		origin.ReleaseHeader(resp.Header) // refreshed keeps its values only
		if revalidated != nil {
			revalidated.Store(true)
		}
		return res, nil
	}
	return x.upstreamResponse(resp, &of.res), nil
}

// refreshed is the stored copy made fresh again by a 304: its headers
// updated from the 304's, its TTL decided anew, its body unchanged.
func (x *exchange) refreshed(stale *cache.Entry, notModified http.Header) *cache.FetchResult {
	h := stale.Meta.Header.Clone()
	age, _ := httpcache.ParseAge(notModified) // the age restarts from the 304's
	x.filterOriginHeader(notModified)         // as the fill's header was
	for name, vs := range notModified {
		switch name {
		case "Content-Length", "Content-Encoding", "Transfer-Encoding", "Content-Type", "Content-Range":
			continue
		}
		h[name] = vs
	}
	now := x.s.now()
	d := httpcache.DecideTTL(x.ttlConfig(), stale.Meta.Status, h, now)
	m := stale.Meta
	return &cache.FetchResult{Status: m.Status, Header: h, Expires: httpcache.FreshUntil(now, d.TTL, age), Age: age, Size: m.Size,
		Body: &entryBody{SectionReader: io.NewSectionReader(stale, 0, m.Size), e: stale}, Cacheable: d.Cacheable}
}

// entryBody reads a stored entry and closes it at the end.
type entryBody struct {
	*io.SectionReader
	e *cache.Entry
}

func (b *entryBody) Close() error { return b.e.Close() }

func (x *exchange) ttlConfig() httpcache.TTLConfig {
	p := x.beh.Policy
	return httpcache.TTLConfig{Min: p.MinTTL, Default: p.DefaultTTL, Max: p.MaxTTL}
}

// errorCachingMinTTL is the custom error response's ErrorCachingMinTTL for
// the status, or CloudFront's 10 s default.
func (x *exchange) errorCachingMinTTL(status int) time.Duration {
	if ce := x.dist.Errors[status]; ce != nil && ce.HasCachingMinTTL {
		return time.Duration(ce.ErrorCachingMinTTL) * time.Second
	}
	return httpcache.DefaultErrorCachingMinTTL
}

// passThrough forwards a request that is not cached (other methods, or a
// behaviour with caching disabled) and streams the answer back.
func (x *exchange) passThrough() response {
	if x.isGRPC() {
		return x.grpcPassThrough() // grpc.go
	}
	var body io.Reader
	if x.r.ContentLength != 0 && x.r.Body != nil && x.r.Body != http.NoBody {
		body = &viewerBody{r: x.r.Body} // its failure is the viewer's: body.go
	}
	body, length, ended := x.fleBody(body, x.r.ContentLength) // field-level encryption: fle.go
	if ended != nil {
		return *ended
	}
	var out origin.Request
	x.originRequest(&out, nil, x.r.Method, body, length)
	x.interim = newInterimRelay(x.w, x.r)
	out.Interim = x.interim.relayFunc()
	resp, err := x.fetch(x.r.Context(), &out, new(watchedBody))
	x.interim.end()
	if err != nil {
		if berr := bodyFailure(body, err); berr != nil {
			return x.viewerBodyFailed(berr)
		}
		if x.r.Context().Err() != nil {
			return response{viewerGone: true}
		}
		return x.originFailed(err)
	}
	return x.relayed(resp) // websocket.go
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func hasToken(list, token string) bool {
	for _, t := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}
