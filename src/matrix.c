/* The case matrix: every point, why some cannot run, what runs by default. */
#include "matrix.h"
#include "registry.h"
#include "util.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sizes 512 B to 4 MiB; offsets page-aligned, sector-aligned inside a page,
 * and 4K before a 2M folio boundary (the IO straddles it). 4 MiB needs
 * several bios (256 vectors of 4K pages each). */
const struct variant variant_table[] = {
	{ 512, 0 },
	{ 4 * KiB, 0 },
	{ 4 * KiB, 512 },
	{ 64 * KiB, 512 },
	{ 64 * KiB, FOLIO_PMD - 4 * KiB },
	{ 1 * MiB, 0 },
	{ 4 * MiB, 0 },
	{ 4 * MiB, 3584 },
};
const size_t variant_count = sizeof(variant_table) / sizeof(variant_table[0]);

#define ACTION_VARIANT 3	/* 64k+512: the first page also holds guard bytes */

void variant_name(const struct variant *v, char *out, size_t len)
{
	char s[32], o[32];

	fmt_size(s, sizeof(s), v->size);
	fmt_size(o, sizeof(o), v->bufoff);
	snprintf(out, len, "%s+%s", s, v->bufoff ? o : "0");
}

const char *dir_name(enum dir d)
{
	return d == DIR_READ ? "read" : "write";
}

/* Where the cases being added go: a target, a buffer, a direction, and
 * an in-flight action or none. */
struct point {
	size_t ti;
	const struct buffer_ops *b;
	enum dir d;
	const struct action_ops *a;
	enum hold_kind hold;
};

static const char *impossible(const struct target_ops *t, const struct engine_ops *e,
			      const struct variant *v, const struct point *p)
{
	enum dir d = p->d;

	if (p->b->max_size && v->size > p->b->max_size)
		return p->b->max_why;
	if (p->b->reads_only && d == DIR_WRITE)
		return p->b->reads_only;
	if (v->size % t->align || v->bufoff % t->align)
		return t->align_why ? t->align_why : "IO not aligned to the target's direct IO "
		       "alignment";
	if (!engine_does(e, d))
		return d == DIR_READ ? "this engine only writes" : "this engine only reads";
	if ((e->flags & ENG_NEEDS_PEER) && t->no_peer)
		return t->no_peer;
	if ((e->flags & ENG_VECTORED) && v->size < 2 * (size_t)t->align)
		return "too small to split into 2 segments of the direct IO alignment";
	return NULL;
}

/* Is this target in the matrix: a built-in one, or one the user gave? */
static int target_given(const struct target_ops *t, const struct user_args *given)
{
	switch (t->user) {
	case USER_NONE:
		return 1;
	case USER_DIR:
		return given && given->dir;
	case USER_DEVICE:
		return given && given->device;
	case USER_NFS:
		return given && given->nfs;
	}
	return 0;
}

/* One user-IO case at p through engine ei, its id and whether it can be
 * meaningful. */
static void io_case(struct tcase *c, const struct point *p, size_t ei, const struct variant *v)
{
	char vname[64];

	memset(c, 0, sizeof(*c));
	c->kind = CASE_IO;
	c->t = target_table[p->ti];
	c->e = engine_table[ei];
	c->b = p->b;
	c->a = p->a;
	c->hold = p->hold;
	c->dir = p->d;
	c->v = *v;
	c->ti = p->ti;
	c->ei = ei;
	c->ri = -1;
	c->impossible = impossible(c->t, c->e, v, p);
	c->selftest = p->a && (p->a->flags & ACT_SELFTEST);
	variant_name(v, vname, sizeof(vname));
	snprintf(c->id, sizeof(c->id), "%s/%s/%s/%s/%s%s%s%s", c->t->name, c->e->name, p->b->name,
		 dir_name(p->d), vname, p->a ? "/" : "", p->hold == HOLD_UFFD ? "uffd-" :
		 p->hold == HOLD_UFFD_WP ? "uffd-wp-" : "", p->a ? p->a->name : "");
}

/* The default takes one possible case of a combination c[0..n): the one
 * whose own id hashes lowest (rendezvous hashing). Neither table position
 * nor the number of choices decides, so a row added anywhere changes a
 * combination's choice only where one of its own cases wins. */
static void mark_pick(struct tcase *c, size_t n)
{
	uint64_t best = UINT64_MAX, h;
	size_t i, pick = n;

	for (i = 0; i < n; i++) {
		if (c[i].impossible)
			continue;
		if (c[i].b && c[i].b->outside_default)
			continue;
		h = mix64(hash_str(c[i].id));
		if (pick == n || h < best) {
			best = h;
			pick = i;
		}
	}
	if (pick < n)
		c[pick].in_default = 1;
}

/* target x engine x buffer x direction: every variant, one by default. */
static size_t add_io_cases(struct matrix *m, size_t n, size_t ti)
{
	size_t ei, bi, vi;
	int d;

	for (ei = 0; ei < engine_count; ei++)
		for (bi = 0; bi < buffer_count; bi++)
			for (d = 0; d < 2; d++) {
				struct point p = { ti, buffer_table[bi], d, NULL, HOLD_TARGET };
				size_t first = n;

				for (vi = 0; vi < variant_count; vi++)
					io_case(&m->c[n++], &p, ei, &variant_table[vi]);
				if (!target_table[ti]->held_by_default)
					mark_pick(&m->c[first], n - first);
			}
	return n;
}

/* Why an engine cannot be held for an action, or NULL. */
static const char *not_holdable(const struct tcase *c)
{
	if (c->impossible)
		return c->impossible;
	if (c->e->flags & ENG_KERNEL_PAGES)
		return "the user buffer is not in the held IO (kernel pages)";
	if ((c->e->flags & ENG_REGISTERS) && c->b->longterm_refused)
		return "the kernel refuses to register these pages: no IO to hold";
	return NULL;
}

/* The size and offset an IO is held at: 64k+512 (the first page also
 * holds guard bytes), or where the target's alignment refuses that (btrfs),
 * the next 64 KiB variant it allows. */
static const struct variant *action_variant(const struct target_ops *t)
{
	size_t vi;

	for (vi = ACTION_VARIANT; vi < variant_count; vi++)
		if (variant_table[vi].size == variant_table[ACTION_VARIANT].size &&
		    !(variant_table[vi].bufoff % t->align))
			return &variant_table[vi];
	return &variant_table[ACTION_VARIANT];
}

/* Why an engine cannot give a faulty buffer to the kernel in its own
 * call, or NULL. */
static const char *not_faultable(const struct tcase *c)
{
	const unsigned f = c->e->flags;

	if (c->impossible)
		return c->impossible;
	if ((f & ENG_KERNEL_PAGES) && !(f & ENG_TAKES_USER_PAGES))
		return "the user buffer is not in the IO (kernel pages)";
	if (f & ENG_TOUCHES_BUFFER)
		return "the engine itself writes the buffer: a hole in it faults the test bed";
	return NULL;
}

/* Why an engine's IO cannot be held by userfaultfd on its buffer, or NULL. */
static const char *not_uffd_holdable(const struct tcase *c)
{
	if (c->impossible)
		return c->impossible;
	if (c->e->flags & (ENG_KERNEL_PAGES | ENG_TOUCHES_BUFFER))
		return "the user buffer is not in the IO (kernel pages)";
	if (c->e->flags & ENG_REGISTERS)
		return "a registration would take the held pages before the IO, in the test bed's "
		       "own thread";
	return NULL;
}

/* One action on one target, buffer and direction: every engine; by
 * default every engine or one, as the action says. */
static size_t add_action_engines(struct matrix *m, size_t n, const struct point *p, int pick)
{
	const struct variant *v = action_variant(target_table[p->ti]);
	size_t ei, first = n;

	for (ei = 0; ei < engine_count; ei++) {
		struct tcase *c = &m->c[n++];

		io_case(c, p, ei, v);
		c->impossible = p->hold != HOLD_TARGET ? not_uffd_holdable(c) :
				(p->a->flags & ACT_UNHELD) ? not_faultable(c) : not_holdable(c);
		c->in_default = !c->impossible && !c->selftest && (p->a->flags & ACT_EVERY_ENGINE) &&
			!p->b->outside_default;
	}
	if (pick && !(p->a->flags & (ACT_EVERY_ENGINE | ACT_SELFTEST)))
		mark_pick(&m->c[first], n - first);
	return n;
}

static int applies(const struct action_ops *a, const struct buffer_ops *b, int d)
{
	return (a->backings & (1u << b->backing)) && (a->dirs & (1u << d)) &&
	       (!a->buffers || list_has(a->buffers, b->name));
}

/* One action on one target: every buffer and direction it applies to;
 * by default one case per buffer and direction, or (ACT_ONE_BUFFER) one
 * per direction over every buffer and engine. */
static size_t add_action(struct matrix *m, size_t n, size_t ti, const struct action_ops *a,
			 enum hold_kind hold)
{
	int one = !!(a->flags & ACT_ONE_BUFFER), d;
	size_t bi, first;

	for (d = 0; d < 2; d++) {
		first = n;
		for (bi = 0; bi < buffer_count; bi++) {
			struct point p = { ti, buffer_table[bi], d, a, hold };

			/* userfaultfd holds private anonymous pages; write-protect
			 * faults come only from a read's destination */
			if (applies(a, p.b, d) && (hold == HOLD_TARGET || !strcmp(p.b->name, "anon")) &&
			    (hold != HOLD_UFFD_WP || d == DIR_READ))
				n = add_action_engines(m, n, &p, !one);
		}
		if (one && !(a->flags & ACT_SELFTEST))
			mark_pick(&m->c[first], n - first);
	}
	return n;
}

/* In-flight cases: every action against every target that can hold a
 * request (those that hold nothing: every target), on the buffers and
 * directions the action applies to. */
static size_t add_action_cases(struct matrix *m, size_t n, size_t ti)
{
	const struct target_ops *t = target_table[ti];
	size_t k;

	for (k = 0; k < action_count; k++) {
		const struct action_ops *a = action_table[k];

		if (((a->flags & ACT_CUTS) && !t->cut) || ((a->flags & ACT_FILE) && !t->file_changes))
			continue;
		if (t->hold || (a->flags & ACT_UNHELD))
			n = add_action(m, n, ti, a, HOLD_TARGET);
	}
	for (k = 0; k < action_count; k++) {	/* userfaultfd holds any target's IO */
		const struct action_ops *a = action_table[k];

		if ((a->flags & ACT_FILE) && !t->file_changes)
			continue;
		if (a->flags & ACT_UFFD)
			n = add_action(m, n, ti, a, HOLD_UFFD);
		if (a->flags & ACT_UFFD_WP)
			n = add_action(m, n, ti, a, HOLD_UFFD_WP);
	}
	return n;
}

/* The kernel's own IO into a file of each target that lists it:
 * "fuse/exec/kvec/read". */
static size_t add_kernel_cases(struct matrix *m, size_t n, size_t ti)
{
	const struct kernel_io *const *k;

	for (k = target_table[ti]->kernel_io; k && *k; k++) {
		struct tcase *c = &m->c[n++];

		memset(c, 0, sizeof(*c));
		c->kind = CASE_KERNEL;
		c->t = target_table[ti];
		c->k = *k;
		c->dir = (*k)->dir;
		c->ti = ti;
		c->ei = c->ri = -1;
		c->selftest = (*k)->selftest;
		c->in_default = !c->selftest;
		snprintf(c->id, sizeof(c->id), "%s/%s/%s/%s", c->t->name, (*k)->name, (*k)->buf,
			 dir_name(c->dir));
	}
	return n;
}

static void regress_case(struct tcase *c, size_t ri, const struct buffer_ops *b,
			 const struct regress_variant *rv)
{
	const struct regression *r = regression_table[ri];

	memset(c, 0, sizeof(*c));
	c->kind = CASE_REGRESS;
	c->r = r;
	c->b = b;
	c->rv = rv;
	c->ri = ri;
	c->ti = c->ei = -1;
	c->selftest = rv->selftest;
	c->in_default = !c->selftest;
	if (b)
		snprintf(c->id, sizeof(c->id), "regress/%s/%s/%s", r->name, b->name, rv->name);
	else
		snprintf(c->id, sizeof(c->id), "regress/%s/%s", r->name, rv->name);
}

/* Every variant of every regression, on each buffer it takes:
 * "regress/cow-vmsplice/thp/mprotect", "regress/dirty-pipe/read-only-file". */
static size_t add_regress_cases(struct matrix *m, size_t n)
{
	size_t ri, bi;
	const struct regress_variant *rv;

	for (ri = 0; ri < regression_count; ri++) {
		const struct regression *r = regression_table[ri];

		for (bi = 0; bi < (r->backings ? buffer_count : 1); bi++) {
			const struct buffer_ops *b = r->backings ? buffer_table[bi] : NULL;

			if (b && !(r->backings & (1u << b->backing)))
				continue;
			for (rv = r->variants; rv->name; rv++)
				regress_case(&m->c[n++], ri, b, rv);
		}
	}
	return n;
}

static size_t matrix_capacity(void)
{
	size_t per_target = engine_count * buffer_count * 2 * (variant_count + 3 * action_count) + 16;
	size_t regress = 0, ri;

	for (ri = 0; ri < regression_count; ri++)
		regress += buffer_count * 16;
	return target_count * per_target + regress;
}

int matrix_build(struct matrix *m, const struct user_args *given)
{
	size_t ti, n = 0;

	m->c = calloc(matrix_capacity(), sizeof(*m->c));
	m->n = 0;
	if (!m->c)
		return -1;
	for (ti = 0; ti < target_count; ti++)
		if (target_given(target_table[ti], given))
			n = add_io_cases(m, n, ti);
	for (ti = 0; ti < target_count; ti++)
		if (target_given(target_table[ti], given))
			n = add_action_cases(m, n, ti);
	for (ti = 0; ti < target_count; ti++)
		if (target_given(target_table[ti], given))
			n = add_kernel_cases(m, n, ti);
	m->n = add_regress_cases(m, n);
	return 0;
}

void matrix_free(struct matrix *m)
{
	free(m->c);
	m->c = NULL;
	m->n = 0;
}

static int matches(const char *id, const char *const *filters, int nfilters)
{
	int i;

	if (!nfilters)
		return 1;
	for (i = 0; i < nfilters; i++)
		if (!fnmatch(filters[i], id, 0))
			return 1;
	return 0;
}

static int names(const char *id, const char *const *filters, int nfilters)
{
	int i;

	for (i = 0; i < nfilters; i++)
		if (!strpbrk(filters[i], "*?[") && !strcmp(filters[i], id))
			return 1;
	return 0;
}

size_t matrix_select(struct matrix *m, enum selection sel, const char *const *filters,
		     int nfilters)
{
	size_t i, n = 0;

	for (i = 0; i < m->n; i++) {
		struct tcase *c = &m->c[i];
		int in;

		switch (sel) {
		case SEL_DEFAULT:
			/* A filter naming a whole id selects it even off the default. */
			in = !c->impossible && (c->in_default || names(c->id, filters, nfilters));
			break;
		case SEL_FULL:
			/* a self-test (meant to fail) only when named exactly */
			in = !c->impossible && (!c->selftest || names(c->id, filters, nfilters));
			break;
		default:
			in = 1;
		}
		c->selected = in && matches(c->id, filters, nfilters);
		n += c->selected;
	}
	return n;
}

const char *matrix_unmatched_filter(const struct matrix *m, const char *const *filters,
				    int nfilters)
{
	int i;
	size_t k;

	for (i = 0; i < nfilters; i++) {
		for (k = 0; k < m->n; k++)
			if (!fnmatch(filters[i], m->c[k].id, 0))
				break;
		if (k == m->n)
			return filters[i];
	}
	return NULL;
}
