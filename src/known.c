/* Known kernel failures: matched by their structured symptom. */
#include "known.h"
#include "profile.h"
#include "result.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

static int symptom_matches(const struct known_bug *k, const struct result *res)
{
	if ((res->failed & k->must) != k->must || (res->failed & ~(k->must | k->may)))
		return 0;
	return !(k->must & CHK_IO) || !k->errnum || res->io_errno == k->errnum;
}

/* A row measured on one series is known on that series' kernels only. */
static int series_matches(const struct known_bug *k, const struct profile *p)
{
	char running[16];

	if (!k->series)
		return 1;
	snprintf(running, sizeof(running), "%d.%d", p->running.major, p->running.minor);
	return !strcmp(running, k->series);
}

int known_bug_match(const struct known_bug *bugs, const struct profile *p, const char *id,
		    enum path_class path, struct result *res)
{
	const struct known_bug *k;

	for (k = bugs; k && k->ids; k++) {
		if (fnmatch(k->ids, id, 0) || !symptom_matches(k, res) || !series_matches(k, p))
			continue;
		/* a path's bug is that path's: the case's target must take it */
		if (k->unconverted != PATH_COUNT && path != PATH_COUNT && path != k->unconverted)
			continue;
		if (k->unconverted == PATH_COUNT) {
			snprintf(res->reason, sizeof(res->reason), "%s", k->reason);
			return 1;
		}
		if (profile_path_pins(p, k->unconverted))
			continue;
		snprintf(res->reason, sizeof(res->reason), "%s before %s: %s",
			 path_class_name(k->unconverted), profile_path_since(k->unconverted),
			 k->reason);
		return 1;
	}
	return 0;
}
