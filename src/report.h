#ifndef IOVBED_REPORT_H
#define IOVBED_REPORT_H

#include <limits.h>
#include <stdio.h>
#include "bed.h"
#include "matrix.h"
#include "result.h"
#include "tally.h"

/* TAP 13 on stdout; progress and the summary on stderr; JSON. */
struct report {
	FILE *tap;
	FILE *err;
	FILE *json;
	int progress;		/* a terminal: show progress */
	int table;		/* --table: the full target x engine table */
	struct strbuf shaping;	/* the options that shaped the cases */
	size_t total, done;
	struct tally tally;
	double t0;
};

int report_open(struct report *r, const struct bed *bed, size_t total, char *err);
void report_case(struct report *r, const struct bed *bed, const struct tcase *tc,
		 const struct result *res);
/* The summary (after bed_close, whose time it reports). */
void report_close(struct report *r, const struct bed *bed, int interrupted);
/* 0 all passed, 1 a failure, 99 the test bed broke, 77 nothing ran. */
int report_exit_code(const struct report *r);

#endif
