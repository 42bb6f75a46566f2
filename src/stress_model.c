/* A stress target's content: the generation of each 512-byte sector. A
 * write gives its range a new generation, whose pattern is the run's
 * positional pattern under a seed of its own (generation 0: the run's
 * seed, what set-up wrote); a hole or zeroed range reads zero; a range
 * that chaos or a disturber left unknown is not judged until a checkpoint
 * rewrites it. An op owns its sectors while it runs. */
#include "stress.h"
#include "checks.h"
#include "pattern.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STALE_LOOKBACK 4096	/* generations a stale word is looked up in */

int model_init(struct model *m, off_t area, uint64_t seed, int id)
{
	memset(m, 0, sizeof(*m));
	m->nsect = area / SECTOR;
	m->gen = calloc(m->nsect, sizeof(*m->gen));
	m->npages = (area + BUSY_GRAIN - 1) / BUSY_GRAIN;
	m->busy = calloc(m->npages, 1);
	if (!m->gen || !m->busy)
		return -1;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->freed, NULL);
	m->next_gen = 1;
	m->seed = seed;
	m->id = id;
	return 0;
}

void model_free(struct model *m)
{
	if (!m->gen)
		return;
	free(m->gen);
	free(m->busy);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->freed);
	m->gen = NULL;
}

uint64_t model_seed(const struct model *m, uint32_t gen)
{
	if (!gen)
		return m->seed;
	return mix64(m->seed ^ ((uint64_t)(m->id + 1) << 40) ^ (gen * 0x9e3779b97f4a7c15ULL));
}

static void first_last(off_t off, size_t len, size_t *s0, size_t *s1)
{
	*s0 = off / SECTOR;
	*s1 = (off + len + SECTOR - 1) / SECTOR;
}

/* The pages an op owns: direct IO and the page cache meet at page grain
 * (a direct write invalidates the pages it covers, whole). */
static void pages_of(const struct model *m, off_t off, size_t len, size_t *p0, size_t *p1)
{
	*p0 = off / BUSY_GRAIN;
	*p1 = (off + len + BUSY_GRAIN - 1) / BUSY_GRAIN;
	if (*p1 > m->npages)	/* a span rounded out past the area, or a truncate's */
		*p1 = m->npages;
	if (*p0 > *p1)
		*p0 = *p1;
}

/* All n bytes zero. */
static int pages_zero(const uint8_t *p, size_t n)
{
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

/* Wait for sectors to be freed, a tenth of a second at most (the caller
 * looks at the pause flag between waits). */
static void wait_freed(struct model *m)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&m->freed, &m->lock, &ts);
}

/* Can the pages [p0, p1) be had: a writer wants them free, a reader
 * wants no writer (and room in the count). */
static int pages_free(const struct model *m, size_t p0, size_t p1, int shared)
{
	size_t i;

	if (!shared)
		return pages_zero(m->busy + p0, p1 - p0);
	for (i = p0; i < p1; i++)
		if (m->busy[i] >= BUSY_READERS_MAX)
			return 0;
	return 1;
}

int model_acquire(struct model *m, const struct span *sp, int wait, atomic_int *pause)
{
	size_t p0, p1, i;
	int ret = 0;

	pages_of(m, sp->off, sp->len, &p0, &p1);
	pthread_mutex_lock(&m->lock);
	while (!pages_free(m, p0, p1, sp->shared)) {
		if (!wait || (pause && atomic_load(pause))) {
			ret = wait ? 1 : -1;
			goto out;
		}
		wait_freed(m);
	}
	for (i = p0; i < p1; i++)
		m->busy[i] = sp->shared ? m->busy[i] + 1 : BUSY_WRITER;
out:
	pthread_mutex_unlock(&m->lock);
	return ret;
}

void model_release(struct model *m, const struct span *sp)
{
	size_t p0, p1, i;

	pages_of(m, sp->off, sp->len, &p0, &p1);
	pthread_mutex_lock(&m->lock);
	for (i = p0; i < p1; i++)
		m->busy[i] = sp->shared ? m->busy[i] - 1 : 0;
	pthread_cond_broadcast(&m->freed);
	pthread_mutex_unlock(&m->lock);
}

uint32_t model_new_gen(struct model *m)
{
	uint32_t g = __atomic_fetch_add(&m->next_gen, 1, __ATOMIC_RELAXED);

	return g < GEN_UNKNOWN ? g : 1;	/* after 4 billion writes: old patterns again */
}

void model_set(struct model *m, off_t off, size_t len, uint32_t gen)
{
	size_t s0, s1, i;

	first_last(off, len, &s0, &s1);
	for (i = s0; i < s1 && i < m->nsect; i++)
		m->gen[i] = gen;
}

void model_snapshot(const struct model *m, off_t off, size_t len, uint32_t *gens)
{
	size_t s0, s1;

	first_last(off, len, &s0, &s1);
	memcpy(gens, m->gen + s0, (s1 - s0) * sizeof(*gens));
}

void model_fill(const struct model *m, void *buf, off_t off, size_t len, uint32_t gen)
{
	if (gen == GEN_ZERO)
		memset(buf, 0, len);
	else
		pattern_fill(buf, len, model_seed(m, gen), off);
}

/* The found word at file offset at (8-aligned, inside the buffer): an
 * older generation's data for this very offset? */
static void explain_stale(const struct model *m, const unsigned char *p, off_t at, uint32_t gen,
			  struct strbuf *diag)
{
	uint64_t w = 0, origin;
	uint32_t g, back;
	int i;

	for (i = 0; i < 8; i++)
		w |= (uint64_t)p[i] << (8 * i);
	for (back = 1; back <= STALE_LOOKBACK && back <= gen; back++) {
		g = gen - back;
		if (pattern_origin(model_seed(m, g), w, &origin) && origin == (uint64_t)at) {
			sb_addf(diag, "data:   found bytes are generation %u's for this offset "
				"(%u writes older: stale%s)\n", g, back, g ? "" : ", the set-up's data");
			return;
		}
	}
}

/* A run of sectors of one generation: [pos, pos + n) at buf. */
struct gen_run {
	const unsigned char *buf;
	off_t pos;
	size_t n;
	uint32_t gen;
};

static int check_run(const struct model *m, const struct gen_run *r, struct model_check *mc,
		     struct strbuf *diag)
{
	const unsigned char *buf = r->buf;
	off_t pos = r->pos;
	size_t n = r->n;
	uint32_t gen = r->gen;
	struct mismatch mm;
	char what[160];

	if (gen == GEN_UNKNOWN)
		return 0;
	mc->verified += n;
	snprintf(what, sizeof(what), "%s (model: generation %s%u)", mc->what,
		 gen == GEN_ZERO ? "zero, " : "", gen == GEN_ZERO ? 0 : gen);
	if (gen == GEN_ZERO)
		return check_zero(buf, n, what, diag);
	if (!pattern_check(buf, n, model_seed(m, gen), pos, NULL))
		return 0;
	check_data(buf, n, PAT(model_seed(m, gen), pos), what, diag);
	pattern_check(buf, n, model_seed(m, gen), pos, &mm);
	if (!mm.origin_known && !mm.found_zero && (mm.file_off & ~7LL) >= pos &&
	    (size_t)((mm.file_off & ~7LL) - pos) + 8 <= n)
		explain_stale(m, buf + ((mm.file_off & ~7LL) - pos), mm.file_off & ~7LL, gen, diag);
	return 1;
}

/* Check [mc->off, + mc->len) of mc->buf run by run; gens[i] is the
 * generation of the i-th sector from mc->off's. */
static int check_runs(const struct model *m, const uint32_t *gens, struct model_check *mc,
		      struct strbuf *diag)
{
	const unsigned char *buf = mc->buf;
	off_t pos = mc->off, end = mc->off + mc->len, base = mc->off / SECTOR;

	while (pos < end) {
		size_t k = pos / SECTOR - base;
		uint32_t g = gens[k];
		off_t run_end = (pos / SECTOR + 1) * SECTOR;

		while (run_end < end && gens[run_end / SECTOR - base] == g)
			run_end += SECTOR;
		if (run_end > end)
			run_end = end;
		if (check_run(m, &(struct gen_run){ buf + (pos - mc->off), pos, run_end - pos, g },
			      mc, diag))
			return 1;
		pos = run_end;
	}
	return 0;
}

int model_check(const struct model *m, struct model_check *mc, struct strbuf *diag)
{
	return check_runs(m, m->gen + mc->off / SECTOR, mc, diag);
}

int gens_check(const struct model *m, const uint32_t *gens, struct model_check *mc,
	       struct strbuf *diag)
{
	return check_runs(m, gens, mc, diag);
}
