#ifndef IOVBED_PATHCLASS_H
#define IOVBED_PATHCLASS_H

#include "iovbed.h"
#include "util.h"

struct buffer_ops;

/* What a pin rule is asked about: the IO's direction and buffer, and
 * whether the buffer's pages are absent when the IO begins (in swap). */
struct rule_case {
	enum dir dir;
	const struct buffer_ops *b;
	int absent;
};

/* Where a target departs from its path's pin expectation on kernel v:
 * 1 pins, 0 none, with the reason in *why; -1 no departure. */
typedef int pins_rule_fn(const struct kver *v, const struct rule_case *rc, const char **why);

/*
 * What kernel code a handed-over path's direct IO really goes through,
 * found from what is under it (statfs f_type and the mount's type), never
 * assumed: a filesystem the test bed does not know is PATH_UNKNOWN, whose
 * pins are measured and reported with no expectation and no verdict.
 */
struct path_found {
	enum path_class path;
	char fs[64];		/* "ext4", "tmpfs", "overlay over xfs", "f2fs" */
	char how[192];		/* how it was found, for the report and the JSON */
	pins_rule_fn *pins_rule;	/* the filesystem's own departures, or NULL */
};

/* The filesystem under dir. 0, or -1 with err (dir unreadable). */
int path_classify_dir(const char *dir, struct path_found *pf, char *err);
/* A block device: block/fops.c direct IO, whatever the driver. */
int path_classify_blockdev(const char *dev, struct path_found *pf, char *err);
/* The class of a statfs f_type and mount type ("ext4"), without looking
 * at a path: what path_classify_dir decides, for the unit tests. */
void path_classify_type(unsigned long f_type, const char *fstype, struct path_found *pf);

/* btrfs's departure (target_fs.c): shared by the btrfs target and --dir;
 * with data checksums (btrfs-fuse) its writes depart too where the
 * kernel copies them (measured by btrfs_probe_csum_writes: 1 copied, 0
 * direct, -1 err; what it measured in note). */
pins_rule_fn btrfs_pins_rule;
pins_rule_fn btrfs_copied_writes_rule;
int btrfs_probe_csum_writes(const char *dir, char *note, size_t len, char *err);

#endif
