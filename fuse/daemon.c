/* The FUSE daemon: libfuse3 low-level operations over fused_state. */
#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include "fused.h"
#include "pattern.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INO_DATA 2
#define INO_CTL 3
#define CTL_SIZE 4096

static struct fused_state st;
static int use_splice;

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
		s->st_mode = S_IFREG | 0600;
		s->st_nlink = 1;
		s->st_size = ino == INO_DATA ? (off_t)st.size : CTL_SIZE;
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

	memset(&e, 0, sizeof(e));
	if (parent != FUSE_ROOT_ID)
		return (void)fuse_reply_err(req, ENOENT);
	if (!strcmp(name, "data"))
		e.ino = INO_DATA;
	else if (!strcmp(name, "ctl"))
		e.ino = INO_CTL;
	else
		return (void)fuse_reply_err(req, ENOENT);
	fill_attr(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat s;

	(void)fi;
	if (ino != FUSE_ROOT_ID && ino != INO_DATA && ino != INO_CTL)
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
	if (ino != INO_DATA && ino != INO_CTL)
		return (void)fuse_reply_err(req, EISDIR);
	fi->direct_io = 1;	/* FOPEN_DIRECT_IO: every IO takes the direct path */
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

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)fi;
	if (ino == INO_CTL) {
		char s[CTL_SIZE];
		int n = fused_status(&st, s, sizeof(s));

		if (off >= n)
			return (void)fuse_reply_buf(req, NULL, 0);
		return (void)fuse_reply_buf(req, s + off, (size_t)(n - off) < size ? (size_t)(n - off) : size);
	}
	st.reads++;
	if (fused_should_hold(&st, FUSED_READ, off)) {
		held.req = req;
		held.size = size;
		held.off = off;
		return;
	}
	reply_read(req, size, off, 0);
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
		return (void)fuse_reply_write(req, size);
	}
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
		return;
	}
	fused_write(&st, buf, size, off);
	fuse_reply_write(req, size);
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

static const struct fuse_lowlevel_ops ops = {
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
	st.data = malloc(st.size);
	if (!st.data) {
		fprintf(stderr, "iovbed-fused: malloc %zu failed\n", st.size);
		return 1;
	}
	pattern_fill(st.data, st.size, st.seed, 0);
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		goto out_free;
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
	ret = fuse_session_loop(se) < 0 ? 1 : 0;
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_destroy:
	fuse_session_destroy(se);
out_free:
	free(st.data);
	return ret;
}
