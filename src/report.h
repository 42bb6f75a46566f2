#ifndef IOVBED_REPORT_H
#define IOVBED_REPORT_H

#include <limits.h>
#include <stdio.h>
#include "run.h"

#define SKIP_GROUPS 64

/* The cases of one target x engine. */
struct path_sum {
	const struct target_ops *t;
	const struct engine_ops *e;
	size_t ran, pass, fail, skip, broken, xfail;
	size_t pinned, unpinned, balanced, unbalanced;
	size_t dirty_yes, dirty_no, data_ok, data_bad, refused;
};

/* Skipped cases with one reason, and the targets they were on. */
struct skip_group {
	char reason[160];
	char targets[160];
	size_t n;
};

/* TAP 13 on stdout; progress and the summary on stderr; JSON. */
struct report {
	FILE *tap;
	FILE *err;
	FILE *json;
	int progress;		/* a terminal: show progress */
	int table;		/* --table: the full target x engine table */
	struct strbuf shaping;	/* the options that shaped the cases */
	size_t total, done;
	size_t pass, fail, skip, broken, xfail;
	struct path_sum *paths;	/* target x engine */
	/* user-buffer direct IO cases by the path found under their target */
	size_t conv_pinned[PATH_COUNT], conv_unpinned[PATH_COUNT];
	struct strbuf failed, todo;	/* ids of failed/broken and TODO cases */
	struct skip_group skips[SKIP_GROUPS];
	size_t nskips;
	double secs_cases;
	double t0;
};

int report_open(struct report *r, const struct bed *bed, size_t total, char *err);
void report_case(struct report *r, const struct bed *bed, const struct tcase *tc,
		 const struct result *res);
/* The summary (after bed_close, whose time it reports). */
void report_close(struct report *r, const struct bed *bed, int interrupted);
/* 0 all passed, 1 a failure, 99 the test bed broke, 77 nothing ran. */
int report_exit_code(const struct report *r);

const char *outcome_name(enum outcome o);
/* "yes", "no", "MIXED" or "-" (neither) */
const char *yes_no(size_t yes, size_t no);
/* Pinned column of a path_sum: yes/no/MIXED, or "refused" (registration). */
const char *path_sum_pinned(const struct path_sum *p);

#endif
