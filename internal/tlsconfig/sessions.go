package tlsconfig

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"strings"
)

// Session resumption is bound to the SNI name and the certificate a
// session was made with: "the server MUST NOT accept the request to
// resume the session if the server_name extension contains a different
// name" (RFC 6066, section 3). crypto/tls checks the protocol version
// and cipher suite of a resumed session, not its name, and the edge
// serves every distribution from one listener, so without this a ticket
// from one distribution would resume under another's name, with the
// first one's certificate.
//
// How: every config the Selector builds has WrapSession and
// UnwrapSession hooks. WrapSession appends an entry to the session's
// Extra (crypto/tls carries it inside the encrypted ticket) naming the
// transport, the SNI name (lower case, without a trailing dot, as
// distributions are looked up) and the SHA-256 of the certificate's
// leaf; UnwrapSession decrypts the ticket and drops it (a full
// handshake follows) unless that entry matches this connection's
// transport, name and certificate. So a session resumes only under its
// own name and only while the name is served with the same certificate:
// another alias of the same distribution, another distribution, a
// renewed certificate or a name moved to a distribution with another
// certificate all get a full handshake.
//
// Why not per-certificate ticket keys: they would not separate the
// aliases of one distribution (nor distributions sharing the default
// certificate), and keys made per built config would change with every
// snapshot, dropping every session on each configuration change. The
// hooks keep one set of ticket keys for the whole edge (Selector.Base's,
// or the Selector's own automatically rotated ones) and cost an entry of
// 48 bytes plus the name in each ticket and one comparison per resumption attempt.

// sessionTag starts the Extra entry (its version is the last byte), so
// that it is recognised among entries other layers (quic-go) append.
const sessionTag = "openfront-sni\x00\x01"

// bindSessions sets c's session hooks for certificate cert.
func (s *Selector) bindSessions(c *tls.Config, cert *tls.Certificate, quic bool) {
	leaf := sha256.Sum256(cert.Certificate[0])
	transport := byte('t')
	if quic {
		transport = 'q'
	}
	keys := s.ticketKeys()
	c.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		// A resumed session's state may carry the entry already.
		extra := ss.Extra[:0:0]
		for _, e := range ss.Extra {
			if !bytes.HasPrefix(e, []byte(sessionTag)) {
				extra = append(extra, e)
			}
		}
		ss.Extra = append(extra, sessionBinding(transport, cs.ServerName, &leaf))
		return keys.EncryptTicket(cs, ss)
	}
	c.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		ss, err := keys.DecryptTicket(identity, cs)
		if err != nil || ss == nil {
			return nil, err
		}
		want := sessionBinding(transport, cs.ServerName, &leaf)
		for _, e := range ss.Extra {
			if bytes.Equal(e, want) {
				return ss, nil
			}
		}
		return nil, nil // (nil, nil): not resumed, a full handshake follows
	}
}

// sessionBinding is the Extra entry of a session made over a transport
// ('t' TCP, 'q' QUIC) for an SNI name and a certificate's leaf hash.
func sessionBinding(transport byte, serverName string, leaf *[sha256.Size]byte) []byte {
	name := strings.ToLower(strings.TrimSuffix(serverName, "."))
	b := make([]byte, 0, len(sessionTag)+1+sha256.Size+len(name))
	b = append(b, sessionTag...)
	b = append(b, transport)
	b = append(b, leaf[:]...)
	return append(b, name...)
}

// ticketKeys is the config whose session ticket keys encrypt every
// ticket: Base, or one of the Selector's own with crypto/tls's
// automatically rotated keys. (A built config's own keys would change
// whenever it is rebuilt.)
func (s *Selector) ticketKeys() *tls.Config {
	if s.Base != nil {
		return s.Base
	}
	s.ticketsOnce.Do(func() { s.tickets = &tls.Config{} })
	return s.tickets
}
