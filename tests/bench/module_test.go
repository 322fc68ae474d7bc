package bench

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/miekg/pkcs11"
)

// loadedModule is one PKCS#11 module, initialised, with a session logged
// in as the user for as long as it is loaded: PKCS#11 login state belongs
// to the application, so every session the measurements open is logged in
// too, and closing them never logs out.
type loadedModule struct {
	id     Module
	path   string
	ctx    *pkcs11.Ctx
	slot   uint
	anchor pkcs11.SessionHandle
	// The imported keys' handles, valid on every session of the module.
	ecdsa, rsa, aes pkcs11.ObjectHandle
	mechanisms      map[uint]bool
	// info is the module's manufacturer, description and library version.
	info string
}

// loadModule loads and initialises the module at path, finds the bench
// token and logs in. The module reads its environment (SOFTHSM2_CONF,
// P11_KIT_SERVER_ADDRESS, CLOUDP11_CONF) in C_Initialize: set it first.
// The module is returned, for close, even with an error.
func loadModule(id Module, path string) (*loadedModule, error) {
	m := &loadedModule{id: id, path: path}
	if _, err := os.Stat(path); err != nil {
		return m, err
	}
	m.ctx = pkcs11.New(path)
	if m.ctx == nil {
		return m, fmt.Errorf("%s: dlopen or C_GetFunctionList failed", path)
	}
	if err := m.ctx.Initialize(); err != nil {
		m.ctx.Destroy()
		m.ctx = nil
		return m, fmt.Errorf("C_Initialize: %w", err)
	}
	if info, err := m.ctx.GetInfo(); err == nil {
		m.info = fmt.Sprintf("%s, %s %d.%d", strings.TrimSpace(info.ManufacturerID), strings.TrimSpace(info.LibraryDescription),
			info.LibraryVersion.Major, info.LibraryVersion.Minor)
	}
	slot, err := findToken(m.ctx, tokenLabel)
	if err != nil {
		return m, err
	}
	m.slot = slot
	mechs, err := m.ctx.GetMechanismList(slot)
	if err != nil {
		return m, fmt.Errorf("C_GetMechanismList: %w", err)
	}
	m.mechanisms = map[uint]bool{}
	for _, mech := range mechs {
		m.mechanisms[mech.Mechanism] = true
	}
	if m.anchor, err = m.ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION); err != nil {
		return m, fmt.Errorf("C_OpenSession: %w", err)
	}
	if err := m.ctx.Login(m.anchor, pkcs11.CKU_USER, userPIN); err != nil && !isRV(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
		return m, fmt.Errorf("C_Login: %w", err)
	}
	return m, nil
}

// findKeys looks the imported keys up by label.
func (m *loadedModule) findKeys() error {
	for _, k := range []struct {
		label string
		class uint
		dst   *pkcs11.ObjectHandle
	}{
		{labelECDSA, pkcs11.CKO_PRIVATE_KEY, &m.ecdsa},
		{labelRSA, pkcs11.CKO_PRIVATE_KEY, &m.rsa},
		{labelAES, pkcs11.CKO_SECRET_KEY, &m.aes},
	} {
		h, err := findObject(m.ctx, m.anchor, k.label, k.class)
		if err != nil {
			return err
		}
		*k.dst = h
	}
	return nil
}

func findObject(ctx *pkcs11.Ctx, s pkcs11.SessionHandle, label string, class uint) (pkcs11.ObjectHandle, error) {
	err := ctx.FindObjectsInit(s, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, class),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
	})
	if err != nil {
		return 0, fmt.Errorf("C_FindObjectsInit %s: %w", label, err)
	}
	found, _, err := ctx.FindObjects(s, 2)
	if ferr := ctx.FindObjectsFinal(s); err == nil && ferr != nil {
		err = ferr
	}
	switch {
	case err != nil:
		return 0, fmt.Errorf("C_FindObjects %s: %w", label, err)
	case len(found) != 1:
		return 0, fmt.Errorf("%d objects labelled %s, want 1", len(found), label)
	}
	return found[0], nil
}

// findToken is the slot whose token has the label.
func findToken(ctx *pkcs11.Ctx, label string) (uint, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("C_GetSlotList: %w", err)
	}
	for _, s := range slots {
		ti, err := ctx.GetTokenInfo(s)
		if err != nil {
			return 0, fmt.Errorf("C_GetTokenInfo(%d): %w", s, err)
		}
		if strings.TrimRight(ti.Label, " \x00") == label {
			return s, nil
		}
	}
	return 0, fmt.Errorf("no token labelled %q among %d slots with a token", label, len(slots))
}

// close logs out, finalises and unloads the module.
func (m *loadedModule) close() {
	if m == nil || m.ctx == nil {
		return
	}
	_ = m.ctx.CloseAllSessions(m.slot)
	_ = m.ctx.Finalize()
	m.ctx.Destroy()
	m.ctx = nil
}

// isRV reports whether err is the PKCS#11 return value rv.
func isRV(err error, rv uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == rv
}

// unsupported reports whether err says the module cannot do the operation
// at all, as opposed to failing at it.
func unsupported(err error) bool {
	for _, rv := range []uint{pkcs11.CKR_MECHANISM_INVALID, pkcs11.CKR_MECHANISM_PARAM_INVALID, pkcs11.CKR_FUNCTION_NOT_SUPPORTED} {
		if isRV(err, rv) {
			return true
		}
	}
	return false
}

// mechanismName is the CKM_ name of the mechanisms the workloads use.
func mechanismName(m uint) string {
	switch m {
	case pkcs11.CKM_ECDSA:
		return "CKM_ECDSA"
	case pkcs11.CKM_RSA_PKCS:
		return "CKM_RSA_PKCS"
	case pkcs11.CKM_AES_GCM:
		return "CKM_AES_GCM"
	}
	return fmt.Sprintf("mechanism 0x%x", m)
}
