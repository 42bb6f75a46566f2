/* A chaos op: direct, buffered and mmap writes and a direct read of one
 * range, at once, from four threads (xfstests generic/095, 647, 761 mix
 * them so). What the range holds after is not judged: the model calls it
 * unknown, and the next checkpoint rewrites and verifies it. What is
 * judged: nothing crashes, hangs, leaves a pin or a kernel log line, and
 * no other range changes. */
#include "stress.h"
#include "pattern.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct chaos_job {
	int fd;			/* -1: through the mapping */
	char *map;
	char *buf;
	size_t len;
	off_t off;
	enum dir dir;
};

static void *chaos_job_run(void *arg)
{
	struct chaos_job *j = arg;

	if (j->fd < 0)
		memcpy(j->map + j->off, j->buf, j->len);
	else if (j->dir == DIR_WRITE)
		(void)!pwrite(j->fd, j->buf, j->len, j->off);
	else
		(void)!pread(j->fd, j->buf, j->len, j->off);
	return NULL;
}

void exec_chaos(struct worker *w, struct sflight *f)
{
	struct starget *t = &w->s->tg[f->op.ti];
	size_t len = f->op.len, span = w->s->max_len;
	char *a = w->chaos_buf, *b = a + span, *c = b + span;
	struct chaos_job jobs[4] = {
		{ t->fd, NULL, a, len, f->op.off, DIR_WRITE },	/* direct */
		{ t->bfd, NULL, b, len, f->op.off, DIR_WRITE },	/* buffered */
		{ -1, t->map, b, len, f->op.off, DIR_WRITE },	/* mmap */
		{ t->fd, NULL, c, len, f->op.off, DIR_READ },	/* direct read */
	};
	pthread_t th[3];
	int started[3] = { 0 }, i, njobs = t->map ? 3 : 2;

	pattern_fill(a, len, model_seed(&t->m, model_new_gen(&t->m)), f->op.off);
	pattern_fill(b, len, model_seed(&t->m, model_new_gen(&t->m)), f->op.off);
	for (i = 0; i < njobs; i++)
		started[i] = !pthread_create(&th[i], NULL, chaos_job_run, &jobs[i]);
	chaos_job_run(&jobs[3]);
	for (i = 0; i < njobs; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			chaos_job_run(&jobs[i]);
	}
	model_set(&t->m, f->op.off, len, GEN_UNKNOWN);
	atomic_store(&t->chaos, 1);
	f->op.res = len;
	f->op.err = 0;
}
