/* The case matrix: every point, why some cannot run, what runs by default. */
#include "matrix.h"
#include "action.h"

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

static const char *impossible(const struct target_ops *t, const struct engine_ops *e,
			      const struct variant *v, enum dir d)
{
	if (v->size % t->align || v->bufoff % t->align) {
		if (t == &target_btrfs)
			return "btrfs does direct IO only aligned to its 4096-byte sector "
			       "size; unaligned IO silently goes through the page cache";
		return "IO not aligned to the target's direct IO alignment";
	}
	if (e->dirs && !(e->dirs & (1u << d)))
		return d == DIR_READ ? "this engine only writes" : "this engine only reads";
	if (e->needs_peer && (t->path == PATH_BLOCK || t->path == PATH_FUSE))
		return "copy_file_range needs a peer file on the target's filesystem: a block "
		       "device has none, the FUSE daemon serves fixed files";
	if (e->min_segs > 1 && v->size < e->min_segs * (size_t)t->align)
		return "too small to split into 2 segments of the direct IO alignment";
	return NULL;
}

static const char *action_name(enum action a)
{
	const struct action_spec *sp = action_spec(a);

	return sp ? sp->name : "";
}

/* One point of the matrix, its id and whether it can be meaningful. */
static void case_fill(struct tcase *c, size_t ti, size_t ei, size_t bi, enum dir d, size_t vi,
		      enum action a)
{
	char vname[64];

	c->t = target_table[ti];
	c->e = engine_table[ei];
	c->b = buffer_table[bi];
	c->dir = d;
	c->v = variant_table[vi];
	c->ti = ti;
	c->ei = ei;
	c->bi = bi;
	c->vi = vi;
	c->action = a;
	c->impossible = impossible(c->t, c->e, &c->v, d);
	variant_name(&c->v, vname, sizeof(vname));
	snprintf(c->id, sizeof(c->id), "%s/%s/%s/%s/%s%s%s", c->t->name, c->e->name, c->b->name,
		 dir_name(d), vname, a ? "/" : "", action_name(a));
}

/* In-flight cases: every action of the table against every target that
 * can hold a request, on the buffers and directions the action applies
 * to, at one variant. The default runs every engine for actions that say
 * so, else one engine per combination, rotated; --full runs them all. */
#define ACTION_VARIANT 3	/* 64k+512: the first page also holds guard bytes */
static size_t add_action_cases(struct matrix *m, size_t n, const int *target_given)
{
	size_t ti, ei, bi, k;
	int d;

	for (ti = 0; ti < target_count; ti++) {
		const struct target_ops *t = target_table[ti];

		if (!t->hold || (t->user_given && !(target_given && target_given[ti])))
			continue;
		for (k = 0; k < action_count; k++) {
			const struct action_spec *sp = &action_table[k];

			if (sp->cuts && !t->cut)
				continue;
			for (bi = 0; bi < buffer_count; bi++) {
				if (!(sp->backings & (1u << buffer_table[bi]->backing)))
					continue;
				for (d = 0; d < 2; d++) {
					size_t first = n, possible = 0, pick;

					if (!(sp->dirs & (1u << d)))
						continue;
					for (ei = 0; ei < engine_count; ei++) {
						struct tcase *c;

						if (engine_table[ei]->kernel)
							continue;
						c = &m->c[n++];
						case_fill(c, ti, ei, bi, d, ACTION_VARIANT, sp->a);
						c->selftest = sp->selftest;
						if (!c->impossible && c->e->kernel_pages)
							c->impossible = "the user buffer is not in "
									"the held IO (kernel pages)";
						if (!c->impossible && c->e->registers &&
						    c->b->longterm_refused)
							c->impossible = "the kernel refuses to register "
									"these pages: no IO to hold";
						possible += !c->impossible;
					}
					if (sp->selftest || !possible)
						continue;
					pick = (ti + k + bi * 3 + d) % possible;
					for (ei = first; ei < n; ei++) {
						struct tcase *c = &m->c[ei];

						if (c->impossible)
							continue;
						c->in_default = sp->every_engine || pick == 0;
						if (pick-- == 0 && !sp->every_engine)
							break;
					}
				}
			}
		}
	}
	return n;
}

/* Does the target's kernel_io do this kernel engine's IO? */
int target_serves(const struct target_ops *t, const struct engine_ops *e)
{
	const char *const *k;

	if (!t->kernel_io)
		return 0;
	if (!t->kernel_engines)
		return !strcmp(e->name, "exec") || !strcmp(e->name, "acct");
	for (k = t->kernel_engines; *k; k++)
		if (!strcmp(*k, e->name))
			return 1;
	return 0;
}

/* The kernel's own IO (KVEC) into a file of each target that serves it:
 * one case per target and kernel engine, "fuse/exec/kvec/read". */
static size_t add_kernel_cases(struct matrix *m, size_t n, const int *target_given)
{
	size_t ti, ei;

	for (ti = 0; ti < target_count; ti++) {
		const struct target_ops *t = target_table[ti];

		if (t->user_given && !(target_given && target_given[ti]))
			continue;
		for (ei = 0; ei < engine_count; ei++) {
			const struct engine_ops *e = engine_table[ei];
			struct tcase *c;

			/* finit_module takes any file with direct IO; exec and acct
			 * need the target's own files */
			if (!e->kernel || e->scenario || (e->kernel_run ? t->path != PATH_IOMAP &&
					   t->path != PATH_FUSE && t->path != PATH_UNKNOWN :
					   !target_serves(t, e)))
				continue;
			c = &m->c[n++];
			case_fill(c, ti, ei, 0, e->kernel_dir, 0, ACT_NONE);
			snprintf(c->id, sizeof(c->id), "%s/%s/%s/%s", t->name, e->name,
				 e->kernel_buf ? e->kernel_buf : "kvec", dir_name(c->dir));
			c->impossible = NULL;
			c->selftest = e->kernel_selftest;
			c->in_default = !c->selftest;
		}
	}
	return n;
}

/* The regression cases: every variant of every scenario engine, on each
 * buffer it takes, on the pseudo-target: "regress/cow-vmsplice/thp/mprotect",
 * "regress/dirty-pipe/read-only-file". Self-test variants run only when
 * named exactly. */
static size_t add_regress_cases(struct matrix *m, size_t n)
{
	size_t ti, ei, bi, vi;

	for (ti = 0; ti < target_count; ti++) {
		if (!target_table[ti]->no_file)
			continue;
		for (ei = 0; ei < engine_count; ei++) {
			const struct engine_ops *e = engine_table[ei];

			if (!e->scenario)
				continue;
			for (bi = 0; bi < buffer_count; bi++) {
				if (e->backings ? !(e->backings & (1u << buffer_table[bi]->backing)) : bi)
					continue;
				for (vi = 0; e->variants[vi]; vi++) {
					struct tcase *c = &m->c[n++];

					case_fill(c, ti, ei, bi, DIR_READ, 0, ACT_NONE);
					c->vi = vi;
					c->v.size = c->v.bufoff = 0;
					c->impossible = NULL;
					c->selftest = (int)vi >= e->selftest_from;
					c->in_default = !c->selftest;
					if (e->backings)
						snprintf(c->id, sizeof(c->id), "%s/%s/%s/%s",
							 target_table[ti]->name, e->name, c->b->name,
							 e->variants[vi]);
					else
						snprintf(c->id, sizeof(c->id), "%s/%s/%s",
							 target_table[ti]->name, e->name, e->variants[vi]);
				}
			}
		}
	}
	return n;
}

int matrix_build(struct matrix *m, const int *target_given)
{
	size_t ti, ei, bi, vi, n = 0, cap;
	int d;

	cap = target_count * engine_count * (buffer_count * 2 * (variant_count + action_count) + 1) +
	      engine_count * buffer_count * 8;
	m->c = calloc(cap, sizeof(*m->c));
	m->n = 0;
	if (!m->c)
		return -1;
	for (ti = 0; ti < target_count; ti++) {
		const struct target_ops *t = target_table[ti];

		if (t->no_file || (t->user_given && !(target_given && target_given[ti])))
			continue;
		for (ei = 0; ei < engine_count; ei++)
			for (bi = 0; bi < buffer_count && !engine_table[ei]->kernel; bi++)
				for (d = 0; d < 2; d++) {
					size_t first = n, possible = 0, pick, k;

					for (vi = 0; vi < variant_count; vi++) {
						struct tcase *c = &m->c[n++];

						case_fill(c, ti, ei, bi, d, vi, ACT_NONE);
						if (!c->impossible)
							possible++;
					}
					/* Default: one meaningful variant per combination,
					 * rotated so every target and engine meets them all. */
					if (!possible)
						continue;
					/* an engine of one direction rotates by buffer alone */
					pick = (ti + ei * 3 + (engine_table[ei]->dirs ? bi : bi * 2 + d)) %
						possible;
					for (k = first; k < n; k++) {
						if (m->c[k].impossible)
							continue;
						if (pick-- == 0) {
							m->c[k].in_default = 1;
							break;
						}
					}
				}
	}
	n = add_action_cases(m, n, target_given);
	n = add_kernel_cases(m, n, target_given);
	n = add_regress_cases(m, n);
	m->n = n;
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
			/* a self-test (meant to fail) only when named exactly */
			break;
		case SEL_FULL:
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
