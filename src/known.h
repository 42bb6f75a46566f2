#ifndef IOVBED_KNOWN_H
#define IOVBED_KNOWN_H

#include "iovbed.h"

/*
 * A failure the kernel is known to have, declared next to the case it
 * concerns (in the action's, kernel IO's or regression's own file) by id
 * and by its structured symptom: the checks that fail with it (must), the
 * ones that may fail as its consequence (may), and for an IO that fails,
 * its errno. A case that fails in any other way is still a failure, and
 * a self-test is never let off. Reported as TAP TODO.
 */
struct known_bug {
	const char *ids;	/* glob of the case ids it covers */
	/* It is a bug of this path before its FOLL_PIN conversion: known only
	 * under a profile where the path does not pin. PATH_COUNT: a
	 * limitation of every kernel. */
	enum path_class unconverted;
	unsigned must;		/* enum check_bit: each of these failed */
	unsigned may;		/* ... and at most these besides */
	int errnum;		/* with CHK_IO in must: the IO failed with this */
	const char *reason;
	/* Measured on this series only ("6.12"): known where the running
	 * kernel is of it, nowhere else (NULL: any series). */
	const char *series;
};

struct profile;
struct result;

/* Does one of bugs (ended by a row with ids NULL) explain this failure of
 * case id, whose target's IO takes path (PATH_COUNT: no target), under
 * the profile? A row of a path explains only cases of that path. 1 with
 * its reason (with the path and version it concerns) in res->reason, else
 * 0. */
int known_bug_match(const struct known_bug *bugs, const struct profile *p, const char *id,
		    enum path_class path, struct result *res);

#endif
