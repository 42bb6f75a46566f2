/* A worker: it draws its ops one after another, keeps up to --depth
 * direct IOs in flight through the engines that queue (io_uring,
 * libaio), runs every other op alone, and parks at each checkpoint with
 * nothing in flight and its rings' registrations dropped. It never waits
 * for another worker's range while it holds ranges of its own (it drains
 * first), so workers cannot deadlock. */
#include "stress.h"
#include "registry.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

static struct sflight *free_fl(struct worker *w)
{
	unsigned i;

	for (i = 0; i < w->s->depth; i++)
		if (!w->fl[i].used)
			return &w->fl[i];
	return NULL;
}

static struct sslot *free_slot(struct worker *w, int bi)
{
	size_t i;

	for (i = 0; i < w->nslots; i++)
		if (w->slots[i].bi == bi && !w->slots[i].busy)
			return &w->slots[i];
	return NULL;
}

static int is_queued(const struct stress *s, const struct sop *op)
{
	return op->kind == SOP_DIRECT && engine_table[op->ei]->queue && s->depth > 1;
}

/* The op's range of its target: 0 owned; 1 the run pauses (not owned).
 * While the range is busy the worker completes its own IOs one by one
 * (one of them may hold it); it waits for another worker's only with
 * nothing of its own in flight. */
static int take_range(struct worker *w, const struct sop *op)
{
	struct model *m = &w->s->tg[op->ti].m;
	struct span sp = sop_span(op);

	if (op->kind == SOP_FSYNC)
		return 0;
	while (model_acquire(m, &sp, 0, NULL) != 0) {
		if (!worker_queued(w))
			return model_acquire(m, &sp, 1, &w->s->pause);
		worker_reap_one(w);
	}
	return 0;
}

static struct sslot *take_slot(struct worker *w, const struct sop *op)
{
	struct sslot *sl;

	if (op->kind != SOP_DIRECT && op->kind != SOP_BUFFERED && op->kind != SOP_MMAP)
		return NULL;
	sl = free_slot(w, op->bi);
	if (!sl) {
		worker_drain(w);
		sl = free_slot(w, op->bi);
	}
	sl->busy = 1;
	return sl;
}

/* Start op (its range and buffer taken), finish it if it ended. */
static void start(struct worker *w, struct sflight *f, const struct sop *op, struct sslot *sl)
{
	f->op = *op;
	f->used = 1;
	f->gen_given = 0;
	f->ranged = op->kind != SOP_FSYNC;
	f->slot = sl;
	f->op.slot = sl ? (int)(sl - w->slots) : -1;
	w->cur = f->op;
	atomic_store(&w->op_start, now_sec());
	if (!exec_start(w, f))
		exec_finish(w, f);
	atomic_store(&w->op_start, 0);
}

/* Within the --ops budget? Counts the op if so; else stops the run. */
static int budget(struct stress *s)
{
	unsigned long long max = s->opt->stress.ops;

	if (max && atomic_fetch_add(&s->ops_started, 1) >= max) {
		atomic_store(&s->stop, 1);
		return 0;
	}
	if (!max)
		atomic_fetch_add(&s->ops_started, 1);
	return 1;
}

static void worker_step(struct worker *w)
{
	struct stress *s = w->s;
	struct sop *op = &w->pending;
	struct sflight *f;

	if (!w->has_pending) {
		sop_draw(s, w, op);
		w->has_pending = 1;
	}
	if (!is_queued(s, op))
		worker_drain(w);
	f = free_fl(w);
	if (!f) {
		worker_reap_one(w);
		f = free_fl(w);
	}
	if (!f || take_range(w, op) != 0)
		return;		/* paused, or the run broke: the op stays pending */
	w->has_pending = 0;
	if (!budget(s)) {
		struct span sp = sop_span(op);

		if (op->kind != SOP_FSYNC)
			model_release(&s->tg[op->ti].m, &sp);
		return;
	}
	start(w, f, op, take_slot(w, op));
}

/* Parked: nothing in flight, no registration held, until the checkpoint
 * is over. */
static void park(struct worker *w)
{
	struct stress *s = w->s;

	worker_drop_queues(w);
	pthread_mutex_lock(&s->park_lock);
	atomic_store(&w->parked, 1);
	pthread_cond_broadcast(&s->park_cond);
	while (atomic_load(&s->pause) && !atomic_load(&s->stop))
		pthread_cond_wait(&s->park_cond, &s->park_lock);
	atomic_store(&w->parked, 0);
	pthread_mutex_unlock(&s->park_lock);
}

void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;

	w->tid = gettid();
	while (!atomic_load(&s->stop)) {
		if (atomic_load(&s->pause))
			park(w);
		else
			worker_step(w);
	}
	worker_drop_queues(w);
	return NULL;
}

/* One op alone, in the caller's thread (the replay, a checkpoint's
 * rewrites): the op as given, its generation too. */
void worker_run_one(struct worker *w, struct sop *op, int gen_given)
{
	struct sflight *f = &w->fl[0];
	struct span sp = sop_span(op);

	worker_drain(w);
	if (op->kind != SOP_FSYNC)
		model_acquire(&w->s->tg[op->ti].m, &sp, 1, NULL);
	f->op = *op;
	f->used = 1;
	f->ranged = op->kind != SOP_FSYNC;
	f->slot = take_slot(w, op);
	f->op.slot = f->slot ? (int)(f->slot - w->slots) : -1;
	f->gen_given = gen_given;
	if (!exec_start(w, f))
		exec_finish(w, f);
	*op = f->op;
}
