/* The buffer-kind table and the mapping every kind shares. */
#include "buffer.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

enum setup_state map_again(struct buffer *b, int flags, int fd, char *why)
{
	void *p = mmap(b->map, b->maplen, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0);

	if (p == MAP_FAILED) {
		errf(why, "mmap MAP_FIXED %zu bytes at %p%s%s", b->maplen, b->map,
		     flags & MAP_SHARED ? " MAP_SHARED" : "", flags & MAP_HUGETLB ? " MAP_HUGETLB" : "");
		return SETUP_BROKEN;
	}
	return SETUP_READY;
}

enum setup_state buffer_get(struct buffer *b, const struct buffer_ops *ops,
			    const struct variant *v, struct env *env, char *why)
{
	size_t len = v->size, bufoff = v->bufoff;
	size_t need = bufoff + len + GUARD_LEN;
	enum setup_state st;

	memset(b, 0, sizeof(*b));
	b->ops = ops;
	b->fd = -1;
	b->maplen = FOLIO_PMD + (need + FOLIO_PMD - 1) / FOLIO_PMD * FOLIO_PMD;
	if (ops->needs_hugetlb) {
		st = env_hugetlb(env, why);
		if (st != SETUP_READY)
			return st;
	}
	st = ops->alloc(b, env, why);
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
