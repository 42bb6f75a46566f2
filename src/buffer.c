/* The buffer-kind table and the mapping every kind shares. */
#include "run.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const struct buffer_ops *const buffer_table[] = {
	&buf_anon, &buf_thp, &buf_hugetlb, &buf_shm_ext4, &buf_shm_xfs, &buf_memfd,
};
const size_t buffer_count = sizeof(buffer_table) / sizeof(buffer_table[0]);

#define HUGETLB_PAGES 8	/* the largest case maps 4 huge pages */

void *map_aligned(size_t len, int prot, int flags, int fd, char *why)
{
	size_t span = len + FOLIO_PMD;
	char *raw, *aligned, *p;

	raw = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED) {
		errf(why, "mmap %zu bytes (address space)", span);
		return NULL;
	}
	aligned = (char *)(((uintptr_t)raw + FOLIO_PMD - 1) & ~(uintptr_t)(FOLIO_PMD - 1));
	p = mmap(aligned, len, prot, flags | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		errf(why, "mmap %zu bytes%s%s", len, flags & MAP_SHARED ? " MAP_SHARED" : "",
		     flags & MAP_HUGETLB ? " MAP_HUGETLB" : "");
		munmap(raw, span);
		return NULL;
	}
	if (aligned > raw)
		munmap(raw, aligned - raw);
	if (raw + span > aligned + len)
		munmap(aligned + len, raw + span - (aligned + len));
	return p;
}

static enum setup_state hugetlb_ensure(struct bed *bed, char *why)
{
	if (bed->hugetlb == SETUP_NONE) {
		if (hugetlb_reserve(&bed->scratch, HUGETLB_PAGES, bed->hugetlb_why) < 0) {
			bed->hugetlb = SETUP_BROKEN;
		} else if (bed->scratch.hugetlb_added < HUGETLB_PAGES) {
			snprintf(bed->hugetlb_why, sizeof(bed->hugetlb_why),
				 "could reserve only %ld of %d hugetlb pages (memory too "
				 "fragmented or too small)", bed->scratch.hugetlb_added,
				 HUGETLB_PAGES);
			bed->hugetlb = SETUP_SKIP;
		} else {
			bed->hugetlb = SETUP_READY;
		}
	}
	if (bed->hugetlb != SETUP_READY)
		snprintf(why, ERRLEN, "%s", bed->hugetlb_why);
	return bed->hugetlb;
}

enum setup_state buffer_get(struct buffer *b, const struct buffer_ops *ops, size_t len,
			    size_t bufoff, struct bed *bed, char *why)
{
	size_t need = bufoff + len + GUARD_LEN;
	enum setup_state st;

	memset(b, 0, sizeof(*b));
	b->ops = ops;
	b->fd = -1;
	b->maplen = FOLIO_PMD + (need + FOLIO_PMD - 1) / FOLIO_PMD * FOLIO_PMD;
	if (ops->needs_hugetlb) {
		st = hugetlb_ensure(bed, why);
		if (st != SETUP_READY)
			return st;
	}
	st = ops->alloc(b, bed, why);
	if (st != SETUP_READY) {
		buffer_put(b);
		return st;
	}
	b->base = (char *)b->map + FOLIO_PMD;
	b->io = b->base + bufoff;
	b->len = len;
	return SETUP_READY;
}

void buffer_put(struct buffer *b)
{
	if (b->ops && b->ops->release)
		b->ops->release(b);
	if (b->map)
		munmap(b->map, b->maplen);
	b->map = NULL;
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	if (*b->path)
		unlink(b->path);
	*b->path = 0;
}
