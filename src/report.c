/* Reporting: TAP per case, the per-path conversion report, JSON. */
#include "report.h"
#include "action.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct path_sum {
	const struct target_ops *t;
	const struct engine_ops *e;
	size_t ran, pass, fail, skip, broken, xfail;
	size_t pinned, unpinned, balanced, unbalanced;
	size_t dirty_yes, dirty_no, data_ok, data_bad, refused;
};

static const char *outcome_name(enum outcome o)
{
	static const char *const names[] = { "pass", "fail", "skip", "broken", "xfail" };

	return names[o];
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int report_open(struct report *r, const struct bed *bed, size_t total, const char *json_path,
		char *err)
{
	memset(r, 0, sizeof(*r));
	r->tap = stdout;
	r->err = stderr;
	r->total = total;
	r->progress = isatty(2);
	r->t0 = now_sec();
	r->paths = calloc(target_count * engine_count, sizeof(*r->paths));
	if (!r->paths) {
		errf(err, "calloc");
		return -1;
	}
	if (json_path) {
		r->json = fopen(json_path, "we");
		if (!r->json) {
			errf(err, "--json %s", json_path);
			return -1;
		}
		fprintf(r->json, "{\n  \"tool\": \"iovbed %s\",\n  \"kernel\": \"%d.%d.%d\",\n"
			"  \"profile\": \"%s\",\n  \"seed\": %llu,\n  \"cases\": [",
			PACKAGE_VERSION, bed->prof.v.major, bed->prof.v.minor, bed->prof.v.patch,
			bed->prof.name, (unsigned long long)bed->seed);
	}
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
static int counts_for_conversion(const struct kver *v, const struct tcase *tc)
{
	const char *why;

	if (tc->e->registers || tc->e->kernel_pages || tc->e->kernel || tc->e->scenario ||
	    tc->t->no_file || tc->t->path == PATH_COPY || tc->t->path >= PATH_COUNT)
		return 0;
	return !tc->t->pins_expected || tc->t->pins_expected(v, tc->dir, tc->b, &why) < 0;
}

static void tally(struct report *r, const struct kver *v, const struct tcase *tc,
		  const struct result *res)
{
	struct path_sum *p = path_of(r, tc);

	switch (res->out) {
	case OUT_PASS: r->pass++; p->pass++; break;
	case OUT_FAIL: r->fail++; p->fail++; break;
	case OUT_SKIP: r->skip++; p->skip++; return;
	case OUT_BROKEN: r->broken++; p->broken++; return;
	case OUT_XFAIL: r->xfail++; p->xfail++; return;
	}
	p->ran++;
	if (res->refused) {
		p->refused++;
		return;
	}
	if (res->pinned)
		p->pinned++;
	else
		p->unpinned++;
	if (counts_for_conversion(v, tc))
		(res->pinned ? r->conv_pinned : r->conv_unpinned)[tc->t->path]++;
	if (res->balanced)
		p->balanced++;
	else
		p->unbalanced++;
	if (res->dirtied == 1)
		p->dirty_yes++;
	else if (res->dirtied == 0)
		p->dirty_no++;
	if (res->data_ok)
		p->data_ok++;
	else
		p->data_bad++;
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

static void json_case(struct report *r, const struct bed *bed, const struct tcase *tc,
		      const struct result *res)
{
	FILE *f = r->json;

	fprintf(f, "%s\n    {\"id\": ", r->done > 1 ? "," : "");
	json_str(f, tc->id);
	fprintf(f, ", \"result\": \"%s\", \"target\": \"%s\", \"engine\": \"%s\", "
		"\"buffer\": \"%s\", \"direction\": \"%s\", \"size\": %zu, \"bufoff\": %zu, "
		"\"flavour\": \"%s\", \"seed\": %llu, \"file_offset\": %lld, "
		"\"pins\": {\"acquired\": %lld, \"released\": %lld",
		outcome_name(res->out), tc->t->name, tc->e->name, tc->b->name, dir_name(tc->dir),
		tc->v.size, tc->v.bufoff, flavour_name(tc->e->flavour(&bed->prof.v)),
		(unsigned long long)res->seed, (long long)res->file_off, res->pins.acquired,
		res->pins.released);
	if (tc->e->registers)
		fprintf(f, ", \"registration_acquired\": %lld, \"registration_released\": %lld, "
			"\"io_acquired\": %lld", res->reg.acquired, res->reg.released,
			res->io.acquired);
	fprintf(f, "}, \"pinned\": %s, \"balanced\": %s, \"dirtied\": %s, \"data_ok\": %s, "
		"\"kmsg_ok\": %s, \"seconds\": %.4f",
		res->pinned ? "true" : "false", res->balanced ? "true" : "false",
		res->dirtied < 0 ? "null" : res->dirtied ? "true" : "false",
		res->data_ok ? "true" : "false", res->kmsg_ok ? "true" : "false", res->secs);
	if (res->refused)
		fprintf(f, ", \"refused_errno\": %d", res->refused);
	if (*res->reason) {
		fprintf(f, ", \"reason\": ");
		json_str(f, res->reason);
	}
	if (res->diag.len) {
		fprintf(f, ", \"details\": ");
		json_str(f, sb_str(&res->diag));
	}
	fprintf(f, "}");
}

void report_case(struct report *r, const struct bed *bed, const struct tcase *tc,
		 const struct result *res)
{
	FILE *f = r->tap;

	r->done++;
	tally(r, &bed->prof.v, tc, res);
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
	case OUT_FAIL:
		if (res->out == OUT_XFAIL)
			fprintf(f, "not ok %zu %s # TODO known kernel limitation: %s\n", r->done,
				tc->id, res->reason);
		else
			fprintf(f, "not ok %zu %s\n", r->done, tc->id);
		fprintf(f, "# case %s: seed %llu, file offset %lld, %zu bytes at buffer +%zu, "
			"%s expected\n", tc->id, (unsigned long long)res->seed,
			(long long)res->file_off, tc->v.size, tc->v.bufoff,
			flavour_name(tc->e->flavour(&bed->prof.v)));
		if (tc->e->tag || (action_spec(tc->action) && action_spec(tc->action)->tag))
			fprintf(f, "# tag: %s\n", tc->e->tag ? tc->e->tag : action_spec(tc->action)->tag);
		fprintf(f, "# pins over the case: acquired %+lld released %+lld", res->pins.acquired,
			res->pins.released);
		if (tc->e->registers)
			fprintf(f, "; at registration %+lld/%+lld; during the IO %+lld",
				res->reg.acquired, res->reg.released, res->io.acquired);
		fprintf(f, "\n");
		tap_diag(f, sb_str(&res->diag));
		fprintf(f, "# reproduce: iovbed run --seed %llu --filter '%s'", (unsigned long long)bed->seed,
			tc->id);
		if (bed->opt->timeout != 60)
			fprintf(f, " --timeout %u", bed->opt->timeout);
		fprintf(f, "\n");
		break;
	}
	fflush(f);
	if (r->json)
		json_case(r, bed, tc, res);
	if (r->progress) {
		fprintf(r->err, "\r\033[K[%zu/%zu] %s %s", r->done, r->total,
			outcome_name(res->out), tc->id);
		fflush(r->err);
	}
}

static const char *short_flavour(enum flavour f)
{
	const char *s = flavour_name(f);

	return strncmp(s, "ITER_", 5) ? s : s + 5;
}

static const char *yes_no(size_t yes, size_t no)
{
	if (!yes && !no)
		return "-";
	if (!no)
		return "yes";
	if (!yes)
		return "no";
	return "MIXED";
}

void report_close(struct report *r, const struct bed *bed, int interrupted)
{
	FILE *e = r->err;
	struct kver run = bed->prof.v;
	size_t i;

	if (r->progress)
		fprintf(e, "\r\033[K");
	if (bed->prof.forced)	/* the profile is another kernel's: name this one */
		kver_running(&run);
	fprintf(e, "\niovbed conversion report: kernel %d.%d.%d, profile %s%s, seed %llu\n",
		run.major, run.minor, run.patch, bed->prof.name,
		bed->prof.forced ? " (forced)" : "", (unsigned long long)bed->seed);
	fprintf(e, "%-12s %-14s %-10s %5s %5s %5s %5s %5s  %-6s %-8s %-7s %-5s\n", "target",
		"engine", "flavour", "pass", "fail", "skip", "brkn", "todo", "pinned", "balanced",
		"dirtied", "data");
	for (i = 0; i < target_count * engine_count; i++) {
		struct path_sum *p = &r->paths[i];
		char pinned[16];

		if (!p->t)
			continue;
		snprintf(pinned, sizeof(pinned), "%s", yes_no(p->pinned, p->unpinned));
		if (p->e->registers && p->refused && !p->pinned && !p->unpinned)
			snprintf(pinned, sizeof(pinned), "refused");
		fprintf(e, "%-12s %-14s %-10s %5zu %5zu %5zu %5zu %5zu  %-6s %-8s %-7s %-5s\n",
			p->t->name, p->e->name, short_flavour(p->e->flavour(&bed->prof.v)),
			p->pass, p->fail, p->skip, p->broken, p->xfail, pinned,
			yes_no(p->balanced, p->unbalanced), yes_no(p->dirty_yes, p->dirty_no),
			p->data_bad ? "BAD" : (p->data_ok ? "ok" : "-"));
	}
	fprintf(e, "todo: failures the kernel is known to have upstream (TAP TODO, reason on the "
		"case's line)\n");
	fprintf(e, "paths: block and iomap pin from 6.5, fuse from 6.9, 9p from 6.8, nfs never "
		"(FOLL_GET); uring-fixed pins at registration\n");
	for (i = 0; i < target_count; i++) {
		const struct target_ops *t = target_table[i];
		size_t j, ran = 0;

		for (j = 0; j < engine_count; j++)
			ran += r->paths[i * engine_count + j].ran;
		if (t->transport && ran && t->transport(&bed->prof.v) != ITER_NONE)
			fprintf(e, "%s: the IO reaches the transport as %s (%s)\n", t->name,
				flavour_name(t->transport(&bed->prof.v)), t->transport_how);
	}
	for (i = 0; i < PATH_COUNT; i++) {
		size_t y = r->conv_pinned[i], n = r->conv_unpinned[i];
		int expect = profile_path_pins(&bed->prof, (enum path_class)i);

		if (!y && !n)
			continue;
		fprintf(e, "%s direct IO: %s (%zu of %zu user-buffer cases pinned); profile %s "
			"expects %s\n", path_class_name((enum path_class)i),
			!n ? "converted (FOLL_PIN)" : !y ? "not converted" : "MIXED", y, y + n,
			bed->prof.name, expect ? "converted" : "not converted");
	}
	fprintf(e, "%zu cases: %zu passed, %zu failed, %zu skipped, %zu broken, %zu known kernel "
		"limitations%s in %.1f s\n", r->done, r->pass, r->fail, r->skip, r->broken, r->xfail,
		interrupted ? " (interrupted)" : "", now_sec() - r->t0);
	if (interrupted)
		fprintf(r->tap, "# interrupted after %zu of %zu cases\n", r->done, r->total);
	if (r->json) {
		fprintf(r->json, "\n  ],\n  \"passed\": %zu, \"failed\": %zu, \"skipped\": %zu, "
			"\"broken\": %zu, \"known_failures\": %zu, \"interrupted\": %s\n}\n", r->pass,
			r->fail, r->skip, r->broken, r->xfail, interrupted ? "true" : "false");
		fclose(r->json);
		r->json = NULL;
	}
	free(r->paths);
	r->paths = NULL;
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
