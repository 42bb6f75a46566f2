/* A stress run's set-up: the rows it draws from (the selected user-IO
 * cases of the matrix), its targets (set up as `iovbed run` does, their
 * whole area filled and modelled, what each allows probed), and each
 * worker's buffers and queues. */
#include "stress.h"
#include "pattern.h"
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHM_SLOTS_MAX 8		/* MAP_SHARED files share a 512 MiB filesystem */
#define PROBE_LEN 4096

/* Pattern generation 0 into [from, to) of the target, through the page
 * cache, then to the medium and out of the cache. */
static int fill_area(struct starget *st, off_t from, off_t to, char *err)
{
	size_t chunk = MiB;
	char *buf = malloc(chunk);
	off_t off;
	int ret = -1;

	if (!buf) {
		errf(err, "malloc");
		return -1;
	}
	for (off = from; off < to; off += chunk) {
		size_t n = to - off < (off_t)chunk ? (size_t)(to - off) : chunk;

		pattern_fill(buf, n, st->m.seed, off);
		if (pwrite(st->bfd, buf, n, off) != (ssize_t)n) {
			errf(err, "pwrite %s at %lld", st->t->path, (long long)off);
			goto out;
		}
	}
	if (fsync(st->bfd) < 0) {
		errf(err, "fsync %s", st->t->path);
		goto out;
	}
	posix_fadvise(st->bfd, 0, 0, POSIX_FADV_DONTNEED);
	ret = 0;
out:
	free(buf);
	return ret;
}

/* A block device's buffered and mmap ops read no more than their range.
 * An async direct write to a block device invalidates the page cache only
 * before it is submitted (block/fops.c, blkdev_direct_write: -EIOCBQUEUED
 * skips the invalidation after it), unlike iomap's completion: readahead
 * by a buffered read of a neighbouring range, while the write is in
 * flight, caches the blocks' old data, and a later sub-block buffered
 * write writes them back over the direct write (measured: seed 13 on
 * loop-nodio lost 3072 bytes of a uring-vec write that way, and buffered
 * reads returned data 6 writes old). The model owns ranges, not readahead
 * windows, so on block devices readahead is off; the finding itself is
 * reported in the README. */
static int no_readahead(struct starget *st)
{
	if (posix_fadvise(st->bfd, 0, 0, POSIX_FADV_RANDOM))
		return -1;
	return st->map ? madvise(st->map, st->area, MADV_RANDOM) : 0;
}

/* Does the target allow what punch, zero, truncate and mmap need? Each is
 * tried on the last 4 KiB, which are written again afterwards. */
static unsigned probe_caps(struct starget *st)
{
	off_t at = st->area - PROBE_LEN;
	struct stat sb;
	unsigned caps = 0;
	void *map;

	if (!fallocate(st->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, at, PROBE_LEN))
		caps |= CAP_PUNCH;
	if (!fallocate(st->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, at, PROBE_LEN))
		caps |= CAP_ZERO;
	/* the test bed's FUSE daemon serves files of a fixed size: it answers
	 * a truncate with the old size, which fstat then shows */
	if (!st->t->blockdev && !ftruncate(st->bfd, at) && !fstat(st->bfd, &sb) &&
	    sb.st_size == at && !ftruncate(st->bfd, st->area))
		caps |= CAP_TRUNCATE;
	map = mmap(NULL, st->area, PROT_READ | PROT_WRITE, MAP_SHARED, st->bfd, 0);
	if (map != MAP_FAILED) {
		st->map = map;
		caps |= CAP_MMAP;
	}
	return caps;
}

static int open_target(struct stress *s, struct starget *st, char *err)
{
	const struct target *t = st->t;

	st->area = t->write_base + t->region;
	st->align = t->ops->align;
	st->fd = open(t->path, O_RDWR | (t->ops->no_odirect ? 0 : O_DIRECT) | O_CLOEXEC);
	st->bfd = open(t->path, O_RDWR | O_CLOEXEC);
	if (st->fd < 0 || st->bfd < 0) {
		errf(err, "open %s", t->path);
		return -1;
	}
	if (model_init(&st->m, st->area, s->bed->seed, st->ti) < 0) {
		errf(err, "calloc of the model of %s", t->ops->name);
		return -1;
	}
	/* target_ensure wrote the read region: the rest of the area too */
	if (fill_area(st, t->write_base, st->area, err) < 0)
		return -1;
	st->caps = probe_caps(st);
	if (t->blockdev) {
		if (no_readahead(st) < 0) {
			errf(err, "readahead off on %s (fadvise, madvise)", t->path);
			return -1;
		}
		st->caps |= CAP_NO_RA;
	}
	return fill_area(st, st->area - PROBE_LEN, st->area, err);
}

/* The stress target of target row ti, set up and opened on first use:
 * its index, or -1 (skipped or broken: said on stderr). */
static int stress_target(struct stress *s, int ti, char *err)
{
	struct target *t;
	enum setup_state st;
	size_t i;

	for (i = 0; i < s->ntg; i++)
		if (s->tg[i].ti == ti)
			return i;
	st = bed_target(s->bed, ti, &t);
	if (st != SETUP_READY)
		return -1;
	s->tg[s->ntg] = (struct starget){ .t = t, .ti = ti, .fd = -1, .bfd = -1 };
	if (open_target(s, &s->tg[s->ntg], err) < 0)
		return -2;
	return s->ntg++;
}

/* Why a target or engine of a row cannot run, once per target/engine. */
static void note_skip(struct stress *s, const char *what, const char *why, int broken)
{
	fprintf(stderr, "%s %s: %s\n", broken ? "broken" : "skipped", what, why);
	if (broken)
		stress_broke(s, why);
}

/* --block: the row's op is that size at buffer offset 0, once per
 * target x engine x buffer x direction (-1: already there, or not on the
 * target's alignment). */
static int block_row(struct stress *s, struct srow *r)
{
	size_t i;

	r->v = (struct variant){ s->opt->stress.block, 0 };
	if (r->v.size % s->tg[r->st].align)
		return -1;
	for (i = 0; i < s->nrows; i++)
		if (s->rows[i].st == r->st && s->rows[i].ei == r->ei && s->rows[i].bi == r->bi &&
		    s->rows[i].dir == r->dir)
			return -1;
	return 0;
}

/* A row from case c, if its target and engine can run. 0 kept or
 * dropped; -1 the test bed broke (err). */
static int add_row(struct stress *s, const struct tcase *c, char *err)
{
	const char *why;
	enum setup_state es;
	int st, bi;

	if ((c->e->flags & ENG_REGISTERS) && c->b->longterm_refused)
		return 0;	/* a refused registration: run's case, not an IO */
	st = stress_target(s, c->ti, err);
	if (st == -2)
		return -1;
	if (st < 0)
		return 0;
	es = bed_engine(s->bed, c->ei, &why);
	if (es != SETUP_READY)
		return 0;
	for (bi = 0; buffer_table[bi] != c->b; bi++)
		;
	s->rows[s->nrows] = (struct srow){ .st = st, .ei = c->ei, .bi = bi, .dir = c->dir,
					   .v = c->v };
	if (s->opt->stress.block && block_row(s, &s->rows[s->nrows]) < 0)
		return 0;
	s->nrows++;
	if (s->rows[s->nrows - 1].v.size > s->max_len)
		s->max_len = s->rows[s->nrows - 1].v.size;
	return 0;
}

/* Skipped targets and engines, once each, with their reasons. */
static void note_skipped(struct stress *s, const struct matrix *m)
{
	char *seen = calloc(target_count + engine_count, 1);
	size_t i;

	for (i = 0; seen && i < m->n; i++) {
		const struct tcase *c = &m->c[i];
		struct target *t = &s->bed->targets[c->ti];
		const char *why;

		if (!c->selected || c->kind != CASE_IO || c->a)
			continue;
		if (t->state != SETUP_READY && !seen[c->ti]) {
			seen[c->ti] = 1;
			note_skip(s, t->ops->name, t->why, t->state == SETUP_BROKEN);
		} else if (t->state == SETUP_READY && !seen[target_count + c->ei] &&
			   bed_engine(s->bed, c->ei, &why) != SETUP_READY) {
			seen[target_count + c->ei] = 1;
			note_skip(s, c->e->name, why, s->bed->probe[c->ei] == SETUP_BROKEN);
		}
	}
	free(seen);
}

static int make_rows(struct stress *s, const struct matrix *m, char *err)
{
	size_t i;

	s->rows = calloc(m->n, sizeof(*s->rows));
	s->tg = calloc(target_count, sizeof(*s->tg));
	if (!s->rows || !s->tg) {
		errf(err, "calloc");
		return -1;
	}
	for (i = 0; i < m->n; i++) {
		const struct tcase *c = &m->c[i];

		if (c->selected && c->kind == CASE_IO && !c->a && add_row(s, c, err) < 0)
			return -1;
		if (stop_signal)
			return -1;
	}
	note_skipped(s, m);
	return 0;
}

uint32_t stress_slot_count(const struct stress *s, int bi)
{
	const struct buffer_ops *b = buffer_table[bi];

	if (b->needs_hugetlb)
		return 1;	/* the run's reservation holds a few huge pages */
	if (b->backing == BACKING_FILE)
		return s->depth < SHM_SLOTS_MAX ? s->depth : SHM_SLOTS_MAX;
	return s->depth;
}

/* The slot's mapping: room for the largest op at the largest offset. */
static enum setup_state slot_map(struct stress *s, struct sslot *sl, int bi, char *why)
{
	size_t i, end = 0;
	enum setup_state st;

	for (i = 0; i < s->nrows; i++)
		if (s->rows[i].v.size + s->rows[i].v.bufoff > end)
			end = s->rows[i].v.size + s->rows[i].v.bufoff;
	sl->bi = bi;
	st = buffer_get(&sl->b, buffer_table[bi], &(struct variant){ end, 0 }, &s->bed->env, why);
	if (st == SETUP_READY && buffer_table[bi]->backing == BACKING_FILE) {
		sl->read_gens = calloc(end / SECTOR + 2, sizeof(*sl->read_gens));
		if (!sl->read_gens) {
			errf(why, "calloc");
			return SETUP_BROKEN;
		}
	}
	return st;
}

/* Drop the rows of buffer kind bi (it cannot be had): why once. */
static void drop_kind(struct stress *s, int bi, const char *why)
{
	size_t i, k = 0;

	fprintf(stderr, "skipped %s: %s\n", buffer_table[bi]->name, why);
	for (i = 0; i < s->nrows; i++)
		if (s->rows[i].bi != bi)
			s->rows[k++] = s->rows[i];
	s->nrows = k;
}

/* Which buffer kinds the rows use, as a mask. */
static unsigned kinds_used(const struct stress *s)
{
	unsigned mask = 0;
	size_t i;

	for (i = 0; i < s->nrows; i++)
		mask |= 1u << s->rows[i].bi;
	return mask;
}

/* Hugetlb pages for every worker's slot, twice over: a page a disturber
 * unmapped or dropped stays pinned by the IO in flight into it while the
 * slot faults in a new one (with too few, that fault is a SIGBUS). */
static enum setup_state hugetlb_pool(struct stress *s, char *why)
{
	size_t i, end = 0;

	for (i = 0; i < s->nrows; i++)
		if (s->rows[i].v.size + s->rows[i].v.bufoff > end)
			end = s->rows[i].v.size + s->rows[i].v.bufoff;
	return env_hugetlb_at_least(&s->bed->env, 2L * s->nworkers *
				    (1 + (end + GUARD_LEN + FOLIO_PMD - 1) / FOLIO_PMD), why);
}

/* Every worker's buffers of kind bi; a kind that cannot be had is
 * dropped with its rows (SKIP), -1 if the test bed broke. */
static int worker_slots_kind(struct stress *s, int bi, char *err)
{
	uint32_t n = stress_slot_count(s, bi), k;
	int wi;
	char why[ERRLEN];
	enum setup_state hs;

	if (buffer_table[bi]->needs_hugetlb && (hs = hugetlb_pool(s, why)) != SETUP_READY) {
		if (hs == SETUP_SKIP) {
			drop_kind(s, bi, why);
			return 0;
		}
		snprintf(err, ERRLEN, "hugetlb buffer: %.400s", why);
		return -1;
	}

	for (wi = 0; wi < s->nworkers; wi++) {
		struct worker *w = &s->w[wi];

		for (k = 0; k < n; k++) {
			struct sslot *sl = &w->slots[w->nslots];
			enum setup_state st = slot_map(s, sl, bi, why);

			if (st == SETUP_SKIP) {
				drop_kind(s, bi, why);
				return 0;
			}
			if (st != SETUP_READY) {
				snprintf(err, ERRLEN, "%s buffer: %.400s", buffer_table[bi]->name, why);
				return -1;
			}
			w->nslots++;
		}
	}
	return 0;
}

/* The registrable buffers of a worker (uring-fixed): every slot of a kind
 * whose pages may be pinned long-term. */
static int worker_fixed(struct worker *w, char *err)
{
	size_t i;

	w->fixed = calloc(w->nslots ? w->nslots : 1, sizeof(*w->fixed));
	if (!w->fixed) {
		errf(err, "calloc");
		return -1;
	}
	for (i = 0; i < w->nslots; i++) {
		struct buffer *b = &w->slots[i].b;

		if (b->ops->longterm_refused)
			continue;
		w->fixed[w->nfixed++] = (struct iovec){ b->base,
			b->maplen - (size_t)(b->base - (char *)b->map) };
	}
	return 0;
}

static int worker_init(struct stress *s, struct worker *w, int id, char *err)
{
	w->s = s;
	w->id = id;
	w->rng = mix64(s->bed->seed ^ 0x73747265737300ULL ^ (uint64_t)id);
	w->slots = calloc(buffer_count * s->depth + 1, sizeof(*w->slots));
	w->queues = calloc(engine_count, sizeof(*w->queues));
	w->fl = calloc(s->depth, sizeof(*w->fl));
	if (!w->slots || !w->queues || !w->fl ||
	    posix_memalign(&w->chaos_buf, FOLIO_PMD, CHAOS_BUF(s))) {
		errf(err, "calloc");
		return -1;
	}
	return 0;
}

static int make_workers(struct stress *s, char *err)
{
	unsigned used = kinds_used(s);
	size_t bi;
	int wi;

	s->w = calloc(s->nworkers, sizeof(*s->w));
	if (!s->w) {
		errf(err, "calloc");
		return -1;
	}
	for (wi = 0; wi < s->nworkers; wi++)
		if (worker_init(s, &s->w[wi], wi, err) < 0)
			return -1;
	for (bi = 0; bi < buffer_count; bi++)
		if ((used & (1u << bi)) && worker_slots_kind(s, bi, err) < 0)
			return -1;
	for (wi = 0; wi < s->nworkers; wi++)
		if (worker_fixed(&s->w[wi], err) < 0)
			return -1;
	return 0;
}

int stress_setup(struct stress *s, const struct matrix *m, char *err)
{
	if (make_rows(s, m, err) < 0)
		return -1;
	if (!s->nrows)
		return 0;
	return make_workers(s, err);
}

static void target_close(struct starget *st)
{
	if (st->map)
		munmap(st->map, st->area);
	if (st->fd >= 0)
		close(st->fd);
	if (st->bfd >= 0)
		close(st->bfd);
	model_free(&st->m);
}

void stress_teardown(struct stress *s)
{
	size_t i;
	int wi;

	for (wi = 0; s->w && wi < s->nworkers; wi++) {
		struct worker *w = &s->w[wi];

		worker_close(w);
		for (i = 0; i < w->nslots; i++) {
			buffer_put(&w->slots[i].b);
			free(w->slots[i].read_gens);
		}
		free(w->slots);
		free(w->queues);
		free(w->fl);
		free(w->fixed);
		free(w->chaos_buf);
	}
	free(s->w);
	s->w = NULL;
	for (i = 0; s->tg && i < s->ntg; i++)
		target_close(&s->tg[i]);
	free(s->tg);
	free(s->rows);
	s->tg = NULL;
	s->rows = NULL;
}
