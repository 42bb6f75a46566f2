#ifndef IOVBED_TAINT_H
#define IOVBED_TAINT_H

#include <stddef.h>
#include "util.h"

/*
 * /proc/sys/kernel/tainted: the kernel's own verdict on itself. A WARN
 * sets TAINT_WARN even when its log line scrolled away or kmsg was
 * rate-limited, so a case during which a new taint flag appeared fails,
 * naming the flags. The flags stay set until reboot: never write the file.
 */
#define TAINT_PATH "/proc/sys/kernel/tainted"

int taint_read(const char *path, unsigned long long *v, char *err);
/* "W (TAINT_WARN: a WARN fired), D (...)" for the bits set in v. */
void taint_names(unsigned long long v, char *out, size_t len);
/* 0 if after has no bit that before lacked; 1 with the new flags in why. */
int check_taint(unsigned long long before, unsigned long long after, struct strbuf *why);

#endif
