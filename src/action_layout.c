/* The file range under a direct IO, laid out before it (nothing is held):
 *   layout-hole       punched: a read gets zeros, and iomap zeroes a
 *                     hole's range with no pin; a write fills it
 *   layout-unwritten  punched, then fallocated: an unwritten extent, the
 *                     same as a hole for a read
 *   layout-eof        the file ends in the middle of the range: a read
 *                     returns the bytes up to the end, a write extends it
 *   layout-reflink    the range shared with a partner file (FICLONERANGE:
 *                     xfs, btrfs): a read gets the data, a write leaves
 *                     the partner's copy as it was
 *   layout-cached     the range in the page cache first (a buffered read):
 *                     a direct write must invalidate it, so a buffered
 *                     read after it gets the new data
 *   layout-mmap       the range mapped MAP_SHARED and read through the
 *                     mapping first: after a direct write the mapping
 *                     shows the new data
 *   layout-compressed a compressed extent (zeros written with the file's
 *                     compression flag on, FIEMAP says encoded: btrfs): a
 *                     read gets zeros through the page cache (btrfs gives
 *                     direct IO over a compressed extent to it), no pins
 * The runner sets the file back after each case. Self-test
 * layout-unpunched declares a hole and punches none: the read's zero check
 * must fail. */
#include "action.h"
#include "checks.h"
#include "pattern.h"
#include "result.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#define PAGE 4096L

static int open_target(struct inflight *in, char *err)
{
	int fd = open(in->t->path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		errf(err, "open %s", in->t->path);
	return fd;
}

static int punch_range(struct inflight *in, int fd, char *err)
{
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, in->file_off, in->b->len) < 0) {
		errf(err, "fallocate(PUNCH_HOLE) of the IO's range of %s", in->t->path);
		return -1;
	}
	return 0;
}

/* A read of the range gets zeros (the buffer is checked for them). */
static void reads_zeros(struct inflight *in)
{
	if (in->dir == DIR_READ) {
		in->zero_lo = in->b->io;
		in->zero_hi = in->b->io + in->b->len;
		in->zero_why = "buffer after a read of a range laid out as zeros (a hole, an "
			       "unwritten extent, a compressed one of zeros)";
	}
}

static int hole_prepare(struct inflight *in, char *err)
{
	int fd = open_target(in, err), ret;

	if (fd < 0)
		return -1;
	in->file_changed = 1;
	ret = punch_range(in, fd, err);
	close(fd);
	reads_zeros(in);
	return ret;
}

/* The self-test: a hole declared, the range left written: the read's
 * zero check must fail. */
static int unpunched_prepare(struct inflight *in, char *err)
{
	(void)err;
	reads_zeros(in);
	return 0;
}

static int unwritten_prepare(struct inflight *in, char *err)
{
	int fd = open_target(in, err), ret = -1;

	if (fd < 0)
		return -1;
	in->file_changed = 1;
	if (punch_range(in, fd, err) == 0) {
		ret = fallocate(fd, 0, in->file_off, in->b->len);
		if (ret < 0 && errno == EOPNOTSUPP) {
			snprintf(err, ERRLEN, "%s cannot allocate an unwritten extent "
				 "(fallocate: EOPNOTSUPP)", in->t->ops->name);
			in->skip = 1;
		} else if (ret < 0) {
			errf(err, "fallocate of the IO's range of %s", in->t->path);
		}
	}
	close(fd);
	reads_zeros(in);
	return ret;
}

/* The file ends at the middle of the range, on the target's alignment. */
static int eof_prepare(struct inflight *in, char *err)
{
	off_t eof = in->file_off + (off_t)(in->b->len / 2 / in->t->ops->align * in->t->ops->align);

	in->file_changed = 1;
	if (truncate(in->t->path, eof) < 0) {
		errf(err, "truncate %s to %lld", in->t->path, (long long)eof);
		return -1;
	}
	if (in->dir == DIR_READ)
		in->due_n = eof - in->file_off;
	return 0;
}

struct partner {
	char path[PATH_MAX + 16];
	char *before;		/* the target's range when it was shared */
};

/* The range shared with a partner file of the same filesystem: the blocks
 * under it (FICLONERANGE takes whole blocks). */
static int reflink_prepare(struct inflight *in, char *err)
{
	struct partner *p = calloc(1, sizeof(*p));
	int src = open_target(in, err), dst = -1, ret = -1;
	off_t lo = in->file_off & ~(PAGE - 1);
	off_t hi = (in->file_off + (off_t)in->b->len + PAGE - 1) & ~(PAGE - 1);
	struct file_clone_range r = { .src_offset = lo, .src_length = hi - lo, .dest_offset = lo };

	if (!p || src < 0)
		goto out;
	p->before = malloc(in->b->len);
	if (!p->before || pread(src, p->before, in->b->len, in->file_off) != (ssize_t)in->b->len) {
		errf(err, "pread the IO's range of %s", in->t->path);
		goto out;
	}
	snprintf(p->path, sizeof(p->path), "%s.partner", in->t->path);
	dst = open(p->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (dst < 0) {
		errf(err, "create %s", p->path);
		goto out;
	}
	in->file_changed = in->reshaped = 1;
	r.src_fd = src;
	if (ioctl(dst, FICLONERANGE, &r) == 0) {
		in->priv = p;
		p = NULL;
		ret = 0;
	} else if (errno == EOPNOTSUPP || errno == EXDEV || errno == EINVAL) {
		snprintf(err, ERRLEN, "%s cannot share a range with another file (FICLONERANGE: %s)",
			 in->t->ops->name, strerror(errno));
		in->skip = 1;
	} else {
		errf(err, "FICLONERANGE of %s into %s", in->t->path, p->path);
	}
out:
	if (p && *p->path)
		unlink(p->path);
	if (p)
		free(p->before);
	free(p);
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	return ret;
}

/* The partner's copy is what it was: the read region's data. */
static void reflink_finish(struct inflight *in)
{
	struct partner *p = in->priv;
	void *buf = malloc(in->b->len);
	int fd;

	if (!p)
		goto out;
	fd = open(p->path, O_RDONLY | O_CLOEXEC);
	if (!buf || fd < 0 || pread(fd, buf, in->b->len, in->file_off) != (ssize_t)in->b->len) {
		sb_addf(in->diag, "reflink: the partner file %s could not be read back\n", p->path);
		in->failed |= CHK_DATA;
	} else if (memcmp(buf, p->before, in->b->len)) {
		sb_addf(in->diag, "data: the reflink partner's copy changed with the IO on the "
			"target's range (it must keep what they shared)\n");
		in->failed |= CHK_DATA;
	} else {
		sb_addf(in->diag, "data: the reflink partner's copy kept what they shared\n");
	}
	if (fd >= 0)
		close(fd);
	unlink(p->path);
	free(p->before);
out:
	free(buf);
	free(p);
	in->priv = NULL;
}

/* The range read through the page cache first. */
static int cached_prepare(struct inflight *in, char *err)
{
	void *buf = malloc(in->b->len);
	int fd = open_target(in, err), ret = -1;

	if (fd >= 0 && buf && pread(fd, buf, in->b->len, in->file_off) == (ssize_t)in->b->len)
		ret = 0;
	else if (fd >= 0)
		errf(err, "buffered pread of the IO's range of %s", in->t->path);
	if (fd >= 0)
		close(fd);
	free(buf);
	in->file_changed = 1;
	in->read_cached = 1;	/* the write's read-back goes through that cache */
	return ret;
}

struct mapping {
	char *map;
	size_t len;
	off_t lo;
};

/* The range mapped MAP_SHARED and read through the mapping first. */
static int mmap_prepare(struct inflight *in, char *err)
{
	struct mapping *m = calloc(1, sizeof(*m));
	int fd = open_target(in, err);
	volatile char sum = 0;
	size_t i;

	if (!m || fd < 0) {
		free(m);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	m->lo = in->file_off & ~(PAGE - 1);
	m->len = ((in->file_off + in->b->len + PAGE - 1) & ~(PAGE - 1)) - m->lo;
	m->map = mmap(NULL, m->len, PROT_READ, MAP_SHARED, fd, m->lo);
	close(fd);
	if (m->map == MAP_FAILED) {
		errf(err, "mmap of the IO's range of %s", in->t->path);
		free(m);
		return -1;
	}
	for (i = 0; i < m->len; i += PAGE)
		sum += m->map[i];
	in->file_changed = 1;
	in->priv = m;
	return 0;
}

/* After a direct write the mapping shows the new data. */
static void mmap_finish(struct inflight *in)
{
	struct mapping *m = in->priv;

	if (!m)
		return;
	if (in->dir == DIR_WRITE && in->n == (ssize_t)in->b->len &&
	    check_data(m->map + (in->file_off - m->lo), in->b->len, PAT(in->write_seed, in->file_off),
		       "the file's MAP_SHARED mapping after the direct write (stale: the write did "
		       "not invalidate it)", in->diag))
		in->failed |= CHK_DATA;
	munmap(m->map, m->len);
	free(m);
	in->priv = NULL;
}

/* Is all of [off, off + len) of fd in encoded (compressed) extents? 1, 0,
 * -1 (FIEMAP cannot say). */
static int encoded(int fd, off_t off, size_t len)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext[32];
	} f = { .fm = { .fm_start = off, .fm_length = len, .fm_flags = FIEMAP_FLAG_SYNC,
			.fm_extent_count = 32 } };
	unsigned k;

	if (ioctl(fd, FS_IOC_FIEMAP, &f) < 0 || !f.fm.fm_mapped_extents)
		return -1;
	for (k = 0; k < f.fm.fm_mapped_extents; k++)
		if (!(f.ext[k].fe_flags & FIEMAP_EXTENT_ENCODED))
			return 0;
	return 1;
}

/* Zeros written over the range with the file's compression flag on. */
static int compressed_write(struct inflight *in, int fd, char *err)
{
	int flags = 0, on;
	void *zero = calloc(1, in->b->len);

	if (!zero || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0) {
		free(zero);
		errf(err, "FS_IOC_GETFLAGS of %s", in->t->path);
		return -1;
	}
	on = flags | FS_COMPR_FL;
	if (ioctl(fd, FS_IOC_SETFLAGS, &on) < 0) {
		snprintf(err, ERRLEN, "%s has no per-file compression (FS_IOC_SETFLAGS "
			 "FS_COMPR_FL: %s)", in->t->ops->name, strerror(errno));
		in->skip = 1;
		free(zero);
		return -1;
	}
	if (pwrite(fd, zero, in->b->len, in->file_off) != (ssize_t)in->b->len || fsync(fd) < 0)
		errf(err, "pwrite and fsync of zeros over the IO's range of %s", in->t->path);
	else
		on = 0;
	ioctl(fd, FS_IOC_SETFLAGS, &flags);
	free(zero);
	return on ? -1 : 0;
}

/* The mount options of the filesystem holding path (the longest mount
 * point above it), into out; "" if not found. */
static void mount_options(const char *path, char *out, size_t len)
{
	char line[4096], dir[PATH_MAX], opts[1024];
	size_t best = 0, n;
	FILE *f = fopen("/proc/self/mounts", "re");

	*out = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %4095s %*s %1023s", dir, opts) == 2 &&
		    (n = strlen(dir)) > best && !strncmp(path, dir, n) && path[n] == '/') {
			best = n;
			snprintf(out, len, "%s", opts);
		}
	if (f)
		fclose(f);
}

/* Not compressed: what the filesystem lacks (skip), or a broken set-up. */
static void not_compressed(struct inflight *in, int fd, int enc, char *err)
{
	struct statfs sf;
	char opts[1024];

	mount_options(in->t->path, opts, sizeof(opts));
	if (fstatfs(fd, &sf) == 0 && sf.f_type != BTRFS_SUPER_MAGIC) {
		snprintf(err, ERRLEN, "%s keeps the compression flag but does not compress (FIEMAP: "
			 "plain extents)", in->t->ops->name);
		in->skip = 1;
	} else if (strstr(opts, "nodatasum")) {
		snprintf(err, ERRLEN, "btrfs mounted nodatasum does not compress: compression needs "
			 "data checksums");
		in->skip = 1;
	} else {
		snprintf(err, ERRLEN, "%s took the compression flag, but FIEMAP does not show the "
			 "range encoded (%s)", in->t->ops->name, enc < 0 ? "no extents" :
			 "plain extents");
	}
}

static int compressed_prepare(struct inflight *in, char *err)
{
	int fd = open_target(in, err), ret = -1, enc;

	if (fd < 0)
		return -1;
	in->file_changed = 1;
	/* a write into a preallocated extent goes in place, uncompressed */
	if (punch_range(in, fd, err) == 0 && compressed_write(in, fd, err) == 0) {
		enc = encoded(fd, in->file_off, in->b->len);
		if (enc == 1)
			ret = 0;
		else
			not_compressed(in, fd, enc, err);
	}
	close(fd);
	reads_zeros(in);
	return ret;
}

#define RW ((1u << DIR_READ) | (1u << DIR_WRITE))
#define LAYOUT .dirs = RW, .backings = 1u << BACKING_ANON, .buffers = "anon", \
	.flags = ACT_UNHELD | ACT_FILE

/* iomap_dio_hole_iter: a hole's or unwritten extent's range is zeroed into
 * the buffer with iov_iter_zero, never pinned. */
#define ZEROED "iomap zeroes a hole's or an unwritten extent's range into the buffer " \
	"(iov_iter_zero): no pins"

const struct action_ops action_layout_hole = {
	.name = "layout-hole",
	.desc = "the range punched first: a read gets zeros (iomap takes no pin), a write fills it",
	LAYOUT,
	.reads_zeroed = ZEROED,
	.prepare = hole_prepare,
};

const struct action_ops action_layout_unwritten = {
	.name = "layout-unwritten",
	.desc = "the range an unwritten extent first: a read gets zeros, a write converts it",
	LAYOUT,
	.reads_zeroed = ZEROED,
	.prepare = unwritten_prepare,
};

const struct action_ops action_layout_eof = {
	.name = "layout-eof",
	.desc = "the file ends inside the range: a read returns the bytes up to its end, a write "
		"extends it",
	LAYOUT,
	.end = END_AT_EOF,
	.prepare = eof_prepare,
};

const struct action_ops action_layout_reflink = {
	.name = "layout-reflink",
	.desc = "the range shared with a partner file first (FICLONERANGE): a write leaves the "
		"partner's copy as it was",
	LAYOUT,
	.writes_may_copy = "xfs writes a direct write that is not block-aligned into a shared "
			   "(reflinked) extent through the page cache (its copy-on-write takes whole "
			   "blocks: -ENOTBLK): pins any",
	.prepare = reflink_prepare,
	.finish = reflink_finish,
};

/* A direct write must invalidate the cached range first; where it cannot
 * (a large folio only part of which the write covers), iomap gives
 * -ENOTBLK and xfs, ext4 write through the page cache instead (measured:
 * xfs on 6.18). Either way the data must not be stale. */
#define MAY_COPY "a direct write over cached pages may go through the page cache where " \
	"iomap cannot invalidate them (-ENOTBLK: the filesystem writes buffered): pins any"

const struct action_ops action_layout_cached = {
	.name = "layout-cached",
	.desc = "the range in the page cache first: a direct write invalidates it",
	LAYOUT,
	.writes_may_copy = MAY_COPY,
	.prepare = cached_prepare,
};

const struct action_ops action_layout_mmap = {
	.name = "layout-mmap",
	.desc = "the range mapped and read through the mapping first: after a direct write the "
		"mapping shows it",
	LAYOUT,
	.writes_may_copy = MAY_COPY,
	.prepare = mmap_prepare,
	.finish = mmap_finish,
};

const struct action_ops action_layout_compressed = {
	.name = "layout-compressed",
	.desc = "the range a compressed extent first: a read gets zeros through the page cache, "
		"a write replaces it",
	LAYOUT,
	.reads_copied = "btrfs reads a compressed extent through the page cache, not direct: "
			"no pins",
	.prepare = compressed_prepare,
};

const struct action_ops action_layout_unpunched = {
	.name = "layout-unpunched",
	.desc = "self-test: a hole declared, none punched: the read's zero check must fail",
	.dirs = 1u << DIR_READ,
	.backings = 1u << BACKING_ANON,
	.buffers = "anon",
	.flags = ACT_UNHELD | ACT_FILE | ACT_SELFTEST,
	.prepare = unpunched_prepare,
};
