#ifndef IOVBED_ENV_H
#define IOVBED_ENV_H

#include <stdint.h>
#include "iovbed.h"
#include "scratch.h"

/* What the user handed over (the options of iovbed run that name paths). */
struct user_args {
	const char *dir;	/* --dir */
	const char *device;	/* --device */
	int destroy;		/* --destroy */
	const char *nfs;	/* --nfs */
	const char *nfs_url;	/* --nfs-url */
};

/*
 * The narrow environment a plugin sees (targets, buffers, regressions,
 * the kernel's own IO, nfs/, fuse/): where to put files, the run's seed,
 * the kernel whose expectations apply, what the user handed over, and the
 * hugetlb pages. Never the runner's internals.
 */
struct env {
	struct scratch *scratch;
	uint64_t seed;		/* the run's data seed: the targets' read regions */
	struct kver kernel;	/* the profile's kernel: expectations, flavours */
	struct kver running;	/* the kernel that runs: what a measurement can tell */
	const struct user_args *user;
	double race_seconds;	/* --race-seconds: how long a race runs */
	enum setup_state hugetlb;	/* the run's reservation, made on first use */
	char hugetlb_why[ERRLEN];
	enum setup_state swap;	/* the run's swap file, made on first use */
	char swap_why[ERRLEN];
};

/* The hugetlb pages reserved for the run, reserving them on first use:
 * SETUP_READY, or SKIP/BROKEN with the reason in why. */
enum setup_state env_hugetlb(struct env *env, char *why);
/* The run's swap file (in the scratch directory, off and gone with it),
 * made on first use: SETUP_READY, or SKIP/BROKEN with the reason. */
enum setup_state env_swap(struct env *env, char *why);
/* At least pages of them (a stress run wants more than a case): the same
 * states. */
enum setup_state env_hugetlb_at_least(struct env *env, long pages, char *why);

#endif
