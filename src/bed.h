#ifndef IOVBED_BED_H
#define IOVBED_BED_H

#include <limits.h>
#include "env.h"
#include "kmsg.h"
#include "options.h"
#include "profile.h"
#include "scratch.h"
#include "target.h"
#include "vmstat.h"

struct observer;

/* The test bed of one run: what it set up, what it knows of the kernel.
 * The runner's own; plugins see only bed->env. */
struct bed {
	const struct options *opt;
	struct profile prof;
	struct scratch scratch;
	struct env env;
	uint64_t seed;
	struct kmsg kmsg;
	int pinlock;
	const struct vmstat_src *vs;
	struct target *targets;		/* one per row of target_table */
	enum setup_state *probe;	/* engine availability, by engine index */
	enum setup_state *rprobe;	/* regression needs, by regression index */
	char (*probe_why)[ERRLEN];
	char (*rprobe_why)[ERRLEN];
	struct observer *obs;		/* the BPF observer, or NULL ... */
	char obs_why[ERRLEN];		/* ... and why flavours are declared, not observed */
	int wedged;			/* an IO stayed stuck: the run cannot go on */
	char self[PATH_MAX];		/* this binary, as a reproduce line runs it */
	double t_start;			/* when bed_open began */
	double secs_setup;		/* bed_open and every target's set-up */
	double secs_teardown;		/* bed_close */
};

int bed_open(struct bed *bed, const struct options *opt, struct strbuf *log, char *err);
/* Tear down everything the run made (its time is the teardown's). */
void bed_close(struct bed *bed);
/* Free what the report still read after bed_close. */
void bed_free(struct bed *bed);
/* The target of row ti, set up on first use (its time is set-up time). */
enum setup_state bed_target(struct bed *bed, int ti, struct target **t);
/* Can this kernel run engine ei / regression ri? The reason in *why. */
enum setup_state bed_engine(struct bed *bed, int ei, const char **why);
enum setup_state bed_regression(struct bed *bed, int ri, const char **why);

#endif
