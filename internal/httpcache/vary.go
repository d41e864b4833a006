package httpcache

import (
	"net/http"
	"strings"
)

// VariesOnEverything reports whether h has a Vary field whose value
// contains "*" (RFC 9110 §12.5.5: the response varies on more than request
// headers, so no later request can be shown to match it; RFC 9111 §4.1).
// Any "*" in any Vary line counts, whatever surrounds it ("*", " * ",
// "Accept-Encoding, *", "X-*"): a list member that merely contains a star
// is no header a viewer could send either, and reading it as "*" is the
// side that cannot serve one viewer's response to another.
func VariesOnEverything(h http.Header) bool {
	for _, v := range h.Values("Vary") {
		if strings.IndexByte(v, '*') >= 0 {
			return true
		}
	}
	return false
}
