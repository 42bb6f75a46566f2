#ifndef IOVBED_ENGINE_H
#define IOVBED_ENGINE_H

#include <sys/uio.h>
#include "iovbed.h"
#include "util.h"
#include "vmstat.h"

#define MAX_SEGS 4

/* One IO an engine issues. */
struct io_req {
	int fd;
	const char *path;	/* the target's file or device */
	enum dir dir;
	void *buf;
	size_t len;
	off_t off;
	unsigned align;		/* segment lengths are multiples of this */
	/* Engines that register buffers take pin snapshots at these points. */
	const struct vmstat_src *vs;
	struct pin_snap registered, completed;
	int refused;		/* registration refused with this errno */
	int bed_error;		/* failed in the test bed's own work, not the IO */
	char err[ERRLEN];	/* what failed: the call, on what, errno */
	void *priv;		/* an engine's state from prepare to finish */
	struct iovec iov[MAX_SEGS];	/* a queued vectored IO's segments, kept
					 * until it is reaped */
};

/* What an engine is, as a mask: the matrix and the checks read it. */
enum engine_flag {
	ENG_READS = 1u << 0,	/* it can read (into the buffer) */
	ENG_WRITES = 1u << 1,	/* it can write (from the buffer) */
	ENG_VECTORED = 1u << 2,	/* 2+ segments: the IO must split in two */
	ENG_REGISTERS = 1u << 3,	/* pins the buffer at registration, not per IO */
	/* The direct IO sees kernel pages (pipe buffers, a socket's, another
	 * file's page cache), never the user buffer by a user-backed iter:
	 * no FOLL_PIN pins are expected, whatever the path. */
	ENG_KERNEL_PAGES = 1u << 4,
	ENG_NEEDS_PEER = 1u << 5,	/* a peer file beside the target's */
	/* The IO changes the target file's layout for good (a reflinking
	 * copy_file_range shares its extents: measured on xfs, 6.18, later
	 * O_DIRECT writes near them go buffered and take no pins): the
	 * target is set up anew after the case, so no case sees another's. */
	ENG_RESHAPES = 1u << 6,
	/* It tries without blocking first (io_uring): a try that pinned and
	 * met EAGAIN is retried from a worker, which pins again (measured on
	 * block devices: up to twice the pages). */
	ENG_NOWAIT = 1u << 7,
	/* The filesystem may serve it with no iterator at all (copy_file_range
	 * remapping a reflinked range: measured on xfs, 6.12). */
	ENG_MAY_REMAP = 1u << 8,
	/* The engine itself writes the buffer from user space while its IO
	 * runs (vmsplice-mod): nothing may unmap the buffer meanwhile. */
	ENG_TOUCHES_BUFFER = 1u << 9,
	/* The write syncs at completion, so it reports the file's writeback
	 * error (errseq) as fsync would (dsync). */
	ENG_SYNCS = 1u << 10,
	/* Its IO completes through the kiocb's callback (io_uring, libaio),
	 * not in the call: the filesystem sees an async kiocb
	 * (!is_sync_kiocb), as FUSE's async direct IO does. */
	ENG_ASYNC = 1u << 11,
	/* It gives the kernel the user's pages themselves, by reference into
	 * a pipe (vmsplice), though its direct IO then sees pipe pages: a
	 * fault in the buffer reaches GUP in its own call. */
	ENG_TAKES_USER_PAGES = 1u << 12,
};
#define ENG_RW (ENG_READS | ENG_WRITES)

/*
 * Several IOs in flight at once (iovbed stress --depth): an engine that
 * can queue (io_uring, libaio) keeps one queue of `depth` IOs across many
 * IOs. A registering engine registers `fixed` at open (each IO's buffer
 * lies inside one of them) and keeps the pins until close.
 */
struct io_queue {
	const struct engine_ops *e;
	unsigned depth;
	unsigned inflight;		/* submitted, not yet reaped */
	const struct iovec *fixed;	/* buffers to register, or NULL */
	unsigned nfixed;
	void *priv;
};

struct engine_queue_ops {
	/* 0, or -1 with err (a refused registration: q->refused). */
	int (*open)(struct io_queue *q, char *err);
	/* Submit rq now: 0, or -1 with rq->err (nothing of it in flight). */
	int (*submit)(struct io_queue *q, struct io_req *rq);
	/* Wait for one IO to end: its io_req and in *res its bytes, or -1
	 * with its rq->err; NULL with err if waiting itself failed. */
	struct io_req *(*reap)(struct io_queue *q, ssize_t *res, char *err);
	void (*close)(struct io_queue *q);
	/* The engine's part: fill the library's request (an io_uring SQE, a
	 * libaio iocb) for rq. */
	void (*prep)(void *req, struct io_queue *q, struct io_req *rq);
};

/*
 * A user IO engine: how user space issues the IO, which decides the
 * iov_iter flavour. One file each, ending in one of these; the registry
 * is generated from Makefile.am's ENGINE_FILES.
 */
struct engine_ops {
	const char *name;
	const char *desc;
	unsigned flags;		/* enum engine_flag */
	int max_segs;		/* segments of a vectored IO, at most MAX_SEGS */
	/* The flavour it builds on kernel v; optional: on a file opened
	 * without O_DIRECT, where that differs. */
	enum flavour (*flavour)(const struct kver *v);
	enum flavour (*flavour_buffered)(const struct kver *v);
	/* Can this kernel (and this build) do it? SETUP_READY; SETUP_SKIP
	 * when the kernel or the build lacks it; SETUP_BROKEN for any other
	 * failure. The reason goes to why. */
	int (*probe)(char *why);
	/* Do the IO: bytes transferred, or -1 with rq->err. */
	ssize_t (*run)(struct io_req *rq);
	/* Optional: the engine's own IO around the one under test, kept out
	 * of the pin window (the counters are machine-wide, and on 9p from
	 * 6.8 even a buffered descriptor pins the user's pages): prepare
	 * before it (0, or -1 with rq->err and rq->bed_error); finish after
	 * it, whenever prepare ran, with what run returned (-1: it failed or
	 * never ran); a failure of its own sets rq->bed_error. */
	int (*prepare)(struct io_req *rq);
	void (*finish)(struct io_req *rq, ssize_t n);
	/* Optional: the engine can keep several IOs in flight (stress). */
	const struct engine_queue_ops *queue;
};

/* Can the engine do IO in direction d? */
int engine_does(const struct engine_ops *e, enum dir d);

/* A pipe as large as the IO allows (at most PIPE_MAX): fds in p, its size. */
#define PIPE_MAX (1024 * 1024)
ssize_t pipe_open(int p[2], size_t want, struct io_req *rq);
/* Flavours of what reaches the target through splice. */
enum flavour splice_write_flavour(const struct kver *v);
enum flavour splice_read_flavour(const struct kver *v);
enum flavour splice_read_buffered_flavour(const struct kver *v);

/* Split [buf, buf + len) into n contiguous segments of align multiples. */
int iov_split(void *buf, size_t len, unsigned align, int max_segs, struct iovec *iov);
/* preadv/pwritev with up to max_segs segments (vector, vector1). */
ssize_t vector_run_segs(struct io_req *rq, int max_segs);

/* Probes shared by the io_uring and libaio engines (and regressions): a
 * build without the library SKIPs, naming the configure flag. */
int uring_probe(char *why);
int aio_probe(char *why);
/* The run of an engine whose library the build left out (never reached:
 * its probe SKIPs first). */
ssize_t engine_not_built(struct io_req *rq);

#endif
