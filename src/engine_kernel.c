/* exec, acct: IO the kernel issues itself into a file of the target, from
 * a kernel buffer (ITER_KVEC): the #! line read when a script is executed
 * (kernel_read), process accounting records (__kernel_write). The target's
 * kernel_io does the work; these rows name the cases and their flavour. */
#include "engine.h"

enum flavour kvec_flavour(const struct kver *v)
{
	(void)v;
	return ITER_KVEC;
}

/* A row for IO the kernel does itself: one case per target that serves it. */
#define KERNEL_ENGINE(flav, dir)	\
	.min_segs = 1,			\
	.max_segs = 1,			\
	.flavour = flav,		\
	.kernel = 1,			\
	.kernel_dir = dir

const struct engine_ops engine_exec = {
	.name = "exec",
	.desc = "execve of a #! script: the kernel reads its first line",
	KERNEL_ENGINE(kvec_flavour, DIR_READ),
};

const struct engine_ops engine_acct = {
	.name = "acct",
	.desc = "acct(2) to the file: the kernel appends a record at exit",
	KERNEL_ENGINE(kvec_flavour, DIR_WRITE),
};

static enum flavour discard_flavour(const struct kver *v)
{
	(void)v;
	return ITER_DISCARD;
}

/* The NFS client throws away an RPC reply nobody waits for any more
 * (sunrpc's xs_read_discard, an ITER_DISCARD receive): the target makes
 * its server late, kills the waiting task, and counts the bad XIDs. */
const struct engine_ops engine_discard = {
	.name = "discard",
	.desc = "a killed task's late NFS reply, dropped by the RPC client",
	KERNEL_ENGINE(discard_flavour, DIR_READ),
	.kernel_buf = "discard",
};

/* Self-test of discard: the same, but the task is not killed, so the reply
 * finds it waiting; no reply is dropped and the case must fail. */
const struct engine_ops engine_discard_answered = {
	.name = "discard-answered",
	.desc = "self-test: the NFS reply reaches its waiting task; must fail",
	KERNEL_ENGINE(discard_flavour, DIR_READ),
	.kernel_buf = "discard",
	.kernel_selftest = 1,
};
