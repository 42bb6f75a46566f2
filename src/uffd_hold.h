#ifndef IOVBED_UFFD_HOLD_H
#define IOVBED_UFFD_HOLD_H

#include <stddef.h>
#include "util.h"

/* An IO held by userfaultfd on its buffer's second half (uffd_hold.c). */
struct uffd_hold {
	int fd;
	int wp;			/* write-protect mode, else missing */
	char *lo, *hi;		/* the pages registered */
	void *saved;		/* missing mode: their bytes, copied back to resolve */
	int registered, got, released;
	char *addr;		/* where the fault came */
	int skip;		/* arming failed for what the kernel lacks */
};

/* Register the pages of [io + len/2, io + len) (rounded up to pages):
 * 0, or -1 with err (u->skip: the kernel lacks it). */
int uffd_hold_arm(struct uffd_hold *u, char *io, size_t len, int wp, char *err);
/* Has the IO's fault arrived? 1 (what: where), 0, -1 err. */
int uffd_hold_held(struct uffd_hold *u, struct strbuf *what, char *err);
/* Resolve the fault (once): 0, or -1 with err. */
int uffd_hold_release(struct uffd_hold *u, char *err);
/* Resolve if not yet, unregister, close. */
void uffd_hold_end(struct uffd_hold *u);

#endif
