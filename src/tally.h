#ifndef IOVBED_TALLY_H
#define IOVBED_TALLY_H

#include "bed.h"
#include "matrix.h"
#include "result.h"

#define SKIP_GROUPS 64
#define LIST_SHOWN 20		/* ids the summary lists per kind */

/* The cases of one target x method (engine, kernel IO or regression). */
struct path_sum {
	const char *target;	/* "regress" for the regressions */
	const char *method;
	enum flavour (*flavour)(const struct kver *v);
	int registers;		/* a registering engine: "refused" is a pinned state */
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

/* A path's verdicts on its held cases: yes and no counts of each. */
enum { INF_PINS_HELD, INF_REDIRTY, INF_FORK, INF_ERROR, INF_GUP, INF_COUNT };
extern const char *const inflight_verdict_name[INF_COUNT];

/* How IOs from a buffer GUP cannot take whole ended, per path. */
enum { FO_EFAULT, FO_SHORT, FO_NONE, FO_REFUSED, FO_COUNT };

#define UFFD_ACTIONS_MAX 64	/* rows of action_table with a userfaultfd hold */

/* What a run's cases came to. */
struct tally {
	size_t pass, fail, skip, broken, xfail;
	struct path_sum *paths;	/* target x method, in the order first seen */
	size_t npaths, maxpaths;
	/* user-buffer direct IO cases by the path found under their target */
	size_t conv_pinned[PATH_COUNT], conv_unpinned[PATH_COUNT];
	/* held user-IO cases by the path found under their target */
	size_t inflight[PATH_COUNT][INF_COUNT][2];	/* [..][1]: yes, [..][0]: no */
	size_t inflight_copied[PATH_COUNT];	/* held, but copied: not counted */
	/* held cases whose window the observer saw take pages: FOLL_GET, FOLL_PIN */
	size_t inflight_got[PATH_COUNT], inflight_pinned[PATH_COUNT];
	/* faulty buffers (END_FAULT) that passed: how their IO ended, and of
	 * those the kernel copied through the page cache */
	size_t fault_end[PATH_COUNT][FO_COUNT], fault_copied[PATH_COUNT];
	/* IO held by userfaultfd on its buffer, per path and action (index
	 * into action_table; [2] the write-protect mode's): survived, failed */
	size_t uffd[PATH_COUNT][UFFD_ACTIONS_MAX][2][2];
	/* observation, by the path of the case's target (PATH_COUNT: no
	 * target): cases by enum obs_state, the first reason a path's were
	 * not observed; per flavour, the first case that observed it */
	size_t obs[PATH_COUNT + 1][OBSV_BROKEN + 1];
	char obs_why[PATH_COUNT + 1][ERRLEN];
	char flav_case[ITER_NONE][TCASE_ID_LEN], flav_where[ITER_NONE][192];
	struct strbuf failed, todo;	/* ids of failed/broken and TODO cases */
	struct skip_group skips[SKIP_GROUPS];
	size_t nskips;
	double secs_cases;
};

/* Room for the sums of up to max cases. 0, or -1. */
int tally_init(struct tally *r, size_t max);
void tally_free(struct tally *r);
void tally_case(struct tally *r, const struct bed *bed, const struct tcase *tc,
		const struct result *res);
/* "yes", "no", "MIXED" or "-" (neither) */
const char *yes_no(size_t yes, size_t no);
/* Pinned column of a path_sum: yes/no/MIXED, or "refused" (registration). */
const char *path_sum_pinned(const struct path_sum *p);

#endif
