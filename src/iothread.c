/* The IO of a case runs in a thread of its own, so the runner can hold it,
 * act meanwhile, and report it stuck with the kernel stack of its task. */
#include "case.h"
#include "scratch.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define UNSTICK_WAIT_S 10

struct io_thread {
	const struct engine_ops *e;
	struct io_req *rq;
	ssize_t n;
	int error;
	volatile pid_t tid;
	pthread_t th;
};

static void *io_thread_main(void *arg)
{
	struct io_thread *it = arg;

	it->tid = gettid();
	it->n = it->e->run(it->rq);
	it->error = it->n < 0 ? errno : 0;
	return NULL;
}

struct io_thread *io_thread_start(struct case_ctx *c, char *err)
{
	struct io_thread *it = calloc(1, sizeof(*it));

	if (!it) {
		errf(err, "calloc");
		return NULL;
	}
	it->e = c->tc->e;
	it->rq = &c->rq;
	it->n = -1;
	if (pthread_create(&it->th, NULL, io_thread_main, it)) {
		errf(err, "pthread_create");
		free(it);
		return NULL;
	}
	return it;
}

pid_t io_thread_tid(const struct io_thread *it)
{
	while (!it->tid)
		sleep_ms(1);
	return it->tid;
}

/* Join until deadline: 0 joined, -1 deadline passed, 1 a signal came
 * (watched only while a request is held: the run must cut it off). */
static int join_until(pthread_t th, double deadline, int watch_signal)
{
	struct timespec ts;
	double now, until;

	for (;;) {
		now = now_sec();
		if (now >= deadline)
			return -1;
		until = deadline < now + 0.2 ? deadline : now + 0.2;
		clock_gettime(CLOCK_REALTIME, &ts);
		until = ts.tv_sec + ts.tv_nsec / 1e9 + (until - now);
		ts.tv_sec = (time_t)until;
		ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
		if (pthread_timedjoin_np(th, NULL, &ts) == 0)
			return 0;
		if (watch_signal && stop_signal)
			return 1;
	}
}

/* A stuck IO: where its task sleeps and what the target is doing. */
static void report_stuck(struct case_ctx *c, struct io_thread *it)
{
	char path[64];

	fail(c->res, CHK_TIMEOUT, "timeout: the %s of %zu bytes at file offset %lld did not "
	     "complete within %u s (--timeout)\n", dir_name(c->tc->dir), it->rq->len,
	     (long long)it->rq->off, c->bed->opt->timeout);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", (int)getpid(), (int)it->tid);
	sb_add_file(&c->res->diag, "stuck task wchan", path);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", (int)getpid(), (int)it->tid);
	sb_add_file(&c->res->diag, "stuck task stack", path);
	if (c->t->ops->describe)
		c->t->ops->describe(c->t, &c->res->diag);
}

static void io_ended(struct case_ctx *c, struct io_thread *it)
{
	c->n = it->n;
	c->res->io_errno = it->error;
	free(it);
}

/* A stuck IO is reported and cut off (the target is set up anew for the
 * next case); so is a held request when the run is interrupted. -1: the
 * IO stays stuck even so, and the run cannot go on. */
int io_thread_join(struct case_ctx *c, struct io_thread *it, char *err)
{
	const struct target_ops *ops = c->t->ops;
	int held = c->tc->a && !(c->tc->a->flags & (ACT_AFTER | ACT_UNHELD)) &&
		   (ops->cut || c->uffd_armed);
	int r = join_until(it->th, now_sec() + c->bed->opt->timeout, held);

	if (r == 0) {
		io_ended(c, it);
		return 0;
	}
	if (r > 0)
		c->res->interrupted = 1;
	else
		report_stuck(c, it);
	if (c->uffd_armed) {	/* its fault resolved, the IO goes on */
		uffd_hold_end(&c->uffd);
		c->uffd_armed = 0;
		if (join_until(it->th, now_sec() + UNSTICK_WAIT_S, 0) == 0) {
			io_ended(c, it);
			return 0;
		}
	}
	c->res->cut = 1;
	if (ops->cut && ops->cut(c->t, "abort", err) == 0 &&
	    join_until(it->th, now_sec() + UNSTICK_WAIT_S, 0) == 0) {
		sb_addf(&c->res->diag, "%s: the IO ended (%zd, %s) once %s was cut off\n",
			r > 0 ? "interrupted" : "timeout", it->n,
			it->n < 0 ? strerror(it->error) : "no error", ops->name);
		io_ended(c, it);
		return 0;
	}
	c->bed->wedged = 1;
	errno = 0;
	errf(err, "the IO of %s stayed stuck %u s after its %s%s; the run stops", c->tc->id,
	     UNSTICK_WAIT_S, r > 0 ? "interruption" : "timeout",
	     ops->cut ? " and the target was cut off" : "");
	return -1;	/* the thread stays in the kernel: its state is left to it */
}
