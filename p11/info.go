package main

/*
#include "p11.h"
*/
import "C"

import (
	"strings"
	"unicode/utf8"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// The information structures of C_GetInfo, C_GetSlotInfo, C_GetTokenInfo,
// C_GetMechanismInfo and C_GetSessionInfo, filled from core's Go values.

// padText writes s into a fixed-size CK_UTF8CHAR field: blank padded, not
// NUL terminated, cut on a rune boundary so that the field stays valid UTF-8
// (v2.40 3.1: the text fields of the information structures). Invalid UTF-8
// and control characters, which would garble an application's output
// (pkcs11-tool prints these fields), become '?' and ' '.
func padText[T ~uint8](dst []T, s string) {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F {
			return ' '
		}
		return r
	}, s)
	n := 0
	for _, r := range s {
		size := utf8.RuneLen(r)
		if n+size > len(dst) {
			break
		}
		n += size
	}
	for i := range dst {
		if i < n {
			dst[i] = T(s[i])
		} else {
			dst[i] = ' '
		}
	}
}

// fieldText is the text of a blank-padded field as the server sent it, with
// its padding (blanks or NULs) removed, ready for padText.
func fieldText(b []byte) string {
	return strings.TrimRight(string(b), " \x00")
}

func versionToC(v ck.Version) C.CK_VERSION {
	return C.CK_VERSION{major: C.CK_BYTE(v.Major), minor: C.CK_BYTE(v.Minor)}
}

func fillInfo(dst *C.CK_INFO, src ck.Info) {
	*dst = C.CK_INFO{}
	dst.cryptokiVersion = versionToC(src.CryptokiVersion)
	padText(dst.manufacturerID[:], src.ManufacturerID)
	dst.flags = C.CK_FLAGS(src.Flags)
	padText(dst.libraryDescription[:], src.LibraryDescription)
	dst.libraryVersion = versionToC(src.LibraryVersion)
}

func fillSlotInfo(dst *C.CK_SLOT_INFO, src ck.SlotInfo) {
	*dst = C.CK_SLOT_INFO{}
	padText(dst.slotDescription[:], src.SlotDescription)
	padText(dst.manufacturerID[:], src.ManufacturerID)
	dst.flags = C.CK_FLAGS(src.Flags)
	dst.hardwareVersion = versionToC(src.HardwareVersion)
	dst.firmwareVersion = versionToC(src.FirmwareVersion)
}

// fillTokenInfo re-pads the text fields: they come from the server, which
// this module checks rather than trusts.
func fillTokenInfo(dst *C.CK_TOKEN_INFO, src ck.TokenInfo) {
	*dst = C.CK_TOKEN_INFO{}
	padText(dst.label[:], fieldText(src.Label[:]))
	padText(dst.manufacturerID[:], fieldText(src.ManufacturerID[:]))
	padText(dst.model[:], fieldText(src.Model[:]))
	padText(dst.serialNumber[:], fieldText(src.SerialNumber[:]))
	dst.flags = C.CK_FLAGS(src.Flags)
	dst.ulMaxSessionCount = C.CK_ULONG(src.MaxSessionCount)
	dst.ulSessionCount = C.CK_ULONG(src.SessionCount)
	dst.ulMaxRwSessionCount = C.CK_ULONG(src.MaxRwSessionCount)
	dst.ulRwSessionCount = C.CK_ULONG(src.RwSessionCount)
	dst.ulMaxPinLen = C.CK_ULONG(src.MaxPinLen)
	dst.ulMinPinLen = C.CK_ULONG(src.MinPinLen)
	dst.ulTotalPublicMemory = C.CK_ULONG(src.TotalPublicMemory)
	dst.ulFreePublicMemory = C.CK_ULONG(src.FreePublicMemory)
	dst.ulTotalPrivateMemory = C.CK_ULONG(src.TotalPrivateMemory)
	dst.ulFreePrivateMemory = C.CK_ULONG(src.FreePrivateMemory)
	dst.hardwareVersion = versionToC(src.HardwareVersion)
	dst.firmwareVersion = versionToC(src.FirmwareVersion)
	padText(dst.utcTime[:], fieldText(src.UTCTime[:]))
}

func fillMechanismInfo(dst *C.CK_MECHANISM_INFO, src ck.MechanismInfo) {
	dst.ulMinKeySize = C.CK_ULONG(src.MinKeySize)
	dst.ulMaxKeySize = C.CK_ULONG(src.MaxKeySize)
	dst.flags = C.CK_FLAGS(src.Flags)
}

func fillSessionInfo(dst *C.CK_SESSION_INFO, slot ck.SlotID, src ck.SessionInfo) {
	*dst = C.CK_SESSION_INFO{}
	dst.slotID = C.CK_SLOT_ID(slot)
	dst.state = C.CK_STATE(src.State)
	dst.flags = C.CK_FLAGS(src.Flags)
	dst.ulDeviceError = C.CK_ULONG(src.DeviceError)
}
