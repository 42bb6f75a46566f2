/* anon: private anonymous memory in 4K pages (THP refused for it). */
#include "buffer.h"

#include <sys/mman.h>

static enum setup_state anon_alloc(struct buffer *b, struct env *env, char *why)
{
	(void)env;
	b->map = map_aligned(b->maplen, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, why);
	if (!b->map)
		return SETUP_BROKEN;
	if (madvise(b->map, b->maplen, MADV_NOHUGEPAGE) < 0) {
		errf(why, "madvise MADV_NOHUGEPAGE");
		return SETUP_BROKEN;
	}
	return SETUP_READY;
}

const struct buffer_ops buf_anon = {
	.name = "anon",
	.desc = "private anonymous 4K pages",
	.backing = BACKING_ANON,
	.alloc = anon_alloc,
};
