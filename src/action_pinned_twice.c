/* pinned-twice: a self-test of the exact pin count. While the IO is
 * held, process_vm_readv copies the buffer out of this very process:
 * that pins every page of it once more (pin_user_pages_remote) and
 * releases them, so the pins still balance, but twice the pages were
 * pinned: the count check must fail. */
#include "action.h"

#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

static int pin_again_step(struct inflight *in, char *err)
{
	struct buffer *b = in->b;
	void *copy = malloc(b->len);
	struct iovec local = { copy, b->len }, remote = { b->io, b->len };
	ssize_t n;

	if (!copy) {
		errf(err, "malloc %zu bytes", b->len);
		return -1;
	}
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	free(copy);
	if (n != (ssize_t)b->len) {
		errf(err, "process_vm_readv of the held buffer's %zu bytes: %zd", b->len, n);
		return -1;
	}
	sb_addf(in->diag, "inflight: process_vm_readv pinned and released the buffer's pages "
		"once more\n");
	return 0;
}

const struct action_ops action_pinned_twice = {
	.name = "pinned-twice",
	.desc = "self-test: the held buffer's pages are pinned once more: the count must fail",
	.dirs = (1u << DIR_READ) | (1u << DIR_WRITE),
	.backings = 1u << BACKING_ANON,
	.flags = ACT_SELFTEST,
	.step = pin_again_step,
};
