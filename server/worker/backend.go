package worker

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/miekg/pkcs11"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// backend is the loaded PKCS#11 module and the slot of the partition's
// token. One worker loads the module once; its process is the module's
// "application".
type backend struct {
	ctx   *pkcs11.Ctx
	slot  uint
	label string
	raw   *rawModule // for what miekg cannot express (nested template reads)
}

// setEnvironment sets the module's environment (SOFTHSM2_CONF...) before
// the module is loaded; os.Setenv reaches C's environ in a cgo program.
func setEnvironment(env map[string]string) error {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.Contains(env[k], "\x00") {
			return fmt.Errorf("backend environment: invalid variable %q", k)
		}
		if err := os.Setenv(k, env[k]); err != nil {
			return fmt.Errorf("backend environment %s: %w", k, err)
		}
	}
	return nil
}

// errModule is a failure to load or initialise the module.
func errModule(rv ck.RV, format string, args ...any) error {
	return ck.Errorf(rv, "load backend module", format, args...)
}

// openBackend loads module, initialises it and finds the token labelled
// label. An absent token is ErrTokenNotFound; two tokens with one label are
// refused (serving whichever came first could serve the wrong partition).
func openBackend(module, label string) (*backend, error) {
	if module == "" {
		return nil, errModule(ck.CKR_GENERAL_ERROR, "no module configured")
	}
	if _, err := os.Stat(module); err != nil {
		return nil, errModule(ck.CKR_GENERAL_ERROR, "%v", err)
	}
	ctx := pkcs11.New(module)
	if ctx == nil {
		return nil, errModule(ck.CKR_GENERAL_ERROR, "%s: not a PKCS#11 module (dlopen or C_GetFunctionList failed)", module)
	}
	if err := ctx.Initialize(); err != nil {
		ctx.Destroy()
		return nil, errModule(rvOf(err), "%s: C_Initialize: %v", module, err)
	}
	b := &backend{ctx: ctx, label: label}
	slot, err := b.findToken(label)
	if err != nil {
		b.close()
		return nil, err
	}
	b.slot = slot
	raw, err := openRawModule(module)
	if err != nil {
		b.close()
		return nil, errModule(ck.CKR_GENERAL_ERROR, "%s: %v", module, err)
	}
	b.raw = raw
	return b, nil
}

func (b *backend) findToken(label string) (uint, error) {
	slots, err := b.ctx.GetSlotList(true)
	if err != nil {
		return 0, ck.Errorf(rvOf(err), "find token", "C_GetSlotList: %v", err)
	}
	var found []uint
	for _, s := range slots {
		info, err := b.ctx.GetTokenInfo(s)
		if err != nil {
			continue // a slot whose token went away in between
		}
		if info.Label == strings.TrimRight(label, " ") {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return 0, &ck.Error{RV: ck.CKR_TOKEN_NOT_PRESENT, Op: "find token", Err: fmt.Errorf("%w: label %q", ErrTokenNotFound, label)}
	case 1:
		return found[0], nil
	}
	return 0, ck.Errorf(ck.CKR_TOKEN_NOT_RECOGNIZED, "find token", "%d tokens carry the label %q: refusing to guess", len(found), label)
}

func (b *backend) close() error {
	err := b.ctx.Finalize()
	b.ctx.Destroy()
	if b.raw != nil {
		b.raw.close()
	}
	return err
}

// rvOf is the CK_RV of an error from miekg (pkcs11.Error is the CK_RV);
// any other error is CKR_GENERAL_ERROR.
func rvOf(err error) ck.RV {
	if err == nil {
		return ck.CKR_OK
	}
	var pe pkcs11.Error
	if errors.As(err, &pe) {
		return ck.RV(pe)
	}
	return ck.RVOf(err)
}

// backendErr wraps an error from miekg as a *ck.Error for op, so
// ck.RVOf gives the backend's CK_RV.
func backendErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &ck.Error{RV: rvOf(err), Op: op, Err: err}
}
