#ifndef IOVBED_RUN_H
#define IOVBED_RUN_H

#include "buffer.h"
#include "checks.h"
#include "engine.h"
#include "kmsg.h"
#include "matrix.h"
#include "options.h"
#include "profile.h"
#include "scratch.h"
#include "target.h"
#include "vmstat.h"

/* The test bed of one run: what it set up, what it knows of the kernel. */
struct bed {
	const struct options *opt;
	struct profile prof;
	struct scratch scratch;
	uint64_t seed;
	struct kmsg kmsg;
	int pinlock;
	const struct vmstat_src *vs;
	struct target targets[TARGET_MAX];
	enum setup_state hugetlb;
	char hugetlb_why[ERRLEN];
	enum setup_state probe[32];	/* engine availability, by engine index */
	char probe_why[32][ERRLEN];
	int wedged;		/* an IO stayed stuck: the run cannot go on */
	char self[PATH_MAX];	/* this binary, as a reproduce line runs it */
	double t_start;		/* when bed_open began */
	double secs_setup;	/* bed_open and every target's set-up */
	double secs_teardown;	/* bed_close */
};

/* What one case measured and concluded. */
struct result {
	enum outcome out;
	char reason[ERRLEN];	/* skip or broken reason */
	struct strbuf diag;	/* failure details, one "check: ..." line each */
	uint64_t seed;
	off_t file_off;
	struct pin_delta pins;	/* over the whole case */
	struct pin_delta reg;	/* registration (registering engines) */
	struct pin_delta io;	/* the IO itself (registering engines) */
	struct pin_delta held;	/* from before the IO until it was held in flight */
	int pinned;		/* 1 pins taken, 0 none */
	int balanced;		/* 1, 0 */
	int dirtied;		/* 1, 0, -1 not applicable */
	int data_ok;		/* 1, 0 */
	int kmsg_ok;
	int refused;		/* registration refused, errno */
	int error;		/* the IO failed with this errno */
	int cut;		/* the target was cut off: set it up anew */
	int interrupted;	/* a signal cut the IO short: no verdict */
	double secs;
};

int bed_open(struct bed *bed, const struct options *opt, struct strbuf *log, char *err);
void bed_close(struct bed *bed);
void run_case(struct bed *bed, const struct tcase *tc, struct result *res);
void result_free(struct result *res);

#endif
