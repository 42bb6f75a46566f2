#ifndef IOVBED_KMSG_H
#define IOVBED_KMSG_H

#include "util.h"

/* The kernel log, read from /dev/kmsg from a mark onwards. */
struct kmsg {
	int fd;
};

int kmsg_open(struct kmsg *k, const char *path, char *err);
void kmsg_close(struct kmsg *k);
/* Skip everything logged so far. */
void kmsg_mark(struct kmsg *k);
/* Read what was logged since the mark; add the bad lines to bad (one per
 * line), every line to all (if not NULL). Returns the number of bad lines,
 * or -1 if the log could not be read. */
int kmsg_collect(struct kmsg *k, struct strbuf *bad, struct strbuf *all);
/* A WARNING, BUG, Oops, bad page or filesystem error line. */
int kmsg_line_bad(const char *msg);

#endif
