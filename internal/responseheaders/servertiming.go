package responseheaders

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ServerTimingSampled reports whether a response gets the Server-Timing
// header (Developer Guide, "Understand response headers policies",
// Server-Timing header): the policy enables it and either the request
// asks with "Pragma: server-timing" or roll (uniform in [0, 100)) falls
// under the policy's SamplingRate.
func ServerTimingSampled(c *Policy, req http.Header, roll float64) bool {
	if c == nil || c.ServerTiming == nil || !c.ServerTiming.Enabled {
		return false
	}
	if roll < c.ServerTiming.SamplingRate {
		return true
	}
	for _, v := range req["Pragma"] {
		for v != "" {
			var tok string
			tok, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(tok), "server-timing") {
				return true
			}
		}
	}
	return false
}

// Timing is what one response's Server-Timing reports.
type Timing struct {
	// Result is the X-Cache word: Hit, RefreshHit, Miss, Error...
	Result    string
	Pop       string
	RequestID string
	// Upstream: the origin was asked; UpstreamFirstByte is then the time
	// from the viewer request to the origin's response headers.
	Upstream          bool
	UpstreamFirstByte time.Duration
	// DownstreamFirstByte: from the viewer request to the response's
	// first byte.
	DownstreamFirstByte time.Duration
}

// AppendServerTiming appends the Server-Timing value with CloudFront's
// metric names: cdn-cache-hit, cdn-cache-refresh or cdn-cache-miss;
// cdn-hit-layer on hits, cdn-upstream-layer and cdn-upstream-fbl when the
// origin was asked; cdn-pop, cdn-rid and cdn-downstream-fbl. OpenFront
// has a single cache layer ("EDGE") and does not time DNS and connection
// setup separately, so cdn-upstream-dns and cdn-upstream-connect are left
// out.
func AppendServerTiming(dst []byte, t Timing) []byte {
	switch t.Result {
	case "Hit":
		dst = append(dst, "cdn-cache-hit"...)
	case "RefreshHit":
		dst = append(dst, "cdn-cache-refresh"...)
	default:
		dst = append(dst, "cdn-cache-miss"...)
	}
	dst = append(dst, `,cdn-pop;desc="`...)
	dst = appendQuotable(dst, t.Pop)
	dst = append(dst, `",cdn-rid;desc="`...)
	dst = appendQuotable(dst, t.RequestID)
	dst = append(dst, '"')
	if t.Result == "Hit" {
		dst = append(dst, `,cdn-hit-layer;desc="EDGE"`...)
	} else if t.Upstream {
		dst = append(dst, `,cdn-upstream-layer;desc="EDGE",cdn-upstream-fbl;dur=`...)
		dst = strconv.AppendInt(dst, t.UpstreamFirstByte.Milliseconds(), 10)
	}
	dst = append(dst, ",cdn-downstream-fbl;dur="...)
	return strconv.AppendInt(dst, t.DownstreamFirstByte.Milliseconds(), 10)
}

// appendQuotable appends s without the characters a quoted-string
// cannot hold as they are.
func appendQuotable(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= ' ' && c != '"' && c != '\\' && c < 0x7f {
			dst = append(dst, c)
		}
	}
	return dst
}
