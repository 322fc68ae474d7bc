package check

// memberType is a member type as the specification gives it, reduced to what decides the layout
// on LP64 Unix: size and alignment.
type memberType struct {
	size, align int64
}

var (
	tULong   = memberType{8, 8} // CK_ULONG and every CK_ULONG type: flags, handles, enumerations
	tPtr     = memberType{8, 8} // any data or function pointer
	tByte    = memberType{1, 1} // CK_BYTE, CK_CHAR, CK_UTF8CHAR, CK_BBOOL
	tVersion = memberType{2, 1} // CK_VERSION: two CK_BYTE
)

// tBytes is an array of n one-byte characters.
func tBytes(n int64) memberType { return memberType{n, 1} }

type member struct {
	name string
	typ  memberType
}

// specStruct is a structure of the specification: its name and its members in order.
type specStruct struct {
	name    string
	members []member
}

func st(name string, members ...member) specStruct { return specStruct{name, members} }

func ul(name string) member  { return member{name, tULong} }
func ptr(name string) member { return member{name, tPtr} }
func by(name string) member  { return member{name, tByte} }
func ver(name string) member { return member{name, tVersion} }
func chars(name string, n int64) member {
	return member{name, tBytes(n)}
}

// layout returns the size of s and the offset of each member under natural alignment, what the
// LP64 ABIs (System V x86-64 and AArch64) give a C structure.
func (s specStruct) layout() (size int64, offsets []int64) {
	align := int64(1)
	for _, m := range s.members {
		size = roundUp(size, m.typ.align)
		offsets = append(offsets, size)
		size += m.typ.size
		align = max(align, m.typ.align)
	}
	return roundUp(size, align), offsets
}

func roundUp(n, to int64) int64 { return (n + to - 1) / to * to }

// asMember is s as the type of a member of another structure.
func (s specStruct) asMember(name string) member {
	size, _ := s.layout()
	align := int64(1)
	for _, m := range s.members {
		align = max(align, m.typ.align)
	}
	return member{name, memberType{size, align}}
}

var (
	ssl3RandomData = st("CK_SSL3_RANDOM_DATA",
		ptr("pClientRandom"), ul("ulClientRandomLen"), ptr("pServerRandom"), ul("ulServerRandomLen"))
	wtlsRandomData = st("CK_WTLS_RANDOM_DATA",
		ptr("pClientRandom"), ul("ulClientRandomLen"), ptr("pServerRandom"), ul("ulServerRandomLen"))
)

// functionList is CK_FUNCTION_LIST or CK_FUNCTION_LIST_3_0: a version and a pointer per function.
func functionList(name string, fns []specFunction) specStruct {
	members := []member{ver("version")}
	for _, f := range fns {
		members = append(members, ptr(f.name))
	}
	return st(name, members...)
}

// specStructs is every structure the headers define, transcribed from the base specification
// (chapter 3) and the mechanism specifications, v2.40 plus the v3.0 additions of README.md.
func specStructs() []specStruct {
	return []specStruct{
		// Base specification, chapter 3
		st("CK_VERSION", by("major"), by("minor")),
		st("CK_INFO", ver("cryptokiVersion"), chars("manufacturerID", 32), ul("flags"),
			chars("libraryDescription", 32), ver("libraryVersion")),
		st("CK_SLOT_INFO", chars("slotDescription", 64), chars("manufacturerID", 32), ul("flags"),
			ver("hardwareVersion"), ver("firmwareVersion")),
		st("CK_TOKEN_INFO", chars("label", 32), chars("manufacturerID", 32), chars("model", 16),
			chars("serialNumber", 16), ul("flags"), ul("ulMaxSessionCount"), ul("ulSessionCount"),
			ul("ulMaxRwSessionCount"), ul("ulRwSessionCount"), ul("ulMaxPinLen"), ul("ulMinPinLen"),
			ul("ulTotalPublicMemory"), ul("ulFreePublicMemory"), ul("ulTotalPrivateMemory"),
			ul("ulFreePrivateMemory"), ver("hardwareVersion"), ver("firmwareVersion"), chars("utcTime", 16)),
		st("CK_SESSION_INFO", ul("slotID"), ul("state"), ul("flags"), ul("ulDeviceError")),
		st("CK_ATTRIBUTE", ul("type"), ptr("pValue"), ul("ulValueLen")),
		st("CK_DATE", chars("year", 4), chars("month", 2), chars("day", 2)),
		st("CK_MECHANISM", ul("mechanism"), ptr("pParameter"), ul("ulParameterLen")),
		st("CK_MECHANISM_INFO", ul("ulMinKeySize"), ul("ulMaxKeySize"), ul("flags")),
		st("CK_C_INITIALIZE_ARGS", ptr("CreateMutex"), ptr("DestroyMutex"), ptr("LockMutex"),
			ptr("UnlockMutex"), ul("flags"), ptr("pReserved")),
		functionList("CK_FUNCTION_LIST", v240Functions),
		functionList("CK_FUNCTION_LIST_3_0", allFunctions()),
		st("CK_INTERFACE", ptr("pInterfaceName"), ptr("pFunctionList"), ul("flags")),

		// RSA
		st("CK_RSA_PKCS_OAEP_PARAMS", ul("hashAlg"), ul("mgf"), ul("source"), ptr("pSourceData"),
			ul("ulSourceDataLen")),
		st("CK_RSA_PKCS_PSS_PARAMS", ul("hashAlg"), ul("mgf"), ul("sLen")),
		st("CK_RSA_AES_KEY_WRAP_PARAMS", ul("ulAESKeyBits"), ptr("pOAEPParams")),

		// Elliptic curves
		st("CK_ECDH1_DERIVE_PARAMS", ul("kdf"), ul("ulSharedDataLen"), ptr("pSharedData"),
			ul("ulPublicDataLen"), ptr("pPublicData")),
		st("CK_ECDH2_DERIVE_PARAMS", ul("kdf"), ul("ulSharedDataLen"), ptr("pSharedData"),
			ul("ulPublicDataLen"), ptr("pPublicData"), ul("ulPrivateDataLen"), ul("hPrivateData"),
			ul("ulPublicDataLen2"), ptr("pPublicData2")),
		st("CK_ECMQV_DERIVE_PARAMS", ul("kdf"), ul("ulSharedDataLen"), ptr("pSharedData"),
			ul("ulPublicDataLen"), ptr("pPublicData"), ul("ulPrivateDataLen"), ul("hPrivateData"),
			ul("ulPublicDataLen2"), ptr("pPublicData2"), ul("publicKey")),
		st("CK_ECDH_AES_KEY_WRAP_PARAMS", ul("ulAESKeyBits"), ul("kdf"), ul("ulSharedDataLen"),
			ptr("pSharedData")),
		st("CK_EDDSA_PARAMS", by("phFlag"), ul("ulContextDataLen"), ptr("pContextData")),

		// Diffie-Hellman (X9.42), DSA
		st("CK_X9_42_DH1_DERIVE_PARAMS", ul("kdf"), ul("ulOtherInfoLen"), ptr("pOtherInfo"),
			ul("ulPublicDataLen"), ptr("pPublicData")),
		st("CK_X9_42_DH2_DERIVE_PARAMS", ul("kdf"), ul("ulOtherInfoLen"), ptr("pOtherInfo"),
			ul("ulPublicDataLen"), ptr("pPublicData"), ul("ulPrivateDataLen"), ul("hPrivateData"),
			ul("ulPublicDataLen2"), ptr("pPublicData2")),
		st("CK_X9_42_MQV_DERIVE_PARAMS", ul("kdf"), ul("ulOtherInfoLen"), ptr("pOtherInfo"),
			ul("ulPublicDataLen"), ptr("pPublicData"), ul("ulPrivateDataLen"), ul("hPrivateData"),
			ul("ulPublicDataLen2"), ptr("pPublicData2"), ul("publicKey")),
		st("CK_DSA_PARAMETER_GEN_PARAM", ul("hash"), ptr("pSeed"), ul("ulSeedLen"), ul("ulIndex")),

		// AES and the other block ciphers
		st("CK_AES_CTR_PARAMS", ul("ulCounterBits"), chars("cb", 16)),
		st("CK_GCM_PARAMS", ptr("pIv"), ul("ulIvLen"), ul("ulIvBits"), ptr("pAAD"), ul("ulAADLen"),
			ul("ulTagBits")),
		st("CK_CCM_PARAMS", ul("ulDataLen"), ptr("pNonce"), ul("ulNonceLen"), ptr("pAAD"),
			ul("ulAADLen"), ul("ulMACLen")),
		st("CK_AES_GCM_PARAMS", ptr("pIv"), ul("ulIvLen"), ul("ulIvBits"), ptr("pAAD"), ul("ulAADLen"),
			ul("ulTagBits")),
		st("CK_AES_CCM_PARAMS", ul("ulDataLen"), ptr("pNonce"), ul("ulNonceLen"), ptr("pAAD"),
			ul("ulAADLen"), ul("ulMACLen")),
		st("CK_GCM_MESSAGE_PARAMS", ptr("pIv"), ul("ulIvLen"), ul("ulIvFixedBits"), ul("ivGenerator"),
			ptr("pTag"), ul("ulTagBits")),
		st("CK_CCM_MESSAGE_PARAMS", ul("ulDataLen"), ptr("pNonce"), ul("ulNonceLen"),
			ul("ulNonceFixedBits"), ul("nonceGenerator"), ptr("pMAC"), ul("ulMACLen")),
		st("CK_AES_CBC_ENCRYPT_DATA_PARAMS", chars("iv", 16), ptr("pData"), ul("length")),
		st("CK_DES_CBC_ENCRYPT_DATA_PARAMS", chars("iv", 8), ptr("pData"), ul("length")),
		st("CK_CAMELLIA_CTR_PARAMS", ul("ulCounterBits"), chars("cb", 16)),
		st("CK_CAMELLIA_CBC_ENCRYPT_DATA_PARAMS", chars("iv", 16), ptr("pData"), ul("length")),
		st("CK_ARIA_CBC_ENCRYPT_DATA_PARAMS", chars("iv", 16), ptr("pData"), ul("length")),
		st("CK_SEED_CBC_ENCRYPT_DATA_PARAMS", chars("iv", 16), ptr("pData"), ul("length")),
		st("CK_RC2_CBC_PARAMS", ul("ulEffectiveBits"), chars("iv", 8)),
		st("CK_RC2_MAC_GENERAL_PARAMS", ul("ulEffectiveBits"), ul("ulMacLength")),
		st("CK_RC5_PARAMS", ul("ulWordsize"), ul("ulRounds")),
		st("CK_RC5_CBC_PARAMS", ul("ulWordsize"), ul("ulRounds"), ptr("pIv"), ul("ulIvLen")),
		st("CK_RC5_MAC_GENERAL_PARAMS", ul("ulWordsize"), ul("ulRounds"), ul("ulMacLength")),

		// Key derivation and wrapping
		st("CK_KEY_DERIVATION_STRING_DATA", ptr("pData"), ul("ulLen")),
		st("CK_KEY_WRAP_SET_OAEP_PARAMS", by("bBC"), ptr("pX"), ul("ulXLen")),
		st("CK_GOSTR3410_DERIVE_PARAMS", ul("kdf"), ptr("pPublicData"), ul("ulPublicDataLen"),
			ptr("pUKM"), ul("ulUKMLen")),
		st("CK_GOSTR3410_KEY_WRAP_PARAMS", ptr("pWrapOID"), ul("ulWrapOIDLen"), ptr("pUKM"),
			ul("ulUKMLen"), ul("hKey")),

		// Password-based encryption
		st("CK_PBE_PARAMS", ptr("pInitVector"), ptr("pPassword"), ul("ulPasswordLen"), ptr("pSalt"),
			ul("ulSaltLen"), ul("ulIteration")),
		st("CK_PKCS5_PBKD2_PARAMS", ul("saltSource"), ptr("pSaltSourceData"), ul("ulSaltSourceDataLen"),
			ul("iterations"), ul("prf"), ptr("pPrfData"), ul("ulPrfDataLen"), ptr("pPassword"),
			ptr("ulPasswordLen")),
		st("CK_PKCS5_PBKD2_PARAMS2", ul("saltSource"), ptr("pSaltSourceData"), ul("ulSaltSourceDataLen"),
			ul("iterations"), ul("prf"), ptr("pPrfData"), ul("ulPrfDataLen"), ptr("pPassword"),
			ul("ulPasswordLen")),

		// SSL 3.0, TLS, WTLS
		ssl3RandomData,
		st("CK_SSL3_MASTER_KEY_DERIVE_PARAMS", ssl3RandomData.asMember("RandomInfo"), ptr("pVersion")),
		st("CK_SSL3_KEY_MAT_OUT", ul("hClientMacSecret"), ul("hServerMacSecret"), ul("hClientKey"),
			ul("hServerKey"), ptr("pIVClient"), ptr("pIVServer")),
		st("CK_SSL3_KEY_MAT_PARAMS", ul("ulMacSizeInBits"), ul("ulKeySizeInBits"), ul("ulIVSizeInBits"),
			by("bIsExport"), ssl3RandomData.asMember("RandomInfo"), ptr("pReturnedKeyMaterial")),
		st("CK_TLS_PRF_PARAMS", ptr("pSeed"), ul("ulSeedLen"), ptr("pLabel"), ul("ulLabelLen"),
			ptr("pOutput"), ptr("pulOutputLen")),
		st("CK_TLS12_MASTER_KEY_DERIVE_PARAMS", ssl3RandomData.asMember("RandomInfo"), ptr("pVersion"),
			ul("prfHashMechanism")),
		st("CK_TLS12_KEY_MAT_PARAMS", ul("ulMacSizeInBits"), ul("ulKeySizeInBits"), ul("ulIVSizeInBits"),
			by("bIsExport"), ssl3RandomData.asMember("RandomInfo"), ptr("pReturnedKeyMaterial"),
			ul("prfHashMechanism")),
		st("CK_TLS_KDF_PARAMS", ul("prfMechanism"), ptr("pLabel"), ul("ulLabelLength"),
			ssl3RandomData.asMember("RandomInfo"), ptr("pContextData"), ul("ulContextDataLength")),
		st("CK_TLS_MAC_PARAMS", ul("prfHashMechanism"), ul("ulMacLength"), ul("ulServerOrClient")),
		wtlsRandomData,
		st("CK_WTLS_MASTER_KEY_DERIVE_PARAMS", ul("DigestMechanism"), wtlsRandomData.asMember("RandomInfo"),
			ptr("pVersion")),
		st("CK_WTLS_PRF_PARAMS", ul("DigestMechanism"), ptr("pSeed"), ul("ulSeedLen"), ptr("pLabel"),
			ul("ulLabelLen"), ptr("pOutput"), ptr("pulOutputLen")),
		st("CK_WTLS_KEY_MAT_OUT", ul("hMacSecret"), ul("hKey"), ptr("pIV")),
		st("CK_WTLS_KEY_MAT_PARAMS", ul("DigestMechanism"), ul("ulMacSizeInBits"), ul("ulKeySizeInBits"),
			ul("ulIVSizeInBits"), ul("ulSequenceNumber"), by("bIsExport"),
			wtlsRandomData.asMember("RandomInfo"), ptr("pReturnedKeyMaterial")),

		// CMS, KIP, one-time passwords
		st("CK_CMS_SIG_PARAMS", ul("certificateHandle"), ptr("pSigningMechanism"), ptr("pDigestMechanism"),
			ptr("pContentType"), ptr("pRequestedAttributes"), ul("ulRequestedAttributesLen"),
			ptr("pRequiredAttributes"), ul("ulRequiredAttributesLen")),
		st("CK_KIP_PARAMS", ptr("pMechanism"), ul("hKey"), ptr("pSeed"), ul("ulSeedLen")),
		st("CK_OTP_PARAM", ul("type"), ptr("pValue"), ul("ulValueLen")),
		st("CK_OTP_PARAMS", ptr("pParams"), ul("ulCount")),
		st("CK_OTP_SIGNATURE_INFO", ptr("pParams"), ul("ulCount")),

		// Historical: KEA, Skipjack
		st("CK_KEA_DERIVE_PARAMS", by("isSender"), ul("ulRandomLen"), ptr("pRandomA"), ptr("pRandomB"),
			ul("ulPublicDataLen"), ptr("pPublicData")),
		st("CK_SKIPJACK_PRIVATE_WRAP_PARAMS", ul("ulPasswordLen"), ptr("pPassword"), ul("ulPublicDataLen"),
			ptr("pPublicData"), ul("ulPAndGLen"), ul("ulQLen"), ul("ulRandomLen"), ptr("pRandomA"),
			ptr("pPrimeP"), ptr("pBaseG"), ptr("pSubprimeQ")),
		st("CK_SKIPJACK_RELAYX_PARAMS", ul("ulOldWrappedXLen"), ptr("pOldWrappedX"), ul("ulOldPasswordLen"),
			ptr("pOldPassword"), ul("ulOldPublicDataLen"), ptr("pOldPublicData"), ul("ulOldRandomLen"),
			ptr("pOldRandomA"), ul("ulNewPasswordLen"), ptr("pNewPassword"), ul("ulNewPublicDataLen"),
			ptr("pNewPublicData"), ul("ulNewRandomLen"), ptr("pNewRandomA")),
	}
}

// coreStructs must be compared with every reference header present: the structures every
// PKCS#11 application and module exchanges.
var coreStructs = []string{
	"CK_VERSION", "CK_INFO", "CK_SLOT_INFO", "CK_TOKEN_INFO", "CK_SESSION_INFO", "CK_ATTRIBUTE",
	"CK_DATE", "CK_MECHANISM", "CK_MECHANISM_INFO", "CK_C_INITIALIZE_ARGS", "CK_FUNCTION_LIST",
	"CK_RSA_PKCS_OAEP_PARAMS", "CK_RSA_PKCS_PSS_PARAMS", "CK_ECDH1_DERIVE_PARAMS",
	"CK_AES_CTR_PARAMS", "CK_GCM_PARAMS", "CK_KEY_DERIVATION_STRING_DATA",
	"CK_AES_CBC_ENCRYPT_DATA_PARAMS",
}
