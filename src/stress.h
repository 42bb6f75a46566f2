#ifndef IOVBED_STRESS_H
#define IOVBED_STRESS_H

/*
 * iovbed stress: workers draw seeded op streams from the matrix's rows
 * and run them on the same targets, engines and buffers as `iovbed run`,
 * checking every op's data against a model of each file; disturbers race
 * them; quiescent checkpoints check pins, the data of reads into
 * MAP_SHARED pages in their files, the kernel log and every region.
 * The runner's own (plugins see struct dist_env):
 *
 *   stress_run.c         the command: set up, run, checkpoints, tear down
 *   stress_setup.c       rows, targets and their models, worker buffers
 *   stress_model.c       a file's content: a generation per sector
 *   stress_op.c          drawing an op from a stream; an op as one line
 *   stress_state.c       the run's failure, counts, a buffer's lock
 *   stress_worker.c      a worker: its op stream
 *   stress_queue.c       a worker's queues of IOs in flight
 *   stress_exec.c        starting each kind of op
 *   stress_chaos.c       the chaos op
 *   stress_judge.c       an op that ended: checked, the model updated
 *   stress_checkpoint.c  the quiescent checkpoint
 *   stress_record.c      the op record (--record, or the run's own)
 *   stress_replay.c      --replay
 *   stress_disturb.c     the disturbers' threads, buffers lent, swap
 *   stress_report.c      progress, failures, the summary
 *   stress_json.c        --json
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include "bed.h"
#include "buffer.h"
#include "checks.h"
#include "disturb.h"
#include "engine.h"
#include "matrix.h"

#define SECTOR 512			/* the model's grain */
#define GEN_ZERO UINT32_MAX		/* a hole or zeroed range */
#define GEN_UNKNOWN (UINT32_MAX - 1)	/* not judged until rewritten */
#define LAST_OPS 20			/* a failure shows a worker's last ops */
#define OPLINE 256
#define BUSY_GRAIN 4096			/* ops own whole pages: direct and buffered IO
					 * on one page at once are a collision */
#define BUSY_WRITER 255
#define BUSY_READERS_MAX 254
#define VERIFY_CHUNK MiB		/* a checkpoint reads a target this much at a time */
/* A worker's bounce buffer: chaos's three, a checkpoint's reads. */
#define CHAOS_BUF(s) (((s)->max_len * 3 > VERIFY_CHUNK ? (s)->max_len * 3 : VERIFY_CHUNK) + 4096)

/* The kinds of op; SOP_FIX is a checkpoint's rewrite of an unknown range
 * (recorded, so a replay keeps the model). */
enum sop_kind {
	SOP_DIRECT,	/* an engine's IO: a matrix row */
	SOP_BUFFERED,	/* pread/pwrite without O_DIRECT */
	SOP_MMAP,	/* memcpy to or from a MAP_SHARED mapping of the file */
	SOP_PUNCH,	/* fallocate PUNCH_HOLE */
	SOP_ZERO,	/* fallocate ZERO_RANGE */
	SOP_TRUNCATE,	/* truncate down, extend back */
	SOP_FSYNC,
	SOP_CHAOS,	/* direct, buffered and mmap IO on one range at once */
	SOP_FIX,
	SOP_COUNT
};
extern const char *const sop_names[SOP_COUNT];

/* One op. */
struct sop {
	int worker;
	unsigned long long index;	/* in its worker's stream */
	enum sop_kind kind;
	int ti;			/* the stress target */
	int ei;			/* engine (SOP_DIRECT), else -1 */
	int bi;			/* buffer kind (DIRECT, BUFFERED, MMAP), else -1 */
	enum dir dir;
	off_t off;
	size_t len;
	size_t bufoff;
	uint32_t gen;		/* what a write writes */
	int slot;		/* the worker's buffer it used, -1 none */
	ssize_t res;		/* bytes, or -1 */
	int err;		/* errno */
};

/* What a target allows besides direct IO (probed at set-up). */
enum scap { CAP_TRUNCATE = 1, CAP_PUNCH = 2, CAP_ZERO = 4, CAP_MMAP = 8,
	    CAP_NO_RA = 16 /* buffered and mmap without readahead */ };

/* A file's content: a generation per sector (GEN_ZERO, GEN_UNKNOWN, or
 * the generation whose pattern it holds); the pages an op in flight owns
 * are busy. */
struct model {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	uint32_t *gen;
	uint8_t *busy;		/* per page (BUSY_GRAIN): readers, or BUSY_WRITER */
	size_t nsect, npages;
	uint32_t next_gen;
	uint64_t seed;		/* the run's: generation 0's pattern */
	int id;			/* the target's number: part of every generation's seed */
};

/* Counts of one op kind or one target. */
#define ERRNO_SLOTS 8
struct stally {
	unsigned long long ops, bytes, failures, hit;
	unsigned long long errs[ERRNO_SLOTS];
	int errnos[ERRNO_SLOTS];
};

/* A target under stress. */
struct starget {
	struct target *t;
	int ti;			/* row of target_table */
	int fd;			/* O_DIRECT unless the target says not */
	int bfd;		/* buffered */
	char *map;		/* MAP_SHARED of the area (CAP_MMAP) */
	off_t area;		/* [0, area) is under stress */
	unsigned align;
	unsigned caps;
	atomic_int chaos;	/* chaos ops ran on it: fsync may report EIO */
	struct model m;
	struct stally tally;
};

/* A row of the matrix a worker draws direct IO from. */
struct srow {
	int st;			/* stress target */
	int ei, bi;
	enum dir dir;
	struct variant v;
};

/* A worker's buffer: a buffer kind's mapping, lent to disturbers. */
enum { SLOT_CPU = 1, SLOT_LENT = 2 };
struct sslot {
	struct buffer b;
	int bi;
	int busy;		/* an op of its worker uses it */
	atomic_uint state;	/* SLOT_CPU: its worker touches it; SLOT_LENT */
	atomic_uint unmapped;	/* disturbances so far that unmapped it (enum dist_harm) */
	atomic_uint lost;	/* ... that lost its contents */
	/* The last read into it, verified (MAP_SHARED file kinds): its
	 * target, file range and the model's generations of that range. */
	int has_read;
	int read_st;
	off_t read_off, read_in_buf;
	size_t read_len;
	uint32_t *read_gens;	/* read_len / SECTOR entries, room for the largest */
};

/* An op in flight (or being run) and what it needs. */
struct sflight {
	struct sop op;
	struct io_req rq;
	struct sslot *slot;
	unsigned unmapped0, lost0;	/* the slot's counts when it started */
	unsigned forks0;		/* the run's fork count then (dist_env.forks) */
	int ranged;		/* owns [off, off + len) of its target's model */
	int used;
	int gen_given;		/* a write writes op.gen (replay), not a new one */
	int bed_error;		/* the test bed's own work failed: not judged */
};

struct stress;

struct worker {
	struct stress *s;
	int id;
	pthread_t th;
	uint64_t rng;
	unsigned long long next;	/* index of the next op drawn */
	struct sop pending;		/* drawn, not yet started */
	int has_pending;
	struct sslot *slots;
	size_t nslots;
	struct io_queue *queues;	/* per engine, opened on first use */
	struct iovec *fixed;		/* registrable buffers (uring-fixed) */
	unsigned nfixed;
	unsigned fixed_hits;		/* slot disturbances when registered */
	struct sflight *fl;		/* depth entries */
	unsigned nfl;
	struct sop last[LAST_OPS];	/* its last ops, formatted only for a failure */
	unsigned nlast;
	void *chaos_buf;		/* bounce buffer of chaos ops */
	_Atomic double op_start;	/* the watchdog's: 0 idle */
	struct sop cur;			/* the op it runs, for a stuck report */
	atomic_int parked;
	int started;
	pid_t tid;
};

/* A disturber of the run. */
struct sdist {
	struct stress *s;
	const struct disturber *d;
	enum setup_state state;
	char why[ERRLEN];
	void *priv;
	pthread_t th;
	pid_t tid;		/* its thread's, for its stack if it sticks */
	int started, running;
	int stuck;		/* it did not end its step: left running */
	unsigned long long steps, errors;
	struct strbuf effect;
	int achieved;
};

struct stress_fail {
	int worker;		/* -1: a checkpoint */
	struct sop op;
	struct strbuf diag;
	char last[LAST_OPS][OPLINE];
	unsigned nlast;
};

/* The run. */
struct stress {
	struct bed *bed;
	const struct options *opt;
	struct starget *tg;
	size_t ntg;
	struct srow *rows;
	size_t nrows;
	struct worker *w;
	int nworkers;
	unsigned depth;
	unsigned kind_weight[SOP_COUNT];	/* --mix, --chaos */
	unsigned weight_sum;
	size_t max_len;			/* the largest op */
	struct sdist *dist;
	size_t ndist;
	struct dist_env de;
	struct target **targets_list;	/* NULL-ended, for the disturbers */
	pthread_rwlock_t dist_rw;	/* steps read-lock it, a checkpoint write-locks it */
	char swap[PATH_MAX];		/* the run's swap file, "" none */
	/* control */
	atomic_int stop;		/* end of time, --ops, a failure, a signal */
	atomic_int pause;		/* a checkpoint wants the workers parked */
	pthread_mutex_t park_lock;
	pthread_cond_t park_cond;
	atomic_ullong ops_started;
	unsigned char guard[GUARD_LEN];	/* what guards hold */
	uint64_t gseed;
	int stuck;			/* a worker stayed in one op past --timeout */
	/* what happened */
	pthread_mutex_t lock;		/* tallies, failure, record */
	struct stally kinds[SOP_COUNT];
	atomic_ullong bytes_moved, bytes_verified, bytes_unjudged;
	unsigned long long bytes_cp_verified;	/* by checkpoints */
	unsigned long long checkpoints;
	unsigned long long replayed;
	struct pin_snap pins0;		/* at the last checkpoint */
	struct pin_delta pins_last;	/* over the last interval */
	struct stress_fail fail;
	struct strbuf cp_head;		/* a checkpoint's failure: which, when */
	int failed;
	int broken;			/* the test bed broke */
	char broken_why[ERRLEN];
	FILE *record;			/* --record, or the run's own (last interval) */
	pthread_mutex_t rec_lock;
	char record_path[PATH_MAX];
	int record_own;			/* ours: kept only on a failure */
	long rss_kb[3];			/* at start, middle, end */
	long rss_peak_kb;
	double t0, t_end, secs;
	int replay;			/* single-threaded from a file */
};

/* stress_run.c */
int stress_main(const struct options *o, const struct matrix *m);

/* stress_threads.c */
/* The run's sleeping threads with their stacks, into d. */
void threads_dump(struct strbuf *d);

/* stress_state.c */
void stress_failed(struct stress *s, struct worker *w, const struct sop *op, struct strbuf *diag);
void stress_broke(struct stress *s, const char *why);
void slot_cpu_enter(struct sslot *sl);
void slot_cpu_leave(struct sslot *sl);
void tally_op(struct stress *s, const struct sop *op, int failed);

/* stress_setup.c */
int stress_setup(struct stress *s, const struct matrix *m, char *err);
void stress_teardown(struct stress *s);
uint32_t stress_slot_count(const struct stress *s, int bi);

/* stress_model.c */
int model_init(struct model *m, off_t area, uint64_t seed, int id);
void model_free(struct model *m);
uint64_t model_seed(const struct model *m, uint32_t gen);
/* A range an op owns: alone (writers), or shared with other readers. */
struct span {
	off_t off;
	size_t len;
	int shared;
};
/* Own sp: 0; -1 busy (only if !wait); 1 the run pauses (not owned). */
int model_acquire(struct model *m, const struct span *sp, int wait, atomic_int *pause);
void model_release(struct model *m, const struct span *sp);
uint32_t model_new_gen(struct model *m);
void model_set(struct model *m, off_t off, size_t len, uint32_t gen);
/* The bytes of buf against the model for [off, off + len): 0 good, 1 bad
 * (diag); *verified gets the bytes judged. */
struct model_check {
	const void *buf;
	off_t off;
	size_t len;
	const char *what;
	unsigned long long verified;
};
int model_check(const struct model *m, struct model_check *mc, struct strbuf *diag);
/* Generations of [off, off + len) into gens; back from gens to check. */
void model_snapshot(const struct model *m, off_t off, size_t len, uint32_t *gens);
int gens_check(const struct model *m, const uint32_t *gens, struct model_check *mc,
	       struct strbuf *diag);
/* Fill buf with what the model says [off, off + len) holds (generation
 * gen for writes). */
void model_fill(const struct model *m, void *buf, off_t off, size_t len, uint32_t gen);

/* stress_op.c */
void sop_draw(struct stress *s, struct worker *w, struct sop *op);
/* The range an op owns while it runs (reads share theirs). */
struct span sop_span(const struct sop *op);
void sop_format(const struct stress *s, const struct sop *op, char *out, size_t len);
int sop_parse(const struct stress *s, const char *line, struct sop *op, char *err);
uint64_t rng_next(uint64_t *state);

/* stress_worker.c */
void *worker_main(void *arg);
/* Run one op alone (replay, checkpoint fixes); gen_given: a write writes
 * op->gen. */
void worker_run_one(struct worker *w, struct sop *op, int gen_given);

/* stress_queue.c */
/* Wait for one queued IO to end and judge it; every one. */
void worker_reap_one(struct worker *w);
unsigned worker_queued(const struct worker *w);
void worker_drain(struct worker *w);
void worker_drop_queues(struct worker *w);
void worker_close(struct worker *w);
/* Submit f's IO to the engine's queue: 0 in flight, -1 ended (op.err). */
int queue_submit(struct worker *w, struct sflight *f, const struct engine_ops *e);

/* stress_exec.c */
/* Start an op: 0 started (in flight, or done if sync), -1 not started (op->err). */
int exec_start(struct worker *w, struct sflight *f);
/* Judge an op that ended. */
void exec_finish(struct worker *w, struct sflight *f);
void exec_chaos(struct worker *w, struct sflight *f);

/* stress_checkpoint.c */
int checkpoint(struct stress *s, int final);
void checkpoint_rss(struct stress *s, int which);
int shared_read_check(struct stress *s, struct sslot *sl, struct strbuf *diag);

/* stress_record.c */
int record_open(struct stress *s, char *err);
void record_op(struct stress *s, const struct sop *op);
void record_checkpoint(struct stress *s);
void record_close(struct stress *s, int keep);
int replay_seed(const char *path, unsigned long long *seed, char *err);

/* stress_replay.c */
int replay_run(struct stress *s, char *err);

/* stress_disturb.c */
int dist_names_ok(const char *list, char *err);
int dist_setup(struct stress *s, char *err);
int dist_start(struct stress *s, char *err);
void dist_quiesced(struct stress *s);
void dist_stop(struct stress *s);
void dist_release(struct stress *s);

/* stress_report.c */
void report_start(struct stress *s);
void report_progress(struct stress *s, int final);
void report_failure(struct stress *s);
void report_summary(struct stress *s, int interrupted);
int report_json_stress(struct stress *s, int exit_code, char *err);
int stress_exit_code(const struct stress *s, int interrupted);

#endif
