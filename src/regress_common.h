#ifndef IOVBED_REGRESS_COMMON_H
#define IOVBED_REGRESS_COMMON_H

#include <limits.h>
#include <sys/types.h>
#include "regress.h"

#define OLD_KEY 0x6f6c64ULL	/* "old": what the page holds first */
#define NEW_KEY 0x6e6577ULL	/* "new": what is written later */
#define SPAN ((int)(64 * KiB))	/* the bytes a case shares, splices, registers */
#define VERDICT_WHAT 256

/* A small shared area where a child leaves its verdict. */
struct verdict {
	int done;
	int bad;		/* 1: the child saw what it must not */
	char what[VERDICT_WHAT];
};

struct verdict *verdict_map(char *err);
void verdict_unmap(struct verdict *v);
/* Does buf hold the pattern of seed (as at file offset 0)? Describe it in
 * out (VERDICT_WHAT bytes) if not. */
int holds(const void *buf, size_t len, uint64_t seed, const char *what, char *out);
/* The child exited 0; else say how it ended (its exit code: the step that failed). */
int wait_ok(pid_t pid, struct strbuf *diag, const char *who);
/* A file of SPAN bytes on the test bed's ext4 holding the pattern of seed:
 * its fd, opened O_DIRECT, its path in path (PATH_MAX). -1 with err. */
int pattern_file(struct env *env, const char *name, uint64_t seed, char *path, char *err);
/* Close both ends of a pipe that are open. */
void pipe_close(int p[2]);

#endif
