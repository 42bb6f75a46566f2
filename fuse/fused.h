#ifndef IOVBED_FUSED_H
#define IOVBED_FUSED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The test bed's FUSE daemon (libfuse3 low-level API). It serves one file,
 * "data", opened with FOPEN_DIRECT_IO, whose content starts as the
 * positional pattern of `seed` and keeps what is written; and a control
 * file, "ctl", through which the test bed steers it:
 *
 *   expect SEED OFF LEN   check every WRITE into [OFF, OFF+LEN) against the
 *                         pattern of SEED; mismatches are counted
 *   hold read|write OFF   hold the next READ/WRITE of data starting at OFF
 *   release               answer the held request as if not held
 *   fail ERRNO            answer it with -ERRNO
 *   short N               answer it N bytes short
 *   reset                 forget counters, expectation and mismatches
 *
 * Reading ctl returns one line of status:
 *   reads R writes W mismatches M held read|write|none OFF first_bad TEXT
 * A held request never blocks the others: the loop goes on.
 */
struct fused_config {
	const char *mountpoint;
	size_t size;
	uint64_t seed;
	int splice;		/* splice read/write/move on /dev/fuse */
	int under_test_bed;	/* ignore SIGINT/SIGHUP: the test bed stops us */
};

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
};

enum fused_cmd { CMD_BAD, CMD_EXPECT, CMD_HOLD, CMD_RELEASE, CMD_FAIL, CMD_SHORT, CMD_RESET };
/* Parse a ctl command into st (EXPECT, HOLD, RESET) or *arg (FAIL, SHORT). */
enum fused_cmd fused_command(struct fused_state *st, const char *cmd, long *arg);
/* Store a WRITE payload at off, checking it against the expectation. */
void fused_write(struct fused_state *st, const void *buf, size_t len, off_t off);
/* Should a request of op at off be held now? Disarms the hold if so. */
int fused_should_hold(struct fused_state *st, enum fused_op op, off_t off);
int fused_status(const struct fused_state *st, char *out, size_t len);

#endif
