#ifndef IOVBED_ENGINE_H
#define IOVBED_ENGINE_H

#include <sys/uio.h>
#include "iovbed.h"
#include "target.h"
#include "util.h"
#include "vmstat.h"

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
};

struct bed;
struct tcase;
struct result;

struct engine_ops {
	const char *name;
	const char *desc;
	int min_segs;		/* vector engines need 2+ segments */
	int max_segs;
	int registers;		/* pins the buffer at registration, not per IO */
	/* Directions it can do (1 << DIR_READ | 1 << DIR_WRITE); 0: both. */
	unsigned dirs;
	/* The direct IO sees kernel pages (pipe buffers, a socket's, another
	 * file's page cache), never the user buffer by a user-backed iter:
	 * no FOLL_PIN pins are expected, whatever the path. */
	int kernel_pages;
	/* Needs a peer file beside the target's (copy_file_range). */
	int needs_peer;
	const char *tag;	/* a regression's CVE or fix, shown by list */
	/* Not a user IO: the kernel reads or writes a file of the target
	 * itself (target_ops.kernel_io does it); one case per target. */
	int kernel;
	enum dir kernel_dir;
	const char *kernel_buf;	/* the buffer word of its case id ("kvec") */
	int kernel_selftest;	/* its cases must fail; run only when named */
	/* A kernel engine that works on any file target (else the target's
	 * kernel_io does it): 0 pass, 1 fail (why in diag), -1 broken and
	 * 2 skip (reason in err). */
	int (*kernel_run)(const char *path, struct strbuf *diag, char *err);
	/* A regression case (kernel = 1, on the pseudo-target regress): its
	 * variants, those from selftest_from on are self-tests that must
	 * fail; the buffers it takes (1 << BACKING_*, 0: none). Returns 0
	 * pass, 1 fail (why in res->diag), 2 skip and -1 broken (err). */
	int (*scenario)(struct bed *bed, const struct tcase *tc, struct result *res, char *err);
	const char *const *variants;
	int selftest_from;
	/* A failure of this case the kernel is known to have upstream: the
	 * reason, or NULL. Such a failure is reported as TAP TODO. */
	const char *(*known_failure)(const struct tcase *tc);
	unsigned backings;
	/* The flavour this engine builds on kernel v. */
	enum flavour (*flavour)(const struct kver *v);
	/* Can this kernel do it at all? SETUP_READY; SETUP_SKIP when the
	 * kernel lacks it or has it disabled; SETUP_BROKEN for any other
	 * failure to set it up. The reason goes to why. */
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
};

extern const struct engine_ops *const engine_table[];
extern const size_t engine_count;

extern const struct engine_ops engine_sync, engine_vector, engine_vector1;
extern const struct engine_ops engine_uring, engine_uring_vec, engine_uring_fixed;
extern const struct engine_ops engine_aio, engine_aio_vec;
extern const struct engine_ops engine_exec, engine_acct, engine_finit_module, engine_discard;
extern const struct engine_ops engine_discard_answered;
extern const struct engine_ops engine_splice_in, engine_vmsplice_in, engine_vmsplice_gift;
extern const struct engine_ops engine_vmsplice_mod, engine_splice_out;
extern const struct engine_ops engine_sendfile_out, engine_sendfile_in, engine_sendfile_tcp;
extern const struct engine_ops engine_copy_range_out, engine_copy_range_in;
extern const struct engine_ops engine_cow_vmsplice, engine_dirty_pipe, engine_uring_fork;
extern const struct engine_ops engine_dio_fork;

/* A pipe as large as the IO allows (at most PIPE_MAX): fds in p, its size. */
#define PIPE_MAX (1024 * 1024)
ssize_t pipe_open(int p[2], size_t want, struct io_req *rq);
/* Flavours of what reaches the target through splice. */
enum flavour splice_write_flavour(const struct kver *v);
enum flavour splice_read_flavour(const struct kver *v);
/* The kernel's own buffer. */
enum flavour kvec_flavour(const struct kver *v);

#define MAX_SEGS 4
/* Split [buf, buf + len) into n contiguous segments of align multiples. */
int iov_split(void *buf, size_t len, unsigned align, int max_segs, struct iovec *iov);
/* preadv/pwritev with up to max_segs segments (vector, vector1). */
ssize_t vector_run_segs(struct io_req *rq, int max_segs);

/* Probes shared by the io_uring and libaio engines. */
int uring_probe(char *why);
int aio_probe(char *why);

#endif
