package accesslog

import (
	"net/netip"
	"strconv"
	"time"
)

// Record is one access log line; the fields are in log order ("Standard
// logging reference", Log file fields). Empty strings are logged as "-".
type Record struct {
	Time                   time.Time     // 1–2 date, time: when the response finished (logged in UTC)
	EdgeLocation           string        // 3 x-edge-location, e.g. "DFW3"
	BytesSent              int64         // 4 sc-bytes: bytes sent to the viewer, headers included
	ClientIP               netip.Addr    // 5 c-ip: the TCP peer; "-" when invalid
	Method                 string        // 6 cs-method
	Host                   string        // 7 cs(Host): the distribution's dXXXX.cloudfront.net name
	URIStem                string        // 8 cs-uri-stem: path without query
	Status                 int           // 9 sc-status; 0 (viewer left before a response) logs "000"
	Referer                string        // 10 cs(Referer)
	UserAgent              string        // 11 cs(User-Agent)
	URIQuery               string        // 12 cs-uri-query, in full (signing parameters included)
	Cookie                 string        // 13 cs(Cookie): only with Logging.IncludeCookies
	EdgeResultType         string        // 14 x-edge-result-type: Hit, RefreshHit, Miss, Error, …
	RequestID              string        // 15 x-edge-request-id (X-Amz-Cf-Id)
	HostHeader             string        // 16 x-host-header: Host as sent by the viewer
	Protocol               string        // 17 cs-protocol: http, https, ws, wss
	BytesReceived          int64         // 18 cs-bytes: request bytes, headers included
	TimeTaken              time.Duration // 19 time-taken, logged in seconds with 3 decimals
	ForwardedFor           string        // 20 x-forwarded-for
	SSLProtocol            string        // 21 ssl-protocol, e.g. TLSv1.3
	SSLCipher              string        // 22 ssl-cipher, e.g. TLS_AES_128_GCM_SHA256
	EdgeResponseResultType string        // 23 x-edge-response-result-type
	ProtocolVersion        string        // 24 cs-protocol-version, e.g. HTTP/1.1
	FLEStatus              string        // 25 fle-status
	FLEEncryptedFields     string        // 26 fle-encrypted-fields
	ClientPort             int           // 27 c-port; 0 logs "-"
	TimeToFirstByte        time.Duration // 28 time-to-first-byte, seconds with 3 decimals
	EdgeDetailedResultType string        // 29 x-edge-detailed-result-type
	ContentType            string        // 30 sc-content-type
	ContentLength          int64         // 31 sc-content-len; < 0 (unknown, as in net/http) logs "-"
	HasRange               bool          // 32–33 are logged only when true
	RangeStart             int64         // 32 sc-range-start
	RangeEnd               int64         // 33 sc-range-end
}

// Fields names the 33 fields in order, as in the #Fields header line.
const Fields = "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end"

// Header is the two lines at the top of every log file.
const Header = "#Version: 1.0\n#Fields: " + Fields + "\n"

// Format returns rec as one log line: 33 tab-separated fields, without
// the trailing newline.
func Format(rec Record) []byte {
	return AppendFormat(make([]byte, 0, 512), rec)
}

// AppendFormat appends the line of rec (no newline) to dst.
func AppendFormat(dst []byte, rec Record) []byte {
	t := rec.Time.UTC()
	dst = t.AppendFormat(dst, "2006-01-02\t15:04:05")
	dst = appendField(dst, rec.EdgeLocation)
	dst = appendInt(dst, rec.BytesSent)
	dst = append(dst, '\t')
	if rec.ClientIP.IsValid() {
		dst = rec.ClientIP.AppendTo(dst)
	} else {
		dst = append(dst, '-')
	}
	dst = appendField(dst, rec.Method)
	dst = appendField(dst, rec.Host)
	dst = appendField(dst, rec.URIStem)
	dst = append(dst, '\t')
	if rec.Status <= 0 {
		dst = append(dst, "000"...)
	} else {
		dst = strconv.AppendInt(dst, int64(rec.Status), 10)
	}
	dst = appendField(dst, rec.Referer)
	dst = appendField(dst, rec.UserAgent)
	dst = appendField(dst, rec.URIQuery)
	dst = appendField(dst, rec.Cookie)
	dst = appendField(dst, rec.EdgeResultType)
	dst = appendField(dst, rec.RequestID)
	dst = appendField(dst, rec.HostHeader)
	dst = appendField(dst, rec.Protocol)
	dst = appendInt(dst, rec.BytesReceived)
	dst = appendSeconds(dst, rec.TimeTaken)
	dst = appendField(dst, rec.ForwardedFor)
	dst = appendField(dst, rec.SSLProtocol)
	dst = appendField(dst, rec.SSLCipher)
	dst = appendField(dst, rec.EdgeResponseResultType)
	dst = appendField(dst, rec.ProtocolVersion)
	dst = appendField(dst, rec.FLEStatus)
	dst = appendField(dst, rec.FLEEncryptedFields)
	if rec.ClientPort > 0 {
		dst = appendInt(dst, int64(rec.ClientPort))
	} else {
		dst = append(dst, "\t-"...)
	}
	dst = appendSeconds(dst, rec.TimeToFirstByte)
	dst = appendField(dst, rec.EdgeDetailedResultType)
	dst = appendField(dst, rec.ContentType)
	if rec.ContentLength >= 0 {
		dst = appendInt(dst, rec.ContentLength)
	} else {
		dst = append(dst, "\t-"...)
	}
	if rec.HasRange {
		dst = appendInt(dst, rec.RangeStart)
		dst = appendInt(dst, rec.RangeEnd)
	} else {
		dst = append(dst, "\t-\t-"...)
	}
	return dst
}

func appendInt(dst []byte, n int64) []byte {
	return strconv.AppendInt(append(dst, '\t'), n, 10)
}

// appendSeconds writes d in seconds with 3 decimals, e.g. 0.002.
func appendSeconds(dst []byte, d time.Duration) []byte {
	if d < 0 {
		d = 0
	}
	ms := d.Milliseconds()
	dst = strconv.AppendInt(append(dst, '\t'), ms/1000, 10)
	frac := ms % 1000
	return append(dst, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

// appendField writes a tab and s escaped, or "-" when s is empty.
func appendField(dst []byte, s string) []byte {
	dst = append(dst, '\t')
	if s == "" {
		return append(dst, '-')
	}
	return appendEscaped(dst, s)
}

const hexDigits = "0123456789ABCDEF"

// appendEscaped URL-encodes the bytes CloudFront encodes in log fields.
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if mustEscape(c) {
			dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

func mustEscape(c byte) bool {
	if c <= 32 || c >= 127 {
		return true
	}
	switch c {
	case '<', '>', '"', '#', '%', '{', '}', '|', '\\', '^', '~', '[', ']', '`', '\'':
		return true
	}
	return false
}

// AppendEscaped appends s URL-encoded as CloudFront encodes log fields
// (real-time logs use the same encoding: internal/realtimelog).
func AppendEscaped(dst []byte, s string) []byte { return appendEscaped(dst, s) }
