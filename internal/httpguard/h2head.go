package httpguard

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
)

// MaxHeaderListBytes is the header list size HTTP/2 and HTTP/3 servers
// accept (http.Server.MaxHeaderBytes, http3.Server.MaxHeaderBytes): room
// above CloudFront's 20,480 bytes so that a request over that limit
// reaches LimitHead and gets CloudFront's 413 page. With the limit itself
// as MaxHeaderBytes, net/http answers such a request with its own 431, or
// ends the whole connection with a GOAWAY when one field is longer than
// the list limit. Lists over this size still get those.
const MaxHeaderListBytes = 4 * MaxHeadBytes

// LimitHead applies CloudFront's request limits (MaxHeadBytes for the
// request line and headers, MaxTargetBytes for the URL) to HTTP/2 and
// HTTP/3 requests, whose heads never pass through the guarded listener:
// the size counted is that of the same request written as HTTP/1.1, so
// the limit is the same whatever the transport. A request over either
// gets cfg's 413 response; unlike HTTP/1.1 the connection stays open
// (its other streams are not the request's). HTTP/1.x requests are
// passed on: the listener has checked them.
func LimitHead(h http.Handler, cfg *Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor >= 2 && (len(r.RequestURI) > cfg.maxTarget() || HeadSize(r) > cfg.maxHead()) {
			cfg.refused(http.StatusRequestEntityTooLarge, r.RemoteAddr)
			writeRejection(w, cfg.reject(http.StatusRequestEntityTooLarge))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// HeadSize is the length of r's request line and headers written as
// HTTP/1.1: "METHOD TARGET HTTP/1.1\r\n", "Host: HOST\r\n", one
// "Name: value\r\n" per header value, and the final "\r\n".
func HeadSize(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + len(" HTTP/1.1\r\n")
	n += len("Host: \r\n") + len(r.Host)
	for name, vs := range r.Header {
		for _, v := range vs {
			n += len(name) + len(": \r\n") + len(v)
		}
	}
	return n + len("\r\n")
}

// writeRejection sends a complete HTTP/1.1 response (Config.Reject's
// form) through w: its status, headers (less the connection-level ones,
// which HTTP/2 and HTTP/3 forbid) and body.
func writeRejection(w http.ResponseWriter, raw []byte) {
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		http.Error(w, statusText(http.StatusRequestEntityTooLarge), http.StatusRequestEntityTooLarge)
		return
	}
	defer resp.Body.Close()
	for _, name := range []string{"Connection", "Keep-Alive", "Transfer-Encoding"} {
		resp.Header.Del(name)
	}
	for name, vs := range resp.Header {
		w.Header()[name] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
