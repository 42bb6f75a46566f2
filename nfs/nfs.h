#ifndef IOVBED_NFS_H
#define IOVBED_NFS_H

#include <limits.h>
#include <sys/types.h>
#include "target.h"

#include "env.h"

/*
 * The kernel NFS server the test bed starts for itself: an ext4 scratch
 * filesystem on a loop device exported to 127.0.0.1 only (fsid=0, so
 * NFSv4 mounts 127.0.0.1:/), rpcbind and rpc.mountd as children, nfsd
 * threads bound to 127.0.0.1. Everything it changes (exports, nfsd
 * threads, the v4 grace and lease times, the nfsd mount) is put back when
 * the last target lets go of it.
 */
struct nfs_server {
	int users;
	enum setup_state state;
	char why[ERRLEN];
	char export[PATH_MAX];
	char log[PATH_MAX];
	pid_t rpcbind, mountd;
	int mounted_nfsdfs, exported, nfsd_up;
	char grace[32], lease[32];	/* v4 times to restore, or "" */
};

/* Start it on first use (SETUP_READY, or SKIP/BROKEN with the reason in
 * why); later calls share it. */
enum setup_state nfs_server_get(struct env *env, char *why);
void nfs_server_put(void);
/* What a killed run's server left (its directory dir): its exports,
 * the nfsd threads it started, the v4 times it changed. */
void nfs_reclaim(const char *dir, struct strbuf *log);
/* The exported directory (valid while the server is held). */
const char *nfs_server_export(void);

/* An NFS target's state (t->priv), read by its kernel-IO cases too. */
struct nfs_oob;
struct nfs_target {
	char mnt[PATH_MAX];	/* our client mount, or "" */
	int server;		/* holds the test bed's server */
	struct nfs_oob *oob;
	char url[PATH_MAX + 32];	/* what oob reads the file through */
	enum dir dir;
	off_t off;
	size_t len;
	uint64_t seed;
	uint64_t region_seed;	/* the read region's pattern */
};

extern const struct kernel_io kio_discard, kio_discard_answered;

/* Out-of-band reads of the server's file with libnfs (NFSv3, its own
 * MOUNT and READ calls; no kernel client involved). */
struct nfs_oob;
/* url: nfs://server/export; file: the name of the file below it. */
struct nfs_oob *nfs_oob_open(const char *url, const char *file, char *err);
/* Read len bytes at off into buf: bytes read or -1 with err. */
ssize_t nfs_oob_pread(struct nfs_oob *o, void *buf, size_t len, off_t off, char *err);
void nfs_oob_close(struct nfs_oob *o);

#endif
