/* thp: private anonymous memory in transparent huge pages (MADV_HUGEPAGE);
 * confirmed huge through /proc/kpageflags, else the case is skipped. */
#include "buffer.h"
#include "kpage.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static enum setup_state thp_alloc(struct buffer *b, struct env *env, char *why)
{
	(void)env;
	b->map = map_aligned(b->maplen, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, why);
	if (!b->map)
		return SETUP_BROKEN;
	if (madvise(b->map, b->maplen, MADV_HUGEPAGE) < 0) {
		errf(why, "madvise MADV_HUGEPAGE");
		return SETUP_SKIP;	/* THP not built in */
	}
	return SETUP_READY;
}

static enum setup_state thp_remap(struct buffer *b, char *why)
{
	enum setup_state st = map_again(b, MAP_PRIVATE | MAP_ANONYMOUS, -1, why);

	if (st == SETUP_READY && madvise(b->map, b->maplen, MADV_HUGEPAGE) < 0) {
		errf(why, "madvise MADV_HUGEPAGE");
		return SETUP_BROKEN;
	}
	return st;
}

static enum setup_state thp_confirm(struct buffer *b, char *why)
{
	size_t n = kpage_count(&kpage_default, b->io, b->len), i;
	uint64_t *flags = calloc(n, sizeof(*flags));
	enum setup_state st = SETUP_READY;

	if (!flags) {
		errf(why, "calloc");
		return SETUP_BROKEN;
	}
	if (kpage_flags(&kpage_default, b->io, b->len, flags, why) < 0) {
		st = SETUP_BROKEN;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (flags[i] != KPAGE_ABSENT && (flags[i] & (1ULL << KPF_THP)))
			continue;
		snprintf(why, ERRLEN, "THP not given: buffer page %zu of %zu is not part of a "
			 "transparent huge page (kpageflags %#llx; see "
			 "/sys/kernel/mm/transparent_hugepage/enabled)", i, n,
			 (unsigned long long)flags[i]);
		st = SETUP_SKIP;
		break;
	}
out:
	free(flags);
	return st;
}

const struct buffer_ops buf_thp = {
	.name = "thp",
	.desc = "private anonymous transparent huge pages",
	.backing = BACKING_ANON,
	.thp = 1,
	.alloc = thp_alloc,
	.confirm = thp_confirm,
	.remap = thp_remap,
};
