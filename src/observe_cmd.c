/* iovbed observe: open the BPF observer, say per hook whether it is
 * attached (or why not), then observe a few reference IOs of its own in
 * a scratch directory (or one command), one window each. */
#include "observe.h"
#include "engine.h"
#include "pathclass.h"
#include "registry.h"
#include "target.h"
#include "loop.h"
#include "pattern.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define OBS_FILE_LEN (1 * MiB)
#define OBS_IO_LEN (64 * KiB)
#define OBS_SEED 0x6f6273ULL	/* "obs" */

struct obs_cmd {
	int json;
	const char *dir;
	char **cmd;		/* after --: one window around it */
	struct observer *o;
	struct kver kv;
	struct strbuf out;	/* JSON, or text */
	int nio, observed, broken, unobserved;
};

/* Which path an O_DIRECT file in dir takes (the mount's type decides:
 * 9p passes on the server's statfs f_type). */
static enum path_class dir_path(const char *dir)
{
	struct path_found pf;

	if (path_classify_dir(dir, &pf, NULL) < 0 || pf.path == PATH_UNKNOWN)
		return PATH_COUNT;
	return pf.path;
}

static void hooks_report(struct obs_cmd *c)
{
	int i;

	if (c->json)
		sb_addf(&c->out, "  \"hooks\": [");
	for (i = 0; i < OBS_HOOK_COUNT; i++) {
		const struct obs_hook_state *st = observer_hook(c->o, i);
		const char *fn = obs_hook_table[i].fn;
		static const char *const kinds[] = { "", "fentry", "fexit", "kprobe" };
		static const char *const states[] = { "absent", "attached", "unobservable" };

		if (c->json) {
			sb_addf(&c->out, "%s\n    {\"hook\": \"%s\", \"state\": \"%s\", \"kind\": "
				"\"%s\", \"errno\": %d, \"traceable\": %d, \"why\": ", i ? "," : "",
				fn, states[st->state], kinds[st->kind], st->err, st->traceable);
			sb_json_str(&c->out, st->why);
			sb_addf(&c->out, "}");
			continue;
		}
		if (st->state == OBS_ATTACHED)
			sb_addf(&c->out, "hook %-28s attached (%s%s%s)", fn, kinds[st->kind],
				st->why[0] ? "; " : "", st->why);
		else if (st->state == OBS_ABSENT)
			sb_addf(&c->out, "hook %-28s absent: %s", fn, st->why);
		else
			sb_addf(&c->out, "hook %-28s unobservable: hook %s, errno %s (%s)", fn, fn,
				obs_errname(st->err), st->why);
		sb_addf(&c->out, "%s\n", st->traceable < 0 ? "" : st->traceable ?
			"; in available_filter_functions" : "; not in available_filter_functions");
	}
	if (c->json)
		sb_addf(&c->out, "\n  ],\n  \"ios\": [");
}

/* One reference IO: its name, the engine (by name) or kernel IO that
 * does it, and where. */
struct ref_io {
	const char *name;
	const char *engine;
	const struct kernel_io *k;
	int segs;		/* vector: exactly this many segments */
	int blockdev;		/* on a loop device over the file, not the file */
};

static const struct ref_io ref_ios[] = {
	{ "pread O_DIRECT into anonymous memory", "sync", NULL, 0, 0 },
	{ "preadv O_DIRECT, 2 segments", "vector", NULL, 2, 0 },
	{ "splice O_DIRECT file -> pipe", "splice-out", NULL, 0, 0 },
	{ "io_uring READ_FIXED", "uring-fixed", NULL, 0, 0 },
	{ "finit_module on an O_DIRECT file (kernel_read)", NULL, &kio_finit_module, 0, 0 },
	{ "pread O_DIRECT of a loop device (direct IO on)", "sync", NULL, 0, 1 },
};

static const struct engine_ops *engine_named(const char *name)
{
	size_t i;

	for (i = 0; name && i < engine_count; i++)
		if (!strcmp(engine_table[i]->name, name))
			return engine_table[i];
	return NULL;
}

static enum flavour ref_flavour(const struct ref_io *io, const struct kver *v)
{
	return io->k ? io->k->flavour(v) : engine_named(io->engine)->flavour(v);
}

/* A window's verdict, and why. */
struct judged {
	const struct obs_window *w;
	enum obs_verdict v;
	const char *why;
};

static void window_report(struct obs_cmd *c, const char *name, const char *declared,
			  const struct judged *j)
{
	const struct obs_window *w = j->w;
	enum obs_verdict v = j->v;
	const char *why = j->why;

	static const char *const verdicts[] = { "observed", "unobservable", "BROKEN" };
	static const char *const prefix[] = { "", "", "BROKEN: " };

	c->nio++;
	c->observed += v == OBS_OBSERVED;
	c->broken += v == OBS_BROKEN;
	c->unobserved += v == OBS_UNOBSERVED;
	if (!c->json) {
		sb_addf(&c->out, "\n%s: %s%s; declared %s\n", name, prefix[v], why, declared);
		obs_window_text(w, &c->out);
		return;
	}
	sb_addf(&c->out, "%s\n    {\"io\": ", c->nio > 1 ? "," : "");
	sb_json_str(&c->out, name);
	sb_addf(&c->out, ", \"declared\": \"%s\", \"verdict\": \"%s\", \"why\": ", declared,
		verdicts[v]);
	sb_json_str(&c->out, why);
	sb_addf(&c->out, ", \"window\": ");
	obs_window_json(w, &c->out);
	sb_addf(&c->out, "}");
}

static void skip_report(struct obs_cmd *c, const char *name, const char *why)
{
	if (!c->json) {
		sb_addf(&c->out, "\n%s: SKIP %s\n", name, why);
		return;
	}
	sb_addf(&c->out, "%s\n    {\"io\": ", c->nio++ ? "," : "");
	sb_json_str(&c->out, name);
	sb_addf(&c->out, ", \"verdict\": \"skip\", \"why\": ");
	sb_json_str(&c->out, why);
	sb_addf(&c->out, "}");
}

/* The file the reference IOs read: pattern data, on the medium. */
static int make_file(const char *path, char *err)
{
	char *buf = malloc(OBS_FILE_LEN);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600), r = -1;

	if (!buf || fd < 0) {
		errf(err, "create %s", path);
		goto out;
	}
	pattern_fill(buf, OBS_FILE_LEN, OBS_SEED, 0);
	if (write_full(fd, buf, OBS_FILE_LEN) < 0 || fsync(fd) < 0)
		errf(err, "write %lu bytes to %s", OBS_FILE_LEN, path);
	else
		r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}

/* The IO itself, inside the window: bytes, -1 (err), -2 skip (err). */
static ssize_t ref_do(const struct ref_io *io, const char *path, void *buf, char *err)
{
	struct io_req rq = { .path = path, .dir = DIR_READ, .buf = buf, .len = OBS_IO_LEN,
			     .align = 4096 };
	const struct engine_ops *e = engine_named(io->engine);
	ssize_t n;
	int r;

	if (io->k) {
		struct strbuf diag = { 0 };
		struct kio_out out = { .diag = &diag };
		struct target t = { .found.path = PATH_IOMAP };

		snprintf(t.path, sizeof(t.path), "%s", path);
		r = io->k->run(&t, &out, err);
		sb_free(&diag);
		return r == 2 ? -2 : r < 0 ? -1 : (ssize_t)OBS_FILE_LEN;
	}
	rq.fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (rq.fd < 0) {
		errf(err, "open %s O_DIRECT", path);
		return -1;
	}
	n = io->segs ? vector_run_segs(&rq, io->segs) : e->run(&rq);
	if (n < 0)
		snprintf(err, ERRLEN, "%s", rq.err);
	close(rq.fd);
	return n;
}

static void ref_run(struct obs_cmd *c, const struct ref_io *io, const char *path,
		    enum path_class path_cls, void *buf)
{
	struct obs_window w = { 0 };
	char err[ERRLEN] = "", why[ERRLEN];
	const struct engine_ops *e = engine_named(io->engine);
	const char *declared = flavour_name(ref_flavour(io, &c->kv));
	struct obs_file file;
	enum obs_verdict v;
	struct stat st;
	ssize_t n;

	if (e && e->probe && e->probe(err) != SETUP_READY)
		return skip_report(c, io->name, err);
	if (stat(path, &st) < 0) {
		errf(err, "stat %s", path);
		return skip_report(c, io->name, err);
	}
	file.dev = st.st_dev;
	file.ino = st.st_ino;
	if (observer_begin(c->o, err) < 0)
		return skip_report(c, io->name, err);
	n = ref_do(io, path, buf, err);
	if (observer_end(c->o, &w, why) < 0) {
		c->broken++;
		skip_report(c, io->name, why);
		goto out;
	}
	if (n == -2) {
		skip_report(c, io->name, err);
		goto out;
	}
	if (n < 0) {	/* nothing was done: nothing to observe */
		skip_report(c, io->name, err);
		goto out;
	}
	v = obs_judge(&w, &(struct obs_case){ path_cls, &file, observer_attached(c->o, path_cls, 0),
				      n > 0, 0 }, why);
	if (v == OBS_UNOBSERVED)
		observer_path_why(c->o, path_cls, 0, why);
	window_report(c, io->name, declared, &(struct judged){ &w, v, why });
out:
	obs_window_free(&w);
}

static void ref_block(struct obs_cmd *c, const struct ref_io *io, const char *file, void *buf)
{
	struct loopdev l;
	char err[ERRLEN];

	if (loop_attach(&l, file, 1, err) < 0)
		return skip_report(c, io->name, err);
	ref_run(c, io, l.dev, PATH_BLOCK, buf);
	loop_detach(&l);
}

/* The reference IOs, in a directory made for them below base. */
static int ref_all(struct obs_cmd *c, char *err)
{
	char dir[4096], file[4200];
	enum path_class pc;
	void *buf;
	size_t i;

	if (pathf(dir, sizeof(dir), "%s/iovbed-observe.XXXXXX", c->dir) < 0 || !mkdtemp(dir)) {
		errf(err, "mkdtemp in %s", c->dir);
		return -1;
	}
	pc = dir_path(realpath(dir, file) ? file : dir);
	buf = mmap(NULL, OBS_IO_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || pathf(file, sizeof(file), "%s/data", dir) < 0 ||
	    make_file(file, err) < 0) {
		if (buf == MAP_FAILED)
			errf(err, "mmap %lu bytes", OBS_IO_LEN);
		rm_rf(dir);
		return -1;
	}
	memset(buf, 0x5a, OBS_IO_LEN);	/* present pages: GUP pins them, no zero page */
	for (i = 0; i < sizeof(ref_ios) / sizeof(ref_ios[0]); i++) {
		if (ref_ios[i].blockdev)
			ref_block(c, &ref_ios[i], file, buf);
		else
			ref_run(c, &ref_ios[i], file, pc, buf);
	}
	munmap(buf, OBS_IO_LEN);
	rm_rf(dir);
	return 0;
}

/* One window around a command: whatever it made the kernel do. */
static int cmd_window(struct obs_cmd *c, char *err)
{
	struct obs_window w = { 0 };
	enum obs_verdict v;
	char why[ERRLEN];
	int status = 0;
	pid_t pid;

	if (observer_begin(c->o, err) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execvp(c->cmd[0], c->cmd);
		fprintf(stderr, "iovbed observe: exec %s: %s\n", c->cmd[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		errf(err, "run %s", c->cmd[0]);
	if (observer_end(c->o, &w, why) < 0 || pid < 0) {
		obs_window_free(&w);
		return -1;
	}
	v = obs_judge(&w, &(struct obs_case){ PATH_COUNT, NULL, observer_attached(c->o, PATH_COUNT, 0),
				      1, 0 }, why);
	window_report(c, c->cmd[0], "-", &(struct judged){ &w, v, why });
	obs_window_free(&w);
	return 0;
}

static int parse(struct obs_cmd *c, int argc, char **argv)
{
	int i;

	c->dir = "/var/tmp";
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			c->json = 1;
		} else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			c->dir = argv[++i];
		} else if (!strcmp(argv[i], "--") && i + 1 < argc) {
			c->cmd = argv + i + 1;
			return 0;
		} else {
			fprintf(stderr, "usage: iovbed observe [--json] [--dir DIR] [-- COMMAND...]\n");
			return -1;
		}
	}
	return 0;
}

static int finish(struct obs_cmd *c)
{
	if (c->json)
		sb_addf(&c->out, "\n  ],\n  \"observed\": %d, \"unobservable\": %d, \"broken\": %d\n}\n",
			c->observed, c->unobserved, c->broken);
	else
		sb_addf(&c->out, "\n%d observed, %d unobservable, %d broken\n", c->observed,
			c->unobserved, c->broken);
	fputs(sb_str(&c->out), stdout);
	sb_free(&c->out);
	observer_close(c->o);
	if (c->broken)
		return 1;
	return c->observed ? 0 : 77;
}

int observe_cmd(int argc, char **argv)
{
	struct obs_cmd c = { 0 };
	char err[ERRLEN];

	if (parse(&c, argc, argv) < 0)
		return 2;
	if (geteuid() != 0) {
		fprintf(stderr, "iovbed observe: needs root (bpf(), loop devices): nothing observed\n");
		return 77;
	}
	if (kver_running(&c.kv) < 0)
		memset(&c.kv, 0, sizeof(c.kv));
	if (observer_open(&c.o, err) < 0) {
		fprintf(c.json ? stderr : stdout, "unobservable: %s\n", err);
		return 77;
	}
	if (c.json)
		sb_addf(&c.out, "{\n  \"kernel\": \"%d.%d.%d\",\n", c.kv.major, c.kv.minor,
			c.kv.patch);
	hooks_report(&c);
	if ((c.cmd ? cmd_window(&c, err) : ref_all(&c, err)) < 0) {
		fputs(sb_str(&c.out), stdout);
		fprintf(stderr, "iovbed observe: %s\n", err);
		sb_free(&c.out);
		observer_close(c.o);
		return 99;
	}
	return finish(&c);
}
