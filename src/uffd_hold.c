/* Holding an IO with userfaultfd on its own buffer: the pages of the
 * buffer's second half are registered (missing mode: dropped first, their
 * bytes kept; write-protect mode: write-protected), so GUP, taking the
 * buffer's pages for the IO, blocks on their fault in the middle of the
 * buffer, with the first half already taken. Any path can be held so
 * (block, iomap, FUSE, NFS, 9p, io_uring). The hold ends by resolving the
 * fault: the kept bytes copied in, or the protection lifted. */
#include "uffd_hold.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096UL

static char *page_up(const char *p)
{
	return (char *)(((uintptr_t)p + PAGE - 1) & ~(PAGE - 1));
}

/* userfaultfd for kernel faults too (GUP's): root, not user-mode only. */
static int uffd_open(struct uffd_hold *u, char *err)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = u->wp ? UFFD_FEATURE_PAGEFAULT_FLAG_WP : 0 };

	u->fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u->fd < 0) {
		errf(err, "userfaultfd");
		u->skip = errno == ENOSYS || errno == EPERM;
		return -1;
	}
	if (ioctl(u->fd, UFFDIO_API, &api) < 0) {
		errf(err, "UFFDIO_API%s", u->wp ? " with UFFD_FEATURE_PAGEFAULT_FLAG_WP" : "");
		u->skip = errno == EINVAL;
		return -1;
	}
	return 0;
}

static int uffd_register(struct uffd_hold *u, char *err)
{
	struct uffdio_register reg = {
		.range = { (uintptr_t)u->lo, u->hi - u->lo },
		.mode = u->wp ? UFFDIO_REGISTER_MODE_WP : UFFDIO_REGISTER_MODE_MISSING,
	};
	struct uffdio_writeprotect wp = { .range = reg.range, .mode = UFFDIO_WRITEPROTECT_MODE_WP };

	if (ioctl(u->fd, UFFDIO_REGISTER, &reg) < 0) {
		errf(err, "UFFDIO_REGISTER of the buffer's second half (%s mode)",
		     u->wp ? "write-protect" : "missing");
		u->skip = errno == EINVAL;
		return -1;
	}
	u->registered = 1;
	if (u->wp && ioctl(u->fd, UFFDIO_WRITEPROTECT, &wp) < 0) {
		errf(err, "UFFDIO_WRITEPROTECT of the buffer's second half");
		return -1;
	}
	return 0;
}

int uffd_hold_arm(struct uffd_hold *u, char *io, size_t len, int wp, char *err)
{
	memset(u, 0, sizeof(*u));
	u->fd = -1;
	u->wp = wp;
	u->lo = page_up(io + len / 2);
	u->hi = page_up(io + len);
	if (u->hi <= u->lo) {
		errno = 0;
		errf(err, "the buffer has no page of its own to hold with userfaultfd");
		return -1;
	}
	if (uffd_open(u, err) < 0)
		return -1;
	if (!wp) {
		u->saved = malloc(u->hi - u->lo);
		if (!u->saved) {
			errf(err, "malloc");
			return -1;
		}
		memcpy(u->saved, u->lo, u->hi - u->lo);
		if (madvise(u->lo, u->hi - u->lo, MADV_DONTNEED) < 0) {
			errf(err, "madvise(MADV_DONTNEED) of the buffer's second half");
			return -1;
		}
	}
	return uffd_register(u, err);
}

int uffd_hold_held(struct uffd_hold *u, struct strbuf *what, char *err)
{
	struct uffd_msg msg;
	ssize_t n;

	if (u->got)
		return 1;
	n = read(u->fd, &msg, sizeof(msg));
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n != sizeof(msg)) {
		errf(err, "read of the userfaultfd");
		return -1;
	}
	if (msg.event != UFFD_EVENT_PAGEFAULT)
		return 0;
	u->got = 1;
	u->addr = (char *)(uintptr_t)msg.arg.pagefault.address;
	sb_addf(what, "userfaultfd holds the IO's %s fault at buffer page +%td of the second "
		"half (+%td..+%td)", (msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) ?
		"write-protect" : "missing-page", u->addr - u->lo, (ptrdiff_t)0, u->hi - u->lo);
	return 1;
}

/* Copy the kept bytes in (waking the fault); where the range is gone (an
 * action unmapped it), wake the fault so that it fails. */
static int resolve_missing(struct uffd_hold *u, char *err)
{
	struct uffdio_copy copy = { .dst = (uintptr_t)u->lo, .src = (uintptr_t)u->saved,
				    .len = u->hi - u->lo };
	struct uffdio_range wake = { (uintptr_t)u->lo, u->hi - u->lo };

	if (ioctl(u->fd, UFFDIO_COPY, &copy) == 0 || errno == EEXIST)
		return 0;
	if (errno == ENOENT || errno == ESRCH) {	/* unmapped: no vma to fill */
		ioctl(u->fd, UFFDIO_WAKE, &wake);
		return 0;
	}
	errf(err, "UFFDIO_COPY of the buffer's second half");
	return -1;
}

int uffd_hold_release(struct uffd_hold *u, char *err)
{
	struct uffdio_writeprotect wp = { .range = { (uintptr_t)u->lo, u->hi - u->lo } };
	struct uffdio_range wake = { (uintptr_t)u->lo, u->hi - u->lo };

	if (u->released)
		return 0;
	u->released = 1;
	if (!u->wp)
		return resolve_missing(u, err);
	if (ioctl(u->fd, UFFDIO_WRITEPROTECT, &wp) < 0) {
		if (errno == ENOENT) {	/* unmapped */
			ioctl(u->fd, UFFDIO_WAKE, &wake);
			return 0;
		}
		errf(err, "UFFDIO_WRITEPROTECT (lifting it) of the buffer's second half");
		return -1;
	}
	return 0;
}

void uffd_hold_end(struct uffd_hold *u)
{
	struct uffdio_range range = { (uintptr_t)u->lo, u->hi - u->lo };
	char err[ERRLEN];

	if (u->fd < 0)
		return;
	uffd_hold_release(u, err);
	if (u->registered)
		ioctl(u->fd, UFFDIO_UNREGISTER, &range);
	close(u->fd);	/* wakes whatever still waits on it */
	u->fd = -1;
	free(u->saved);
	u->saved = NULL;
}
