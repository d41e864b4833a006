package tlsconfig

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// FileBase is the file name (without extension) under which the operator
// supplies the certificate of an ACMCertificateArn or IAMCertificateId:
// the name with every ':' written '_' and every '/' written '+', so
// arn:aws:acm:us-east-1:123456789012:certificate/0a1b... is
// arn_aws_acm_us-east-1_123456789012_certificate+0a1b.... A name may hold
// only ASCII letters, digits, '-', ':' and '/' (ARNs and IAM ids do), so
// the mapping is one-to-one and never leaves the directory. A Lightsail
// certificate name (LightsailCertificate) may also hold '_' but not ':',
// so under the "lightsail+" prefix '_' is unambiguous.
func FileBase(name string) (string, error) {
	if name == "" || len(name) > 2048 {
		return "", errors.New("certificate name is empty or too long")
	}
	lightsail := strings.HasPrefix(name, lightsailPrefix)
	b := []byte(name)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_' && lightsail:
		case c == ':' && !lightsail:
			b[i] = '_'
		case c == '/':
			b[i] = '+'
		default:
			return "", fmt.Errorf("certificate name %q has a character (%q) that no ARN or IAM certificate id has", name, c)
		}
	}
	return string(b), nil
}

const lightsailPrefix = "lightsail/"

// LightsailCertificate is the name, among the operator's certificates, of
// a Lightsail distribution's certificateName: its files are
// lightsail+<certificateName>.crt and .key. (Lightsail certificates are
// resources of their own, created with CreateCertificate, "Amazon
// Lightsail API Reference"; OpenFront takes them from the certificate
// directory, as it does ACM and IAM certificates.)
func LightsailCertificate(certificateName string) string { return lightsailPrefix + certificateName }

// Store reads the operator's certificates from a directory: for each name,
// <FileBase(name)>.crt (the PEM certificate chain, leaf first) and
// <FileBase(name)>.key (its PEM private key). Files are re-read when they
// change, at most once per second per name, so a renewed certificate is
// served without a restart.
type Store struct {
	dir string
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	cert    *tls.Certificate
	err     error
	stamp   [2]stamp // of the .crt and .key files
	checked time.Time
}

type stamp struct {
	mod  time.Time
	size int64
}

// recheckEvery bounds how often a certificate's files are looked at.
const recheckEvery = time.Second

// OpenStore returns a Store over dir (which must exist).
func OpenStore(dir string) (*Store, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	return &Store{dir: dir, now: time.Now, entries: map[string]*entry{}}, nil
}

// Dir is the directory the store reads.
func (s *Store) Dir() string { return s.dir }

// Paths are the certificate and key files of a name.
func (s *Store) Paths(name string) (certFile, keyFile string, err error) {
	base, err := FileBase(name)
	if err != nil {
		return "", "", err
	}
	return filepath.Join(s.dir, base+".crt"), filepath.Join(s.dir, base+".key"), nil
}

// Certificate returns the certificate of a name. The same pointer is
// returned until the files change, so callers may cache what they build
// from it.
func (s *Store) Certificate(name string) (*tls.Certificate, error) {
	certFile, keyFile, err := s.Paths(name)
	if err != nil {
		return nil, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[name]
	if e != nil && now.Sub(e.checked) < recheckEvery {
		return e.cert, e.err
	}
	stamps, statErr := stampsOf(certFile, keyFile)
	if e != nil && statErr == nil && e.err == nil && stamps == e.stamp {
		e.checked = now
		return e.cert, nil
	}
	e = &entry{checked: now, stamp: stamps}
	if statErr != nil {
		e.err = fmt.Errorf("certificate %q is not in the certificate directory (%s, %s): %w", name, filepath.Base(certFile), filepath.Base(keyFile), statErr)
	} else if cert, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		e.err = fmt.Errorf("certificate %q cannot be loaded: %w", name, err)
	} else {
		e.cert = &cert
	}
	if len(s.entries) > 4096 { // names come from stored configs; bound the map anyway
		clear(s.entries)
	}
	s.entries[name] = e
	return e.cert, e.err
}

func stampsOf(files ...string) (out [2]stamp, err error) {
	for i, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return out, err
		}
		out[i] = stamp{mod: st.ModTime(), size: st.Size()}
	}
	return out, nil
}

// maxRSABits is the largest RSA key CloudFront serves: "the maximum size
// of the public key in an SSL/TLS RSA certificate is 4096 bits" ("Determine
// the size of the public key in an SSL/TLS RSA certificate", CloudFront
// Developer Guide).
const maxRSABits = 4096

// Check tells whether a named certificate can serve a distribution with
// these aliases now: it exists, loads, has an RSA key of at most 4096
// bits (or another key type), is valid at this moment and covers every
// alias. The error says which, for CloudFront's InvalidViewerCertificate.
func (s *Store) Check(name string, aliases []string) error {
	_, err := s.checked(name, aliases)
	return err
}

// checked is Check, returning the certificate's leaf when it passes.
func (s *Store) checked(name string, aliases []string) (*x509.Certificate, error) {
	cert, err := s.Certificate(name)
	if err != nil {
		return nil, err
	}
	leaf, err := parsedLeaf(name, cert)
	if err != nil {
		return nil, err
	}
	if rsaKey, ok := leaf.PublicKey.(*rsa.PublicKey); ok && rsaKey.N.BitLen() > maxRSABits {
		return nil, fmt.Errorf("certificate %q has a %d-bit RSA key; CloudFront takes RSA keys of at most %d bits", name, rsaKey.N.BitLen(), maxRSABits)
	}
	now := s.now()
	if now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("certificate %q expired on %s", name, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return nil, fmt.Errorf("certificate %q is not valid before %s", name, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	for _, a := range aliases {
		if !Covers(leaf.DNSNames, a) {
			return nil, fmt.Errorf("certificate %q does not cover the alternate domain name %q (its names: %s)", name, a, strings.Join(leaf.DNSNames, ", "))
		}
	}
	return leaf, nil
}

// parsedLeaf is a loaded certificate's parsed leaf.
func parsedLeaf(name string, cert *tls.Certificate) (*x509.Certificate, error) {
	if cert.Leaf != nil {
		return cert.Leaf, nil
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("certificate %q does not parse: %w", name, err)
	}
	return leaf, nil
}

// Names returns the DNS names of the operator's certificate name (a
// certificate that passes Check): the domains a Lightsail distribution
// serves once the certificate is attached to it.
func (s *Store) Names(name string) ([]string, error) {
	leaf, err := s.checked(name, nil)
	if err != nil {
		return nil, err
	}
	return slices.Clone(leaf.DNSNames), nil
}

// Covers tells whether a certificate's DNS names cover a distribution's
// alias: the same name, or a wildcard name one label up ("*.example.com"
// covers "www.example.com", not "example.com" nor "a.b.example.com"). A
// wildcard alias needs the same wildcard name in the certificate
// ("Requirements for using alternate domain names", CloudFront Developer
// Guide). Comparison ignores case and a trailing dot.
func Covers(dnsNames []string, alias string) bool {
	alias = strings.ToLower(strings.TrimSuffix(alias, "."))
	if alias == "" {
		return false
	}
	for _, n := range dnsNames {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if n == alias {
			return true
		}
		suffix, ok := strings.CutPrefix(n, "*.")
		if !ok || suffix == "" || strings.HasPrefix(alias, "*") {
			continue
		}
		label, rest, ok := strings.Cut(alias, ".")
		if ok && label != "" && rest == suffix {
			return true
		}
	}
	return false
}
