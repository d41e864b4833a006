// Package realtimelog delivers CloudFront real-time logs ("Use real-time
// logs", Amazon CloudFront Developer Guide): each sampled request of a
// cache behaviour that names a real-time log configuration becomes one
// record, its configured fields in order, tab-separated, put to the
// configuration's Kinesis data stream with PutRecords. Records are queued
// per configuration in a bounded queue and sent in batches by a
// background sender: the request path never waits for Kinesis, a full
// queue drops records, and every drop or delivery failure is counted and
// logged.
package realtimelog

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"openfront/internal/accesslog"
)

// Request is what one request gives its real-time log record: the
// standard access-log fields plus those only real-time logs have.
type Request struct {
	accesslog.Record
	// Header is the viewer request's header (read while formatting, before
	// Log returns: it is not kept).
	Header http.Header
	// PathPattern is the matched cache behaviour's path pattern.
	PathPattern string
	// Country is the viewer's ISO 3166-1 alpha-2 country ("" unknown).
	Country string
	// DistributionID and DistributionDomain name the primary distribution
	// (primary-distribution-id, primary-distribution-dns-name): the one the
	// viewer named, also when its staging distribution served the request
	// (docs/continuous-deployment.md).
	DistributionID, DistributionDomain string
	// ASN is the viewer's autonomous system number (0 unknown: the geo
	// database has no autonomous_system_number for the address).
	ASN uint
	// OriginFirstByte and OriginLastByte are how long the origin took,
	// from the request sent, to the response head and to the body's last
	// byte (0: the request did not go to the origin, or, for the last
	// byte, the body was not read to its end).
	OriginFirstByte, OriginLastByte time.Duration
}

// maxHeaderFieldBytes: cs-headers and cs-header-names are truncated to 800
// bytes ("Real-time log configuration fields").
const maxHeaderFieldBytes = 800

// AppendRecord appends the record of req with the fields in order:
// tab-separated, "-" for a field without a value, values URL-encoded as in
// standard logs, and a newline at the end (each Kinesis record is one
// line, as CloudFront sends them).
func AppendRecord(dst []byte, fields []string, req *Request) []byte {
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, '\t')
		}
		start := len(dst)
		dst = appendField(dst, f, req)
		if len(dst) == start {
			dst = append(dst, '-')
		}
	}
	return append(dst, '\n')
}

// appendField appends one field's value; nothing when it has none.
func appendField(dst []byte, field string, req *Request) []byte {
	r := &req.Record
	switch field {
	case "timestamp":
		// Seconds since the epoch with millisecond precision, e.g.
		// 1607110316.164: when the edge finished responding.
		ms := r.Time.UnixMilli()
		dst = strconv.AppendInt(dst, ms/1000, 10)
		frac := ms % 1000
		return append(dst, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	case "c-ip":
		if r.ClientIP.IsValid() {
			dst = r.ClientIP.AppendTo(dst)
		}
		return dst
	case "c-ip-version":
		switch {
		case !r.ClientIP.IsValid():
			return dst
		case r.ClientIP.Is4():
			return append(dst, "IPv4"...)
		}
		return append(dst, "IPv6"...)
	case "c-port":
		if r.ClientPort > 0 {
			dst = strconv.AppendInt(dst, int64(r.ClientPort), 10)
		}
		return dst
	case "time-to-first-byte":
		return appendSeconds(dst, r.TimeToFirstByte)
	case "time-taken":
		return appendSeconds(dst, r.TimeTaken)
	case "sc-status":
		if r.Status <= 0 {
			return append(dst, "000"...)
		}
		return strconv.AppendInt(dst, int64(r.Status), 10)
	case "sc-bytes":
		return strconv.AppendInt(dst, r.BytesSent, 10)
	case "cs-bytes":
		return strconv.AppendInt(dst, r.BytesReceived, 10)
	case "cs-method":
		return escaped(dst, r.Method)
	case "cs-protocol":
		return escaped(dst, r.Protocol)
	case "cs-host":
		return escaped(dst, r.Host)
	case "cs-uri-stem":
		return escaped(dst, r.URIStem)
	case "x-edge-location":
		return escaped(dst, r.EdgeLocation)
	case "x-edge-request-id":
		return escaped(dst, r.RequestID)
	case "x-host-header":
		return escaped(dst, r.HostHeader)
	case "cs-protocol-version":
		return escaped(dst, r.ProtocolVersion)
	case "cs-user-agent":
		return escaped(dst, r.UserAgent)
	case "cs-referer":
		return escaped(dst, r.Referer)
	case "cs-cookie":
		// Unlike standard logs, real-time logs have no IncludeCookies
		// switch: listing the field is the choice.
		return escaped(dst, strings.Join(req.Header["Cookie"], "; "))
	case "cs-uri-query":
		return escaped(dst, r.URIQuery)
	case "x-edge-response-result-type":
		return escaped(dst, r.EdgeResponseResultType)
	case "x-edge-result-type":
		return escaped(dst, r.EdgeResultType)
	case "x-edge-detailed-result-type":
		return escaped(dst, r.EdgeDetailedResultType)
	case "x-forwarded-for":
		return escaped(dst, r.ForwardedFor)
	case "ssl-protocol":
		return escaped(dst, r.SSLProtocol)
	case "ssl-cipher":
		return escaped(dst, r.SSLCipher)
	case "fle-encrypted-fields":
		return escaped(dst, r.FLEEncryptedFields)
	case "fle-status":
		return escaped(dst, r.FLEStatus)
	case "sc-content-type":
		return escaped(dst, r.ContentType)
	case "sc-content-len":
		if r.ContentLength >= 0 {
			dst = strconv.AppendInt(dst, r.ContentLength, 10)
		}
		return dst
	case "sc-range-start":
		if r.HasRange {
			dst = strconv.AppendInt(dst, r.RangeStart, 10)
		}
		return dst
	case "sc-range-end":
		if r.HasRange {
			dst = strconv.AppendInt(dst, r.RangeEnd, 10)
		}
		return dst
	case "c-country":
		return escaped(dst, req.Country)
	case "cs-accept-encoding":
		return escaped(dst, req.Header.Get("Accept-Encoding"))
	case "cs-accept":
		return escaped(dst, req.Header.Get("Accept"))
	case "cache-behavior-path-pattern":
		return escaped(dst, req.PathPattern)
	case "cs-headers":
		return appendHeaders(dst, req.Header, req.hostOutside(), true)
	case "cs-header-names":
		return appendHeaders(dst, req.Header, req.hostOutside(), false)
	case "cs-headers-count":
		n := 0
		for _, vs := range req.Header {
			n += len(vs)
		}
		if req.hostOutside() != "" {
			n++
		}
		return strconv.AppendInt(dst, int64(n), 10)
	case "primary-distribution-id":
		return escaped(dst, req.DistributionID)
	case "primary-distribution-dns-name":
		return escaped(dst, req.DistributionDomain)
	case "origin-fbl":
		if req.OriginFirstByte > 0 {
			dst = appendSeconds(dst, req.OriginFirstByte)
		}
		return dst
	case "origin-lbl":
		if req.OriginLastByte > 0 {
			dst = appendSeconds(dst, req.OriginLastByte)
		}
		return dst
	case "asn":
		if req.ASN > 0 {
			dst = strconv.AppendUint(dst, uint64(req.ASN), 10)
		}
		return dst
	}
	return dst
}

// hostOutside is the viewer's Host when net/http kept it out of the
// header map (Request.Host, here Record.HostHeader), else "": the
// cs-headers fields are every header of the viewer request ("Real-time
// log configuration fields", cs-headers), Host included.
func (req *Request) hostOutside() string {
	if _, ok := req.Header["Host"]; ok {
		return ""
	}
	return req.HostHeader
}

// appendHeaders appends the viewer's headers, with host as its Host when
// not "", as "name:value" (or the names), one per line, URL-encoded and
// cut to maxHeaderFieldBytes. Names are in lower case, as HTTP/2 and
// HTTP/3 carry them, and sorted: the order on the wire is not kept by
// net/http.
func appendHeaders(dst []byte, h http.Header, host string, values bool) []byte {
	names := make([]string, 0, len(h)+1)
	for name := range h {
		names = append(names, name)
	}
	if host != "" {
		names = append(names, "Host")
	}
	slices.Sort(names)
	var raw []byte
	for _, name := range names {
		vs := h[name]
		if name == "Host" && host != "" {
			vs = []string{host}
		}
		for _, v := range vs {
			if len(raw) > 0 {
				raw = append(raw, '\n')
			}
			raw = append(raw, strings.ToLower(name)...)
			if values {
				raw = append(raw, ':')
				raw = append(raw, v...)
			} else {
				break // a name once
			}
		}
	}
	if len(raw) > maxHeaderFieldBytes {
		raw = raw[:maxHeaderFieldBytes]
	}
	return accesslog.AppendEscaped(dst, string(raw))
}

func escaped(dst []byte, s string) []byte {
	if s == "" {
		return dst
	}
	return accesslog.AppendEscaped(dst, s)
}

// appendSeconds writes d in seconds with 3 decimals, e.g. 0.002.
func appendSeconds(dst []byte, d time.Duration) []byte {
	if d < 0 {
		d = 0
	}
	ms := d.Milliseconds()
	dst = strconv.AppendInt(dst, ms/1000, 10)
	frac := ms % 1000
	return append(dst, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}
