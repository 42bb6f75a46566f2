/* compact, move-pages: the kernel is asked to move the pages of a buffer
 * a read is held on: pinned pages must not move (compaction skips them,
 * move_pages reports them busy), and the data must arrive. */
#include "action.h"

#include <errno.h>
#include <linux/mempolicy.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int compact_step(struct inflight *in, char *err)
{
	(void)in;
	return write_file("/proc/sys/vm/compact_memory", "1", err);
}

/* move_pages of the buffer's pages to another node than the first one's. */
static int migrate_pages_to(void **pages, size_t np, struct inflight *in, char *err)
{
	int *nodes = calloc(np, sizeof(*nodes)), *status = calloc(np, sizeof(*status));
	size_t i, moved = 0, busy = 0;
	int ret = -1;

	if (!nodes || !status) {
		errf(err, "calloc");
		goto out;
	}
	if (syscall(SYS_move_pages, 0, 1UL, pages, NULL, status, 0) < 0) {
		errf(err, "move_pages (query)");
		goto out;
	}
	for (i = 0; i < np; i++)
		nodes[i] = status[0] == 0 ? 1 : 0;
	if (syscall(SYS_move_pages, 0, np, pages, nodes, status, MPOL_MF_MOVE) < 0) {
		errf(err, "move_pages of %zu pages to node %d", np, nodes[0]);
		goto out;
	}
	for (i = 0; i < np; i++) {
		moved += status[i] == nodes[i];
		busy += status[i] == -EBUSY;
	}
	sb_addf(in->diag, "inflight: move_pages to node %d: %zu of %zu pages moved, %zu busy\n",
		nodes[0], moved, np, busy);
	ret = 0;
out:
	free(nodes);
	free(status);
	return ret;
}

static int migrate_step(struct inflight *in, char *err)
{
	uintptr_t first = (uintptr_t)in->b->io & ~4095UL;
	size_t np = (((uintptr_t)in->b->io + in->b->len + 4095) & ~4095UL) / 4096 - first / 4096;
	void **pages = calloc(np, sizeof(*pages));
	size_t i;
	int ret;

	if (!pages) {
		errf(err, "calloc");
		return -1;
	}
	for (i = 0; i < np; i++)
		pages[i] = (void *)(first + i * 4096);
	ret = migrate_pages_to(pages, np, in, err);
	free(pages);
	return ret;
}

const struct action_ops action_compact = {
	.name = "compact",
	.desc = "compact memory while held: pinned pages must not move; data verified",
	.dirs = 1u << DIR_READ,
	.backings = 1u << BACKING_ANON,
	.flags = ACT_UFFD,
	.step = compact_step,
};

const struct action_ops action_move_pages = {
	.name = "move-pages",
	.desc = "move_pages to another node while held: data verified",
	.dirs = 1u << DIR_READ,
	.backings = 1u << BACKING_ANON,
	.flags = ACT_NUMA,
	.step = migrate_step,
};
