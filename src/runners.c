/* The three kinds of case, each through its pipeline: user IO (set up,
 * IO, checks, tear down), the kernel's own IO into a target's file, a
 * regression. Then known kernel failures are marked. */
#include "runners.h"
#include "case.h"
#include "case_observe.h"
#include "registry.h"

#include <stdio.h>
#include <string.h>

static void run_io_case(struct bed *bed, const struct tcase *tc, struct result *res)
{
	struct case_ctx c = { .bed = bed, .tc = tc, .res = res };

	if (case_setup(&c) == 0 && case_io(&c) == 0)
		case_check(&c);
	case_teardown(&c);
}

/* The kernel's own IO into a file of the target: no user memory is
 * involved, no pins may be taken. */
static void run_kernel_case(struct bed *bed, const struct tcase *tc, struct result *res)
{
	struct kio_out out = { .diag = &res->diag };
	struct target *t;
	struct pin_snap s0;
	char why[ERRLEN] = "";
	enum setup_state st = bed_target(bed, tc->ti, &t);
	int ret;

	if (st != SETUP_READY)
		return not_run(res, st, t->why);
	if (case_observe_begin(bed, why) < 0 || pin_read(bed->vs, &s0, why) < 0)
		return not_run(res, SETUP_BROKEN, why);
	kmsg_mark(&bed->kmsg);
	ret = tc->k->run(t, &out, why);
	if (ret == 2 || ret < 0 || pins_close(bed, &s0, res, why) < 0) {
		case_observe_drop(bed);
		return not_run(res, ret == 2 ? SETUP_SKIP : SETUP_BROKEN, why);
	}
	case_observe_end(bed, &(struct obs_want){
		.path = tc->k->at == AT_ENTRY ? t->found.path : PATH_COUNT, .at = tc->k->at, .fd = -1,
		.declared = tc->k->flavour(&bed->prof.running), .transport = ITER_NONE, .did_io = 1 }, res);
	if (tc->k->verify && tc->k->verify(t, &out, why) < 0)
		return not_run(res, SETUP_BROKEN, why);
	if (out.reset)
		target_teardown(t);
	if (out.failed) {
		res->data_ok = 0;
		res->io_errno = out.errnum;
		failed(res, out.failed);
	}
	if (!tc->k->tool && check_pins_taken(PIN_EXPECT_NONE, res->pins, strcmp(tc->k->buf, "kvec") ?
			     "the kernel's own IO (no user buffer)" :
			     "the kernel's own IO from a kernel buffer (ITER_KVEC)", &res->diag))
		failed(res, CHK_PINS);
	check_case_log(bed, res, NULL);
}

/* A regression: it does everything itself; pins must balance. */
static void run_regress_case(struct bed *bed, const struct tcase *tc, struct result *res)
{
	struct regress_ctx x = { .env = &bed->env, .b = tc->b, .v = tc->rv, .seed = res->seed,
				 .diag = &res->diag };
	struct pin_snap s0;
	char why[ERRLEN] = "";
	const char *need;
	int ret;

	if (bed_regression(bed, tc->ri, &need) != SETUP_READY)
		return not_run(res, bed->rprobe[tc->ri], need);
	if (case_observe_begin(bed, why) < 0 || pin_read(bed->vs, &s0, why) < 0)
		return not_run(res, SETUP_BROKEN, why);
	kmsg_mark(&bed->kmsg);
	ret = tc->r->run(&x, why);
	if (ret == 2 || ret < 0) {
		case_observe_drop(bed);
		return not_run(res, ret == 2 ? SETUP_SKIP : SETUP_BROKEN, why);
	}
	case_observe_end(bed, &(struct obs_want){ .path = PATH_COUNT, .at = tc->r->at, .fd = -1,
		.declared = tc->r->flavour(&bed->prof.running), .transport = ITER_NONE, .did_io = 1 }, res);
	if (ret > 0) {
		res->data_ok = 0;
		failed(res, CHK_DATA);
	}
	if (pins_close(bed, &s0, res, why) < 0)
		return not_run(res, SETUP_BROKEN, why);
	check_case_log(bed, res, NULL);
}

/* The known failures declared next to the case's action, kernel IO or
 * regression. */
static const struct known_bug *known_of(const struct tcase *tc)
{
	switch (tc->kind) {
	case CASE_IO:
		return tc->a ? tc->a->known : NULL;
	case CASE_KERNEL:
		return tc->k->known;
	case CASE_REGRESS:
		return tc->r->known;
	}
	return NULL;
}

/* A known kernel failure, never a self-test's, with pins balanced and a
 * clean log: TAP TODO with its reason. */
static void mark_known(struct bed *bed, const struct tcase *tc, struct result *res)
{
	if (res->out != OUT_FAIL || tc->selftest || !res->balanced || !res->kmsg_ok)
		return;
	if (known_bug_match(known_of(tc), &bed->prof, tc->id,
			    tc->t ? bed->targets[tc->ti].found.path : PATH_COUNT, res))
		res->out = OUT_XFAIL;
}

/* The pin counters are machine-wide: everything a case does that may pin
 * (mkfs of a scratch filesystem does direct IO too) runs under the lock
 * another iovbed run takes for its cases. */
void run_case(struct bed *bed, const struct tcase *tc, struct result *res)
{
	double t0 = now_sec(), setup0 = bed->secs_setup;

	result_init(res, mix64(bed->seed ^ hash_str(tc->id)));
	/* Nothing the test bed has buffered may reach its file inside a case:
	 * a fork in the case (exec, acct, the fork action) flushes every
	 * stdio stream, and a --json file on a pinning path (9p from 6.8, a
	 * FUSE direct_io mount) would add the test bed's own pins to the
	 * case's (measured: +1 in acct cases on 6.12 with --json on 9p). */
	fflush(NULL);
	pinlock(bed->pinlock);
	if (tc->kind == CASE_IO)
		run_io_case(bed, tc, res);
	else if (tc->kind == CASE_KERNEL)
		run_kernel_case(bed, tc, res);
	else
		run_regress_case(bed, tc, res);
	pinunlock(bed->pinlock);
	/* a target set up for this case counts as set-up, not as the case */
	res->secs = now_sec() - t0 - (bed->secs_setup - setup0);
	mark_known(bed, tc, res);
}
