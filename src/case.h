#ifndef IOVBED_CASE_H
#define IOVBED_CASE_H

#include "action.h"
#include "bed.h"
#include "buffer.h"
#include "engine.h"
#include "matrix.h"
#include "checks.h"
#include "result.h"
#include "uffd_hold.h"

/*
 * One user-IO case on its way through the pipeline: set up (case_setup.c)
 * -> the IO, held or not, in its pin window (case_io.c, iothread.c) ->
 * the checks (case_check.c) -> torn down. The runners (runners.c) drive
 * it; nothing outside the runner sees it.
 */
struct case_ctx {
	struct bed *bed;
	const struct tcase *tc;
	struct target *t;
	struct result *res;
	struct buffer b;
	struct io_req rq;
	struct inflight in;	/* the in-flight action's view */
	struct pin_snap s0, s3;	/* the pin window */
	uint64_t gseed;		/* the guards' */
	off_t io_in_file;	/* where the IO's buffer is in the buffer's own file */
	ssize_t n;		/* what the IO returned */
	int fd;
	/* What is due, from the path found under the target, its rules and
	 * the profile (case_setup.c): pins, and whether the kernel copies the
	 * IO through the page cache instead; how the IO must end. */
	enum pin_expect pins_due;
	char pins_why[192];
	int copies;
	struct io_ending ending;
	size_t dirty_len;	/* the bytes of the buffer the dirty check judges */
	struct uffd_hold uffd;	/* a case held by userfaultfd on its buffer */
	int uffd_armed;
};

/* 0: ready for the IO; -1: not run (the result says why). */
int case_setup(struct case_ctx *c);
/* The IO in its pin window: 0, or -1 (the result says why). */
int case_io(struct case_ctx *c);
void case_check(struct case_ctx *c);
void case_teardown(struct case_ctx *c);

/* The IO thread (iothread.c): run the engine's IO; wait for it until the
 * case's timeout, reporting and cutting off a stuck one. */
struct io_thread;
struct io_thread *io_thread_start(struct case_ctx *c, char *err);
/* 0 the IO ended (c->n, c->res->io_errno); -1 it stays stuck: the run
 * cannot go on (err). Frees it. */
int io_thread_join(struct case_ctx *c, struct io_thread *it, char *err);
/* The IO's task (set once the thread runs). */
pid_t io_thread_tid(const struct io_thread *it);

/* The checks after the data's (case_dirty.c, case_pins.c). */
void check_case_dirty(struct case_ctx *c);
void check_case_pins(struct case_ctx *c);
/* The kernel log and taint since the case's mark; the reports of an IO
 * error the case injected below injected_dev (NULL: none) are noted, not
 * failed. */
void check_case_log(struct bed *bed, struct result *res, const char *injected_dev);
/* The end of a pin bracket opened at s0: deltas, balanced or not; -1 (why)
 * if the counters could not be read. */
int pins_close(struct bed *bed, const struct pin_snap *s0, struct result *res, char *why);

/* What pins the case is due (into pins_why: why), and whether its path
 * copies through the page cache (case_pins.c). */
enum pin_expect case_pins_due(const struct case_ctx *c, int *copies, char *why, size_t len);
/* Was the IO cut off or due to fail: its data cannot be judged. */
int case_ended_badly(const struct case_ctx *c);

#endif
