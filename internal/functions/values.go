package functions

import "github.com/dop251/goja"

// stringCache keeps the JavaScript values of strings that most runs of a
// runtime convert alike (the event's version, the request method), so a
// run does not allocate them again. A JavaScript string is immutable, so
// handing the same value to every run is not observable.
type stringCache struct {
	entries [8]struct {
		s string
		v goja.Value
	}
	next int // the entry to replace when s is not there
}

// value returns s as a JavaScript value (s must be valid UTF-8).
func (c *stringCache) value(rt *goja.Runtime, s string) goja.Value {
	for i := range c.entries {
		if e := &c.entries[i]; e.v != nil && e.s == s {
			return e.v
		}
	}
	v := rt.ToValue(s)
	e := &c.entries[c.next]
	e.s, e.v = s, v
	c.next = (c.next + 1) % len(c.entries)
	return v
}
