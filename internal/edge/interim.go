package edge

import (
	"net/http"
	"sync"
)

// interimRelay passes the origin's interim (1xx) responses, 103 Early
// Hints above all, to the viewer while the exchange waits for the final
// response: RFC 9110 §15.2, a proxy forwards 1xx responses it did not ask
// for itself. The origin client calls relay from its own goroutine (and,
// for a collapsed fill, after this viewer may have given up waiting), so
// the exchange calls end before it writes anything else; later 1xx are
// dropped.
//
// Only the viewer whose request went to the origin gets them: requests
// that join its fill arrive after they were sent.
type interimRelay struct {
	mu sync.Mutex
	w  http.ResponseWriter // nil once ended
}

// newInterimRelay returns a relay to w, or nil when there is no viewer
// (background refresh, error page fetch) or it speaks HTTP/1.0, which must
// not be sent 1xx responses (RFC 9110 §15.2).
func newInterimRelay(w http.ResponseWriter, r *http.Request) *interimRelay {
	if !relaysInterim(w, r) {
		return nil
	}
	return &interimRelay{w: w}
}

// relaysInterim reports whether a request's 1xx go to its viewer (see
// newInterimRelay).
func relaysInterim(w http.ResponseWriter, r *http.Request) bool {
	return w != nil && r.ProtoAtLeast(1, 1)
}

// relayFunc is what origin.Request.Interim takes: nil without a relay.
func (ir *interimRelay) relayFunc() func(int, http.Header) {
	if ir == nil {
		return nil
	}
	return ir.relay
}

// relay writes one interim response. A 1xx goes out with the writer's
// header map (net/http and HTTP/2 both write it whole: RFC 8297 lets Early
// Hints fields be repeated on the final response), so the fields are put
// there for it and taken out again: the final response carries only its
// own.
func (ir *interimRelay) relay(status int, h http.Header) {
	ir.mu.Lock()
	defer ir.mu.Unlock()
	if ir.w == nil || status < 100 || status > 199 || status == http.StatusSwitchingProtocols {
		return
	}
	h = h.Clone()
	removeHopByHop(h)
	for _, name := range interimDropped {
		delete(h, name)
	}
	dst := ir.w.Header()
	saved := make(http.Header, len(h))
	for name, vs := range h {
		if old, ok := dst[name]; ok {
			saved[name] = old
		}
		dst[name] = vs
	}
	ir.w.WriteHeader(status)
	for name := range h {
		if old, ok := saved[name]; ok {
			dst[name] = old
		} else {
			delete(dst, name)
		}
	}
}

// interimDropped are fields an interim response never passes on: those
// the edge owns on its responses, and framing and cookies, which mean
// nothing on a 1xx.
var interimDropped = append([]string{"Content-Length", "Set-Cookie"}, reservedResponse...)

// end stops the relay; nil-safe.
func (ir *interimRelay) end() {
	if ir == nil {
		return
	}
	ir.mu.Lock()
	ir.w = nil
	ir.mu.Unlock()
}
