package fle

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

func privateKey(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

func testProfile(t testing.TB, patterns ...string) *Profile {
	return &Profile{ID: "P1", Entities: []Entity{{Key: &privateKey(t).PublicKey, KeyName: "DEMOKEY", ProviderID: "DEMO", Patterns: patterns}}}
}

// open decrypts a message as an AWS Encryption SDK would (format version
// 1, the suite and framing seal writes), checking every length and tag.
func open(msg []byte, key *rsa.PrivateKey) (provider, keyName string, plain []byte, err error) {
	r := bytes.NewReader(msg)
	read := func(n int) []byte {
		b := make([]byte, n)
		if _, e := io.ReadFull(r, b); e != nil && err == nil {
			err = e
		}
		return b
	}
	u16 := func() int { return int(binary.BigEndian.Uint16(read(2))) }
	u32 := func() uint32 { return binary.BigEndian.Uint32(read(4)) }
	if h := read(4); !bytes.Equal(h, []byte{1, 0x80, 0x01, 0x78}) {
		return "", "", nil, errors.New("bad version, type or suite")
	}
	id := read(16)
	read(u16()) // encryption context
	if u16() != 1 {
		return "", "", nil, errors.New("want one data key")
	}
	provider, keyName = string(read(u16())), string(read(u16()))
	wrapped := read(u16())
	if b := read(6); !bytes.Equal(b, []byte{2, 0, 0, 0, 0, 12}) {
		return "", "", nil, errors.New("bad content type, reserved or IV length")
	}
	frame := int(u32())
	header := msg[:len(msg)-r.Len()]
	headerIV, headerTag := read(12), read(16)
	if err != nil {
		return "", "", nil, err
	}
	dk, err := rsa.DecryptOAEP(sha256.New(), nil, key, wrapped, nil)
	if err != nil {
		return "", "", nil, err
	}
	info := append([]byte{0x01, 0x78}, id...)
	ck, _ := hkdf.Key(sha256.New, dk, nil, string(info), 32)
	block, _ := aes.NewCipher(ck)
	gcm, _ := cipher.NewGCM(block)
	if _, err := gcm.Open(nil, headerIV, headerTag, header); err != nil {
		return "", "", nil, err
	}
	for seq := uint32(1); ; seq++ {
		s := u32()
		final := s == finalFrameEnd
		if final {
			s = u32()
		}
		if s != seq {
			return "", "", nil, errors.New("frame out of sequence")
		}
		iv := read(12)
		n := frame
		if final {
			n = int(u32())
		}
		ct := read(n + 16)
		if err != nil {
			return "", "", nil, err
		}
		name := aadFrame
		if final {
			name = aadFinalFrame
		}
		aad := append(append(append([]byte{}, id...), name...), binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(nil, seq), uint64(n))...)
		p, err := gcm.Open(nil, iv, ct, aad)
		if err != nil {
			return "", "", nil, err
		}
		plain = append(plain, p...)
		if final {
			if r.Len() != 0 {
				return "", "", nil, errors.New("bytes after the final frame")
			}
			return provider, keyName, plain, nil
		}
	}
}

func decryptValue(t *testing.T, v string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatalf("not base64: %v", err)
	}
	provider, keyName, plain, err := open(raw, privateKey(t))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if provider != "DEMO" || keyName != "DEMOKEY" {
		t.Fatalf("master key %s/%s", provider, keyName)
	}
	return string(plain)
}

func TestSeal_roundTripsEveryFrameBoundary(t *testing.T) {
	for _, n := range []int{0, 1, frameLen - 1, frameLen, frameLen + 1, 2 * frameLen, MaxFieldValue} {
		plain := bytes.Repeat([]byte{'x'}, n)
		msg, err := seal(plain, &privateKey(t).PublicKey, "DEMO", "DEMOKEY", rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		_, _, got, err := open(msg, privateKey(t))
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%d bytes: err %v, got %d bytes", n, err, len(got))
		}
		msg[len(msg)-1] ^= 1
		if _, _, _, err := open(msg, privateKey(t)); err == nil {
			t.Fatalf("%d bytes: a flipped tag bit still opened", n)
		}
	}
}

// TestEncryptForm: which fields are encrypted and what happens to hostile
// bodies (encodings, duplicates, separators, oversize, truncated escapes).
func TestEncryptForm(t *testing.T) {
	big := strings.Repeat("a", MaxFieldValue+1)
	tests := []struct {
		name, body string
		encrypted  map[int]string // index of the field -> its plaintext
		err        error
	}{
		{"plain match", "name=Ann&card=4111", map[int]string{1: "4111"}, nil},
		{"prefix pattern", "ssn_last4=1234&ssnx=9", map[int]string{0: "1234", 1: "9"}, nil},
		{"case sensitive", "Card=4111&CARD=1", nil, nil},
		{"percent-encoded name matches", "c%61rd=4111", map[int]string{0: "4111"}, nil},
		{"plus is a space in the value", "card=41+11%2B", map[int]string{0: "41 11+"}, nil},
		{"duplicate fields each encrypted", "card=1&card=2", map[int]string{0: "1", 1: "2"}, nil},
		{"empty value", "card=", map[int]string{0: ""}, nil},
		{"name without =", "card&x=1", map[int]string{0: ""}, nil},
		{"empty pairs kept", "&&card=1&", map[int]string{2: "1"}, nil},
		{"no match", "a=1&b=2", nil, nil},
		{"empty body", "", nil, nil},
		{"utf-8 value", "card=%C3%BC%E2%82%AC", map[int]string{0: "ü€"}, nil},
		{"invalid escape in value", "card=%ZZ", nil, ErrMalformed},
		{"invalid escape in an unmatched name", "c%ard=1", nil, ErrMalformed},
		{"truncated escape", "card=12%4", nil, ErrMalformed},
		{"semicolon separator", "x=1;card=4111", nil, ErrMalformed},
		{"eleven fields", strings.Repeat("card=1&", 10) + "card=1", nil, ErrTooManyFields},
		{"field over 16 KB", "card=" + big, nil, ErrFieldTooLong},
		{"body over 1 MB", "x=" + strings.Repeat("a", MaxBody), nil, ErrBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := EncryptForm([]byte(tt.body), testProfile(t, "card", "ssn*"), rand.Reader)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if tt.err != nil {
				return
			}
			in, got := strings.Split(tt.body, "&"), strings.Split(string(out), "&")
			if len(in) != len(got) {
				t.Fatalf("%d pairs in, %d out: %q", len(in), len(got), out)
			}
			for i := range in {
				plain, enc := tt.encrypted[i]
				if !enc {
					if got[i] != in[i] {
						t.Errorf("pair %d changed: %q -> %q", i, in[i], got[i])
					}
					continue
				}
				name, value, _ := strings.Cut(got[i], "=")
				inName, _, _ := strings.Cut(in[i], "=")
				if name != inName {
					t.Errorf("pair %d name %q, want %q", i, name, inName)
				}
				v, err := url.QueryUnescape(value)
				if err != nil {
					t.Fatal(err)
				}
				if p := decryptValue(t, v); p != plain {
					t.Errorf("pair %d decrypts to %q, want %q", i, p, plain)
				}
			}
		})
	}
}

func TestReadBody_stopsAtTheLimit(t *testing.T) {
	r := &countingReader{r: io.LimitReader(zeros{}, 10*MaxBody)}
	if _, err := ReadBody(r); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err %v", err)
	}
	if r.n > MaxBody+1+32*1024 {
		t.Errorf("read %d bytes of an oversize body", r.n)
	}
	if _, err := ReadBody(iotest.ErrReader(io.ErrUnexpectedEOF)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a truncated body: err %v", err)
	}
	if b, err := ReadBody(iotest.OneByteReader(strings.NewReader("card=1"))); err != nil || string(b) != "card=1" {
		t.Errorf("a slow body: %q %v", b, err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestSelect(t *testing.T) {
	p, q := &Profile{ID: "ct"}, &Profile{ID: "qa"}
	cfg := &Config{ContentTypes: map[string]*Profile{FormContentType: p}, QueryArgs: map[string]*Profile{"cards": q}}
	tests := []struct {
		name, ct, query string
		fwdCT, fwdQA    bool
		want            *Profile
		refuse          bool
	}{
		{"form", "application/x-www-form-urlencoded", "", false, false, p, false},
		{"form with charset, any case", "Application/X-WWW-Form-Urlencoded; charset=UTF-8", "", false, false, p, false},
		{"unknown type blocked", "application/json", "", false, false, nil, true},
		{"unknown type forwarded", "application/json", "", true, false, nil, false},
		{"no type blocked", "", "", false, false, nil, true},
		{"query arg overrides", "application/json", "a=1&fle-profile=cards", false, false, q, false},
		{"encoded query arg", "", "fle%2Dprofile=c%61rds", false, false, q, false},
		{"unknown query arg blocked", "application/x-www-form-urlencoded", "fle-profile=nope", false, false, nil, true},
		{"unknown query arg forwarded unencrypted", "application/x-www-form-urlencoded", "fle-profile=nope", false, true, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *cfg
			c.ForwardUnknownContentType, c.ForwardUnknownQueryArg = tt.fwdCT, tt.fwdQA
			got, refuse := c.Select(tt.ct, tt.query)
			if got != tt.want || refuse != tt.refuse {
				t.Errorf("got %v refuse=%v, want %v refuse=%v", got, refuse, tt.want, tt.refuse)
			}
		})
	}
}

// FuzzEncryptForm: whatever the body, EncryptForm either refuses it or
// returns a body with the same pairs, unmatched ones byte for byte, and
// every matched field decrypting to its decoded value.
func FuzzEncryptForm(f *testing.F) {
	for _, s := range []string{"name=Ann&card=4111", "card=%ZZ", "c%61rd=1&card=2", "&&=&card", "x=1;card=2", "card=+%2B%20", "ssn1=a&ssn2=b"} {
		f.Add([]byte(s))
	}
	prof := testProfile(f, "card", "ssn*")
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := EncryptForm(body, prof, rand.Reader)
		if err != nil {
			return
		}
		in, got := strings.Split(string(body), "&"), strings.Split(string(out), "&")
		if len(in) != len(got) {
			t.Fatalf("%d pairs in, %d out", len(in), len(got))
		}
		for i := range in {
			rawName, rawValue, _ := strings.Cut(in[i], "=")
			name, _ := url.QueryUnescape(rawName)
			if prof.entityFor(name) == nil || in[i] == "" {
				if got[i] != in[i] {
					t.Fatalf("unmatched pair %q changed to %q", in[i], got[i])
				}
				continue
			}
			want, _ := url.QueryUnescape(rawValue)
			_, v, _ := strings.Cut(got[i], "=")
			dv, err := url.QueryUnescape(v)
			if err != nil {
				t.Fatal(err)
			}
			if p := decryptValue(t, dv); p != want {
				t.Fatalf("field %q decrypts to %q, want %q", name, p, want)
			}
		}
	})
}

// FuzzSelect: any content type and query string decide without panicking,
// and a query naming a known fle-profile always selects its profile,
// whatever precedes it.
func FuzzSelect(f *testing.F) {
	for _, s := range [][2]string{{"application/x-www-form-urlencoded", ""}, {"text/plain; charset=\"", "fle-profile=%"}, {"", "a&&=&fle-profile"}, {";;", "fle%2dprofile=cards"}} {
		f.Add(s[0], s[1])
	}
	p, q := &Profile{ID: "ct"}, &Profile{ID: "qa"}
	cfg := &Config{ContentTypes: map[string]*Profile{FormContentType: p}, QueryArgs: map[string]*Profile{"cards": q}}
	f.Fuzz(func(t *testing.T, contentType, query string) {
		got, refuse := cfg.Select(contentType, query)
		if refuse && got != nil {
			t.Fatal("refused with a profile")
		}
		if _, named := queryValue(query, QueryArg); named {
			return // the fuzzed query names a profile first
		}
		if got, refuse := cfg.Select(contentType, query+"&fle-profile=cards"); got != q || refuse {
			t.Fatalf("fle-profile=cards after %q selected %v (refuse=%v)", query, got, refuse)
		}
	})
}
