/* An op that ended: its result, its data against the model (a read's
 * buffer, its guards), the model updated with what it wrote; then it is
 * recorded, counted and lets go of its range and buffer. */
#include "stress.h"
#include "checks.h"
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The read into a MAP_SHARED file buffer verified: remembered for the
 * checkpoint, which looks for it in the buffer's file. */
static void remember_read(struct stress *s, struct sflight *f)
{
	struct sslot *sl = f->slot;

	sl->has_read = 1;
	sl->read_st = f->op.ti;
	sl->read_off = f->op.off;
	sl->read_in_buf = (f->slot->b.base + f->op.bufoff) - (char *)sl->b.map;
	sl->read_len = f->op.len;
	model_snapshot(&s->tg[f->op.ti].m, f->op.off, f->op.len, sl->read_gens);
}

/* A read that returned everything: the buffer against the model, the
 * guards, unless a disturber dropped the buffer meanwhile. */
static int judge_read(struct stress *s, struct sflight *f, struct strbuf *diag)
{
	char *io = f->slot->b.base + f->op.bufoff;
	struct model_check mc = { .buf = io, .off = f->op.off, .len = f->op.len,
				  .what = "buffer after the read" };
	int bad = 0;

	slot_cpu_enter(f->slot);
	if (atomic_load(&f->slot->lost) != f->lost0) {
		slot_cpu_leave(f->slot);
		return 0;	/* the data went to pages no longer mapped */
	}
	bad = model_check(&s->tg[f->op.ti].m, &mc, diag);
	if ((memcmp(io - GUARD_LEN, s->guard, GUARD_LEN) ||
	     memcmp(io + f->op.len, s->guard, GUARD_LEN)) &&
	    check_guards(io - GUARD_LEN, io + f->op.len, GUARD_LEN, s->gseed, diag))
		bad = 1;
	if (!bad && buffer_table[f->op.bi]->backing == BACKING_FILE)
		remember_read(s, f);
	slot_cpu_leave(f->slot);
	atomic_fetch_add(&s->bytes_verified, mc.verified);
	atomic_fetch_add(&s->bytes_unjudged, f->op.len - mc.verified);
	return bad;
}

static void describe_error(struct sflight *f, struct strbuf *diag)
{
	if (f->op.res >= 0)
		sb_addf(diag, "io: short %s: %zd of %zu bytes at file offset %lld\n",
			dir_name(f->op.dir), f->op.res, f->op.len, (long long)f->op.off);
	else if (f->op.kind == SOP_DIRECT && f->rq.err[0])
		sb_addf(diag, "io: %s\n", f->rq.err);
	else
		sb_addf(diag, "io: %s %s of %zu bytes at file offset %lld failed: %s\n",
			sop_names[f->op.kind], dir_name(f->op.dir), f->op.len, (long long)f->op.off,
			strerror(f->op.err));
}

/* A direct write that could not invalidate the page cache a chaos op had
 * filled sets the mapping's error (dio_warn_stale_pagecache: -EIO), which
 * the next sync reports once per descriptor: fsync, or a RWF_DSYNC write
 * (whose data is then not known). The kernel's documented answer. */
static int chaos_eio(struct stress *s, const struct sflight *f)
{
	return f->op.err == EIO && atomic_load(&s->tg[f->op.ti].chaos) &&
	       (f->op.kind == SOP_FSYNC || (f->op.kind == SOP_DIRECT &&
					    (engine_table[f->op.ei]->flags & ENG_SYNCS)));
}

/* A fork while an op that changes its own buffer ran (or began). */
static int forked_under(struct stress *s, const struct sflight *f)
{
	if (f->op.kind != SOP_DIRECT || !(engine_table[f->op.ei]->flags & ENG_TOUCHES_BUFFER))
		return 0;
	return (f->forks0 & 1) || atomic_load(&s->de.forks) != f->forks0;
}

/* What disturbers did to the op's buffer while it ran (waiting for one
 * that holds it now): DIST_UNMAPPED, DIST_LOST, DIST_FORKED. */
static unsigned harm_of(struct stress *s, struct sflight *f)
{
	unsigned harm = 0;

	if (!f->slot)
		return 0;
	if (forked_under(s, f))
		harm |= DIST_FORKED;
	slot_cpu_enter(f->slot);
	if (atomic_load(&f->slot->unmapped) != f->unmapped0)
		harm |= DIST_UNMAPPED;
	if (atomic_load(&f->slot->lost) != f->lost0)
		harm |= DIST_LOST;
	slot_cpu_leave(f->slot);
	return harm;
}

/* Direct, buffered and mmap IO. */
static int judge_io(struct stress *s, struct sflight *f, unsigned harm, struct strbuf *diag)
{
	struct model *m = &s->tg[f->op.ti].m;

	if (f->op.res > 0)
		atomic_fetch_add(&s->bytes_moved, f->op.res);
	if (f->op.res != (ssize_t)f->op.len) {
		/* what reached the file is not known: rewritten at the checkpoint */
		if (f->op.dir == DIR_WRITE)
			model_set(m, f->op.off, f->op.len, GEN_UNKNOWN);
		if ((harm & DIST_UNMAPPED) || chaos_eio(s, f))
			return 0;	/* the disturber's allowed end (EFAULT, short) */
		if (f->bed_error) {	/* a pipe, a peer file: not the IO's fault */
			stress_broke(s, f->rq.err[0] ? f->rq.err : "the test bed's own IO failed");
			return 0;
		}
		describe_error(f, diag);
		return 1;
	}
	if (f->op.dir == DIR_WRITE) {
		/* a source unmapped or dropped before the kernel took it, or
		 * parted by a fork from the pages the kernel holds: unknown */
		model_set(m, f->op.off, f->op.len,
			  (harm & (DIST_LOST | DIST_FORKED)) ? GEN_UNKNOWN : f->op.gen);
		return 0;
	}
	return judge_read(s, f, diag);
}

/* punch, zero, truncate, fsync, fix. */
static int judge_other(struct stress *s, struct sflight *f, struct strbuf *diag)
{
	struct starget *t = &s->tg[f->op.ti];

	if (f->op.kind == SOP_CHAOS)
		return 0;
	if (f->op.res < 0) {
		if (chaos_eio(s, f))
			return 0;
		describe_error(f, diag);
		return 1;
	}
	if (f->op.kind != SOP_FSYNC)
		model_set(&t->m, f->op.off, f->op.len, f->op.kind == SOP_FIX ? f->op.gen : GEN_ZERO);
	return 0;
}

void exec_finish(struct worker *w, struct sflight *f)
{
	struct stress *s = w->s;
	struct strbuf diag = { 0 };
	unsigned harm = harm_of(s, f);
	int hit = harm != 0, bad;

	if (f->op.kind == SOP_DIRECT || f->op.kind == SOP_BUFFERED || f->op.kind == SOP_MMAP)
		bad = judge_io(s, f, harm, &diag);
	else
		bad = judge_other(s, f, &diag);
	w->last[w->nlast++ % LAST_OPS] = f->op;
	if (s->record)
		record_op(s, &f->op);
	pthread_mutex_lock(&s->lock);
	tally_op(s, &f->op, bad);
	if (hit) {
		s->kinds[f->op.kind].hit++;
		s->tg[f->op.ti].tally.hit++;
	}
	pthread_mutex_unlock(&s->lock);
	if (f->ranged) {
		struct span sp = sop_span(&f->op);

		model_release(&s->tg[f->op.ti].m, &sp);
	}
	if (f->slot)
		f->slot->busy = 0;
	f->ranged = 0;
	f->used = 0;
	if (bad)
		stress_failed(s, w, &f->op, &diag);
	sb_free(&diag);
}

