#ifndef IOVBED_VMSTAT_H
#define IOVBED_VMSTAT_H

/* The FOLL_PIN counters of /proc/vmstat. */
struct pin_snap {
	long long acquired, released;
};

struct vmstat_src {
	const char *vmstat;		/* /proc/vmstat */
	const char *stat_refresh;	/* /proc/sys/vm/stat_refresh, NULL: don't fold */
};
extern const struct vmstat_src vmstat_default;

/* Fold the per-CPU counters, then read both. 0, or -1 with err. */
int pin_read(const struct vmstat_src *src, struct pin_snap *s, char *err);

#endif
