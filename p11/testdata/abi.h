/* abi.h: what abi.c and abi_operations.c share: the loaded module and the check macros. */
#ifndef ABI_H
#define ABI_H

#include <stdio.h>

#include "pkcs11.h"

/* The number of failed checks; main exits 1 when it is not 0. */
extern int failures;
/* The 2.40 function list of the loaded module. */
extern CK_FUNCTION_LIST_PTR p11;

/* load dlopens the module at path and fetches its function lists; it exits on failure. */
void load(const char *path);
/* check_operations runs abi_operations.c against the first slot, logged in with pin. */
void check_operations(const char *pin);

#define CHECK(name, cond, ...)                                           \
	do {                                                                 \
		if (cond) {                                                      \
			printf("ok %s\n", name);                                     \
		} else {                                                         \
			printf("FAIL %s: ", name);                                   \
			printf(__VA_ARGS__);                                         \
			printf("\n");                                                \
			failures++;                                                  \
		}                                                                \
		fflush(stdout);                                                  \
	} while (0)

#define CHECK_RV(name, got, want) \
	CHECK(name, (got) == (want), "rv 0x%lx, want 0x%lx (%s)", (unsigned long)(got), (unsigned long)(want), #want)

#endif
