/* Where a thread of this process is: its scheduler state, the system call
 * it is in, and the kernel function it sleeps in (/proc/self/task/TID).
 * A held IO must hold its caller: asleep in the kernel, inside the system
 * call that issued or waits for the IO. */
#include "taskstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

/* The calls an IO of the test bed's waits in. */
static const struct {
	long nr;
	const char *name;
} calls[] = {
	{ SYS_read, "read" }, { SYS_write, "write" }, { SYS_pread64, "pread64" },
	{ SYS_pwrite64, "pwrite64" }, { SYS_readv, "readv" }, { SYS_writev, "writev" },
	{ SYS_preadv, "preadv" }, { SYS_pwritev, "pwritev" }, { SYS_preadv2, "preadv2" },
	{ SYS_pwritev2, "pwritev2" }, { SYS_io_uring_enter, "io_uring_enter" },
	{ SYS_io_getevents, "io_getevents" }, { SYS_io_pgetevents, "io_pgetevents" },
	{ SYS_io_submit, "io_submit" }, { SYS_splice, "splice" }, { SYS_vmsplice, "vmsplice" },
	{ SYS_sendfile, "sendfile" }, { SYS_copy_file_range, "copy_file_range" },
	{ SYS_ftruncate, "ftruncate" }, { SYS_truncate, "truncate" }, { SYS_fallocate, "fallocate" },
	{ SYS_fsync, "fsync" }, { SYS_fdatasync, "fdatasync" }, { SYS_msync, "msync" },
	{ SYS_finit_module, "finit_module" }, { SYS_recvfrom, "recvfrom" },
	{ SYS_io_uring_register, "io_uring_register" },
};

const char *syscall_name(long nr, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (calls[i].nr == nr)
			return calls[i].name;
	snprintf(buf, len, "syscall %ld", nr);
	return buf;
}

int task_state_parse(const char *stat, const char *syscall, const char *wchan,
		     struct task_state *ts)
{
	const char *paren = strrchr(stat, ')');

	memset(ts, 0, sizeof(*ts));
	if (!paren || sscanf(paren + 1, " %c", &ts->state) != 1)
		return -1;
	if (!strncmp(syscall, "running", 7))
		ts->syscall = TASK_RUNNING_NOW;
	else if (sscanf(syscall, "%ld", &ts->syscall) != 1)
		return -1;
	snprintf(ts->wchan, sizeof(ts->wchan), "%.*s", (int)strcspn(wchan, "\n"), wchan);
	return 0;
}

int task_state_read(pid_t tid, struct task_state *ts, char *err)
{
	char path[3][64], text[3][256];
	int i;

	snprintf(path[0], sizeof(path[0]), "/proc/self/task/%d/stat", (int)tid);
	snprintf(path[1], sizeof(path[1]), "/proc/self/task/%d/syscall", (int)tid);
	snprintf(path[2], sizeof(path[2]), "/proc/self/task/%d/wchan", (int)tid);
	for (i = 0; i < 3; i++)
		if (read_file(path[i], text[i], sizeof(text[i]), err) < 0)
			return -1;
	if (task_state_parse(text[0], text[1], text[2], ts) < 0) {
		snprintf(err, ERRLEN, "task %d: unreadable state in %s / %s", (int)tid, path[0],
			 path[1]);
		return -1;
	}
	return 0;
}

int task_asleep_in_call(const struct task_state *ts, char *why, size_t len)
{
	char nb[32];

	if (ts->state != 'S' && ts->state != 'D') {
		snprintf(why, len, "state %c, not asleep (S or D)", ts->state);
		return 0;
	}
	if (ts->syscall == TASK_RUNNING_NOW || ts->syscall < 0) {
		snprintf(why, len, "state %c, outside any system call", ts->state);
		return 0;
	}
	snprintf(why, len, "%c in %s, wchan %s", ts->state, syscall_name(ts->syscall, nb, sizeof(nb)),
		 *ts->wchan && strcmp(ts->wchan, "0") ? ts->wchan : "-");
	return 1;
}
