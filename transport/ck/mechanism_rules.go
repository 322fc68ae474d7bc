package ck

// paramRules is the table of docs/protocol.md 2.3: for each mechanism with a
// parameter, its kind. Keep the two in step.
var paramRules = map[MechanismType]ParamRule{
	CKM_SHA_1_HMAC_GENERAL:       {Kind: ParamULONG},
	CKM_SHA224_HMAC_GENERAL:      {Kind: ParamULONG},
	CKM_SHA256_HMAC_GENERAL:      {Kind: ParamULONG},
	CKM_SHA384_HMAC_GENERAL:      {Kind: ParamULONG},
	CKM_SHA512_HMAC_GENERAL:      {Kind: ParamULONG},
	CKM_SHA3_224_HMAC_GENERAL:    {Kind: ParamULONG},
	CKM_SHA3_256_HMAC_GENERAL:    {Kind: ParamULONG},
	CKM_SHA3_384_HMAC_GENERAL:    {Kind: ParamULONG},
	CKM_SHA3_512_HMAC_GENERAL:    {Kind: ParamULONG},
	CKM_MD5_HMAC_GENERAL:         {Kind: ParamULONG},
	CKM_AES_MAC_GENERAL:          {Kind: ParamULONG},
	CKM_AES_CMAC_GENERAL:         {Kind: ParamULONG},
	CKM_DES3_MAC_GENERAL:         {Kind: ParamULONG},
	CKM_DES3_CMAC_GENERAL:        {Kind: ParamULONG},
	CKM_CONCATENATE_BASE_AND_KEY: {Kind: ParamULONG},
	CKM_EXTRACT_KEY_FROM_KEY:     {Kind: ParamULONG},

	CKM_AES_CBC:          {Kind: ParamIV},
	CKM_AES_CBC_PAD:      {Kind: ParamIV},
	CKM_AES_OFB:          {Kind: ParamIV},
	CKM_AES_CFB8:         {Kind: ParamIV},
	CKM_AES_CFB64:        {Kind: ParamIV},
	CKM_AES_CFB128:       {Kind: ParamIV},
	CKM_AES_CTS:          {Kind: ParamIV},
	CKM_DES3_CBC:         {Kind: ParamIV},
	CKM_DES3_CBC_PAD:     {Kind: ParamIV},
	CKM_DES_CBC:          {Kind: ParamIV},
	CKM_DES_CBC_PAD:      {Kind: ParamIV},
	CKM_AES_KEY_WRAP:     {Kind: ParamIV, Optional: true},
	CKM_AES_KEY_WRAP_PAD: {Kind: ParamIV, Optional: true},

	CKM_RSA_PKCS_PSS:          {Kind: ParamRSAPSS},
	CKM_SHA1_RSA_PKCS_PSS:     {Kind: ParamRSAPSS},
	CKM_SHA224_RSA_PKCS_PSS:   {Kind: ParamRSAPSS},
	CKM_SHA256_RSA_PKCS_PSS:   {Kind: ParamRSAPSS},
	CKM_SHA384_RSA_PKCS_PSS:   {Kind: ParamRSAPSS},
	CKM_SHA512_RSA_PKCS_PSS:   {Kind: ParamRSAPSS},
	CKM_SHA3_224_RSA_PKCS_PSS: {Kind: ParamRSAPSS},
	CKM_SHA3_256_RSA_PKCS_PSS: {Kind: ParamRSAPSS},
	CKM_SHA3_384_RSA_PKCS_PSS: {Kind: ParamRSAPSS},
	CKM_SHA3_512_RSA_PKCS_PSS: {Kind: ParamRSAPSS},

	CKM_RSA_PKCS_OAEP: {Kind: ParamRSAOAEP},

	CKM_AES_GCM: {Kind: ParamGCM},
	CKM_AES_CCM: {Kind: ParamCCM},
	CKM_AES_CTR: {Kind: ParamCTR},

	CKM_ECDH1_DERIVE:          {Kind: ParamECDH1Derive},
	CKM_ECDH1_COFACTOR_DERIVE: {Kind: ParamECDH1Derive},

	CKM_EDDSA: {Kind: ParamEdDSA, Optional: true},

	CKM_CONCATENATE_BASE_AND_DATA: {Kind: ParamDerivationString},
	CKM_CONCATENATE_DATA_AND_BASE: {Kind: ParamDerivationString},
	CKM_XOR_BASE_AND_DATA:         {Kind: ParamDerivationString},
	CKM_AES_ECB_ENCRYPT_DATA:      {Kind: ParamDerivationString},
	CKM_DES3_ECB_ENCRYPT_DATA:     {Kind: ParamDerivationString},

	CKM_AES_CBC_ENCRYPT_DATA: {Kind: ParamAESCBCEncryptData},
}
