#ifndef IOVBED_PROFILE_H
#define IOVBED_PROFILE_H

#include "iovbed.h"

/* What the kernel is expected to do, from ../KERNEL-FACTS (source and
 * measured lines): which direct-IO paths pin user pages with FOLL_PIN. */
struct profile {
	struct kver v;
	char name[32];		/* "6.18" */
	int forced;		/* chosen with --profile, not the running kernel */
	/* The kernel that runs: what the observer compares the kernel's
	 * flavours with (--profile changes the rules a case is judged by,
	 * not what this kernel builds); v where it cannot be read. */
	struct kver running;
};

int profile_init(struct profile *p, const char *forced_version);
/* 1: user-backed (UBUF/IOVEC) direct IO on this path takes FOLL_PIN pins;
 * 0: it takes plain page references (FOLL_GET) or copies. */
int profile_path_pins(const struct profile *p, enum path_class path);
/* ... on kernel v. */
int profile_pins_at(const struct kver *v, enum path_class path);
/* The first kernel version whose path pins, as text ("6.5"), or "never". */
const char *profile_path_since(enum path_class path);
const char *path_class_name(enum path_class path);
/* A failure the kernel of this profile is known to have because a path is
 * not converted to FOLL_PIN under it: the reason if case id failed with
 * diagnostics diag that carry the known sign, else NULL. */
const char *profile_known_bug(const struct profile *p, const char *id, const char *diag);

#endif
