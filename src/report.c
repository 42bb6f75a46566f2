/* Reporting: TAP per case, progress, the per-path summary at the end. */
#include "report.h"
#include "report_json.h"
#include "registry.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int report_open(struct report *r, const struct bed *bed, size_t total, char *err)
{
	memset(r, 0, sizeof(*r));
	r->tap = stdout;
	r->err = stderr;
	r->total = total;
	r->progress = isatty(2);
	r->table = bed->opt->table;
	r->t0 = now_sec();
	options_shaping(bed->opt, &r->shaping);
	if (tally_init(&r->tally, total) < 0) {
		errf(err, "calloc");
		return -1;
	}
	if (bed->opt->json && report_json_open(r, bed, bed->opt->json, err) < 0)
		return -1;
	fprintf(r->tap, "TAP version 13\n1..%zu\n", total);
	fprintf(r->tap, "# iovbed %s: kernel profile %s%s, seed %llu, scratch %s\n",
		PACKAGE_VERSION, bed->prof.name, bed->prof.forced ? " (forced by --profile)" : "",
		(unsigned long long)bed->seed, bed->scratch.dir);
	fflush(r->tap);
	return 0;
}

static void tap_diag(FILE *f, const char *text)
{
	const char *nl;

	while (*text) {
		nl = strchr(text, '\n');
		fprintf(f, "# %.*s\n", nl ? (int)(nl - text) : (int)strlen(text), text);
		if (!nl)
			break;
		text = nl + 1;
	}
}

/* Everything a maintainer needs to see and replay a failed case. */
static void tap_failure(struct report *r, const struct bed *bed, const struct tcase *tc,
			const struct result *res)
{
	FILE *f = r->tap;
	char tags[256];

	fprintf(f, "# case %s: seed %llu, file offset %lld, %zu bytes at buffer +%zu, "
		"%s expected\n", tc->id, (unsigned long long)res->seed, (long long)res->file_off,
		tc->v.size, tc->v.bufoff, flavour_name(case_flavour(tc, &bed->prof.v)));
	if (case_tags(tc, tags, sizeof(tags)))
		fprintf(f, "# tag: %s\n", tags);
	if (tc->t)
		fprintf(f, "# path: %s (%s: %s)\n", path_class_name(bed->targets[tc->ti].found.path),
			bed->targets[tc->ti].found.fs, bed->targets[tc->ti].found.how);
	fprintf(f, "# pins over the case: acquired %+lld released %+lld", res->pins.acquired,
		res->pins.released);
	if (tc->kind == CASE_IO && (tc->e->flags & ENG_REGISTERS))
		fprintf(f, "; at registration %+lld/%+lld; during the IO %+lld",
			res->reg.acquired, res->reg.released, res->io.acquired);
	fprintf(f, "\n");
	tap_diag(f, sb_str(&res->diag));
	fprintf(f, "# reproduce: %s run --seed %llu --filter '%s'%s\n", bed->self,
		(unsigned long long)bed->seed, tc->id, sb_str(&r->shaping));
}

/* The case's flavour: observed where, or why it is only declared. */
static void tap_observed(FILE *f, const struct result *res)
{
	const struct obs_result *o = &res->obs;

	if (res->failed & CHK_FLAVOUR)
		fprintf(f, "# flavour %s: declared, contradicted at %s\n", flavour_name(o->declared),
			o->where);
	else if (o->declared == ITER_NONE)
		fprintf(f, "# flavour none: observed: %s\n", o->where);
	else
		fprintf(f, "# flavour %s: observed at %s\n", flavour_name(o->declared), o->where);
	if (o->xport_seen)
		fprintf(f, "# transport: observed at %s\n", o->xport_where);
}

static void tap_flavour(FILE *f, const struct result *res)
{
	const struct obs_result *o = &res->obs;

	if (!o->set)
		return;		/* not run as far as its IO */
	if (o->state == OBSV_OBSERVED)
		tap_observed(f, res);
	else if (o->state == OBSV_UNOBSERVABLE)
		fprintf(f, "# flavour %s: declared; %s\n", flavour_name(o->declared), o->why);
	else
		fprintf(f, "# flavour %s: %s\n", flavour_name(o->declared), o->why);
}

static void tap_case(struct report *r, const struct bed *bed, const struct tcase *tc,
		     const struct result *res)
{
	FILE *f = r->tap;

	switch (res->out) {
	case OUT_PASS:
		fprintf(f, "ok %zu %s\n", r->done, tc->id);
		break;
	case OUT_SKIP:
		fprintf(f, "ok %zu %s # SKIP %s\n", r->done, tc->id, res->reason);
		break;
	case OUT_BROKEN:
		fprintf(f, "not ok %zu %s # BROKEN test bed: %s\n", r->done, tc->id, res->reason);
		break;
	case OUT_XFAIL:
		fprintf(f, "not ok %zu %s # TODO known kernel limitation: %s\n", r->done, tc->id,
			res->reason);
		break;
	case OUT_FAIL:
		fprintf(f, "not ok %zu %s\n", r->done, tc->id);
		break;
	}
	tap_flavour(f, res);
	if (res->out == OUT_FAIL || res->out == OUT_XFAIL)
		tap_failure(r, bed, tc, res);
	fflush(f);
}

void report_case(struct report *r, const struct bed *bed, const struct tcase *tc,
		 const struct result *res)
{
	r->done++;
	tally_case(&r->tally, bed, tc, res);
	if (r->progress) {	/* stdout may be the same terminal: no line may mix */
		fputs("\r\033[K", r->err);
		fflush(r->err);
	}
	tap_case(r, bed, tc, res);
	if (r->json)
		report_json_case(r, bed, tc, res);
	if (r->progress) {
		fprintf(r->err, "[%zu/%zu] %s %s", r->done, r->total, outcome_name(res->out),
			tc->id);
		fflush(r->err);
	}
}

static const char *short_flavour(enum flavour f)
{
	const char *s = flavour_name(f);

	return strncmp(s, "ITER_", 5) ? s : s + 5;
}

/* --table: target x engine, with the flavour each builds on this kernel. */
static void print_table(struct report *r, const struct bed *bed)
{
	FILE *e = r->err;
	size_t i;

	fprintf(e, "%-12s %-14s %-10s %5s %5s %5s %5s %5s  %-7s %-8s %-7s %-5s\n", "target",
		"engine", "flavour", "pass", "fail", "skip", "brkn", "todo", "pinned", "balanced",
		"dirtied", "data");
	for (i = 0; i < r->tally.npaths; i++) {
		struct path_sum *p = &r->tally.paths[i];

		fprintf(e, "%-12s %-14s %-10s %5zu %5zu %5zu %5zu %5zu  %-7s %-8s %-7s %-5s\n",
			p->target, p->method, short_flavour(p->flavour(&bed->prof.v)),
			p->pass, p->fail, p->skip, p->broken, p->xfail, path_sum_pinned(p),
			yes_no(p->balanced, p->unbalanced), yes_no(p->dirty_yes, p->dirty_no),
			p->data_bad ? "BAD" : (p->data_ok ? "ok" : "-"));
	}
	fprintf(e, "todo: failures the kernel is known to have (TAP TODO, reason on the case's "
		"line)\n\n");
}

static size_t target_ran(const struct report *r, const char *target)
{
	size_t j, ran = 0;

	for (j = 0; j < r->tally.npaths; j++)
		ran += strcmp(r->tally.paths[j].target, target) ? 0 : r->tally.paths[j].ran;
	return ran;
}

/* Handed-over targets: what was found under them; re-wrapping transports. */
static void print_targets(struct report *r, const struct bed *bed)
{
	size_t i;

	for (i = 0; i < target_count; i++) {
		const struct target *t = &bed->targets[i];

		if (!target_ran(r, t->ops->name))
			continue;
		if (t->ops->user)
			fprintf(r->err, "%s: %s: %s, %s path (%s)\n", t->ops->name, t->info,
				t->found.fs, path_class_name(t->found.path), t->found.how);
		if (*t->measured)
			fprintf(r->err, "%s: measured at set-up: %s\n", t->ops->name, t->measured);
		if (t->ops->transport && t->ops->transport(&bed->prof.v) != ITER_NONE)
			fprintf(r->err, "%s: the IO reaches the transport as %s (%s)\n",
				t->ops->name, flavour_name(t->ops->transport(&bed->prof.v)),
				t->ops->transport_how);
	}
}

/* One verdict per path, from the user-buffer cases; none where the path
 * is unknown: its pins are measured, not judged. */
static void print_verdicts(struct report *r, const struct bed *bed)
{
	size_t i;

	for (i = 0; i < PATH_COUNT; i++) {
		size_t y = r->tally.conv_pinned[i], n = r->tally.conv_unpinned[i];
		enum path_class pc = (enum path_class)i;

		if (!y && !n)
			continue;
		if (pc == PATH_UNKNOWN) {
			fprintf(r->err, "unknown path: %zu of %zu user-buffer cases pinned; pins "
				"measured, no expectation and no verdict (iovbed does not know "
				"that filesystem's direct-IO path)\n", y, y + n);
			continue;
		}
		if (pc == PATH_COPY) {
			fprintf(r->err, "copy (no direct IO path): %zu of %zu user-buffer cases "
				"pinned; copying never pins\n", y, y + n);
			continue;
		}
		fprintf(r->err, "%s direct IO: %s (%zu of %zu user-buffer cases pinned); profile %s "
			"expects %s\n", path_class_name(pc),
			!n ? "converted (FOLL_PIN)" : !y ? "not converted" : "MIXED", y, y + n,
			bed->prof.name, profile_path_pins(&bed->prof, pc) ? "converted" :
			"not converted");
	}
}

/* Per path, what its held cases showed: pins held while in flight,
 * re-dirtied after completion, COW after fork, the error path balanced. */
static void print_inflight(struct report *r)
{
	const struct tally *t = &r->tally;
	size_t i, k, any = 0;

	for (i = 0; i < PATH_COUNT; i++) {
		for (k = any = 0; k < INF_COUNT; k++)
			any += t->inflight[i][k][0] + t->inflight[i][k][1];
		if (!any)
			continue;
		fprintf(r->err, "%s in flight:", path_class_name((enum path_class)i));
		for (k = 0; k < INF_COUNT; k++) {
			size_t y = t->inflight[i][k][1], n = t->inflight[i][k][0];

			if (k == INF_GUP && !(y + n))
				continue;	/* nothing observable */
			fprintf(r->err, "%s %s %s", k ? "," : "", inflight_verdict_name[k], yes_no(y, n));
			if (y + n)
				fprintf(r->err, " (%zu/%zu)", y, y + n);
			if (k == INF_GUP && y + n)
				fprintf(r->err, " [FOLL_GET in %zu, FOLL_PIN in %zu]", t->inflight_got[i],
					t->inflight_pinned[i]);
		}
		if (t->inflight_copied[i])
			fprintf(r->err, "; %zu held IOs copied through the page cache not counted",
				t->inflight_copied[i]);
		fprintf(r->err, "\n");
	}
}

/* Per path, how IOs from buffers GUP cannot take whole ended: what the
 * kernel answers a fault in the middle of a buffer with. */
static void print_faults(struct report *r)
{
	static const char *const how[FO_COUNT] = { "EFAULT", "a short count", "0 bytes",
						    "registration refused" };
	const struct tally *t = &r->tally;
	size_t i, k, n;

	for (i = 0; i < PATH_COUNT; i++) {
		for (k = n = 0; k < FO_COUNT; k++)
			n += t->fault_end[i][k];
		if (!n)
			continue;
		fprintf(r->err, "%s, GUP failing part-way:", path_class_name((enum path_class)i));
		for (k = n = 0; k < FO_COUNT; k++)
			if (t->fault_end[i][k])
				fprintf(r->err, "%s %s %zu", n++ ? "," : "", how[k], t->fault_end[i][k]);
		if (t->fault_copied[i])
			fprintf(r->err, " (%zu copied through the page cache)", t->fault_copied[i]);
		fprintf(r->err, "; prefix pins released, data right, nothing past the fault touched\n");
	}
}

/* Per path, the actions its IO survived held by userfaultfd on its
 * buffer: "fork 7/7" (survived of those that ran). */
static void print_uffd(struct report *r)
{
	const struct tally *t = &r->tally;
	size_t i, k, n;
	int wp;

	for (i = 0; i < PATH_COUNT; i++) {
		for (k = n = 0; k < action_count && k < UFFD_ACTIONS_MAX; k++)
			for (wp = 0; wp < 2; wp++)
				n += t->uffd[i][k][wp][0] + t->uffd[i][k][wp][1];
		if (!n)
			continue;
		fprintf(r->err, "%s, held by userfaultfd:", path_class_name((enum path_class)i));
		for (k = n = 0; k < action_count && k < UFFD_ACTIONS_MAX; k++)
			for (wp = 0; wp < 2; wp++) {
				size_t y = t->uffd[i][k][wp][1], no = t->uffd[i][k][wp][0];

				if (y + no)
					fprintf(r->err, "%s %s%s %zu/%zu", n++ ? "," : "", wp ? "wp-" : "",
						action_table[k]->name, y, y + no);
			}
		fprintf(r->err, " (survived/ran)\n");
	}
}

/* Per path: were its flavours observed, or only declared, and why. */
static void print_observed(struct report *r)
{
	static const char *const paths_any = "regressions (no target)";
	const struct tally *t = &r->tally;
	int i, f;

	for (i = 0; i <= PATH_COUNT; i++) {
		const size_t *n = t->obs[i];
		size_t all = n[OBSV_DECLARED] + n[OBSV_UNOBSERVABLE] + n[OBSV_OBSERVED] +
			     n[OBSV_BROKEN];

		if (!all)
			continue;
		fprintf(r->err, "%s flavours: %s (%zu of %zu cases observed%s%s)\n",
			i == PATH_COUNT ? paths_any : path_class_name((enum path_class)i),
			n[OBSV_OBSERVED] == all ? "observed" : n[OBSV_OBSERVED] ? "observed in part" :
			"declared", n[OBSV_OBSERVED], all, t->obs_why[i][0] ? "; " : "",
			t->obs_why[i]);
	}
	for (f = 0; f < ITER_NONE; f++)
		if (t->flav_case[f][0])
			fprintf(r->err, "observed %s: %s at %s\n", flavour_name(f), t->flav_case[f],
				t->flav_where[f]);
}

static void print_lists(struct report *r)
{
	FILE *e = r->err;
	size_t i;

	for (i = 0; i < r->tally.nskips; i++)
		fprintf(e, "skipped %zu (%.*s): %s\n", r->tally.skips[i].n,
			(int)strlen(r->tally.skips[i].targets) - 2, r->tally.skips[i].targets + 1,
			r->tally.skips[i].reason);
	if (r->tally.fail + r->tally.broken)
		fprintf(e, "failed or broken (%zu; the TAP lines above have the details and a "
			"reproduce line):\n%s%s", r->tally.fail + r->tally.broken, sb_str(&r->tally.failed),
			r->tally.fail + r->tally.broken > LIST_SHOWN ? "  ...\n" : "");
	if (r->tally.xfail)
		fprintf(e, "known kernel limitations (%zu, TAP TODO):\n%s%s", r->tally.xfail,
			sb_str(&r->tally.todo), r->tally.xfail > LIST_SHOWN ? "  ...\n" : "");
}

/* Where the set-up time went: the targets set up more than once (anew
 * after a cut) or that took longest. */
static void print_setups(struct report *r, const struct bed *bed)
{
	size_t i, n = 0;

	for (i = 0; i < target_count; i++) {
		const struct target *t = &bed->targets[i];

		if (!t->setups || (t->setups < 2 && t->setup_secs < 1.0))
			continue;
		fprintf(r->err, "%s%s %u x %.1f s", n++ ? ", " : "set-ups: ", t->ops->name, t->setups,
			t->setup_secs);
	}
	if (n)
		fprintf(r->err, "\n");
}

void report_close(struct report *r, const struct bed *bed, int interrupted)
{
	FILE *e = r->err;
	struct kver run = bed->prof.v;

	if (r->progress)
		fprintf(e, "\r\033[K");
	if (bed->prof.forced)	/* the profile is another kernel's: name this one */
		kver_running(&run);
	fprintf(e, "\niovbed: kernel %d.%d.%d, profile %s%s, seed %llu\n", run.major, run.minor,
		run.patch, bed->prof.name, bed->prof.forced ? " (forced)" : "",
		(unsigned long long)bed->seed);
	if (r->table)
		print_table(r, bed);
	print_targets(r, bed);
	print_verdicts(r, bed);
	print_inflight(r);
	print_faults(r);
	print_uffd(r);
	print_observed(r);
	print_lists(r);
	fprintf(e, "times: set-up %.1f s, cases %.1f s, teardown %.1f s (%.1f s in all)\n",
		bed->secs_setup, r->tally.secs_cases, bed->secs_teardown, now_sec() - bed->t_start);
	print_setups(r, bed);
	fprintf(e, "%zu cases: %zu passed, %zu failed, %zu skipped, %zu broken, %zu known kernel "
		"limitations%s\n", r->done, r->tally.pass, r->tally.fail, r->tally.skip, r->tally.broken, r->tally.xfail,
		interrupted ? " (interrupted)" : "");
	if (interrupted)
		fprintf(r->tap, "# interrupted after %zu of %zu cases\n", r->done, r->total);
	if (r->json)
		report_json_close(r, bed, interrupted);
	tally_free(&r->tally);
	sb_free(&r->shaping);
}

int report_exit_code(const struct report *r)
{
	if (r->tally.fail)
		return 1;
	if (r->tally.broken)
		return 99;
	if (!r->tally.pass)
		return 77;
	return 0;
}
