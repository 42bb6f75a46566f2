/* What every part of a stress run shares: its failure and its broken
 * test bed (either stops it), the counts of its ops, and the lock of a
 * worker buffer against the disturbers. */
#include "stress.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>

void stress_failed(struct stress *s, struct worker *w, const struct sop *op, struct strbuf *diag)
{
	unsigned i, n;

	pthread_mutex_lock(&s->lock);
	if (!s->failed) {
		s->failed = 1;
		s->fail.worker = w && op->worker >= 0 ? w->id : -1;
		s->fail.op = *op;
		sb_addf(&s->fail.diag, "%s", sb_str(diag));
		n = w ? (w->nlast < LAST_OPS ? w->nlast : LAST_OPS) : 0;
		for (i = 0; i < n; i++)	/* oldest first */
			sop_format(s, &w->last[(w->nlast - n + i) % LAST_OPS], s->fail.last[i],
				   OPLINE);
		s->fail.nlast = n;
	}
	pthread_mutex_unlock(&s->lock);
	atomic_store(&s->stop, 1);
}

void stress_broke(struct stress *s, const char *why)
{
	pthread_mutex_lock(&s->lock);
	if (!s->broken) {
		s->broken = 1;
		snprintf(s->broken_why, sizeof(s->broken_why), "%s", why);
	}
	pthread_mutex_unlock(&s->lock);
	atomic_store(&s->stop, 1);
}

/* The worker touches the slot's memory: wait while a disturber holds it. */
void slot_cpu_enter(struct sslot *sl)
{
	for (;;) {
		unsigned st = atomic_load(&sl->state);

		if (!(st & SLOT_LENT) && atomic_compare_exchange_weak(&sl->state, &st, st | SLOT_CPU))
			return;
		sched_yield();
	}
}

void slot_cpu_leave(struct sslot *sl)
{
	atomic_fetch_and(&sl->state, ~(unsigned)SLOT_CPU);
}

static void tally_one(struct stally *t, const struct sop *op, int failed)
{
	int k;

	t->ops++;
	t->failures += failed;
	if (op->res > 0)
		t->bytes += op->res;
	if (op->res >= 0 || !op->err)
		return;
	for (k = 0; k < ERRNO_SLOTS - 1 && t->errnos[k] && t->errnos[k] != op->err; k++)
		;
	t->errnos[k] = t->errnos[k] ? t->errnos[k] : op->err;
	t->errs[k]++;
}

/* Under s->lock. */
void tally_op(struct stress *s, const struct sop *op, int failed)
{
	tally_one(&s->kinds[op->kind], op, failed);
	tally_one(&s->tg[op->ti].tally, op, failed);
}
