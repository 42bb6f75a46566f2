#ifndef IOVBED_REPORT_H
#define IOVBED_REPORT_H

#include <stdio.h>
#include "run.h"

/* TAP 13 on stdout, progress and the conversion report on stderr, JSON. */
struct report {
	FILE *tap;
	FILE *err;
	FILE *json;
	int progress;		/* a terminal: show progress */
	size_t total, done;
	size_t pass, fail, skip, broken, xfail;
	struct path_sum *paths;	/* target x engine */
	/* user-buffer direct IO cases by path: pinned or not */
	size_t conv_pinned[PATH_COUNT], conv_unpinned[PATH_COUNT];
	size_t npaths;
	double t0;
};

int report_open(struct report *r, const struct bed *bed, size_t total, const char *json_path,
		char *err);
void report_case(struct report *r, const struct bed *bed, const struct tcase *tc,
		 const struct result *res);
void report_close(struct report *r, const struct bed *bed, int interrupted);
/* 0 all passed, 1 a failure, 99 the test bed broke, 77 nothing ran. */
int report_exit_code(const struct report *r);

#endif
