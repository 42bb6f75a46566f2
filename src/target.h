#ifndef IOVBED_TARGET_H
#define IOVBED_TARGET_H

#include <limits.h>
#include "env.h"
#include "iovbed.h"
#include "known.h"
#include "pathclass.h"
#include "util.h"

struct buffer_ops;

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
	/* The block device its IO fails on when a case fails it from below
	 * ("/dev/loop3"), where the kernel reports that error; or "". */
	char dev[32];
	char measured[192];	/* what set-up measured of the kernel, for the report */
	int own_file;		/* t->path was made by target_file_in */
	unsigned setups;	/* how often it was set up (anew after a cut), in */
	double setup_secs;	/* ... this long in all */
	void *priv;
};

/* What the kernel's own IO into a target's file concluded. */
struct kio_out {
	struct strbuf *diag;	/* what happened, "kvec: ..." lines */
	unsigned failed;	/* enum check_bit of what failed */
	int errnum;		/* the kernel's call failed with this errno */
	long long note;		/* the kernel IO's own note from run to verify */
	int reset;		/* it left the target unusable: set it up anew */
};

/*
 * IO the kernel issues itself into a file of a target (ITER_KVEC: an exec'd
 * script's #! line, acct records, finit_module's read; ITER_DISCARD: a
 * dropped RPC reply): owned by the targets that list it, one case each,
 * "fuse/exec/kvec/read". One file per row, or beside its target.
 */
struct kernel_io {
	const char *name;	/* the case id's second word */
	const char *buf;	/* its third word: "kvec", "discard" */
	const char *desc;
	enum dir dir;
	int selftest;		/* its cases must fail; run only when named */
	enum flavour (*flavour)(const struct kver *v);
	enum flavour_at at;	/* where that flavour shows */
	/* Not the kernel's own IO but a tool's look at the target (fsck): it
	 * may pin (xfs_repair reads with O_DIRECT), so pins are only balanced. */
	int tool;
	/* Do it: 0 done, -1 broken (err), 2 skip (the reason in err). */
	int (*run)(struct target *t, struct kio_out *out, char *err);
	/* After the pins are read, judge it: 0 pass, 1 fail (out->failed),
	 * -1 broken. NULL: run's out is the verdict. */
	int (*verify)(struct target *t, struct kio_out *out, char *err);
	const struct known_bug *known;
};

/* What a case's IO will do, told to the target before it. */
struct io_plan {
	enum dir dir;
	off_t off;
	size_t len;
	uint64_t seed;		/* the pattern of its data: a write's, or the read region's */
};

/* Which option hands a user-given target over. */
enum user_arg { USER_NONE, USER_DIR, USER_DEVICE, USER_NFS };

/*
 * A target: one file ending in one or more of these (a family of
 * targets shares its functions and differs by the row's data); the
 * registry is generated from Makefile.am's TARGET_FILES.
 */
struct target_ops {
	const char *name;
	const char *desc;
	enum path_class path;	/* its direct IO's path (PATH_UNKNOWN: found at set-up) */
	unsigned align;		/* direct IO alignment of memory, offset, length */
	const char *align_why;	/* why, when it is more than the device's sector */
	const char *no_peer;	/* why copy_file_range has no peer file here, or NULL */
	enum user_arg user;	/* exists only when the user hands one over */
	/* Why a read answered short by the target's server still reaches the
	 * caller in full (a loop device re-issues the rest), or NULL. */
	const char *short_read_retried;
	/* Why a write answered short reaches the caller as EIO: from every
	 * engine (a loop device's async backing IO), or from the async ones. */
	const char *short_write_eio, *short_write_async_eio;
	/* Why its plain IO (not held) is outside the default matrix (another
	 * target's rows run the same path by default), or NULL. */
	const char *held_by_default;
	/* Why a fault held in the middle of the buffer (userfaultfd) holds no
	 * pins on this target: it takes the pages with page faults off and
	 * ends the IO it has before it faults the rest in; or NULL. */
	const char *fault_drops_pins;
	/* Its file is a disk filesystem's: it may be truncated, punched and
	 * written beside a held IO (action ACT_FILE), and set back after. */
	int file_changes;
	int no_odirect;		/* the file is opened without O_DIRECT */
	const void *cfg;	/* the family's own settings for this row */
	/* Make it; fill t->path, t->info (and t->found for a handed-over
	 * path). Returns SETUP_READY, SKIP or BROKEN with the reason in t->why. */
	enum setup_state (*setup)(struct target *t, struct env *env);
	void (*teardown)(struct target *t);
	/* Optional: its file was made anew (target_renew): what it keeps of
	 * the old one (an NFS read-back handle) follows. 0, or -1 (t->why). */
	int (*renewed)(struct target *t);
	/* Where this target departs from its path's pin expectation. */
	pins_rule_fn *pins_expected;
	/* Optional: what a run killed with SIGKILL left of this target in
	 * its scratch directory dir (the scratch reclaim calls it). */
	void (*reclaim)(const char *dir, struct strbuf *log);
	/* Optional: before the IO, tell the target what the case will do
	 * (0, or -1 with err); after it, the target's own verdict on what it
	 * received of the n bytes the IO returned (0 good, 1 with the reason
	 * in why). */
	int (*io_expect)(struct target *t, const struct io_plan *p, char *err);
	int (*io_verdict)(struct target *t, enum dir dir, size_t n, struct strbuf *why);
	/* Optional: hold the IO of p in flight where it reaches the
	 * target's server (every request carrying its data); report whether
	 * it is held (1, 0, -1 error) and, into what, the requests held; let
	 * it go. */
	int (*hold)(struct target *t, const struct io_plan *p, char *err);
	int (*held)(struct target *t, struct strbuf *what, char *err);
	/* Answer the held requests: how is NULL (as if never held), "fail
	 * ERRNO" or "short N" (the IO's last request). */
	int (*release)(struct target *t, const char *how, char *err);
	/* Optional: cut the target off from its server with a request in
	 * flight (how: "abort" the connection, "kill" the server); afterwards
	 * the target is torn down and set up anew. */
	int (*cut)(struct target *t, const char *how, char *err);
	/* Optional: what the target's server is doing, for a stuck case. */
	void (*describe)(struct target *t, struct strbuf *out);
	/* The kernel's own IO into its files (NULL-ended), or NULL. */
	const struct kernel_io *const *kernel_io;
	/* Optional: the flavour the IO reaches the target's transport in,
	 * when the filesystem re-wraps it (9p through netfs), and how;
	 * ITER_NONE: the caller's own iterator reaches it. */
	enum flavour (*transport)(const struct kver *v);
	const char *transport_how;
};

#define TARGET_REGION (8 * MiB)
#define BTRFS_NOFAULT "btrfs takes the buffer's pages with page faults off (nofault): at a " \
	"fault it ends the IO it has, its pins released, and faults the rest in before it goes on"
#define BTRFS_ALIGN_WHY "btrfs does direct IO only aligned to its 4096-byte sector size; " \
	"unaligned IO silently goes through the page cache"
#define NO_PEER_BLOCK "copy_file_range needs a peer file on the target's filesystem: a " \
	"block device has none"

/* Set the target up if it is not, write the read region. */
enum setup_state target_ensure(struct target *t, struct env *env);
void target_teardown(struct target *t);
/* Set the file back after a case changed it: its size, the read region's
 * pattern of seed. 0, or -1 (t->why). */
int target_refill(struct target *t, uint64_t seed);
/* A file the IO reshaped (extents shared with a peer, an inode flag that
 * stays) replaced by a new one of the same name, written as set-up wrote
 * it: the filesystem, mount and daemon kept. 0; 1 when the target's file
 * is not its own to replace (set it up anew); -1 (t->why). */
int target_renew(struct target *t, uint64_t seed);
/* Shared by targets that are a file in a directory. */
enum setup_state target_file_in(struct target *t, const char *dir);
void target_file_remove(struct target *t);

/* The kernel's own IO the file targets share (kio_finit_module.c). */
extern const struct kernel_io kio_finit_module;
/* The KVEC flavour of the kernel's own buffers. */
enum flavour kvec_flavour(const struct kver *v);

#endif
