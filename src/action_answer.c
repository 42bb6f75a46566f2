/* eio, short, delay, stuck: how the target answers the held request: an
 * error (EIO), 4096 bytes short, 300 ms late, or never (the self-test:
 * the case timeout must report it with the stacks of the waiting task and
 * of the server). The caller must see exactly that. */
#include "action.h"

#include <errno.h>
#include <stdio.h>

#define R (1u << DIR_READ)
#define RW ((1u << DIR_READ) | (1u << DIR_WRITE))
#define ANON (1u << BACKING_ANON)
#define ALLB ((1u << BACKING_ANON) | (1u << BACKING_MEMFD) | (1u << BACKING_FILE))

static int eio_step(struct inflight *in, char *err)
{
	(void)err;
	snprintf(in->answer_buf, sizeof(in->answer_buf), "fail %d", EIO);
	in->answer = in->answer_buf;
	return 0;
}

static int short_step(struct inflight *in, char *err)
{
	(void)err;
	snprintf(in->answer_buf, sizeof(in->answer_buf), "short %d", SHORT_BY);
	in->answer = in->answer_buf;
	return 0;
}

static int delay_step(struct inflight *in, char *err)
{
	(void)in;
	(void)err;
	sleep_ms(DELAY_MS);
	return 0;
}

static int stuck_step(struct inflight *in, char *err)
{
	(void)err;
	in->no_answer = 1;
	return 0;
}

/* A read the kernel copies through the page cache: a failed readahead
 * folio is read once more on its own (filemap_update_page ->
 * filemap_read_folio), after the failed request was answered. */
static const struct io_ending eio_copied = {
	.end = END_FULL, .why = "the kernel reads this through the page cache (the path's fallback), which "
	"reads a folio whose readahead failed once more: the caller gets the data"
};

const struct action_ops action_eio = {
	.name = "eio",
	.desc = "the request is answered with EIO: the caller sees EIO",
	.dirs = RW,
	.backings = ALLB,
	.flags = ACT_INJECTS,
	.end = END_ERROR,
	.errnum = EIO,
	.copied = &eio_copied,
	.step = eio_step,
	.verdict = IV_ERROR,
};

const struct action_ops action_short = {
	.name = "short",
	.desc = "the request is answered 4096 bytes short: the caller sees what the path makes of it",
	.dirs = RW,
	.backings = ALLB,
	.flags = ACT_INJECTS,
	.end = END_SHORT,
	.step = short_step,
	.verdict = IV_ERROR,
};

const struct action_ops action_delay = {
	.name = "delay",
	.desc = "the answer is delayed 300 ms: the IO completes normally",
	.dirs = RW,
	.backings = ALLB,
	.flags = ACT_UFFD | ACT_UFFD_WP,
	.step = delay_step,
};

const struct action_ops action_stuck = {
	.name = "stuck",
	.desc = "self-test: the request is never answered: the case timeout must report it",
	.dirs = R,
	.backings = ANON,
	.flags = ACT_SELFTEST | ACT_UFFD,
	.step = stuck_step,
};
