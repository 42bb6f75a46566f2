/* iovbed list: the cases a run would run, as text or JSON. */
#include "list.h"
#include "report_json.h"

#include <stdio.h>

static void list_line(const struct tcase *c, const struct profile *prof)
{
	char tags[256];
	const char *tag = case_tags(c, tags, sizeof(tags));

	if (c->impossible) {
		printf("%-48s not meaningful: %s\n", c->id, c->impossible);
		return;
	}
	printf("%-48s %-10s %s%s%s%s\n", c->id, flavour_name(case_flavour(c, &prof->v)),
	       case_desc(c), tag ? " [" : "", tag ? tag : "", tag ? "]" : "");
}

static const char *kind_name(enum case_kind k)
{
	static const char *const names[] = { "io", "kernel", "regress" };

	return names[k];
}

static void list_json_case(const struct tcase *c, const struct profile *prof, int first)
{
	char tags[256];
	const char *tag = case_tags(c, tags, sizeof(tags));

	printf("%s\n    {\"id\": ", first ? "" : ",");
	json_write_str(stdout, c->id);
	printf(", \"kind\": \"%s\", \"path\": \"%s\", \"flavour\": \"%s\", \"default\": %s, "
	       "\"selftest\": %s, \"tags\": ", kind_name(c->kind),
	       !c->t ? "-" : c->t->user ? "found at set-up" : path_class_name(c->t->path),
	       flavour_name(case_flavour(c, &prof->v)),
	       c->in_default ? "true" : "false", c->selftest ? "true" : "false");
	json_write_str(stdout, tag ? tag : "");
	if (c->impossible) {
		printf(", \"impossible\": ");
		json_write_str(stdout, c->impossible);
	}
	printf("}");
}

int list_cases(const struct matrix *m, const struct profile *prof, int json)
{
	size_t i, n = 0;

	if (json)
		printf("{\n  \"profile\": \"%s\",\n  \"cases\": [", prof->name);
	for (i = 0; i < m->n; i++) {
		if (!m->c[i].selected)
			continue;
		if (json)
			list_json_case(&m->c[i], prof, n++ == 0);
		else
			list_line(&m->c[i], prof);
	}
	if (json)
		printf("\n  ]\n}\n");
	return 0;
}
