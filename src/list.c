/* iovbed list: the cases a run would run, as text or JSON. */
#include "list.h"
#include "report_json.h"
#include "observe.h"

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

/* Where the observer looks for a case's flavour: "entry of iomap". */
static void observed_at(const struct tcase *c)
{
	static const char *const ats[] = { "entry", "page extraction", "socket receive" };
	enum flavour_at at = c->kind == CASE_KERNEL ? c->k->at : c->kind == CASE_REGRESS ?
			     c->r->at : AT_ENTRY;
	const char *path = c->kind == CASE_REGRESS || at != AT_ENTRY ? "any path" :
			   c->t->user ? "the path found at set-up" : path_class_name(c->t->path);

	printf(", \"observed_at\": \"%s of %s%s\"", ats[at], path,
	       c->t && c->t->transport ? ", and its transport" : "");
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
	observed_at(c);
	if (c->impossible) {
		printf(", \"impossible\": ");
		json_write_str(stdout, c->impossible);
	}
	printf("}");
}

/* The observer's hooks, by path and by what they see (obs_hook_table). */
static void list_hooks(void)
{
	int p, i, n;

	printf("  \"observer_hooks\": {");
	for (p = 0; p <= PATH_COUNT; p++) {
		printf("%s\n    \"%s\": [", p ? "," : "",
		       p == PATH_COUNT ? "any path" : path_class_name((enum path_class)p));
		for (i = n = 0; i < OBS_HOOK_COUNT; i++)
			if ((int)obs_hook_table[i].path == p)
				printf("%s{\"hook\": \"%s\", \"sees\": \"%s\"}", n++ ? ", " : "",
				       obs_hook_table[i].fn, p == PATH_COUNT &&
				       obs_hook_table[i].cls == OBS_C_ITER ? "copy" :
				       obs_role_name(obs_hook_table[i].cls));
		printf("]");
	}
	printf("\n  },\n");
}

int list_cases(const struct matrix *m, const struct profile *prof, int json)
{
	size_t i, n = 0;

	if (json) {
		printf("{\n  \"profile\": \"%s\",\n", prof->name);
		list_hooks();
		printf("  \"cases\": [");
	}
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
