#ifndef IOVBED_LOOP_H
#define IOVBED_LOOP_H

#include <limits.h>
#include "util.h"

/* A loop device the test bed attached. It is attached with autoclear:
 * if the run dies, the device detaches when its last user goes. */
struct loopdev {
	int fd;
	int nr;
	char dev[32];
	char backing[PATH_MAX];
};

int loop_attach(struct loopdev *l, const char *backing, int direct_io, char *err);
/* /sys/block/loopN/loop/dio: 1, 0, or -1 if unreadable. */
int loop_dio(const struct loopdev *l);
void loop_detach(struct loopdev *l);
/* Detach every loop device whose backing file is below dir. */
void loop_detach_below(const char *dir, struct strbuf *log);

#endif
