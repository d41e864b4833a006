package invalidation

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"openfront/internal/urlpath"
)

// Limits from "What you need to know when invalidating paths" (path length)
// and "Concurrent invalidation request maximum" (3,000 paths).
const (
	// MaxPathLength is the longest invalidation path, in characters.
	MaxPathLength = 4000
	// MaxPathsPerBatch is the most paths one CreateInvalidation may carry
	// (BatchTooLarge beyond it).
	MaxPathsPerBatch = 3000
)

// Errors wrapped by ValidatePath and ValidateBatch; the API maps
// ErrInvalidPath to InvalidArgument, ErrBatchTooLarge to BatchTooLarge (413)
// and ErrEmptyBatch to InvalidArgument.
var (
	ErrInvalidPath   = errors.New("invalid invalidation path")
	ErrBatchTooLarge = errors.New("invalidation batch too large")
	ErrEmptyBatch    = errors.New("invalidation batch has no paths")
)

// ValidatePath reports whether p is an invalidation path the CloudFront API
// accepts: it starts with `/`, is at most 4,000 characters, and contains `*`
// only as its last character.
func ValidatePath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%w: %q must begin with /", ErrInvalidPath, p)
	}
	if n := utf8.RuneCountInString(p); n > MaxPathLength {
		return fmt.Errorf("%w: %d characters, maximum is %d", ErrInvalidPath, n, MaxPathLength)
	}
	if i := strings.IndexByte(p, '*'); i >= 0 && i != len(p)-1 {
		return fmt.Errorf("%w: %q has * before the last character", ErrInvalidPath, p)
	}
	return nil
}

// ValidateBatch validates every path of one CreateInvalidation request and
// the batch size (1 to MaxPathsPerBatch).
func ValidateBatch(paths []string) error {
	if len(paths) == 0 {
		return ErrEmptyBatch
	}
	if len(paths) > MaxPathsPerBatch {
		return fmt.Errorf("%w: %d paths, maximum is %d", ErrBatchTooLarge, len(paths), MaxPathsPerBatch)
	}
	for _, p := range paths {
		if err := ValidatePath(p); err != nil {
			return err
		}
	}
	return nil
}

// IsWildcard reports whether p is a wildcard path; wildcard paths have their
// own in-progress quota (15 paths, "Concurrent invalidation request
// maximum").
func IsWildcard(p string) bool { return strings.HasSuffix(p, "*") }

// Matcher decides whether an object is covered by a set of invalidation
// paths. It is immutable and safe for concurrent use; Match and MatchParts
// do not allocate.
type Matcher struct {
	// exact maps an exact path's part before the first '?' to the query
	// parts seen for it ("" meaning no '?' at all).
	exact map[string][]exactQuery
	// prefixes are the wildcard paths without their trailing '*'.
	prefixes []string
}

type exactQuery struct {
	hasQuery bool
	query    string
}

// Compile builds a Matcher from invalidation paths. Paths are expected to
// have passed ValidatePath; a missing leading `/` is added, and a `*` that
// is not last is treated as a literal character.
func Compile(paths []string) *Matcher {
	m := &Matcher{exact: make(map[string][]exactQuery)}
	for _, p := range paths {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			m.prefixes = append(m.prefixes, normalizePrefix(prefix))
			continue
		}
		path, query, hasQuery := strings.Cut(p, "?")
		path = accessForm(path)
		m.exact[path] = append(m.exact[path], exactQuery{hasQuery: hasQuery, query: query})
	}
	return m
}

// accessForm is urlpath.ForAccess, or p as submitted when it cannot be
// normalised (a malformed escape matches nothing the edge caches).
func accessForm(p string) string {
	if a, err := urlpath.ForAccess(p); err == nil {
		return a
	}
	return p
}

// normalizePrefix normalises the part of a wildcard path before its `*`.
// When the `*` is in the path, the last segment is a partial one: `.` or
// `..` there is the start of a name (`/a/.*` covers `/a/.htaccess`), not
// a dot segment, and is kept as written.
func normalizePrefix(prefix string) string {
	path, query, hasQuery := strings.Cut(prefix, "?")
	if hasQuery {
		return accessForm(path) + "?" + query
	}
	dir, last := path[:strings.LastIndexByte(path, '/')+1], path[strings.LastIndexByte(path, '/')+1:]
	if last == "." || last == ".." {
		return accessForm(dir) + last
	}
	return accessForm(path)
}

// Match reports whether the object whose URI is uri (escaped path, plus "?"
// and the query string when the behaviour keys on it) is invalidated.
func (m *Matcher) Match(uri string) bool {
	path, query, hasQuery := strings.Cut(uri, "?")
	return m.matchParts(path, query, hasQuery)
}

// MatchParts is Match for a URI given as its escaped path and its query
// string. An empty query means the subject has no query string (the
// request had none, or the behaviour does not key on it).
func (m *Matcher) MatchParts(path, query string) bool {
	return m.matchParts(path, query, query != "")
}

func (m *Matcher) matchParts(path, query string, hasQuery bool) bool {
	for _, q := range m.exact[path] {
		if q.hasQuery == hasQuery && q.query == query {
			return true
		}
	}
	for _, prefix := range m.prefixes {
		if hasPrefix(path, query, hasQuery, prefix) {
			return true
		}
	}
	return false
}

// hasPrefix reports whether path["?"+query] starts with prefix, without
// building the joined string.
func hasPrefix(path, query string, hasQuery bool, prefix string) bool {
	if len(prefix) <= len(path) {
		return path[:len(prefix)] == prefix
	}
	if !hasQuery || prefix[:len(path)] != path || prefix[len(path)] != '?' {
		return false
	}
	return strings.HasPrefix(query, prefix[len(path)+1:])
}
