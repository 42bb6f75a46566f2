/* hugetlb: private MAP_HUGETLB 2M pages, from the pages reserved for the run. */
#include "buffer.h"

#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

static enum setup_state hugetlb_alloc(struct buffer *b, struct env *env, char *why)
{
	(void)env;
	b->map = map_aligned(b->maplen, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, why);
	if (!b->map)
		return errno == ENOMEM ? SETUP_SKIP : SETUP_BROKEN;
	return SETUP_READY;
}

static enum setup_state hugetlb_remap(struct buffer *b, char *why)
{
	return map_again(b, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, why);
}

const struct buffer_ops buf_hugetlb = {
	.name = "hugetlb",
	.desc = "private hugetlb 2M pages",
	.backing = BACKING_ANON,
	.needs_hugetlb = 1,
	.alloc = hugetlb_alloc,
	.remap = hugetlb_remap,
};
