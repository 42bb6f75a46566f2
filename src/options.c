/* Command line. */
#include "options.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void options_usage(FILE *f)
{
	fputs("usage: iovbed list [--all] [--full] [--filter GLOB]... [--filters-from FILE]\n"
	      "                   [--size SIZE]... [--json]\n"
	      "       iovbed run  [--filter GLOB]... [--filters-from FILE] [--size SIZE]...\n"
	      "                   [--full] [--seed N]\n"
	      "                   [--json FILE] [--dir PATH] [--device DEV [--destroy]]\n"
	      "                   [--profile VERSION] [--scratch DIR] [--timeout SECS]\n"
	      "                   [--race-seconds S] [--nfs PATH --nfs-url URL] [--table]\n"
	      "                   [--observe auto|on|off]\n"
	      "       iovbed observe [--json] [--dir DIR] [-- COMMAND...]\n"
	      "                   (the BPF observer: its hooks, then reference IOs in DIR)\n"
	      "       iovbed stress [--duration 10m | --ops N] [--workers N] [--depth N]\n"
	      "                   [--filter GLOB]... [--size SIZE]... [--seed N] [--disturb LIST]\n"
	      "                   [--mix LIST] [--chaos PCT] [--checkpoint SECS] [--block SIZE]\n"
	      "                   [--record FILE | --replay FILE] [--json FILE]\n"
	      "                   (and run's target options)\n"
	      "       iovbed vm [VM OPTIONS] [-- run|stress ARGS]\n"
	      "       iovbed help | --version\n"
	      "\n"
	      "A case id is target/engine/buffer/direction/size+bufoffset, e.g.\n"
	      "xfs/uring-fixed/thp/read/64k+512. GLOB matches whole ids ('xfs/*', '*/read/*').\n"
	      "  --filter GLOB   run or list only matching cases (repeatable, or comma-separated)\n"
	      "  --filters-from FILE  the same, one glob or case id a line (# lines skipped)\n"
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
	      "  --observe MODE  the BPF observer: each case's flavour as the kernel took it\n"
	      "                  (auto: where it can attach, else each case says why not;\n"
	      "                  on: it must attach; off: flavours as declared)\n"
	      "  -v, --verbose   print set-up and reclaim messages\n"
	      "stress: workers run seeded random ops drawn from the selected rows, with\n"
	      "disturbers beside them, every op's data checked, checkpoints every few seconds:\n"
	      "  --duration T    how long (90, 30s, 10m, 2h; default 1m)\n"
	      "  --ops N         stop after N ops in all (with --duration: whichever first)\n"
	      "  --workers N     worker threads (default: one per CPU)\n"
	      "  --depth N       IOs each worker keeps in flight through io_uring/libaio (4)\n"
	      "  --disturb LIST  disturbers by name, 'all' (default: all the kernel allows)\n"
	      "                  or 'none'; a self-test runs only when named\n"
	      "  --mix LIST      op kinds drawn: direct, buffered, mmap, punch, zero,\n"
	      "                  truncate, fsync, chaos (default: all)\n"
	      "  --chaos PCT     share of chaos ops, direct, buffered and mmap IO on one\n"
	      "                  range at once (0 to 10, default 5)\n"
	      "  --checkpoint S  seconds between quiescent checkpoints (default 5)\n"
	      "  --block SIZE    every op this size, at buffer offset 0 (not the rows' sizes)\n"
	      "  --record FILE   write every op, one line each; --replay FILE runs them again\n"
	      "                  in one thread\n"
	      "Exit: 0 all passed, 1 a case failed, 2 bad usage, 77 nothing could run,\n"
	      "99 the test bed itself broke (set-up failed).\n", f);
}

static int add_filter(struct options *o, const char *f, char *err, size_t errlen)
{
	if (o->nfilters == o->capfilters) {
		int cap = o->capfilters ? 2 * o->capfilters : 16;
		const char **more = realloc(o->filters, cap * sizeof(*more));

		if (!more) {
			snprintf(err, errlen, "out of memory for %d filters", cap);
			return -1;
		}
		o->filters = more;
		o->capfilters = cap;
	}
	o->filters[o->nfilters++] = f;
	return 0;
}

static int add_filters(struct options *o, char *arg, char *err, size_t errlen)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (add_filter(o, tok, err, errlen) < 0)
			return -1;
	return 0;
}

/* --filters-from FILE: one glob or case id a line; empty and # lines skipped. */
static int add_filters_from(struct options *o, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *save = NULL, *line;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		snprintf(err, errlen, "--filters-from %s: %s", path, strerror(errno));
		return -1;
	}
	n = getdelim(&o->filters_text, &cap, 0, f);	/* the whole file */
	fclose(f);
	if (n < 0) {
		snprintf(err, errlen, "--filters-from %s: empty or unreadable", path);
		return -1;
	}
	for (line = strtok_r(o->filters_text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (*line != '#' && add_filter(o, line, err, errlen) < 0)
			return -1;
	return 0;
}

void options_free(struct options *o)
{
	free(o->filters);
	free(o->filters_text);
	o->filters = NULL;
	o->filters_text = NULL;
	o->nfilters = o->capfilters = 0;
}

static int add_size(struct options *o, const char *arg, char *err, size_t errlen)
{
	size_t v;

	if (parse_size(arg, &v) < 0 || v == 0) {
		snprintf(err, errlen, "--size '%s': not a size (512, 4k, 64k, 1m, 4m)", arg);
		return -1;
	}
	if (o->nsizes >= MAX_SIZES) {
		snprintf(err, errlen, "too many --size values");
		return -1;
	}
	o->sizes[o->nsizes++] = v;
	return 0;
}

static struct option longopts[] = {
	{ "filter", required_argument, NULL, 'f' },
	{ "filters-from", required_argument, NULL, 'L' },
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
	{ "observe", required_argument, NULL, 'O' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "duration", required_argument, NULL, 1000 },
	{ "ops", required_argument, NULL, 1001 },
	{ "workers", required_argument, NULL, 1002 },
	{ "depth", required_argument, NULL, 1003 },
	{ "record", required_argument, NULL, 1004 },
	{ "replay", required_argument, NULL, 1005 },
	{ "disturb", required_argument, NULL, 1006 },
	{ "mix", required_argument, NULL, 1007 },
	{ "chaos", required_argument, NULL, 1008 },
	{ "checkpoint", required_argument, NULL, 1009 },
	{ "block", required_argument, NULL, 1010 },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

/* One parse: where its options and its error go. */
struct parse {
	struct options *o;
	char *err;
	size_t errlen;
};

static int bad(struct parse *p, const char *what, const char *arg)
{
	snprintf(p->err, p->errlen, what, arg);
	return -1;
}

static int parse_command(struct parse *p, const char *cmd)
{
	struct options *o = p->o;

	if (!strcmp(cmd, "list"))
		o->cmd = CMD_LIST;
	else if (!strcmp(cmd, "run"))
		o->cmd = CMD_RUN;
	else if (!strcmp(cmd, "stress"))
		o->cmd = CMD_STRESS;
	else if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
		o->cmd = CMD_HELP;
	else if (!strcmp(cmd, "--version"))
		o->cmd = CMD_VERSION;
	else
		return bad(p, "unknown command '%s'", cmd);
	return 0;
}

/* --seed, --timeout, --race-seconds */
static int parse_number(struct parse *p, int c, const char *arg)
{
	struct options *o = p->o;
	unsigned long tv;
	char *end;

	errno = 0;
	if (c == 's') {
		o->seed = strtoull(arg, &end, 0);
		if (errno || end == arg || *end || *arg == '-')
			return bad(p, "--seed '%s': not an unsigned number", arg);
		o->seed_given = 1;
	} else if (c == 'T') {
		tv = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || *arg == '-' || tv == 0 || tv > 86400)
			return bad(p, "--timeout '%s': not a number of seconds (1 to 86400)", arg);
		o->timeout = tv;
	} else {
		o->race_seconds = strtod(arg, &end);
		if (errno || end == arg || *end || !(o->race_seconds >= 0.1) ||
		    o->race_seconds > 86400)
			return bad(p, "--race-seconds '%s': not a number of seconds (0.1 to 86400)",
				   arg);
	}
	return 0;
}

static const char *opt_name(int c)
{
	int i;

	for (i = 0; longopts[i].name; i++)
		if (longopts[i].val == c)
			return longopts[i].name;
	return "?";
}

/* "90", "30s", "10m", "2h", "1.5h": seconds, or -1. */
static double parse_duration(const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || !(v > 0))
		return -1;
	if (!strcmp(end, "m"))
		v *= 60;
	else if (!strcmp(end, "h"))
		v *= 3600;
	else if (*end && strcmp(end, "s"))
		return -1;
	return v <= 7 * 86400 ? v : -1;
}

/* An unsigned number in [lo, hi], or -1 (errno 0 on success). */
static long long parse_count(const char *arg, long long lo, long long hi)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v < lo || v > hi)
		return -1;
	return v;
}

/* The options of iovbed stress. */
static int parse_stress(struct parse *p, int c, char *arg)
{
	struct stress_opts *so = &p->o->stress;
	long long v;

	if (p->o->cmd != CMD_STRESS) {
		snprintf(p->err, p->errlen, "--%s goes with stress", opt_name(c));
		return -1;
	}
	switch (c) {
	case 1000:
		so->duration = parse_duration(arg);
		return so->duration < 0 ? bad(p, "--duration '%s': not a time (90, 30s, 10m, 2h)",
					      arg) : 0;
	case 1001:
		v = parse_count(arg, 1, 1LL << 50);
		so->ops = v;
		return v < 0 ? bad(p, "--ops '%s': not a number of ops", arg) : 0;
	case 1002:
		so->workers = v = parse_count(arg, 1, 256);
		return v < 0 ? bad(p, "--workers '%s': not a number from 1 to 256", arg) : 0;
	case 1003:
		so->depth = v = parse_count(arg, 1, 256);
		return v < 0 ? bad(p, "--depth '%s': not a number from 1 to 256", arg) : 0;
	case 1008:
		so->chaos = v = parse_count(arg, 0, 10);
		return v < 0 ? bad(p, "--chaos '%s': not a percentage from 0 to 10", arg) : 0;
	case 1009:
		so->checkpoint = parse_duration(arg);
		return so->checkpoint < 0.5 ? bad(p, "--checkpoint '%s': not a time of 0.5 s "
						  "or more", arg) : 0;
	case 1010:
		if (parse_size(arg, &so->block) < 0 || !so->block || so->block % 512 ||
		    so->block > 4 * MiB)
			return bad(p, "--block '%s': not a size of 512-byte sectors up to 4m", arg);
		return 0;
	}
	*(c == 1004 ? &so->record : c == 1005 ? &so->replay : c == 1006 ? &so->disturb :
	  &so->mix) = arg;
	return 0;
}

/* An option that names a path or a word. */
static void parse_word(struct options *o, int c, char *arg)
{
	switch (c) {
	case 'j':
		if (o->cmd == CMD_LIST)
			o->list_json = 1;
		else
			o->json = arg;
		break;
	case 'd': o->user.dir = arg; break;
	case 'D': o->user.device = arg; break;
	case 'N': o->user.nfs = arg; break;
	case 'U': o->user.nfs_url = arg; break;
	case 'p': o->profile = arg; break;
	case 'c': o->scratch = arg; break;
	}
}

static int parse_observe(struct parse *p, const char *arg)
{
	static const char *const modes[] = { "auto", "on", "off" };
	int i;

	for (i = 0; i < 3; i++)
		if (!strcmp(arg, modes[i])) {
			p->o->observe = (enum observe_mode)i;
			return 0;
		}
	return bad(p, "--observe '%s': auto, on or off", arg);
}

/* One option from getopt: 0, 1 (help or version: stop), -1 (err). */
static int parse_one(struct parse *p, int c, char *arg, const char *text)
{
	struct options *o = p->o;

	switch (c) {
	case 'f': return add_filters(o, arg, p->err, p->errlen);
	case 'L':
		if (o->filters_text)
			return bad(p, "%s given twice", "--filters-from");
		return add_filters_from(o, arg, p->err, p->errlen);
	case 'S': return add_size(o, arg, p->err, p->errlen);
	case 's': case 'T': case 'R': return parse_number(p, c, arg);
	case 'F': o->sel = SEL_FULL; return 0;
	case 'a':
		if (o->cmd != CMD_LIST)
			return bad(p, "%s goes with list", "--all");
		o->sel = SEL_ALL;
		return 0;
	case 'X': o->user.destroy = 1; return 0;
	case 't': o->table = 1; return 0;
	case 'O': return parse_observe(p, arg);
	case 'v': o->verbose = 1; return 0;
	case 'h': o->cmd = CMD_HELP; return 1;
	case 'V': o->cmd = CMD_VERSION; return 1;
	case ':': return bad(p, "option '%s' needs a value", text);
	case '?': return bad(p, "unknown option '%s'", text);
	}
	if (c >= 1000)
		return parse_stress(p, c, arg);
	parse_word(o, c, arg);
	return 0;
}

static int parse_combinations(struct parse *p)
{
	if (!p->o->user.nfs != !p->o->user.nfs_url)
		return bad(p, "%s and --nfs-url go together", "--nfs");
	if (p->o->user.destroy && !p->o->user.device)
		return bad(p, "%s goes with --device", "--destroy");
	if (p->o->stress.record && p->o->stress.replay)
		return bad(p, "%s and --replay do not go together", "--record");
	if (p->o->cmd == CMD_STRESS && p->o->sel == SEL_FULL)
		return bad(p, "%s: stress draws from every variant already", "--full");
	return 0;
}

int options_parse(struct options *o, int argc, char **argv, char *err, size_t errlen)
{
	struct parse p = { o, err, errlen };
	int c, r;

	memset(o, 0, sizeof(*o));
	o->timeout = OPT_TIMEOUT_DEFAULT;
	o->race_seconds = OPT_RACE_DEFAULT;
	o->stress.depth = STRESS_DEPTH_DEFAULT;
	o->stress.chaos = STRESS_CHAOS_DEFAULT;
	o->stress.checkpoint = STRESS_CHECKPOINT_DEFAULT;
	*err = 0;
	if (argc < 2)
		return bad(&p, "%s", "no command given");
	if (parse_command(&p, argv[1]) < 0)
		return -1;
	if (o->cmd == CMD_HELP || o->cmd == CMD_VERSION)
		return 0;
	optind = 2;
	opterr = 0;
	for (c = 0; longopts[c].name; c++)	/* list --json prints JSON: it takes no file */
		if (!strcmp(longopts[c].name, "json"))
			longopts[c].has_arg = o->cmd == CMD_LIST ? no_argument : required_argument;
	while ((c = getopt_long(argc, argv, ":v", longopts, NULL)) != -1) {
		r = parse_one(&p, c, optarg, argv[optind - 1]);
		if (r)
			return r < 0 ? -1 : 0;
	}
	if (optind < argc)
		return bad(&p, "unexpected argument '%s'", argv[optind]);
	return parse_combinations(&p);
}

void shell_word(struct strbuf *out, const char *opt, const char *v)
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
	if (o->user.dir)
		shell_word(out, "--dir", o->user.dir);
	if (o->user.device)
		shell_word(out, "--device", o->user.device);
	if (o->user.destroy)
		sb_addf(out, " --destroy");
	if (o->user.nfs) {
		shell_word(out, "--nfs", o->user.nfs);
		shell_word(out, "--nfs-url", o->user.nfs_url);
	}
	if (o->profile)
		shell_word(out, "--profile", o->profile);
	if (o->scratch)
		shell_word(out, "--scratch", o->scratch);
	if (o->timeout != OPT_TIMEOUT_DEFAULT)
		sb_addf(out, " --timeout %u", o->timeout);
	if (o->race_seconds != OPT_RACE_DEFAULT)
		sb_addf(out, " --race-seconds %.9g", o->race_seconds);
	if (o->observe != OBSERVE_AUTO)
		sb_addf(out, " --observe %s", o->observe == OBSERVE_ON ? "on" : "off");
}
