/* Reading nr_foll_pin_acquired / nr_foll_pin_released. */
#include "vmstat.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const struct vmstat_src vmstat_default = {
	.vmstat = "/proc/vmstat",
	.stat_refresh = "/proc/sys/vm/stat_refresh",
};

int pin_read(const struct vmstat_src *src, struct pin_snap *s, char *err)
{
	char line[256];
	int have = 0;
	FILE *f;

	/* The counters are batched per CPU: without the fold they lag. */
	if (src->stat_refresh && write_file(src->stat_refresh, "1", err) < 0)
		return -1;
	f = fopen(src->vmstat, "re");
	if (!f) {
		errf(err, "open %s", src->vmstat);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "nr_foll_pin_acquired %lld", &s->acquired) == 1)
			have |= 1;
		else if (sscanf(line, "nr_foll_pin_released %lld", &s->released) == 1)
			have |= 2;
	}
	fclose(f);
	if (have != 3) {
		errno = 0;
		errf(err, "%s has no nr_foll_pin_acquired/nr_foll_pin_released", src->vmstat);
		return -1;
	}
	return 0;
}
