package main

/*
#include "p11.h"
*/
import "C"

import (
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// C_GetSlotList (v2.40 5.5), with the size-query convention on the count.
//
//export goGetSlotList
func goGetSlotList(tokenPresent C.CK_BBOOL, pSlotList C.CK_SLOT_ID_PTR, pulCount C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_GetSlotList"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if pulCount == nil {
			return argumentsBad(op, "pulCount is NULL")
		}
		slots, err := lib.SlotList(tokenPresent != C.CK_FALSE)
		if err != nil {
			return err
		}
		return putOutput(op, pSlotList, pulCount, convertSlice[C.CK_SLOT_ID](slots), uint64(len(slots)))
	}))
}

// C_GetSlotInfo (v2.40 5.5).
//
//export goGetSlotInfo
func goGetSlotInfo(slotID C.CK_SLOT_ID, pInfo C.CK_SLOT_INFO_PTR) (rv C.CK_RV) {
	const op = "C_GetSlotInfo"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if pInfo == nil {
			return argumentsBad(op, "pInfo is NULL")
		}
		info, err := lib.SlotInfo(ck.SlotID(slotID))
		if err != nil {
			return err
		}
		fillSlotInfo(pInfo, info)
		return nil
	}))
}

// C_GetTokenInfo (v2.40 5.5).
//
//export goGetTokenInfo
func goGetTokenInfo(slotID C.CK_SLOT_ID, pInfo C.CK_TOKEN_INFO_PTR) (rv C.CK_RV) {
	const op = "C_GetTokenInfo"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if pInfo == nil {
			return argumentsBad(op, "pInfo is NULL")
		}
		info, err := lib.TokenInfo(ck.SlotID(slotID))
		if err != nil {
			return err
		}
		fillTokenInfo(pInfo, info)
		return nil
	}))
}

// C_GetMechanismList (v2.40 5.5), with the size-query convention on the count.
//
//export goGetMechanismList
func goGetMechanismList(slotID C.CK_SLOT_ID, pMechanismList C.CK_MECHANISM_TYPE_PTR, pulCount C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_GetMechanismList"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if pulCount == nil {
			return argumentsBad(op, "pulCount is NULL")
		}
		mechs, err := lib.MechanismList(ck.SlotID(slotID))
		if err != nil {
			return err
		}
		return putOutput(op, pMechanismList, pulCount, convertSlice[C.CK_MECHANISM_TYPE](mechs), uint64(len(mechs)))
	}))
}

// C_GetMechanismInfo (v2.40 5.5).
//
//export goGetMechanismInfo
func goGetMechanismInfo(slotID C.CK_SLOT_ID, typ C.CK_MECHANISM_TYPE, pInfo C.CK_MECHANISM_INFO_PTR) (rv C.CK_RV) {
	const op = "C_GetMechanismInfo"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if pInfo == nil {
			return argumentsBad(op, "pInfo is NULL")
		}
		info, err := lib.MechanismInfo(ck.SlotID(slotID), ck.MechanismType(typ))
		if err != nil {
			return err
		}
		fillMechanismInfo(pInfo, info)
		return nil
	}))
}

// C_InitPIN (v2.40 5.5). The PIN is wiped once core has it sent.
//
//export goInitPIN
func goInitPIN(hSession C.CK_SESSION_HANDLE, pPin C.CK_UTF8CHAR_PTR, ulPinLen C.CK_ULONG) (rv C.CK_RV) {
	const op = "C_InitPIN"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		pin, err := inPIN(op, pPin, ulPinLen)
		if err != nil {
			return err
		}
		defer clear(pin)
		return lib.InitPIN(ck.SessionHandle(hSession), pin)
	}))
}

// C_SetPIN (v2.40 5.5).
//
//export goSetPIN
func goSetPIN(hSession C.CK_SESSION_HANDLE, pOldPin C.CK_UTF8CHAR_PTR, ulOldLen C.CK_ULONG, pNewPin C.CK_UTF8CHAR_PTR, ulNewLen C.CK_ULONG) (rv C.CK_RV) {
	const op = "C_SetPIN"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		oldPIN, err := inPIN(op+" old PIN", pOldPin, ulOldLen)
		if err != nil {
			return err
		}
		defer clear(oldPIN)
		newPIN, err := inPIN(op+" new PIN", pNewPin, ulNewLen)
		if err != nil {
			return err
		}
		defer clear(newPIN)
		return lib.SetPIN(ck.SessionHandle(hSession), oldPIN, newPIN)
	}))
}
