package responseheaders

// The fast path (package fastpath, internal/edge/fast.go) renders a stored
// response's head itself instead of building an http.Header. It applies a
// policy with StoredField for each stored field and AppendFields after
// them, which together give the head Apply would (but for field order).
// Policies whose effect depends on more than that (Server-Timing, a
// custom header also set by another rule) are left to Apply: Fast is
// false for them.

// Fast reports whether the fast path can apply the policy.
func (c *Policy) Fast() bool { return c.fast }

// corsKeys are the CORS headers Apply sets on a CORS response, by their
// bit in a presence mask (after the added headers' bits).
var corsKeys = [...]string{allowOrigin, allowCredentials, exposeHeaders}

const corsBit = 32 // bit of corsKeys[0]; added headers use bits 0..31

// fastCapable decides Fast once, at Compile.
func (c *Policy) fastCapable() bool {
	if c.ServerTiming != nil && c.ServerTiming.Enabled || len(c.add) > corsBit {
		return false
	}
	seen := map[string]bool{}
	for _, h := range c.add {
		switch h.key {
		case "Age", "Date", "Content-Length", allowOrigin, allowCredentials, exposeHeaders, allowMethods, allowHeaders, maxAge:
			return false // written by the fast path itself, or by the CORS rules
		}
		if seen[h.key] {
			return false // the second rule depends on the first
		}
		seen[h.key] = true
	}
	for _, k := range c.remove {
		if k == "Age" || k == "Date" {
			return false
		}
	}
	return true
}

// prepareFast renders what the fast path appends for every response.
// StoredField looks at nameLengths first: a stored response's fields are
// mostly ones the policy does not name, and a name whose length no policy
// name has is not one of them.
func (c *Policy) prepareFast() {
	for i, h := range c.add {
		c.addBlock = appendField(c.addBlock, h.key, h.values[0])
		if !h.override {
			c.keepMask |= 1 << i
		}
	}
}

func lengthBit(name string) uint64 { return 1 << (len(name) & 63) }

// StoredField reports whether the fast path drops a stored field named
// name (canonical) from the head: the policy removes it, or replaces it
// (Override, or a CORS header of a CORS response when OriginOverride).
// It records in present which of the policy's headers the response keeps.
// cors is whether the request is a CORS request the policy allows
// (OriginAllowed).
func (c *Policy) StoredField(name string, cors bool, present *uint64) (drop bool) {
	if c.nameLengths&lengthBit(name) == 0 {
		return false
	}
	for _, k := range c.remove {
		if k == name {
			return true
		}
	}
	for i := range c.add {
		if c.add[i].key == name {
			*present |= 1 << i
			return c.add[i].override
		}
	}
	if cors {
		for j, k := range corsKeys {
			if k == name {
				*present |= 1 << (corsBit + j)
				return c.cors.originOverride && c.cors.sets(j)
			}
		}
	}
	return false
}

// sets reports whether a CORS response gets corsKeys[j] from the policy.
func (c *cors) sets(j int) bool {
	switch j {
	case 1:
		return c.credentials != nil
	case 2:
		return c.exposeHeaders != nil
	}
	return true
}

// AppendFields appends the fields the policy adds ("Name: value\r\n")
// after the stored ones, given present from StoredField. origin is the
// request's Origin when cors is true.
func (c *Policy) AppendFields(dst []byte, present uint64, cors bool, origin string) []byte {
	if present&c.keepMask == 0 {
		dst = append(dst, c.addBlock...) // the origin sent none the policy keeps
	} else {
		for i := range c.add {
			if h := &c.add[i]; h.override || present&(1<<i) == 0 {
				dst = appendField(dst, h.key, h.values[0])
			}
		}
	}
	if !cors {
		return dst
	}
	values := [...][]string{c.cors.allowOriginValue(nil), c.cors.credentials, c.cors.exposeHeaders}
	for j, v := range values {
		if c.cors.sets(j) && (c.cors.originOverride || present&(1<<(corsBit+j)) == 0) {
			value := origin
			if v != nil {
				value = v[0]
			}
			dst = appendField(dst, corsKeys[j], value)
		}
	}
	return dst
}

func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}
