/* Page flags of a user buffer: pagemap gives the PFN, kpageflags the flags. */
#include "kpage.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

const struct kpage_src kpage_default = {
	.pagemap = "/proc/self/pagemap",
	.kpageflags = "/proc/kpageflags",
	.page_size = 4096,
};

#define PM_PFN_MASK ((1ULL << 55) - 1)
#define PM_SWAP (1ULL << 62)
#define PM_PRESENT (1ULL << 63)

long kpage_swapped(const struct kpage_src *src, const void *addr, size_t len, char *err)
{
	uintptr_t first = (uintptr_t)addr / src->page_size;
	size_t i, n = kpage_count(src, addr, len);
	long swapped = 0;
	uint64_t ent;
	int pm = open(src->pagemap, O_RDONLY | O_CLOEXEC);

	if (pm < 0) {
		errf(err, "open %s", src->pagemap);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (pread(pm, &ent, 8, (first + i) * 8) != 8) {
			errf(err, "read %s at page %zu", src->pagemap, i);
			close(pm);
			return -1;
		}
		swapped += !!(ent & PM_SWAP);
	}
	close(pm);
	return swapped;
}

size_t kpage_count(const struct kpage_src *src, const void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr, ps = src->page_size;

	if (!len)
		return 0;
	return (a + len + ps - 1) / ps - a / ps;
}

/* The head of the folio holding tail page pfn: folios are naturally
 * aligned, so it is pfn rounded down to the first power of two whose
 * page says COMPOUND_HEAD (order 18 covers a 1 GiB page). */
static int head_flags(int kf, uint64_t pfn, uint64_t *out)
{
	unsigned int order;

	for (order = 1; order <= 18; order++) {
		uint64_t head = pfn & ~((1ULL << order) - 1), f;

		if (pread(kf, &f, 8, head * 8) != 8)
			return -1;
		if (f & (1ULL << KPF_COMPOUND_HEAD)) {
			*out = f;
			return 0;
		}
	}
	return -1;
}

int kpage_flags(const struct kpage_src *src, const void *addr, size_t len, uint64_t *flags,
		char *err)
{
	uintptr_t first = (uintptr_t)addr / src->page_size;
	size_t i, n = kpage_count(src, addr, len);
	int pm, kf, ret = -1;

	pm = open(src->pagemap, O_RDONLY | O_CLOEXEC);
	if (pm < 0) {
		errf(err, "open %s", src->pagemap);
		return -1;
	}
	kf = open(src->kpageflags, O_RDONLY | O_CLOEXEC);
	if (kf < 0) {
		errf(err, "open %s", src->kpageflags);
		goto out_pm;
	}
	for (i = 0; i < n; i++) {
		uint64_t ent, pfn;

		if (pread(pm, &ent, 8, (first + i) * 8) != 8) {
			errf(err, "read %s at page %zu", src->pagemap, i);
			goto out_kf;
		}
		if (!(ent & PM_PRESENT)) {
			flags[i] = KPAGE_ABSENT;
			continue;
		}
		pfn = ent & PM_PFN_MASK;
		if (!pfn) {
			errno = EPERM;
			errf(err, "%s shows PFN 0 (needs CAP_SYS_ADMIN)", src->pagemap);
			goto out_kf;
		}
		if (pread(kf, &flags[i], 8, pfn * 8) != 8) {
			errf(err, "read %s at pfn %#llx", src->kpageflags, (unsigned long long)pfn);
			goto out_kf;
		}
		if (flags[i] & (1ULL << KPF_COMPOUND_TAIL)) {
			uint64_t head;

			if (head_flags(kf, pfn, &head) == 0)
				flags[i] |= head & KPAGE_FOLIO_BITS;
		}
	}
	ret = 0;
out_kf:
	close(kf);
out_pm:
	close(pm);
	return ret;
}
