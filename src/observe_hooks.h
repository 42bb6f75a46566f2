/* The BPF observer's hooks and the event it sends, shared by the BPF
 * program (observe.bpf.c, compiled with clang -target bpf) and iovbed.
 * Only fixed-width types: both compilers must lay struct obs_event out
 * alike. */
#ifndef IOVBED_OBSERVE_HOOKS_H
#define IOVBED_OBSERVE_HOOKS_H

#include <linux/types.h>

/* What a hook's argument at position `pos` (1-based) is. */
#define OBS_C_ITER	1	/* struct iov_iter *: an entry or a copy takes it */
#define OBS_C_EXTRACT	2	/* struct iov_iter *: pages are taken from it */
#define OBS_C_MSG	3	/* struct msghdr *: its msg_iter (socket receive) */
#define OBS_C_PIN	4	/* FOLL_PIN: (start, nr_pages, gup_flags, ...) */
#define OBS_C_GET	5	/* FOLL_GET: (start, nr_pages, gup_flags, ...) */
#define OBS_C_UNPIN	6	/* releases pins: pages, npages[, make_dirty] */
#define OBS_C_BIO	7	/* struct bio *: its pages are released */
#define OBS_C_ITER_SET	8	/* struct iov_iter * the function fills: read at exit */
#define OBS_C_XPORT	9	/* struct iov_iter *: what reaches the transport (9p) */
#define OBS_C_BIO_EXTRACT 10	/* struct iov_iter *: the block layer takes a bio's pages */

/*
 * The hooks: X(function, class, path, pos, nargs, file). path is the iovbed
 * path class (iovbed.h) whose direct IO enters there, PATH_COUNT where
 * paths share it (only iovbed expands it, never the BPF program); pos the
 * argument the class reads; nargs how many arguments the program copies
 * (never more than the function has: the verifier refuses a fentry read
 * past the last one); file 1 when the first argument is the IO's struct
 * kiocb *, whose file (device, inode) the event then carries. Functions
 * a kernel lacks are reported absent.
 */
#define OBS_HOOKS(X) \
	/* block: block/fops.c */ \
	X(blkdev_read_iter,		OBS_C_ITER,	PATH_BLOCK, 2, 2, 1) \
	X(blkdev_write_iter,		OBS_C_ITER,	PATH_BLOCK, 2, 2, 1) \
	X(__blkdev_direct_IO_simple,	OBS_C_ITER,	PATH_BLOCK, 2, 2, 1) \
	X(__blkdev_direct_IO,		OBS_C_ITER,	PATH_BLOCK, 2, 2, 1) \
	X(__blkdev_direct_IO_async,	OBS_C_ITER,	PATH_BLOCK, 2, 2, 1) \
	/* iomap: ext4, xfs, btrfs */ \
	X(__iomap_dio_rw,		OBS_C_ITER,	PATH_IOMAP, 2, 2, 1) \
	X(ext4_file_read_iter,		OBS_C_ITER,	PATH_IOMAP, 2, 2, 1) \
	X(ext4_file_write_iter,		OBS_C_ITER,	PATH_IOMAP, 2, 2, 1) \
	X(xfs_file_read_iter,		OBS_C_ITER,	PATH_IOMAP, 2, 2, 1) \
	X(xfs_file_write_iter,		OBS_C_ITER,	PATH_IOMAP, 2, 2, 1) \
	X(btrfs_file_read_iter,		OBS_C_ITER,	PATH_IOMAP, 2, 2, 1) \
	X(btrfs_file_write_iter,	OBS_C_ITER,	PATH_IOMAP, 2, 2, 1) \
	/* fuse */ \
	X(fuse_file_read_iter,		OBS_C_ITER,	PATH_FUSE, 2, 2, 1) \
	X(fuse_file_write_iter,		OBS_C_ITER,	PATH_FUSE, 2, 2, 1) \
	X(fuse_direct_io,		OBS_C_ITER,	PATH_FUSE, 2, 2, 0) \
	X(fuse_direct_IO,		OBS_C_ITER,	PATH_FUSE, 2, 2, 1) \
	/* nfs: fs/nfs/direct.c */ \
	X(nfs_file_direct_read,		OBS_C_ITER,	PATH_NFS, 2, 2, 1) \
	X(nfs_file_direct_write,	OBS_C_ITER,	PATH_NFS, 2, 2, 1) \
	/* copy: tmpfs */ \
	X(shmem_file_read_iter,		OBS_C_ITER,	PATH_COPY, 2, 2, 1) \
	X(shmem_file_write_iter,	OBS_C_ITER,	PATH_COPY, 2, 2, 1) \
	/* 9p: the vfs entry, netfs, and the transport (netfs re-wraps the \
	 * caller's iterator from 6.8: BVEC, FOLIOQ) */ \
	X(v9fs_file_read_iter,		OBS_C_ITER,	PATH_9P, 2, 2, 1) \
	X(v9fs_file_write_iter,		OBS_C_ITER,	PATH_9P, 2, 2, 1) \
	X(netfs_unbuffered_read_iter,	OBS_C_ITER,	PATH_9P, 2, 2, 1) \
	/* ... before netfs (6.1): cache=loose and cache=mmap files enter \
	 * through the generic page cache entries (ext4 buffered IO passes \
	 * there too: only the case's own file counts) and O_DIRECT on them \
	 * reaches the address space's direct_IO */ \
	X(generic_file_read_iter,	OBS_C_ITER,	PATH_9P, 2, 2, 1) \
	X(generic_file_write_iter,	OBS_C_ITER,	PATH_9P, 2, 2, 1) \
	X(v9fs_direct_IO,		OBS_C_ITER,	PATH_9P, 2, 2, 1) \
	X(netfs_unbuffered_write_iter,	OBS_C_ITER,	PATH_9P, 2, 2, 1) \
	X(p9_client_read,		OBS_C_XPORT,	PATH_9P, 3, 3, 0) \
	X(p9_client_write,		OBS_C_XPORT,	PATH_9P, 3, 3, 0) \
	/* page extraction: bios of block and iomap, then lib/iov_iter.c */ \
	X(bio_iov_iter_get_pages,	OBS_C_BIO_EXTRACT, PATH_COUNT, 2, 2, 0) \
	X(iov_iter_extract_pages,	OBS_C_EXTRACT,	PATH_COUNT, 1, 1, 0) \
	X(iov_iter_get_pages2,		OBS_C_EXTRACT,	PATH_COUNT, 1, 1, 0) \
	X(iov_iter_get_pages_alloc2,	OBS_C_EXTRACT,	PATH_COUNT, 1, 1, 0) \
	/* GUP: pinned or referenced */ \
	X(pin_user_pages_fast,		OBS_C_PIN,	PATH_COUNT, 2, 3, 0) \
	X(pin_user_pages,		OBS_C_PIN,	PATH_COUNT, 2, 3, 0) \
	X(get_user_pages_fast,		OBS_C_GET,	PATH_COUNT, 2, 3, 0) \
	/* release: the call site comes from the kernel stack */ \
	X(unpin_user_page,		OBS_C_UNPIN,	PATH_COUNT, 0, 1, 0) \
	X(unpin_user_pages,		OBS_C_UNPIN,	PATH_COUNT, 2, 2, 0) \
	X(unpin_user_pages_dirty_lock,	OBS_C_UNPIN,	PATH_COUNT, 2, 3, 0) \
	X(unpin_user_folio,		OBS_C_UNPIN,	PATH_COUNT, 2, 2, 0) \
	X(__bio_release_pages,		OBS_C_BIO,	PATH_COUNT, 1, 2, 0) \
	/* copying instead of pinning */ \
	X(copy_page_to_iter,		OBS_C_ITER,	PATH_COUNT, 4, 4, 0) \
	X(copy_page_from_iter,		OBS_C_ITER,	PATH_COUNT, 4, 4, 0) \
	X(_copy_to_iter,		OBS_C_ITER,	PATH_COUNT, 3, 3, 0) \
	X(_copy_from_iter,		OBS_C_ITER,	PATH_COUNT, 3, 3, 0) \
	/* DISCARD: set up by iov_iter_discard, or met at a socket receive */ \
	X(iov_iter_discard,		OBS_C_ITER_SET,	PATH_COUNT, 1, 1, 0) \
	X(sock_recvmsg,			OBS_C_MSG,	PATH_COUNT, 2, 2, 0)

#define OBS_HOOK_ID(fn, cls, path, pos, nargs, file) OBS_H_##fn,
enum obs_hook_id { OBS_HOOKS(OBS_HOOK_ID) OBS_HOOK_COUNT };
#undef OBS_HOOK_ID

/* How the program was attached. */
#define OBS_K_FENTRY	1
#define OBS_K_FEXIT	2
#define OBS_K_KPROBE	3

/* The flavour the BPF program decoded with CO-RE enum relocations, in
 * the order of iovbed.h's enum flavour (observe.c checks they agree). */
#define OBS_FLAV_UBUF		0
#define OBS_FLAV_IOVEC		1
#define OBS_FLAV_BVEC		2
#define OBS_FLAV_KVEC		3
#define OBS_FLAV_PIPE		4
#define OBS_FLAV_XARRAY		5
#define OBS_FLAV_FOLIOQ		6
#define OBS_FLAV_DISCARD	7
#define OBS_FLAV_NONE		8	/* no iterator, or a value this object does not know */

#define OBS_NO_ITER	0xff	/* iter_type when the hook has no iterator */
#define OBS_NARGS	4
#define OBS_STACK	8

struct obs_event {
	__u64 ts;			/* bpf_ktime_get_ns: CLOCK_MONOTONIC */
	__u64 arg[OBS_NARGS];		/* the raw arguments (nargs of them) */
	__u64 count;			/* iov_iter count at entry */
	__u64 stack[OBS_STACK];		/* kernel return addresses, innermost first */
	__u64 ino;			/* file hooks: the file's inode number */
	__u32 dev;			/* ... and its super block's s_dev (kernel encoding) */
	__u32 tid, pid;
	__u16 hook;			/* enum obs_hook_id */
	__u16 bio_flags;		/* OBS_C_BIO: bio->bi_flags */
	__u8 kind;			/* OBS_K_* */
	__u8 iter_type;			/* raw enum iter_type value, or OBS_NO_ITER */
	__u8 flavour;			/* OBS_FLAV_* */
	__u8 pad;
	char comm[16];
};

#endif
