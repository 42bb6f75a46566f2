/* --replay FILE: the targets set to the first state the record holds,
 * then its ops run in one thread, in their order, each with the
 * generation it wrote, and a checkpoint wherever the run had one. A data
 * failure that does not depend on timing happens again at the same op. */
#include "stress.h"

#include <stdio.h>
#include <string.h>

/* A state line: write that run of the target as the model says. */
static int apply_state(struct stress *s, const char *line, char *err)
{
	char name[64], opline[OPLINE];
	long long off;
	size_t len, done, n;
	unsigned gen;
	struct sop op;

	if (sscanf(line, "state %63s off=%lld len=%zu gen=%u", name, &off, &len, &gen) != 4) {
		snprintf(err, ERRLEN, "--replay: bad state line: %.200s", line);
		return -1;
	}
	for (done = 0; gen != GEN_UNKNOWN && done < len; done += n) {
		n = len - done < s->max_len ? len - done : s->max_len;
		snprintf(opline, sizeof(opline), "w- #0 fix %s - - write off=%lld len=%zu bufoff=0 "
			 "gen=%u", name, off + (long long)done, n, gen);
		if (sop_parse(s, opline, &op, err) < 0)
			return -1;
		worker_run_one(&s->w[0], &op, 1);
	}
	return 0;
}

/* One line of a record. */
static int replay_line(struct stress *s, const char *line, int *state_done, char *err)
{
	struct sop op;

	if (line[0] == '#' || !line[0])
		return 0;
	if (!strncmp(line, "state ", 6))
		return *state_done ? 0 : apply_state(s, line, err);
	if (!strncmp(line, "checkpoint ", 11)) {
		/* the first ends the state the replay starts from: just written */
		if (!*state_done) {
			*state_done = 1;
			return 0;
		}
		return checkpoint(s, 1);
	}
	if (!*state_done) {
		snprintf(err, ERRLEN, "--replay: an op before the first state: %.200s", line);
		return -1;
	}
	if (sop_parse(s, line, &op, err) < 0)
		return -1;
	worker_run_one(&s->w[0], &op, 1);
	s->replayed += op.worker >= 0;	/* not the checkpoints' rewrites */
	return 0;
}

int replay_run(struct stress *s, char *err)
{
	FILE *f = fopen(s->opt->stress.replay, "re");
	char line[1024];
	int state_done = 0, ret = 0;
	size_t i;

	if (!f) {
		errf(err, "--replay %s", s->opt->stress.replay);
		return -1;
	}
	/* generations of its own (chaos) never meet the record's */
	for (i = 0; i < s->ntg; i++)
		s->tg[i].m.next_gen = 1u << 31;
	s->t0 = now_sec();
	checkpoint_rss(s, 0);
	if (dist_start(s, err) < 0) {
		fclose(f);
		return -1;
	}
	while (!ret && !atomic_load(&s->stop) && !stop_signal && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		ret = replay_line(s, line, &state_done, err);
	}
	fclose(f);
	dist_stop(s);
	s->secs = now_sec() - s->t0;
	checkpoint_rss(s, 2);
	return ret;
}
