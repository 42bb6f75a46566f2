/* A worker's queues: the IOs it keeps in flight through the engines that
 * queue (io_uring, libaio), each queue opened on first use, reaped one IO
 * at a time, drained before anything that must not overlap them, and
 * dropped (with their registrations) at checkpoints. */
#include "stress.h"
#include "registry.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>

unsigned worker_queued(const struct worker *w)
{
	unsigned n = 0;
	size_t e;

	for (e = 0; e < engine_count; e++)
		n += w->queues[e].priv ? w->queues[e].inflight : 0;
	return n;
}

/* Wait for one queued IO to end and judge it. */
void worker_reap_one(struct worker *w)
{
	struct io_queue *q = NULL;
	struct sflight *f;
	struct io_req *rq;
	char err[ERRLEN];
	ssize_t res;
	size_t e;

	for (e = 0; e < engine_count && !q; e++)
		if (w->queues[e].priv && w->queues[e].inflight)
			q = &w->queues[e];
	if (!q)
		return;
	atomic_store(&w->op_start, now_sec());
	errno = 0;
	rq = q->e->queue->reap(q, &res, err);
	atomic_store(&w->op_start, 0);
	if (!rq) {
		stress_broke(w->s, err);
		q->inflight = 0;	/* cannot be waited for: the run stops */
		return;
	}
	f = (struct sflight *)((char *)rq - offsetof(struct sflight, rq));
	f->op.res = res;
	f->op.err = res < 0 ? (errno ? errno : EIO) : 0;
	exec_finish(w, f);
}

void worker_drain(struct worker *w)
{
	while (worker_queued(w))
		worker_reap_one(w);
}

void worker_drop_queues(struct worker *w)
{
	size_t e;

	worker_drain(w);
	for (e = 0; e < engine_count; e++)
		if (w->queues[e].priv)
			engine_table[e]->queue->close(&w->queues[e]);
}

void worker_close(struct worker *w)
{
	if (w->queues)
		worker_drop_queues(w);
}

static unsigned slot_hits(const struct worker *w)
{
	unsigned hits = 0;
	size_t i;

	for (i = 0; i < w->nslots; i++)
		hits += atomic_load(&w->slots[i].unmapped) + atomic_load(&w->slots[i].lost);
	return hits;
}

/* A registering engine's queue registers every buffer of the worker that
 * may be pinned long-term, with no disturber holding one meanwhile. */
static int queue_open(struct worker *w, struct io_queue *q, const struct engine_ops *e, char *err)
{
	size_t i;
	int r;

	*q = (struct io_queue){ .e = e, .depth = w->s->depth };
	if (!(e->flags & ENG_REGISTERS))
		return e->queue->open(q, err);
	q->fixed = w->fixed;
	q->nfixed = w->nfixed;
	for (i = 0; i < w->nslots; i++)
		slot_cpu_enter(&w->slots[i]);
	w->fixed_hits = slot_hits(w);
	r = e->queue->open(q, err);
	for (i = 0; i < w->nslots; i++)
		slot_cpu_leave(&w->slots[i]);
	return r;
}

/* Submit to the engine's queue (opened on first use): 0 in flight. A
 * registering engine's queue is opened again after a disturber unmapped
 * or dropped a buffer: the registration still holds the old pages. */
int queue_submit(struct worker *w, struct sflight *f, const struct engine_ops *e)
{
	struct io_queue *q = &w->queues[f->op.ei];
	char err[ERRLEN];

	if ((e->flags & ENG_REGISTERS) && q->priv && slot_hits(w) != w->fixed_hits) {
		worker_drain(w);
		e->queue->close(q);
	}
	if (!q->priv && queue_open(w, q, e, err) < 0) {
		stress_broke(w->s, err);
		f->bed_error = 1;
		return -1;
	}
	if (e->queue->submit(q, &f->rq) == 0)
		return 0;
	f->op.res = -1;
	f->op.err = errno ? errno : EIO;
	return -1;
}

