#ifndef IOVBED_KMSG_H
#define IOVBED_KMSG_H

#include "util.h"

/* The kernel log, read from /dev/kmsg from a mark onwards, and the taint
 * flags at the mark. */
struct kmsg {
	int fd;
	const char *taint_path;	/* TAINT_PATH; a fake file in the unit tests */
	unsigned long long taint;	/* the flags at the mark */
	int taint_err;		/* the flags could not be read at the mark */
};

int kmsg_open(struct kmsg *k, const char *path, char *err);
void kmsg_close(struct kmsg *k);
/* Skip everything logged so far; remember the taint flags. */
void kmsg_mark(struct kmsg *k);
/* The taint flags that appeared since the mark: 0 none, 1 some (named in
 * why), -1 unreadable (err). */
int kmsg_taint_since_mark(struct kmsg *k, struct strbuf *why, char *err);
/* Read what was logged since the mark; add the bad lines to bad (one per
 * line), every line to all (if not NULL). Returns the number of bad lines,
 * or -1 if the log could not be read. */
int kmsg_collect(struct kmsg *k, struct strbuf *bad, struct strbuf *all);
/* A WARNING, BUG, Oops, bad page or filesystem error line. */
int kmsg_line_bad(const char *msg);
/* Does msg report an IO error that a case injected below the block device
 * dev ("/dev/loop3" or "loop3") on purpose: the block layer's "I/O
 * error, dev loop3, sector ...", "Buffer I/O error on dev loop3", a
 * filesystem's count of its device's errors ("BTRFS error (device
 * loop3): bdev /dev/loop3 errs: wr 1, ...")? Never a warning, a BUG, a
 * corruption or a checksum failure. */
int kmsg_line_injected(const char *msg, const char *dev);

#endif
