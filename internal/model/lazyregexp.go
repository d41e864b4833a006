package model

import (
	"regexp"
	"sync"
)

// LazyRegexp is a regexp compiled on first use. A counted repetition such
// as {1,128} compiles into a program of tens to hundreds of KB: built as
// package variables, the validation patterns cost every process, edge
// nodes included, a few MB of heap from its start.
func LazyRegexp(pattern string) *LazyPattern { return &LazyPattern{pattern: pattern} }

// LazyPattern is what LazyRegexp returns.
type LazyPattern struct {
	once    sync.Once
	pattern string
	re      *regexp.Regexp
}

// MatchString reports whether s matches the pattern (compiling it once).
func (l *LazyPattern) MatchString(s string) bool {
	l.once.Do(func() { l.re = regexp.MustCompile(l.pattern) })
	return l.re.MatchString(s)
}
