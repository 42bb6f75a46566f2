/* The FUSE daemon: libfuse3 low-level operations over fused_state. */
#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include "fused.h"
#include "pattern.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
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
static void publish(void)
{
	char s[CTL_SIZE];
	int n, fd;

	if (!status_path)
		return;
	n = fused_status(&st, s, sizeof(s));
	fd = open(status_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, s, n) != n)
		n = -1;
	close(fd);
}

/* The held request, answered on a later ctl command. */
static struct {
	fuse_req_t req;
	size_t size;
	off_t off;
	void *payload;		/* a held WRITE's bytes, stored when answered */
} held;

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

static void reply_read(fuse_req_t req, size_t size, off_t off, long shorten)
{
	size_t n = 0;

	if ((size_t)off < st.size)
		n = size < st.size - off ? size : st.size - off;
	if (shorten > 0)
		n = (size_t)shorten < n ? n - shorten : 0;
	fuse_reply_buf(req, (const char *)st.data + off, n);
}

/* Reply with [off, off+size) of a file of len bytes at base. */
static void reply_span(fuse_req_t req, const void *base, size_t len, size_t size, off_t off)
{
	if ((size_t)off >= len)
		return (void)fuse_reply_buf(req, NULL, 0);
	fuse_reply_buf(req, (const char *)base + off, size < len - off ? size : len - off);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	char s[CTL_SIZE];

	(void)fi;
	switch (ino) {
	case INO_CTL:
		reply_span(req, s, fused_status(&st, s, sizeof(s)), size, off);
		return;
	case INO_SCRIPT:
		fused_log(&st, "READ", "script", off, size);
		return reply_span(req, FUSED_SCRIPT, sizeof(FUSED_SCRIPT) - 1, size, off);
	case INO_ACCT:
		return reply_span(req, acct_buf, acct_size, size, off);
	case INO_DISK:
		return reply_span(req, disk, disk_size, size, off);
	case INO_LOG:
		return reply_span(req, st.log, st.loglen, size, off);
	}
	st.reads++;
	if (fused_should_hold(&st, FUSED_READ, off)) {
		held.req = req;
		held.size = size;
		held.off = off;
		publish();
		return;
	}
	reply_read(req, size, off, 0);
	publish();
}

/* Answer the held request: err > 0 fails it, shorten > 0 cuts it short. */
static void answer_held(int err, long shorten)
{
	if (st.held_op == FUSED_NONE)
		return;
	if (err)
		fuse_reply_err(held.req, err);
	else if (st.held_op == FUSED_READ)
		reply_read(held.req, held.size, held.off, shorten);
	else {
		size_t n = shorten > 0 && (size_t)shorten < held.size ? held.size - shorten : held.size;

		fused_write(&st, held.payload, n, held.off);
		fuse_reply_write(held.req, n);
	}
	free(held.payload);
	memset(&held, 0, sizeof(held));
	st.held_op = FUSED_NONE;
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)fi;
	if (ino == INO_CTL) {
		char cmd[256];
		long arg = 0;

		snprintf(cmd, sizeof(cmd), "%.*s", (int)(size < 255 ? size : 255), buf);
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
		return (void)fuse_reply_write(req, size);
	}
	if (ino == INO_DISK) {
		if ((size_t)off >= disk_size || size > disk_size - off)
			return (void)fuse_reply_err(req, ENOSPC);
		memcpy(disk + off, buf, size);
		return (void)fuse_reply_write(req, size);
	}
	if (ino == INO_ACCT) {
		fused_log(&st, "WRITE", "acct", off, size);
		if (off < 0 || off > ACCT_MAX || size > (size_t)(ACCT_MAX - off))
			return (void)fuse_reply_err(req, EFBIG);
		memcpy(acct_buf + off, buf, size);
		if ((size_t)off + size > acct_size)
			acct_size = off + size;
		return (void)fuse_reply_write(req, size);
	}
	if (ino != INO_DATA && ino != INO_CACHED)
		return (void)fuse_reply_err(req, EACCES);
	if (fused_should_hold(&st, FUSED_WRITE, off)) {
		held.payload = malloc(size);
		if (!held.payload) {
			st.held_op = FUSED_NONE;
			return (void)fuse_reply_err(req, ENOMEM);
		}
		memcpy(held.payload, buf, size);
		held.req = req;
		held.size = size;
		held.off = off;
		publish();
		return;
	}
	fused_write(&st, buf, size, off);
	fuse_reply_write(req, size);
	publish();
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
	.write = op_write,
	.flush = op_ok,
	.release = op_ok,
	.fsync = op_fsync,
};

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
	if (cfg->under_test_bed)
		umount2(cfg->mountpoint, MNT_DETACH);
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
