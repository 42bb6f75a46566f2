/* A quiescent checkpoint: the workers drained and parked (their rings'
 * registrations dropped), the disturbers between steps. Then: pins
 * balance since the last checkpoint; the data of reads into MAP_SHARED
 * pages is in their files; the kernel log and taint are clean; what the
 * model does not know is rewritten; every region of every target
 * verifies. */
#include "stress.h"
#include "checks.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SETTLE_MS 2000

/* RSS now (kB), and the peak so far (VmHWM). */
void checkpoint_rss(struct stress *s, int which)
{
	char buf[4096], *p = NULL, *h = NULL;

	if (read_file("/proc/self/status", buf, sizeof(buf), NULL) >= 0) {
		p = strstr(buf, "VmRSS:");
		h = strstr(buf, "VmHWM:");
	}
	s->rss_kb[which] = p ? atol(p + 6) : -1;
	s->rss_peak_kb = h ? atol(h + 6) : -1;
}

/* Every worker parked: 0; -1 one of them stays busy past --timeout. */
static int park_workers(struct stress *s)
{
	double until = now_sec() + s->opt->timeout;
	int i, all;

	atomic_store(&s->pause, 1);
	for (;;) {
		for (all = 1, i = 0; i < s->nworkers; i++)
			all &= !s->w[i].started || atomic_load(&s->w[i].parked) ||
				atomic_load(&s->stop);
		if (all || now_sec() > until)
			return all ? 0 : -1;
		sleep_ms(5);
	}
}

static void unpark_workers(struct stress *s)
{
	pthread_mutex_lock(&s->park_lock);
	atomic_store(&s->pause, 0);
	pthread_cond_broadcast(&s->park_cond);
	pthread_mutex_unlock(&s->park_lock);
}

/* Pins since the last checkpoint balance (re-read for a while: an
 * io_uring ring's unregistration may finish a little later). */
static int check_pins(struct stress *s, struct strbuf *diag)
{
	struct pin_snap now;
	char err[ERRLEN];

	if (pin_read(s->bed->vs, &now, err) < 0 ||
	    pin_settle(s->bed->vs, &s->pins0, &now, SETTLE_MS, err) < 0) {
		stress_broke(s, err);
		return 0;
	}
	s->pins_last = pin_delta(&s->pins0, &now);
	if (!check_pins_balanced(s->pins_last, diag))
		return 0;
	sb_addf(diag, "pins: over the interval since the last checkpoint, read with the workers "
		"drained and their rings' registrations dropped\n");
	sb_addf(diag, "pins: counted machine-wide (/proc/vmstat nr_foll_pin_*; no per-task "
		"counter here), with nothing of this run in flight and the pin lock held, so no "
		"other iovbed run pinned meanwhile\n");
	return 1;
}

/* The last verified read into a MAP_SHARED file buffer must be in its
 * file: fsync, then read back with O_DIRECT from the medium. */
int shared_read_check(struct stress *s, struct sslot *sl, struct strbuf *diag)
{
	off_t lo = sl->read_in_buf & ~4095L;
	size_t span = ((sl->read_in_buf + sl->read_len + 4095) & ~4095UL) - lo;
	struct model_check mc = { .off = sl->read_off, .len = sl->read_len,
				  .what = "the buffer's own file after fsync, read back with "
					  "O_DIRECT (a read's data into MAP_SHARED pages lost: "
					  "the pages were not dirtied?)" };
	void *back = NULL;
	char err[ERRLEN];
	int fd = -1, bad = 0;

	sl->has_read = 0;
	if (fsync(sl->b.fd) < 0 || (fd = open(sl->b.path, O_RDONLY | O_DIRECT | O_CLOEXEC)) < 0 ||
	    posix_memalign(&back, 4096, span) || pread(fd, back, span, lo) != (ssize_t)span) {
		errf(err, "fsync and O_DIRECT read back of the buffer file %s", sl->b.path);
		stress_broke(s, err);
	} else {
		mc.buf = (char *)back + (sl->read_in_buf - lo);
		bad = gens_check(&s->tg[sl->read_st].m, sl->read_gens, &mc, diag);
		if (bad)
			sb_addf(diag, "dirty: the read was into %s at +%lld of %s, from %s at file "
				"offset %lld\n", sl->b.ops->name, (long long)sl->read_in_buf,
				sl->b.path, s->tg[sl->read_st].t->ops->name, (long long)sl->read_off);
	}
	if (fd >= 0)
		close(fd);
	free(back);
	return bad;
}

static int check_shared_reads(struct stress *s, struct strbuf *diag)
{
	size_t i;
	int wi;

	for (wi = 0; wi < s->nworkers; wi++)
		for (i = 0; i < s->w[wi].nslots; i++)
			if (s->w[wi].slots[i].has_read &&
			    shared_read_check(s, &s->w[wi].slots[i], diag))
				return 1;
	return 0;
}

static int check_log(struct stress *s, struct strbuf *diag)
{
	struct strbuf bad = { 0 };
	char err[ERRLEN];
	int n = kmsg_collect(&s->bed->kmsg, &bad, NULL), ret = 0;

	if (n < 0) {
		errf(err, "read /dev/kmsg");
		stress_broke(s, err);
	} else if (check_kmsg(n, &bad, diag)) {
		ret = 1;
	}
	sb_free(&bad);
	switch (kmsg_taint_since_mark(&s->bed->kmsg, diag, err)) {
	case -1:
		stress_broke(s, err);
		break;
	case 1:
		ret = 1;
		break;
	}
	kmsg_mark(&s->bed->kmsg);
	return ret;
}

/* Rewrite the ranges the model does not know (chaos, disturbed writes),
 * as recorded ops, in pieces no larger than the largest op. */
static void fix_unknown(struct stress *s, struct starget *t)
{
	size_t i = 0, j;
	struct sop op;

	while (i < t->m.nsect) {
		if (t->m.gen[i] != GEN_UNKNOWN) {
			i++;
			continue;
		}
		for (j = i; j < t->m.nsect && t->m.gen[j] == GEN_UNKNOWN &&
		     (j - i + 1) * SECTOR <= s->max_len; j++)
			;
		op = (struct sop){ .worker = -1, .index = s->checkpoints, .kind = SOP_FIX,
				   .ti = t - s->tg, .ei = -1, .bi = -1, .dir = DIR_WRITE,
				   .off = (off_t)i * SECTOR, .len = (j - i) * SECTOR, .slot = -1 };
		worker_run_one(&s->w[0], &op, 0);
		i = j;
	}
}

/* Read the whole area of every target and check it against the model. */
static int verify_all(struct stress *s, struct strbuf *diag)
{
	char *buf = s->w[0].chaos_buf;
	size_t i;
	off_t off;

	for (i = 0; i < s->ntg && !s->broken; i++) {
		struct starget *t = &s->tg[i];

		if (!s->replay)
			fix_unknown(s, t);
		char what[128];

		snprintf(what, sizeof(what), "target %s, read whole at a checkpoint",
			 t->t->ops->name);
		for (off = 0; off < t->area && !s->failed; off += VERIFY_CHUNK) {
			struct model_check mc = { .buf = buf, .off = off, .len = VERIFY_CHUNK,
						  .what = what };

			if (pread(t->fd, buf, VERIFY_CHUNK, off) != VERIFY_CHUNK) {
				sb_addf(diag, "io: checkpoint read of %s at %lld failed\n",
					t->t->ops->name, (long long)off);
				return 1;
			}
			if (model_check(&t->m, &mc, diag))
				return 1;
			s->bytes_cp_verified += mc.verified;
		}
	}
	return 0;
}

/* The checks in their order; the first that fails names itself. */
static void run_checks(struct stress *s)
{
	struct strbuf diag = { 0 };
	struct sop what = { .worker = -1, .index = s->checkpoints, .kind = SOP_FIX, .ei = -1,
			    .bi = -1, .slot = -1 };
	int bad;

	dist_quiesced(s);
	bad = check_pins(s, &diag);
	if (!bad) {
		sb_free(&diag);
		/* the log even after a data failure: its lines say why (the
		 * 6.1 guest lost a read into shm-ext4 pages with ext4's "does
		 * not have buffers attached" beside it) */
		bad = check_shared_reads(s, &diag);
		bad = check_log(s, &diag) || bad;
		bad = bad || verify_all(s, &diag);
	}
	if (bad) {
		char head[128];

		snprintf(head, sizeof(head), "checkpoint %llu at %.1f s failed:\n",
			 s->checkpoints + 1, now_sec() - s->t0);
		sb_addf(&s->cp_head, "%s", head);
		stress_failed(s, NULL, &what, &diag);
	}
	sb_free(&diag);
}

int checkpoint(struct stress *s, int final)
{
	char err[ERRLEN];

	if (!final && park_workers(s) < 0) {
		unpark_workers(s);
		return -1;	/* the watchdog reports the stuck worker */
	}
	pthread_rwlock_wrlock(&s->dist_rw);
	run_checks(s);
	if (pin_read(s->bed->vs, &s->pins0, err) < 0)
		stress_broke(s, err);
	s->checkpoints++;
	record_checkpoint(s);
	/* the middle of the run: half its time, or (--ops) the second checkpoint */
	if (s->rss_kb[1] <= 0 && (s->opt->stress.duration ? now_sec() - s->t0 >=
				  s->opt->stress.duration / 2 : s->checkpoints == 2))
		checkpoint_rss(s, 1);
	pthread_rwlock_unlock(&s->dist_rw);
	if (!final)
		unpark_workers(s);
	return 0;
}
