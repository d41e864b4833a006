package edge

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"openfront/internal/cache"
	"openfront/internal/fastpath"
	"openfront/internal/responseheaders"
	"openfront/internal/snapshot"
)

// ServeFast is the edge's side of package fastpath: on an HTTP/1.1
// connection (plain or TLS) it answers a fresh memory-tier hit with the response
// ServeHTTP would write for it (the same headers, byte for byte but for
// their order, X-Amz-Cf-Id and Date), and counts it the same way. The
// request is decided by the same plan as ServeHTTP's (plan.go); the fast
// path only adds "look the key up in memory, write the stored head and
// body" (the head as rendered once per object, from its second hit: a
// cache.Rendering kept with the stored object). It declines (ok=false,
// nothing written or counted) every request whose answer needs more: a refusal or a request the plan does not
// cache, a continuous deployment session cookie to set (staging.go), access or real-time logging or a debug-level log (written by
// ServeHTTP's logging phase), a path that is not already normal
// (urlpath.IsNormal: normalising would allocate), a response headers
// policy it cannot apply itself (responseheaders.Policy.Fast) or an
// OPTIONS request under one (a CORS preflight is answered by ServeHTTP),
// viewer Range or
// conditional headers, a miss, a stale or disk-tier object, an error
// status, a body net/http would frame or sniff differently. ServeHTTP then
// handles the request from the start (fast_test.go checks that both paths
// give the same answers).
func (s *Server) ServeFast(r *fastpath.Request, dst []byte) (head, body []byte, ok bool) {
	c := s.opts.Cache
	if c == nil || s.logEvery || s.opts.Fence != nil && !s.counted(r.Received) {
		return dst, nil, false // a fenced edge: ServeHTTP refuses it (fenced.go)
	}
	var h requestHead
	h.fromFast(r)
	if !h.normal {
		return dst, nil, false // ServeHTTP normalises it (which allocates)
	}
	now := r.Received
	if !s.realClock || now.IsZero() {
		now = s.now()
	}
	// The cache key is built in dst's spare room, which the head then
	// overwrites (it is needed only for the lookup), or in a pooled buffer
	// when dst has little room (a connection's first requests).
	room := dst[len(dst):]
	if cap(room) < keyRoom {
		bp := keyBufs.Get().(*[]byte)
		defer keyBufs.Put(bp)
		room = (*bp)[:0]
	}
	var p plan
	kb, ref := s.planner().plan(&p, s.snap.Load(), &h, now, room)
	var rhp *responseheaders.Policy
	if ref == nil {
		rhp = p.beh.ResponseHeaders
	}
	if ref != nil || !p.cached || p.session.set || p.beh.ViewerRequest != nil || p.beh.ViewerResponse != nil ||
		p.dist.Config.Logging.Enabled && s.opts.AccessLog != nil ||
		p.dist.RealtimeLogs && s.opts.RealtimeLog != nil ||
		rhp != nil && (!rhp.Fast() || r.Method == http.MethodOptions) ||
		r.Has("Range") || r.Has("If-None-Match") || r.Has("If-Modified-Since") {
		return dst, nil, false
	}
	e, found := c.LookupMemory(unsafe.String(unsafe.SliceData(kb), len(kb)))
	if !found {
		return dst, nil, false
	}
	dist := p.dist
	m := e.Meta
	if e.File != nil || !now.Before(m.Expires.Time()) || m.Size < 0 || int64(len(e.Body)) != m.Size ||
		m.Status < 200 || m.Status >= 400 || m.Status == http.StatusNoContent || m.Status == http.StatusNotModified {
		e.Close()
		return dst, nil, false
	}
	var rhpOrigin string // the response headers policy's view of the request
	var rhpCORS bool
	var rhpPresent uint64
	var dated, rendered bool
	var rd *cache.Rendering
	if rhp == nil && e.Rendering != nil {
		// The stored head is the same for every hit: rendered once, at
		// the object's second hit (an object hit once would not repay
		// the rendering it keeps).
		if rd = e.Rendering.Load(); rd == nil && e.Hits != nil && e.Hits.Load() > 0 {
			rd = renderStored(c, string(kb), e, dst[len(dst):]) // kb is in the room it renders in: copied first
		}
	}
	if rd != nil {
		dst, dated, rendered = append(dst, rd.Head...), rd.Dated, rd.Head != nil
	} else {
		if rhp != nil {
			rhpOrigin, rhpCORS = r.Only("Origin")
			rhpCORS = rhpCORS && rhp.OriginAllowed(rhpOrigin)
		}
		dst, dated, rendered = appendStoredHead(dst, m, rhp, rhpCORS, &rhpPresent)
	}
	if !rendered { // nothing was written
		e.Close()
		return dst, nil, false
	}
	if !dated {
		dst = appendField(dst, "Date", fastpath.Date()) // the real time, as net/http
	}
	loop, _ := r.Batch.(*loopScratch) // nil off the epoll loop
	dst = s.appendHitStamp(dst, now.Sub(m.StoredAt.Time()), r.HTTP2, loop.idSource())
	if rhp != nil {
		dst = rhp.AppendFields(dst, rhpPresent, rhpCORS, rhpOrigin)
	}
	if r.TLS != nil && s.opts.AltSvc != "" && servesHTTP3(dist, r.Host) {
		dst = appendField(dst, "Alt-Svc", s.opts.AltSvc)
	}
	if r.Close {
		dst = append(dst, "Connection: close\r\n"...)
	}
	dst = append(dst, "\r\n"...)

	e.CountHit()
	sent := m.Size
	if r.Method == http.MethodHead {
		sent = 0
	} else {
		body = e.Body
	}
	s.countHit(loop, dist.ID, now, m.Status, sent)
	return dst, body, true
}

// loopScratch is an epoll loop's scratch (fastpath.Batcher): the hits it
// answered in the batch it is serving, counted when the batch ends
// (before its answers are sent) instead of one by one, and the source of
// its X-Amz-Cf-Id values. A batch is mostly hits of one distribution in
// one minute, so the tally keeps one run of alike hits for the stats and
// records it when a hit differs or the batch ends.
type loopScratch struct {
	hits uint64 // every distribution's: /metrics and the memory tier's count
	run  hitRun
	ids  idSource
}

// idSource returns the loop's id source (nil off the epoll loop).
func (l *loopScratch) idSource() *idSource {
	if l == nil {
		return nil
	}
	return &l.ids
}

// hitRun is hits of one distribution, minute and status.
type hitRun struct {
	distID   string
	at       time.Time // the first hit's (its minute is the run's)
	status   int
	n, bytes int64
}

// NewBatch makes an epoll loop's scratch (fastpath.Batcher).
func (s *Server) NewBatch() any { return &loopScratch{ids: newIDSource()} }

// EndBatch counts the hits of a loop's batch (fastpath.Batcher).
func (s *Server) EndBatch(scratch any) {
	t := scratch.(*loopScratch)
	s.recordRun(&t.run)
	if t.hits > 0 {
		s.countHits(t.hits)
		t.hits = 0
	}
}

// countHits counts n hits in /metrics and in the memory tier's total.
func (s *Server) countHits(n uint64) {
	s.opts.Cache.CountMemoryHits(n)
	if s.opts.Count != nil {
		s.opts.Count("Hit", int(n))
	}
}

// countHit counts a hit ServeFast answered: in the loop's tally when an
// epoll loop answers it (t), else at once.
func (s *Server) countHit(t *loopScratch, distID string, now time.Time, status int, sent int64) {
	if t == nil {
		s.countHits(1)
		if s.opts.Stats != nil {
			s.opts.Stats.Record(distID, now, "Hit", status, 0, sent)
		}
		return
	}
	t.hits++
	run := &t.run
	if run.n > 0 && (run.distID != distID || run.at.Unix()/60 != now.Unix()/60 || run.status != status) {
		s.recordRun(run)
	}
	if run.n == 0 {
		run.distID, run.at, run.status = distID, now, status
	}
	run.n++
	run.bytes += sent
}

// recordRun records a run of hits in the stats and empties it.
func (s *Server) recordRun(run *hitRun) {
	if run.n > 0 && s.opts.Stats != nil {
		s.opts.Stats.RecordN(run.distID, run.at, "Hit", run.status, run.n, 0, run.bytes)
	}
	*run = hitRun{} // keeps no distribution id alive
}

// keyRoom is the spare room in ServeFast's dst that it builds the cache
// key in: keys are short (a distribution id, the path and what the cache
// policy adds), and a longer one only costs the growth of the slice.
const keyRoom = 512

// renderStored makes the Rendering of e's head (in scratch, then copied
// to its own allocation) and keeps it with the stored object under key.
func renderStored(c *cache.Cache, key string, e cache.Entry, scratch []byte) *cache.Rendering {
	rd := new(cache.Rendering)
	if head, dated, ok := appendStoredHead(scratch[:0], e.Meta, nil, false, nil); ok {
		rd.Head, rd.Dated = slices.Clone(head), dated
	}
	c.KeepRendering(key, e, rd)
	return rd
}

// appendStoredHead appends the status line and stored header fields of a
// hit, Content-Length from the stored size, less the fields a response
// headers policy (rhp, when not nil) removes or replaces; dated reports a
// stored Date field. ok=false: net/http would answer it differently (no
// Content-Type: it would sniff one; a status without a reason phrase).
func appendStoredHead(dst []byte, m *cache.Meta, rhp *responseheaders.Policy, rhpCORS bool, rhpPresent *uint64) (_ []byte, dated, ok bool) {
	text := http.StatusText(m.Status)
	if text == "" || m.Header.Get("Content-Type") == "" {
		return dst, false, false
	}
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(m.Status), 10)
	dst = append(dst, ' ')
	dst = append(dst, text...)
	dst = append(dst, "\r\n"...)
	for name, value := range m.Header.All() {
		if rhp != nil && rhp.StoredField(name, rhpCORS, rhpPresent) {
			continue
		}
		switch name {
		case "Content-Length":
			continue // written below, from the stored size
		case "Date":
			dated = true
		}
		dst = appendField(dst, name, value)
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, m.Size, 10)
	return append(dst, "\r\n"...), dated, true
}

// servesHTTP3 reports whether the TLS settings of dist for the name host
// (its own domain name or an alias: snapshot.ViewerTLS) enable HTTP/3.
func servesHTTP3(dist *snapshot.Distribution, host string) bool {
	if i := strings.LastIndexByte(host, ':'); i > strings.LastIndexByte(host, ']') {
		host = host[:i] // no port (net.SplitHostPort would allocate its error for a host without one)
	}
	v := dist.TLS
	if strings.EqualFold(strings.TrimSuffix(host, "."), dist.DomainName) {
		v = dist.DomainTLS
	}
	return v != nil && v.HTTP3
}

func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}

// appendRequestID appends a new X-Amz-Cf-Id: 56 characters of URL-safe
// base64, the form of CloudFront's (40 bytes encoded: 53 full characters,
// one carrying the last 2 bits, "=="). It identifies, it does not
// protect: ids must not repeat, they need not be unpredictable. Two words
// come from ids (an epoll loop's idSource) or, with none, from
// math/rand/v2 (128 random bits: ids do not repeat in practice); three
// more are mixed from them (wyhash's multiply-fold, each word a different
// increment of the first), which costs a third of a call to the runtime's
// generator. Each word gives ten characters from its low 60 bits, two at
// a time through idPairs and eight per store; the five words' top 4 bits
// give the last 20. This takes about a third of the time of
// base64.URLEncoding.AppendEncode over a 40-byte array of random words
// (BenchmarkAppendRequestID against BenchmarkAppendRequestIDBase64).
func appendRequestID(dst []byte, ids *idSource) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 56)[:n+56]
	out := (*[56]byte)(dst[n:])
	var a, b uint64
	if ids != nil {
		a, b = ids.next()
	} else {
		a, b = rand.Uint64(), rand.Uint64()
	}
	c := a + idInc
	d := c + idInc
	e := d + idInc
	putIDWord((*[10]byte)(out[0:]), a)
	putIDWord((*[10]byte)(out[10:]), b)
	c, d, e = idMix(c, b), idMix(d, b), idMix(e, b)
	putIDWord((*[10]byte)(out[20:]), c)
	putIDWord((*[10]byte)(out[30:]), d)
	putIDWord((*[10]byte)(out[40:]), e)
	top := a>>60<<16 | b>>60<<12 | c>>60<<8 | d>>60<<4 | e>>60 // the words' top 4 bits
	out[50] = idAlphabet[top&63]
	out[51] = idAlphabet[top>>6&63]
	out[52] = idAlphabet[top>>12&63]
	out[53] = idAlphabet[(top>>18&3)<<4]
	out[54], out[55] = '=', '='
	return dst
}

// idSource gives an epoll loop's ids their first two words without the
// runtime's generator (a per-thread state, and a refill every 32 words):
// a counter through two bijections keyed at random when the loop starts
// (splitmix64's finalizer of the counter plus a key). A bijection of a
// counter never repeats, so the loop's ids are all different by
// construction; two loops' (or two processes') sequences could meet only
// if their keys differed by the same amount for both words, one chance
// in 2^64. Anyone who sees a few ids could predict the next ones, which
// is harmless for an id that only identifies.
type idSource struct{ key0, key1, n uint64 }

func newIDSource() idSource {
	k0, k1 := rand.Uint64(), rand.Uint64()
	return idSource{key0: k0, key1: k1}
}

func (g *idSource) next() (a, b uint64) {
	g.n++
	return splitmix(g.n + g.key0), splitmix(g.n + g.key1)
}

// splitmix is splitmix64's finalizer, a bijection of 64-bit words.
func splitmix(x uint64) uint64 {
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// putIDWord writes the ten characters of w's low 60 bits.
func putIDWord(o *[10]byte, w uint64) {
	binary.LittleEndian.PutUint64(o[:], uint64(idPairs[w&4095])|uint64(idPairs[w>>12&4095])<<16|
		uint64(idPairs[w>>24&4095])<<32|uint64(idPairs[w>>36&4095])<<48)
	binary.LittleEndian.PutUint16(o[8:], idPairs[w>>48&4095])
}

// idInc and idMix are wyrand's increment and mixing step: the 128-bit
// product of the two inputs (one offset by a second constant), folded.
const idInc = 0xa0761d6478bd642f

func idMix(x, y uint64) uint64 {
	hi, lo := bits.Mul64(x, y^0xe7037ed1a0b428db)
	return hi ^ lo
}

// idAlphabet is base64url's; idPairs[v] is the two characters of the 12
// bits v, low 6 bits first (in the low byte: little-endian stores).
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

var idPairs = func() (t [4096]uint16) {
	for v := range t {
		t[v] = uint16(idAlphabet[v&63]) | uint16(idAlphabet[v>>6])<<8
	}
	return t
}()

var _ fastpath.Handler = (*Server)(nil)
