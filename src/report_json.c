/* The JSON report: written as the run goes, one case at a time. */
#include "report_json.h"
#include "registry.h"

#include <string.h>

void json_write_str(FILE *f, const char *s)
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

static const char *jbool(int v)
{
	return v ? "true" : "false";
}

int report_json_open(struct report *r, const struct bed *bed, const char *path, char *err)
{
	r->json = fopen(path, "we");
	if (!r->json) {
		errf(err, "--json %s", path);
		return -1;
	}
	fprintf(r->json, "{\n  \"tool\": \"iovbed %s\",\n  \"kernel\": \"%d.%d.%d\",\n"
		"  \"profile\": \"%s\",\n  \"seed\": %llu,\n  \"cases\": [", PACKAGE_VERSION,
		bed->prof.v.major, bed->prof.v.minor, bed->prof.v.patch, bed->prof.name,
		(unsigned long long)bed->seed);
	return 0;
}

static void json_pins(FILE *f, const struct tcase *tc, const struct result *res)
{
	fprintf(f, "\"pins\": {\"acquired\": %lld, \"released\": %lld", res->pins.acquired,
		res->pins.released);
	if (tc->kind == CASE_IO && (tc->e->flags & ENG_REGISTERS))
		fprintf(f, ", \"registration_acquired\": %lld, \"registration_released\": %lld, "
			"\"io_acquired\": %lld", res->reg.acquired, res->reg.released,
			res->io.acquired);
	if (res->pins_lo >= 0) {
		fprintf(f, ", \"expected\": {\"min\": %lld, \"max\": %lld, \"rule\": ",
			res->pins_lo, res->pins_hi);
		json_write_str(f, res->pins_rule);
		fprintf(f, "}");
	}
	fprintf(f, "}");
}

/* The observer's view of the case: declared and observed flavours, the
 * raw evidence (every record of its window). */
static void json_observation(FILE *f, const struct result *res)
{
	static const char *const states[] = { "declared", "unobservable", "observed", "broken" };
	const struct obs_result *o = &res->obs;
	int fl, n = 0;

	if (!o->set)
		return;
	fprintf(f, ", \"observation\": {\"state\": \"%s\", \"declared\": \"%s\", "
		"\"observed\": [", states[o->state], flavour_name(o->declared));
	for (fl = 0; fl < ITER_NONE; fl++)
		if (o->seen & (1u << fl))
			fprintf(f, "%s\"%s\"", n++ ? ", " : "", flavour_name(fl));
	fprintf(f, "], \"where\": ");
	json_write_str(f, o->where);
	fprintf(f, ", \"why\": ");
	json_write_str(f, o->why);
	if (o->xport_seen) {
		fprintf(f, ", \"transport_where\": ");
		json_write_str(f, o->xport_where);
	}
	if (o->gup_seen)
		fprintf(f, ", \"gup\": {\"get_pages\": %llu, \"pin_pages\": %llu}", o->got_pages,
			o->pinned_pages);
	fprintf(f, ", \"window\": %s}", o->window.len ? sb_str(&o->window) : "null");
}

void report_json_case(struct report *r, const struct bed *bed, const struct tcase *tc,
		      const struct result *res)
{
	const struct target *t = tc->t ? &bed->targets[tc->ti] : NULL;
	FILE *f = r->json;

	fprintf(f, "%s\n    {\"id\": ", r->done > 1 ? "," : "");
	json_write_str(f, tc->id);
	fprintf(f, ", \"result\": \"%s\", \"target\": \"%s\", \"engine\": \"%s\", "
		"\"buffer\": \"%s\", \"direction\": \"%s\", \"size\": %zu, \"bufoff\": %zu, "
		"\"flavour\": \"%s\", \"path\": \"%s\", \"seed\": %llu, \"file_offset\": %lld, ",
		outcome_name(res->out), tc->t ? tc->t->name : "regress", case_method(tc),
		tc->b ? tc->b->name : "-", dir_name(tc->dir), tc->v.size, tc->v.bufoff,
		flavour_name(case_flavour(tc, &bed->prof.v)),
		t ? path_class_name(t->found.path) : "-", (unsigned long long)res->seed,
		(long long)res->file_off);
	json_pins(f, tc, res);
	fprintf(f, ", \"pinned\": %s, \"balanced\": %s, \"dirtied\": %s, \"data_ok\": %s, "
		"\"kmsg_ok\": %s, \"seconds\": %.4f", jbool(res->pinned), jbool(res->balanced),
		res->dirtied < 0 ? "null" : jbool(res->dirtied), jbool(res->data_ok),
		jbool(res->kmsg_ok), res->secs);
	if (res->refused)
		fprintf(f, ", \"refused_errno\": %d", res->refused);
	if (*res->reason) {
		fprintf(f, ", \"reason\": ");
		json_write_str(f, res->reason);
	}
	if (res->diag.len) {
		fprintf(f, ", \"details\": ");
		json_write_str(f, sb_str(&res->diag));
	}
	json_observation(f, res);
	fprintf(f, "}");
}

/* Every target that was set up: what it is and the path found under it. */
static void json_targets(FILE *f, const struct bed *bed)
{
	size_t i, n = 0;

	fprintf(f, "  \"targets\": [");
	for (i = 0; i < target_count; i++) {
		const struct target *t = &bed->targets[i];

		if (!*t->found.how)
			continue;
		fprintf(f, "%s\n    {\"name\": \"%s\", \"path\": \"%s\", \"fs\": ", n++ ? "," : "",
			t->ops->name, path_class_name(t->found.path));
		json_write_str(f, t->found.fs);
		fprintf(f, ", \"path_found\": ");
		json_write_str(f, t->found.how);
		fprintf(f, ", \"info\": ");
		json_write_str(f, t->info);
		fprintf(f, ", \"measured\": ");
		json_write_str(f, t->measured);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ],\n");
}

/* The target x engine table that --table prints. */
static void json_table(FILE *f, const struct report *r, const struct bed *bed)
{
	size_t i, n = 0;

	fprintf(f, "  \"table\": [");
	for (i = 0; i < r->tally.npaths; i++) {
		const struct path_sum *p = &r->tally.paths[i];

		fprintf(f, "%s\n    {\"target\": \"%s\", \"engine\": \"%s\", \"flavour\": \"%s\", "
			"\"pass\": %zu, \"fail\": %zu, \"skip\": %zu, \"broken\": %zu, \"todo\": %zu, "
			"\"pinned\": \"%s\", \"balanced\": \"%s\", \"dirtied\": \"%s\", "
			"\"data\": \"%s\"}", n++ ? "," : "", p->target, p->method,
			flavour_name(p->flavour(&bed->prof.v)), p->pass, p->fail, p->skip,
			p->broken, p->xfail, path_sum_pinned(p), yes_no(p->balanced, p->unbalanced),
			yes_no(p->dirty_yes, p->dirty_no),
			p->data_bad ? "bad" : (p->data_ok ? "ok" : "-"));
	}
	fprintf(f, "\n  ],\n");
}

/* The per-path in-flight verdicts, with their counts. */
static void json_inflight(FILE *f, const struct tally *t)
{
	static const char *const keys[INF_COUNT] = { "pins_held", "redirtied", "fork_cow",
						     "error_balanced", "gup_observed" };
	size_t i, k, n = 0;

	fprintf(f, "  \"inflight\": {");
	for (i = 0; i < PATH_COUNT; i++) {
		size_t any = t->inflight_copied[i];

		for (k = 0; k < INF_COUNT; k++)
			any += t->inflight[i][k][0] + t->inflight[i][k][1];
		if (!any)
			continue;
		fprintf(f, "%s\n    \"%s\": {", n++ ? "," : "", path_class_name((enum path_class)i));
		for (k = 0; k < INF_COUNT; k++)
			fprintf(f, "\"%s\": {\"verdict\": \"%s\", \"yes\": %zu, \"no\": %zu}, ", keys[k],
				yes_no(t->inflight[i][k][1], t->inflight[i][k][0]), t->inflight[i][k][1],
				t->inflight[i][k][0]);
		fprintf(f, "\"gup_get_cases\": %zu, \"gup_pin_cases\": %zu, \"copied\": %zu}",
			t->inflight_got[i], t->inflight_pinned[i], t->inflight_copied[i]);
	}
	fprintf(f, "\n  },\n");
}

/* Per path, how IOs from faulty buffers ended. */
static void json_faults(FILE *f, const struct tally *t)
{
	size_t i, n = 0;

	fprintf(f, "  \"gup_faults\": {");
	for (i = 0; i < PATH_COUNT; i++) {
		const size_t *e = t->fault_end[i];

		if (!(e[FO_EFAULT] + e[FO_SHORT] + e[FO_NONE] + e[FO_REFUSED]))
			continue;
		fprintf(f, "%s\n    \"%s\": {\"efault\": %zu, \"short\": %zu, \"none\": %zu, "
			"\"refused\": %zu, \"copied\": %zu}", n++ ? "," : "",
			path_class_name((enum path_class)i), e[FO_EFAULT], e[FO_SHORT], e[FO_NONE],
			e[FO_REFUSED], t->fault_copied[i]);
	}
	fprintf(f, "\n  },\n");
}

void report_json_close(struct report *r, const struct bed *bed, int interrupted)
{
	FILE *f = r->json;

	fprintf(f, "\n  ],\n");
	json_targets(f, bed);
	json_table(f, r, bed);
	json_inflight(f, &r->tally);
	json_faults(f, &r->tally);
	fprintf(f, "  \"times\": {\"setup\": %.3f, \"cases\": %.3f, \"teardown\": %.3f},\n",
		bed->secs_setup, r->tally.secs_cases, bed->secs_teardown);
	fprintf(f, "  \"passed\": %zu, \"failed\": %zu, \"skipped\": %zu, \"broken\": %zu, "
		"\"known_failures\": %zu, \"interrupted\": %s\n}\n", r->tally.pass, r->tally.fail, r->tally.skip,
		r->tally.broken, r->tally.xfail, jbool(interrupted));
	fclose(f);
	r->json = NULL;
}
