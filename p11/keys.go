package main

/*
#include "p11.h"
*/
import "C"

import (
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Key management (v2.40 5.14).

// C_GenerateKey (v2.40 5.14).
//
//export goGenerateKey
func goGenerateKey(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, pTemplate C.CK_ATTRIBUTE_PTR, ulCount C.CK_ULONG, phKey C.CK_OBJECT_HANDLE_PTR) (rv C.CK_RV) {
	const op = "C_GenerateKey"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if phKey == nil {
			return argumentsBad(op, "phKey is NULL")
		}
		m, err := mechanismFor(lib, op, hSession, pMechanism)
		if err != nil {
			return err
		}
		t, err := templateFromC(op, pTemplate, ulCount)
		if err != nil {
			return err
		}
		h, err := lib.GenerateKey(ck.SessionHandle(hSession), m, t)
		if err != nil {
			return err
		}
		*phKey = C.CK_OBJECT_HANDLE(h)
		return nil
	}))
}

// C_GenerateKeyPair (v2.40 5.14).
//
//export goGenerateKeyPair
func goGenerateKeyPair(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, pPublicKeyTemplate C.CK_ATTRIBUTE_PTR, ulPublicKeyAttributeCount C.CK_ULONG, pPrivateKeyTemplate C.CK_ATTRIBUTE_PTR, ulPrivateKeyAttributeCount C.CK_ULONG, phPublicKey, phPrivateKey C.CK_OBJECT_HANDLE_PTR) (rv C.CK_RV) {
	const op = "C_GenerateKeyPair"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if phPublicKey == nil || phPrivateKey == nil {
			return argumentsBad(op, "phPublicKey or phPrivateKey is NULL")
		}
		m, err := mechanismFor(lib, op, hSession, pMechanism)
		if err != nil {
			return err
		}
		pub, err := templateFromC(op+" public key template", pPublicKeyTemplate, ulPublicKeyAttributeCount)
		if err != nil {
			return err
		}
		priv, err := templateFromC(op+" private key template", pPrivateKeyTemplate, ulPrivateKeyAttributeCount)
		if err != nil {
			return err
		}
		pubH, privH, err := lib.GenerateKeyPair(ck.SessionHandle(hSession), m, pub, priv)
		if err != nil {
			return err
		}
		*phPublicKey, *phPrivateKey = C.CK_OBJECT_HANDLE(pubH), C.CK_OBJECT_HANDLE(privH)
		return nil
	}))
}

// C_WrapKey, with the size-query convention on the wrapped key.
//
//export goWrapKey
func goWrapKey(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hWrappingKey, hKey C.CK_OBJECT_HANDLE, pWrappedKey C.CK_BYTE_PTR, pulWrappedKeyLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_WrapKey"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		m, err := mechanismFor(lib, op, hSession, pMechanism)
		if err != nil {
			return err
		}
		buf, out, err := newOutBuf(op, pWrappedKey, pulWrappedKeyLen)
		if err != nil {
			return err
		}
		return buf.deliver(lib.WrapKey(ck.SessionHandle(hSession), m, ck.ObjectHandle(hWrappingKey), ck.ObjectHandle(hKey), out))
	}))
}

// C_UnwrapKey (v2.40 5.14).
//
//export goUnwrapKey
func goUnwrapKey(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hUnwrappingKey C.CK_OBJECT_HANDLE, pWrappedKey C.CK_BYTE_PTR, ulWrappedKeyLen C.CK_ULONG, pTemplate C.CK_ATTRIBUTE_PTR, ulAttributeCount C.CK_ULONG, phKey C.CK_OBJECT_HANDLE_PTR) (rv C.CK_RV) {
	const op = "C_UnwrapKey"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if phKey == nil {
			return argumentsBad(op, "phKey is NULL")
		}
		m, err := mechanismFor(lib, op, hSession, pMechanism)
		if err != nil {
			return err
		}
		wrapped, err := inBytes(op, pWrappedKey, ulWrappedKeyLen, ck.CKR_WRAPPED_KEY_LEN_RANGE)
		if err != nil {
			return err
		}
		t, err := templateFromC(op, pTemplate, ulAttributeCount)
		if err != nil {
			return err
		}
		h, err := lib.UnwrapKey(ck.SessionHandle(hSession), m, ck.ObjectHandle(hUnwrappingKey), wrapped, t)
		if err != nil {
			return err
		}
		*phKey = C.CK_OBJECT_HANDLE(h)
		return nil
	}))
}

// C_DeriveKey (v2.40 5.14).
//
//export goDeriveKey
func goDeriveKey(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hBaseKey C.CK_OBJECT_HANDLE, pTemplate C.CK_ATTRIBUTE_PTR, ulAttributeCount C.CK_ULONG, phKey C.CK_OBJECT_HANDLE_PTR) (rv C.CK_RV) {
	const op = "C_DeriveKey"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if phKey == nil {
			return argumentsBad(op, "phKey is NULL")
		}
		m, err := mechanismFor(lib, op, hSession, pMechanism)
		if err != nil {
			return err
		}
		t, err := templateFromC(op, pTemplate, ulAttributeCount)
		if err != nil {
			return err
		}
		h, err := lib.DeriveKey(ck.SessionHandle(hSession), m, ck.ObjectHandle(hBaseKey), t)
		if err != nil {
			return err
		}
		*phKey = C.CK_OBJECT_HANDLE(h)
		return nil
	}))
}
