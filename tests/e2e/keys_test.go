package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"math/big"
	"testing"

	"github.com/miekg/pkcs11"
	"github.com/stretchr/testify/require"
)

// PKCS#11 v3.0 names github.com/miekg/pkcs11 v1.1.2 lacks.
const (
	ckkECEdwards            = 0x00000040
	ckmECEdwardsKeyPairGen  = 0x00001055
	ckmEdDSA                = 0x00001057
	ckmSHA3_256             = 0x000002b0
	ckaUnknownForEveryToken = 0x7ffffff0 // below CKA_VENDOR_DEFINED, defined by no version
)

// curve is a named curve as PKCS#11 and Go know it.
type curve struct {
	name    string
	oid     asn1.ObjectIdentifier
	goCurve elliptic.Curve
	bytes   int         // size of a scalar, for raw r||s signatures
	hash    crypto.Hash // the hash that goes with the curve
}

var curves = []curve{
	{"P-256", asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}, elliptic.P256(), 32, crypto.SHA256},
	{"P-384", asn1.ObjectIdentifier{1, 3, 132, 0, 34}, elliptic.P384(), 48, crypto.SHA384},
	{"P-521", asn1.ObjectIdentifier{1, 3, 132, 0, 35}, elliptic.P521(), 66, crypto.SHA512},
}

var ed25519OID = asn1.ObjectIdentifier{1, 3, 101, 112}

func mech(m uint, param any) []*pkcs11.Mechanism {
	return []*pkcs11.Mechanism{pkcs11.NewMechanism(m, param)}
}

func attrs(a ...*pkcs11.Attribute) []*pkcs11.Attribute { return a }

func attr(typ uint, v any) *pkcs11.Attribute { return pkcs11.NewAttribute(typ, v) }

// rsaPair generates an RSA session key pair; the public key is returned
// as Go sees it, read from CKA_MODULUS and CKA_PUBLIC_EXPONENT.
func (tok *token) rsaPair(t testing.TB, bits int, label string) (pub, priv pkcs11.ObjectHandle, key *rsa.PublicKey) {
	t.Helper()
	pub, priv, err := tok.ctx.GenerateKeyPair(tok.sh, mech(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN, nil),
		attrs(attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_MODULUS_BITS, bits),
			attr(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}), attr(pkcs11.CKA_LABEL, label),
			attr(pkcs11.CKA_VERIFY, true), attr(pkcs11.CKA_ENCRYPT, true), attr(pkcs11.CKA_WRAP, true)),
		attrs(attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_SENSITIVE, true),
			attr(pkcs11.CKA_LABEL, label), attr(pkcs11.CKA_SIGN, true), attr(pkcs11.CKA_DECRYPT, true),
			attr(pkcs11.CKA_UNWRAP, true)))
	require.NoError(t, err, "RSA-%d key pair", bits)
	return pub, priv, tok.rsaPublic(t, pub)
}

func (tok *token) rsaPublic(t testing.TB, pub pkcs11.ObjectHandle) *rsa.PublicKey {
	t.Helper()
	n := new(big.Int).SetBytes(tok.attr(t, pub, pkcs11.CKA_MODULUS))
	e := new(big.Int).SetBytes(tok.attr(t, pub, pkcs11.CKA_PUBLIC_EXPONENT))
	require.True(t, e.IsInt64() && e.Int64() > 1 && e.Int64() < 1<<31, "public exponent %v", e)
	return &rsa.PublicKey{N: n, E: int(e.Int64())}
}

// ecPair generates an EC session key pair on c; derive adds CKA_DERIVE.
func (tok *token) ecPair(t testing.TB, c curve, label string, derive bool) (pub, priv pkcs11.ObjectHandle, key *ecdsa.PublicKey) {
	t.Helper()
	params, err := asn1.Marshal(c.oid)
	require.NoError(t, err)
	pub, priv, err = tok.ctx.GenerateKeyPair(tok.sh, mech(pkcs11.CKM_EC_KEY_PAIR_GEN, nil),
		attrs(attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_EC_PARAMS, params), attr(pkcs11.CKA_VERIFY, true),
			attr(pkcs11.CKA_LABEL, label)),
		attrs(attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_SENSITIVE, true),
			attr(pkcs11.CKA_SIGN, true), attr(pkcs11.CKA_DERIVE, derive), attr(pkcs11.CKA_LABEL, label)))
	require.NoError(t, err, "EC %s key pair", c.name)
	key, err = ecdsa.ParseUncompressedPublicKey(c.goCurve, tok.ecPoint(t, pub))
	require.NoError(t, err, "CKA_EC_POINT of %s", c.name)
	return pub, priv, key
}

// ecPoint is CKA_EC_POINT without its DER OCTET STRING wrapping.
func (tok *token) ecPoint(t testing.TB, pub pkcs11.ObjectHandle) []byte {
	t.Helper()
	var point []byte
	rest, err := asn1.Unmarshal(tok.attr(t, pub, pkcs11.CKA_EC_POINT), &point)
	require.NoError(t, err, "CKA_EC_POINT is a DER OCTET STRING")
	require.Empty(t, rest)
	return point
}

// ed25519Pair generates an Ed25519 session key pair.
func (tok *token) ed25519Pair(t testing.TB, label string) (pub, priv pkcs11.ObjectHandle, key ed25519.PublicKey) {
	t.Helper()
	params, err := asn1.Marshal(ed25519OID)
	require.NoError(t, err)
	pub, priv, err = tok.ctx.GenerateKeyPair(tok.sh, mech(ckmECEdwardsKeyPairGen, nil),
		attrs(attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_EC_PARAMS, params), attr(pkcs11.CKA_VERIFY, true),
			attr(pkcs11.CKA_LABEL, label)),
		attrs(attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_SENSITIVE, true),
			attr(pkcs11.CKA_SIGN, true), attr(pkcs11.CKA_LABEL, label)))
	require.NoError(t, err, "Ed25519 key pair")
	point := tok.ecPoint(t, pub)
	require.Len(t, point, ed25519.PublicKeySize)
	return pub, priv, ed25519.PublicKey(point)
}

// secretKey generates a secret key with mechanism gen (CKM_AES_KEY_GEN,
// CKM_GENERIC_SECRET_KEY_GEN) of size bytes. It is extractable and not
// sensitive, so that the test can check results with Go's crypto on its
// value, which is returned.
func (tok *token) secretKey(t testing.TB, gen uint, size int, label string, extra ...*pkcs11.Attribute) (pkcs11.ObjectHandle, []byte) {
	t.Helper()
	tmpl := attrs(attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_VALUE_LEN, size), attr(pkcs11.CKA_LABEL, label),
		attr(pkcs11.CKA_SENSITIVE, false), attr(pkcs11.CKA_EXTRACTABLE, true),
		attr(pkcs11.CKA_ENCRYPT, true), attr(pkcs11.CKA_DECRYPT, true),
		attr(pkcs11.CKA_SIGN, true), attr(pkcs11.CKA_VERIFY, true),
		attr(pkcs11.CKA_WRAP, true), attr(pkcs11.CKA_UNWRAP, true))
	key, err := tok.ctx.GenerateKey(tok.sh, mech(gen, nil), append(tmpl, extra...))
	require.NoError(t, err, "secret key generation 0x%x, %d bytes", gen, size)
	value := tok.attr(t, key, pkcs11.CKA_VALUE)
	require.Len(t, value, size)
	return key, value
}

// importRSA stores a key pair made by Go as session objects, so that the
// module's results can be checked with Go's private key.
func (tok *token) importRSA(t testing.TB, label string) (pub, priv pkcs11.ObjectHandle, key *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	key.Precompute()
	e := big.NewInt(int64(key.E)).Bytes()
	pub, err = tok.ctx.CreateObject(tok.sh, attrs(attr(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
		attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA), attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_LABEL, label),
		attr(pkcs11.CKA_MODULUS, key.N.Bytes()), attr(pkcs11.CKA_PUBLIC_EXPONENT, e),
		attr(pkcs11.CKA_ENCRYPT, true), attr(pkcs11.CKA_VERIFY, true), attr(pkcs11.CKA_WRAP, true)))
	require.NoError(t, err, "C_CreateObject RSA public key")
	priv, err = tok.ctx.CreateObject(tok.sh, attrs(attr(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA), attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_LABEL, label),
		attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_SENSITIVE, true),
		attr(pkcs11.CKA_MODULUS, key.N.Bytes()), attr(pkcs11.CKA_PUBLIC_EXPONENT, e),
		attr(pkcs11.CKA_PRIVATE_EXPONENT, key.D.Bytes()),
		attr(pkcs11.CKA_PRIME_1, key.Primes[0].Bytes()), attr(pkcs11.CKA_PRIME_2, key.Primes[1].Bytes()),
		attr(pkcs11.CKA_EXPONENT_1, key.Precomputed.Dp.Bytes()), attr(pkcs11.CKA_EXPONENT_2, key.Precomputed.Dq.Bytes()),
		attr(pkcs11.CKA_COEFFICIENT, key.Precomputed.Qinv.Bytes()),
		attr(pkcs11.CKA_DECRYPT, true), attr(pkcs11.CKA_SIGN, true), attr(pkcs11.CKA_UNWRAP, true)))
	require.NoError(t, err, "C_CreateObject RSA private key")
	return pub, priv, key
}

// digest hashes msg with h.
func digest(h crypto.Hash, msg []byte) []byte {
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}
