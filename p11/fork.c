/*
 * fork.c: how the module notices that it runs in a forked child.
 *
 * The Go runtime does not survive fork(): the child has only the thread that called fork, none
 * of the runtime's threads, and possibly locks held by threads that no longer exist. A call into
 * Go there can hang for ever. So every C_* trampoline asks p11_forked() first and, in a child,
 * answers without entering Go: the child never reaches the parent's connections either.
 *
 * Two signals, because either alone misses a case: the pthread_atfork child handler sets a flag
 * (cheap to test, and it survives pid reuse), and the pid recorded at load is compared with
 * getpid() (a child made by a raw clone() runs no atfork handler). Both are set in a constructor,
 * when the dynamic loader maps the module: that is C state of the loaded image, not Go state.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "p11.h"

static pid_t loaded_in_pid;
static volatile sig_atomic_t forked_child;
static volatile sig_atomic_t reported_forked_initialize;

static void p11_mark_forked_child(void) { forked_child = 1; }

__attribute__((constructor)) static void p11_on_load(void)
{
	loaded_in_pid = getpid();
	/* The module is linked with -z nodelete, so the handler stays mapped for the life of the
	 * process: dlclose cannot leave libc calling into unmapped code at the next fork. */
	pthread_atfork(NULL, NULL, p11_mark_forked_child);
}

int p11_forked(void) { return forked_child || getpid() != loaded_in_pid; }

void p11_report_forked_initialize(void)
{
	static const char msg[] =
		"libcloudp11: C_Initialize in a child forked after the module was loaded: not supported "
		"(CKR_GENERAL_ERROR); the module's Go runtime does not survive fork(), so load the "
		"module in the processes that use it, after they are forked\n";
	ssize_t ignored;

	if (reported_forked_initialize)
		return;
	reported_forked_initialize = 1;
	/* write(2), not stdio: the parent may have forked while another thread held stdio's lock. */
	ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
	(void)ignored;
}
