/* A worker's op stream: drawn from (seed, worker) alone, so the same seed
 * gives every worker the same ops whatever the timing; and an op as one
 * line (the record, a failure's last ops) and back (the replay). */
#include "stress.h"
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sop_names[SOP_COUNT] = {
	"direct", "buffered", "mmap", "punch", "zero", "truncate", "fsync", "chaos", "fix",
};

/* splitmix64: the stream's next number. */
uint64_t rng_next(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return mix64(*state);
}

static enum sop_kind pick_kind(const struct stress *s, uint64_t r)
{
	unsigned x = r % s->weight_sum, k;

	for (k = 0; k < SOP_COUNT; k++) {
		if (x < s->kind_weight[k])
			return k;
		x -= s->kind_weight[k];
	}
	return SOP_DIRECT;
}

/* An offset for len bytes in the target's area, on its alignment. */
static off_t pick_off(const struct starget *t, size_t len, uint64_t r)
{
	off_t slots = (t->area - (off_t)len) / t->align + 1;

	return (off_t)(r % (uint64_t)slots) * t->align;
}

/* A stress target that allows cap (the first one that does from a random
 * start), or -1. */
static int pick_target(const struct stress *s, unsigned cap, uint64_t r)
{
	size_t i, k;

	for (i = 0; i < s->ntg; i++) {
		k = (r + i) % s->ntg;
		if (!cap || (s->tg[k].caps & cap))
			return k;
	}
	return -1;
}

/* Direct IO, buffered, mmap and chaos take a row's target, buffer kind,
 * size and offset in the buffer. */
static void draw_row(struct stress *s, struct worker *w, struct sop *op)
{
	const struct srow *row = &s->rows[rng_next(&w->rng) % s->nrows];

	op->ti = row->st;
	op->bi = row->bi;
	op->dir = row->dir;
	op->len = row->v.size;
	op->bufoff = row->v.bufoff;
	if (op->kind == SOP_DIRECT)
		op->ei = row->ei;
	else
		op->dir = rng_next(&w->rng) & 1 ? DIR_WRITE : DIR_READ;
	if (op->kind == SOP_MMAP && !(s->tg[op->ti].caps & CAP_MMAP))
		op->kind = SOP_BUFFERED;	/* the target cannot be mapped */
	op->off = pick_off(&s->tg[op->ti], op->len, rng_next(&w->rng));
}

/* punch, zero, truncate: a target that allows it, else an fsync. */
static void draw_range(struct stress *s, struct worker *w, struct sop *op, unsigned cap)
{
	const struct starget *t;
	uint64_t r = rng_next(&w->rng);
	int st = pick_target(s, cap, r);

	if (st < 0) {
		op->kind = SOP_FSYNC;
		op->ti = r % s->ntg;
		return;
	}
	t = &s->tg[st];
	op->ti = st;
	op->dir = DIR_WRITE;
	if (op->kind == SOP_TRUNCATE) {
		/* down to somewhere in the upper half, on a 4 KiB block */
		op->off = t->area / 2 + (off_t)(rng_next(&w->rng) % (t->area / 2 / 4096)) * 4096;
		op->len = t->area - op->off;
		return;
	}
	op->len = (size_t)(1 + rng_next(&w->rng) % 256) * (t->align > 4096 ? t->align : 4096);
	op->off = pick_off(t, op->len, rng_next(&w->rng));
}

void sop_draw(struct stress *s, struct worker *w, struct sop *op)
{
	memset(op, 0, sizeof(*op));
	op->worker = w->id;
	op->index = w->next++;
	op->ei = op->bi = op->slot = -1;
	op->kind = pick_kind(s, rng_next(&w->rng));
	switch (op->kind) {
	case SOP_PUNCH:
		return draw_range(s, w, op, CAP_PUNCH);
	case SOP_ZERO:
		return draw_range(s, w, op, CAP_ZERO);
	case SOP_TRUNCATE:
		return draw_range(s, w, op, CAP_TRUNCATE);
	case SOP_FSYNC:
		op->ti = rng_next(&w->rng) % s->ntg;
		return;
	default:
		return draw_row(s, w, op);
	}
}

/* Does the op dirty the page cache (or zero part of a cached folio)? */
static int dirties_cache(const struct sop *op)
{
	switch (op->kind) {
	case SOP_BUFFERED:
	case SOP_MMAP:
		return op->dir == DIR_WRITE;
	case SOP_PUNCH:
	case SOP_ZERO:
	case SOP_TRUNCATE:
	case SOP_CHAOS:
		return 1;
	default:
		return 0;
	}
}

/* The range an op owns. One that dirties the page cache owns whole
 * folio-sized blocks: page cache folios (of a block device's too) may be
 * up to FOLIO_PMD, and a direct write whose range shares a folio that
 * another op dirties meanwhile cannot invalidate it: the kernel keeps
 * the stale folio and reports EIO at the next sync
 * (dio_warn_stale_pagecache), legitimately. */
struct span sop_span(const struct sop *op)
{
	int reads = (op->kind == SOP_DIRECT || op->kind == SOP_BUFFERED || op->kind == SOP_MMAP) &&
		    op->dir == DIR_READ;
	off_t lo = op->off, hi = op->off + (off_t)op->len;

	if (dirties_cache(op)) {
		lo &= ~(off_t)(FOLIO_PMD - 1);
		hi = (hi + FOLIO_PMD - 1) & ~(off_t)(FOLIO_PMD - 1);
	}
	return (struct span){ lo, (size_t)(hi - lo), reads };
}

void sop_format(const struct stress *s, const struct sop *op, char *out, size_t len)
{
	char who[16];
	const char *en = op->err ? strerrorname_np(op->err) : NULL;

	if (op->worker < 0)
		snprintf(who, sizeof(who), "w-");
	else
		snprintf(who, sizeof(who), "w%d", op->worker);
	snprintf(out, len, "%s #%llu %s %s %s %s %s off=%lld len=%zu bufoff=%zu gen=%u slot=%d "
		 "res=%zd%s%s", who, op->index, sop_names[op->kind], s->tg[op->ti].t->ops->name,
		 op->ei >= 0 ? engine_table[op->ei]->name : "-",
		 op->bi >= 0 ? buffer_table[op->bi]->name : "-", dir_name(op->dir),
		 (long long)op->off, op->len, op->bufoff, op->gen, op->slot, op->res,
		 op->err ? " err=" : "", op->err ? (en ? en : "?") : "");
}

/* Names back to table rows: -1 for "-", -2 unknown. */
static int lookup(const char *name, const char *(*name_of)(size_t), size_t n)
{
	size_t i;

	if (!strcmp(name, "-"))
		return -1;
	for (i = 0; i < n; i++)
		if (!strcmp(name, name_of(i)))
			return i;
	return -2;
}

static const char *engine_name_of(size_t i) { return engine_table[i]->name; }
static const char *buffer_name_of(size_t i) { return buffer_table[i]->name; }

static int stress_target_of(const struct stress *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ntg; i++)
		if (!strcmp(s->tg[i].t->ops->name, name))
			return i;
	return -2;
}

/* The names and numbers of a line into op. */
static int parse_names(const struct stress *s, char (*w)[32], struct sop *op, char *err)
{
	int k;

	op->worker = strcmp(w[0], "w-") ? atoi(w[0] + 1) : -1;
	for (k = 0; k < SOP_COUNT && strcmp(w[1], sop_names[k]); k++)
		;
	op->kind = k;
	op->ti = stress_target_of(s, w[2]);
	op->ei = lookup(w[3], engine_name_of, engine_count);
	op->bi = lookup(w[4], buffer_name_of, buffer_count);
	op->dir = strcmp(w[5], "write") ? DIR_READ : DIR_WRITE;
	if (k == SOP_COUNT || op->ti < 0 || op->ei < -1 || op->bi < -1 ||
	    (op->kind == SOP_DIRECT && (op->ei < 0 || op->bi < 0))) {
		snprintf(err, ERRLEN, "unknown op, target, engine or buffer in '%s %s %s %s' "
			 "(the run had targets it cannot set up here?)", w[1], w[2], w[3], w[4]);
		return -1;
	}
	return 0;
}

int sop_parse(const struct stress *s, const char *line, struct sop *op, char *err)
{
	char w[6][32];
	long long off;
	int n;

	memset(op, 0, sizeof(*op));
	op->slot = -1;
	n = sscanf(line, "%31s #%llu %31s %31s %31s %31s %31s off=%lld len=%zu bufoff=%zu gen=%u",
		   w[0], &op->index, w[1], w[2], w[3], w[4], w[5], &off, &op->len, &op->bufoff,
		   &op->gen);
	if (n != 11 || w[0][0] != 'w') {
		snprintf(err, ERRLEN, "not an op line: %.200s", line);
		return -1;
	}
	op->off = off;
	return parse_names(s, w, op, err);
}
