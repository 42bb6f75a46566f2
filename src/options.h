#ifndef IOVBED_OPTIONS_H
#define IOVBED_OPTIONS_H

#include <stdint.h>
#include <stdio.h>
#include "env.h"

enum command { CMD_NONE, CMD_LIST, CMD_RUN, CMD_STRESS, CMD_HELP, CMD_VERSION };

enum selection {
	SEL_DEFAULT,	/* one size/offset variant per combination */
	SEL_FULL,	/* every meaningful variant */
	SEL_ALL,	/* list only: also what cannot run, and why */
};

/* --observe: the BPF observer around each case. */
enum observe_mode {
	OBSERVE_AUTO,	/* where it opens; else flavours are declared, and the run says why */
	OBSERVE_ON,	/* it must open: else the run is broken (exit 99) */
	OBSERVE_OFF,	/* declared flavours only */
};

#define MAX_SIZES 32
#define OPT_TIMEOUT_DEFAULT 60
#define OPT_RACE_DEFAULT 2.0

struct options {
	enum command cmd;
	enum selection sel;
	const char **filters;	/* --filter, --filters-from: globs over case ids */
	int nfilters, capfilters;
	char *filters_text;	/* what --filters-from read: the filters point into it */
	uint64_t seed;
	int seed_given;
	size_t sizes[MAX_SIZES];	/* --size: only these IO sizes */
	int nsizes;
	const char *json;
	struct user_args user;	/* --dir, --device, --destroy, --nfs, --nfs-url */
	const char *profile;	/* --profile VERSION: expectations of another kernel */
	const char *scratch;	/* --scratch DIR: where the run keeps its files */
	unsigned timeout;	/* --timeout: seconds a case's IO may take */
	double race_seconds;	/* --race-seconds: how long a race case runs */
	int table;		/* --table: the full target x engine table at the end */
	enum observe_mode observe;	/* --observe auto|on|off */
	int list_json;		/* list --json: every case as JSON on stdout */
	int verbose;
	struct stress_opts {	/* iovbed stress */
		double duration;	/* --duration: seconds (0: until --ops) */
		unsigned long long ops;	/* --ops: ops in all (0: until --duration) */
		int workers;		/* --workers (0: one per CPU) */
		unsigned depth;		/* --depth: IOs in flight per worker */
		const char *record;	/* --record FILE */
		const char *replay;	/* --replay FILE */
		const char *disturb;	/* --disturb LIST (NULL: all the kernel allows) */
		const char *mix;	/* --mix LIST: op kinds drawn (NULL: all) */
		int chaos;		/* --chaos PCT (0 to 10) */
		double checkpoint;	/* --checkpoint SECS */
		size_t block;		/* --block SIZE: every op this size (0: the rows') */
	} stress;
};
#define STRESS_DURATION_DEFAULT 60.0
#define STRESS_DEPTH_DEFAULT 4
#define STRESS_CHAOS_DEFAULT 5
#define STRESS_CHECKPOINT_DEFAULT 5.0

/* Parse argv. 0 ok; -1 with a one-line message in err (exit 2). What it
 * allocates goes with options_free (also after a failed parse). */
int options_parse(struct options *o, int argc, char **argv, char *err, size_t errlen);
void options_free(struct options *o);
void options_usage(FILE *f);

struct strbuf;
/* The options that shaped a run's cases, as a shell command line would
 * give them (each value quoted): what a reproduce line must carry. */
void options_shaping(const struct options *o, struct strbuf *out);
/* " OPT 'value'" for a shell (each ' as '\''). */
void shell_word(struct strbuf *out, const char *opt, const char *v);

#endif
