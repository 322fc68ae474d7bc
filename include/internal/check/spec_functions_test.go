package check

// specFunction is one PKCS#11 function as the specification defines it: its name and the types
// of its parameters, in order. Every function returns CK_RV.
type specFunction struct {
	name   string
	params []string
}

func fn(name string, params ...string) specFunction { return specFunction{name, params} }

// Shorthands for the parameter types that recur.
const (
	hSession = "CK_SESSION_HANDLE"
	hObject  = "CK_OBJECT_HANDLE"
	bytePtr  = "CK_BYTE_PTR"
	ulong    = "CK_ULONG"
	ulongPtr = "CK_ULONG_PTR"
	mechPtr  = "CK_MECHANISM_PTR"
	attrPtr  = "CK_ATTRIBUTE_PTR"
	voidPtr  = "CK_VOID_PTR"
	flags    = "CK_FLAGS"
)

// v240Functions is CK_FUNCTION_LIST after its version, in order: the function definitions of
// the v2.40 base specification, sections 5.4 to 5.16, with C_WaitForSlotEvent (5.5) last.
var v240Functions = []specFunction{
	// 5.4 General-purpose functions
	fn("C_Initialize", voidPtr),
	fn("C_Finalize", voidPtr),
	fn("C_GetInfo", "CK_INFO_PTR"),
	fn("C_GetFunctionList", "CK_FUNCTION_LIST_PTR_PTR"),
	// 5.5 Slot and token management
	fn("C_GetSlotList", "CK_BBOOL", "CK_SLOT_ID_PTR", ulongPtr),
	fn("C_GetSlotInfo", "CK_SLOT_ID", "CK_SLOT_INFO_PTR"),
	fn("C_GetTokenInfo", "CK_SLOT_ID", "CK_TOKEN_INFO_PTR"),
	fn("C_GetMechanismList", "CK_SLOT_ID", "CK_MECHANISM_TYPE_PTR", ulongPtr),
	fn("C_GetMechanismInfo", "CK_SLOT_ID", "CK_MECHANISM_TYPE", "CK_MECHANISM_INFO_PTR"),
	fn("C_InitToken", "CK_SLOT_ID", "CK_UTF8CHAR_PTR", ulong, "CK_UTF8CHAR_PTR"),
	fn("C_InitPIN", hSession, "CK_UTF8CHAR_PTR", ulong),
	fn("C_SetPIN", hSession, "CK_UTF8CHAR_PTR", ulong, "CK_UTF8CHAR_PTR", ulong),
	// 5.6 Session management
	fn("C_OpenSession", "CK_SLOT_ID", flags, voidPtr, "CK_NOTIFY", "CK_SESSION_HANDLE_PTR"),
	fn("C_CloseSession", hSession),
	fn("C_CloseAllSessions", "CK_SLOT_ID"),
	fn("C_GetSessionInfo", hSession, "CK_SESSION_INFO_PTR"),
	fn("C_GetOperationState", hSession, bytePtr, ulongPtr),
	fn("C_SetOperationState", hSession, bytePtr, ulong, hObject, hObject),
	fn("C_Login", hSession, "CK_USER_TYPE", "CK_UTF8CHAR_PTR", ulong),
	fn("C_Logout", hSession),
	// 5.7 Object management
	fn("C_CreateObject", hSession, attrPtr, ulong, "CK_OBJECT_HANDLE_PTR"),
	fn("C_CopyObject", hSession, hObject, attrPtr, ulong, "CK_OBJECT_HANDLE_PTR"),
	fn("C_DestroyObject", hSession, hObject),
	fn("C_GetObjectSize", hSession, hObject, ulongPtr),
	fn("C_GetAttributeValue", hSession, hObject, attrPtr, ulong),
	fn("C_SetAttributeValue", hSession, hObject, attrPtr, ulong),
	fn("C_FindObjectsInit", hSession, attrPtr, ulong),
	fn("C_FindObjects", hSession, "CK_OBJECT_HANDLE_PTR", ulong, ulongPtr),
	fn("C_FindObjectsFinal", hSession),
	// 5.8 Encryption
	fn("C_EncryptInit", hSession, mechPtr, hObject),
	fn("C_Encrypt", hSession, bytePtr, ulong, bytePtr, ulongPtr),
	fn("C_EncryptUpdate", hSession, bytePtr, ulong, bytePtr, ulongPtr),
	fn("C_EncryptFinal", hSession, bytePtr, ulongPtr),
	// 5.9 Decryption
	fn("C_DecryptInit", hSession, mechPtr, hObject),
	fn("C_Decrypt", hSession, bytePtr, ulong, bytePtr, ulongPtr),
	fn("C_DecryptUpdate", hSession, bytePtr, ulong, bytePtr, ulongPtr),
	fn("C_DecryptFinal", hSession, bytePtr, ulongPtr),
	// 5.10 Message digesting
	fn("C_DigestInit", hSession, mechPtr),
	fn("C_Digest", hSession, bytePtr, ulong, bytePtr, ulongPtr),
	fn("C_DigestUpdate", hSession, bytePtr, ulong),
	fn("C_DigestKey", hSession, hObject),
	fn("C_DigestFinal", hSession, bytePtr, ulongPtr),
	// 5.11 Signing and MACing
	fn("C_SignInit", hSession, mechPtr, hObject),
	fn("C_Sign", hSession, bytePtr, ulong, bytePtr, ulongPtr),
	fn("C_SignUpdate", hSession, bytePtr, ulong),
	fn("C_SignFinal", hSession, bytePtr, ulongPtr),
	fn("C_SignRecoverInit", hSession, mechPtr, hObject),
	fn("C_SignRecover", hSession, bytePtr, ulong, bytePtr, ulongPtr),
	// 5.12 Verifying signatures and MACs
	fn("C_VerifyInit", hSession, mechPtr, hObject),
	fn("C_Verify", hSession, bytePtr, ulong, bytePtr, ulong),
	fn("C_VerifyUpdate", hSession, bytePtr, ulong),
	fn("C_VerifyFinal", hSession, bytePtr, ulong),
	fn("C_VerifyRecoverInit", hSession, mechPtr, hObject),
	fn("C_VerifyRecover", hSession, bytePtr, ulong, bytePtr, ulongPtr),
	// 5.13 Dual-function cryptographic functions
	fn("C_DigestEncryptUpdate", hSession, bytePtr, ulong, bytePtr, ulongPtr),
	fn("C_DecryptDigestUpdate", hSession, bytePtr, ulong, bytePtr, ulongPtr),
	fn("C_SignEncryptUpdate", hSession, bytePtr, ulong, bytePtr, ulongPtr),
	fn("C_DecryptVerifyUpdate", hSession, bytePtr, ulong, bytePtr, ulongPtr),
	// 5.14 Key management
	fn("C_GenerateKey", hSession, mechPtr, attrPtr, ulong, "CK_OBJECT_HANDLE_PTR"),
	fn("C_GenerateKeyPair", hSession, mechPtr, attrPtr, ulong, attrPtr, ulong,
		"CK_OBJECT_HANDLE_PTR", "CK_OBJECT_HANDLE_PTR"),
	fn("C_WrapKey", hSession, mechPtr, hObject, hObject, bytePtr, ulongPtr),
	fn("C_UnwrapKey", hSession, mechPtr, hObject, bytePtr, ulong, attrPtr, ulong, "CK_OBJECT_HANDLE_PTR"),
	fn("C_DeriveKey", hSession, mechPtr, hObject, attrPtr, ulong, "CK_OBJECT_HANDLE_PTR"),
	// 5.15 Random number generation
	fn("C_SeedRandom", hSession, bytePtr, ulong),
	fn("C_GenerateRandom", hSession, bytePtr, ulong),
	// 5.16 Parallel function management
	fn("C_GetFunctionStatus", hSession),
	fn("C_CancelFunction", hSession),
	// 5.5, added after the list was fixed
	fn("C_WaitForSlotEvent", flags, "CK_SLOT_ID_PTR", voidPtr),
}

// v30Functions follow v240Functions in CK_FUNCTION_LIST_3_0: the functions new in the v3.0 base
// specification, in the order of its function list.
var v30Functions = []specFunction{
	fn("C_GetInterfaceList", "CK_INTERFACE_PTR", ulongPtr),
	fn("C_GetInterface", "CK_UTF8CHAR_PTR", "CK_VERSION_PTR", "CK_INTERFACE_PTR_PTR", flags),
	fn("C_LoginUser", hSession, "CK_USER_TYPE", "CK_UTF8CHAR_PTR", ulong, "CK_UTF8CHAR_PTR", ulong),
	fn("C_SessionCancel", hSession, flags),
	fn("C_MessageEncryptInit", hSession, mechPtr, hObject),
	fn("C_EncryptMessage", hSession, voidPtr, ulong, bytePtr, ulong, bytePtr, ulong, bytePtr, ulongPtr),
	fn("C_EncryptMessageBegin", hSession, voidPtr, ulong, bytePtr, ulong),
	fn("C_EncryptMessageNext", hSession, voidPtr, ulong, bytePtr, ulong, bytePtr, ulongPtr, flags),
	fn("C_MessageEncryptFinal", hSession),
	fn("C_MessageDecryptInit", hSession, mechPtr, hObject),
	fn("C_DecryptMessage", hSession, voidPtr, ulong, bytePtr, ulong, bytePtr, ulong, bytePtr, ulongPtr),
	fn("C_DecryptMessageBegin", hSession, voidPtr, ulong, bytePtr, ulong),
	fn("C_DecryptMessageNext", hSession, voidPtr, ulong, bytePtr, ulong, bytePtr, ulongPtr, flags),
	fn("C_MessageDecryptFinal", hSession),
	fn("C_MessageSignInit", hSession, mechPtr, hObject),
	fn("C_SignMessage", hSession, voidPtr, ulong, bytePtr, ulong, bytePtr, ulongPtr),
	fn("C_SignMessageBegin", hSession, voidPtr, ulong),
	fn("C_SignMessageNext", hSession, voidPtr, ulong, bytePtr, ulong, bytePtr, ulongPtr),
	fn("C_MessageSignFinal", hSession),
	fn("C_MessageVerifyInit", hSession, mechPtr, hObject),
	fn("C_VerifyMessage", hSession, voidPtr, ulong, bytePtr, ulong, bytePtr, ulong),
	fn("C_VerifyMessageBegin", hSession, voidPtr, ulong),
	fn("C_VerifyMessageNext", hSession, voidPtr, ulong, bytePtr, ulong, bytePtr, ulong),
	fn("C_MessageVerifyFinal", hSession),
}

// allFunctions is CK_FUNCTION_LIST_3_0's order.
func allFunctions() []specFunction {
	return append(append([]specFunction{}, v240Functions...), v30Functions...)
}
