package rtmp

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"io"
)

// handshakeSize is the size of C1/S1/C2/S2 (RTMP specification §5.2.3).
const handshakeSize = 1536

// serverHandshake runs the plain RTMP handshake (RTMP specification §5.2):
// read C0+C1, send S0+S1+S2 (S2 echoes C1), read C2. S1 carries a zero version field, which
// tells digest-handshake clients (Flash, ffmpeg) not to expect a digest;
// RTMPE (C0 = 6) is refused.
func serverHandshake(r *bufio.Reader, w *bufio.Writer) error {
	var c0c1 [1 + handshakeSize]byte
	if _, err := io.ReadFull(r, c0c1[:]); err != nil {
		return fmt.Errorf("handshake: read C0/C1: %w", err)
	}
	if c0c1[0] != 3 {
		return fmt.Errorf("handshake: unsupported RTMP version %d", c0c1[0])
	}
	var s1 [handshakeSize]byte
	if _, err := rand.Read(s1[8:]); err != nil {
		return err
	}
	w.WriteByte(3)
	w.Write(s1[:])
	w.Write(c0c1[1:])
	if err := w.Flush(); err != nil {
		return fmt.Errorf("handshake: write S0/S1/S2: %w", err)
	}
	if _, err := r.Discard(handshakeSize); err != nil {
		return fmt.Errorf("handshake: read C2: %w", err)
	}
	return nil
}
