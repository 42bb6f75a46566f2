#ifndef IOVBED_FUSED_H
#define IOVBED_FUSED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The test bed's FUSE daemon (libfuse3 low-level API). Every file is
 * opened with FOPEN_DIRECT_IO. It serves "data", whose content starts as
 * the positional pattern of `seed` and keeps what is written; "script", a
 * shell script (the kernel reads its #! line itself: KVEC); "acct", an
 * empty file that grows by what is appended (process accounting records
 * written by the kernel: KVEC); "disk", disk_size zero bytes (a loop
 * device's backing file), if disk_size is set; "data-cached", the
 * content of "data" served without FOPEN_DIRECT_IO; "log", the requests on
 * script and acct, a line each; and "ctl", through which the test bed
 * steers it:
 *
 *   expect SEED OFF LEN   check every WRITE into [OFF, OFF+LEN) against the
 *                         pattern of SEED; mismatches are counted
 *   hold read|write OFF   hold the next READ/WRITE of data starting at OFF
 *   release               answer the held request as if not held
 *   fail ERRNO            answer it with -ERRNO
 *   short N               answer it N bytes short
 *   corrupt FILE OFF      from now on, flip one byte (XOR FUSED_CORRUPT_XOR)
 *                         of every READ reply of FILE (data, data-cached,
 *                         disk) that covers offset OFF: a fault keyed to
 *                         file and offset, so a replay hits the same read
 *   reset                 forget counters, expectation, mismatches, faults
 *
 * Reading ctl returns one line of status, also written to status_path,
 * outside the mount, after every command and every request on data:
 *   reads R writes W mismatches M held read|write|none OFF corrupted C first_bad TEXT
 * Holds apply to "data" only. A held request never blocks the others:
 * the loop goes on.
 */
struct fused_config {
	const char *mountpoint;
	size_t size;
	uint64_t seed;
	int splice;		/* splice read/write/move on /dev/fuse */
	int under_test_bed;	/* ignore SIGINT/SIGHUP: the test bed stops us */
	size_t disk_size;	/* serve "disk" of this many bytes if not 0 */
	const char *status_path;	/* publish the status line here, or NULL */
};

/* Only the kernel reads the script: env runs sh -c 'exit 42', which never
 * opens it, so the exit status proves the #! line arrived intact. */
#define FUSED_SCRIPT "#!/usr/bin/env -S sh -c 'exit 42'\n# iovbed: only the kernel reads this file\n"
#define FUSED_SCRIPT_STATUS 42
#define FUSED_LOG_MAX 8192

/* Run the daemon in this process until unmounted or signalled. */
int fused_main(const struct fused_config *cfg);

/* The parsing and bookkeeping, separate from libfuse for unit tests. */
enum fused_op { FUSED_NONE, FUSED_READ, FUSED_WRITE };
struct fused_state {
	unsigned char *data;
	size_t size;
	uint64_t seed;
	int expect;
	uint64_t exp_seed;
	off_t exp_off;
	size_t exp_len;
	unsigned long reads, writes, mismatches;
	char first_bad[256];
	enum fused_op hold_op;	/* armed: hold the next op at hold_off */
	off_t hold_off;
	enum fused_op held_op;	/* a request is held */
	off_t held_off;
	char log[FUSED_LOG_MAX];	/* requests on script and acct */
	size_t loglen;
	char corrupt_file[16];	/* the corrupt fault's file ("" none) */
	off_t corrupt_off;
	unsigned long corrupted;	/* replies corrupted */
};
#define FUSED_CORRUPT_XOR 0x5a

enum fused_cmd { CMD_BAD, CMD_EXPECT, CMD_HOLD, CMD_RELEASE, CMD_FAIL, CMD_SHORT, CMD_RESET,
		 CMD_CORRUPT };
/* Parse a ctl command into st (EXPECT, HOLD, CORRUPT, RESET) or *arg (FAIL, SHORT). */
enum fused_cmd fused_command(struct fused_state *st, const char *cmd, long *arg);
/* Store a WRITE payload at off, checking it against the expectation. */
void fused_write(struct fused_state *st, const void *buf, size_t len, off_t off);
/* Should a request of op at off be held now? Disarms the hold if so. */
int fused_should_hold(struct fused_state *st, enum fused_op op, off_t off);
int fused_status(const struct fused_state *st, char *out, size_t len);
/* Where the corrupt fault hits a READ reply of n bytes of file at off:
 * the byte's position in the reply (counted as corrupted), or -1. */
long fused_corrupt_pos(struct fused_state *st, const char *file, off_t off, size_t n);
/* Append one line to the request log (dropped when full). */
void fused_log(struct fused_state *st, const char *op, const char *file, off_t off, size_t len);

#endif
