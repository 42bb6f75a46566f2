/* abort, kill: the target's server is cut off while a request is held
 * (the FUSE connection aborted through fusectl, or the daemon killed):
 * the IO must fail, every pin be released, and the target is set up anew
 * for the next case. */
#include "action.h"

#define RW ((1u << DIR_READ) | (1u << DIR_WRITE))

static int cut(struct inflight *in, const char *how, char *err)
{
	in->no_answer = 1;
	in->cut = 1;
	return in->t->ops->cut(in->t, how, err);
}

static int abort_step(struct inflight *in, char *err)
{
	return cut(in, "abort", err);
}

static int kill_step(struct inflight *in, char *err)
{
	return cut(in, "kill", err);
}

const struct action_ops action_abort = {
	.name = "abort",
	.desc = "abort the connection while held: the IO fails, pins balanced",
	.dirs = RW,
	.backings = 1u << BACKING_ANON,
	.flags = ACT_CUTS | ACT_INJECTS | ACT_ONE_BUFFER,
	.end = END_ERROR,
	.step = abort_step,
	.verdict = IV_ERROR,
};

const struct action_ops action_kill = {
	.name = "kill",
	.desc = "SIGKILL the daemon while held: the IO fails, pins balanced",
	.dirs = RW,
	.backings = 1u << BACKING_ANON,
	.flags = ACT_CUTS | ACT_INJECTS | ACT_ONE_BUFFER,
	.end = END_ERROR,
	.step = kill_step,
	.verdict = IV_ERROR,
};
