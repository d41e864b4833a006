package app

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
)

// firstStartInfo is what the first-start message tells.
type firstStartInfo struct {
	api, edge, edgeTLS net.Listener // edge and edgeTLS may be nil
	keyID, secret      string
}

// firstStart prints, once the listeners serve, what a new user needs:
// where things are, with absolute paths, and shell lines that work when
// pasted (the real API address, a region, the generated credentials file)
// for the AWS CLI and boto3, which both read AWS_ENDPOINT_URL ("Service-
// specific endpoints", AWS SDKs and Tools Reference Guide).
func firstStart(w io.Writer, s *Settings, info firstStartInfo) {
	dataDir := absolute(s.DataDir)
	creds := filepath.Join(dataDir, "credentials")
	api := "http://" + reachable(info.api.Addr())
	var b strings.Builder
	fmt.Fprintf(&b, "OpenFront is running (first start).\n\n")
	fmt.Fprintf(&b, "  API:       %s  (CloudFront and Lightsail APIs, /metrics)\n", api)
	fmt.Fprintf(&b, "  Console:   %s/console  (graphs of your traffic; log in with the credentials below)\n", api)
	if info.edge != nil {
		fmt.Fprintf(&b, "  Edge:      http://%s", reachable(info.edge.Addr()))
		if info.edgeTLS != nil {
			fmt.Fprintf(&b, "  and  https://%s", reachable(info.edgeTLS.Addr()))
		}
		fmt.Fprintf(&b, "  (each distribution on its DomainName, *.%s)\n", s.DomainSuffix)
	}
	if info.edgeTLS != nil {
		fmt.Fprintf(&b, "  Edge TLS certificate (self-signed, *.%s): %s\n", s.DomainSuffix, filepath.Join(dataDir, "edge-cert.pem"))
	}
	fmt.Fprintf(&b, "  Data dir:  %s\n\n", dataDir)
	fmt.Fprintf(&b, "Generated API credentials, kept in %s:\n", creds)
	fmt.Fprintf(&b, "  aws_access_key_id     = %s\n  aws_secret_access_key = %s\n\n", info.keyID, info.secret)
	fmt.Fprintf(&b, "Use them with the AWS CLI or boto3: paste these lines into a shell\n")
	fmt.Fprintf(&b, "(they unset other AWS credentials of that shell, which would win over the file):\n\n")
	fmt.Fprintf(&b, "  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE\n")
	fmt.Fprintf(&b, "  export AWS_SHARED_CREDENTIALS_FILE=%s\n", shellQuote(creds))
	fmt.Fprintf(&b, "  export AWS_DEFAULT_REGION=us-east-1\n")
	fmt.Fprintf(&b, "  export AWS_ENDPOINT_URL=%s\n", api)
	fmt.Fprintf(&b, "  aws cloudfront list-distributions\n\n")
	io.WriteString(w, b.String())
}

// absolute is path made absolute (as given when that fails).
func absolute(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// reachable is a listener's address as a client on this host dials it:
// an unspecified address (":4580", "0.0.0.0", "[::]") becomes 127.0.0.1.
func reachable(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1) // Go's "[::]" listeners take IPv4 too
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:=,@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
