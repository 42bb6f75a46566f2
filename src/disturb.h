#ifndef IOVBED_DISTURB_H
#define IOVBED_DISTURB_H

#include <stdatomic.h>

#include "buffer.h"
#include "env.h"
#include "scratch.h"
#include "target.h"
#include "util.h"

/*
 * Disturbers: what runs beside the workers of `iovbed stress` to race
 * their IO (fork, munmap, madvise, THP split and collapse, compaction,
 * drop_caches, migration, memory pressure), and the self-tests that
 * must make a run fail. One file per disturber or family, ending in its
 * rows; the registry is generated from Makefile.am's DISTURBER_FILES.
 * A disturber sees struct dist_env, never the runner.
 */

/* A worker's buffer lent to a disturber: while it is lent no worker
 * touches its memory from user space, but IO may be in flight into it. */
struct dist_buf {
	struct buffer *b;	/* its mapping: kind, map, maplen, fd, path */
	void *handle;		/* the runner's */
	/* The last read into it that a worker verified and nothing has
	 * overwritten since (MAP_SHARED kinds): where in b's file, how long
	 * (0: none). */
	off_t read_at;
	size_t read_len;
};

/* Which worker buffers a disturber wants. */
enum dist_want {
	DIST_ANY,
	DIST_PRIVATE,		/* private memory: anon, thp, hugetlb */
	DIST_THP,		/* THP-advised private memory */
	DIST_FILE,		/* MAP_SHARED pages of a disk file, with a verified read */
};

/* What a disturber sees of a stress run. */
struct dist_env {
	struct env *env;
	struct target *const *targets;	/* the run's targets, NULL-ended */
	void *run;
	/* How many buffers of that want the run has. */
	size_t (*count)(void *run, enum dist_want want);
	/* Lend buffer number pick (modulo the count) of that want: 0, or -1
	 * if a worker is touching it now (try another). */
	int (*borrow)(void *run, enum dist_want want, uint64_t pick, struct dist_buf *out);
	/* What the disturber did to it (enum dist_harm). */
	void (*give_back)(void *run, struct dist_buf *db, unsigned harm);
	/* Odd while a disturber forks this process, raised by 2 per fork
	 * (its start and end): an op that saw it change may have had its
	 * private pages shared copy-on-write meanwhile. */
	atomic_uint forks;
};

/* What a disturber did to a buffer it borrowed. */
enum dist_harm {
	/* unmapped for a while: an IO that began then may fail (EFAULT) or
	 * end short */
	DIST_UNMAPPED = 1,
	/* its contents lost (private memory unmapped or dropped): the data of
	 * an IO into it is not judged, a write's range of the file is
	 * rewritten at the next checkpoint */
	DIST_LOST = 2,
	/* the process forked while the op ran: a buffer the op changes
	 * itself while the kernel holds references (not pins) to its pages
	 * (vmsplice-mod) may be parted from them by copy-on-write, so the
	 * file may get the buffer as it was; that write's range is not
	 * judged (found by the runner, never given back) */
	DIST_FORKED = 4,
};

struct disturber {
	const char *name;
	const char *desc;
	/* How an op it hits may end besides success (the summary says so). */
	const char *allows;
	int selftest;		/* it must make the run fail: only when named */
	int replayable;		/* deterministic (a fault keyed to an offset): --replay keeps it */
	int needs_swap;		/* it reclaims anonymous memory: the run's swap file */
	unsigned period_ms;	/* step runs this often (0: never) */
	/* Can it run here: SETUP_READY; SETUP_SKIP (why) where the kernel or
	 * the machine lacks what it needs; SETUP_BROKEN for anything else. */
	enum setup_state (*probe)(const struct dist_env *de, char *why);
	/* Before the workers start (its counters read): 0, or -1 with err. */
	int (*start)(struct dist_env *de, void **priv, char *err);
	/* Act once (rnd: its own random number): 0, or -1 with err (broken). */
	int (*step)(struct dist_env *de, void *priv, uint64_t rnd, char *err);
	/* At each quiescent checkpoint, the workers drained, before the
	 * checks: 0, or -1 with err. */
	int (*quiesced)(struct dist_env *de, void *priv, char *err);
	/* What it achieved so far, from the kernel's own counters, into
	 * out: 1 something, 0 nothing (it is broken, never passed). */
	int (*effect)(void *priv, struct strbuf *out);
	void (*stop)(struct dist_env *de, void *priv);
	/* What a run killed with SIGKILL left of it in its scratch dir. */
	reclaim_fn *reclaim;
};

/* Kernel counters read before and now, by name: a /proc/vmstat field
 * ("pswpout"), "stat:processes" (/proc/stat: forks since boot) or
 * "self:minflt" (this process's minor faults). A name starting with '~'
 * is shown, not required to rise. */
#define COUNTERS_MAX 8
struct counters {
	const char *const *names;	/* NULL-ended, at most COUNTERS_MAX */
	long long before[COUNTERS_MAX], now[COUNTERS_MAX];
	int n;
};
int counters_start(struct counters *c, const char *const *names, char *err);
/* Read them now; "name +delta, ..." into out; 1 if every required one
 * rose, 0 if not. */
int counters_effect(struct counters *c, struct strbuf *out);
/* The judgement alone, on values already read (unit tests). */
int counters_judge(const struct counters *c, struct strbuf *out);
/* One counter now (-1 unknown or unreadable). */
long long counter_read(const char *name);

/* Most disturbers' state starts with its counters: calloc size bytes
 * into *priv, start the counters (0, or -1 with err); the effect is what
 * they say; stop frees it. */
int counted_start(const char *const *names, size_t size, void **priv, char *err);
int counted_effect(void *priv, struct strbuf *out);
void counted_stop(struct dist_env *de, void *priv);

#endif
