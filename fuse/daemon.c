/* The FUSE daemon: libfuse3 low-level operations over fused_state. */
#include "fused.h"

#ifndef HAVE_FUSE3
#include <stdio.h>

/* Built without libfuse3 (configure --without-fuse3): the FUSE targets
 * SKIP before they would start a daemon. */
int fused_main(const struct fused_config *cfg)
{
	(void)cfg;
	fprintf(stderr, "iovbed-fused: built without libfuse3\n");
	return 1;
}
#else
#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include "pattern.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define INO_DATA 2
#define INO_CTL 3
#define INO_SCRIPT 4
#define INO_ACCT 5
#define INO_DISK 6
#define INO_LOG 7
#define INO_CACHED 8	/* "data" again, without FOPEN_DIRECT_IO */
#define CTL_SIZE 4096
#define ACCT_MAX (1024 * 1024)

static struct fused_state st;
static int use_splice;
static const char *status_path;
static unsigned char *disk, *acct_buf;
static size_t disk_size, acct_size;

static const struct {
	const char *name;
	fuse_ino_t ino;
} files[] = {
	{ "data", INO_DATA }, { "ctl", INO_CTL }, { "script", INO_SCRIPT },
	{ "acct", INO_ACCT }, { "disk", INO_DISK }, { "log", INO_LOG },
	{ "data-cached", INO_CACHED },
};

static int exists(fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID || (ino >= INO_DATA && ino <= INO_CACHED &&
				       (ino != INO_DISK || disk));
}

static off_t file_size(fuse_ino_t ino)
{
	switch (ino) {
	case INO_DATA:
	case INO_CACHED: return st.size;
	case INO_SCRIPT: return sizeof(FUSED_SCRIPT) - 1;
	case INO_ACCT: return acct_size;
	case INO_DISK: return disk_size;
	case INO_LOG: return FUSED_LOG_MAX;
	default: return CTL_SIZE;
	}
}

/* The status line, also where the test bed can read it without FUSE. */
/* Written beside it and renamed over it: a reader never sees the file
 * truncated and not yet written (it did, right after a READ's reply). */
static void publish(void)
{
	char s[CTL_SIZE], tmp[PATH_MAX];
	int n, fd;

	if (!status_path || snprintf(tmp, sizeof(tmp), "%s.new", status_path) >= (int)sizeof(tmp))
		return;
	n = fused_status(&st, s, sizeof(s));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, s, n) == n)
		rename(tmp, status_path);
	close(fd);
}

/* A held request, answered on a later ctl command. */
struct held_req {
	fuse_req_t req;
	fuse_ino_t ino;
	size_t size;
	off_t off;
	void *payload;		/* a held WRITE's bytes, stored when answered */
};
static struct held_req held;	/* data's */
static struct held_req disk_held[FUSED_DISK_HELD_MAX];

static void fill_attr(fuse_ino_t ino, struct stat *s)
{
	memset(s, 0, sizeof(*s));
	s->st_ino = ino;
	s->st_uid = getuid();
	s->st_gid = getgid();
	if (ino == FUSE_ROOT_ID) {
		s->st_mode = S_IFDIR | 0700;
		s->st_nlink = 2;
	} else {
		s->st_mode = S_IFREG | (ino == INO_SCRIPT ? 0700 : 0600);
		s->st_nlink = 1;
		s->st_size = file_size(ino);
		s->st_blocks = s->st_size / 512;
	}
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* A held disk IO may be many async requests (a loop device's 4 MiB
	 * read: 32 of 128 KiB): all of them must reach us to be held. */
	conn->max_background = 4 * FUSED_DISK_HELD_MAX;
	conn->congestion_threshold = 3 * FUSED_DISK_HELD_MAX;
	if (use_splice)
		conn->want |= conn->capable & (FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE |
					       FUSE_CAP_SPLICE_MOVE);
	else
		conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	size_t i;

	memset(&e, 0, sizeof(e));
	if (parent != FUSE_ROOT_ID)
		return (void)fuse_reply_err(req, ENOENT);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!strcmp(name, files[i].name) && exists(files[i].ino))
			e.ino = files[i].ino;
	if (!e.ino)
		return (void)fuse_reply_err(req, ENOENT);
	fill_attr(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat s;

	(void)fi;
	if (!exists(ino))
		return (void)fuse_reply_err(req, ENOENT);
	fill_attr(ino, &s);
	fuse_reply_attr(req, &s, 0);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	(void)attr;
	(void)to_set;
	op_getattr(req, ino, fi);	/* the size is fixed */
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino == FUSE_ROOT_ID)
		return (void)fuse_reply_err(req, EISDIR);
	if (!exists(ino))
		return (void)fuse_reply_err(req, ENOENT);
	/* FOPEN_DIRECT_IO: every IO takes the direct path. Not ctl: its
	 * writes go through the page cache (copied, never pinned), so steering
	 * the daemon adds no pins to what a case measures; the test bed reads
	 * the status from status_path, outside the mount. */
	fi->direct_io = ino != INO_CTL && ino != INO_CACHED;
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

static const char *file_name(fuse_ino_t ino)
{
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i].ino == ino)
			return files[i].name;
	return "";
}

/* Reply with n bytes of file ino at off, from src; the corrupt fault
 * flips a byte of a copy if it covers them. */
static void reply_bytes(fuse_req_t req, fuse_ino_t ino, const unsigned char *src, size_t n,
			off_t off)
{
	long pos = fused_corrupt_pos(&st, file_name(ino), off, n);
	unsigned char *copy;

	if (pos < 0)
		return (void)fuse_reply_buf(req, (const char *)src, n);
	copy = malloc(n);
	if (!copy)
		return (void)fuse_reply_err(req, ENOMEM);
	memcpy(copy, src, n);
	copy[pos] ^= FUSED_CORRUPT_XOR;
	publish();
	fuse_reply_buf(req, (const char *)copy, n);
	free(copy);
}

static void reply_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, long shorten)
{
	size_t n = 0;

	if ((size_t)off < st.size)
		n = size < st.size - off ? size : st.size - off;
	if (shorten > 0)
		n = (size_t)shorten < n ? n - shorten : 0;
	reply_bytes(req, ino, st.data + off, n, off);
}

/* A file's bytes in memory. */
struct file_bytes {
	fuse_ino_t ino;
	const void *base;
	size_t len;
};

/* Reply with [off, off+size) of the file. */
static void reply_span(fuse_req_t req, const struct file_bytes *fb, size_t size, off_t off)
{
	if ((size_t)off >= fb->len)
		return (void)fuse_reply_buf(req, NULL, 0);
	reply_bytes(req, fb->ino, (const unsigned char *)fb->base + off,
		    size < fb->len - off ? size : fb->len - off, off);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	char s[CTL_SIZE];

	(void)fi;
	switch (ino) {
	case INO_CTL:
		reply_span(req, &(struct file_bytes){ ino, s, fused_status(&st, s, sizeof(s)) }, size,
			   off);
		return;
	case INO_SCRIPT:
		fused_log(&st, "READ", "script", off, size);
		return reply_span(req, &(struct file_bytes){ ino, FUSED_SCRIPT,
							     sizeof(FUSED_SCRIPT) - 1 }, size, off);
	case INO_ACCT:
		return reply_span(req, &(struct file_bytes){ ino, acct_buf, acct_size }, size, off);
	case INO_DISK:
		if ((size_t)off < disk_size &&
		    fused_disk_should_hold(&st, FUSED_READ, disk + off,
					   size < disk_size - off ? size : disk_size - off)) {
			disk_held[st.disk.nheld - 1] = (struct held_req){ req, ino, size, off, NULL };
			return publish();
		}
		return reply_span(req, &(struct file_bytes){ ino, disk, disk_size }, size, off);
	case INO_LOG:
		return reply_span(req, &(struct file_bytes){ ino, st.log, st.loglen }, size, off);
	}
	st.reads++;
	if (fused_should_hold(&st, FUSED_READ, off)) {
		held.req = req;
		held.ino = ino;
		held.size = size;
		held.off = off;
		publish();
		return;
	}
	publish();	/* before the reply: once it is in, the test bed reads the status */
	reply_read(req, ino, size, off, 0);
}

/* Answer a held request of "data" (op) or "disk" (FUSED_NONE: the payload
 * says which way): err > 0 fails it, shorten > 0 cuts it short. */
static void answer_one(struct held_req *h, enum fused_op op, int err, long shorten)
{
	size_t n = h->size;

	if (shorten > 0 && (size_t)shorten < n)
		n -= shorten;
	else if (shorten > 0)
		n = 0;
	if (err)
		fuse_reply_err(h->req, err);
	else if (h->ino == INO_DISK && h->payload) {
		memcpy(disk + h->off, h->payload, n);
		fuse_reply_write(h->req, n);
	} else if (h->ino == INO_DISK)
		reply_span(h->req, &(struct file_bytes){ INO_DISK, disk, disk_size }, n, h->off);
	else if (op == FUSED_READ)
		reply_read(h->req, h->ino, h->size, h->off, shorten);
	else {
		fused_write(&st, h->payload, n, h->off);
		fuse_reply_write(h->req, n);
	}
	free(h->payload);
	memset(h, 0, sizeof(*h));
}

/* The held disk request that a "short" answer shortens: the one at the
 * highest offset, the IO's tail. */
static unsigned disk_tail(void)
{
	unsigned i, tail = 0;

	for (i = 1; i < st.disk.nheld; i++)
		if (disk_held[i].off > disk_held[tail].off)
			tail = i;
	return tail;
}

/* Answer every held request. The status is published before the replies:
 * it is true once they are in. */
static void answer_held(int err, long shorten)
{
	enum fused_op op = st.held_op;
	unsigned i, n = st.disk.nheld, tail = disk_tail();
	struct held_req data = held, disks[FUSED_DISK_HELD_MAX];

	memcpy(disks, disk_held, sizeof(disks));
	memset(&held, 0, sizeof(held));
	memset(disk_held, 0, sizeof(disk_held));
	st.held_op = FUSED_NONE;
	fused_disk_answered(&st);
	publish();
	if (op != FUSED_NONE)
		answer_one(&data, op, err, shorten);
	for (i = 0; i < n; i++)
		answer_one(&disks[i], FUSED_NONE, err, i == tail ? shorten : 0);
}

/* A WRITE's bytes, in memory. */
struct wbuf {
	const char *buf;
	size_t size;
	off_t off;
};

static void write_ctl(fuse_req_t req, const struct wbuf *w)
{
	char cmd[256];
	long arg = 0;

	snprintf(cmd, sizeof(cmd), "%.*s", (int)(w->size < 255 ? w->size : 255), w->buf);
	switch (fused_command(&st, cmd, &arg)) {
	case CMD_BAD:
		return (void)fuse_reply_err(req, EINVAL);
	case CMD_RELEASE:
		answer_held(0, 0);
		break;
	case CMD_FAIL:
		answer_held((int)arg, 0);
		break;
	case CMD_SHORT:
		answer_held(0, arg);
		break;
	default:
		break;
	}
	publish();
	fuse_reply_write(req, w->size);
}

static void write_disk(fuse_req_t req, const struct wbuf *w)
{
	struct held_req *h;

	if ((size_t)w->off >= disk_size || w->size > disk_size - w->off)
		return (void)fuse_reply_err(req, ENOSPC);
	if (fused_disk_should_hold(&st, FUSED_WRITE, w->buf, w->size)) {
		h = &disk_held[st.disk.nheld - 1];
		*h = (struct held_req){ req, INO_DISK, w->size, w->off, malloc(w->size) };
		if (h->payload) {
			memcpy(h->payload, w->buf, w->size);
			return publish();
		}
		st.disk.nheld--;
		return (void)fuse_reply_err(req, ENOMEM);
	}
	memcpy(disk + w->off, w->buf, w->size);
	fuse_reply_write(req, w->size);
}

static void write_acct(fuse_req_t req, const struct wbuf *w)
{
	fused_log(&st, "WRITE", "acct", w->off, w->size);
	if (w->off < 0 || w->off > ACCT_MAX || w->size > (size_t)(ACCT_MAX - w->off))
		return (void)fuse_reply_err(req, EFBIG);
	memcpy(acct_buf + w->off, w->buf, w->size);
	if ((size_t)w->off + w->size > acct_size)
		acct_size = w->off + w->size;
	fuse_reply_write(req, w->size);
}

/* "data": checked against what the test bed expects, or held. */
static void write_data(fuse_req_t req, const struct wbuf *w)
{
	if (fused_should_hold(&st, FUSED_WRITE, w->off)) {
		held.payload = malloc(w->size);
		if (!held.payload) {
			st.held_op = FUSED_NONE;
			return (void)fuse_reply_err(req, ENOMEM);
		}
		memcpy(held.payload, w->buf, w->size);
		held.req = req;
		held.size = w->size;
		held.off = w->off;
		publish();
		return;
	}
	fused_write(&st, w->buf, w->size, w->off);
	publish();	/* before the reply, as for a read */
	fuse_reply_write(req, w->size);
}

static void write_to(fuse_req_t req, fuse_ino_t ino, const struct wbuf *w)
{
	switch (ino) {
	case INO_CTL:
		return write_ctl(req, w);
	case INO_DISK:
		return write_disk(req, w);
	case INO_ACCT:
		return write_acct(req, w);
	case INO_DATA:
	case INO_CACHED:
		return write_data(req, w);
	default:
		fuse_reply_err(req, EACCES);
	}
}

/* The WRITE's bytes copied out of libfuse's buffers (a pipe, with splice
 * on /dev/fuse) into memory. */
static void op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off,
			 struct fuse_file_info *fi)
{
	size_t size = fuse_buf_size(bufv);
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(size);
	char *mem = malloc(size ? size : 1);

	(void)fi;
	if (!mem)
		return (void)fuse_reply_err(req, ENOMEM);
	dst.buf[0].mem = mem;
	if (fuse_buf_copy(&dst, bufv, 0) != (ssize_t)size)
		fuse_reply_err(req, EIO);
	else
		write_to(req, ino, &(struct wbuf){ mem, size, off });
	free(mem);
}

static void op_ok(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)datasync;
	op_ok(req, ino, fi);
}

/* Plenty of room: process accounting stops writing below 2% free. */
static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	(void)ino;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = sv.f_frsize = 4096;
	sv.f_blocks = sv.f_bfree = sv.f_bavail = 1 << 20;
	sv.f_files = sv.f_ffree = sv.f_favail = 1024;
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

static const struct fuse_lowlevel_ops ops = {
	.statfs = op_statfs,
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.open = op_open,
	.read = op_read,
	.write_buf = op_write_buf,
	.flush = op_ok,
	.release = op_ok,
	.fsync = op_fsync,
};

/* Our copy of every mount below dir (the test bed's filesystems, other
 * daemons' mounts, filesystems on loop devices over their files): a copy
 * would keep such a filesystem alive after the test bed unmounts it (its
 * device busy, its log not written: fsck sees it live) and, at our death,
 * unmount it, syncing through FUSE. */
static void detach_below(const char *dir)
{
	char line[4096], mnt[PATH_MAX];
	size_t n = strlen(dir);
	FILE *f;

	if (!dir || !(f = fopen("/proc/self/mountinfo", "re")))
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*u %*u %*u:%*u %*s %4095s", mnt) == 1 && !strncmp(mnt, dir, n) &&
		    mnt[n] == '/')
			umount2(mnt, MNT_DETACH);
	fclose(f);
}

int fused_main(const struct fused_config *cfg)
{
	char *argv[] = { "iovbed-fused", "-o", "fsname=iovbed,subtype=iovbed,allow_other", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_session *se;
	int ret = 1;

	memset(&st, 0, sizeof(st));
	st.size = cfg->size;
	st.seed = cfg->seed;
	use_splice = cfg->splice;
	status_path = cfg->status_path;
	disk_size = cfg->disk_size;
	st.data = malloc(st.size);
	acct_buf = malloc(ACCT_MAX);
	disk = disk_size ? calloc(1, disk_size) : NULL;
	if (!st.data || !acct_buf || (disk_size && !disk)) {
		fprintf(stderr, "iovbed-fused: out of memory for the files\n");
		goto out_free;
	}
	pattern_fill(st.data, st.size, st.seed, 0);
	publish();
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		goto out_free;
	/* A forked daemon inherits the test bed's own handlers, and libfuse
	 * installs its exit handler only over SIG_DFL: without this, SIGTERM
	 * would set the test bed's flag in our copy and nothing would end. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (fuse_set_signal_handlers(se) != 0)
		goto out_destroy;
	if (cfg->under_test_bed) {
		/* A ^C reaches the whole process group: the test bed finishes its
		 * case and unmounts us; SIGTERM still ends the loop. */
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
	}
	if (fuse_session_mount(se, cfg->mountpoint) != 0)
		goto out_signals;
	/* Leave the test bed's mount namespace (the mount stays in it): it
	 * will hold filesystems on loop devices over our files, and if we
	 * held it, our own death would unmount them, syncing through FUSE
	 * to us: a deadlock in exit. */
	if (cfg->under_test_bed && unshare(CLONE_NEWNS) < 0) {
		fprintf(stderr, "iovbed-fused: unshare(CLONE_NEWNS): %s\n", strerror(errno));
		goto out_unmount;
	}
	/* ... and drop our copy of the mount, so that the test bed's unmount
	 * is the last one: the connection ends and so does our loop. */
	if (cfg->under_test_bed) {
		umount2(cfg->mountpoint, MNT_DETACH);
		detach_below(cfg->detach_below);
	}
	ret = fuse_session_loop(se) < 0 ? 1 : 0;
out_unmount:
	if (!cfg->under_test_bed)	/* our copy is gone already */
		fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_destroy:
	fuse_session_destroy(se);
out_free:
	free(st.data);
	free(acct_buf);
	free(disk);
	return ret;
}
#endif
