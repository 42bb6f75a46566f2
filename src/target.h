#ifndef IOVBED_TARGET_H
#define IOVBED_TARGET_H

#include <limits.h>
#include "iovbed.h"
#include "pathclass.h"
#include "util.h"

struct bed;
struct buffer_ops;

/* State of a target or of a need, after its set-up ran. */
enum setup_state { SETUP_NONE, SETUP_READY, SETUP_SKIP, SETUP_BROKEN };

/*
 * Where the IO goes. The file (or device) at `path` holds, from
 * read_base, a region of `region` bytes with the run's pattern; writes go
 * to the region at write_base.
 */
struct target {
	const struct target_ops *ops;
	enum setup_state state;
	char why[ERRLEN];	/* skip reason or set-up error */
	char path[PATH_MAX];
	int blockdev;
	off_t read_base, write_base, region;
	/* The kernel path its direct IO takes: the row's own, or found from
	 * what is under a handed-over path (set-up fills it). */
	struct path_found found;
	char info[256];		/* what it is, for the report */
	void *priv;
};

struct target_ops {
	const char *name;
	const char *desc;
	enum path_class path;
	unsigned align;		/* direct IO alignment of memory, offset, length */
	int user_given;		/* exists only when the user hands one over */
	/* Make it; fill t->path, t->info. Returns SETUP_READY, SKIP or BROKEN
	 * with the reason in t->why. */
	enum setup_state (*setup)(struct target *t, struct bed *bed);
	/* Where this target departs from its path's pin expectation. */
	pins_rule_fn *pins_expected;
	void (*teardown)(struct target *t);
	/* Optional: before the IO, tell the target what the case will do
	 * (0, or -1 with err); after it, the target's own verdict on what it
	 * received (0 good, 1 with the reason in why). */
	int (*io_expect)(struct target *t, enum dir dir, off_t off, size_t len, uint64_t seed,
			 char *err);
	int (*io_verdict)(struct target *t, enum dir dir, struct strbuf *why);
	/* Optional: hold the next request of dir at off in flight; report
	 * whether it is held (1, 0, -1 error); let it go. */
	int (*hold)(struct target *t, enum dir dir, off_t off, char *err);
	int (*held)(struct target *t, char *err);
	/* Answer the held request: how is NULL (as if never held), "fail
	 * ERRNO" or "short N". */
	int (*release)(struct target *t, const char *how, char *err);
	/* Optional: cut the target off from its server with a request in
	 * flight; afterwards the target is torn down and set up anew. */
	int (*cut)(struct target *t, enum action how, char *err);
	/* Optional: what the target's server is doing, for a stuck case. */
	void (*describe)(struct target *t, struct strbuf *out);
	/* Optional: IO the kernel itself issues to a file of the target
	 * (kernel engines: KVEC). Called to do it (verify 0: 0 done, -1
	 * broken with err, 2 skip with the reason in err), then, after the pins are read, to judge it
	 * (verify 1: 0 pass, 1 fail with why in diag, -1 broken). */
	int (*kernel_io)(struct target *t, const char *engine, int verify, struct strbuf *diag,
			 char *err);
	/* The kernel engines kernel_io serves (NULL-ended); NULL: exec, acct. */
	const char *const *kernel_engines;
	/* Optional: the flavour the IO reaches the target's transport in,
	 * when the filesystem re-wraps it (9p through netfs), and how;
	 * ITER_NONE: the caller's own iterator reaches it. */
	enum flavour (*transport)(const struct kver *v);
	const char *transport_how;
	int no_odirect;		/* the file is opened without O_DIRECT */
	int no_file;		/* no file: only the regression cases run on it */
};

/* The table: adding a target is one file and one row here. */
extern const struct target_ops *const target_table[];
extern const size_t target_count;

extern const struct target_ops target_ext4, target_xfs, target_btrfs;
extern const struct target_ops target_loop_dio, target_loop_nodio, target_tmpfs;
extern const struct target_ops target_fuse, target_fuse_splice, target_fuse_plain;
extern const struct target_ops target_fuse_odirect;
extern const struct target_ops target_loop_fuse, target_ext4_fuse;
extern const struct target_ops target_dir, target_dev, target_regress;

extern const struct target_ops target_9p, target_9p_cached, target_9p_buffered;
extern const struct target_ops target_nfs3, target_nfs4, target_nfs_user;

#define TARGET_MAX 32	/* rows of target_table, at most */
#define TARGET_REGION (8 * MiB)

/* Set the target up if it is not, write the read region. */
enum setup_state target_ensure(struct target *t, struct bed *bed);
void target_teardown(struct target *t);
/* Shared by targets that are a file in a directory. */
enum setup_state target_file_in(struct target *t, const char *dir);
void target_file_remove(struct target *t);

#endif
