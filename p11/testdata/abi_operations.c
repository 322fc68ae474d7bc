/*
 * abi_operations.c: an argument the module refuses ends the operation of the call, as any
 * other error does (v2.40 5.2 and 5.8-5.13: a single-part call, an update or a final ends its
 * operation whatever it returns but CKR_BUFFER_TOO_SMALL and a successful size query). Each
 * scenario starts an operation (one the library keeps to itself until the single-part call, or
 * one the server holds after an update), makes a call the module refuses, and checks that the
 * operation is gone: the call again answers CKR_OPERATION_NOT_INITIALIZED, and a new operation
 * of the kind works. A SoftHSM session runs one operation at a time, so an operation left behind
 * in hsmd's worker would make the new one's init CKR_OPERATION_ACTIVE, whether it goes to the
 * server at C_xxxInit or, deferred by the library, with the new operation's first call.
 *
 * Run by "abi LIBRARY operations USER_PIN" against the first slot with a token.
 */
#include <string.h>

#include "abi.h"

static CK_SESSION_HANDLE session;
static CK_OBJECT_HANDLE mac_key, aes_key;

static CK_BYTE data[] = "data of the operations of abi_operations.c";
static CK_BYTE block[16];
/* Longer than anything that crosses the wire: the module refuses it before reading a byte. */
static const CK_ULONG huge_len = (CK_ULONG)1 << 40;

static CK_MECHANISM hmac = {CKM_SHA256_HMAC, NULL_PTR, 0};
static CK_MECHANISM ecb = {CKM_AES_ECB, NULL_PTR, 0};
static CK_MECHANISM sha256 = {CKM_SHA256, NULL_PTR, 0};

/* expect checks one step of a scenario, named "scenario: step". */
static void expect(const char *scenario, const char *step, CK_RV got, CK_RV want)
{
	char name[256];

	snprintf(name, sizeof name, "%s: %s", scenario, step);
	CHECK(name, got == want, "rv 0x%lx, want 0x%lx", (unsigned long)got, (unsigned long)want);
}

static int setup(const char *pin)
{
	CK_SLOT_ID slots[8];
	CK_ULONG n = 8;
	CK_OBJECT_CLASS secret = CKO_SECRET_KEY;
	CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_BYTE value[32] = {1, 2, 3}; /* SoftHSM wants 32 bytes for SHA256-HMAC */
	CK_ULONG aes_len = 32;
	CK_ATTRIBUTE mac_template[] = {
		{CKA_CLASS, &secret, sizeof secret}, {CKA_KEY_TYPE, &generic, sizeof generic},
		{CKA_TOKEN, &no, sizeof no}, {CKA_VALUE, value, sizeof value},
		{CKA_SIGN, &yes, sizeof yes}, {CKA_VERIFY, &yes, sizeof yes},
	};
	CK_ATTRIBUTE aes_template[] = {
		{CKA_VALUE_LEN, &aes_len, sizeof aes_len}, {CKA_TOKEN, &no, sizeof no},
		{CKA_ENCRYPT, &yes, sizeof yes}, {CKA_DECRYPT, &yes, sizeof yes},
	};
	CK_MECHANISM aes_gen = {CKM_AES_KEY_GEN, NULL_PTR, 0};
	int before = failures;

	CHECK_RV("operations: C_Initialize", p11->C_Initialize(NULL_PTR), CKR_OK);
	CHECK_RV("operations: C_GetSlotList", p11->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	if (failures != before || n == 0) {
		CHECK("operations: a slot with a token", n > 0, "none");
		return 0;
	}
	CHECK_RV("operations: C_OpenSession",
		p11->C_OpenSession(slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL_PTR, NULL_PTR, &session),
		CKR_OK);
	CHECK_RV("operations: C_Login",
		p11->C_Login(session, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin)), CKR_OK);
	CHECK_RV("operations: C_CreateObject of a MAC key",
		p11->C_CreateObject(session, mac_template, sizeof mac_template / sizeof mac_template[0],
			&mac_key),
		CKR_OK);
	CHECK_RV("operations: C_GenerateKey of an AES key",
		p11->C_GenerateKey(session, &aes_gen, aes_template,
			sizeof aes_template / sizeof aes_template[0], &aes_key),
		CKR_OK);
	return failures == before;
}

static void check_sign(void)
{
	CK_BYTE sig[64];
	CK_ULONG len;
	const char *s;

	s = "sign, single-part";
	expect(s, "C_SignInit", p11->C_SignInit(session, &hmac, mac_key), CKR_OK);
	expect(s, "C_Sign with a NULL pulSignatureLen is CKR_ARGUMENTS_BAD",
		p11->C_Sign(session, data, sizeof data, sig, NULL_PTR), CKR_ARGUMENTS_BAD);
	len = sizeof sig;
	expect(s, "the operation ended", p11->C_Sign(session, data, sizeof data, sig, &len),
		CKR_OPERATION_NOT_INITIALIZED);
	expect(s, "C_SignInit again", p11->C_SignInit(session, &hmac, mac_key), CKR_OK);
	len = sizeof sig;
	expect(s, "the new operation signs", p11->C_Sign(session, data, sizeof data, sig, &len), CKR_OK);

	s = "sign, held by the server";
	expect(s, "C_SignInit", p11->C_SignInit(session, &hmac, mac_key), CKR_OK);
	expect(s, "C_SignUpdate", p11->C_SignUpdate(session, data, sizeof data), CKR_OK);
	expect(s, "C_SignFinal with a NULL pulSignatureLen is CKR_ARGUMENTS_BAD",
		p11->C_SignFinal(session, sig, NULL_PTR), CKR_ARGUMENTS_BAD);
	len = sizeof sig;
	expect(s, "the operation ended", p11->C_SignFinal(session, sig, &len),
		CKR_OPERATION_NOT_INITIALIZED);
	expect(s, "C_SignInit again", p11->C_SignInit(session, &hmac, mac_key), CKR_OK);
	expect(s, "the server's operation ended too: the new one takes data",
		p11->C_SignUpdate(session, data, sizeof data), CKR_OK);
	len = sizeof sig;
	expect(s, "the new operation signs", p11->C_SignFinal(session, sig, &len), CKR_OK);

	s = "sign, data out of range";
	expect(s, "C_SignInit", p11->C_SignInit(session, &hmac, mac_key), CKR_OK);
	expect(s, "C_SignUpdate", p11->C_SignUpdate(session, data, sizeof data), CKR_OK);
	expect(s, "C_SignUpdate of 2^40 bytes is CKR_DATA_LEN_RANGE",
		p11->C_SignUpdate(session, data, huge_len), CKR_DATA_LEN_RANGE);
	expect(s, "the operation ended", p11->C_SignUpdate(session, data, sizeof data),
		CKR_OPERATION_NOT_INITIALIZED);
	expect(s, "C_SignInit again", p11->C_SignInit(session, &hmac, mac_key), CKR_OK);
	len = sizeof sig;
	expect(s, "the server's operation ended too: the new one signs",
		p11->C_Sign(session, data, sizeof data, sig, &len), CKR_OK);

	s = "an init's argument error";
	expect(s, "C_SignInit", p11->C_SignInit(session, &hmac, mac_key), CKR_OK);
	expect(s, "C_SignInit with a NULL mechanism is CKR_ARGUMENTS_BAD",
		p11->C_SignInit(session, NULL_PTR, mac_key), CKR_ARGUMENTS_BAD);
	len = sizeof sig;
	expect(s, "the active operation lives on", p11->C_Sign(session, data, sizeof data, sig, &len),
		CKR_OK);

	s = "another session's argument error";
	expect(s, "C_SignInit", p11->C_SignInit(session, &hmac, mac_key), CKR_OK);
	expect(s, "C_Sign on another handle with a NULL pulSignatureLen is CKR_ARGUMENTS_BAD",
		p11->C_Sign(session + 1000, data, sizeof data, sig, NULL_PTR), CKR_ARGUMENTS_BAD);
	len = sizeof sig;
	expect(s, "this session's operation lives on",
		p11->C_Sign(session, data, sizeof data, sig, &len), CKR_OK);
}

static void check_verify(void)
{
	CK_BYTE sig[64];
	CK_ULONG len = sizeof sig;
	const char *s = "verify";

	expect(s, "C_SignInit", p11->C_SignInit(session, &hmac, mac_key), CKR_OK);
	expect(s, "C_Sign", p11->C_Sign(session, data, sizeof data, sig, &len), CKR_OK);

	expect(s, "C_VerifyInit", p11->C_VerifyInit(session, &hmac, mac_key), CKR_OK);
	expect(s, "C_Verify with NULL data of 5 bytes is CKR_ARGUMENTS_BAD",
		p11->C_Verify(session, NULL_PTR, 5, sig, len), CKR_ARGUMENTS_BAD);
	expect(s, "the single-part operation ended", p11->C_Verify(session, data, sizeof data, sig, len),
		CKR_OPERATION_NOT_INITIALIZED);

	expect(s, "C_VerifyInit for a multi-part verification",
		p11->C_VerifyInit(session, &hmac, mac_key), CKR_OK);
	expect(s, "C_VerifyUpdate", p11->C_VerifyUpdate(session, data, sizeof data), CKR_OK);
	expect(s, "C_VerifyFinal with a NULL signature of 32 bytes is CKR_ARGUMENTS_BAD",
		p11->C_VerifyFinal(session, NULL_PTR, len), CKR_ARGUMENTS_BAD);
	expect(s, "the multi-part operation ended", p11->C_VerifyFinal(session, sig, len),
		CKR_OPERATION_NOT_INITIALIZED);
	expect(s, "C_VerifyInit again", p11->C_VerifyInit(session, &hmac, mac_key), CKR_OK);
	expect(s, "the server's operation ended too: the new one verifies",
		p11->C_Verify(session, data, sizeof data, sig, len), CKR_OK);
}

static void check_crypt(void)
{
	CK_BYTE ct[32], pt[32];
	CK_ULONG ct_len, pt_len;
	const char *s;

	s = "encrypt, single-part";
	expect(s, "C_EncryptInit", p11->C_EncryptInit(session, &ecb, aes_key), CKR_OK);
	ct_len = sizeof ct;
	expect(s, "C_Encrypt with NULL data of 16 bytes is CKR_ARGUMENTS_BAD",
		p11->C_Encrypt(session, NULL_PTR, sizeof block, ct, &ct_len), CKR_ARGUMENTS_BAD);
	ct_len = sizeof ct;
	expect(s, "the operation ended", p11->C_Encrypt(session, block, sizeof block, ct, &ct_len),
		CKR_OPERATION_NOT_INITIALIZED);
	expect(s, "C_EncryptInit again", p11->C_EncryptInit(session, &ecb, aes_key), CKR_OK);
	ct_len = sizeof ct;
	expect(s, "the new operation encrypts", p11->C_Encrypt(session, block, sizeof block, ct, &ct_len),
		CKR_OK);

	s = "encrypt, held by the server";
	expect(s, "C_EncryptInit", p11->C_EncryptInit(session, &ecb, aes_key), CKR_OK);
	ct_len = sizeof ct;
	expect(s, "C_EncryptUpdate", p11->C_EncryptUpdate(session, block, sizeof block, ct, &ct_len),
		CKR_OK);
	expect(s, "C_EncryptFinal with a NULL pulLastEncryptedPartLen is CKR_ARGUMENTS_BAD",
		p11->C_EncryptFinal(session, ct, NULL_PTR), CKR_ARGUMENTS_BAD);
	ct_len = sizeof ct;
	expect(s, "the operation ended", p11->C_EncryptFinal(session, ct, &ct_len),
		CKR_OPERATION_NOT_INITIALIZED);
	expect(s, "C_EncryptInit again", p11->C_EncryptInit(session, &ecb, aes_key), CKR_OK);
	ct_len = sizeof ct;
	expect(s, "the server's operation ended too: the new one encrypts",
		p11->C_Encrypt(session, block, sizeof block, ct, &ct_len), CKR_OK);

	s = "decrypt, held by the server";
	expect(s, "C_DecryptInit", p11->C_DecryptInit(session, &ecb, aes_key), CKR_OK);
	pt_len = sizeof pt;
	expect(s, "C_DecryptUpdate", p11->C_DecryptUpdate(session, ct, ct_len, pt, &pt_len), CKR_OK);
	expect(s, "C_DecryptUpdate with a NULL pulPartLen is CKR_ARGUMENTS_BAD",
		p11->C_DecryptUpdate(session, ct, ct_len, pt, NULL_PTR), CKR_ARGUMENTS_BAD);
	pt_len = sizeof pt;
	expect(s, "the operation ended", p11->C_DecryptUpdate(session, ct, ct_len, pt, &pt_len),
		CKR_OPERATION_NOT_INITIALIZED);
	expect(s, "C_DecryptInit again", p11->C_DecryptInit(session, &ecb, aes_key), CKR_OK);
	pt_len = sizeof pt;
	expect(s, "the server's operation ended too: the new one decrypts",
		p11->C_Decrypt(session, ct, ct_len, pt, &pt_len), CKR_OK);
	CHECK("decrypt, held by the server: the plaintext comes back",
		pt_len == sizeof block && memcmp(pt, block, sizeof block) == 0, "%lu bytes",
		(unsigned long)pt_len);
}

static void check_digest(void)
{
	CK_BYTE md[64], ct[32];
	CK_ULONG len;
	const char *s;

	s = "digest, single-part";
	expect(s, "C_DigestInit", p11->C_DigestInit(session, &sha256), CKR_OK);
	expect(s, "C_Digest with a NULL pulDigestLen is CKR_ARGUMENTS_BAD",
		p11->C_Digest(session, data, sizeof data, NULL_PTR, NULL_PTR), CKR_ARGUMENTS_BAD);
	len = sizeof md;
	expect(s, "the operation ended", p11->C_Digest(session, data, sizeof data, md, &len),
		CKR_OPERATION_NOT_INITIALIZED);
	expect(s, "C_DigestInit again", p11->C_DigestInit(session, &sha256), CKR_OK);
	len = sizeof md;
	expect(s, "the new operation digests", p11->C_Digest(session, data, sizeof data, md, &len),
		CKR_OK);

	s = "digest, held by the server";
	expect(s, "C_DigestInit", p11->C_DigestInit(session, &sha256), CKR_OK);
	expect(s, "C_DigestUpdate", p11->C_DigestUpdate(session, data, sizeof data), CKR_OK);
	expect(s, "C_DigestFinal with a NULL pulDigestLen is CKR_ARGUMENTS_BAD",
		p11->C_DigestFinal(session, md, NULL_PTR), CKR_ARGUMENTS_BAD);
	len = sizeof md;
	expect(s, "the operation ended", p11->C_DigestFinal(session, md, &len),
		CKR_OPERATION_NOT_INITIALIZED);
	expect(s, "C_DigestInit again", p11->C_DigestInit(session, &sha256), CKR_OK);
	expect(s, "the server's operation ended too: the new one takes data",
		p11->C_DigestUpdate(session, data, sizeof data), CKR_OK);
	len = sizeof md;
	expect(s, "the new operation digests", p11->C_DigestFinal(session, md, &len), CKR_OK);

	/* A SoftHSM session runs one operation at a time: the encryption's init stays with the
	 * library (fused with its single-part call), the digest goes to the server. */
	s = "digest and encrypt";
	expect(s, "C_EncryptInit", p11->C_EncryptInit(session, &ecb, aes_key), CKR_OK);
	expect(s, "C_DigestInit", p11->C_DigestInit(session, &sha256), CKR_OK);
	expect(s, "C_DigestUpdate", p11->C_DigestUpdate(session, data, sizeof data), CKR_OK);
	expect(s, "C_DigestEncryptUpdate with a NULL pulEncryptedPartLen is CKR_ARGUMENTS_BAD",
		p11->C_DigestEncryptUpdate(session, block, sizeof block, ct, NULL_PTR), CKR_ARGUMENTS_BAD);
	len = sizeof md;
	expect(s, "the digest ended", p11->C_DigestFinal(session, md, &len),
		CKR_OPERATION_NOT_INITIALIZED);
	len = sizeof ct;
	expect(s, "the encryption ended", p11->C_EncryptFinal(session, ct, &len),
		CKR_OPERATION_NOT_INITIALIZED);
	expect(s, "C_DigestInit again", p11->C_DigestInit(session, &sha256), CKR_OK);
	len = sizeof md;
	expect(s, "the server's operation ended too: the new digest",
		p11->C_Digest(session, data, sizeof data, md, &len), CKR_OK);
	expect(s, "C_EncryptInit again", p11->C_EncryptInit(session, &ecb, aes_key), CKR_OK);
	len = sizeof ct;
	expect(s, "the new encryption", p11->C_Encrypt(session, block, sizeof block, ct, &len), CKR_OK);
}

void check_operations(const char *pin)
{
	if (!setup(pin))
		return;
	check_sign();
	check_verify();
	check_crypt();
	check_digest();
	CHECK_RV("operations: C_Logout", p11->C_Logout(session), CKR_OK);
	CHECK_RV("operations: C_CloseSession", p11->C_CloseSession(session), CKR_OK);
	CHECK_RV("operations: C_Finalize", p11->C_Finalize(NULL_PTR), CKR_OK);
}
