// Package console is the web console on the API listener (/console): people
// log in with the API's access key pair through a form and get a session
// cookie; scripts may send the same key pair with HTTP Basic instead.
//
// It is a reader of package control (distributions, invalidations,
// functions, Lightsail distributions) and of package stats (the live graphs); the only
// changes it makes are creating invalidations and publishing functions
// (and it runs TestFunction), through control like the API.
//
// The graphs show the counters of this process's own edge (package stats
// counts per node); in an etcd fleet, every edge publishes its counters
// through etcd each second (internal/fleet/etcdfleet) and the graphs sum
// the live edges' (a second behind).
//
// Pages are html/template (contextual escaping of everything a distribution
// config carries) and the assets are embedded (embed.FS): no Node, no CDN.
package console

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"openfront/internal/cache"
	"openfront/internal/control"
	"openfront/internal/stats"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the console is served on the API listener.
const Prefix = "/console"

// Control is the part of package control the console reads (and, for
// invalidations and publishing functions, writes).
type Control interface {
	ListDistributions(ctx context.Context, opts control.ListOptions, webACLID *string) ([]*control.Distribution, control.Page, error)
	GetDistribution(ctx context.Context, id string) (*control.Distribution, error)
	ListInvalidations(ctx context.Context, distID string, opts control.ListOptions) ([]*control.Invalidation, control.Page, error)
	GetInvalidation(ctx context.Context, distID, id string) (*control.Invalidation, error)
	CreateInvalidation(ctx context.Context, distID, callerRef string, paths []string) (*control.Invalidation, bool, error)
	LightsailDistributions(ctx context.Context, pageToken string) ([]*control.LightsailDistribution, string, error)
	LightsailDistribution(ctx context.Context, name string) (*control.LightsailDistribution, error)
	ListFunctions(ctx context.Context, stage string, opts control.ListOptions) ([]*control.Function, control.Page, error)
	GetFunction(ctx context.Context, name, stage string) (*control.Function, error)
	TestFunction(ctx context.Context, name, ifMatch, stage string, event []byte) (*control.TestResult, error)
	PublishFunction(ctx context.Context, name, ifMatch string) (*control.Function, error)
}

// Options configure a Console.
type Options struct {
	Control Control
	// Traffic is this node's edge counters (nil: no graphs).
	Traffic *stats.Recorder
	// Fleet is the etcd fleet's published counters, by node (nil: one
	// process; the graphs show Traffic). With it the graphs sum every live
	// edge's counters.
	Fleet interface {
		Traffic(ctx context.Context) (map[string][]byte, error)
	}
	// Cache is this node's object cache (nil: no cache page).
	Cache interface {
		Objects(distID string) []cache.Ref
	}
	// Credentials returns the secret of an access key id (the API's key
	// pairs, the ones SigV4 requests are checked against).
	Credentials func(keyID string) (secret string, ok bool)
	// Node names this node on the graphs.
	Node string
	// SessionTTL is how long a login lasts (DefaultSessionTTL when 0).
	SessionTTL time.Duration
	Now        func() time.Time
	Log        *slog.Logger
}

// DefaultSessionTTL is how long a console login lasts.
const DefaultSessionTTL = 12 * time.Hour

// Console is the console's http.Handler, for paths under Prefix.
type Console struct {
	opts   Options
	pages  map[string]*template.Template
	static http.Handler
	mux    *http.ServeMux

	mu       sync.Mutex
	sessions map[string]*session
}

// New returns a console.
func New(opts Options) *Console {
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	c := &Console{opts: opts, sessions: map[string]*session{}, pages: parsePages()}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(sub)
	c.static = http.StripPrefix(Prefix+"/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A name fs.FS refuses (invalid UTF-8, dot segments) is not a
		// file: 404, not the 500 http.FileServerFS answers for it.
		if name := strings.TrimPrefix(r.URL.Path, "/"); name != "" && !fs.ValidPath(name) {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	}))
	c.routes()
	return c
}

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		// dict passes several values to a sub-template.
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"time": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		},
	}
	pages := map[string]*template.Template{}
	for _, name := range []string{"login", "distributions", "distribution", "invalidation", "lightsail", "lightsaildistribution", "cache", "functions", "function", "error"} {
		pages[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/graphs.html", "templates/"+name+".html"))
	}
	return pages
}

// ServeHTTP serves the console with headers that keep its pages out of
// caches and frames and its scripts to its own.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// same-origin, not no-referrer: with no-referrer browsers send
	// "Origin: null" on the console's own form posts, which sameOrigin
	// refuses.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, r)
}
