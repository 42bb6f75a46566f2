/* iovbed: drive direct IO through every iov_iter flavour, check data,
 * dirtiness, pins and the kernel log. */
#include "report.h"
#include "action.h"

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

static int list(const struct matrix *m, const struct profile *prof)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct tcase *c = &m->c[i];

		if (!c->selected)
			continue;
		if (c->impossible)
			printf("%-48s not meaningful: %s\n", c->id, c->impossible);
		else
		{
			const struct action_spec *sp = action_spec(c->action);
			const char *tag = c->e->tag ? c->e->tag : sp ? sp->tag : NULL;

			printf("%-48s %-10s %s%s%s%s\n", c->id, flavour_name(c->e->flavour(&prof->v)),
			       sp ? sp->desc : c->e->desc, tag ? " [" : "", tag ? tag : "",
			       tag ? "]" : "");
		}
	}
	return 0;
}

static int run(const struct matrix *m, const struct options *o)
{
	char err[ERRLEN] = "";
	struct strbuf log = { 0 };
	struct report rep;
	struct bed bed;
	size_t i, total = count_selected(m);
	int code, ret = 99;

	if (geteuid() != 0) {
		fprintf(stderr, "iovbed: run needs root (it mounts filesystems, attaches loop "
			"devices, reads /proc/kpageflags and /dev/kmsg): nothing run\n");
		return 77;
	}
	signals_install();
	if (bed_open(&bed, o, &log, err) < 0) {
		fprintf(stderr, "%siovbed: test bed set-up failed: %s\n", sb_str(&log), err);
		bed_close(&bed);
		sb_free(&log);
		return 99;
	}
	fputs(sb_str(&log), stderr);
	sb_free(&log);
	/* What the user handed over is checked before anything runs. */
	for (i = 0; i < target_count; i++) {
		struct target *t = &bed.targets[i];

		if (!t->ops->user_given || (t->ops == &target_dir && !o->dir) ||
		    (t->ops == &target_dev && !o->device) ||
		    (t->ops == &target_nfs_user && !o->nfs))
			continue;
		if (target_ensure(t, &bed) != SETUP_READY) {
			fprintf(stderr, "iovbed: %s\n", t->why);
			ret = 2;
			goto out;
		}
	}
	if (report_open(&rep, &bed, total, err) < 0) {
		fprintf(stderr, "iovbed: %s\n", err);
		ret = 2;
		goto out;
	}
	for (i = 0; i < m->n && !stop_signal && !bed.wedged; i++) {
		struct result res;

		if (!m->c[i].selected)
			continue;
		run_case(&bed, &m->c[i], &res);
		if (!res.interrupted)
			report_case(&rep, &bed, &m->c[i], &res);
		result_free(&res);
	}
	bed_close(&bed);
	report_close(&rep, &bed, stop_signal != 0);
	code = report_exit_code(&rep);
	return stop_signal ? 128 + stop_signal : code;
out:
	bed_close(&bed);
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

int main(int argc, char **argv)
{
	int given[TARGET_MAX] = { 0 };
	char err[ERRLEN];
	struct options o;
	struct profile prof;
	struct matrix m;
	const char *unmatched;
	size_t i;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "vm"))
		return vm(argc, argv);
	if (options_parse(&o, argc, argv, err, sizeof(err)) < 0)
		return usage_error(err);
	if (o.cmd == CMD_HELP) {
		options_usage(stdout);
		return 0;
	}
	if (o.cmd == CMD_VERSION) {
		printf("iovbed %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (profile_init(&prof, o.profile) < 0) {
		snprintf(err, sizeof(err), "--profile '%s': not a kernel version (e.g. 6.1)",
			 o.profile ? o.profile : "");
		return usage_error(err);
	}
	for (i = 0; i < target_count; i++)
		given[i] = (target_table[i] == &target_dir && o.dir) ||
			   (target_table[i] == &target_dev && o.device) ||
			   (target_table[i] == &target_nfs_user && o.nfs);
	if (matrix_build(&m, given) < 0) {
		fprintf(stderr, "iovbed: out of memory\n");
		return 99;
	}
	unmatched = matrix_unmatched_filter(&m, o.filters, o.nfilters);
	if (unmatched) {
		snprintf(err, sizeof(err), "--filter '%s' matches no case (iovbed list --all "
			 "shows them all)", unmatched);
		matrix_free(&m);
		return usage_error(err);
	}
	matrix_select(&m, o.sel, o.filters, o.nfilters);
	keep_sizes(&m, &o);
	if (!count_selected(&m)) {
		matrix_free(&m);
		return usage_error("the filters select no case that can run (try --full, or "
				   "list --all)");
	}
	if (o.cmd == CMD_LIST)
		ret = list(&m, &prof);
	else
		ret = run(&m, &o);
	matrix_free(&m);
	return ret;
}
