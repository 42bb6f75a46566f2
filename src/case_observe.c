/* The observer around a case: its window, and the observed flavour
 * against the declared one (the declaration is a claim the test bed
 * makes about the kernel; the observation is what the kernel did). */
#include "case_observe.h"
#include "observe.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

void case_observe_drop(struct bed *bed)
{
	struct obs_window win;
	char err[ERRLEN];

	if (bed->obs && observer_end(bed->obs, &win, err) == 0)
		obs_window_free(&win);
}

enum flavour flavour_misdeclared(enum flavour f)
{
	return f == ITER_KVEC ? ITER_UBUF : ITER_KVEC;
}

int case_observe_begin(struct bed *bed, char *err)
{
	return bed->obs ? observer_begin(bed->obs, err) : 0;
}

/* The flavours a mask names: "ITER_UBUF, ITER_BVEC". */
static void flavours_text(unsigned seen, char *out, size_t len)
{
	size_t l = 0;
	int f;

	*out = 0;
	for (f = 0; f < ITER_NONE && l < len; f++)
		if (seen & (1u << f))
			l += snprintf(out + l, len - l, "%s%s", l ? ", " : "", flavour_name(f));
}

/* The declared flavour against what the hooks of a role saw. */
static void compare(struct bed *bed, const struct obs_window *win, const struct obs_case *oc,
		    enum flavour declared, struct result *res)
{
	unsigned seen = obs_flavours_seen(win, oc->path, oc->role ? oc->role : OBS_C_ITER,
					  oc->file);
	char names[128], where[160];

	if (oc->role == OBS_C_XPORT && !seen)
		return;		/* the transport is not every case's: nothing to compare */
	obs_where(win, oc, declared, where, sizeof(where));
	if (oc->role != OBS_C_XPORT) {
		res->obs.seen = seen;
		snprintf(res->obs.where, sizeof(res->obs.where), "%s", where);
	} else {
		res->obs.xport_seen = seen;
		snprintf(res->obs.xport_where, sizeof(res->obs.xport_where), "%s", where);
	}
	if (seen & (1u << declared))
		return;
	flavours_text(seen, names, sizeof(names));
	fail(res, CHK_FLAVOUR, "flavour: declared %s at the %s (kernel %d.%d), observed %s: %s\n",
	     flavour_name(declared), obs_role_name(oc->role ? oc->role : OBS_C_ITER),
	     bed->prof.running.major, bed->prof.running.minor, names, where);
}

static void judged(struct bed *bed, const struct obs_window *win, const struct obs_want *w,
		   const struct obs_case *oc, struct result *res)
{
	struct obs_result *o = &res->obs;
	char why[ERRLEN];

	if (oc->path == PATH_UNKNOWN) {
		o->state = OBSV_UNOBSERVABLE;
		snprintf(o->why, sizeof(o->why), "unobservable: iovbed hooks no entry of an "
			 "unknown filesystem's direct IO");
		return;
	}
	if (oc->file && oc->attached && (o->declared == ITER_NONE || w->may_remap) &&
	    !obs_flavours_seen(win, oc->path, oc->role ? oc->role : OBS_C_ITER, oc->file)) {
		o->state = OBSV_OBSERVED;
		snprintf(o->where, sizeof(o->where), "no iterator reached the entry of the case's "
			 "file (%lu events in the window)%s", win->events,
			 o->declared == ITER_NONE ? "" : ": served without one (a remap)");
		return;
	}
	switch (obs_judge(win, oc, why)) {
	case OBS_UNOBSERVED:
		o->state = OBSV_UNOBSERVABLE;
		if (oc->attached)
			snprintf(o->why, sizeof(o->why), "%s", why);
		else
			observer_path_why(bed->obs, oc->path, oc->role, o->why);
		return;
	case OBS_BROKEN:
		o->state = OBSV_BROKEN;
		snprintf(o->why, sizeof(o->why), "%s", why);
		if (res->out == OUT_PASS)
			not_run(res, SETUP_BROKEN, why);
		return;
	case OBS_OBSERVED:
		o->state = OBSV_OBSERVED;
		compare(bed, win, oc, o->declared, res);
		if (w->transport != ITER_NONE && w->own_transport)
			compare(bed, win, &(struct obs_case){ oc->path, NULL, 1, 1, OBS_C_XPORT },
				w->transport, res);
		return;
	}
}

/* The misdeclared self-test proves something only where the flavour is
 * observed. */
static void misdeclared_unseen(struct result *res)
{
	char why[ERRLEN];

	if (res->obs.state == OBSV_OBSERVED || res->out != OUT_PASS)
		return;
	snprintf(why, sizeof(why), "the self-test needs the flavour observed; %.*s",
		 ERRLEN - 64, res->obs.why);
	not_run(res, SETUP_SKIP, why);
}

static int role_of(enum flavour_at at)
{
	return at == AT_EXTRACT ? OBS_C_EXTRACT : at == AT_RECEIVE ? OBS_C_MSG : OBS_C_ITER;
}

/* The device the kernel names the file's superblock by (its s_dev), the
 * one the observer records: stat's st_dev is not it everywhere (btrfs
 * gives each subvolume an anonymous device of its own), the mount's
 * major:minor in mountinfo is. */
static dev_t sb_dev(int fd, dev_t st_dev)
{
	struct statx sx;
	char line[1024];
	FILE *f;
	unsigned long long id;
	unsigned maj, mnr;
	dev_t dev = st_dev;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID))
		return st_dev;
	f = fopen("/proc/self/mountinfo", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llu %*u %u:%u", &id, &maj, &mnr) == 3 && id == sx.stx_mnt_id) {
			dev = makedev(maj, mnr);
			break;
		}
	if (f)
		fclose(f);
	return dev;
}

/* How many pages the window's GUP calls of this process took (any of its
 * threads, gone or not: an in-flight IO's thread has ended by now), by
 * kind; a FUSE daemon takes its own buffers' pages with FOLL_GET. */
static void gup_pages(struct bed *bed, const struct obs_window *win, struct obs_result *o)
{
	size_t i;

	o->gup_seen = observer_attached(bed->obs, PATH_COUNT, OBS_C_GET) ||
		      observer_attached(bed->obs, PATH_COUNT, OBS_C_PIN);
	for (i = 0; i < win->n; i++) {
		int cls = obs_hook_table[win->r[i].hook].cls;

		if (win->r[i].pid != getpid())
			continue;
		if (cls == OBS_C_GET)
			o->got_pages += win->r[i].amount;
		else if (cls == OBS_C_PIN)
			o->pinned_pages += win->r[i].amount;
	}
}

void case_observe_end(struct bed *bed, const struct obs_want *w, struct result *res)
{
	struct obs_result *o = &res->obs;
	struct obs_window win;
	struct obs_file file;
	struct stat st;
	char err[ERRLEN];
	int have_file = w->fd >= 0 && fstat(w->fd, &st) == 0;

	o->set = 1;
	if (w->declared == ITER_NONE && w->fd < 0) {	/* no iterator, no file */
		o->state = OBSV_UNOBSERVABLE;
		o->declared = ITER_NONE;
		snprintf(o->why, sizeof(o->why), "unobservable: no iterator and no file of "
			 "its own to watch");
		return case_observe_drop(bed);
	}
	o->declared = w->misdeclared ? flavour_misdeclared(w->declared) : w->declared;
	if (!bed->obs) {
		o->state = OBSV_DECLARED;
		snprintf(o->why, sizeof(o->why), "%s", bed->obs_why);
		if (w->misdeclared)
			misdeclared_unseen(res);
		return;
	}
	if (observer_end(bed->obs, &win, err) < 0)
		return not_run(res, SETUP_BROKEN, err);
	file = (struct obs_file){ have_file ? sb_dev(w->fd, st.st_dev) : 0,
				  have_file ? st.st_ino : 0 };
	judged(bed, &win, w, &(struct obs_case){ w->path, have_file ? &file : NULL,
			observer_attached(bed->obs, w->path, role_of(w->at)), w->did_io,
			role_of(w->at) }, res);
	obs_window_json(&win, &o->window);
	gup_pages(bed, &win, o);
	if (res->failed & CHK_FLAVOUR || o->state == OBSV_BROKEN)
		obs_window_text(&win, &res->diag);
	obs_window_free(&win);
	if (w->misdeclared)
		misdeclared_unseen(res);
}
