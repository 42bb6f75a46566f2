#ifndef IOVBED_KPAGE_H
#define IOVBED_KPAGE_H

#include <stddef.h>
#include <stdint.h>

/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h). */
#define KPF_UPTODATE	3
#define KPF_DIRTY	4
#define KPF_LRU		5
#define KPF_WRITEBACK	8
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_HUGE	17
#define KPF_NOPAGE	20
#define KPF_ZERO_PAGE	24
#define KPF_THP		22

#define KPAGE_FOLIO_BITS ((1ULL << KPF_UPTODATE) | (1ULL << KPF_DIRTY) | \
			  (1ULL << KPF_LRU) | (1ULL << KPF_WRITEBACK))
#define KPAGE_ABSENT	(1ULL << 63)	/* our marker: no page mapped there */

struct kpage_src {
	const char *pagemap;		/* /proc/self/pagemap */
	const char *kpageflags;		/* /proc/kpageflags */
	size_t page_size;
};
extern const struct kpage_src kpage_default;

/* The kpageflags word of every page in [addr, addr + len).  Kernels
 * before 6.4 (6.1 among them) report a tail page of a large folio with the
 * tail's own flags word, where PG_dirty is never set: the folio's state
 * lives in the head.  For a tail page the head's folio-wide bits (see
 * KPAGE_FOLIO_BITS) are merged in, so a dirty THP reads as dirty on every
 * kernel; newer kernels report them on the tail already.
 *
 * flags holds kpage_count(src, addr, len) entries. Needs root (PFNs are
 * hidden otherwise). */
int kpage_flags(const struct kpage_src *src, const void *addr, size_t len, uint64_t *flags,
		char *err);
size_t kpage_count(const struct kpage_src *src, const void *addr, size_t len);
/* How many pages of [addr, addr + len) pagemap shows in swap (bit 62: a
 * private page's swap entry; a shmem page swapped out shows none), or -1. */
long kpage_swapped(const struct kpage_src *src, const void *addr, size_t len, char *err);

#endif
