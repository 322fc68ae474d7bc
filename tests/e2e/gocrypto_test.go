package e2e

import (
	"crypto/aes"
	"crypto/subtle"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"math/big"
)

// The reference computations Go's standard library lacks, written from
// their specifications, so that no result is checked with the module
// under test.

// ecdsaDER turns a PKCS#11 ECDSA signature (r||s, equal halves) into the
// ASN.1 form Go verifies.
func ecdsaDER(sig []byte) ([]byte, error) {
	if len(sig) == 0 || len(sig)%2 != 0 {
		return nil, errors.New("ECDSA signature of odd length")
	}
	half := len(sig) / 2
	return asn1.Marshal(struct{ R, S *big.Int }{
		new(big.Int).SetBytes(sig[:half]), new(big.Int).SetBytes(sig[half:]),
	})
}

// aesKeyWrapIV is RFC 3394's default initial value.
var aesKeyWrapIV = []byte{0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6}

// aesKeyWrap is RFC 3394, section 2.2.1 (the index-based form).
func aesKeyWrap(kek, plain []byte) ([]byte, error) {
	if len(plain)%8 != 0 || len(plain) < 16 {
		return nil, errors.New("key wrap: input not a multiple of 8 bytes of at least 16")
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	n := len(plain) / 8
	a := append([]byte(nil), aesKeyWrapIV...)
	r := append([]byte(nil), plain...)
	buf := make([]byte, 16)
	for j := 0; j < 6; j++ {
		for i := 0; i < n; i++ {
			copy(buf, a)
			copy(buf[8:], r[i*8:i*8+8])
			block.Encrypt(buf, buf)
			t := uint64(n*j + i + 1)
			binary.BigEndian.PutUint64(a, binary.BigEndian.Uint64(buf[:8])^t)
			copy(r[i*8:], buf[8:])
		}
	}
	return append(a, r...), nil
}

// aesKeyUnwrap is RFC 3394, section 2.2.2, with the integrity check.
func aesKeyUnwrap(kek, wrapped []byte) ([]byte, error) {
	if len(wrapped)%8 != 0 || len(wrapped) < 24 {
		return nil, errors.New("key unwrap: input not a multiple of 8 bytes of at least 24")
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	n := len(wrapped)/8 - 1
	a := append([]byte(nil), wrapped[:8]...)
	r := append([]byte(nil), wrapped[8:]...)
	buf := make([]byte, 16)
	for j := 5; j >= 0; j-- {
		for i := n - 1; i >= 0; i-- {
			t := uint64(n*j + i + 1)
			binary.BigEndian.PutUint64(buf, binary.BigEndian.Uint64(a)^t)
			copy(buf[8:], r[i*8:i*8+8])
			block.Decrypt(buf, buf)
			copy(a, buf[:8])
			copy(r[i*8:], buf[8:])
		}
	}
	if subtle.ConstantTimeCompare(a, aesKeyWrapIV) != 1 {
		return nil, errors.New("key unwrap: integrity check failed")
	}
	return r, nil
}
