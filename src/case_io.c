/* A user-IO case's IO: the pin window around it, and for an in-flight
 * action the hold, the pins held meanwhile, the step, the answer. */
#include "case.h"
#include "case_observe.h"
#include "checks.h"
#include "taskstate.h"
#include "uffd_hold.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#define SETTLE_MS 1000		/* re-read an imbalance this long before calling it a leak */
#define HOLD_WAIT_MS 10000	/* the IO must reach the target's hold by then */
#define ASLEEP_WAIT_MS 2000	/* ... and its caller be asleep in the kernel by then */

static int held_in_flight(const struct tcase *tc)
{
	return tc->a && !(tc->a->flags & (ACT_AFTER | ACT_UNHELD));
}

/* Who holds the case's IO: its target's server, or userfaultfd on the
 * buffer (any path: GUP blocks on the fault of the buffer's second half). */
static int by_uffd(const struct case_ctx *c)
{
	return c->tc->hold != HOLD_TARGET;
}

static int holder_held(struct case_ctx *c, struct strbuf *what, char *err)
{
	return by_uffd(c) ? uffd_hold_held(&c->uffd, what, err) : c->t->ops->held(c->t, what, err);
}

static int holder_release(struct case_ctx *c, const char *how, char *err)
{
	return by_uffd(c) ? uffd_hold_release(&c->uffd, err) : c->t->ops->release(c->t, how, err);
}

/* Wait until the target holds the request: 1 held, 0 never (a failure of
 * the case), -1 the test bed could not tell (err). */
static int wait_held(struct case_ctx *c, char *err)
{
	struct strbuf what = { 0 };
	unsigned waited = 0;
	int held;

	while ((held = holder_held(c, &what, err)) == 0 && waited < HOLD_WAIT_MS) {
		sleep_ms(2);
		waited += 2;
	}
	if (held == 0)
		fail(c->res, CHK_REACHED, "inflight: the %s at file offset %lld never reached %s "
		     "within %u ms\n", dir_name(c->tc->dir), (long long)c->rq.off, c->t->ops->name,
		     HOLD_WAIT_MS);
	else if (held > 0)
		sb_addf(&c->res->diag, "inflight: held: %s\n", sb_str(&what));
	sb_free(&what);
	return held;
}

/* A hold holds the caller: the IO's task asleep in the kernel inside its
 * system call; else the case did not test what it says (not reached).
 * 1 held, 0 not, -1 its state could not be read (err). */
static int caller_held(struct case_ctx *c, struct io_thread *it, char *err)
{
	struct task_state ts;
	unsigned waited = 0;
	char why[128];

	for (;;) {
		if (task_state_read(io_thread_tid(it), &ts, err) < 0)
			return -1;
		if (task_asleep_in_call(&ts, why, sizeof(why)))
			break;
		if (waited >= ASLEEP_WAIT_MS) {
			fail(c->res, CHK_REACHED, "inflight: the IO is held, but its caller is not "
			     "held in the kernel after %u ms: %s\n", ASLEEP_WAIT_MS, why);
			return 0;
		}
		sleep_ms(5);
		waited += 5;
	}
	sb_addf(&c->res->diag, "inflight: the caller is held: %s\n", why);
	return 1;
}

/* While held, the pages are pinned on a kernel whose path pins. */
static int pins_while_held(struct case_ctx *c, const struct pin_snap *before, char *err)
{
	struct pin_snap during;
	struct result *res = c->res;

	if (pin_read(c->bed->vs, &during, err) < 0)
		return -1;
	res->held = pin_delta(before, &during);
	if (by_uffd(c) && c->t->ops->fault_drops_pins) {
		sb_addf(&res->diag, "inflight: pins while held not due: %s (acquired %+lld released "
			"%+lld)\n", c->t->ops->fault_drops_pins, res->held.acquired,
			res->held.released);
		return 0;
	}
	if (!(c->tc->e->flags & ENG_REGISTERS) && c->pins_due == PIN_EXPECT_PINS &&
	    res->held.acquired - res->held.released <= 0)
		fail(res, CHK_HELD, "pins: none outstanding while the %s was held: acquired %+lld "
		     "released %+lld\n", dir_name(c->tc->dir), res->held.acquired,
		     res->held.released);
	return 0;
}

/* Hold, wait for it, act, answer. -1 (err): the test bed could not do
 * its part; the request is let go as if never held. */
static int act_on_held(struct case_ctx *c, struct io_thread *it, const struct pin_snap *before,
		       char *err)
{
	int held = wait_held(c, err), ret = -1;

	if (held < 0)
		goto answer;
	if (held > 0)
		held = caller_held(c, it, err);
	if (held <= 0 || pins_while_held(c, before, err) < 0)
		goto answer;
	if (c->tc->a->step(&c->in, err) < 0)
		goto answer;
	ret = 0;
answer:
	c->res->cut |= c->in.cut;
	if (ret < 0 || held == 0 || !c->in.no_answer) {
		char aerr[ERRLEN];

		if (holder_release(c, ret < 0 ? NULL : c->in.answer, aerr) < 0 && ret == 0) {
			snprintf(err, ERRLEN, "%s", aerr);
			ret = -1;
		}
	}
	return held == 0 ? 0 : ret;
}

/* userfaultfd on the buffer's second half; where GUP cannot go on past
 * it once the action ran (END_FAULT), that is the fault. */
static int uffd_hold(struct case_ctx *c, char *err)
{
	if (uffd_hold_arm(&c->uffd, c->b.io, c->b.len, c->tc->hold == HOLD_UFFD_WP, err) < 0) {
		c->in.skip = c->uffd.skip;
		uffd_hold_end(&c->uffd);
		return -1;
	}
	c->uffd_armed = 1;
	c->in.held_from = c->tc->hold == HOLD_UFFD ? c->uffd.lo : NULL;	/* dropped pages */
	c->in.fault_at = c->in.fault_end = c->uffd.lo;
	return 0;
}

/* Ask the target to hold the case's IO: its range, and the pattern its
 * data has (a read's: the read region's; a write's: the case's). A read
 * the kernel may copy through the page cache (btrfs's fallback) must
 * reach the device to be held: the range leaves the cache first. */
static int hold(struct case_ctx *c, char *err)
{
	struct io_plan p = { .dir = c->tc->dir, .off = c->rq.off, .len = c->rq.len,
			     .seed = c->tc->dir == DIR_READ ? c->bed->seed : c->res->seed };

	if (by_uffd(c))
		return uffd_hold(c, err);
	if (c->tc->dir == DIR_READ)
		posix_fadvise(c->fd, c->rq.off, c->rq.len, POSIX_FADV_DONTNEED);
	return c->t->ops->hold(c->t, &p, err);
}

/* The IO in a thread; held and acted on if the case says so. */
static int io_in_thread(struct case_ctx *c, char *err)
{
	struct pin_snap before;
	struct io_thread *it;
	int ret = 0;
	char jerr[ERRLEN];

	if (held_in_flight(c->tc) && (hold(c, err) < 0 || pin_read(c->bed->vs, &before, err) < 0))
		return -1;
	it = io_thread_start(c, err);
	if (!it)
		return -1;
	if (held_in_flight(c->tc))
		ret = act_on_held(c, it, &before, err);
	if (io_thread_join(c, it, jerr) < 0) {
		snprintf(err, ERRLEN, "%s", jerr);
		return -1;
	}
	return ret;
}

/* What the observer judges the window on: the entry of the target's
 * path on the case's own file, the transport's flavour if it has one. */
static void observe_end(struct case_ctx *c)
{
	const struct kver *v = &c->bed->prof.running;
	const struct target_ops *t = c->t->ops;
	struct obs_want w = {
		.path = c->t->found.path, .fd = c->fd,
		.declared = case_flavour(c->tc, v),
		.transport = t->transport ? t->transport(v) : ITER_NONE,
		/* a fault in the buffer stops a pipe engine before its file's IO */
		.did_io = !c->rq.refused && !(c->ending.end == END_FAULT && c->n < 0 &&
					      (c->tc->e->flags & ENG_KERNEL_PAGES)),
		.misdeclared = c->in.misdeclared,
		.may_remap = !!(c->tc->e->flags & ENG_MAY_REMAP),
		.own_transport = !(c->tc->e->flags & (ENG_KERNEL_PAGES | ENG_NEEDS_PEER)),
	};

	case_observe_end(c->bed, &w, c->res);
}

static int io_window(struct case_ctx *c, char *err)
{
	const struct vmstat_src *vs = c->bed->vs;

	if (case_observe_begin(c->bed, err) < 0 || pin_read(vs, &c->s0, err) < 0)
		return -1;
	kmsg_mark(&c->bed->kmsg);
	if (io_in_thread(c, err) < 0)
		return -1;
	if (pin_read(vs, &c->s3, err) < 0 || pin_settle(vs, &c->s0, &c->s3, SETTLE_MS, err) < 0)
		return -1;
	c->in.n = c->n;
	if (c->tc->a && (c->tc->a->flags & ACT_AFTER) && c->tc->a->step(&c->in, err) < 0)
		return -1;
	observe_end(c);
	return 0;
}

/* The window holds only the IO under test: the engine prepares before it
 * and finishes after it. */
int case_io(struct case_ctx *c)
{
	const struct engine_ops *e = c->tc->e;
	char err[ERRLEN] = "";
	int ret = -1;

	if (c->tc->a && c->tc->a->prepare && c->tc->a->prepare(&c->in, err) < 0)
		ret = -1;
	else if (e->prepare && e->prepare(&c->rq) < 0)
		snprintf(err, sizeof(err), "%s", c->rq.err);
	else
		ret = io_window(c, err);
	if (e->finish)
		e->finish(&c->rq, ret < 0 ? -1 : c->n);
	if (ret == 0 && c->rq.bed_error) {
		snprintf(err, sizeof(err), "%s", c->rq.err);
		ret = -1;
	}
	if (ret < 0) {
		case_observe_drop(c->bed);
		not_run(c->res, c->in.skip ? SETUP_SKIP : SETUP_BROKEN, err);
	}
	return ret;
}
