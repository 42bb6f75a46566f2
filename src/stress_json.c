/* A stress run as JSON (--json FILE): its set-up, the counts per op kind
 * and per target, each disturber's state and effect, the checkpoints, the
 * failure with its op and the worker's last ops, memory. */
#include "stress.h"
#include "report_json.h"
#include "registry.h"

#include <string.h>

static void json_tally(FILE *f, const char *name, const struct stally *t, int last)
{
	int k;

	fprintf(f, "    ");
	json_write_str(f, name);
	fprintf(f, ": {\"ops\": %llu, \"bytes\": %llu, \"failures\": %llu, \"hit\": %llu, "
		"\"errors\": {", t->ops, t->bytes, t->failures, t->hit);
	for (k = 0; k < ERRNO_SLOTS && t->errnos[k]; k++)
		fprintf(f, "%s\"%s\": %llu", k ? ", " : "", strerrorname_np(t->errnos[k]), t->errs[k]);
	fprintf(f, "}}%s\n", last ? "" : ",");
}

static void json_counts(FILE *f, const struct stress *s)
{
	size_t i, n = 0, k = 0;

	for (i = 0; i < SOP_COUNT; i++)
		n += s->kinds[i].ops > 0;
	fprintf(f, "  \"kinds\": {\n");
	for (i = 0; i < SOP_COUNT; i++)
		if (s->kinds[i].ops)
			json_tally(f, sop_names[i], &s->kinds[i], ++k == n);
	fprintf(f, "  },\n  \"targets\": {\n");
	for (i = 0; i < s->ntg; i++)
		json_tally(f, s->tg[i].t->ops->name, &s->tg[i].tally, i + 1 == s->ntg);
	fprintf(f, "  },\n");
}

static void json_disturbers(FILE *f, const struct stress *s)
{
	size_t i;

	fprintf(f, "  \"disturbers\": [");
	for (i = 0; i < s->ndist; i++) {
		const struct sdist *sd = &s->dist[i];

		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_write_str(f, sd->d->name);
		fprintf(f, ", \"state\": \"%s\", \"steps\": %llu, \"achieved\": %s, \"effect\": ",
			sd->state == SETUP_READY ? "ran" : sd->state == SETUP_SKIP ? "skip" : "broken",
			sd->steps, sd->achieved ? "true" : "false");
		json_write_str(f, sb_str(&sd->effect));
		fprintf(f, ", \"why\": ");
		json_write_str(f, sd->why);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ],\n");
}

static void json_failure(FILE *f, const struct stress *s)
{
	char line[OPLINE];
	unsigned i;

	if (!s->failed) {
		fprintf(f, "  \"failure\": null,\n");
		return;
	}
	sop_format(s, &s->fail.op, line, sizeof(line));
	fprintf(f, "  \"failure\": {\"worker\": %d, \"op\": ", s->fail.worker);
	json_write_str(f, s->fail.worker >= 0 ? line : sb_str(&s->cp_head));
	fprintf(f, ", \"details\": ");
	json_write_str(f, sb_str(&s->fail.diag));
	fprintf(f, ", \"record\": ");
	json_write_str(f, s->record_path);
	fprintf(f, ", \"last_ops\": [");
	for (i = 0; i < s->fail.nlast; i++) {
		fprintf(f, "%s", i ? ", " : "");
		json_write_str(f, s->fail.last[i]);
	}
	fprintf(f, "]},\n");
}

int report_json_stress(struct stress *s, int exit_code, char *err)
{
	FILE *f = fopen(s->opt->json, "we");

	if (!f) {
		errf(err, "--json %s", s->opt->json);
		return -1;
	}
	fprintf(f, "{\n  \"tool\": \"iovbed %s stress\",\n  \"kernel\": \"%d.%d.%d\",\n  \"seed\": "
		"%llu,\n  \"workers\": %d,\n  \"depth\": %u,\n  \"rows\": %zu,\n  \"seconds\": %.3f,\n"
		"  \"bytes_moved\": %llu,\n  \"bytes_verified\": %llu,\n  \"bytes_verified_at_"
		"checkpoints\": %llu,\n  \"bytes_not_judged\": %llu,\n  \"checkpoints\": %llu,\n",
		PACKAGE_VERSION, s->bed->prof.v.major, s->bed->prof.v.minor, s->bed->prof.v.patch,
		(unsigned long long)s->bed->seed, s->nworkers, s->depth, s->nrows, s->secs,
		(unsigned long long)s->bytes_moved, (unsigned long long)s->bytes_verified,
		s->bytes_cp_verified, (unsigned long long)s->bytes_unjudged, s->checkpoints);
	fprintf(f, "  \"pins_counted\": \"machine-wide\",\n  \"rss_kb\": [%ld, %ld, %ld],\n"
		"  \"rss_peak_kb\": %ld,\n", s->rss_kb[0], s->rss_kb[1], s->rss_kb[2], s->rss_peak_kb);
	json_counts(f, s);
	json_disturbers(f, s);
	json_failure(f, s);
	fprintf(f, "  \"exit\": %d\n}\n", exit_code);
	if (fclose(f)) {
		errf(err, "write --json %s", s->opt->json);
		return -1;
	}
	return 0;
}
