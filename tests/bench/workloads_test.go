package bench

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/miekg/pkcs11"
)

// allOperations is the default of -bench.ops, in table order.
const allOperations = OpECDSA + "," + OpRSA + "," + OpGCM + "," + OpRandom + "," + OpSession

// workload is one operation of the table.
type workload struct {
	id, title string
	// mechanism must be in the module's C_GetMechanismList; 0 for none.
	mechanism uint
	// perSession: each goroutine works on a session opened before the
	// clock starts. The session workload opens its own.
	perSession bool
	// newOp returns one goroutine's operation on session s; worker and
	// run make its inputs unique where they must be (GCM IVs).
	newOp func(m *loadedModule, s pkcs11.SessionHandle, worker int, run uint32) func() error
	// check runs the operation once and judges the answer with Go's crypto
	// and the harness's keys.
	check func(m *loadedModule, s pkcs11.SessionHandle, k *benchKeys) error
}

// The inputs of the sign workloads: a SHA-256 digest, and for RSA its
// DigestInfo, as an application signing a hash hands them to the module.
var (
	benchDigest = sha256.Sum256([]byte("cloudp11 bench"))
	// sha256DigestInfo is the DER prefix of a SHA-256 DigestInfo (RFC 8017
	// 9.2, note 1).
	sha256DigestInfo = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}
	benchDigestInfo  = append(append([]byte(nil), sha256DigestInfo...), benchDigest[:]...)
	benchPlaintext   = bytes.Repeat([]byte("cloudp11"), 1024/8)
)

const (
	gcmTagBits = 128
	gcmIVSize  = 12
	randomSize = 32
)

func workloads() []*workload {
	return []*workload{
		{
			id: OpECDSA, title: "ECDSA P-256 sign", mechanism: pkcs11.CKM_ECDSA, perSession: true,
			newOp: func(m *loadedModule, s pkcs11.SessionHandle, _ int, _ uint32) func() error {
				mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}
				return func() error { _, err := sign(m, s, mech, m.ecdsa, benchDigest[:]); return err }
			},
			check: func(m *loadedModule, s pkcs11.SessionHandle, k *benchKeys) error {
				sig, err := sign(m, s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}, m.ecdsa, benchDigest[:])
				if err != nil {
					return err
				}
				return k.verifyECDSA(benchDigest[:], sig)
			},
		},
		{
			id: OpRSA, title: "RSA-2048 sign (PKCS#1 v1.5)", mechanism: pkcs11.CKM_RSA_PKCS, perSession: true,
			newOp: func(m *loadedModule, s pkcs11.SessionHandle, _ int, _ uint32) func() error {
				mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil)}
				return func() error { _, err := sign(m, s, mech, m.rsa, benchDigestInfo); return err }
			},
			check: func(m *loadedModule, s pkcs11.SessionHandle, k *benchKeys) error {
				sig, err := sign(m, s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil)}, m.rsa, benchDigestInfo)
				if err != nil {
					return err
				}
				return k.verifyRSA(benchDigest[:], sig)
			},
		},
		{
			id: OpGCM, title: "AES-256-GCM encrypt 1 KiB", mechanism: pkcs11.CKM_AES_GCM, perSession: true,
			newOp: func(m *loadedModule, s pkcs11.SessionHandle, worker int, run uint32) func() error {
				// A GCM IV must never repeat under one key: run and worker
				// are unique per goroutine in the process, the counter per
				// call.
				iv := make([]byte, gcmIVSize)
				binary.BigEndian.PutUint32(iv[0:], run)
				binary.BigEndian.PutUint32(iv[4:], uint32(worker))
				var counter uint32
				return func() error {
					counter++
					binary.BigEndian.PutUint32(iv[8:], counter)
					_, err := gcmEncrypt(m, s, iv, benchPlaintext)
					return err
				}
			},
			check: func(m *loadedModule, s pkcs11.SessionHandle, k *benchKeys) error {
				iv := make([]byte, gcmIVSize)
				if _, err := rand.Read(iv); err != nil {
					return err
				}
				ct, err := gcmEncrypt(m, s, iv, benchPlaintext)
				if err != nil {
					return err
				}
				pt, err := k.openGCM(iv, ct)
				if err != nil {
					return fmt.Errorf("AES-GCM ciphertext does not open with the imported key: %w", err)
				}
				if !bytes.Equal(pt, benchPlaintext) {
					return fmt.Errorf("AES-GCM ciphertext opens to other bytes than were encrypted")
				}
				return nil
			},
		},
		{
			id: OpRandom, title: "GenerateRandom 32 bytes", perSession: true,
			newOp: func(m *loadedModule, s pkcs11.SessionHandle, _ int, _ uint32) func() error {
				return func() error {
					out, err := m.ctx.GenerateRandom(s, randomSize)
					if err == nil && len(out) != randomSize {
						err = fmt.Errorf("C_GenerateRandom gave %d bytes, want %d", len(out), randomSize)
					}
					return err
				}
			},
			check: func(m *loadedModule, s pkcs11.SessionHandle, _ *benchKeys) error {
				a, err := m.ctx.GenerateRandom(s, randomSize)
				if err != nil {
					return err
				}
				b, err := m.ctx.GenerateRandom(s, randomSize)
				if err != nil {
					return err
				}
				if len(a) != randomSize || len(b) != randomSize || bytes.Equal(a, b) {
					return fmt.Errorf("C_GenerateRandom gave %d and %d bytes, equal: %t", len(a), len(b), bytes.Equal(a, b))
				}
				return nil
			},
		},
		{
			id: OpSession, title: "OpenSession + CloseSession",
			newOp: func(m *loadedModule, _ pkcs11.SessionHandle, _ int, _ uint32) func() error {
				return func() error {
					s, err := m.ctx.OpenSession(m.slot, pkcs11.CKF_SERIAL_SESSION)
					if err != nil {
						return err
					}
					return m.ctx.CloseSession(s)
				}
			},
			check: func(m *loadedModule, _ pkcs11.SessionHandle, _ *benchKeys) error {
				s, err := m.ctx.OpenSession(m.slot, pkcs11.CKF_SERIAL_SESSION)
				if err != nil {
					return err
				}
				info, err := m.ctx.GetSessionInfo(s)
				if cerr := m.ctx.CloseSession(s); err == nil {
					err = cerr
				}
				if err != nil {
					return err
				}
				// Login state is the application's: a new session is
				// logged in because the anchor session is.
				if info.SlotID != m.slot || info.State != pkcs11.CKS_RO_USER_FUNCTIONS {
					return fmt.Errorf("new session: slot %d state %d, want slot %d state CKS_RO_USER_FUNCTIONS", info.SlotID, info.State, m.slot)
				}
				return nil
			},
		},
	}
}

// selectWorkloads is -bench.ops applied to workloads().
func selectWorkloads(list string) ([]*workload, error) {
	all := workloads()
	if list == "" {
		return all, nil
	}
	byID := map[string]*workload{}
	for _, w := range all {
		byID[w.id] = w
	}
	var out []*workload
	for _, id := range strings.Split(list, ",") {
		w, ok := byID[strings.TrimSpace(id)]
		if !ok {
			return nil, fmt.Errorf("-bench.ops: unknown operation %q (known: %s)", id, allOperations)
		}
		out = append(out, w)
	}
	return out, nil
}

// sign is C_SignInit and C_Sign as miekg/pkcs11 makes it: a length query,
// then the signature.
func sign(m *loadedModule, s pkcs11.SessionHandle, mech []*pkcs11.Mechanism, key pkcs11.ObjectHandle, data []byte) ([]byte, error) {
	if err := m.ctx.SignInit(s, mech, key); err != nil {
		return nil, fmt.Errorf("C_SignInit: %w", err)
	}
	sig, err := m.ctx.Sign(s, data)
	if err != nil {
		return nil, fmt.Errorf("C_Sign: %w", err)
	}
	return sig, nil
}

// gcmEncrypt is C_EncryptInit with CK_GCM_PARAMS and C_Encrypt.
func gcmEncrypt(m *loadedModule, s pkcs11.SessionHandle, iv, plaintext []byte) ([]byte, error) {
	params := pkcs11.NewGCMParams(iv, nil, gcmTagBits)
	defer params.Free()
	if err := m.ctx.EncryptInit(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, m.aes); err != nil {
		return nil, fmt.Errorf("C_EncryptInit: %w", err)
	}
	ct, err := m.ctx.Encrypt(s, plaintext)
	if err != nil {
		return nil, fmt.Errorf("C_Encrypt: %w", err)
	}
	return ct, nil
}
