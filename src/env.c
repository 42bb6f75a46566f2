/* The plugins' environment: the run's hugetlb reservation. */
#include "env.h"
#include "swapfile.h"

#include <stdio.h>

#define HUGETLB_PAGES 8	/* the largest case maps 4 huge pages */

enum setup_state env_hugetlb(struct env *env, char *why)
{
	if (env->hugetlb == SETUP_NONE) {
		if (hugetlb_reserve(env->scratch, HUGETLB_PAGES, env->hugetlb_why) < 0) {
			env->hugetlb = SETUP_BROKEN;
		} else if (env->scratch->hugetlb_added < HUGETLB_PAGES) {
			snprintf(env->hugetlb_why, sizeof(env->hugetlb_why),
				 "could reserve only %ld of %d hugetlb pages (memory too "
				 "fragmented or too small)", env->scratch->hugetlb_added,
				 HUGETLB_PAGES);
			env->hugetlb = SETUP_SKIP;
		} else {
			env->hugetlb = SETUP_READY;
		}
	}
	if (env->hugetlb != SETUP_READY)
		snprintf(why, ERRLEN, "%s", env->hugetlb_why);
	return env->hugetlb;
}

enum setup_state env_hugetlb_at_least(struct env *env, long pages, char *why)
{
	enum setup_state st = env_hugetlb(env, why);
	long more = pages - env->scratch->hugetlb_added;

	if (st != SETUP_READY || more <= 0)
		return st;
	if (hugetlb_reserve(env->scratch, more, why) < 0)
		return SETUP_BROKEN;
	if (env->scratch->hugetlb_added < pages) {
		snprintf(why, ERRLEN, "could reserve only %ld of %ld hugetlb pages (memory too "
			 "fragmented or too small)", env->scratch->hugetlb_added, pages);
		return SETUP_SKIP;
	}
	return SETUP_READY;
}

#define SWAP_BYTES (128LL * 1024 * 1024)

enum setup_state env_swap(struct env *env, char *why)
{
	char path[PATH_MAX];
	int state;

	if (env->swap == SETUP_NONE) {
		if (pathf(path, sizeof(path), "%s/swap", env->scratch->dir) < 0) {
			errf(env->swap_why, "swap file path");
			env->swap = SETUP_BROKEN;
		} else if (swapfile_on(path, SWAP_BYTES, &state, env->swap_why) < 0) {
			env->swap = state;
		} else {
			env->swap = SETUP_READY;
		}
	}
	if (env->swap != SETUP_READY)
		snprintf(why, ERRLEN, "%s", env->swap_why);
	return env->swap;
}
