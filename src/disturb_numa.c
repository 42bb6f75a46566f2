/* move-pages: move_pages(2) of a worker buffer's pages to another NUMA
 * node with IO in flight (a pinned page stays where it is). Needs two
 * nodes (the guest has them). Nothing an op sees may change. */
#include "disturb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGES_MAX 1024
#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE (1 << 1)
#endif

struct numa_state {
	struct counters c;	/* first: counted_start's */
	unsigned long long moved;	/* pages move_pages reported on the new node */
	void *pages[PAGES_MAX];
	int nodes[PAGES_MAX], status[PAGES_MAX];
};

static const char *const numa_counters[] = { "pgmigrate_success", NULL };

static enum setup_state numa_probe(const struct dist_env *de, char *why)
{
	(void)de;
	if (numa_nodes() < 2) {
		snprintf(why, ERRLEN, "one NUMA node: move_pages has no other node to move the "
			 "pages to");
		return SETUP_SKIP;
	}
	return SETUP_READY;
}

static int numa_start(struct dist_env *de, void **priv, char *err)
{
	(void)de;
	return counted_start(numa_counters, sizeof(struct numa_state), priv, err);
}

static int numa_step(struct dist_env *de, void *priv, uint64_t rnd, char *err)
{
	struct numa_state *ns = priv;
	int node = (rnd >> 32) % numa_nodes(), i, n;
	struct dist_buf db;
	long r;

	if (de->borrow(de->run, DIST_ANY, rnd, &db) < 0)
		return 0;
	n = db.b->len / 4096 < PAGES_MAX ? db.b->len / 4096 : PAGES_MAX;
	for (i = 0; i < n; i++) {
		ns->pages[i] = db.b->base + (size_t)i * 4096;
		ns->nodes[i] = node;
	}
	r = syscall(SYS_move_pages, 0, n, ns->pages, ns->nodes, ns->status, MPOL_MF_MOVE);
	de->give_back(de->run, &db, 0);
	if (r < 0 && errno != ENOENT) {
		errf(err, "move_pages of %d pages to node %d", n, node);
		return -1;
	}
	for (i = 0; i < n; i++)
		ns->moved += ns->status[i] == node;
	return 0;
}

static int numa_effect(void *priv, struct strbuf *out)
{
	struct numa_state *ns = priv;
	int ok = counters_effect(&ns->c, out);

	sb_addf(out, " (%llu pages on their new node)", ns->moved);
	return ok;
}

const struct disturber disturb_move_pages = {
	.name = "move-pages",
	.desc = "move_pages a worker buffer to another NUMA node",
	.period_ms = 100,
	.probe = numa_probe,
	.start = numa_start,
	.step = numa_step,
	.effect = numa_effect,
	.stop = counted_stop,
};
