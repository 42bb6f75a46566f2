/* ext4, xfs, btrfs: a file on the test bed's own filesystem on a loop device. */
#include "target.h"
#include "buffer.h"
#include "scratchfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vmstat.h"

static enum setup_state fs_setup(struct target *t, struct env *env)
{
	struct scratchfs *fs = scratchfs_get(env->scratch, t->ops->name, t->why);

	if (!fs)
		return SETUP_BROKEN;
	snprintf(t->info, sizeof(t->info), "%s on %s (%.200s)", t->ops->name, fs->loop.dev, fs->mnt);
	return target_file_in(t, fs->mnt);
}

static void fs_teardown(struct target *t)
{
	/* The filesystem itself goes with scratchfs_put_all(). */
	target_file_remove(t);
}

static const struct kernel_io *const fs_kernel_io[] = { &kio_finit_module, NULL };

const struct target_ops target_ext4 = {
	.name = "ext4",
	.desc = "file on ext4 (iomap direct IO) on a loop device",
	.path = PATH_IOMAP,
	.align = 512,
	.setup = fs_setup,
	.teardown = fs_teardown,
	.file_changes = 1,
	.kernel_io = fs_kernel_io,
};

const struct target_ops target_xfs = {
	.name = "xfs",
	.desc = "file on xfs (iomap direct IO) on a loop device",
	.path = PATH_IOMAP,
	.align = 512,
	.setup = fs_setup,
	.teardown = fs_teardown,
	.file_changes = 1,
	.kernel_io = fs_kernel_io,
};

/* btrfs_direct_read() runs the read with page faults off (iter->nofault):
 * the FOLL_PIN of a clean MAP_SHARED page of a disk file (write-protected
 * since writeback) fails with EFAULT before any bio is submitted, and
 * btrfs_dio_iomap_end() returns -ENOTBLK for the unsubmitted range.
 * Up to 6.14 iomap_iter() gave the iteration's own error priority ("ret <
 * 0 && !iter->processed"): btrfs sees EFAULT, faults the pages in, retries,
 * and the retry pins (measured on 6.12: 1 pin per page). From 6.15, commit
 * bc264fea0f6f ("iomap: support incremental iomap_iter advances") returns
 * ->iomap_end()'s error when nothing advanced: -ENOTBLK, which
 * __iomap_dio_rw() turns into 0, so btrfs finishes the read buffered and
 * takes no pin (measured on 6.18). Dirty shared pages and shmem pin on both.
 * The same holds for a buffer whose pages are not present (in swap), which
 * the pin cannot fault in either, for reads and writes alike (btrfs's
 * direct write runs with page faults off too: measured on 6.18). */
int btrfs_pins_rule(const struct kver *v, const struct rule_case *rc, const char **why)
{
	if (!kver_ge(v, 6, 15) || (!rc->absent && (rc->dir != DIR_READ ||
						   rc->b->backing != BACKING_FILE)))
		return -1;
	*why = rc->absent ? "btrfs falls back to buffered IO from a buffer whose pages are not "
	       "present (in swap) from 6.15: its pin runs with page faults off, and iomap_iter() "
	       "returns btrfs_dio_iomap_end()'s -ENOTBLK, not the pin's EFAULT" :
	       "btrfs falls back to buffered reads into clean MAP_SHARED file pages from 6.15: "
	       "iomap_iter() returns btrfs_dio_iomap_end()'s -ENOTBLK, not the pin's EFAULT";
	return 0;
}

/* With data checksums, btrfs may write through the page cache: 968f19c5b1b7
 * ("btrfs: always fallback to buffered write if the inode requires
 * checksum", 6.15) went into stable series too (6.12.y, 6.6.y), so the
 * version does not tell: btrfs_probe_csum_writes() measures it, and the
 * target takes this rule where it found the writes copied. */
int btrfs_copied_writes_rule(const struct kver *v, const struct rule_case *rc, const char **why)
{
	if (rc->dir == DIR_READ)
		return btrfs_pins_rule(v, rc, why);
	*why = "btrfs writes files with data checksums through the page cache on this kernel "
	       "(measured at set-up: see the target's line; 968f19c5b1b7, 6.15 and stable series)";
	return 0;
}

#define PROBE_LEN (64 * 1024)

/* One O_DIRECT write of PROBE_LEN into a new file of dir: the pins it
 * took (acquired), or -1 with err. */
static long long probe_write_pins(const char *dir, char *err)
{
	char path[PATH_MAX];
	struct pin_snap a, b;
	void *buf = NULL;
	long long pins = -1;
	int fd;

	if (pathf(path, sizeof(path), "%s/iovbed-csum-probe", dir) < 0 ||
	    posix_memalign(&buf, 4096, PROBE_LEN)) {
		errf(err, "probe buffer");
		return -1;
	}
	memset(buf, 0x5a, PROBE_LEN);	/* no zero page: every page can be pinned */
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0600);
	if (fd < 0)
		errf(err, "open %s O_DIRECT", path);
	else if (pin_read(&vmstat_default, &a, err) == 0) {
		if (pwrite(fd, buf, PROBE_LEN, 0) != PROBE_LEN)
			errf(err, "O_DIRECT pwrite of %d bytes to %s", PROBE_LEN, path);
		else if (pin_read(&vmstat_default, &b, err) == 0)
			pins = b.acquired - a.acquired;
	}
	if (fd >= 0)
		close(fd);
	unlink(path);
	free(buf);
	return pins;
}

/* Does btrfs on dir write a checksummed file direct (pins) or through the
 * page cache (none)? 1 copied, 0 direct, -1 err; what was measured in
 * note. The machine-wide counters may move on their own: a count that
 * is neither none nor at least one per page is measured again. */
int btrfs_probe_csum_writes(const char *dir, char *note, size_t len, char *err)
{
	long long pins = 0;
	int i;

	for (i = 0; i < 5; i++) {
		pins = probe_write_pins(dir, err);
		if (pins < 0)
			return -1;
		if (pins == 0 || pins >= PROBE_LEN / 4096)
			break;
		sleep_ms(50);
	}
	if (pins != 0 && pins < PROBE_LEN / 4096) {
		errno = 0;
		errf(err, "btrfs checksummed write probe: %lld pins for %d pages five times: "
		     "neither direct nor copied", pins, PROBE_LEN / 4096);
		return -1;
	}
	snprintf(note, len, "an O_DIRECT write of %d pages into a checksummed file took %lld "
		 "pins: %s", PROBE_LEN / 4096, pins, pins ? "written direct" :
		 "written through the page cache");
	return pins == 0;
}

/* btrfs refuses direct IO not aligned to its sector size (4096) and does it
 * buffered instead: only aligned cases are meaningful. Mounted nodatasum so
 * direct writes are not turned into buffered ones. */
const struct target_ops target_btrfs = {
	.name = "btrfs",
	.desc = "file on btrfs, nodatasum (iomap direct IO) on a loop device",
	.path = PATH_IOMAP,
	.align = 4096,
	.align_why = BTRFS_ALIGN_WHY,
	.fault_drops_pins = BTRFS_NOFAULT,
	.setup = fs_setup,
	.pins_expected = btrfs_pins_rule,
	.teardown = fs_teardown,
	.file_changes = 1,
	.kernel_io = fs_kernel_io,
};
