/* compact: /proc/sys/vm/compact_memory, the whole machine compacted while
 * IO is in flight (a pinned page must not move). drop-caches:
 * /proc/sys/vm/drop_caches (clean page cache, now and then slab too).
 * Neither may change what an op sees. */
#include "disturb.h"

#include <stdio.h>
#include <stdlib.h>

struct vm_state {
	struct counters c;	/* first: counted_start's */
	long long dropped;	/* nr_file_pages that went, summed over the drops */
	unsigned long long steps;
};

/* Proactive compaction scans (compact_stall and compact_success count
 * direct compaction only: shown, not required). */
static const char *const compact_counters[] = {
	"compact_migrate_scanned", "~compact_isolated", "~pgmigrate_success", "~compact_stall",
	"~compact_success", NULL,
};
static const char *const drop_counters[] = { "drop_pagecache", NULL };

static int compact_start(struct dist_env *de, void **priv, char *err)
{
	(void)de;
	return counted_start(compact_counters, sizeof(struct vm_state), priv, err);
}

static int drop_start(struct dist_env *de, void **priv, char *err)
{
	(void)de;
	return counted_start(drop_counters, sizeof(struct vm_state), priv, err);
}

static int compact_step(struct dist_env *de, void *priv, uint64_t rnd, char *err)
{
	(void)de;
	(void)rnd;
	((struct vm_state *)priv)->steps++;
	return write_file("/proc/sys/vm/compact_memory", "1", err);
}

static int drop_step(struct dist_env *de, void *priv, uint64_t rnd, char *err)
{
	struct vm_state *vs = priv;
	long long before = counter_read("nr_file_pages"), after;

	(void)de;
	if (write_file("/proc/sys/vm/drop_caches", (rnd & 3) ? "1" : "3", err) < 0)
		return -1;
	after = counter_read("nr_file_pages");
	if (before > after)
		vs->dropped += before - after;
	vs->steps++;
	return 0;
}

static int drop_effect(void *priv, struct strbuf *out)
{
	struct vm_state *vs = priv;
	int ok = counters_effect(&vs->c, out);

	sb_addf(out, ", nr_file_pages fell by %lld pages over the drops", vs->dropped);
	return ok && vs->dropped > 0;
}

const struct disturber disturb_compact = {
	.name = "compact",
	.desc = "compact all memory (/proc/sys/vm/compact_memory)",
	.period_ms = 1000,
	.start = compact_start,
	.step = compact_step,
	.effect = counted_effect,
	.stop = counted_stop,
};

const struct disturber disturb_drop_caches = {
	.name = "drop-caches",
	.desc = "drop the clean page cache (and slab now and then): /proc/sys/vm/drop_caches",
	.period_ms = 1500,
	.start = drop_start,
	.step = drop_step,
	.effect = drop_effect,
	.stop = counted_stop,
};
