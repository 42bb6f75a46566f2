/* What a case is, whatever its kind: its method, flavour, tags, text. */
#include "matrix.h"

#include <stdio.h>

const char *case_method(const struct tcase *tc)
{
	switch (tc->kind) {
	case CASE_IO:
		return tc->e->name;
	case CASE_KERNEL:
		return tc->k->name;
	case CASE_REGRESS:
		return tc->r->name;
	}
	return "?";
}

enum flavour case_flavour(const struct tcase *tc, const struct kver *v)
{
	switch (tc->kind) {
	case CASE_IO:
		if (tc->t->no_odirect && tc->e->flavour_buffered)
			return tc->e->flavour_buffered(v);
		return tc->e->flavour(v);
	case CASE_KERNEL:
		return tc->k->flavour(v);
	case CASE_REGRESS:
		return tc->r->flavour(v);
	}
	return ITER_NONE;
}

const char *case_tags(const struct tcase *tc, char *out, size_t len)
{
	if (tc->kind == CASE_REGRESS && (tc->r->cve || tc->r->fix)) {
		snprintf(out, len, "%s%s%s%s", tc->r->cve ? tc->r->cve : "",
			 tc->r->cve && tc->r->fix ? "; " : "", tc->r->fix ? "fix: " : "",
			 tc->r->fix ? tc->r->fix : "");
		return out;
	}
	if (tc->a && tc->a->tag) {
		snprintf(out, len, "%s", tc->a->tag);
		return out;
	}
	return NULL;
}

const char *case_desc(const struct tcase *tc)
{
	if (tc->a)
		return tc->a->desc;
	switch (tc->kind) {
	case CASE_IO:
		return tc->e->desc;
	case CASE_KERNEL:
		return tc->k->desc;
	case CASE_REGRESS:
		return tc->r->desc;
	}
	return "";
}
