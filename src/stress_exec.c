/* Each kind of stress op: start it (a direct IO through its engine, queued
 * or not; the others in the worker's own thread), then judge what it did
 * against the target's model and update the model. */
#include "stress.h"
#include "checks.h"
#include "pattern.h"
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define POISON 0xa5	/* a read's destination before the read: neither zero nor pattern */

static char *slot_io(const struct sflight *f)
{
	return f->slot->b.base + f->op.bufoff;
}

/* The buffer before the op: a write's source holds its generation, a
 * read's destination poison; guards on both sides. */
static void buffer_ready(struct worker *w, struct sflight *f)
{
	struct stress *s = w->s;
	struct starget *t = &s->tg[f->op.ti];
	char *io = slot_io(f);

	slot_cpu_enter(f->slot);
	memcpy(io - GUARD_LEN, s->guard, GUARD_LEN);
	memcpy(io + f->op.len, s->guard, GUARD_LEN);
	f->slot->has_read = 0;
	if (f->op.dir == DIR_WRITE) {
		if (!f->gen_given)
			f->op.gen = model_new_gen(&t->m);
		model_fill(&t->m, io, f->op.off, f->op.len, f->op.gen);
	} else {
		memset(io, POISON, f->op.len);
	}
	f->unmapped0 = atomic_load(&f->slot->unmapped);
	f->lost0 = atomic_load(&f->slot->lost);
	f->forks0 = atomic_load(&w->s->de.forks);
	slot_cpu_leave(f->slot);
}

static void direct_rq(struct worker *w, struct sflight *f)
{
	struct starget *t = &w->s->tg[f->op.ti];

	memset(&f->rq, 0, sizeof(f->rq));
	f->rq.fd = t->fd;
	f->rq.path = t->t->path;
	f->rq.dir = f->op.dir;
	f->rq.buf = slot_io(f);
	f->rq.len = f->op.len;
	f->rq.off = f->op.off;
	f->rq.align = t->align;
}

/* One direct IO in this thread: prepare, run, finish. */
static void direct_sync(struct sflight *f, const struct engine_ops *e)
{
	ssize_t n = -1;
	int touch = e->flags & ENG_TOUCHES_BUFFER;

	errno = 0;
	if (touch)
		slot_cpu_enter(f->slot);
	if (!e->prepare || e->prepare(&f->rq) == 0) {
		n = e->run(&f->rq);
		f->op.err = n < 0 ? (errno ? errno : EIO) : 0;
	} else {
		f->op.err = errno ? errno : EIO;
	}
	if (e->finish)
		e->finish(&f->rq, n);
	if (n >= 0 && f->rq.bed_error) {
		/* the engine's own IO after the one under test failed (the
		 * peer read into a buffer a disturber unmapped: EFAULT): the
		 * op did not deliver, whatever the copy returned */
		f->op.err = errno ? errno : EIO;
		n = -1;
	}
	if (touch)
		slot_cpu_leave(f->slot);
	f->op.res = n;
	f->bed_error = f->rq.bed_error;
}

static int start_direct(struct worker *w, struct sflight *f)
{
	const struct engine_ops *e = engine_table[f->op.ei];

	buffer_ready(w, f);
	direct_rq(w, f);
	if (e->queue && w->s->depth > 1)
		return queue_submit(w, f, e) == 0 ? 1 : 0;
	direct_sync(f, e);
	return 0;
}

/* An mmap write on NFS, written back before the op ends: the NFS client
 * writes the page cache back before a direct IO only when the file passes
 * from buffered to direct IO (fs/nfs/io.c, nfs_start_io_direct), and an
 * mmap write is no buffered IO in that sense: a later direct read gets
 * the server's older data (measured in the 6.1 guest: an mmap write's
 * pages read stale 30 writes later), which is the client's coherence
 * model, not a fault. */
static int mmap_sync(struct starget *t, const struct sop *op)
{
	off_t lo = op->off & ~(off_t)4095;

	if (t->t->found.path != PATH_NFS)
		return 0;
	return msync(t->map + lo, op->off + op->len - lo, MS_SYNC);
}

/* buffered: pread/pwrite without O_DIRECT; mmap: memcpy with the file's
 * MAP_SHARED mapping (both in the worker's thread). */
static void run_copy(struct worker *w, struct sflight *f)
{
	struct starget *t = &w->s->tg[f->op.ti];
	char *io = slot_io(f);
	ssize_t n;

	if (f->op.kind == SOP_MMAP) {
		slot_cpu_enter(f->slot);
		if (f->op.dir == DIR_READ)
			memcpy(io, t->map + f->op.off, f->op.len);
		else
			memcpy(t->map + f->op.off, io, f->op.len);
		slot_cpu_leave(f->slot);
		f->op.res = f->op.len;
		f->op.err = 0;
		if (f->op.dir == DIR_WRITE && mmap_sync(t, &f->op) < 0) {
			f->op.res = -1;
			f->op.err = errno;
		}
		return;
	}
	if (f->op.dir == DIR_READ)
		n = pread(t->bfd, io, f->op.len, f->op.off);
	else
		n = pwrite(t->bfd, io, f->op.len, f->op.off);
	f->op.res = n;
	f->op.err = n < 0 ? errno : 0;
}

/* punch, zero, truncate, fsync. */
static void run_range(struct worker *w, struct sflight *f)
{
	struct starget *t = &w->s->tg[f->op.ti];
	int r;

	switch (f->op.kind) {
	case SOP_PUNCH:
		r = fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, f->op.off, f->op.len);
		break;
	case SOP_ZERO:
		r = fallocate(t->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, f->op.off, f->op.len);
		break;
	case SOP_TRUNCATE:
		r = ftruncate(t->bfd, f->op.off);
		if (!r)
			r = ftruncate(t->bfd, t->area);
		break;
	default:
		r = fsync(t->fd);
		break;
	}
	f->op.res = r < 0 ? -1 : (ssize_t)f->op.len;
	f->op.err = r < 0 ? errno : 0;
}

/* A checkpoint's rewrite of a range the model does not know. */
static void run_fix(struct worker *w, struct sflight *f)
{
	struct starget *t = &w->s->tg[f->op.ti];
	ssize_t n;

	if (!f->gen_given)
		f->op.gen = model_new_gen(&t->m);
	model_fill(&t->m, w->chaos_buf, f->op.off, f->op.len, f->op.gen);
	n = pwrite(t->fd, w->chaos_buf, f->op.len, f->op.off);
	f->op.res = n;
	f->op.err = n < 0 ? errno : 0;
}

/* Returns 1 if the op is in flight (queued), 0 if it ended already. */
int exec_start(struct worker *w, struct sflight *f)
{
	f->op.res = -1;
	f->op.err = 0;
	f->bed_error = 0;
	switch (f->op.kind) {
	case SOP_DIRECT:
		return start_direct(w, f);
	case SOP_BUFFERED:
	case SOP_MMAP:
		buffer_ready(w, f);
		run_copy(w, f);
		return 0;
	case SOP_CHAOS:
		exec_chaos(w, f);
		return 0;
	case SOP_FIX:
		run_fix(w, f);
		return 0;
	default:
		run_range(w, f);
		return 0;
	}
}
