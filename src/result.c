/* A case's result: outcome, the checks that failed, the diagnostics. */
#include "result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void result_init(struct result *res, uint64_t seed)
{
	memset(res, 0, sizeof(*res));
	res->out = OUT_PASS;
	res->seed = seed;
	res->dirtied = -1;
	res->data_ok = 1;
	res->kmsg_ok = 1;
	res->balanced = 1;
	res->obs.declared = ITER_NONE;
	res->pins_lo = res->pins_hi = -1;
}

void result_free(struct result *res)
{
	sb_free(&res->diag);
	sb_free(&res->obs.window);
}

void failed(struct result *res, unsigned check)
{
	res->failed |= check;
	if (res->out == OUT_PASS)
		res->out = OUT_FAIL;
}

void fail(struct result *res, unsigned check, const char *fmt, ...)
{
	va_list ap;

	failed(res, check);
	va_start(ap, fmt);
	sb_vaddf(&res->diag, fmt, ap);
	va_end(ap);
}

void not_run(struct result *res, int setup_state, const char *why)
{
	char *p;

	res->out = setup_state == SETUP_SKIP ? OUT_SKIP : OUT_BROKEN;
	snprintf(res->reason, sizeof(res->reason), "%s", why);
	for (p = res->reason; *p; p++)	/* a reason is one TAP line */
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

const char *outcome_name(enum outcome o)
{
	static const char *const names[] = { "pass", "fail", "skip", "broken", "xfail" };

	return names[o];
}
