/* random.c: random number generation functions (v2.40 section 5.15). */
#include "p11.h"

CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen)
{
	P11_FORK_GUARD();
	return goSeedRandom(hSession, pSeed, ulSeedLen);
}

CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen)
{
	P11_FORK_GUARD();
	return goGenerateRandom(hSession, RandomData, ulRandomLen);
}
