/* setenv_init MODULE NAME=VALUE...: sets the variables with setenv(3), as an application does
 * in its own code (Python's os.environ, PHP's putenv, nginx's "env NAME=value"), then loads
 * the module and calls C_Initialize(NULL) and C_Finalize(NULL). Prints "rv 0x..." of
 * C_Initialize; exit status 0 when it answered CKR_OK. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long (*ck_fn)(void *);

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: setenv_init MODULE NAME=VALUE...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (eq == NULL) {
			fprintf(stderr, "not NAME=VALUE: %s\n", argv[i]);
			return 2;
		}
		*eq = '\0';
		if (setenv(argv[i], eq + 1, 1) != 0) {
			perror("setenv");
			return 2;
		}
	}
	void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 2;
	}
	ck_fn init = (ck_fn)dlsym(lib, "C_Initialize");
	ck_fn fini = (ck_fn)dlsym(lib, "C_Finalize");
	if (init == NULL || fini == NULL) {
		fprintf(stderr, "dlsym: %s\n", dlerror());
		return 2;
	}
	unsigned long rv = init(NULL);
	printf("rv 0x%lx\n", rv);
	if (rv == 0) {
		fini(NULL);
	}
	return rv == 0 ? 0 : 1;
}
