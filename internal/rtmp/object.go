package rtmp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"openfront/internal/cache"
	"openfront/internal/model"
	"openfront/internal/origin"
	"openfront/internal/snapshot"
)

// Origin fetches from S3 origins (origin.Client).
type Origin interface {
	Do(ctx context.Context, r *origin.Request) (*http.Response, error)
}

// ObjectCache is what the RTMP edge needs of the edge's object cache
// (cache.Cache).
type ObjectCache interface {
	Lookup(key string) (cache.Entry, bool)
	Fill(ctx context.Context, r *cache.FillRequest) (*cache.Stream, error)
	Delete(key string)
}

// Errors of object access.
var (
	// errNotFound: the origin has no such object (S3 404, or 403 for a
	// bucket that hides missing keys).
	errNotFound = errors.New("rtmp: object not found")
	// errChanged: the object changed at the origin while it was played.
	errChanged = errors.New("rtmp: object changed at the origin")
)

// blocks reads media objects from S3 origins in fixed-size ranges,
// through the edge cache, so repeated and concurrent plays of an object
// read each range from the origin once.
//
// Block 0 is keyed without a version and expires after TTL; its ETag and
// total size (from Content-Range) pin the version of the object, and every
// later block is keyed by that ETag and fetched with If-Match, so blocks
// of two versions never mix within a play.
type blocks struct {
	origin    Origin
	cache     ObjectCache
	blockSize int64
	ttl       time.Duration
	now       func() time.Time
}

// object is one open media object: an io.ReaderAt over its blocks. It is
// used by one goroutine (the player of one stream).
type object struct {
	b      *blocks
	ctx    context.Context
	dist   *snapshot.StreamingDistribution
	origin *model.Origin
	path   string // escaped request path, "/dir/file.mp4"
	etag   string
	size   int64

	cur      cache.Entry
	curBlock int64
}

func (b *blocks) open(ctx context.Context, d *snapshot.StreamingDistribution, key string) (*object, error) {
	o := &object{
		b:    b,
		ctx:  ctx,
		dist: d,
		origin: &model.Origin{
			ID:                 "S3-" + d.Config.S3DomainName,
			DomainName:         d.Config.S3DomainName,
			S3:                 &model.S3Origin{OAI: d.Config.OAI, ReadTimeout: 30 * time.Second},
			ConnectionAttempts: 3,
			ConnectionTimeout:  10 * time.Second,
		},
		path:     escapeKey(key),
		curBlock: -1,
	}
	e, err := o.block(0)
	if err != nil {
		return nil, err
	}
	o.etag = e.Meta.Header.Get("Etag")
	o.size = totalSize(e.Meta)
	if o.size <= 0 {
		o.Close()
		return nil, fmt.Errorf("%w: empty object", errBadMedia)
	}
	return o, nil
}

// escapeKey turns an object key into the origin request path.
func escapeKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return "/" + strings.Join(parts, "/")
}

func totalSize(m *cache.Meta) int64 {
	cr := m.Header.Get("Content-Range") // "bytes 0-262143/1048576"
	if i := strings.LastIndexByte(cr, '/'); i >= 0 {
		if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
			return n
		}
	}
	return m.Size // the origin ignored Range and sent the whole object
}

// Size returns the object's length.
func (o *object) Size() int64 { return o.size }

// Close releases the current block.
func (o *object) Close() {
	if o.curBlock >= 0 {
		o.cur.Close()
		o.curBlock = -1
	}
}

// ReadAt implements io.ReaderAt over the cached blocks.
func (o *object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("rtmp: negative offset")
	}
	n := 0
	for n < len(p) {
		if off >= o.size {
			return n, io.EOF
		}
		bn := off / o.b.blockSize
		e, err := o.block(bn)
		if err != nil {
			return n, err
		}
		inBlock := off % o.b.blockSize
		want := min(int64(len(p)-n), o.size-off, o.b.blockSize-inBlock)
		k, err := e.ReadAt(p[n:n+int(want)], inBlock)
		n += k
		off += int64(k)
		if err != nil && err != io.EOF {
			return n, err
		}
		if k == 0 {
			return n, io.ErrUnexpectedEOF
		}
	}
	return n, nil
}

func (o *object) key(n int64) string {
	v := o.etag
	if n == 0 {
		v = ""
	}
	return "rtmp|" + o.dist.ID + "|" + o.dist.Config.S3DomainName + "|" + o.path + "|" + v + "|" + strconv.FormatInt(n, 10)
}

// block returns block n, from the cache or the origin.
func (o *object) block(n int64) (cache.Entry, error) {
	if n == o.curBlock {
		return o.cur, nil
	}
	o.Close()
	key := o.key(n)
	e, ok := o.b.cache.Lookup(key)
	if ok && !e.Meta.Expires.Time().After(o.b.now()) {
		e.Close()
		o.b.cache.Delete(key)
		ok = false
	}
	if !ok {
		var err error
		if e, err = o.fill(key, n); err != nil {
			return cache.Entry{}, err
		}
	}
	o.cur, o.curBlock = e, n
	return e, nil
}

// fill fetches block n through the cache's collapsed fill and returns it
// as an entry held in memory.
func (o *object) fill(key string, n int64) (cache.Entry, error) {
	st, err := o.b.cache.Fill(o.ctx, &cache.FillRequest{
		Key:     key,
		DistID:  o.dist.ID,
		Path:    o.path,
		Timeout: 2 * time.Minute,
		Fetch:   func(ctx context.Context) (*cache.FetchResult, error) { return o.fetch(ctx, n) },
	})
	if err != nil {
		return cache.Entry{}, err
	}
	defer st.Close()
	body, err := io.ReadAll(st)
	if err != nil {
		return cache.Entry{}, fmt.Errorf("read block %d of %s: %w", n, o.path, err)
	}
	m := *st.Meta
	m.Size = int64(len(body))
	return cache.Entry{Meta: &m, Body: body}, nil
}

// fetch asks the origin for block n.
func (o *object) fetch(ctx context.Context, n int64) (*cache.FetchResult, error) {
	start := n * o.b.blockSize
	h := http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", start, start+o.b.blockSize-1)}}
	if n > 0 && o.etag != "" {
		h.Set("If-Match", o.etag)
	}
	resp, err := o.b.origin.Do(ctx, &origin.Request{
		Origin: o.origin,
		Method: http.MethodGet,
		Path:   o.path,
		Header: h,
		Sign:   o.origin.S3.OAI != "",
	})
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusPartialContent, http.StatusOK:
	case http.StatusNotFound, http.StatusForbidden:
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s (origin status %d)", errNotFound, o.path, resp.StatusCode)
	case http.StatusPreconditionFailed:
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s", errChanged, o.path)
	case http.StatusRequestedRangeNotSatisfiable:
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s is empty", errBadMedia, o.path)
	default:
		resp.Body.Close()
		return nil, fmt.Errorf("origin status %d for %s", resp.StatusCode, o.path)
	}
	size := resp.ContentLength
	body := resp.Body
	hdr := http.Header{"Etag": {resp.Header.Get("ETag")}}
	if resp.StatusCode == http.StatusOK {
		// The origin ignored Range: keep this block's share of the body
		// and record the whole length.
		if size < 0 {
			resp.Body.Close()
			return nil, fmt.Errorf("origin sent no length for %s", o.path)
		}
		hdr.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+o.b.blockSize-1, size))
		if _, err := io.CopyN(io.Discard, body, min(start, size)); err != nil {
			resp.Body.Close()
			return nil, err
		}
		size = max(0, min(o.b.blockSize, size-start))
		body = readCloser{io.LimitReader(resp.Body, size), resp.Body}
	} else {
		hdr.Set("Content-Range", resp.Header.Get("Content-Range"))
	}
	return &cache.FetchResult{
		Status:    http.StatusPartialContent,
		Header:    hdr,
		Expires:   o.b.now().Add(o.b.ttl),
		Size:      size,
		Body:      body,
		Cacheable: true,
	}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}
