/* The disturbers of a stress run: which ones (--disturb), whether the
 * kernel allows them (their probes), the swap file some need, a thread
 * each that steps it while the workers run (never during a checkpoint),
 * the workers' buffers lent to them, and what each achieved by the
 * kernel's own counters. */
#include "stress.h"
#include "registry.h"
#include "swapfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define SWAP_BYTES (256LL * 1024 * 1024)

/* Every name of --disturb is a disturber, "all" or "none": 0, or -1. */
int dist_names_ok(const char *list, char *err)
{
	char copy[512], *save = NULL, *tok;
	size_t i;

	snprintf(copy, sizeof(copy), "%s", list ? list : "");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < disturber_count && strcmp(disturber_table[i]->name, tok); i++)
			;
		if (i == disturber_count && strcmp(tok, "all") && strcmp(tok, "none")) {
			snprintf(err, ERRLEN, "--disturb: no disturber '%s' (iovbed stress --disturb "
				 "help lists them)", tok);
			return -1;
		}
	}
	return 0;
}

/* Chosen by --disturb: named, or in "all" (the default) unless a self-test. */
static int chosen(const struct stress *s, const struct disturber *d)
{
	const char *list = s->opt->stress.disturb;

	if (s->replay)
		return list && d->replayable && list_has(list, d->name);
	if (!list)
		return !d->selftest;
	if (list_has(list, d->name))
		return 1;
	return list_has(list, "all") && !d->selftest;
}

static int slot_wanted(const struct sslot *sl, enum dist_want want)
{
	const struct buffer_ops *b = sl->b.ops;

	switch (want) {
	case DIST_PRIVATE:
		return b->backing == BACKING_ANON;
	case DIST_THP:
		return b->thp;
	case DIST_FILE:
		return b->backing == BACKING_FILE;
	default:
		return 1;
	}
}

static size_t count_cb(void *run, enum dist_want want)
{
	struct stress *s = run;
	size_t n = 0, i;
	int wi;

	for (wi = 0; wi < s->nworkers; wi++)
		for (i = 0; i < s->w[wi].nslots; i++)
			n += slot_wanted(&s->w[wi].slots[i], want);
	return n;
}

static struct sslot *nth_slot(struct stress *s, enum dist_want want, size_t k)
{
	size_t i;
	int wi;

	for (wi = 0; wi < s->nworkers; wi++)
		for (i = 0; i < s->w[wi].nslots; i++)
			if (slot_wanted(&s->w[wi].slots[i], want) && !k--)
				return &s->w[wi].slots[i];
	return NULL;
}

static int borrow_cb(void *run, enum dist_want want, uint64_t pick, struct dist_buf *out)
{
	struct stress *s = run;
	size_t n = count_cb(run, want);
	struct sslot *sl = n ? nth_slot(s, want, pick % n) : NULL;
	unsigned idle = 0;

	if (!sl || !atomic_compare_exchange_strong(&sl->state, &idle, SLOT_LENT))
		return -1;
	out->b = &sl->b;
	out->handle = sl;
	out->read_at = sl->read_in_buf;
	out->read_len = sl->has_read ? sl->read_len : 0;
	return 0;
}

static void give_back_cb(void *run, struct dist_buf *db, unsigned harm)
{
	struct sslot *sl = db->handle;

	(void)run;
	if (harm & DIST_UNMAPPED)
		atomic_fetch_add(&sl->unmapped, 1);
	if (harm & DIST_LOST) {
		atomic_fetch_add(&sl->lost, 1);
		sl->has_read = 0;
	}
	atomic_fetch_and(&sl->state, ~(unsigned)SLOT_LENT);
}

/* The run's swap file, for the disturbers that reclaim anonymous memory. */
static void swap_for(struct stress *s)
{
	char err[ERRLEN];
	int state;
	size_t i;

	if (pathf(s->swap, sizeof(s->swap), "%s/swapfile", s->bed->scratch.dir) < 0 ||
	    swapfile_on(s->swap, SWAP_BYTES, &state, err) < 0) {
		*s->swap = 0;
		for (i = 0; i < s->ndist; i++) {
			if (s->dist[i].state != SETUP_READY || !s->dist[i].d->needs_swap)
				continue;
			s->dist[i].state = state;
			snprintf(s->dist[i].why, ERRLEN, "no swap for anonymous memory: %.400s", err);
		}
	}
}

int dist_setup(struct stress *s, char *err)
{
	int swap = 0;
	size_t i;

	s->de = (struct dist_env){ .env = &s->bed->env, .run = s, .count = count_cb,
				   .borrow = borrow_cb, .give_back = give_back_cb };
	s->de.targets = (struct target *const *)s->targets_list;
	s->dist = calloc(disturber_count + 1, sizeof(*s->dist));
	if (!s->dist) {
		errf(err, "calloc");
		return -1;
	}
	for (i = 0; i < disturber_count; i++) {
		struct sdist *sd = &s->dist[s->ndist];

		if (!chosen(s, disturber_table[i]))
			continue;
		sd->d = disturber_table[i];
		sd->state = sd->d->probe ? sd->d->probe(&s->de, sd->why) : SETUP_READY;
		swap |= sd->state == SETUP_READY && sd->d->needs_swap;
		s->ndist++;
	}
	if (swap)
		swap_for(s);
	return 0;
}

static void *dist_thread(void *arg)
{
	struct sdist *sd = arg;
	struct stress *s = sd->s;

	sd->tid = gettid();
	uint64_t rng = mix64(s->bed->seed ^ hash_str(sd->d->name));
	char err[ERRLEN];
	unsigned waited;

	while (!atomic_load(&s->stop)) {
		for (waited = 0; waited < sd->d->period_ms && !atomic_load(&s->stop); waited += 10)
			sleep_ms(10);
		pthread_rwlock_rdlock(&s->dist_rw);
		if (!atomic_load(&s->stop) && sd->d->step(&s->de, sd->priv, rng_next(&rng), err) < 0) {
			sd->errors++;
			snprintf(sd->why, sizeof(sd->why), "%s", err);
			pthread_rwlock_unlock(&s->dist_rw);
			break;
		}
		sd->steps++;
		pthread_rwlock_unlock(&s->dist_rw);
	}
	return NULL;
}

int dist_start(struct stress *s, char *err)
{
	size_t i;

	for (i = 0; i < s->ndist; i++) {
		struct sdist *sd = &s->dist[i];

		if (sd->state != SETUP_READY)
			continue;
		sd->s = s;
		if (sd->d->start && sd->d->start(&s->de, &sd->priv, sd->why) < 0) {
			sd->state = SETUP_BROKEN;
			stress_broke(s, sd->why);
			if (sd->priv && sd->d->stop)
				sd->d->stop(&s->de, sd->priv);
			continue;
		}
		sd->started = 1;
		if (sd->d->step && sd->d->period_ms && !pthread_create(&sd->th, NULL, dist_thread, sd)) {
			sd->running = 1;
			pthread_setname_np(sd->th, sd->d->name);	/* at most 15 characters */
		}
	}
	(void)err;
	return 0;
}

void dist_quiesced(struct stress *s)
{
	char err[ERRLEN];
	size_t i;

	for (i = 0; i < s->ndist; i++) {
		struct sdist *sd = &s->dist[i];

		if (sd->started && sd->d->quiesced && sd->d->quiesced(&s->de, sd->priv, err) < 0) {
			sd->errors++;
			snprintf(sd->why, sizeof(sd->why), "%s", err);
		}
	}
}

/* Stop every disturber; what each achieved, from its counters. */
/* Join a disturber's thread, DIST_JOIN_S at most: one stuck in the
 * kernel (a munmap behind an mmap_lock that a stuck IO holds) is left
 * running, the run marked stuck (no teardown: exit frees what it uses)
 * and where it is said. */
#define DIST_JOIN_S 30
static void dist_join(struct stress *s, struct sdist *sd)
{
	struct timespec ts;
	struct strbuf d = { 0 };
	struct sop what = { .worker = -1, .index = s->checkpoints, .kind = SOP_FIX, .ei = -1,
			    .bi = -1, .slot = -1 };
	char path[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += DIST_JOIN_S;
	if (pthread_timedjoin_np(sd->th, NULL, &ts) == 0)
		return;
	sd->stuck = 1;
	s->stuck = 1;
	sb_addf(&d, "hang: disturber %s did not end its step within %d s after the run "
		"(left running)\n", sd->d->name, DIST_JOIN_S);
	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", (int)sd->tid);
	sb_add_file(&d, "stuck disturber wchan", path);
	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", (int)sd->tid);
	sb_add_file(&d, "stuck disturber stack", path);
	threads_dump(&d);
	stress_failed(s, NULL, &what, &d);	/* after a worker's timeout: that one is named */
	sb_free(&d);
}

void dist_stop(struct stress *s)
{
	size_t i;

	for (i = 0; i < s->ndist; i++)
		if (s->dist[i].running)
			dist_join(s, &s->dist[i]);
	for (i = 0; i < s->ndist; i++) {
		struct sdist *sd = &s->dist[i];

		sd->running = 0;
		if (!sd->started || sd->stuck)
			continue;
		sd->achieved = sd->d->effect ? sd->d->effect(sd->priv, &sd->effect) : 1;
		if (sd->d->stop)
			sd->d->stop(&s->de, sd->priv);
		sd->started = 0;
		if (sd->errors || !sd->achieved)
			sd->state = SETUP_BROKEN;
	}
}

void dist_release(struct stress *s)
{
	size_t i;

	swapfile_off(s->swap);
	*s->swap = 0;
	for (i = 0; s->dist && i < s->ndist; i++)
		sb_free(&s->dist[i].effect);
	free(s->dist);
	s->dist = NULL;
}
