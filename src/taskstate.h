#ifndef IOVBED_TASKSTATE_H
#define IOVBED_TASKSTATE_H

#include <sys/types.h>
#include "util.h"

#define TASK_RUNNING_NOW (-2L)	/* /proc's syscall file says "running" */

/* A thread as /proc/self/task/TID shows it. */
struct task_state {
	char state;		/* R, S, D, ... */
	long syscall;		/* the call it is in, -1 none, TASK_RUNNING_NOW */
	char wchan[64];		/* the kernel function it sleeps in, or "0" */
};

/* From the texts of its stat, syscall and wchan files: 0, or -1. */
int task_state_parse(const char *stat, const char *syscall, const char *wchan,
		     struct task_state *ts);
/* Of a thread of this process: 0, or -1 with err. */
int task_state_read(pid_t tid, struct task_state *ts, char *err);
/* Is it asleep in the kernel inside a system call? 1 with "D in preadv,
 * wchan submit_bio_wait" in why, or 0 with what it is instead. */
int task_asleep_in_call(const struct task_state *ts, char *why, size_t len);
/* "preadv", or "syscall N" in buf. */
const char *syscall_name(long nr, char *buf, size_t len);

#endif
