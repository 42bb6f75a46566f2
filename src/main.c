/* iovbed: drive direct IO through every iov_iter flavour, check data,
 * dirtiness, pins and the kernel log. */
#include "list.h"
#include "registry.h"
#include "report.h"
#include "observe.h"
#include "runners.h"
#include "stress.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage_error(const char *msg)
{
	fprintf(stderr, "iovbed: %s\n", msg);
	options_usage(stderr);
	return 2;
}

static void keep_sizes(struct matrix *m, const struct options *o)
{
	size_t i;
	int k, keep;

	if (!o->nsizes)
		return;
	for (i = 0; i < m->n; i++) {
		for (keep = 0, k = 0; k < o->nsizes; k++)
			keep |= m->c[i].v.size == o->sizes[k];
		if (!keep)
			m->c[i].selected = 0;
	}
}

static size_t count_selected(const struct matrix *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->n; i++)
		n += m->c[i].selected;
	return n;
}

/* What the user handed over is checked before anything runs: exit 2. */
static int check_user_targets(struct bed *bed)
{
	size_t i;

	for (i = 0; i < target_count; i++) {
		const struct target_ops *t = target_table[i];
		const struct user_args *u = &bed->opt->user;
		struct target *tg;

		if (!t->user || (t->user == USER_DIR && !u->dir) ||
		    (t->user == USER_DEVICE && !u->device) || (t->user == USER_NFS && !u->nfs))
			continue;
		if (bed_target(bed, i, &tg) != SETUP_READY) {
			fprintf(stderr, "iovbed: %s\n", tg->why);
			return -1;
		}
	}
	return 0;
}

static void run_all(struct bed *bed, const struct matrix *m, struct report *rep)
{
	size_t i;

	for (i = 0; i < m->n && !stop_signal && !bed->wedged; i++) {
		struct result res;

		if (!m->c[i].selected)
			continue;
		run_case(bed, &m->c[i], &res);
		if (!res.interrupted)
			report_case(rep, bed, &m->c[i], &res);
		result_free(&res);
	}
}

static int run(const struct matrix *m, const struct options *o)
{
	char err[ERRLEN] = "";
	struct strbuf log = { 0 };
	struct report rep;
	struct bed bed;
	int ret = 2;

	if (geteuid() != 0) {
		fprintf(stderr, "iovbed: run needs root (it mounts filesystems, attaches loop "
			"devices, reads /proc/kpageflags and /dev/kmsg): nothing run\n");
		return 77;
	}
	signals_install();
	if (bed_open(&bed, o, &log, err) < 0) {
		fprintf(stderr, "%siovbed: test bed set-up failed: %s\n", sb_str(&log), err);
		ret = 99;
		goto out;
	}
	fputs(sb_str(&log), stderr);
	if (check_user_targets(&bed) < 0)
		goto out;
	if (report_open(&rep, &bed, count_selected(m), err) < 0) {
		fprintf(stderr, "iovbed: %s\n", err);
		goto out;
	}
	run_all(&bed, m, &rep);
	bed_close(&bed);
	report_close(&rep, &bed, stop_signal != 0);
	ret = stop_signal ? 128 + stop_signal : report_exit_code(&rep);
	bed_free(&bed);
	sb_free(&log);
	return ret;
out:
	bed_close(&bed);
	bed_free(&bed);
	sb_free(&log);
	return ret;
}

/* iovbed vm ...: the QEMU runner, a script beside the build tree's binary
 * (vm/iovbed-vm) or installed in pkglibexecdir; it is told this binary. */
static int vm(int argc, char **argv)
{
	char self[PATH_MAX], script[PATH_MAX + 32], *dir;
	char **args = calloc(argc + 3, sizeof(*args));
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int i, k = 0;

	if (n <= 0 || !args) {
		fprintf(stderr, "iovbed: vm: cannot find this binary\n");
		free(args);
		return 2;
	}
	self[n] = 0;
	snprintf(script, sizeof(script), "%s", self);
	dir = dirname(script);
	snprintf(script + strlen(dir), sizeof(script) - strlen(dir), "/../vm/iovbed-vm");
	if (access(script, X_OK) < 0)
		snprintf(script, sizeof(script), "%s/iovbed-vm", PKGLIBEXECDIR);
	args[k++] = script;
	args[k++] = "--iovbed";
	args[k++] = self;
	for (i = 2; i < argc; i++)
		args[k++] = argv[i];
	args[k] = NULL;
	execv(script, args);
	fprintf(stderr, "iovbed: vm: cannot run %s: %s\n", script, strerror(errno));
	free(args);
	return 2;
}

/* The cases the options select, or an exit status (usage: 2). */
static int select_cases(struct matrix *m, const struct options *o)
{
	char err[ERRLEN];
	const char *unmatched;

	if (matrix_build(m, &o->user) < 0) {
		fprintf(stderr, "iovbed: out of memory\n");
		return 99;
	}
	unmatched = matrix_unmatched_filter(m, o->filters, o->nfilters);
	if (unmatched) {
		snprintf(err, sizeof(err), "--filter '%s' matches no case (iovbed list --all "
			 "shows them all)", unmatched);
		return usage_error(err);
	}
	/* stress draws from every meaningful variant */
	matrix_select(m, o->cmd == CMD_STRESS ? SEL_FULL : o->sel, o->filters, o->nfilters);
	keep_sizes(m, o);
	if (!count_selected(m))
		return usage_error("the filters select no case that can run (try --full, or "
				   "list --all)");
	return 0;
}

int main(int argc, char **argv)
{
	char err[ERRLEN];
	struct options o;
	struct profile prof;
	struct matrix m = { 0 };
	int ret;

	if (argc > 1 && !strcmp(argv[1], "vm"))
		return vm(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "observe"))
		return observe_cmd(argc - 1, argv + 1);
	if (options_parse(&o, argc, argv, err, sizeof(err)) < 0) {
		options_free(&o);
		return usage_error(err);
	}
	if (o.cmd == CMD_HELP || o.cmd == CMD_VERSION) {
		if (o.cmd == CMD_HELP)
			options_usage(stdout);
		else
			printf("iovbed %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (profile_init(&prof, o.profile) < 0) {
		snprintf(err, sizeof(err), "--profile '%s': not a kernel version (e.g. 6.1)",
			 o.profile ? o.profile : "");
		options_free(&o);
		return usage_error(err);
	}
	ret = select_cases(&m, &o);
	if (ret == 0 && o.cmd == CMD_STRESS)
		ret = stress_main(&o, &m);
	else if (ret == 0)
		ret = o.cmd == CMD_LIST ? list_cases(&m, &prof, o.list_json) : run(&m, &o);
	matrix_free(&m);
	options_free(&o);
	return ret;
}
