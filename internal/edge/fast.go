package edge

import (
	"crypto"
	"encoding/base64"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"openfront/internal/fastpath"
	"openfront/internal/geo"
	"openfront/internal/signedurl"
	"openfront/internal/urlpath"
)

// ServeFast is the edge's side of package fastpath: on a plain-HTTP/1.1
// connection it answers a fresh memory-tier hit with the response
// ServeHTTP would write for it (the same headers, byte for byte but for
// their order, X-Amz-Cf-Id and Date), and counts it the same way. It
// declines (ok=false, nothing written or counted) every request that
// needs more: no distribution or a disabled one, access logging, geo
// restriction, a path that is not already normal (urlpath.IsNormal), a
// viewer protocol policy other than allow-all, methods not
// allowed or not cached, signed URLs that do not verify, viewer Range or
// conditional headers, a miss, a stale or disk-tier object, an error
// status, a body net/http would frame or sniff differently. ServeHTTP then
// handles the request from the start, so each rule lives in one place: the
// phases in exchange.go. The fast path only recognises when none of them
// applies (fast_test.go checks that both paths give the same answers).
func (s *Server) ServeFast(r *fastpath.Request, dst []byte) (head, body []byte, ok bool) {
	c := s.opts.Cache
	if c == nil || !urlpath.IsNormal(r.Path) {
		// A path that needs normalising goes to ServeHTTP, which does it;
		// a normal one is its own canonical and access form.
		return dst, nil, false
	}
	host := r.Host
	if strings.IndexByte(host, ':') >= 0 {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
	}
	dist := s.snap.Load().Lookup(host)
	if dist == nil || !dist.Config.Enabled || dist.Config.Logging.Enabled && s.opts.AccessLog != nil ||
		dist.RealtimeLogs && s.opts.RealtimeLog != nil {
		return dst, nil, false
	}
	if g := dist.Config.GeoRestriction.Type; g != "" && g != geo.RestrictionNone {
		return dst, nil, false
	}
	beh := dist.Match(r.Path)
	p := beh.Policy
	if beh.ViewerProtocolPolicy != "allow-all" || p.CachingDisabled ||
		!contains(beh.AllowedMethods, r.Method) || !contains(beh.CachedMethods, r.Method) {
		return dst, nil, false
	}
	if r.Has("Range") || r.Has("If-None-Match") || r.Has("If-Modified-Since") {
		return dst, nil, false
	}
	now := s.now()
	var skipQuery func(string) bool
	if beh.Signed {
		if !s.verifiedFast(r, beh.TrustedKeys, now) {
			return dst, nil, false // ServeHTTP writes the 403
		}
		skipQuery = signedurl.IsSigningParam
	}
	originPath := r.Path
	if r.Path == "/" && dist.Config.DefaultRootObject != "" {
		originPath = "/" + dist.Config.DefaultRootObject
	}
	viewerHeader := r.HeaderOf(p.KeyHeaderNames())
	var generated http.Header // the edge's CloudFront-Viewer-Country etc., when keyed
	if names := p.KeyGenerated(); len(names) > 0 {
		var ok bool
		if generated, ok = s.generatedFast(r, names); !ok {
			return dst, nil, false
		}
	}
	bp := keyBufs.Get().(*[]byte)
	kb := p.AppendKeyWith((*bp)[:0], dist.ID, beh.PathPattern, originPath, r.RawQuery, viewerHeader, generated, r.Host, skipQuery)
	e, found := c.LookupMemory(unsafe.String(unsafe.SliceData(kb), len(kb)))
	*bp = kb
	keyBufs.Put(bp)
	if !found {
		return dst, nil, false
	}
	m := e.Meta
	if e.File != nil || !now.Before(m.Expires.Time()) || m.Size < 0 || int64(len(e.Body)) != m.Size ||
		m.Status < 200 || m.Status >= 400 || m.Status == http.StatusNoContent || m.Status == http.StatusNotModified ||
		m.Header.Get("Content-Type") == "" {
		e.Close()
		return dst, nil, false
	}
	text := http.StatusText(m.Status)
	if text == "" {
		e.Close()
		return dst, nil, false
	}

	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(m.Status), 10)
	dst = append(dst, ' ')
	dst = append(dst, text...)
	dst = append(dst, "\r\n"...)
	hasDate := false
	for name, value := range m.Header.All() {
		switch name {
		case "Content-Length":
			continue // written below, from the stored size
		case "Date":
			hasDate = true
		}
		dst = appendField(dst, name, value)
	}
	if !hasDate {
		dst = appendField(dst, "Date", fastpath.Date()) // the real time, as net/http
	}
	dst = append(dst, "Age: "...)
	dst = strconv.AppendInt(dst, int64(now.Sub(m.StoredAt.Time())/time.Second), 10)
	dst = append(dst, "\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, m.Size, 10)
	dst = append(dst, "\r\n"...)
	dst = appendField(dst, "Via", s.via[0])
	dst = append(dst, "X-Amz-Cf-Id: "...)
	dst = appendRequestID(dst)
	dst = append(dst, "\r\n"...)
	dst = appendField(dst, "X-Amz-Cf-Pop", s.pop[0])
	dst = appendField(dst, "X-Cache", xCacheHit[0])
	if r.Close {
		dst = append(dst, "Connection: close\r\n"...)
	}
	dst = append(dst, "\r\n"...)

	c.CountMemoryHit()
	sent := m.Size
	if r.Method == http.MethodHead {
		sent = 0
	} else {
		body = e.Body
	}
	if s.opts.Count != nil {
		s.opts.Count("Hit")
	}
	if s.opts.Stats != nil {
		s.opts.Stats.Record(dist.ID, now, "Hit", m.Status, 0, sent)
	}
	return dst, body, true
}

// verifiedFast reports whether the request carries a valid signed URL or
// signed cookies for keys (see checkSignature). The verifier keeps none of
// the request's strings, so they may alias the read buffer.
func (s *Server) verifiedFast(r *fastpath.Request, keys map[string]crypto.PublicKey, now time.Time) bool {
	req := signedurl.Request{Scheme: "http", Host: r.Host, Path: r.Path, RawQuery: r.RawQuery}
	req.Cookies = r.HeaderOf(cookieHeader)["Cookie"]
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		req.ClientIP = ap.Addr()
	}
	return s.opts.Signed.Verify(req, signedurl.KeySet(keys), now) == nil
}

var cookieHeader = []string{"Cookie"}

func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}

// appendRequestID appends a new X-Amz-Cf-Id: 56 characters of URL-safe
// base64, the form of CloudFront's. It identifies, it does not protect: a
// fast non-cryptographic source is enough.
func appendRequestID(dst []byte) []byte {
	var b [40]byte
	for i := 0; i < 40; i += 8 {
		v := rand.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return base64.URLEncoding.AppendEncode(dst, b[:])
}

var _ fastpath.Handler = (*Server)(nil)
