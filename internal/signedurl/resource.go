package signedurl

import (
	"fmt"
	"strings"
)

// resourcePattern is a custom policy's Resource split into the sections
// its wildcards stay within ("Create a signed URL using a custom policy",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-custom-policy.html):
// protocol, domain, path, query.
type resourcePattern struct {
	any      bool   // "*" or no Resource: every URL
	raw      string // the Resource as written (RTMP streams match it whole)
	bare     bool   // no scheme: a stream-name resource, never a URL
	scheme   string
	host     string // lower case
	path     string
	query    string
	hasQuery bool // `\?` separated an explicit query section
	anyRest  bool // domain ends in * and no path: implies /*\?*
	anyQuery bool // path ends in * and has no ?, no query section: implies \?*
}

// compileResource splits a Resource into its sections.
func compileResource(r string) (resourcePattern, error) {
	if r == "*" {
		return resourcePattern{any: true, raw: r}, nil
	}
	p := resourcePattern{raw: r}
	var rest string
	if i := strings.Index(r, "://"); i > 0 && strings.IndexByte(r, '/') == i+1 {
		p.scheme = strings.ToLower(r[:i])
		for _, c := range []byte(p.scheme) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '*' || c == '?' || c == '+' || c == '-' || c == '.') {
				return p, fmt.Errorf("parse policy Resource %q: bad scheme", r)
			}
		}
		rest = r[i+3:]
	} else if strings.HasPrefix(r, "*") {
		// A resource starting with * in the domain implies protocol *.
		p.scheme, rest = "*", r
	} else if r != "" && !strings.Contains(r, "://") {
		// RTMP distributions sign the stream name itself.
		p.bare = true
		return p, nil
	} else {
		return p, fmt.Errorf("parse policy Resource %q: must start with http://, https:// or *://", r)
	}
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		p.host = strings.ToLower(rest)
		if strings.HasSuffix(rest, "*") {
			p.anyRest = true
		} else {
			p.path = "/"
		}
		return p, nil
	}
	p.host = strings.ToLower(rest[:slash])
	path := rest[slash:]
	if i := strings.Index(path, `\?`); i >= 0 {
		p.path, p.query, p.hasQuery = path[:i], path[i+2:], true
	} else {
		p.path = path
		// A plain ? already lets the pattern reach into the query (the
		// AWS signers' form, "https://h/a.jpg?size=*"), so only a path
		// without one gets the implied \?*.
		p.anyQuery = strings.HasSuffix(path, "*") && !strings.Contains(path, "?")
	}
	return p, nil
}

// match reports whether the request URL matches the pattern.
func (p *resourcePattern) match(t *target) bool {
	if p.any {
		return true
	}
	if t.stream {
		return glob(p.raw, t.url)
	}
	if p.bare {
		return false
	}
	if !glob(p.scheme, t.scheme) || !glob(p.host, strings.ToLower(t.host)) {
		return false
	}
	switch {
	case p.anyRest:
		return true
	case p.hasQuery:
		return glob(p.path, t.path) && glob(p.query, t.query)
	case p.anyQuery || !t.hasQuery:
		return glob(p.path, t.path)
	default:
		// No explicit query section: the pattern covers path?query,
		// a plain ? matching the separator (see the package Caveats).
		return glob(p.path, t.url[len(t.url)-len(t.path)-1-len(t.query):])
	}
}

// glob matches s against pattern, where * matches any run of bytes and ?
// exactly one byte. It backtracks only to the last *, so it runs in
// O(len(pattern)·len(s)) at worst.
func glob(pattern, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && pattern[pi] == '*': // before the literal case: s may hold a * too
			star, mark = pi, si
			pi++
		case pi < len(pattern) && (pattern[pi] == '?' || pattern[pi] == s[si]):
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}
