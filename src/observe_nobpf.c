/* The observer when iovbed is configured --without-libbpf: it cannot
 * exist, and says so; the rest only keeps callers linking. */
#include "observe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int observer_open(struct observer **op, char *err)
{
	*op = NULL;
	snprintf(err, ERRLEN, "%s", OBS_NOT_BUILT);
	return -1;
}

int observer_stale(const struct observer *o)
{
	(void)o;
	return 0;
}

void observer_close(struct observer *o)
{
	(void)o;
}

const struct obs_hook_state *observer_hook(const struct observer *o, int hook)
{
	(void)o;
	(void)hook;
	return NULL;
}

int observer_attached(const struct observer *o, enum path_class path, int role)
{
	(void)o;
	(void)path;
	(void)role;
	return 0;
}

void observer_path_why(const struct observer *o, enum path_class path, int role, char *why)
{
	(void)o;
	(void)path;
	(void)role;
	snprintf(why, ERRLEN, "%s", OBS_NOT_BUILT);
}

int observer_begin(struct observer *o, char *err)
{
	(void)o;
	errno = ENOSYS;
	errf(err, "%s", OBS_NOT_BUILT);
	return -1;
}

int observer_end(struct observer *o, struct obs_window *w, char *err)
{
	(void)o;
	memset(w, 0, sizeof(*w));
	errno = ENOSYS;
	errf(err, "%s", OBS_NOT_BUILT);
	return -1;
}
