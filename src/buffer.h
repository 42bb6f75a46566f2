#ifndef IOVBED_BUFFER_H
#define IOVBED_BUFFER_H

#include <limits.h>
#include "env.h"
#include "iovbed.h"
#include "util.h"

/*
 * User memory for one case. The mapping starts with a FOLIO_PMD lead area
 * (it holds the guard before the buffer), then `base`, PMD-aligned; the IO
 * buffer is at base + bufoff.
 */
struct buffer {
	const struct buffer_ops *ops;
	void *map;
	size_t maplen;
	char *base;
	char *io;
	size_t len;
	int fd;			/* backing file of shared kinds, else -1 */
	char path[PATH_MAX];
};

enum buffer_backing {
	BACKING_ANON,		/* private anonymous memory */
	BACKING_MEMFD,		/* shmem: dirty pages have no writeback */
	BACKING_FILE,		/* MAP_SHARED page cache of a disk filesystem */
};

struct buffer_ops {
	const char *name;
	const char *desc;
	enum buffer_backing backing;
	/* The kernel refuses long-term pins (io_uring registration) of these
	 * pages: MAP_SHARED pages of a disk filesystem (6.5+: GUP; before: io_uring). */
	int longterm_refused;
	int needs_hugetlb;	/* hugetlb pages reserved for the run */
	int thp;		/* MADV_HUGEPAGE: THP split and collapse act on it */
	const char *fs;		/* scratch filesystem holding the file, or NULL */
	/* Where its cases are narrower than the matrix: the largest IO into
	 * it (0: any) and why; reads only (why); outside the default matrix
	 * (why: --full or a filter naming a case runs them). */
	size_t max_size;
	const char *max_why, *reads_only, *outside_default;
	/* Why writeback may leave its pages dirty while a read pins them (a
	 * clean of a held read then cleans none), or NULL. */
	const char *pinned_stay_dirty;
	/* Map maplen bytes (PMD-aligned) into b->map. SETUP_READY, SKIP, BROKEN. */
	enum setup_state (*alloc)(struct buffer *b, struct env *env, char *why);
	/* After the buffer is touched: is it what it claims (THP really huge)? */
	enum setup_state (*confirm)(struct buffer *b, char *why);
	void (*release)(struct buffer *b);
	/* Optional (stress disturbers): map the same memory again at b->map
	 * after b->map was unmapped: the file again for shared kinds, fresh
	 * pages for private ones. SETUP_READY, or SETUP_BROKEN with why. */
	enum setup_state (*remap)(struct buffer *b, char *why);
};

/* Map a buffer for an IO of v->size at v->bufoff; guard space on both sides. */
enum setup_state buffer_get(struct buffer *b, const struct buffer_ops *ops,
			    const struct variant *v, struct env *env, char *why);
void buffer_put(struct buffer *b);
/* mmap len bytes aligned to FOLIO_PMD. */
void *map_aligned(size_t len, int prot, int flags, int fd, char *why);
/* mmap b->maplen bytes at b->map again (MAP_FIXED): SETUP_READY or BROKEN. */
enum setup_state map_again(struct buffer *b, int flags, int fd, char *why);

#endif
