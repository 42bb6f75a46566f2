// SPDX-License-Identifier: GPL-2.0
/*
 * iovbed's observer: at each hook of observe_hooks.h, while iovbed has
 * armed it, send the iterator type (raw, and decoded with CO-RE enum
 * relocations), the raw arguments and the kernel stack to a ring buffer.
 *
 * No vmlinux.h: the kernel types below are local flavours (`___obs`)
 * with only the fields read, so libbpf relocates them against whatever
 * the running kernel's BTF says. One object reads 6.1 (ITER_PIPE, no
 * FOLIOQ), 6.12 (FOLIOQ) and 6.18 (no PIPE); enumerators a kernel lacks
 * are tested with bpf_core_enum_value_exists before their value is used.
 */
#define __VMLINUX_H__	/* bpf_tracing.h: the kernel's pt_regs field names */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "observe_hooks.h"

struct pt_regs {
	unsigned long di, si, dx, cx, r8, r9;
} __attribute__((preserve_access_index));

enum iter_type___obs {
	ITER_UBUF___obs,
	ITER_IOVEC___obs,
	ITER_BVEC___obs,
	ITER_KVEC___obs,
	ITER_PIPE___obs,
	ITER_XARRAY___obs,
	ITER_FOLIOQ___obs,
	ITER_DISCARD___obs,
};

struct iov_iter___obs {
	__u8 iter_type;
	unsigned long count;
} __attribute__((preserve_access_index));

struct msghdr___obs {
	struct iov_iter___obs msg_iter;
} __attribute__((preserve_access_index));

struct super_block___obs {
	__u32 s_dev;
} __attribute__((preserve_access_index));

struct inode___obs {
	unsigned long i_ino;
	struct super_block___obs *i_sb;
} __attribute__((preserve_access_index));

struct file___obs {
	struct inode___obs *f_inode;
} __attribute__((preserve_access_index));

struct kiocb___obs {
	struct file___obs *ki_filp;
} __attribute__((preserve_access_index));

struct bio___obs {
	unsigned short bi_flags;
} __attribute__((preserve_access_index));

char LICENSE[] SEC("license") = "GPL";

/* Set by iovbed around a case: nothing is sent outside a window. */
volatile __u32 armed;
/* Events lost because the ring buffer was full. */
__u64 dropped;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 * 1024 * 1024);
} events SEC(".maps");

#define FLAV(name) \
	if (bpf_core_enum_value_exists(enum iter_type___obs, ITER_##name##___obs) && \
	    raw == bpf_core_enum_value(enum iter_type___obs, ITER_##name##___obs)) \
		return OBS_FLAV_##name

static __always_inline __u8 flavour_of(__u8 raw)
{
	FLAV(UBUF);
	FLAV(IOVEC);
	FLAV(BVEC);
	FLAV(KVEC);
	FLAV(PIPE);
	FLAV(XARRAY);
	FLAV(FOLIOQ);
	FLAV(DISCARD);
	return OBS_FLAV_NONE;
}

static __always_inline void read_iter(struct obs_event *e, struct iov_iter___obs *it)
{
	e->iter_type = BPF_CORE_READ(it, iter_type);
	e->count = BPF_CORE_READ(it, count);
	e->flavour = flavour_of(e->iter_type);
}

static __always_inline void read_object(struct obs_event *e, int cls, int pos)
{
	void *p = pos ? (void *)e->arg[pos - 1] : 0;

	e->iter_type = OBS_NO_ITER;
	e->flavour = OBS_FLAV_NONE;
	if (!p)
		return;
	if (cls == OBS_C_ITER || cls == OBS_C_EXTRACT || cls == OBS_C_BIO_EXTRACT ||
	    cls == OBS_C_ITER_SET ||
	    cls == OBS_C_XPORT) {
		read_iter(e, p);
	} else if (cls == OBS_C_MSG) {
		struct msghdr___obs *m = p;

		read_iter(e, __builtin_preserve_access_index(&m->msg_iter));
	} else if (cls == OBS_C_BIO) {
		struct bio___obs *b = p;

		e->bio_flags = BPF_CORE_READ(b, bi_flags);
	}
}

/* The file of the IO, so that a case can tell its own from others'. */
static __always_inline void read_file(struct obs_event *e)
{
	struct kiocb___obs *iocb = (void *)e->arg[0];

	e->ino = BPF_CORE_READ(iocb, ki_filp, f_inode, i_ino);
	e->dev = BPF_CORE_READ(iocb, ki_filp, f_inode, i_sb, s_dev);
}

/* What a program knows of its hook, packed: the hook, how it is
 * attached, its class, where its object argument is, whether it has a file. */
struct hook_spec {
	int hook, kind, cls, pos, file;
};

static __always_inline int send(void *ctx, __u64 *arg, struct hook_spec h)
{
	int hook = h.hook, kind = h.kind, cls = h.cls, pos = h.pos, file = h.file;
	struct obs_event *e;
	__u64 id;
	int i;

	if (!armed)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	id = bpf_get_current_pid_tgid();
	e->ts = bpf_ktime_get_ns();
	e->tid = (__u32)id;
	e->pid = id >> 32;
	e->hook = hook;
	e->kind = kind;
	for (i = 0; i < OBS_NARGS; i++)
		e->arg[i] = arg[i];
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	read_object(e, cls, pos);
	if (file)
		read_file(e);
	bpf_get_stack(ctx, e->stack, sizeof(e->stack), 0);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* The copies below stop at nargs, a constant: the branches past it are
 * compiled away, so a program never reads an argument its function lacks. */
#define ARGS_FROM(a, n, get) \
	__u64 a[OBS_NARGS] = {}; \
	if (n > 0) a[0] = (__u64)get(1); \
	if (n > 1) a[1] = (__u64)get(2); \
	if (n > 2) a[2] = (__u64)get(3); \
	if (n > 3) a[3] = (__u64)get(4)

#define CTX_ARG(i) ctx[(i) - 1]
#define REGS_ARG(i) REGS_ARG_##i(ctx)
#define REGS_ARG_1(c) PT_REGS_PARM1(c)
#define REGS_ARG_2(c) PT_REGS_PARM2(c)
#define REGS_ARG_3(c) PT_REGS_PARM3(c)
#define REGS_ARG_4(c) PT_REGS_PARM4(c)

/* Each hook gets a fentry program (fexit for a function that fills the
 * iterator: its type is known only at exit) and a kprobe program; iovbed
 * attaches the first that works. */
#define TRAMP_OBS_C_ITER	fentry
#define TRAMP_OBS_C_EXTRACT	fentry
#define TRAMP_OBS_C_BIO_EXTRACT	fentry
#define TRAMP_OBS_C_MSG		fentry
#define TRAMP_OBS_C_PIN		fentry
#define TRAMP_OBS_C_GET		fentry
#define TRAMP_OBS_C_UNPIN	fentry
#define TRAMP_OBS_C_BIO		fentry
#define TRAMP_OBS_C_ITER_SET	fexit
#define TRAMP_OBS_C_XPORT	fentry
#define KIND_fentry		OBS_K_FENTRY
#define KIND_fexit		OBS_K_FEXIT
#define STR(x) #x
#define TRAMP_SEC(t, fn) STR(t) "/" #fn
#define TRAMP_KIND(t) KIND_##t
#define TRAMP_PROG(t, fn, cls, pos, nargs, file) \
	SEC(TRAMP_SEC(t, fn)) \
	int fentry_##fn(__u64 *ctx) \
	{ \
		ARGS_FROM(a, nargs, CTX_ARG); \
		return send(ctx, a, (struct hook_spec){ OBS_H_##fn, TRAMP_KIND(t), cls, pos, file }); \
	}

#define OBS_PROGS(fn, cls, path, pos, nargs, file) \
	TRAMP_PROG(TRAMP_##cls, fn, cls, pos, nargs, file) \
	SEC("kprobe/" #fn) \
	int kprobe_##fn(struct pt_regs *ctx) \
	{ \
		ARGS_FROM(a, nargs, REGS_ARG); \
		return send(ctx, a, (struct hook_spec){ OBS_H_##fn, OBS_K_KPROBE, cls, pos, file }); \
	}

OBS_HOOKS(OBS_PROGS)
