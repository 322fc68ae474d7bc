package main

/*
#include "p11.h"
*/
import "C"

import (
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// C_OpenSession (v2.40 5.6). The flags go to core as they are, which answers
// CKR_SESSION_PARALLEL_NOT_SUPPORTED without CKF_SERIAL_SESSION.
//
//export goOpenSession
func goOpenSession(slotID C.CK_SLOT_ID, flags C.CK_FLAGS, phSession C.CK_SESSION_HANDLE_PTR) (rv C.CK_RV) {
	const op = "C_OpenSession"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if phSession == nil {
			return argumentsBad(op, "phSession is NULL")
		}
		h, err := lib.OpenSession(ck.SlotID(slotID), uint64(flags))
		if err != nil {
			return err
		}
		*phSession = C.CK_SESSION_HANDLE(h)
		return nil
	}))
}

// C_CloseSession (v2.40 5.6).
//
//export goCloseSession
func goCloseSession(hSession C.CK_SESSION_HANDLE) (rv C.CK_RV) {
	defer recoverPanic("C_CloseSession", &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		return lib.CloseSession(ck.SessionHandle(hSession))
	}))
}

// C_CloseAllSessions (v2.40 5.6).
//
//export goCloseAllSessions
func goCloseAllSessions(slotID C.CK_SLOT_ID) (rv C.CK_RV) {
	defer recoverPanic("C_CloseAllSessions", &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		return lib.CloseAllSessions(ck.SlotID(slotID))
	}))
}

// C_GetSessionInfo (v2.40 5.6): the state and flags are the server's, the
// slot ID the library's (core.SessionSlot answers locally).
//
//export goGetSessionInfo
func goGetSessionInfo(hSession C.CK_SESSION_HANDLE, pInfo C.CK_SESSION_INFO_PTR) (rv C.CK_RV) {
	const op = "C_GetSessionInfo"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if pInfo == nil {
			return argumentsBad(op, "pInfo is NULL")
		}
		slot, err := lib.SessionSlot(ck.SessionHandle(hSession))
		if err != nil {
			return err
		}
		info, err := lib.SessionInfo(ck.SessionHandle(hSession))
		if err != nil {
			return err
		}
		fillSessionInfo(pInfo, slot, info)
		return nil
	}))
}

// C_GetOperationState (v2.40 5.6), with the size-query convention.
//
//export goGetOperationState
func goGetOperationState(hSession C.CK_SESSION_HANDLE, pOperationState C.CK_BYTE_PTR, pulOperationStateLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_GetOperationState"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		buf, out, err := newOutBuf(op, pOperationState, pulOperationStateLen)
		if err != nil {
			return err
		}
		return buf.deliver(lib.OperationState(ck.SessionHandle(hSession), out))
	}))
}

// C_SetOperationState (v2.40 5.6).
//
//export goSetOperationState
func goSetOperationState(hSession C.CK_SESSION_HANDLE, pOperationState C.CK_BYTE_PTR, ulOperationStateLen C.CK_ULONG, hEncryptionKey, hAuthenticationKey C.CK_OBJECT_HANDLE) (rv C.CK_RV) {
	const op = "C_SetOperationState"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		state, err := inBytes(op, pOperationState, ulOperationStateLen, ck.CKR_SAVED_STATE_INVALID)
		if err != nil {
			return err
		}
		if state == nil {
			return argumentsBad(op, "no operation state given")
		}
		return lib.SetOperationState(ck.SessionHandle(hSession), state, ck.ObjectHandle(hEncryptionKey), ck.ObjectHandle(hAuthenticationKey))
	}))
}

// C_Login (v2.40 5.6). NULL with length 0 asks for the protected
// authentication path, which core refuses if the token has none. The PIN is
// wiped once core has it sent.
//
//export goLogin
func goLogin(hSession C.CK_SESSION_HANDLE, userType C.CK_USER_TYPE, pPin C.CK_UTF8CHAR_PTR, ulPinLen C.CK_ULONG) (rv C.CK_RV) {
	const op = "C_Login"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		pin, err := inPIN(op, pPin, ulPinLen)
		if err != nil {
			return err
		}
		defer clear(pin)
		return lib.Login(ck.SessionHandle(hSession), uint64(userType), pin)
	}))
}

// C_Logout (v2.40 5.6).
//
//export goLogout
func goLogout(hSession C.CK_SESSION_HANDLE) (rv C.CK_RV) {
	defer recoverPanic("C_Logout", &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		return lib.Logout(ck.SessionHandle(hSession))
	}))
}
