/* iovbed: the case model shared by every part of the test bed. */
#ifndef IOVBED_H
#define IOVBED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "kver.h"

#define KiB 1024UL
#define MiB (1024UL * 1024)
#define FOLIO_PMD (2 * MiB)	/* the folio size THP and hugetlb give on x86-64 */
#define GUARD_LEN 4096		/* guard bytes before and after every IO buffer */

/* The iov_iter flavours, in the kernel's words. */
enum flavour {
	ITER_UBUF, ITER_IOVEC, ITER_BVEC, ITER_KVEC, ITER_PIPE,
	ITER_XARRAY, ITER_FOLIOQ, ITER_DISCARD, ITER_NONE,
};
const char *flavour_name(enum flavour f);

/* Where a declared flavour meets the kernel, so the observer looks
 * there: a filesystem's or block device's entry (->read_iter,
 * ->write_iter), page extraction from the caller's iterator (vmsplice),
 * or a socket receive's msg_iter. */
enum flavour_at { AT_ENTRY, AT_EXTRACT, AT_RECEIVE };

enum dir { DIR_READ, DIR_WRITE };

/* State of a target, a buffer kind or a need, after its set-up ran. */
enum setup_state { SETUP_NONE, SETUP_READY, SETUP_SKIP, SETUP_BROKEN };

/* The outcomes of a case (LTP's TPASS/TFAIL/TCONF/TBROK), and a failure
 * the kernel is known to have upstream (TAP's TODO: not counted as one). */
enum outcome { OUT_PASS, OUT_FAIL, OUT_SKIP, OUT_BROKEN, OUT_XFAIL };

/* The kernel code a target's direct IO goes through: decides pin expectations. */
enum path_class {
	PATH_BLOCK,	/* block/fops.c direct IO on a block device */
	PATH_IOMAP,	/* iomap_dio_rw: ext4, xfs, btrfs */
	PATH_FUSE,	/* fs/fuse direct_io */
	PATH_NFS,	/* fs/nfs/direct.c */
	PATH_COPY,	/* accepts O_DIRECT but copies (tmpfs): never pins */
	PATH_9P,	/* fs/9p reads and writes through virtio zero-copy */
	PATH_UNKNOWN,	/* a handed-over filesystem iovbed does not know: no expectation */
	PATH_COUNT
};

/* What is done while the IO is held in flight (targets that can hold
 * one); the table in action.c says which cases each applies to. */
enum action {
	ACT_NONE,
	ACT_CLEAN,		/* a. clean the buffer pages (msync) while the read is held */
	ACT_CLEAN_AFTER,	/* self-test: clean them after completion: dirty must FAIL */
	ACT_FORK,		/* b. fork; the parent writes the page; the child's copy */
	ACT_MUNMAP,		/* c. unmap the buffer */
	ACT_DONTNEED,		/* d. madvise(MADV_DONTNEED) the buffer */
	ACT_MPROTECT,		/* e. mprotect(PROT_READ) the buffer */
	ACT_COMPACT,		/* f. compact all memory (/proc/sys/vm/compact_memory) */
	ACT_MIGRATE,		/* f. move_pages the buffer to another NUMA node */
	ACT_ABORT,		/* h. abort the connection (fusectl) */
	ACT_KILL,		/* h. SIGKILL the daemon */
	ACT_EIO,		/* the request fails with EIO */
	ACT_SHORT,		/* the read is answered 4096 bytes short */
	ACT_DELAY,		/* the answer comes after a delay */
	ACT_STUCK,		/* self-test: never answered: the case timeout must report it */
	ACT_MODIFY,		/* the caller changes the buffer while its write is held */
	ACT_COUNT
};

/* One size/offset point: IO of `size` bytes at `bufoff` bytes into a
 * PMD-aligned buffer base; offsets near FOLIO_PMD straddle a folio boundary. */
struct variant {
	size_t size;
	size_t bufoff;
};

#endif
