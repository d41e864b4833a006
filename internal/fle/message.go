package fle

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"io"
)

// The encrypted value of a field is an AWS Encryption SDK message
// ("Decrypting data fields at your origin", "Use field-level encryption to
// help protect sensitive data", Amazon CloudFront Developer Guide: CloudFront
// encrypts with the AWS Encryption SDK, with a master key made of the
// profile's provider name, the public key's name and the algorithm
// RSA/ECB/OAEPWithSHA-256AndMGF1Padding). The layout is the SDK's message
// format version 1 ("AWS Encryption SDK message format reference", AWS
// Encryption SDK Developer Guide): a header naming the algorithm suite and
// holding the data key wrapped under the RSA key, a header authentication
// tag, and the content in frames. Any SDK's raw RSA master key or keyring
// (provider id = ProviderId, key name = the public key's Name, OAEP with
// SHA-256 and MGF1 SHA-256) decrypts it.

const (
	messageVersion = 0x01
	// messageTypeCustomerAEAD is "customer authenticated encrypted data".
	messageTypeCustomerAEAD = 0x80
	// suiteAES256HKDFSHA256 is AES_256_GCM_IV12_TAG16_HKDF_SHA256: AES-256
	// GCM with a key derived by HKDF-SHA256 and no signature ("Supported
	// algorithm suites", AWS Encryption SDK Developer Guide).
	suiteAES256HKDFSHA256 = 0x0178
	contentFramed         = 0x02
	ivLen                 = 12
	tagLen                = 16
	dataKeyLen            = 32
	// frameLen is the SDK's default frame size.
	frameLen = 4096

	aadFrame      = "AWSKMSEncryptionClient Frame"
	aadFinalFrame = "AWSKMSEncryptionClient Final Frame"
	finalFrameEnd = 0xFFFFFFFF
)

// seal encrypts plaintext into an AWS Encryption SDK message whose data
// key is wrapped under key (RSA-OAEP, SHA-256, MGF1 SHA-256) for the
// master key (provider, keyName).
func seal(plaintext []byte, key *rsa.PublicKey, provider, keyName string, random io.Reader) ([]byte, error) {
	var dataKey [dataKeyLen]byte
	var messageID [16]byte
	if _, err := io.ReadFull(random, dataKey[:]); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(random, messageID[:]); err != nil {
		return nil, err
	}
	wrapped, err := rsa.EncryptOAEP(sha256.New(), random, key, dataKey[:], nil)
	if err != nil {
		return nil, err
	}
	// The content key: HKDF-SHA256 of the data key, no salt, info = the
	// algorithm id and the message id.
	info := binary.BigEndian.AppendUint16(nil, suiteAES256HKDFSHA256)
	info = append(info, messageID[:]...)
	contentKey, err := hkdf.Key(sha256.New, dataKey[:], nil, string(info), dataKeyLen)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(contentKey)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}

	out := make([]byte, 0, 64+len(provider)+len(keyName)+len(wrapped)+len(plaintext)+(len(plaintext)/frameLen+1)*(4+ivLen+tagLen+8))
	out = append(out, messageVersion, messageTypeCustomerAEAD)
	out = binary.BigEndian.AppendUint16(out, suiteAES256HKDFSHA256)
	out = append(out, messageID[:]...)
	out = binary.BigEndian.AppendUint16(out, 0) // no encryption context
	out = binary.BigEndian.AppendUint16(out, 1) // one encrypted data key
	out = appendField16(out, []byte(provider))
	out = appendField16(out, []byte(keyName))
	out = appendField16(out, wrapped)
	out = append(out, contentFramed, 0, 0, 0, 0, ivLen)
	out = binary.BigEndian.AppendUint32(out, frameLen)
	// Header authentication: the tag of the empty string under a zero IV
	// with the header as associated data.
	var zeroIV [ivLen]byte
	header := out
	out = append(out, zeroIV[:]...)
	out = gcm.Seal(out, zeroIV[:], nil, header)

	seq := uint32(1)
	for {
		n := min(len(plaintext), frameLen)
		final := len(plaintext) < frameLen
		iv := frameIV(seq)
		aadName := aadFrame
		if final {
			aadName = aadFinalFrame
			out = binary.BigEndian.AppendUint32(out, finalFrameEnd)
		}
		out = binary.BigEndian.AppendUint32(out, seq)
		out = append(out, iv[:]...)
		if final {
			out = binary.BigEndian.AppendUint32(out, uint32(n))
		}
		aad := make([]byte, 0, 16+len(aadName)+12)
		aad = append(aad, messageID[:]...)
		aad = append(aad, aadName...)
		aad = binary.BigEndian.AppendUint32(aad, seq)
		aad = binary.BigEndian.AppendUint64(aad, uint64(n))
		out = gcm.Seal(out, iv[:], plaintext[:n], aad)
		plaintext = plaintext[n:]
		if final {
			return out, nil
		}
		seq++
	}
}

// frameIV is the IV of frame seq: zeros, then the sequence number.
func frameIV(seq uint32) [ivLen]byte {
	var iv [ivLen]byte
	binary.BigEndian.PutUint32(iv[ivLen-4:], seq)
	return iv
}

func appendField16(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}
