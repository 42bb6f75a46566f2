#ifndef IOVBED_MATRIX_H
#define IOVBED_MATRIX_H

#include "buffer.h"
#include "engine.h"
#include "options.h"
#include "target.h"

/* A case: target x engine x buffer x direction x size/offset. */
struct tcase {
	char id[128];		/* "xfs/uring-fixed/thp/read/64k+512" */
	const struct target_ops *t;
	const struct engine_ops *e;
	const struct buffer_ops *b;
	enum dir dir;
	struct variant v;
	int ti, ei, bi, vi;
	const char *impossible;	/* why this point is not meaningful, or NULL */
	int in_default;		/* part of the default matrix */
	enum action action;
	int selftest;		/* must fail; runs only when named exactly */
	int selected;
};

struct matrix {
	struct tcase *c;
	size_t n;
};

extern const struct variant variant_table[];
extern const size_t variant_count;

/* Does the target's kernel_io do this kernel engine's IO? */
int target_serves(const struct target_ops *t, const struct engine_ops *e);
void variant_name(const struct variant *v, char *out, size_t len);
const char *dir_name(enum dir d);

/* Every point of the matrix. user_targets: include --dir/--device targets
 * (given[i] says which were given). */
int matrix_build(struct matrix *m, const int *target_given);
void matrix_free(struct matrix *m);
/* Mark what a run or list selects; returns the number selected. */
size_t matrix_select(struct matrix *m, enum selection sel, const char *const *filters,
		     int nfilters);
/* A filter that matches no case at all (under SEL_ALL), or NULL. */
const char *matrix_unmatched_filter(const struct matrix *m, const char *const *filters,
				    int nfilters);

#endif
