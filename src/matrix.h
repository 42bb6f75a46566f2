#ifndef IOVBED_MATRIX_H
#define IOVBED_MATRIX_H

#include "action.h"
#include "buffer.h"
#include "engine.h"
#include "options.h"
#include "regress.h"
#include "target.h"

/* What a case runs: user IO through an engine, the kernel's own IO into
 * a target's file, or a regression. */
enum case_kind { CASE_IO, CASE_KERNEL, CASE_REGRESS };

/* Who holds an in-flight case's IO: the target's server, or userfaultfd on
 * the buffer (missing-page or write-protect mode). */
enum hold_kind { HOLD_TARGET, HOLD_UFFD, HOLD_UFFD_WP };

/* A case: target x engine x buffer x direction x size/offset (x action). */
#define TCASE_ID_LEN 128

struct tcase {
	char id[TCASE_ID_LEN];	/* "xfs/uring-fixed/thp/read/64k+512" */
	enum case_kind kind;
	const struct target_ops *t;	/* NULL for a regression */
	const struct engine_ops *e;	/* CASE_IO */
	const struct kernel_io *k;	/* CASE_KERNEL */
	const struct regression *r;	/* CASE_REGRESS */
	const struct buffer_ops *b;	/* NULL: none (kernel IO, some regressions) */
	const struct action_ops *a;	/* NULL: no in-flight action */
	enum hold_kind hold;		/* with a: who holds the IO */
	const struct regress_variant *rv;	/* CASE_REGRESS */
	enum dir dir;
	struct variant v;
	int ti;			/* index into target_table; -1 for a regression */
	int ei;			/* index into engine_table (CASE_IO), else -1 */
	int ri;			/* index into regression_table (CASE_REGRESS), else -1 */
	const char *impossible;	/* why this point is not meaningful, or NULL */
	int in_default;		/* part of the default matrix */
	int selftest;		/* must fail; runs only when named exactly */
	int selected;
};

struct matrix {
	struct tcase *c;
	size_t n;
};

extern const struct variant variant_table[];
extern const size_t variant_count;

void variant_name(const struct variant *v, char *out, size_t len);
const char *dir_name(enum dir d);
/* The case's second word (engine, kernel IO or regression name). */
const char *case_method(const struct tcase *tc);
enum flavour case_flavour(const struct tcase *tc, const struct kver *v);
/* Its tags: "CVE-2022-0847, fix 9d2231c5d74e", an action's tag, or NULL. */
const char *case_tags(const struct tcase *tc, char *out, size_t len);
const char *case_desc(const struct tcase *tc);

/* Every point of the matrix; given: what the user handed over. */
int matrix_build(struct matrix *m, const struct user_args *given);
void matrix_free(struct matrix *m);
/* Mark what a run or list selects; returns the number selected. */
size_t matrix_select(struct matrix *m, enum selection sel, const char *const *filters,
		     int nfilters);
/* A filter that matches no case at all (under SEL_ALL), or NULL. */
const char *matrix_unmatched_filter(const struct matrix *m, const char *const *filters,
				    int nfilters);

#endif
