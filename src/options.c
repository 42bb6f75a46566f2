/* Command line. */
#include "options.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void options_usage(FILE *f)
{
	fputs("usage: iovbed list [--all] [--full] [--filter GLOB]... [--size SIZE]...\n"
	      "       iovbed run  [--filter GLOB]... [--size SIZE]... [--full] [--seed N]\n"
	      "                   [--json FILE] [--dir PATH] [--device DEV [--destroy]]\n"
	      "                   [--profile VERSION] [--scratch DIR] [--timeout SECS]\n"
	      "                   [--race-seconds S] [--nfs PATH --nfs-url URL] [--table]\n"
	      "       iovbed help | --version\n"
	      "\n"
	      "A case id is target/engine/buffer/direction/size+bufoffset, e.g.\n"
	      "xfs/uring-fixed/thp/read/64k+512. GLOB matches whole ids ('xfs/*', '*/read/*').\n"
	      "  --filter GLOB   run or list only matching cases (repeatable, or comma-separated)\n"
	      "  --size SIZE     only cases of this IO size (512, 4k, 64k, 1m, 4m; repeatable)\n"
	      "  --full          every meaningful size/offset variant, not one per combination\n"
	      "  --all           (list) also what cannot run, and why\n"
	      "  --seed N        the data seed; a failure prints the seed that reproduces it\n"
	      "  --json FILE     every case, its measured pin deltas and failure details\n"
	      "  --dir PATH      also test a file in this directory (only iovbed's file is touched)\n"
	      "  --device DEV    also test this block device: its first 16 MiB are overwritten;\n"
	      "                  refused if it holds a filesystem or partition table signature\n"
	      "  --nfs PATH      also test a file in this directory of an NFS mount; written\n"
	      "                  data is read back from the server with libnfs through\n"
	      "  --nfs-url URL   nfs://SERVER/EXPORT, the export PATH's mount shows\n"
	      "  --destroy       allow --device to overwrite a device that holds a signature\n"
	      "  --profile VER   judge pins by kernel VER's expectations (e.g. 6.1)\n"
	      "  --scratch DIR   where the run keeps its images and mounts (/var/tmp/iovbed)\n"
	      "  --timeout SECS  a case whose IO has not completed by then is reported\n"
	      "                  stuck, with the kernel stack of the task (default 60)\n"
	      "  --race-seconds S  how long each race case (regress/dio-fork) runs\n"
	      "                  (default 2; hours under stress)\n"
	      "  --table         end with the full target x engine table (it is in --json too)\n"
	      "  -v, --verbose   print set-up and reclaim messages\n"
	      "Exit: 0 all passed, 1 a case failed, 2 bad usage, 77 nothing could run,\n"
	      "99 the test bed itself broke (set-up failed).\n", f);
}

static int add_filters(struct options *o, char *arg, char *err, size_t errlen)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->nfilters >= MAX_FILTERS) {
			snprintf(err, errlen, "too many --filter patterns (at most %d)", MAX_FILTERS);
			return -1;
		}
		o->filters[o->nfilters++] = tok;
	}
	return 0;
}

static int add_size(struct options *o, const char *arg, char *err, size_t errlen)
{
	size_t v;

	if (parse_size(arg, &v) < 0 || v == 0) {
		snprintf(err, errlen, "--size '%s': not a size (512, 4k, 64k, 1m, 4m)", arg);
		return -1;
	}
	if (o->nsizes >= MAX_FILTERS) {
		snprintf(err, errlen, "too many --size values");
		return -1;
	}
	o->sizes[o->nsizes++] = v;
	return 0;
}

int options_parse(struct options *o, int argc, char **argv, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "filter", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 'S' },
		{ "full", no_argument, NULL, 'F' },
		{ "all", no_argument, NULL, 'a' },
		{ "seed", required_argument, NULL, 's' },
		{ "json", required_argument, NULL, 'j' },
		{ "dir", required_argument, NULL, 'd' },
		{ "device", required_argument, NULL, 'D' },
		{ "destroy", no_argument, NULL, 'X' },
		{ "nfs", required_argument, NULL, 'N' },
		{ "nfs-url", required_argument, NULL, 'U' },
		{ "profile", required_argument, NULL, 'p' },
		{ "scratch", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "race-seconds", required_argument, NULL, 'R' },
		{ "table", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *cmd;
	unsigned long tv;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout = OPT_TIMEOUT_DEFAULT;
	o->race_seconds = OPT_RACE_DEFAULT;
	*err = 0;
	if (argc < 2) {
		snprintf(err, errlen, "no command given");
		return -1;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "list"))
		o->cmd = CMD_LIST;
	else if (!strcmp(cmd, "run"))
		o->cmd = CMD_RUN;
	else if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
		o->cmd = CMD_HELP;
	else if (!strcmp(cmd, "--version"))
		o->cmd = CMD_VERSION;
	else {
		snprintf(err, errlen, "unknown command '%s'", cmd);
		return -1;
	}
	if (o->cmd == CMD_HELP || o->cmd == CMD_VERSION)
		return 0;
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":v", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (add_filters(o, optarg, err, errlen) < 0)
				return -1;
			break;
		case 'S':
			if (add_size(o, optarg, err, errlen) < 0)
				return -1;
			break;
		case 'F':
			o->sel = SEL_FULL;
			break;
		case 'a':
			if (o->cmd != CMD_LIST) {
				snprintf(err, errlen, "--all goes with list");
				return -1;
			}
			o->sel = SEL_ALL;
			break;
		case 's':
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || *optarg == '-') {
				snprintf(err, errlen, "--seed '%s': not an unsigned number", optarg);
				return -1;
			}
			o->seed_given = 1;
			break;
		case 'T':
			errno = 0;
			tv = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-' || tv == 0 || tv > 86400) {
				snprintf(err, errlen, "--timeout '%s': not a number of seconds "
					 "(1 to 86400)", optarg);
				return -1;
			}
			o->timeout = tv;
			break;
		case 'R':
			errno = 0;
			o->race_seconds = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->race_seconds >= 0.1) ||
			    o->race_seconds > 86400) {
				snprintf(err, errlen, "--race-seconds '%s': not a number of seconds "
					 "(0.1 to 86400)", optarg);
				return -1;
			}
			break;
		case 'j': o->json = optarg; break;
		case 'd': o->dir = optarg; break;
		case 'D': o->device = optarg; break;
		case 'X': o->destroy = 1; break;
		case 'N': o->nfs = optarg; break;
		case 'U': o->nfs_url = optarg; break;
		case 'p': o->profile = optarg; break;
		case 'c': o->scratch = optarg; break;
		case 't': o->table = 1; break;
		case 'v': o->verbose = 1; break;
		case 'h': o->cmd = CMD_HELP; return 0;
		case 'V': o->cmd = CMD_VERSION; return 0;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (!o->nfs != !o->nfs_url) {
		snprintf(err, errlen, "--nfs and --nfs-url go together");
		return -1;
	}
	if (o->destroy && !o->device) {
		snprintf(err, errlen, "--destroy goes with --device");
		return -1;
	}
	return 0;
}

/* 'value' for a shell: single quotes, each ' as '\'' */
static void shell_word(struct strbuf *out, const char *opt, const char *v)
{
	sb_addf(out, " %s '", opt);
	for (; *v; v++) {
		if (*v == '\'')
			sb_addf(out, "'\\''");
		else
			sb_addf(out, "%c", *v);
	}
	sb_addf(out, "'");
}

void options_shaping(const struct options *o, struct strbuf *out)
{
	int i;

	if (o->sel == SEL_FULL)
		sb_addf(out, " --full");
	for (i = 0; i < o->nsizes; i++)
		sb_addf(out, " --size %zu", o->sizes[i]);
	if (o->dir)
		shell_word(out, "--dir", o->dir);
	if (o->device)
		shell_word(out, "--device", o->device);
	if (o->destroy)
		sb_addf(out, " --destroy");
	if (o->nfs) {
		shell_word(out, "--nfs", o->nfs);
		shell_word(out, "--nfs-url", o->nfs_url);
	}
	if (o->profile)
		shell_word(out, "--profile", o->profile);
	if (o->scratch)
		shell_word(out, "--scratch", o->scratch);
	if (o->timeout != OPT_TIMEOUT_DEFAULT)
		sb_addf(out, " --timeout %u", o->timeout);
	if (o->race_seconds != OPT_RACE_DEFAULT)
		sb_addf(out, " --race-seconds %.9g", o->race_seconds);
}
