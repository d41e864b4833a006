package cloudfront

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"openfront/internal/api/awsproto"
	"openfront/internal/control"
	"openfront/internal/model"
	"openfront/internal/shape"
)

// maxBody caps request bodies; CloudFront configs are well under it (an
// invalidation batch of 3,000 long paths is the largest).
const maxBody = 8 << 20

// Handler serves the CloudFront API. Authentication happens before it.
type Handler struct {
	control *control.Control
	models  map[string]*shape.Model
	log     *slog.Logger
	mux     *http.ServeMux
	// summaries caches encoded DistributionSummary elements.
	summaries encodedCache
}

// encodedCache holds encoded list items by a key that changes whenever
// their content would (version, ETag, status); bounded by clearing.
type encodedCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

const encodedCacheMax = 8192

func (c *encodedCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[key]
	return b, ok
}

func (c *encodedCache) put(key string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= encodedCacheMax {
		c.m = make(map[string][]byte)
	}
	c.m[key] = b
}

// writeList writes a paging list (DistributionList and friends: Marker,
// NextMarker, MaxItems, IsTruncated, Quantity, Items, in model order)
// around items already encoded.
func writeList(w http.ResponseWriter, namespace, root string, p control.Page, items [][]byte) error {
	var b bytes.Buffer
	size := 256
	for _, it := range items {
		size += len(it)
	}
	b.Grow(size)
	b.WriteString(xml.Header)
	b.WriteString("<" + root + ` xmlns="`)
	xml.EscapeText(&b, []byte(namespace))
	b.WriteString(`"><Marker>`)
	xml.EscapeText(&b, []byte(p.Marker))
	b.WriteString("</Marker>")
	if p.IsTruncated {
		b.WriteString("<NextMarker>")
		xml.EscapeText(&b, []byte(p.NextMarker))
		b.WriteString("</NextMarker>")
	}
	b.WriteString("<MaxItems>" + strconv.Itoa(p.MaxItems) + "</MaxItems><IsTruncated>" + strconv.FormatBool(p.IsTruncated) +
		"</IsTruncated><Quantity>" + strconv.Itoa(len(items)) + "</Quantity>")
	if len(items) > 0 {
		b.WriteString("<Items>")
		for _, it := range items {
			b.Write(it)
		}
		b.WriteString("</Items>")
	}
	b.WriteString("</" + root + ">")
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b.Bytes())
	return err
}

// New returns the CloudFront API handler.
func New(c *control.Control, log *slog.Logger) (*Handler, error) {
	h := &Handler{control: c, models: map[string]*shape.Model{}, log: log, mux: http.NewServeMux()}
	for _, v := range versions {
		m, err := shape.Load(v)
		if err != nil {
			return nil, fmt.Errorf("load cloudfront %s model: %w", v, err)
		}
		h.models[v] = m
	}
	for _, rt := range routes {
		for _, v := range versions {
			if v < rt.since {
				continue
			}
			handle := rt.handle
			h.mux.HandleFunc(rt.method+" /"+v+rt.path, func(w http.ResponseWriter, r *http.Request) {
				if err := handle(h, w, r); err != nil {
					WriteError(w, r, err, h.log)
				}
			})
		}
	}
	h.registerNotImplemented()
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, awsproto.Errorf(http.StatusBadRequest, "InvalidURI", "Could not parse the specified URI: %s %s.", r.Method, r.URL.Path), h.log)
	})
	return h, nil
}

// ServeHTTP dispatches to the operation's handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// model returns the botocore model of the request's version.
func (h *Handler) model(r *http.Request) *shape.Model { return h.models[versionOf(r)] }

// body reads the request body (MissingBody when there is none).
func body(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "The request body could not be read: %v.", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, awsproto.Errorf(http.StatusBadRequest, "MissingBody", "This operation requires a body. Ensure that the body is present and the Content-Type header is set.")
	}
	return b, nil
}

// decode reads the body as the root element of the shape.
func (h *Handler) decode(r *http.Request, root, shapeName string) (model.Tree, error) {
	b, err := body(r)
	if err != nil {
		return nil, err
	}
	t, err := h.model(r).Decode(bytes.NewReader(b), root, shapeName)
	if err != nil {
		return nil, err
	}
	// Oversize values are refused before any rule reads them.
	if err := model.CheckLimits(root, t); err != nil {
		return nil, err
	}
	return t, nil
}

// decodeOnce reads and decodes the body of an Update request before its
// store transaction and returns what the transaction's apply function
// calls instead: the store may run apply more than once (etcdstore runs it
// again when its commit loses to another node's write), and a body can be
// read only once. Each call returns a fresh copy of the tree, since the
// checks after apply fill in defaults in place. A body that does not
// decode is the error of every call, so that existence and If-Match are
// still checked before the body, as CloudFront does (control.Apply).
func (h *Handler) decodeOnce(r *http.Request, root, shapeName string) func() (model.Tree, error) {
	t, err := h.decode(r, root, shapeName)
	return func() (model.Tree, error) {
		if err != nil {
			return nil, err
		}
		return model.Clone(t), nil
	}
}

// write encodes a response document with the request version's model.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, status int, root, shapeName string, tree model.Tree) error {
	b, err := h.model(r).EncodeToBytes(root, shapeName, tree)
	if err != nil {
		return fmt.Errorf("encode %s: %w", root, err)
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err = w.Write(b)
	return nil
}

// location is the absolute URL of a created resource.
func location(r *http.Request, path string) string {
	return "https://cloudfront.amazonaws.com/" + versionOf(r) + path
}

// listOptions reads Marker and MaxItems (default 100, max limit) from
// the query string.
func listOptions(r *http.Request, limit int) (control.ListOptions, error) {
	q := r.URL.Query()
	return pagingOptions(q.Get("Marker"), q.Get("MaxItems"), limit)
}

// bodyListOptions reads Marker and MaxItems (default and max 100) from a
// request body, for the operations whose model puts them there.
func bodyListOptions(t model.Tree) (control.ListOptions, error) {
	return pagingOptions(model.StrOr(t, "", "Marker"), model.StrOr(t, "", "MaxItems"), 100)
}

func pagingOptions(marker, maxItems string, limit int) (control.ListOptions, error) {
	opts := control.ListOptions{Marker: marker, MaxItems: 100}
	if maxItems != "" {
		n, err := strconv.Atoi(maxItems)
		if err != nil || n < 0 {
			return opts, awsproto.Errorf(http.StatusBadRequest, "InvalidArgument", "The parameter MaxItems must be a non-negative integer, not %q.", maxItems)
		}
		opts.MaxItems = n
	}
	if limit > 0 && opts.MaxItems > limit {
		opts.MaxItems = limit
	}
	return opts, nil
}

// listTree builds a paging list wrapper (DistributionList and friends).
func listTree(p control.Page, items []any) model.Tree {
	t := model.Tree{
		"Marker":      p.Marker,
		"MaxItems":    strconv.Itoa(p.MaxItems),
		"IsTruncated": strconv.FormatBool(p.IsTruncated),
		"Quantity":    strconv.Itoa(len(items)),
	}
	if p.IsTruncated {
		t["NextMarker"] = p.NextMarker
	}
	if len(items) > 0 {
		t["Items"] = items
	}
	return t
}

// ifMatch returns the If-Match header.
func ifMatch(r *http.Request) string { return strings.TrimSpace(r.Header.Get("If-Match")) }

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
