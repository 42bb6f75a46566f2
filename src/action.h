#ifndef IOVBED_ACTION_H
#define IOVBED_ACTION_H

#include "iovbed.h"

#define SHORT_BY 4096		/* ACT_SHORT answers this many bytes short */
#define DELAY_MS 300		/* ACT_DELAY holds the request this long */

/* Which cases an in-flight action makes, and how the default matrix runs it. */
struct action_spec {
	enum action a;
	const char *name;	/* the last part of the case id */
	unsigned dirs;		/* 1 << DIR_READ, 1 << DIR_WRITE */
	unsigned backings;	/* 1 << BACKING_* of the buffers it applies to */
	int every_engine;	/* the default runs every engine, not one rotated */
	int selftest;		/* must fail; runs only when named exactly */
	int cuts;		/* cuts the target off: needs target_ops.cut */
	const char *desc;
	const char *tag;	/* the regression it guards against, or NULL */
};

extern const struct action_spec action_table[];
extern const size_t action_count;
const struct action_spec *action_spec(enum action a);

#endif
