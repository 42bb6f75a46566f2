/* What a stress run says: its set-up, a progress line once a second on a
 * terminal, a failure with everything needed to replay it, the summary
 * per op kind, per target and per disturber, and --json. */
#include "stress.h"
#include "registry.h"
#include "report_json.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static double mb(unsigned long long bytes)
{
	return bytes / 1e6;
}

static void caps_text(unsigned caps, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s%s%s", caps & CAP_PUNCH ? " punch" : "",
		 caps & CAP_ZERO ? " zero" : "", caps & CAP_TRUNCATE ? " truncate" : "",
		 caps & CAP_MMAP ? " mmap" : "",
		 caps & CAP_NO_RA ? " (buffered and mmap without readahead)" : "");
}

void report_start(struct stress *s)
{
	char caps[128];
	size_t i;

	if (s->replay)
		fprintf(stderr, "stress: seed %llu, replaying %s in one thread\n",
			(unsigned long long)s->bed->seed, s->opt->stress.replay);
	else
		fprintf(stderr, "stress: seed %llu, %d worker%s, depth %u, %zu rows, checkpoints "
			"every %.1f s, for %.0f s%s\n", (unsigned long long)s->bed->seed,
			s->nworkers, s->nworkers > 1 ? "s" : "", s->depth, s->nrows,
			s->opt->stress.checkpoint, s->opt->stress.duration,
			s->opt->stress.ops ? " or until --ops" : "");
	for (i = 0; i < s->ntg; i++) {
		caps_text(s->tg[i].caps, caps, sizeof(caps));
		fprintf(stderr, "stress: target %s: %s; besides direct IO:%s\n",
			s->tg[i].t->ops->name, s->tg[i].t->info, *caps ? caps : " nothing");
	}
	for (i = 0; i < s->ndist; i++)
		fprintf(stderr, "stress: disturber %s: %s%s%s\n", s->dist[i].d->name,
			s->dist[i].state == SETUP_READY ? "on" : s->dist[i].state == SETUP_SKIP ?
			"SKIP " : "BROKEN ", s->dist[i].state == SETUP_READY ? "" : s->dist[i].why,
			s->dist[i].state == SETUP_READY && s->dist[i].d->needs_swap && *s->swap ?
			" (with the run's swap file)" : "");
	if (*s->swap)
		fprintf(stderr, "stress: swap file %s (256 MiB), removed at the end\n", s->swap);
}

void report_progress(struct stress *s, int final)
{
	double t = now_sec() - s->t0;

	if (!isatty(2))
		return;
	if (final) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	fprintf(stderr, "\r%5.0f s  ops %llu (%.0f/s)  moved %.0f MB/s  verified %.0f MB/s  "
		"failures %d\033[K", t, (unsigned long long)atomic_load(&s->ops_started),
		t > 0 ? atomic_load(&s->ops_started) / t : 0, t > 0 ? mb(s->bytes_moved) / t : 0,
		t > 0 ? mb(s->bytes_verified) / t : 0, s->failed);
}

/* " OPT 'value'" on f. */
static void shell_quote(FILE *f, const char *opt, const char *v)
{
	struct strbuf sb = { 0 };

	shell_word(&sb, opt, v);
	fputs(sb_str(&sb), f);
	sb_free(&sb);
}

/* The options that chose the targets and shaped the run. */
static void shaping(const struct stress *s, FILE *f)
{
	struct strbuf sb = { 0 };
	int i;

	for (i = 0; i < s->opt->nfilters; i++)
		shell_quote(f, "--filter", s->opt->filters[i]);
	options_shaping(s->opt, &sb);
	fputs(sb_str(&sb), f);
	sb_free(&sb);
}

/* The replayable disturbers of the run (faults keyed to an offset). */
static void replay_disturb(const struct stress *s, FILE *f)
{
	size_t i;
	int n = 0;

	for (i = 0; i < s->ndist; i++)
		if (s->dist[i].d->replayable)
			fprintf(f, "%s%s", n++ ? "," : " --disturb ", s->dist[i].d->name);
}

static void rerun_line(const struct stress *s, FILE *f)
{
	const struct stress_opts *so = &s->opt->stress;

	fprintf(f, "rerun: %s stress --seed %llu --workers %d --depth %u", s->bed->self,
		(unsigned long long)s->bed->seed, s->nworkers, s->depth);
	if (so->ops)
		fprintf(f, " --ops %llu", so->ops);
	else
		fprintf(f, " --duration %.0f", so->duration);
	if (so->mix)
		shell_quote(f, "--mix", so->mix);
	if (so->chaos != STRESS_CHAOS_DEFAULT)
		fprintf(f, " --chaos %d", so->chaos);
	if (so->checkpoint != STRESS_CHECKPOINT_DEFAULT)
		fprintf(f, " --checkpoint %.9g", so->checkpoint);
	if (so->disturb)
		shell_quote(f, "--disturb", so->disturb);
	shaping(s, f);
	fputc('\n', f);
}

void report_failure(struct stress *s)
{
	struct stress_fail *fl = &s->fail;
	char line[OPLINE];
	unsigned i;

	if (fl->worker >= 0) {
		sop_format(s, &fl->op, line, sizeof(line));
		fprintf(stderr, "FAIL: seed %llu, worker %d, op #%llu: %s\n",
			(unsigned long long)s->bed->seed, fl->worker, fl->op.index, line);
	} else {
		fprintf(stderr, "FAIL: seed %llu, %s", (unsigned long long)s->bed->seed,
			*sb_str(&s->cp_head) ? sb_str(&s->cp_head) : "\n");
	}
	fputs(sb_str(&fl->diag), stderr);
	if (fl->nlast)
		fprintf(stderr, "the last %u ops of worker %d, oldest first:\n", fl->nlast, fl->worker);
	for (i = 0; i < fl->nlast; i++)
		fprintf(stderr, "  %s\n", fl->last[i]);
	if (fl->worker >= 0 && !s->replay && *s->record_path) {
		fprintf(stderr, "replay: %s stress --replay '%s'", s->bed->self, s->record_path);
		replay_disturb(s, stderr);
		shaping(s, stderr);
		fputc('\n', stderr);
	}
	if (!s->replay)
		rerun_line(s, stderr);
}

static void errnos(const struct stally *t, FILE *f)
{
	int k;

	for (k = 0; k < ERRNO_SLOTS && t->errnos[k]; k++)
		fprintf(f, "%s%s %llu", k ? ", " : "", strerrorname_np(t->errnos[k]), t->errs[k]);
	if (!k)
		fputc('-', f);
}

static void tally_row(const char *name, const struct stally *t, FILE *f)
{
	fprintf(f, "  %-14s %10llu %10.1f %8llu %7llu  ", name, t->ops, mb(t->bytes), t->failures,
		t->hit);
	errnos(t, f);
	fputc('\n', f);
}

static void tallies(const struct stress *s, FILE *f)
{
	size_t i;

	fprintf(f, "  %-14s %10s %10s %8s %7s  %s\n", "op kind", "ops", "MB", "failures", "hit",
		"errors by errno");
	for (i = 0; i < SOP_COUNT; i++)
		if (s->kinds[i].ops)
			tally_row(sop_names[i], &s->kinds[i], f);
	fprintf(f, "  %-14s %10s %10s %8s %7s  %s\n", "target", "ops", "MB", "failures", "hit",
		"errors by errno");
	for (i = 0; i < s->ntg; i++)
		tally_row(s->tg[i].t->ops->name, &s->tg[i].tally, f);
}

static void disturbers(const struct stress *s, FILE *f)
{
	size_t i;

	for (i = 0; i < s->ndist; i++) {
		const struct sdist *sd = &s->dist[i];
		const char *st = sd->state == SETUP_SKIP ? "SKIP" : sd->state == SETUP_BROKEN ?
			"BROKEN" : "achieved";

		fprintf(f, "  %-12s %s: ", sd->d->name, st);
		if (*sb_str(&sd->effect))
			fprintf(f, "%s", sb_str(&sd->effect));
		if (*sb_str(&sd->effect) && sd->d->period_ms)
			fprintf(f, " (%llu steps)", sd->steps);
		if (*sb_str(&sd->effect))
			fprintf(f, "%s%s", sd->achieved ? "" : "; achieved nothing",
				sd->errors ? "; " : "");
		if (sd->state == SETUP_SKIP || sd->errors)
			fputs(sd->why, f);
		if (sd->state != SETUP_SKIP && sd->d->allows)
			fprintf(f, "; an op it hits may end with %s", sd->d->allows);
		fputc('\n', f);
	}
}

void report_summary(struct stress *s, int interrupted)
{
	double t = s->secs > 0 ? s->secs : 1e-9;
	unsigned long long ops = s->kinds[SOP_DIRECT].ops;
	size_t i;

	for (ops = 0, i = 0; i < SOP_COUNT; i++)
		ops += s->kinds[i].ops;
	fprintf(stderr, "stress: %.1f s, %llu ops (%.0f/s); moved %.1f MB (%.1f MB/s); verified "
		"%.1f MB by the ops (%.1f MB/s) and %.1f MB at checkpoints; not judged %.1f MB "
		"(chaos, disturbed)\n", s->secs, ops, ops / t, mb(s->bytes_moved),
		mb(s->bytes_moved) / t, mb(s->bytes_verified), mb(s->bytes_verified) / t,
		mb(s->bytes_cp_verified), mb(s->bytes_unjudged));
	tallies(s, stderr);
	if (s->ndist)
		fprintf(stderr, "disturbers (effect from the kernel's counters over the run):\n");
	disturbers(s, stderr);
	fprintf(stderr, "checkpoints: %llu%s\n", s->checkpoints, !s->checkpoints ? "" :
		s->failed && s->fail.worker < 0 ? "; the last one failed" :
		"; at each the pins balanced (counted machine-wide, /proc/vmstat), the log and taint "
		"were clean, MAP_SHARED reads were in their files and every region verified");
	fprintf(stderr, "memory: RSS %ld kB at the start, %ld kB in the middle, %ld kB at the "
		"end, %ld kB at its peak\n", s->rss_kb[0], s->rss_kb[1] > 0 ? s->rss_kb[1] :
		s->rss_kb[2], s->rss_kb[2], s->rss_peak_kb);
	if (s->broken)
		fprintf(stderr, "stress: test bed broken: %s\n", s->broken_why);
	fprintf(stderr, "stress: %s\n", interrupted ? "interrupted" : s->failed ? "FAIL" :
		stress_exit_code(s, 0) == 99 ? "BROKEN" : "PASS");
}

int stress_exit_code(const struct stress *s, int interrupted)
{
	size_t i;

	if (interrupted)
		return 128 + stop_signal;
	if (s->failed)
		return 1;
	if (s->broken)
		return 99;
	for (i = 0; i < s->ndist; i++)
		if (s->dist[i].state == SETUP_BROKEN)
			return 99;
	return 0;
}
