#ifndef IOVBED_SWAPFILE_H
#define IOVBED_SWAPFILE_H

#include "util.h"

/*
 * A swap file of the run's own (stress: MADV_PAGEOUT and reclaim reach
 * anonymous memory only where there is swap; many machines have none).
 * Made in the scratch directory, turned off and removed on every way out;
 * a run killed with SIGKILL leaves it on, and the next run's reclaim
 * turns it off (swap_off_below).
 */
/* 0 on; -1 with err: SETUP_SKIP in *state where the kernel or the
 * filesystem cannot swap to a file, SETUP_BROKEN otherwise. */
int swapfile_on(const char *path, long long bytes, int *state, char *err);
void swapfile_off(const char *path);
/* Turn off (and remove) every swap file below dir. */
void swap_off_below(const char *dir, struct strbuf *log);

#endif
