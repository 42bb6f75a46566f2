/* The observer with libbpf: load observe.bpf.c (embedded as a skeleton),
 * attach each hook by fentry, else kprobe, and collect windows of events
 * from the ring buffer. A hook that cannot be attached is recorded with
 * the call and errno that refused it. */
#include "observe.h"
#include "profile.h"
#include "observe.skel.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct observer {
	struct observe_bpf *skel;
	struct bpf_link *link[OBS_HOOK_COUNT];
	struct obs_hook_state st[OBS_HOOK_COUNT];
	int load_err[OBS_HOOK_COUNT][2];	/* errno of a refused load: fentry, kprobe */
	char same_as[OBS_HOOK_COUNT][2];	/* refused as another program of the kind was */
	char not_tried[OBS_HOOK_COUNT];		/* not traceable: no program tried */
	struct ring_buffer *rb;
	struct obs_btf btf;
	struct obs_ksyms ksyms;
	struct obs_window *cur;		/* the window the ring buffer fills */
	int nmods;			/* modules with BTF when it opened */
	unsigned long long t0, dropped0;
};

/* libbpf's warnings are kept, not printed: the last program that failed
 * to load is the one to leave out on the next try. */
static char failed_prog[64];
static int failed_err;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512], name[64];
	int e;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (sscanf(line, "libbpf: prog '%63[^']': failed to load: %d", name, &e) == 2) {
		snprintf(failed_prog, sizeof(failed_prog), "%s", name);
		failed_err = e < 0 ? -e : e;
	}
	if (getenv("IOVBED_LIBBPF_LOG"))
		fputs(line, stderr);
	return 0;
}

static void enum_names(const struct btf *btf, int id, struct obs_enum_names *t)
{
	const struct btf_type *ty = btf__type_by_id(btf, id);
	int i;

	t->n = 0;
	for (i = 0; i < btf_vlen(ty) && t->n < OBS_ENUM_MAX; i++, t->n++) {
		snprintf(t->e[t->n].name, sizeof(t->e[t->n].name), "%s",
			 btf__name_by_offset(btf, btf_enum(ty)[i].name_off));
		t->e[t->n].val = btf_enum(ty)[i].val;
	}
}

/* enum iter_type, and the anonymous enum that holds BIO_CLONED. */
static void names_from_btf(const struct btf *btf, struct obs_btf *names)
{
	int id = btf__find_by_name_kind(btf, "iter_type", BTF_KIND_ENUM), n, i, k;

	if (id > 0)
		enum_names(btf, id, &names->iter);
	n = btf__type_cnt(btf);
	for (id = 1; id < n; id++) {
		const struct btf_type *ty = btf__type_by_id(btf, id);

		if (!btf_is_enum(ty) || ty->name_off)
			continue;
		for (k = btf_vlen(ty), i = 0; i < k; i++)
			if (!strcmp(btf__name_by_offset(btf, btf_enum(ty)[i].name_off), "BIO_CLONED"))
				return enum_names(btf, id, &names->bio);
	}
}

/* Is fn a function in vmlinux's BTF or a loaded module's? */
static int in_btf(struct btf *vmlinux, struct btf **mods, int nmods, const char *fn)
{
	int i;

	if (btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC) > 0)
		return 1;
	for (i = 0; i < nmods; i++)
		if (btf__find_by_name_kind(mods[i], fn, BTF_KIND_FUNC) > 0)
			return 1;
	return 0;
}

#define MAX_MODS 256

static int module_btfs(struct btf *vmlinux, struct btf **mods)
{
	DIR *d = opendir("/sys/kernel/btf");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) && n < MAX_MODS) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		mods[n] = btf__load_module_btf(de->d_name, vmlinux);
		n += mods[n] != NULL;
	}
	if (d)
		closedir(d);
	return n;
}

/* Modules with BTF loaded now (a module loaded since can add hooks). */
static int btf_modules(void)
{
	DIR *d = opendir("/sys/kernel/btf");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.' && strcmp(de->d_name, "vmlinux");
	if (d)
		closedir(d);
	return n;
}

int observer_stale(const struct observer *o)
{
	return btf_modules() != o->nmods;
}

/* Mark the hooks this kernel lacks (no BTF function: nothing to attach). */
static int find_hooks(struct observer *o, char *err)
{
	struct btf *vmlinux = btf__load_vmlinux_btf(), *mods[MAX_MODS];
	int i, n;

	if (!vmlinux) {
		errf(err, "btf__load_vmlinux_btf (/sys/kernel/btf/vmlinux: CO-RE needs the "
		     "kernel's BTF, CONFIG_DEBUG_INFO_BTF)");
		return -1;
	}
	names_from_btf(vmlinux, &o->btf);
	n = module_btfs(vmlinux, mods);
	for (i = 0; i < OBS_HOOK_COUNT; i++) {
		o->st[i].state = OBS_UNOBSERVABLE;	/* until attached */
		if (in_btf(vmlinux, mods, n, obs_hook_table[i].fn))
			continue;
		o->st[i].state = OBS_ABSENT;
		snprintf(o->st[i].why, sizeof(o->st[i].why), "not in this kernel's BTF (no such "
			 "function, or its module is not loaded)");
	}
	while (n--)
		btf__free(mods[n]);
	btf__free(vmlinux);
	return 0;
}

/* available_filter_functions, where readable: is each hook traceable? */
static void find_traceable(struct observer *o)
{
	static const char *const files[] = {
		"/sys/kernel/tracing/available_filter_functions",
		"/sys/kernel/debug/tracing/available_filter_functions",
	};
	char line[256];
	FILE *f = NULL;
	size_t k;
	int i;

	for (i = 0; i < OBS_HOOK_COUNT; i++)
		o->st[i].traceable = -1;
	for (k = 0; k < sizeof(files) / sizeof(files[0]) && !f; k++)
		f = fopen(files[k], "re");
	if (!f)
		return;
	for (i = 0; i < OBS_HOOK_COUNT; i++)
		o->st[i].traceable = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \t\n")] = 0;
		i = obs_hook_find(line);
		if (i >= 0)
			o->st[i].traceable = 1;
	}
	fclose(f);
}

static struct bpf_program *prog_of(struct observe_bpf *s, int hook, int kprobe)
{
	char name[96];

	snprintf(name, sizeof(name), "%s_%s", kprobe ? "kprobe" : "fentry",
		 obs_hook_table[hook].fn);
	return bpf_object__find_program_by_name(s->obj, name);
}

/* Leave out what cannot load: absent functions, a kprobe where only
 * fexit can read the iterator, and programs a try before refused. */
static void set_autoload(struct observer *o, struct observe_bpf *s)
{
	int i;

	for (i = 0; i < OBS_HOOK_COUNT; i++) {
		int absent = o->st[i].state == OBS_ABSENT;

		bpf_program__set_autoload(prog_of(s, i, 0), !absent && !o->load_err[i][0]);
		bpf_program__set_autoload(prog_of(s, i, 1), !absent && !o->load_err[i][1] &&
					  obs_hook_table[i].cls != OBS_C_ITER_SET);
	}
}

/* A function ftrace cannot trace (not in available_filter_functions,
 * where that list is readable) takes neither an fentry nor a kprobe
 * program: it is not tried, and says so. */
static void untraceable_not_tried(struct observer *o)
{
	int i;

	for (i = 0; i < OBS_HOOK_COUNT; i++) {
		if (o->st[i].state == OBS_ABSENT || o->st[i].traceable != 0)
			continue;
		o->load_err[i][0] = o->load_err[i][1] = EINVAL;
		o->not_tried[i] = 1;
	}
}

/* EPERM for a tracing program is the program type refused (a lockdown or
 * a hypervisor's policy: measured on this project's 6.18 host), not the
 * function: every other fentry program is refused alike, and loading
 * them one by one would only repeat it. */
static void refuse_kind(struct observer *o, int k, int e)
{
	int i;

	for (i = 0; i < OBS_HOOK_COUNT; i++)
		if (!o->load_err[i][k]) {
			o->load_err[i][k] = e;
			o->same_as[i][k] = 1;
		}
}

/* Record the program libbpf named as failing; 0 if there was one. */
static int refused_prog(struct observer *o)
{
	int i, k;

	for (i = 0; i < OBS_HOOK_COUNT; i++)
		for (k = 0; k < 2; k++) {
			if (strcmp(failed_prog, bpf_program__name(prog_of(o->skel, i, k))))
				continue;
			o->load_err[i][k] = failed_err ? failed_err : EINVAL;
			if (k == 0 && failed_err == EPERM)
				refuse_kind(o, 0, EPERM);
			return 0;
		}
	return -1;
}

/* bpf_object__load is all or nothing: a program the kernel refuses is
 * left out and the object opened again, until the rest loads. */
static int load(struct observer *o, char *err)
{
	int tries, r;

	for (tries = 0; tries <= 2 * OBS_HOOK_COUNT; tries++) {
		o->skel = observe_bpf__open();
		if (!o->skel) {
			errf(err, "open the embedded BPF object (observe.bpf.o)");
			return -1;
		}
		set_autoload(o, o->skel);
		failed_prog[0] = 0;
		r = observe_bpf__load(o->skel);
		if (!r)
			return 0;
		if (!failed_prog[0] || refused_prog(o) < 0) {
			errno = -r;
			errf(err, "load the BPF object observe.bpf.o");
			return -1;
		}
		observe_bpf__destroy(o->skel);
		o->skel = NULL;
	}
	errno = ELOOP;
	errf(err, "load the BPF object observe.bpf.o: still refused after %d tries", tries);
	return -1;
}

static void why_add(struct obs_hook_state *st, const char *what, int e)
{
	size_t l = strlen(st->why);

	snprintf(st->why + l, sizeof(st->why) - l, "%s%s: %s", l ? "; " : "", what, obs_errname(e));
	if (!st->err)	/* the preferred way's errno: fentry's */
		st->err = e;
}

/* fentry (fexit) first: typed arguments, no int3; else a kprobe. */
static void attach_hook(struct observer *o, int i)
{
	struct obs_hook_state *st = &o->st[i];
	const int fexit = obs_hook_table[i].cls == OBS_C_ITER_SET;
	const char *tramp = fexit ? "fexit" : "fentry";
	char what[48];

	if (st->state == OBS_ABSENT)
		return;
	st->state = OBS_UNOBSERVABLE;
	if (o->not_tried[i]) {
		snprintf(st->why, sizeof(st->why), "not in available_filter_functions: neither "
			 "fentry nor kprobe can attach; not tried");
		st->err = EINVAL;
		return;
	}
	snprintf(what, sizeof(what), "%s: load%s", tramp,
		 o->same_as[i][0] ? " (as every fentry program)" : "");
	if (o->load_err[i][0]) {
		why_add(st, what, o->load_err[i][0]);
	} else {
		o->link[i] = bpf_program__attach(prog_of(o->skel, i, 0));
		if (o->link[i]) {
			st->state = OBS_ATTACHED;
			st->kind = fexit ? OBS_K_FEXIT : OBS_K_FENTRY;
			return;
		}
		snprintf(what, sizeof(what), "%s: attach", tramp);
		why_add(st, what, errno);
	}
	if (fexit)
		return;
	if (o->load_err[i][1]) {
		why_add(st, "kprobe: load", o->load_err[i][1]);
		return;
	}
	o->link[i] = bpf_program__attach_kprobe(prog_of(o->skel, i, 1), false,
						obs_hook_table[i].fn);
	if (!o->link[i]) {
		why_add(st, "kprobe: attach", errno);
		return;
	}
	/* why keeps what refused the fentry program: a kprobe costs more */
	st->state = OBS_ATTACHED;
	st->kind = OBS_K_KPROBE;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct observer *o = ctx;
	const struct obs_event *e = data;

	if (!o->cur || len < sizeof(*e) || e->ts < o->t0)
		return 0;
	if (obs_window_add(o->cur, e, &o->btf, &o->ksyms) < 0 && !o->cur->bad[0])
		snprintf(o->cur->bad, sizeof(o->cur->bad), "event could not be folded");
	return 0;
}

static int read_ksyms(struct observer *o, char *err)
{
	struct strbuf sb = { 0 };
	char line[512];
	FILE *f = fopen("/proc/kallsyms", "re");
	int r;

	if (!f) {
		errf(err, "open /proc/kallsyms (call sites are named from it)");
		return -1;
	}
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " t ") || strstr(line, " T "))
			sb_addf(&sb, "%s", line);
	fclose(f);
	r = obs_ksyms_parse(&o->ksyms, sb_str(&sb), err);
	sb_free(&sb);
	return r;
}

int observer_open(struct observer **op, char *err)
{
	struct observer *o = calloc(1, sizeof(*o));
	int i;

	*op = NULL;
	if (!o) {
		errf(err, "calloc observer");
		return -1;
	}
	libbpf_set_print(libbpf_log);
	o->nmods = btf_modules();
	if (find_hooks(o, err) < 0 || read_ksyms(o, err) < 0)
		goto fail;
	find_traceable(o);
	untraceable_not_tried(o);
	if (load(o, err) < 0)
		goto fail;
	for (i = 0; i < OBS_HOOK_COUNT; i++)
		attach_hook(o, i);
	o->rb = ring_buffer__new(bpf_map__fd(o->skel->maps.events), on_event, o, NULL);
	if (!o->rb) {
		errf(err, "ring_buffer__new on the map events");
		goto fail;
	}
	*op = o;
	return 0;
fail:
	observer_close(o);
	return -1;
}

void observer_close(struct observer *o)
{
	int i;

	if (!o)
		return;
	ring_buffer__free(o->rb);
	for (i = 0; i < OBS_HOOK_COUNT; i++)
		bpf_link__destroy(o->link[i]);
	observe_bpf__destroy(o->skel);
	obs_ksyms_free(&o->ksyms);
	free(o);
}

const struct obs_hook_state *observer_hook(const struct observer *o, int hook)
{
	return hook >= 0 && hook < OBS_HOOK_COUNT ? &o->st[hook] : NULL;
}

/* Is hook i one of the path's in that role (0: the entry)? */
static int hook_in(int i, enum path_class path, int role)
{
	const struct obs_hook *h = &obs_hook_table[i];

	return h->cls == (role ? role : OBS_C_ITER) && (path == PATH_COUNT || h->path == path);
}

int observer_attached(const struct observer *o, enum path_class path, int role)
{
	int i, n = 0;

	for (i = 0; i < OBS_HOOK_COUNT; i++)
		n += o->st[i].state == OBS_ATTACHED && hook_in(i, path, role);
	return n;
}

void observer_path_why(const struct observer *o, enum path_class path, int role, char *why)
{
	int i;

	snprintf(why, ERRLEN, "unobservable: this kernel has none of the %s path's %s hooks",
		 path == PATH_COUNT ? "any" : path_class_name(path), obs_role_name(role));
	for (i = 0; i < OBS_HOOK_COUNT; i++) {
		const struct obs_hook_state *st = &o->st[i];

		if (st->state != OBS_UNOBSERVABLE || !hook_in(i, path, role))
			continue;
		snprintf(why, ERRLEN, "unobservable: hook %s, errno %s (%s)", obs_hook_table[i].fn,
			 obs_errname(st->err), st->why);
		return;
	}
}

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int observer_begin(struct observer *o, char *err)
{
	int r;

	o->skel->bss->armed = 0;
	o->cur = NULL;
	r = ring_buffer__consume(o->rb);	/* what came before is dropped */
	if (r < 0) {
		errno = -r;
		errf(err, "ring_buffer__consume before the window");
		return -1;
	}
	o->dropped0 = o->skel->bss->dropped;
	o->t0 = mono_ns();
	o->skel->bss->armed = 1;
	return 0;
}

int observer_end(struct observer *o, struct obs_window *w, char *err)
{
	int r;

	o->skel->bss->armed = 0;
	memset(w, 0, sizeof(*w));
	o->cur = w;
	r = ring_buffer__consume(o->rb);
	o->cur = NULL;
	w->dropped = o->skel->bss->dropped - o->dropped0;
	if (r < 0) {
		errno = -r;
		errf(err, "ring_buffer__consume after the window");
		return -1;
	}
	return 0;
}
