/* fork while a read is held: the child takes a copy of its buffer at once
 * (the parent waits for it before the read is let go), waits until the
 * read completed, then exits 0 if its buffer still holds what it held at
 * fork, 1 if it changed; the parent writes another byte of the first page
 * meanwhile (a guard byte), which must survive. With FOLL_PIN, fork copies
 * the pinned pages for the child and the read lands in the parent's
 * buffer. (Held by userfaultfd, a read may have filled part of the buffer
 * before the fork: what the child had then is what it must keep.) */
#include "action.h"
#include "pattern.h"
#include "result.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define POKE 0x5a

struct fork_state {
	pid_t child;
	int go;			/* write end of the pipe the child waits on */
	char *poked;		/* the byte the parent wrote while held */
	unsigned char poke, saved;
};

static void fork_child(struct inflight *in, int rd, int ready)
{
	/* held by userfaultfd: the pages dropped for it are not the child's */
	size_t len = in->held_from ? (size_t)(in->held_from - in->b->io) : in->b->len;
	char *had = malloc(len ? len : 1), c = 's';

	if (!had)
		_exit(3);
	memcpy(had, in->b->io, len);
	if (write(ready, &c, 1) != 1 || read(rd, &c, 1) != 1)
		_exit(3);
	_exit(memcmp(had, in->b->io, len) ? 1 : 0);
}

static int fork_step(struct inflight *in, char *err)
{
	struct fork_state *fs = calloc(1, sizeof(*fs));
	int p[2], r[2] = { -1, -1 };
	char c;

	if (!fs || pipe2(p, O_CLOEXEC) < 0 || pipe2(r, O_CLOEXEC) < 0) {
		errf(err, "calloc, pipe");
		free(fs);
		return -1;
	}
	fflush(NULL);
	fs->child = fork();
	if (fs->child < 0) {
		errf(err, "fork while the read was held");
		close(p[0]);
		close(p[1]);
		close(r[0]);
		close(r[1]);
		free(fs);
		return -1;
	}
	if (fs->child == 0)
		fork_child(in, p[0], r[1]);
	close(p[0]);
	close(r[1]);
	if (read(r[0], &c, 1) != 1)	/* the child has its copy: the read may go on */
		sb_addf(in->diag, "fork: the child did not take its copy of the buffer\n");
	close(r[0]);
	fs->go = p[1];
	fs->poked = in->b->io - 1;
	fs->saved = *fs->poked;
	fs->poke = fs->saved ^ POKE;
	*fs->poked = fs->poke;
	in->priv = fs;
	return 0;
}

static void fork_child_verdict(struct inflight *in, struct fork_state *fs)
{
	int status;

	if (write(fs->go, "g", 1) != 1)
		sb_addf(in->diag, "fork: cannot signal the child: %s\n", strerror(errno));
	close(fs->go);
	if (waitpid(fs->child, &status, 0) < 0) {
		sb_addf(in->diag, "fork: waitpid: %s\n", strerror(errno));
		in->failed |= CHK_FORK;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		sb_addf(in->diag, "fork: the child ended with wait status %#x\n", status);
		in->failed |= CHK_FORK;
	} else if (WEXITSTATUS(status) == 1) {
		sb_addf(in->diag, "fork: the child's copy of the buffer changed after fork: the "
			"read went (partly) to the child's page, not the parent's\n");
		in->failed |= CHK_FORK;
	}
}

static void fork_finish(struct inflight *in)
{
	struct fork_state *fs = in->priv;

	if (!fs)
		return;
	fork_child_verdict(in, fs);
	if (*fs->poked != (char)fs->poke) {
		sb_addf(in->diag, "fork: the byte the parent wrote at buffer -1 while the read was "
			"held is %02x, not %02x\n", (unsigned char)*fs->poked, fs->poke);
		in->failed |= CHK_FORK;
	}
	*fs->poked = fs->saved;	/* the guard check sees the guard again */
	free(fs);
	in->priv = NULL;
}

/* Measured on Debian's 6.1 (iovbed vm), gone on 6.18: the same bug on
 * every path before its conversion. */
#define FORK_GET(what) what " held FOLL_GET references: the parent's write after fork " \
	"COW-copies the buffer and the read lands in the child's page"
static const struct known_bug fork_known[] = {
	{ "fuse*/*/read/*/fork", PATH_FUSE, CHK_FORK, CHK_DATA, 0, FORK_GET("FUSE direct IO"), NULL },
	{ "loop-fuse/*/read/*/fork", PATH_BLOCK, CHK_FORK, CHK_DATA, 0,
	  FORK_GET("block direct IO"), NULL },
	{ "ext4-fuse/*/read/*/fork", PATH_IOMAP, CHK_FORK, CHK_DATA, 0,
	  FORK_GET("iomap direct IO"), NULL },
	{ "xfs-fuse/*/read/*/fork", PATH_IOMAP, CHK_FORK, CHK_DATA, 0,
	  FORK_GET("iomap direct IO"), NULL },
	{ "btrfs-fuse*/*/read/*/fork", PATH_IOMAP, CHK_FORK, CHK_DATA, 0,
	  FORK_GET("iomap direct IO"), NULL },
	/* held by userfaultfd, on any target: each path's own (matched by
	 * the path found under the case's target) */
	{ "*/*/read/*/uffd-*fork", PATH_BLOCK, CHK_FORK, CHK_DATA, 0, FORK_GET("block direct IO"), NULL },
	{ "*/*/read/*/uffd-*fork", PATH_IOMAP, CHK_FORK, CHK_DATA, 0, FORK_GET("iomap direct IO"), NULL },
	{ "*/*/read/*/uffd-*fork", PATH_FUSE, CHK_FORK, CHK_DATA, 0, FORK_GET("FUSE direct IO"), NULL },
	{ "*/*/read/*/uffd-*fork", PATH_9P, CHK_FORK, CHK_DATA, 0, FORK_GET("9p direct IO"), NULL },
	{ "*/*/read/*/uffd-*fork", PATH_NFS, CHK_FORK, CHK_DATA, 0, FORK_GET("NFS direct IO"), NULL },
	{ 0 },
};

const struct action_ops action_fork = {
	.name = "fork",
	.desc = "fork while held, the parent writes the page: data in the parent, not the child",
	.dirs = 1u << DIR_READ,
	.backings = 1u << BACKING_ANON,
	.flags = ACT_UFFD | ACT_UFFD_WP,
	.step = fork_step,
	.verdict = IV_FORK,
	.finish = fork_finish,
	.known = fork_known,
};
