/* O_DIRECT reads vs fork(): reader threads read 512-byte pieces of a file
 * into sub-page slots of one anonymous page each while a thread forks in a
 * loop (each child exits at once); every read must land in the reader's
 * buffer (--race-seconds long). Self-test lost-read: one reader drops a
 * byte of what it read and the check must fail. */
#include "regress_common.h"
#include "pattern.h"
#include "result.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define READERS 4

struct dio_reader {
	int fd;
	char *slot;
	uint64_t seed;
	double until;
	int corrupt;
	unsigned long reads, bad;
	char what[256];
};

struct forker {
	double until;
	unsigned long forks;
};

/* One read into the slot, checked: 0, or 1 with what went wrong. */
static int read_one(struct dio_reader *r, off_t off)
{
	struct mismatch m;

	memset(r->slot, 0, 512);
	if (pread(r->fd, r->slot, 512, off) != 512) {
		snprintf(r->what, sizeof(r->what), "pread 512 at %lld: %s", (long long)off,
			 strerror(errno));
		return 1;
	}
	if (r->corrupt && r->reads == 3)
		r->slot[100] ^= 0xff;
	if (!pattern_check(r->slot, 512, r->seed, off, &m))
		return 0;
	snprintf(r->what, sizeof(r->what), "read %lu at file offset %lld: %zu of 512 bytes wrong "
		 "(expected %02x found %02x)", r->reads, (long long)off, m.bad_bytes, m.expected[0],
		 m.found[0]);
	return 1;
}

static void *dio_reader_main(void *arg)
{
	struct dio_reader *r = arg;
	off_t off = 0;

	while (now_sec() < r->until && !r->bad) {
		r->bad += read_one(r, off);
		r->reads++;
		off = (off + 4096) % SPAN;
	}
	return NULL;
}

static void *forker_main(void *arg)
{
	struct forker *f = arg;
	int status;
	pid_t pid;

	while (now_sec() < f->until) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0) {
			waitpid(pid, &status, 0);
			f->forks++;
		}
	}
	return NULL;
}

/* Run the readers and the forker until fa->until; what they did in r. */
static int race(struct dio_reader *r, struct forker *fa, char *err)
{
	pthread_t th[READERS], ft;
	int i;

	for (i = 0; i < READERS; i++) {
		if (pthread_create(&th[i], NULL, dio_reader_main, &r[i])) {
			errf(err, "pthread_create");
			fa->until = 0;
			for (int j = 0; j < i; j++)
				r[j].until = 0;
			while (i--)
				pthread_join(th[i], NULL);
			return -1;
		}
	}
	if (pthread_create(&ft, NULL, forker_main, fa)) {
		errf(err, "pthread_create");
		for (i = 0; i < READERS; i++)
			r[i].until = 0;
	} else {
		pthread_join(ft, NULL);
	}
	for (i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	return *err ? -1 : 0;
}

static int dio_verdict(const struct dio_reader *r, const struct forker *fa, double secs,
		       struct strbuf *diag, char *err)
{
	unsigned long reads = 0, bad = 0;
	int i;

	for (i = 0; i < READERS; i++) {
		reads += r[i].reads;
		bad += r[i].bad;
		if (r[i].bad)
			sb_addf(diag, "dio-fork: reader %d: %s\n", i, r[i].what);
	}
	sb_addf(diag, "dio-fork: %lu reads by %d threads, %lu forks in %.1f s\n", reads, READERS,
		fa->forks, secs);
	if (!bad && (!fa->forks || !reads)) {
		errno = 0;
		errf(err, "the race did not run: %lu forks, %lu reads", fa->forks, reads);
		return -1;
	}
	return bad > 0;
}

static int dio_fork(struct regress_ctx *x, char *err)
{
	struct dio_reader r[READERS];
	struct forker fa = { 0 };
	char path[PATH_MAX], *page;
	double secs = x->env->race_seconds;
	int fd, i, ret = -1;

	fd = pattern_file(x->env, "dio-fork", x->seed, path, err);
	if (fd < 0)
		return -1;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		errf(err, "mmap");
		goto out;
	}
	fflush(NULL);
	fa.until = now_sec() + secs;
	for (i = 0; i < READERS; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i] = (struct dio_reader){ .fd = fd, .slot = page + 512 + i * 1024,
					    .seed = x->seed, .until = fa.until,
					    .corrupt = x->v->arg && i == 0 };
	}
	if (race(r, &fa, err) == 0)	/* sub-page slots, unaligned to the page */
		ret = dio_verdict(r, &fa, secs, x->diag, err);
	munmap(page, 4096);
out:
	close(fd);
	unlink(path);
	return ret;
}

static enum flavour ubuf_flavour(const struct kver *v)
{
	return kver_ge(v, 6, 0) ? ITER_UBUF : ITER_IOVEC;
}

static const struct regress_variant dio_variants[] = {
	{ "readers", 0, 0 },
	{ "lost-read", 1, 1 },
	{ 0 },
};

/* Measured on Debian's 6.1 (iovbed vm), gone on 6.18. */
static const struct known_bug dio_known[] = {
	{ "regress/dio-fork/readers", PATH_IOMAP, CHK_DATA, 0, 0,
	  "iomap direct IO held FOLL_GET references: a fork during a read lets the parent's "
	  "COW fault move it off the page the read fills", NULL },
	{ 0 },
};

const struct regression regress_dio_fork = {
	.name = "dio-fork",
	.desc = "O_DIRECT reads into sub-page buffers while another thread forks",
	.fix = "the FOLL_PIN conversion of the direct-IO path (fork copies pinned pages)",
	.variants = dio_variants,
	.flavour = ubuf_flavour,
	.run = dio_fork,
	.known = dio_known,
};
