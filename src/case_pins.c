/* The pin checks, against the path found under the target and the
 * profile; and the kernel log, which every kind of case checks. */
#include "case.h"
#include "checks.h"
#include "kmsg.h"

#include <stdio.h>

#define SETTLE_MS 1000

/* What the pins of a user-buffer case should be on this target, and why
 * (into what): from the path found under the target and the profile. */
static enum pin_expect pin_expectation(const struct case_ctx *c, char *what, size_t len)
{
	const struct target *t = c->t;
	enum path_class path = t->found.path;
	int pins = profile_path_pins(&c->bed->prof, path);
	const char *note = NULL;

	if (c->tc->e->flags & ENG_KERNEL_PAGES) {
		snprintf(what, len, "%s: the direct IO sees kernel pages, not the user buffer",
			 c->tc->e->name);
		return PIN_EXPECT_NONE;
	}
	if (path == PATH_UNKNOWN) {
		snprintf(what, len, "unknown path (%s): pins measured, no expectation", t->found.fs);
		return PIN_EXPECT_ANY;
	}
	snprintf(what, len, "%s direct IO %s on %s (since %s)", path_class_name(path),
		 pins ? "pins" : "does not pin", c->bed->prof.name, profile_path_since(path));
	if (pins && t->found.pins_rule) {
		int p = t->found.pins_rule(&c->bed->prof.v, c->tc->dir, c->tc->b, &note);

		if (p >= 0) {
			pins = p;
			snprintf(what, len, "%s", note);
		}
	}
	return pins ? PIN_EXPECT_PINS : PIN_EXPECT_NONE;
}

/* A registering engine pins at registration, holds the pins, and takes
 * none for the IO itself. */
static void registered_pins(struct case_ctx *c)
{
	struct result *res = c->res;

	if (c->rq.refused)
		return;
	res->reg = pin_delta(&c->s0, &c->rq.registered);
	res->io = pin_delta(&c->rq.registered, &c->rq.completed);
	res->pinned = res->reg.acquired > 0;
	if (check_pins_held(res->reg, &res->diag) |
	    check_pins_taken(PIN_EXPECT_NONE, res->io, "IO on a registered buffer", &res->diag))
		failed(res, CHK_PINS);
}

void check_case_pins(struct case_ctx *c)
{
	struct result *res = c->res;
	char what[192];
	enum pin_expect e;

	res->pins = pin_delta(&c->s0, &c->s3);
	res->balanced = !check_pins_balanced(res->pins, &res->diag);
	if (!res->balanced)
		failed(res, CHK_BALANCE);
	if (c->tc->e->flags & ENG_REGISTERS)
		return registered_pins(c);
	res->pinned = res->pins.acquired > 0;
	e = pin_expectation(c, what, sizeof(what));
	if (check_pins_taken(e, res->pins, what, &res->diag))
		failed(res, CHK_PINS);
}

int pins_close(struct bed *bed, const struct pin_snap *s0, struct result *res, char *why)
{
	struct pin_snap s3;

	if (pin_read(bed->vs, &s3, why) < 0 || pin_settle(bed->vs, s0, &s3, SETTLE_MS, why) < 0)
		return -1;
	res->pins = pin_delta(s0, &s3);
	res->pinned = res->pins.acquired > 0;
	res->balanced = !check_pins_balanced(res->pins, &res->diag);
	if (!res->balanced)
		failed(res, CHK_BALANCE);
	return 0;
}

void check_case_log(struct bed *bed, struct result *res)
{
	struct strbuf bad = { 0 };
	char why[ERRLEN];
	int nbad = kmsg_collect(&bed->kmsg, &bad, NULL);

	if (nbad < 0) {
		errf(why, "read /dev/kmsg");
		not_run(res, SETUP_BROKEN, why);
	} else if (check_kmsg(nbad, &bad, &res->diag)) {
		res->kmsg_ok = 0;
		failed(res, CHK_LOG);
	}
	sb_free(&bad);
	switch (kmsg_taint_since_mark(&bed->kmsg, &res->diag, why)) {
	case -1:
		not_run(res, SETUP_BROKEN, why);
		break;
	case 1:
		res->kmsg_ok = 0;
		failed(res, CHK_LOG);
		break;
	}
}
