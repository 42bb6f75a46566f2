/* fork: storms of forks while IO is in flight into private buffers; each
 * child writes into its copies of them and exits. With FOLL_PIN, fork
 * copies a page that is pinned for the child at once, so the parent's
 * buffer keeps getting the IO's data; with FOLL_GET (6.1) the data could
 * land in the child's page. Nothing an op does may change: the data of
 * every op is judged as usual. */
#include "disturb.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILDREN 2
#define BUFFERS 8
#define TOUCH_MAX (1 * MiB)

struct fork_state {
	struct counters c;	/* first: counted_start's */
	unsigned long long forks;
};

static const char *const fork_counters[] = { "stat:processes", NULL };

static int fork_start(struct dist_env *de, void **priv, char *err)
{
	(void)de;
	return counted_start(fork_counters, sizeof(struct fork_state), priv, err);
}

static void child_gone(int sig)
{
	(void)sig;
	_exit(0);	/* a buffer unmapped by another disturber meanwhile */
}

/* In the child: write a byte into each page of its copies, then go. */
static void child(char **at, size_t *len, int n)
{
	int i;
	size_t k;

	signal(SIGSEGV, child_gone);
	signal(SIGBUS, child_gone);
	for (i = 0; i < n; i++)
		for (k = 0; k < len[i]; k += 4096)
			((volatile char *)at[i])[k] ^= 0;
	_exit(0);
}

static int fork_step(struct dist_env *de, void *priv, uint64_t rnd, char *err)
{
	struct fork_state *fs = priv;
	char *at[BUFFERS];
	size_t len[BUFFERS];
	struct dist_buf db;
	pid_t pid[CHILDREN];
	int n = 0, i;

	(void)err;
	/* private, not hugetlb: a child's copy of a hugetlb page needs a huge
	 * page the run's small reservation does not have */
	for (i = 0; i < BUFFERS; i++) {
		if (de->borrow(de->run, DIST_PRIVATE, rnd + i, &db) < 0)
			continue;
		if (!db.b->ops->needs_hugetlb) {
			at[n] = db.b->base;
			len[n++] = db.b->len < TOUCH_MAX ? db.b->len : TOUCH_MAX;
		}
		de->give_back(de->run, &db, 0);
	}
	for (i = 0; i < CHILDREN; i++) {
		atomic_fetch_add(&de->forks, 1);
		pid[i] = fork();
		if (pid[i] == 0)
			child(at, len, n);
		atomic_fetch_add(&de->forks, 1);
		fs->forks += pid[i] > 0;
	}
	for (i = 0; i < CHILDREN; i++)
		if (pid[i] > 0)
			waitpid(pid[i], NULL, 0);
	return 0;
}

static int fork_effect(void *priv, struct strbuf *out)
{
	struct fork_state *fs = priv;
	int ok = counters_effect(&fs->c, out);

	sb_addf(out, " (%llu forks of this run)", fs->forks);
	return ok && fs->forks;
}

const struct disturber disturb_fork = {
	.name = "fork",
	.desc = "fork storms whose children write their copies of the private buffers",
	.allows = "no error; a write that changes its buffer after vmsplice (vmsplice-mod) may "
		  "put the buffer as it was in the file (the pipe's references are not pins: the "
		  "parent's next write copies the page away from them) and is not judged",
	.period_ms = 250,	/* each fork copies the page tables of many mappings */
	.start = fork_start,
	.step = fork_step,
	.effect = fork_effect,
	.stop = counted_stop,
};
