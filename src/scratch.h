#ifndef IOVBED_SCRATCH_H
#define IOVBED_SCRATCH_H

#include <limits.h>
#include <signal.h>
#include "util.h"

/*
 * Everything a run creates lives under its scratch directory,
 * BASE/run.PID, locked for the life of the run. A run that was killed
 * leaves its directory unlocked; the next run reclaims it: unmounts what
 * is mounted below it, detaches loop devices backed by files in it, gives
 * back the hugetlb pages it recorded, and removes it.
 */
struct scratch {
	char base[PATH_MAX - 64];
	char dir[PATH_MAX];
	int lockfd;
	long hugetlb_added;
};

#define SCRATCH_BASE_DEFAULT "/var/tmp/iovbed"

/* What a killed run left of one plugin in its directory: the reclaim
 * calls each hook (NULL-ended list) before it unmounts and removes. */
typedef void reclaim_fn(const char *dir, struct strbuf *log);

int scratch_open(struct scratch *s, const char *base, reclaim_fn *const *hooks,
		 struct strbuf *log, char *err);
void scratch_close(struct scratch *s);
int scratch_reclaim(const char *base, reclaim_fn *const *hooks, struct strbuf *log);
/* Small numbers a run keeps in its directory, for the reclaim of a run
 * that was killed (-1 if absent). */
void scratch_state_write(const char *dir, const char *key, long long v);
long long scratch_state_read(const char *dir, const char *key);

/* Mounts made after this are private to this process and die with it. */
int private_mount_ns(char *err);

/* SIGINT/SIGTERM/SIGHUP set stop_signal; the runner stops between cases. */
extern volatile sig_atomic_t stop_signal;
void signals_install(void);

/* A machine-wide lock (in /run/lock, whatever --scratch says) around pin
 * measurements, so two runs side by side never count each other's pins. */
int pinlock_open(char *err);
void pinlock(int fd);
void pinunlock(int fd);

/* Raise nr_hugepages by `pages` (recorded for reclaim); 0 or -1. The
 * number actually obtained is in s->hugetlb_added. */
int hugetlb_reserve(struct scratch *s, long pages, char *err);
void hugetlb_release(struct scratch *s);

#endif
