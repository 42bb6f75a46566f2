#ifndef IOVBED_ACTION_H
#define IOVBED_ACTION_H

#include "buffer.h"
#include "iovbed.h"
#include "known.h"
#include "target.h"
#include "util.h"

#define SHORT_BY 4096		/* "short" answers this many bytes short */
#define DELAY_MS 300		/* "delay" holds the request this long */

/* How a case's IO must end under its action: in full, with an error,
 * SHORT_BY short, with any prefix of it (a read cut by a truncate), or
 * with EFAULT or a count that stops at or before the buffer's fault, or
 * (a read) exactly at the end of the file (inflight.due_n). */
enum io_end { END_FULL, END_ERROR, END_SHORT, END_PREFIX, END_FAULT, END_AT_EOF };

/* ... with which errno (END_ERROR; 0 any), and why, where it departs
 * from the action's own promise. */
struct io_ending {
	enum io_end end;
	int errnum;
	const char *why;
	int zeros_ok;		/* a read's sectors may hold zeros instead of the data */
};

/*
 * A held IO, as an in-flight action sees it: the buffer, the target
 * holding the request, and what the action leaves for the checks after.
 */
struct inflight {
	struct buffer *b;
	struct target *t;
	enum dir dir;
	off_t file_off;
	uint64_t poison_seed;	/* what a read's destination held before the IO */
	struct strbuf *diag;	/* "inflight: ..." notes, an action's own failures */
	/* set by the action */
	const char *answer;	/* the held request's answer: NULL as held, "fail N", "short N" */
	char answer_buf[32];
	int no_answer;		/* never answered: stuck, or cut off */
	int cut;		/* the target was cut off: set up anew after the case */
	int unmapped;		/* the buffer is gone: nothing to compare */
	int misdeclared;	/* the case's flavour is declared wrong on purpose (a self-test) */
	char *zero_lo, *zero_hi;	/* dropped: these bytes must read zero, not the data */
	const char *zero_why;	/* why (NULL: dropped with MADV_DONTNEED while held) */
	uint64_t region_seed;	/* the pattern of the target's read region */
	/* The action changed the target's file: set back after the case; or
	 * for good (xfs keeps a reflinked inode's flag: its later direct writes
	 * go buffered): set up anew. */
	int file_changed, reshaped;
	uint64_t either_seed;	/* the range was rewritten with this seed's pattern beside
				 * a read: each sector holds one version; the file the new */
	off_t file_gone;	/* a write's range was truncated at this offset (or
				 * punched: -1 none): it must read as zeros or EOF */
	/* A buffer made to fail GUP part-way (ACT_UNHELD): the first byte
	 * it cannot take, and the first after the fault (what follows must
	 * stay untouched); both inside the buffer. */
	char *fault_at, *fault_end;
	int guards_lost;	/* the trailing guard went with the fault: not judged */
	uint64_t write_seed;	/* a write's pattern */
	ssize_t due_n;		/* END_AT_EOF: the count a read must return */
	int read_cached;	/* a write's read-back goes through the page cache as it is */
	int skip;		/* prepare's -1: the kernel or filesystem lacks it (err says) */
	char *held_from;	/* userfaultfd holds from here: a fork's child judges
				 * only what was mapped before it (NULL: all) */
	unsigned failed;	/* enum check_bit of the action's own checks that failed */
	ssize_t n;		/* what the IO returned (for finish and ACT_AFTER) */
	void *priv;		/* the action's own state, from step to finish */
};

enum action_flag {
	ACT_EVERY_ENGINE = 1u << 0,	/* the default runs every engine, not one */
	ACT_SELFTEST = 1u << 1,		/* must fail; runs only when named exactly */
	ACT_CUTS = 1u << 2,		/* cuts the target off: needs target_ops.cut */
	ACT_AFTER = 1u << 3,		/* acts after completion: nothing is held */
	ACT_NUMA = 1u << 4,		/* needs a second NUMA node */
	ACT_INJECTS = 1u << 5,		/* fails the IO below the target: the kernel's
					 * report of that error on its device is due */
	ACT_FILE = 1u << 6,		/* changes the target's file beside the IO:
					 * targets whose file may change */
	ACT_ONE_BUFFER = 1u << 7,	/* the default takes one case per direction, of
					 * every buffer and engine (each sets the target
					 * up anew: a cut) */
	ACT_UNHELD = 1u << 8,		/* nothing is held: it prepares the case before
					 * its IO (and finishes after): every target */
	ACT_SWAP = 1u << 9,		/* needs swap: the run's swap file (env_swap) */
	ACT_PAGES_OUT = 1u << 10,	/* the buffer's pages are absent when the IO
					 * begins (a target's pin rule may depend on it) */
	ACT_UFFD = 1u << 11,		/* also held by userfaultfd on its buffer, on
					 * every target: "uffd-NAME" */
	ACT_UFFD_WP = 1u << 12,		/* ... and in write-protect mode: "uffd-wp-NAME" */
};

/* Which of a path's in-flight verdicts an action's cases speak to (every
 * held case speaks to "pins held while in flight"). */
enum inflight_verdict { IV_NONE, IV_REDIRTY, IV_FORK, IV_ERROR };

/*
 * What is done while an IO is held in flight: one file each (or a family
 * in one file), the last part of the case id; the registry is generated
 * from Makefile.am's ACTION_FILES.
 */
struct action_ops {
	const char *name;
	const char *desc;
	const char *tag;	/* the regression it guards against, or NULL */
	unsigned dirs;		/* 1 << DIR_READ, 1 << DIR_WRITE */
	unsigned backings;	/* 1 << BACKING_* of the buffers it applies to */
	const char *buffers;	/* ... of those, only these ("anon,shm-ext4"), or NULL */
	/* Why a read of its range takes no pins on iomap (a hole), or NULL. */
	const char *reads_zeroed;
	/* Why a read of its range is copied through the page cache, or NULL. */
	const char *reads_copied;
	/* Why a write may be copied through the page cache (pins any), or NULL. */
	const char *writes_may_copy;
	unsigned flags;		/* enum action_flag */
	enum io_end end;	/* how the IO must end */
	int errnum;		/* END_ERROR: with this errno (0: any) */
	/* How a read must end where the kernel copies it through the page
	 * cache instead (btrfs's fallback: the caller's buffer is written by
	 * copy_to_user after the device answered); NULL: the same. */
	const struct io_ending *copied;
	/* How a read must end held by userfaultfd on its buffer instead, GUP
	 * stopped in the buffer's middle (mprotect, munmap: the rest of the
	 * pages cannot be taken any more); NULL: the same. */
	const struct io_ending *uffd_end;
	/* ACT_UNHELD: before the IO, outside its pin window. 0, or -1 with
	 * err (the test bed could not do its part). */
	int (*prepare)(struct inflight *in, char *err);
	/* While the request is held (ACT_AFTER: after the IO completed):
	 * 0, or -1 with err (the test bed could not do its part). */
	int (*step)(struct inflight *in, char *err);
	/* Optional: after the IO returned, before the checks. */
	void (*finish)(struct inflight *in);
	enum inflight_verdict verdict;
	const struct known_bug *known;
};

#endif
