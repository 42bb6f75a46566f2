/* A user-IO case's set-up: target, engine, file offset, buffer, descriptor. */
#include "case.h"
#include "pattern.h"
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUARD_KEY 0x6775617264ULL	/* "guard" */
#define POISON_KEY 0x706f69736f6eULL	/* "poison" */

/* The target, the engine and what the action needs of the machine. */
static int case_ready(struct case_ctx *c)
{
	const struct tcase *tc = c->tc;
	const char *why;
	enum setup_state st = bed_target(c->bed, tc->ti, &c->t);

	if (st != SETUP_READY) {
		not_run(c->res, st, c->t->why);
		return -1;
	}
	st = bed_engine(c->bed, tc->ei, &why);
	if (st != SETUP_READY) {
		not_run(c->res, st, why);
		return -1;
	}
	if (tc->a && (tc->a->flags & ACT_SWAP)) {
		char sw[ERRLEN];

		st = env_swap(&c->bed->env, sw);
		if (st != SETUP_READY) {
			not_run(c->res, st, sw);
			return -1;
		}
	}
	if (tc->a && (tc->a->flags & ACT_NUMA) && numa_nodes() < 2) {
		not_run(c->res, SETUP_SKIP, "one NUMA node: move_pages has no other node to move "
			"the pages to");
		return -1;
	}
	return 0;
}

/* Where in the target's region the IO goes: from the case's seed. */
static void case_offset(struct case_ctx *c)
{
	const struct target *t = c->t;
	off_t span = t->region - (off_t)c->tc->v.size;

	c->res->file_off = (c->tc->dir == DIR_READ ? t->read_base : t->write_base) +
		(off_t)(c->res->seed % (uint64_t)(span / t->ops->align + 1)) * t->ops->align;
}

/* The buffer with its guards; a read's destination holds poison, a
 * write's source the pattern; file pages clean, so only the read can
 * dirty them. */
static int case_buffer(struct case_ctx *c)
{
	const struct tcase *tc = c->tc;
	size_t len = tc->v.size;
	char why[ERRLEN];
	enum setup_state st = buffer_get(&c->b, tc->b, &tc->v, &c->bed->env, why);

	if (st != SETUP_READY)
		goto out;
	c->io_in_file = c->b.io - (char *)c->b.map;
	guard_fill(c->b.io - GUARD_LEN, GUARD_LEN, c->gseed);
	guard_fill(c->b.io + len, GUARD_LEN, c->gseed);
	pattern_fill(c->b.io, len, tc->dir == DIR_READ ? c->res->seed ^ POISON_KEY : c->res->seed,
		     c->res->file_off);
	if (c->b.ops->confirm && (st = c->b.ops->confirm(&c->b, why)) != SETUP_READY)
		goto out;
	if (tc->dir == DIR_READ && c->b.ops->backing == BACKING_FILE &&
	    msync(c->b.map, c->b.maplen, MS_SYNC) < 0) {
		errf(why, "msync MS_SYNC of the buffer");
		st = SETUP_BROKEN;
		goto out;
	}
	return 0;
out:
	not_run(c->res, st, why);
	return -1;
}

static int case_open(struct case_ctx *c)
{
	const struct target *t = c->t;
	char why[ERRLEN];

	c->fd = open(t->path, O_RDWR | (t->ops->no_odirect ? 0 : O_DIRECT) | O_CLOEXEC);
	if (c->fd < 0) {
		errf(why, "open %s%s", t->path, t->ops->no_odirect ? "" : " O_DIRECT");
		not_run(c->res, SETUP_BROKEN, why);
		return -1;
	}
	memset(&c->rq, 0, sizeof(c->rq));
	c->rq = (struct io_req){ .fd = c->fd, .path = t->path, .dir = c->tc->dir, .buf = c->b.io,
				 .len = c->tc->v.size, .off = c->res->file_off,
				 .align = t->ops->align, .vs = c->bed->vs };
	if (t->ops->io_expect &&
	    t->ops->io_expect(c->t, &(struct io_plan){ c->tc->dir, c->res->file_off,
						       c->tc->v.size, c->res->seed }, why) < 0) {
		not_run(c->res, SETUP_BROKEN, why);
		return -1;
	}
	return 0;
}

/* How the IO must end: the action's promise, for the path the IO takes. */
static void case_ending(struct case_ctx *c)
{
	const struct action_ops *a = c->tc->a;
	const struct target_ops *t = c->t->ops;

	c->ending = (struct io_ending){ .end = END_FULL };
	if (!a)
		return;
	c->ending = (struct io_ending){ .end = a->end, .errnum = a->errnum };
	if (c->copies && a->copied && c->tc->dir == DIR_READ)
		c->ending = *a->copied;
	if (c->tc->hold != HOLD_TARGET && a->uffd_end && c->tc->dir == DIR_READ)
		c->ending = *a->uffd_end;
	if (c->ending.end != END_SHORT)
		return;
	if (c->tc->dir == DIR_READ && t->short_read_retried)
		c->ending = (struct io_ending){ .end = END_FULL, .why = t->short_read_retried };
	else if (c->tc->dir == DIR_WRITE && t->short_write_eio)
		c->ending = (struct io_ending){ .end = END_ERROR, .errnum = EIO, .why = t->short_write_eio };
	else if (c->tc->dir == DIR_WRITE && t->short_write_async_eio && (c->tc->e->flags & ENG_ASYNC))
		c->ending = (struct io_ending){ .end = END_ERROR, .errnum = EIO,
						 .why = t->short_write_async_eio };
}

int case_setup(struct case_ctx *c)
{
	c->fd = -1;
	c->b.fd = -1;
	c->gseed = c->res->seed ^ GUARD_KEY;
	c->in = (struct inflight){ .b = &c->b, .dir = c->tc->dir, .diag = &c->res->diag,
				   .poison_seed = c->res->seed ^ POISON_KEY,
				   .region_seed = c->bed->seed, .file_gone = -1,
				   .write_seed = c->res->seed };
	if (case_ready(c) < 0)
		return -1;
	c->in.t = c->t;
	c->pins_due = case_pins_due(c, &c->copies, c->pins_why, sizeof(c->pins_why));
	c->res->copied = c->copies;
	case_ending(c);
	case_offset(c);
	c->in.file_off = c->res->file_off;
	if (case_buffer(c) < 0 || case_open(c) < 0)
		return -1;
	return 0;
}

/* The reshaped file replaced by a new one, or where the target's file is
 * not its own to replace, the target set up anew. */
static void renew_file(struct case_ctx *c)
{
	int r = target_renew(c->t, c->bed->seed);

	if (r < 0)
		sb_addf(&c->res->diag, "teardown: %s; the target is set up anew\n", c->t->why);
	if (r)
		c->res->cut = 1;
}

void case_teardown(struct case_ctx *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->tc->a && c->tc->a->finish && c->in.priv)	/* an action cut short */
		c->tc->a->finish(&c->in);
	if (c->uffd_armed)
		uffd_hold_end(&c->uffd);
	buffer_put(&c->b);
	/* a cut-off target is set up anew for the next case; a file the IO
	 * reshaped is made anew; a file an action changed is set back */
	if (!c->t)
		return;
	if (!c->res->cut && (c->in.reshaped || (c->tc->e->flags & ENG_RESHAPES)))
		renew_file(c);
	else if (c->in.file_changed && !c->res->cut && target_refill(c->t, c->bed->seed) < 0) {
		sb_addf(&c->res->diag, "teardown: %s; the target is set up anew\n", c->t->why);
		c->res->cut = 1;
	}
	if (c->res->cut)
		target_teardown(c->t);
}

int case_ended_badly(const struct case_ctx *c)
{
	return c->ending.end == END_ERROR || c->res->cut;
}
