#ifndef IOVBED_OPTIONS_H
#define IOVBED_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

enum command { CMD_NONE, CMD_LIST, CMD_RUN, CMD_HELP, CMD_VERSION };

enum selection {
	SEL_DEFAULT,	/* one size/offset variant per combination */
	SEL_FULL,	/* every meaningful variant */
	SEL_ALL,	/* list only: also what cannot run, and why */
};

#define MAX_FILTERS 32
#define OPT_TIMEOUT_DEFAULT 60
#define OPT_RACE_DEFAULT 2.0

struct options {
	enum command cmd;
	enum selection sel;
	const char *filters[MAX_FILTERS];
	int nfilters;
	uint64_t seed;
	int seed_given;
	size_t sizes[MAX_FILTERS];	/* --size: only these IO sizes */
	int nsizes;
	const char *json;
	const char *dir;	/* --dir: a directory the user hands over */
	const char *nfs;	/* --nfs: a directory on an NFS mount the user hands over */
	const char *nfs_url;	/* --nfs-url: the libnfs URL of that mount's export */
	const char *device;	/* --device: a block device the user hands over */
	int destroy;		/* --destroy: the device may hold a filesystem */
	const char *profile;	/* --profile VERSION: expectations of another kernel */
	const char *scratch;	/* --scratch DIR: where the run keeps its files */
	unsigned timeout;	/* --timeout: seconds a case's IO may take */
	double race_seconds;	/* --race-seconds: how long a race case runs */
	int table;		/* --table: the full target x engine table at the end */
	int verbose;
};

/* Parse argv. 0 ok; -1 with a one-line message in err (exit 2). */
int options_parse(struct options *o, int argc, char **argv, char *err, size_t errlen);
void options_usage(FILE *f);

struct strbuf;
/* The options that shaped a run's cases, as a shell command line would
 * give them (each value quoted): what a reproduce line must carry. */
void options_shaping(const struct options *o, struct strbuf *out);

#endif
