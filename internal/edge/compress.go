package edge

import (
	"io"
	"mime"
	"net/http"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
)

// compressibleTypes are the content types CloudFront compresses ("Serve
// compressed files", AWS CloudFront Developer Guide,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ServingCompressedFiles.html).
var compressibleTypes = map[string]bool{}

func init() {
	for _, t := range []string{
		"application/dash+xml", "application/eot", "application/font", "application/font-sfnt", "application/javascript",
		"application/json", "application/opentype", "application/otf", "application/pkcs7-mime", "application/protobuf",
		"application/rss+xml", "application/truetype", "application/ttf", "application/vnd.apple.mpegurl",
		"application/vnd.mapbox-vector-tile", "application/vnd.ms-fontobject", "application/xhtml+xml", "application/xml",
		"application/x-font-opentype", "application/x-font-truetype", "application/x-font-ttf", "application/x-httpd-cgi",
		"application/x-javascript", "application/x-mpegurl", "application/x-opentype", "application/x-otf", "application/x-perl",
		"application/x-ttf", "font/eot", "font/opentype", "font/otf", "font/ttf", "image/svg+xml", "text/css", "text/csv",
		"text/html", "text/javascript", "text/js", "text/plain", "text/richtext", "text/tab-separated-values", "text/xml",
		"text/x-component", "text/x-java-source", "text/x-script", "vnd.apple.mpegurl",
	} {
		compressibleTypes[t] = true
	}
}

// compression returns the encoding ("br" or "gzip") the edge applies to
// this response, or "" ("Serve compressed files": Compress on, a viewer that
// accepts it, not HTTP/1.0, not already encoded, 1,000 to 10,000,000
// bytes, status 200/403/404, a listed content type, caching on).
func (x *exchange) compression(status int, h http.Header, size int64) string {
	p := x.beh.Policy
	if !x.beh.Compress || !p.Compressible() || x.key == "" {
		return ""
	}
	if x.r.ProtoMajor == 1 && x.r.ProtoMinor == 0 {
		return ""
	}
	if status != http.StatusOK && status != http.StatusForbidden && status != http.StatusNotFound {
		return ""
	}
	if _, encoded := h["Content-Encoding"]; encoded {
		return ""
	}
	if size < 1000 || size > 10_000_000 {
		return ""
	}
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || !compressibleTypes[mt] {
		return ""
	}
	switch p.NormalizedAcceptEncoding(x.r.Header) {
	case "br,gzip", "br":
		return "br"
	case "gzip":
		return "gzip"
	}
	return ""
}

// compress returns the body encoded on the fly; compression happens once,
// at fill time, and the encoded variant is what the cache stores.
func compress(body io.ReadCloser, enc string) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		var zw io.WriteCloser
		if enc == "br" {
			zw = brotli.NewWriterLevel(pw, 5)
		} else {
			zw, _ = gzip.NewWriterLevel(pw, 6)
		}
		_, err := io.Copy(zw, body)
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
		body.Close()
		pw.CloseWithError(err)
	}()
	return pr
}
