package transport

// msgSpecs is the table of every message type: its name, when it may be
// sent, and how to make an empty request and response for decoding. It is
// built once, at package initialisation, and only read afterwards.
var msgSpecs = map[MsgType]*msgSpec{
	MsgHello:       handshake[HelloRequest, HelloResponse]("Hello"),
	MsgProxyLogin:  handshake[ProxyLoginRequest, ProxyLoginResponse]("ProxyLogin"),
	MsgUserLogin:   handshake[UserLoginRequest, UserLoginResponse]("UserLogin"),
	MsgFetchSecret: handshake[FetchSecretRequest, FetchSecretResponse]("FetchSecret"),

	MsgPing:     spec[PingRequest, PingResponse]("Ping", PhaseAnyMode),
	MsgGoodbye:  {name: "Goodbye", phase: PhaseServer},
	MsgAuditLog: spec[AuditLogRequest, AuditLogResponse]("AuditLog", PhaseAuditLog),

	MsgGetTokenInfo:     pkcs11[GetTokenInfoRequest, TokenInfoResponse]("C_GetTokenInfo"),
	MsgGetMechanismList: pkcs11[GetMechanismListRequest, MechanismListResponse]("C_GetMechanismList"),
	MsgGetMechanismInfo: pkcs11[GetMechanismInfoRequest, MechanismInfoResponse]("C_GetMechanismInfo"),
	MsgInitToken:        pkcs11[InitTokenRequest, StatusResponse]("C_InitToken"),
	MsgInitPIN:          pkcs11[InitPINRequest, StatusResponse]("C_InitPIN"),
	MsgSetPIN:           pkcs11[SetPINRequest, StatusResponse]("C_SetPIN"),

	MsgOpenSession:       pkcs11[OpenSessionRequest, SessionResponse]("C_OpenSession"),
	MsgCloseSession:      pkcs11[CloseSessionRequest, StatusResponse]("C_CloseSession"),
	MsgCloseAllSessions:  pkcs11[CloseAllSessionsRequest, StatusResponse]("C_CloseAllSessions"),
	MsgGetSessionInfo:    pkcs11[GetSessionInfoRequest, SessionInfoResponse]("C_GetSessionInfo"),
	MsgGetOperationState: pkcs11[GetOperationStateRequest, OutputResponse]("C_GetOperationState"),
	MsgSetOperationState: pkcs11[SetOperationStateRequest, StatusResponse]("C_SetOperationState"),
	MsgLogin:             pkcs11[LoginRequest, StatusResponse]("C_Login"),
	MsgLogout:            pkcs11[LogoutRequest, StatusResponse]("C_Logout"),

	MsgCreateObject:      pkcs11[CreateObjectRequest, ObjectResponse]("C_CreateObject"),
	MsgCopyObject:        pkcs11[CopyObjectRequest, ObjectResponse]("C_CopyObject"),
	MsgDestroyObject:     pkcs11[DestroyObjectRequest, StatusResponse]("C_DestroyObject"),
	MsgGetObjectSize:     pkcs11[GetObjectSizeRequest, ObjectSizeResponse]("C_GetObjectSize"),
	MsgGetAttributeValue: pkcs11[GetAttributeValueRequest, GetAttributeValueResponse]("C_GetAttributeValue"),
	MsgSetAttributeValue: pkcs11[SetAttributeValueRequest, StatusResponse]("C_SetAttributeValue"),
	MsgFindObjectsInit:   pkcs11[FindObjectsInitRequest, StatusResponse]("C_FindObjectsInit"),
	MsgFindObjects:       pkcs11[FindObjectsRequest, FindObjectsResponse]("C_FindObjects"),
	MsgFindObjectsFinal:  pkcs11[FindObjectsFinalRequest, StatusResponse]("C_FindObjectsFinal"),
	MsgFindObjectsOnce:   fused[FindObjectsOnceRequest, FindObjectsOnceResponse]("FindObjectsOnce"),

	MsgEncryptInit:   pkcs11[EncryptInitRequest, StatusResponse]("C_EncryptInit"),
	MsgEncrypt:       pkcs11[EncryptRequest, OutputResponse]("C_Encrypt"),
	MsgEncryptUpdate: pkcs11[EncryptUpdateRequest, OutputResponse]("C_EncryptUpdate"),
	MsgEncryptFinal:  pkcs11[EncryptFinalRequest, OutputResponse]("C_EncryptFinal"),
	MsgEncryptOnce:   fused[EncryptOnceRequest, FusedOutputResponse]("EncryptOnce"),

	MsgDecryptInit:   pkcs11[DecryptInitRequest, StatusResponse]("C_DecryptInit"),
	MsgDecrypt:       pkcs11[DecryptRequest, OutputResponse]("C_Decrypt"),
	MsgDecryptUpdate: pkcs11[DecryptUpdateRequest, OutputResponse]("C_DecryptUpdate"),
	MsgDecryptFinal:  pkcs11[DecryptFinalRequest, OutputResponse]("C_DecryptFinal"),
	MsgDecryptOnce:   fused[DecryptOnceRequest, FusedOutputResponse]("DecryptOnce"),

	MsgDigestInit:   pkcs11[DigestInitRequest, StatusResponse]("C_DigestInit"),
	MsgDigest:       pkcs11[DigestRequest, OutputResponse]("C_Digest"),
	MsgDigestUpdate: pkcs11[DigestUpdateRequest, StatusResponse]("C_DigestUpdate"),
	MsgDigestKey:    pkcs11[DigestKeyRequest, StatusResponse]("C_DigestKey"),
	MsgDigestFinal:  pkcs11[DigestFinalRequest, OutputResponse]("C_DigestFinal"),
	MsgDigestOnce:   fused[DigestOnceRequest, FusedOutputResponse]("DigestOnce"),

	MsgSignInit:        pkcs11[SignInitRequest, StatusResponse]("C_SignInit"),
	MsgSign:            pkcs11[SignRequest, OutputResponse]("C_Sign"),
	MsgSignUpdate:      pkcs11[SignUpdateRequest, StatusResponse]("C_SignUpdate"),
	MsgSignFinal:       pkcs11[SignFinalRequest, OutputResponse]("C_SignFinal"),
	MsgSignRecoverInit: pkcs11[SignRecoverInitRequest, StatusResponse]("C_SignRecoverInit"),
	MsgSignRecover:     pkcs11[SignRecoverRequest, OutputResponse]("C_SignRecover"),
	MsgSignOnce:        fused[SignOnceRequest, FusedOutputResponse]("SignOnce"),

	MsgVerifyInit:        pkcs11[VerifyInitRequest, StatusResponse]("C_VerifyInit"),
	MsgVerify:            pkcs11[VerifyRequest, StatusResponse]("C_Verify"),
	MsgVerifyUpdate:      pkcs11[VerifyUpdateRequest, StatusResponse]("C_VerifyUpdate"),
	MsgVerifyFinal:       pkcs11[VerifyFinalRequest, StatusResponse]("C_VerifyFinal"),
	MsgVerifyRecoverInit: pkcs11[VerifyRecoverInitRequest, StatusResponse]("C_VerifyRecoverInit"),
	MsgVerifyRecover:     pkcs11[VerifyRecoverRequest, OutputResponse]("C_VerifyRecover"),
	MsgVerifyOnce:        fused[VerifyOnceRequest, FusedStatusResponse]("VerifyOnce"),

	MsgDigestEncryptUpdate: pkcs11[DigestEncryptUpdateRequest, OutputResponse]("C_DigestEncryptUpdate"),
	MsgDecryptDigestUpdate: pkcs11[DecryptDigestUpdateRequest, OutputResponse]("C_DecryptDigestUpdate"),
	MsgSignEncryptUpdate:   pkcs11[SignEncryptUpdateRequest, OutputResponse]("C_SignEncryptUpdate"),
	MsgDecryptVerifyUpdate: pkcs11[DecryptVerifyUpdateRequest, OutputResponse]("C_DecryptVerifyUpdate"),

	MsgGenerateKey:     pkcs11[GenerateKeyRequest, ObjectResponse]("C_GenerateKey"),
	MsgGenerateKeyPair: pkcs11[GenerateKeyPairRequest, KeyPairResponse]("C_GenerateKeyPair"),
	MsgWrapKey:         pkcs11[WrapKeyRequest, OutputResponse]("C_WrapKey"),
	MsgUnwrapKey:       pkcs11[UnwrapKeyRequest, ObjectResponse]("C_UnwrapKey"),
	MsgDeriveKey:       pkcs11[DeriveKeyRequest, ObjectResponse]("C_DeriveKey"),

	MsgSeedRandom:     pkcs11[SeedRandomRequest, StatusResponse]("C_SeedRandom"),
	MsgGenerateRandom: pkcs11[GenerateRandomRequest, RandomResponse]("C_GenerateRandom"),
}

// messagePtr is satisfied by *T when *T is a message: the generic
// constructors below make a fresh *T for each decode.
type messagePtr[T any] interface {
	*T
	Message
}

type requestPtr[T any] interface {
	*T
	Request
}

func spec[Req any, Resp any, PReq requestPtr[Req], PResp messagePtr[Resp]](name string, phase Phase) *msgSpec {
	return &msgSpec{
		name:        name,
		phase:       phase,
		newRequest:  func() Request { return PReq(new(Req)) },
		newResponse: func() Message { return PResp(new(Resp)) },
	}
}

func handshake[Req any, Resp any, PReq requestPtr[Req], PResp messagePtr[Resp]](name string) *msgSpec {
	return spec[Req, Resp, PReq, PResp](name, PhaseHandshake)
}

func pkcs11[Req any, Resp any, PReq requestPtr[Req], PResp messagePtr[Resp]](name string) *msgSpec {
	return spec[Req, Resp, PReq, PResp](name, PhasePKCS11)
}

func fused[Req any, Resp any, PReq requestPtr[Req], PResp messagePtr[Resp]](name string) *msgSpec {
	s := spec[Req, Resp, PReq, PResp](name, PhasePKCS11)
	s.fused = true
	return s
}
