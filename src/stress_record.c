/* The op record and its replay. --record FILE gets every op, one line
 * each, in the order they ended (an op owns its range until its line is
 * written, so ops on one range are in their real order), with the model's
 * state at every checkpoint. Without --record the run keeps its own
 * record of the last checkpoint interval only (the state then the ops
 * since), and keeps it only if the run fails: a failure's replay line
 * names it (stress_replay.c runs it). */
#include "stress.h"
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADER "# iovbed stress record v1 seed %llu"

int record_open(struct stress *s, char *err)
{
	const char *path = s->opt->stress.record;

	if (s->replay)
		return 0;
	if (!path) {
		if (pathf(s->record_path, sizeof(s->record_path), "%s/ops", s->bed->scratch.dir) < 0) {
			errf(err, "record path");
			return -1;
		}
		s->record_own = 1;
	} else {
		snprintf(s->record_path, sizeof(s->record_path), "%s", path);
	}
	s->record = fopen(s->record_path, "we");
	if (!s->record) {
		errf(err, "open the op record %s", s->record_path);
		return -1;
	}
	record_checkpoint(s);	/* the state at the start */
	return 0;
}

void record_op(struct stress *s, const struct sop *op)
{
	char line[OPLINE];

	sop_format(s, op, line, sizeof(line));
	pthread_mutex_lock(&s->rec_lock);
	fprintf(s->record, "%s\n", line);
	pthread_mutex_unlock(&s->rec_lock);
}

/* The model of one target as runs of equal generations. */
static void record_state(FILE *f, const struct starget *t)
{
	size_t i = 0, j;

	while (i < t->m.nsect) {
		for (j = i; j < t->m.nsect && t->m.gen[j] == t->m.gen[i]; j++)
			;
		fprintf(f, "state %s off=%lld len=%zu gen=%u\n", t->t->ops->name,
			(long long)i * SECTOR, (j - i) * SECTOR, t->m.gen[i]);
		i = j;
	}
}

/* At a checkpoint (workers parked): the run's own record starts over. */
void record_checkpoint(struct stress *s)
{
	size_t i;

	if (!s->record)
		return;
	pthread_mutex_lock(&s->rec_lock);
	if (s->record_own) {
		rewind(s->record);
		if (ftruncate(fileno(s->record), 0) < 0)
			stress_broke(s, "ftruncate of the run's op record");
	}
	if (s->record_own || !s->checkpoints)
		fprintf(s->record, HEADER " workers %d depth %u\n", (unsigned long long)s->bed->seed,
			s->nworkers, s->depth);
	for (i = 0; i < s->ntg; i++)
		record_state(s->record, &s->tg[i]);
	fprintf(s->record, "checkpoint %llu\n", s->checkpoints);
	fflush(s->record);
	pthread_mutex_unlock(&s->rec_lock);
}

/* Closed; the run's own record is kept beside the scratch directories
 * (which go) only if keep: a failure's replay reads it. */
void record_close(struct stress *s, int keep)
{
	char kept[PATH_MAX];

	if (!s->record)
		return;
	fclose(s->record);
	s->record = NULL;
	if (!s->record_own)
		return;
	if (keep && pathf(kept, sizeof(kept), "%s/stress-%d.ops", s->bed->scratch.base,
			  (int)getpid()) == 0 && rename(s->record_path, kept) == 0)
		snprintf(s->record_path, sizeof(s->record_path), "%s", kept);
	else
		unlink(s->record_path);
}

/* The seed a record was made with (its first line). */
int replay_seed(const char *path, unsigned long long *seed, char *err)
{
	char line[256];
	FILE *f = fopen(path, "re");
	int ok;

	if (!f) {
		errf(err, "--replay %s", path);
		return -1;
	}
	ok = fgets(line, sizeof(line), f) && sscanf(line, HEADER, seed) == 1;
	fclose(f);
	if (!ok)
		snprintf(err, ERRLEN, "--replay %s: not an iovbed stress record (its first line "
			 "is not '# iovbed stress record v1 seed N ...')", path);
	return ok ? 0 : -1;
}

