/* anon: private anonymous memory in 4K pages (THP refused for it). */
#include "buffer.h"

#include <sys/mman.h>

static enum setup_state anon_advise(struct buffer *b, char *why)
{
	if (madvise(b->map, b->maplen, MADV_NOHUGEPAGE) < 0) {
		errf(why, "madvise MADV_NOHUGEPAGE");
		return SETUP_BROKEN;
	}
	return SETUP_READY;
}

static enum setup_state anon_alloc(struct buffer *b, struct env *env, char *why)
{
	(void)env;
	b->map = map_aligned(b->maplen, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, why);
	if (!b->map)
		return SETUP_BROKEN;
	return anon_advise(b, why);
}

static enum setup_state anon_remap(struct buffer *b, char *why)
{
	enum setup_state st = map_again(b, MAP_PRIVATE | MAP_ANONYMOUS, -1, why);

	return st == SETUP_READY ? anon_advise(b, why) : st;
}

const struct buffer_ops buf_anon = {
	.name = "anon",
	.desc = "private anonymous 4K pages",
	.backing = BACKING_ANON,
	.alloc = anon_alloc,
	.remap = anon_remap,
};
