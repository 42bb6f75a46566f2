/* Reporting: TAP per case, progress, the per-path summary at the end. */
#include "report.h"
#include "report_json.h"
#include "action.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIST_MAX 20	/* ids listed per kind in the summary */

const char *outcome_name(enum outcome o)
{
	static const char *const names[] = { "pass", "fail", "skip", "broken", "xfail" };

	return names[o];
}

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
	r->paths = calloc(target_count * engine_count, sizeof(*r->paths));
	if (!r->paths) {
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

static struct path_sum *path_of(struct report *r, const struct tcase *tc)
{
	struct path_sum *p = &r->paths[tc->ti * engine_count + tc->ei];

	p->t = tc->t;
	p->e = tc->e;
	return p;
}

/* A case that says whether its path pins: user pages handed to the IO
 * itself (not registered, not kernel pages), the path's own expectation. */
static int counts_for_conversion(const struct bed *bed, const struct tcase *tc)
{
	const struct target *t = &bed->targets[tc->ti];
	const char *why;

	if (tc->e->registers || tc->e->kernel_pages || tc->e->kernel || tc->e->scenario ||
	    tc->t->no_file || t->found.path >= PATH_COUNT)
		return 0;
	return !t->found.pins_rule || t->found.pins_rule(&bed->prof.v, tc->dir, tc->b, &why) < 0;
}

static void tally_skip(struct report *r, const struct tcase *tc, const char *reason)
{
	struct skip_group *g;
	char word[40];
	size_t i;

	for (i = 0; i < r->nskips; i++)
		if (!strncmp(r->skips[i].reason, reason, sizeof(r->skips[i].reason) - 1))
			break;
	if (i == r->nskips) {
		if (r->nskips == SKIP_GROUPS)
			i--;	/* the last group takes the rest */
		else
			r->nskips++;
		snprintf(r->skips[i].reason, sizeof(r->skips[i].reason), "%.159s", reason);
	}
	g = &r->skips[i];
	g->n++;
	snprintf(word, sizeof(word), " %s,", tc->t->name);
	if (!strstr(g->targets, word) && strlen(g->targets) + strlen(word) < sizeof(g->targets))
		strcat(g->targets, word);
}

static void list_id(struct strbuf *sb, size_t nth, const char *id)
{
	if (nth <= LIST_MAX)
		sb_addf(sb, "  %s\n", id);
}

static void tally_outcome(struct report *r, struct path_sum *p, const struct tcase *tc,
			  const struct result *res)
{
	switch (res->out) {
	case OUT_PASS: r->pass++; p->pass++; break;
	case OUT_FAIL: p->fail++; list_id(&r->failed, ++r->fail + r->broken, tc->id); break;
	case OUT_SKIP: r->skip++; p->skip++; tally_skip(r, tc, res->reason); break;
	case OUT_BROKEN: p->broken++; list_id(&r->failed, r->fail + ++r->broken, tc->id); break;
	case OUT_XFAIL: p->xfail++; list_id(&r->todo, ++r->xfail, tc->id); break;
	}
}

static void tally(struct report *r, const struct bed *bed, const struct tcase *tc,
		  const struct result *res)
{
	struct path_sum *p = path_of(r, tc);

	tally_outcome(r, p, tc, res);
	r->secs_cases += res->secs;
	if (res->out != OUT_PASS && res->out != OUT_FAIL)
		return;
	p->ran++;
	if (res->refused) {
		p->refused++;
		return;
	}
	*(res->pinned ? &p->pinned : &p->unpinned) += 1;
	if (counts_for_conversion(bed, tc))
		(res->pinned ? r->conv_pinned : r->conv_unpinned)[bed->targets[tc->ti].found.path]++;
	*(res->balanced ? &p->balanced : &p->unbalanced) += 1;
	if (res->dirtied == 1)
		p->dirty_yes++;
	else if (res->dirtied == 0)
		p->dirty_no++;
	*(res->data_ok ? &p->data_ok : &p->data_bad) += 1;
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
	const struct action_spec *sp = action_spec(tc->action);

	fprintf(f, "# case %s: seed %llu, file offset %lld, %zu bytes at buffer +%zu, "
		"%s expected\n", tc->id, (unsigned long long)res->seed, (long long)res->file_off,
		tc->v.size, tc->v.bufoff, flavour_name(tc->e->flavour(&bed->prof.v)));
	if (tc->e->tag || (sp && sp->tag))
		fprintf(f, "# tag: %s\n", tc->e->tag ? tc->e->tag : sp->tag);
	fprintf(f, "# path: %s (%s: %s)\n", path_class_name(bed->targets[tc->ti].found.path),
		bed->targets[tc->ti].found.fs, bed->targets[tc->ti].found.how);
	fprintf(f, "# pins over the case: acquired %+lld released %+lld", res->pins.acquired,
		res->pins.released);
	if (tc->e->registers)
		fprintf(f, "; at registration %+lld/%+lld; during the IO %+lld",
			res->reg.acquired, res->reg.released, res->io.acquired);
	fprintf(f, "\n");
	tap_diag(f, sb_str(&res->diag));
	fprintf(f, "# reproduce: %s run --seed %llu --filter '%s'%s\n", bed->self,
		(unsigned long long)bed->seed, tc->id, sb_str(&r->shaping));
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
		tap_failure(r, bed, tc, res);
		break;
	case OUT_FAIL:
		fprintf(f, "not ok %zu %s\n", r->done, tc->id);
		tap_failure(r, bed, tc, res);
		break;
	}
	fflush(f);
}

void report_case(struct report *r, const struct bed *bed, const struct tcase *tc,
		 const struct result *res)
{
	r->done++;
	tally(r, bed, tc, res);
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

const char *yes_no(size_t yes, size_t no)
{
	if (!yes && !no)
		return "-";
	if (!no)
		return "yes";
	if (!yes)
		return "no";
	return "MIXED";
}

const char *path_sum_pinned(const struct path_sum *p)
{
	if (p->e->registers && p->refused && !p->pinned && !p->unpinned)
		return "refused";
	return yes_no(p->pinned, p->unpinned);
}

/* --table: target x engine, with the flavour each builds on this kernel. */
static void print_table(struct report *r, const struct bed *bed)
{
	FILE *e = r->err;
	size_t i;

	fprintf(e, "%-12s %-14s %-10s %5s %5s %5s %5s %5s  %-7s %-8s %-7s %-5s\n", "target",
		"engine", "flavour", "pass", "fail", "skip", "brkn", "todo", "pinned", "balanced",
		"dirtied", "data");
	for (i = 0; i < target_count * engine_count; i++) {
		struct path_sum *p = &r->paths[i];

		if (!p->t)
			continue;
		fprintf(e, "%-12s %-14s %-10s %5zu %5zu %5zu %5zu %5zu  %-7s %-8s %-7s %-5s\n",
			p->t->name, p->e->name, short_flavour(p->e->flavour(&bed->prof.v)),
			p->pass, p->fail, p->skip, p->broken, p->xfail, path_sum_pinned(p),
			yes_no(p->balanced, p->unbalanced), yes_no(p->dirty_yes, p->dirty_no),
			p->data_bad ? "BAD" : (p->data_ok ? "ok" : "-"));
	}
	fprintf(e, "todo: failures the kernel is known to have (TAP TODO, reason on the case's "
		"line)\n\n");
}

static size_t target_ran(const struct report *r, size_t ti)
{
	size_t j, ran = 0;

	for (j = 0; j < engine_count; j++)
		ran += r->paths[ti * engine_count + j].ran;
	return ran;
}

/* Handed-over targets: what was found under them; re-wrapping transports. */
static void print_targets(struct report *r, const struct bed *bed)
{
	size_t i;

	for (i = 0; i < target_count; i++) {
		const struct target *t = &bed->targets[i];

		if (!target_ran(r, i))
			continue;
		if (t->ops->user_given)
			fprintf(r->err, "%s: %s: %s, %s path (%s)\n", t->ops->name, t->info,
				t->found.fs, path_class_name(t->found.path), t->found.how);
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
		size_t y = r->conv_pinned[i], n = r->conv_unpinned[i];
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

static void print_lists(struct report *r)
{
	FILE *e = r->err;
	size_t i;

	for (i = 0; i < r->nskips; i++)
		fprintf(e, "skipped %zu (%.*s): %s\n", r->skips[i].n,
			(int)strlen(r->skips[i].targets) - 2, r->skips[i].targets + 1,
			r->skips[i].reason);
	if (r->fail + r->broken)
		fprintf(e, "failed or broken (%zu; the TAP lines above have the details and a "
			"reproduce line):\n%s%s", r->fail + r->broken, sb_str(&r->failed),
			r->fail + r->broken > LIST_MAX ? "  ...\n" : "");
	if (r->xfail)
		fprintf(e, "known kernel limitations (%zu, TAP TODO):\n%s%s", r->xfail,
			sb_str(&r->todo), r->xfail > LIST_MAX ? "  ...\n" : "");
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
	print_lists(r);
	fprintf(e, "times: set-up %.1f s, cases %.1f s, teardown %.1f s (%.1f s in all)\n",
		bed->secs_setup, r->secs_cases, bed->secs_teardown, now_sec() - bed->t_start);
	fprintf(e, "%zu cases: %zu passed, %zu failed, %zu skipped, %zu broken, %zu known kernel "
		"limitations%s\n", r->done, r->pass, r->fail, r->skip, r->broken, r->xfail,
		interrupted ? " (interrupted)" : "");
	if (interrupted)
		fprintf(r->tap, "# interrupted after %zu of %zu cases\n", r->done, r->total);
	if (r->json)
		report_json_close(r, bed, interrupted);
	free(r->paths);
	r->paths = NULL;
	sb_free(&r->shaping);
	sb_free(&r->failed);
	sb_free(&r->todo);
}

int report_exit_code(const struct report *r)
{
	if (r->fail)
		return 1;
	if (r->broken)
		return 99;
	if (!r->pass)
		return 77;
	return 0;
}
