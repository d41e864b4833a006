package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"openfront/internal/cache"
)

// An object file is laid out as
//
//	body (Meta.Size bytes) | blob | trailer
//
// blob    = uvarint len(key) | key | Meta.AppendBinary
// trailer = uint32 len(blob) | uint32 CRC-32C(blob) | magic (8 bytes)
//
// The body comes first so that body offsets are file offsets: a fill's
// readers follow the temporary file with the same offsets, and a hit can
// seek and sendfile without arithmetic. The trailer makes a truncated or
// half-written file detectable: its last bytes are not the magic.
const (
	magic       = "OFOBJv01"
	trailerSize = 4 + 4 + len(magic)
	// tailRead is how much of a file's end one read fetches on a lookup;
	// it holds the trailer and the blob of nearly every object.
	tailRead = 4096
	// maxBlob bounds the metadata blob (keys and headers are small).
	maxBlob = 1 << 20
)

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	errCorrupt = errors.New("disk cache: corrupt object file")
)

// appendTrailer appends blob and trailer for key and m to b.
func appendTrailer(b []byte, key string, m *cache.Meta) ([]byte, error) {
	start := len(b)
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	b, err := m.AppendBinary(b)
	if err != nil {
		return nil, err
	}
	blob := b[start:]
	if len(blob) > maxBlob {
		return nil, fmt.Errorf("disk cache: metadata of %d bytes too large", len(blob))
	}
	sum := crc32.Checksum(blob, castagnoli)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(blob)))
	b = binary.LittleEndian.AppendUint32(b, sum)
	return append(b, magic...), nil
}

// readMeta reads the key and metadata of an object file of the given size,
// and checks that the body length agrees with the file length.
func readMeta(f *os.File, size int64) (string, cache.Meta, error) {
	var m cache.Meta
	if size < int64(trailerSize) {
		return "", m, errCorrupt
	}
	n := min(size, tailRead)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, size-n); err != nil && !errors.Is(err, io.EOF) {
		return "", m, fmt.Errorf("read object trailer: %w", err)
	}
	tr := buf[len(buf)-trailerSize:]
	if string(tr[8:]) != magic {
		return "", m, errCorrupt
	}
	blobLen := int64(binary.LittleEndian.Uint32(tr[0:4]))
	sum := binary.LittleEndian.Uint32(tr[4:8])
	if blobLen > maxBlob || blobLen+int64(trailerSize) > size {
		return "", m, errCorrupt
	}
	var blob []byte
	if blobLen+int64(trailerSize) <= n {
		blob = buf[n-int64(trailerSize)-blobLen : n-int64(trailerSize)]
	} else {
		blob = make([]byte, blobLen)
		if _, err := f.ReadAt(blob, size-int64(trailerSize)-blobLen); err != nil {
			return "", m, fmt.Errorf("read object metadata: %w", err)
		}
	}
	if crc32.Checksum(blob, castagnoli) != sum {
		return "", m, errCorrupt
	}
	kl, k := binary.Uvarint(blob)
	if k <= 0 || kl > uint64(len(blob)-k) {
		return "", m, errCorrupt
	}
	key := string(blob[k : k+int(kl)])
	if err := m.UnmarshalBinary(blob[k+int(kl):]); err != nil {
		return "", m, errCorrupt
	}
	if m.Size < 0 || m.Size+blobLen+int64(trailerSize) != size {
		return "", m, errCorrupt
	}
	return key, m, nil
}
