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
 *   hold-disk read|write SEED OFF LEN
 *                         hold every READ/WRITE of disk that carries a word
 *                         of SEED's pattern for file offsets [OFF, OFF+LEN)
 *                         (a READ: in the disk's bytes it asks for; a WRITE:
 *                         in its payload), until all LEN/8 words are held;
 *                         then let the rest through (the page cache's own
 *                         reads of the range): the IO of a filesystem on a
 *                         loop device over disk is held whatever its layout
 *   release               answer the held requests as if not held
 *   fail ERRNO            answer them with -ERRNO
 *   short N               answer them (of disk: the last one) N bytes short
 *   corrupt FILE OFF      from now on, flip one byte (XOR FUSED_CORRUPT_XOR)
 *                         of every READ reply of FILE (data, data-cached,
 *                         disk) that covers offset OFF: a fault keyed to
 *                         file and offset, so a replay hits the same read
 *   reset                 forget counters, expectation, mismatches, faults
 *
 * Reading ctl returns one line of status, also written to status_path,
 * outside the mount, after every command and every request on data:
 *   reads R writes W mismatches M held read|write|none OFF corrupted C
 *   disk-held N words W first_bad TEXT
 * (N disk requests held, carrying W words of the range). A held request
 * never blocks the others: the loop goes on.
 */
struct fused_config {
	const char *mountpoint;
	size_t size;
	uint64_t seed;
	int splice;		/* splice read/write/move on /dev/fuse */
	int under_test_bed;	/* ignore SIGINT/SIGHUP: the test bed stops us */
	size_t disk_size;	/* serve "disk" of this many bytes if not 0 */
	const char *status_path;	/* publish the status line here, or NULL */
	/* Under the test bed: the mounts below this directory (its scratch
	 * directory's) are detached from the daemon's own mount namespace. */
	const char *detach_below;
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

/* A hold of a case's data on disk (hold-disk). */
#define FUSED_DISK_HELD_MAX 64	/* requests held at once */
struct fused_disk_hold {
	enum fused_op op;	/* armed for this op, or FUSED_NONE */
	uint64_t seed;
	off_t off;		/* the file offsets whose words are held */
	size_t len;
	unsigned nheld;		/* requests held */
	unsigned long words;	/* words of the range they carry */
};
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
	struct fused_disk_hold disk;
};
#define FUSED_CORRUPT_XOR 0x5a

enum fused_cmd { CMD_BAD, CMD_EXPECT, CMD_HOLD, CMD_RELEASE, CMD_FAIL, CMD_SHORT, CMD_RESET,
		 CMD_CORRUPT, CMD_HOLD_DISK };
/* Parse a ctl command into st (EXPECT, HOLD, HOLD_DISK, CORRUPT, RESET)
 * or *arg (FAIL, SHORT). */
enum fused_cmd fused_command(struct fused_state *st, const char *cmd, long *arg);
/* Store a WRITE payload at off, checking it against the expectation. */
void fused_write(struct fused_state *st, const void *buf, size_t len, off_t off);
/* Should a request of op at off be held now? Disarms the hold if so. */
int fused_should_hold(struct fused_state *st, enum fused_op op, off_t off);
/* Should this request of op on disk, carrying bytes (what a READ will
 * return, a WRITE's payload; 8-byte aligned on the disk), be held? */
int fused_disk_should_hold(struct fused_state *st, enum fused_op op, const void *bytes,
			   size_t n);
/* The held disk requests were answered: disarm. */
void fused_disk_answered(struct fused_state *st);
int fused_status(const struct fused_state *st, char *out, size_t len);
/* Where the corrupt fault hits a READ reply of n bytes of file at off:
 * the byte's position in the reply (counted as corrupted), or -1. */
long fused_corrupt_pos(struct fused_state *st, const char *file, off_t off, size_t n);
/* Append one line to the request log (dropped when full). */
void fused_log(struct fused_state *st, const char *op, const char *file, off_t off, size_t len);

#endif
