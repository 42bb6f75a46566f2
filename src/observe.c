/* The observer's pure parts: the hook table, naming iterator types and
 * call sites, folding events into a window, and the verdict on it. */
#include "observe.h"
#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

/* The BPF program numbers flavours as iovbed.h does. */
_Static_assert(OBS_FLAV_UBUF == ITER_UBUF && OBS_FLAV_IOVEC == ITER_IOVEC &&
	       OBS_FLAV_BVEC == ITER_BVEC && OBS_FLAV_KVEC == ITER_KVEC &&
	       OBS_FLAV_PIPE == ITER_PIPE && OBS_FLAV_XARRAY == ITER_XARRAY &&
	       OBS_FLAV_FOLIOQ == ITER_FOLIOQ && OBS_FLAV_DISCARD == ITER_DISCARD &&
	       OBS_FLAV_NONE == ITER_NONE, "OBS_FLAV_* must follow enum flavour");

#define OBS_HOOK_ROW(f, c, p, pos, nargs, file) [OBS_H_##f] = { .fn = #f, .cls = c, .path = p },
const struct obs_hook obs_hook_table[OBS_HOOK_COUNT] = { OBS_HOOKS(OBS_HOOK_ROW) };
#undef OBS_HOOK_ROW

int obs_hook_find(const char *fn)
{
	int i;

	for (i = 0; i < OBS_HOOK_COUNT; i++)
		if (!strcmp(obs_hook_table[i].fn, fn))
			return i;
	return -1;
}

const char *obs_errname(int e)
{
	static char buf[32];
	const char *n = strerrorname_np(e);

	if (n)
		return n;
	if (e == 524)	/* the kernel's own ENOTSUPP: a trampoline refused */
		return "ENOTSUPP (524)";
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

const char *obs_iter_name(const struct obs_enum_names *t, int raw)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].val == raw)
			return t->e[i].name;
	return NULL;
}

enum flavour obs_flavour_of_name(const char *name)
{
	int f;

	for (f = ITER_UBUF; f < ITER_NONE; f++)
		if (!strcmp(flavour_name(f), name))
			return f;
	return ITER_NONE;
}

static long long enum_val(const struct obs_enum_names *t, const char *name)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->e[i].name, name))
			return t->e[i].val;
	return -1;
}

static int bio_flag(const struct obs_enum_names *bio, const char *name, unsigned flags)
{
	long long bit = enum_val(bio, name);

	return bit < 0 ? -1 : bit < 16 && (flags & (1u << bit));
}

void obs_bio_release(const struct obs_enum_names *bio, unsigned flags, char *out, size_t len)
{
	/* 6.5+ marks pinned and (until 6.7) referenced bios; 6.1 marks the
	 * bios that hold no page references */
	if (bio_flag(bio, "BIO_PAGE_PINNED", flags) == 1)
		snprintf(out, len, "FOLL_PIN (BIO_PAGE_PINNED)");
	else if (bio_flag(bio, "BIO_PAGE_REFFED", flags) == 1)
		snprintf(out, len, "FOLL_GET (BIO_PAGE_REFFED)");
	else if (bio_flag(bio, "BIO_PAGE_PINNED", flags) < 0 &&
		 bio_flag(bio, "BIO_NO_PAGE_REF", flags) == 0)
		snprintf(out, len, "FOLL_GET (no BIO_NO_PAGE_REF)");
	else
		snprintf(out, len, "? (bi_flags %#x)", flags);
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct obs_ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* "ffffffff81234560 T name [module]": text symbols (t, T) only. */
static int ksym_line(const char *line, struct obs_ksym *s)
{
	char type, name[128];
	unsigned long long addr;

	if (sscanf(line, "%llx %c %127s", &addr, &type, name) != 3 || !addr)
		return 0;
	if (type != 't' && type != 'T')
		return 0;
	s->addr = addr;
	s->name = strdup(name);
	return s->name ? 1 : -1;
}

int obs_ksyms_parse(struct obs_ksyms *k, const char *text, char *err)
{
	size_t cap = 0;
	const char *p = text, *nl;
	char line[256];
	int r;

	memset(k, 0, sizeof(*k));
	while (p && *p) {
		if (k->n == cap) {
			struct obs_ksym *s = realloc(k->s, (cap = cap ? cap * 2 : 4096) * sizeof(*s));

			if (!s)
				goto nomem;
			k->s = s;
		}
		/* one line at a time: sscanf on the whole text would measure
		 * all of it (strlen) for every line */
		nl = strchr(p, '\n');
		snprintf(line, sizeof(line), "%.*s", nl ? (int)(nl - p) : (int)strlen(p), p);
		r = ksym_line(line, &k->s[k->n]);
		if (r < 0)
			goto nomem;
		k->n += r;
		p = nl ? nl + 1 : NULL;
	}
	qsort(k->s, k->n, sizeof(*k->s), ksym_cmp);
	return 0;
nomem:
	errno = ENOMEM;
	errf(err, "kernel symbols: %zu read", k->n);
	obs_ksyms_free(k);
	return -1;
}

void obs_ksyms_free(struct obs_ksyms *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->s[i].name);
	free(k->s);
	memset(k, 0, sizeof(*k));
}

#define OBS_KSYM_MAX (256 * 1024)	/* no kernel function is larger */

int obs_ksym_name(const struct obs_ksyms *k, unsigned long long addr, char *out, size_t len)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {	/* the last symbol at or below addr */
		size_t mid = (lo + hi) / 2;

		if (k->s[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* kallsyms gives no sizes: past the last symbol, or implausibly far
	 * from the one below (BPF programs and trampolines are not listed
	 * unless net.core.bpf_jit_kallsyms is set), the address is unknown */
	if (!lo || lo == k->n || addr - k->s[lo - 1].addr > OBS_KSYM_MAX)
		return 0;
	snprintf(out, len, "%s+0x%llx", k->s[lo - 1].name, addr - k->s[lo - 1].addr);
	return 1;
}

/* The caller: the first frame that is neither BPF nor the hooked
 * function itself. A fentry or fexit program's first two frames are the
 * program and its trampoline, always: measured on 6.1, a trampoline can
 * sit close enough behind a module's last symbol to pass for it. */
static void event_site(const struct obs_event *e, const struct obs_ksyms *k, char *out,
		       size_t len)
{
	const char *fn = obs_hook_table[e->hook].fn;
	size_t fl = strlen(fn);
	char name[96];
	int i;

	snprintf(out, len, "?");
	for (i = e->kind == OBS_K_KPROBE ? 0 : 2; i < OBS_STACK && e->stack[i]; i++) {
		if (!k || !obs_ksym_name(k, e->stack[i], name, sizeof(name)))
			continue;
		if (!strncmp(name, "bpf_", 4) || (!strncmp(name, fn, fl) && name[fl] == '+'))
			continue;
		snprintf(out, len, "%s", name);
		return;
	}
}

static const char *kind_name(int kind)
{
	return kind == OBS_K_FENTRY ? "fentry" : kind == OBS_K_FEXIT ? "fexit" : "kprobe";
}

const char *obs_role_name(int role)
{
	switch (role) {
	case OBS_C_XPORT: return "transport";
	case OBS_C_MSG: return "socket receive";
	case OBS_C_EXTRACT: return "page extraction";
	case OBS_C_BIO_EXTRACT: return "bio page extraction";
	case OBS_C_ITER: return "entry";
	case OBS_C_PIN: return "FOLL_PIN";
	case OBS_C_GET: return "FOLL_GET";
	case OBS_C_UNPIN: return "unpin";
	case OBS_C_BIO: return "bio release";
	case OBS_C_ITER_SET: return "iterator set-up";
	default: return "iterator";
	}
}

static int has_iter(int cls)
{
	return cls == OBS_C_ITER || cls == OBS_C_EXTRACT || cls == OBS_C_BIO_EXTRACT ||
	       cls == OBS_C_MSG ||
	       cls == OBS_C_ITER_SET || cls == OBS_C_XPORT;
}

/* What a record adds up: bytes of the iterator, pages of GUP. */
static unsigned long long event_amount(const struct obs_event *e, int cls)
{
	if (has_iter(cls))
		return e->count;
	if (cls == OBS_C_PIN || cls == OBS_C_GET)
		return e->arg[1];
	if (cls == OBS_C_UNPIN)
		return e->hook == OBS_H_unpin_user_page ? 1 : e->arg[1];
	return 0;
}

static unsigned long long event_last_arg(const struct obs_event *e, int cls)
{
	if (cls == OBS_C_PIN || cls == OBS_C_GET)
		return e->arg[2];	/* gup_flags */
	if (e->hook == OBS_H_unpin_user_pages_dirty_lock)
		return e->arg[2];	/* make_dirty */
	if (cls == OBS_C_BIO)
		return e->bio_flags;
	return 0;
}

/* The record a decoded event folds into (a new one if none matches). */
static struct obs_record *window_slot(struct obs_window *w, const struct obs_record *k)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		struct obs_record *r = &w->r[i];

		if (r->hook == k->hook && r->kind == k->kind && r->tid == k->tid &&
		    r->iter_type == k->iter_type && !strcmp(r->site, k->site) &&
		    !strcmp(r->release, k->release) && r->dev == k->dev && r->ino == k->ino)
			return r;
	}
	if (w->n == w->cap) {
		struct obs_record *r = realloc(w->r, (w->cap = w->cap ? w->cap * 2 : 32) * sizeof(*r));

		if (!r)
			return NULL;
		w->r = r;
	}
	w->r[w->n] = *k;
	w->r[w->n].calls = 0;
	w->r[w->n].amount = 0;
	return &w->r[w->n++];
}

/* The BPF program's flavour (CO-RE) and BTF's name of the raw value
 * must tell the same story, or one of them reads the wrong thing. */
static int check_iter(struct obs_window *w, const struct obs_event *e,
		      const struct obs_enum_names *names, struct obs_record *k)
{
	const char *name = names ? obs_iter_name(names, e->iter_type) : NULL;
	enum flavour by_name = name ? obs_flavour_of_name(name) : ITER_NONE;

	k->iter_type = e->iter_type;
	snprintf(k->iter_name, sizeof(k->iter_name), "%s", name ? name : "");
	if (e->flavour > OBS_FLAV_NONE || (names && by_name != (enum flavour)e->flavour)) {
		snprintf(w->bad, sizeof(w->bad), "%s: iter_type %u is %s by BTF but %s by the "
			 "BPF program's CO-RE relocation", obs_hook_table[e->hook].fn,
			 e->iter_type, name ? name : "unnamed",
			 e->flavour <= OBS_FLAV_NONE ? flavour_name(e->flavour) : "out of range");
		return -1;
	}
	return 0;
}

int obs_window_add(struct obs_window *w, const struct obs_event *e,
		   const struct obs_btf *btf, const struct obs_ksyms *k)
{
	struct obs_record key = { 0 }, *r;
	int cls;

	if (e->hook >= OBS_HOOK_COUNT || e->kind < OBS_K_FENTRY || e->kind > OBS_K_KPROBE) {
		snprintf(w->bad, sizeof(w->bad), "event with hook %u, kind %u: not this observer's",
			 e->hook, e->kind);
		return -1;
	}
	cls = obs_hook_table[e->hook].cls;
	key.hook = e->hook;
	key.kind = e->kind;
	key.tid = e->tid;
	key.pid = e->pid;
	memcpy(key.comm, e->comm, sizeof(key.comm));
	key.comm[sizeof(key.comm) - 1] = 0;
	key.iter_type = -1;
	key.flavour = ITER_NONE;
	if (has_iter(cls)) {
		if (check_iter(w, e, btf ? &btf->iter : NULL, &key) < 0)
			return -1;
		key.flavour = e->flavour;
	}
	if (cls == OBS_C_BIO && btf)
		obs_bio_release(&btf->bio, e->bio_flags, key.release, sizeof(key.release));
	if (e->ino) {	/* the kernel's dev_t is MAJOR << 20 | MINOR */
		key.dev = makedev(e->dev >> 20, e->dev & 0xfffff);
		key.ino = e->ino;
	}
	event_site(e, k, key.site, sizeof(key.site));
	r = window_slot(w, &key);
	if (!r) {
		snprintf(w->bad, sizeof(w->bad), "out of memory folding %lu events", w->events);
		return -1;
	}
	r->calls++;
	r->amount += event_amount(e, cls);
	r->last_arg = event_last_arg(e, cls);
	w->events++;
	return 0;
}

void obs_window_free(struct obs_window *w)
{
	free(w->r);
	memset(w, 0, sizeof(*w));
}

int obs_record_of(const struct obs_record *r, const struct obs_file *file)
{
	return r->ino && r->ino == (unsigned long long)file->ino && r->dev == file->dev;
}

/* A record of the path in that role (OBS_C_ITER: the entry, OBS_C_XPORT:
 * the transport), of file if given and the role knows files; PATH_COUNT:
 * any hook that reads an iterator. */
/* A kernel worker's IO (the loop device writing its backing file, the
 * writeback of another file) is never a case's own entry: a case enters
 * the kernel from its own tasks (iovbed, its io_uring workers). */
static int kernel_worker(const struct obs_record *r)
{
	return !strncmp(r->comm, "kworker/", 8);
}

static int is_record_of(const struct obs_record *r, enum path_class path, int role,
			const struct obs_file *file)
{
	const struct obs_hook *h = &obs_hook_table[r->hook];

	if (path == PATH_COUNT && (!role || role == OBS_C_ITER))
		return has_iter(h->cls) && (!role || h->cls == role) && !kernel_worker(r);
	if (path == PATH_COUNT)
		return h->cls == role;
	if (h->path != path || h->cls != role)
		return 0;
	return !file || role != OBS_C_ITER || obs_record_of(r, file);
}

unsigned obs_flavours_seen(const struct obs_window *w, enum path_class path, int role,
			   const struct obs_file *file)
{
	unsigned seen = 0;
	size_t i;

	for (i = 0; i < w->n; i++)
		if (is_record_of(&w->r[i], path, role, file) && w->r[i].flavour < ITER_NONE)
			seen |= 1u << w->r[i].flavour;
	return seen;
}

void obs_where(const struct obs_window *w, const struct obs_case *c, enum flavour prefer,
	       char *out, size_t len)
{
	int role = c->role ? c->role : OBS_C_ITER;
	const struct obs_record *r = NULL;
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (!is_record_of(&w->r[i], c->path, role, c->file))
			continue;
		if (!r || (w->r[i].flavour == prefer && r->flavour != prefer))
			r = &w->r[i];
	}
	if (!r) {
		snprintf(out, len, "no record");
		return;
	}
	snprintf(out, len, "%s (%s), tid %d %s: iter_type %d = %s", obs_hook_table[r->hook].fn,
		 kind_name(r->kind), (int)r->tid, r->comm, r->iter_type,
		 r->iter_name[0] ? r->iter_name : "unnamed by BTF");
}

enum obs_verdict obs_judge(const struct obs_window *w, const struct obs_case *c, char *why)
{
	enum path_class path = c->path;
	const struct obs_file *file = c->file;
	int attached = c->attached, role = c->role ? c->role : OBS_C_ITER;
	size_t i, seen = 0;

	if (w->bad[0]) {
		snprintf(why, ERRLEN, "observer broken: %.*s", ERRLEN - 20, w->bad);
		return OBS_BROKEN;
	}
	if (!attached) {
		snprintf(why, ERRLEN, "unobservable: no %s hook of the %s path is attached",
			 obs_role_name(role), path == PATH_COUNT ? "any" : path_class_name(path));
		return OBS_UNOBSERVED;
	}
	if (!c->did_io) {
		snprintf(why, ERRLEN, "unobservable: the case did no IO");
		return OBS_UNOBSERVED;
	}
	for (i = 0; i < w->n; i++)
		seen += is_record_of(&w->r[i], path, role, file);
	if (!seen) {
		snprintf(why, ERRLEN, "observer broken: %d %s hook%s of the %s path attached, the "
			 "case did IO, and none saw it%s (%lu events in the window, %llu dropped)",
			 attached, obs_role_name(role), attached == 1 ? "" : "s",
			 path == PATH_COUNT ? "any" : path_class_name(path),
			 file ? " on its file" : "", w->events, w->dropped);
		return OBS_BROKEN;
	}
	snprintf(why, ERRLEN, "observed");
	return OBS_OBSERVED;
}

/* The pin behaviour a hook stands for, in the kernel's words. */
static const char *cls_word(int cls)
{
	switch (cls) {
	case OBS_C_PIN: return "FOLL_PIN";
	case OBS_C_GET: return "FOLL_GET";
	case OBS_C_UNPIN: return "unpin";
	case OBS_C_BIO: return "bio release";
	case OBS_C_EXTRACT: return "extract";
	case OBS_C_BIO_EXTRACT: return "bio extract";
	case OBS_C_XPORT: return "transport";
	default: return "iter";
	}
}

void obs_window_text(const struct obs_window *w, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		const struct obs_record *r = &w->r[i];
		const struct obs_hook *h = &obs_hook_table[r->hook];

		sb_addf(out, "  %-28s %-6s %-11s tid %-6d %-15s", h->fn, kind_name(r->kind),
			cls_word(h->cls), (int)r->tid, r->comm);
		if (r->iter_type >= 0)
			sb_addf(out, " %s (raw %d)", r->iter_name[0] ? r->iter_name : "?",
				r->iter_type);
		sb_addf(out, " x%lu %llu %s", r->calls, r->amount,
			has_iter(h->cls) ? "bytes" : h->cls == OBS_C_BIO ? "" : "pages");
		if (h->cls == OBS_C_PIN || h->cls == OBS_C_GET || h->cls == OBS_C_BIO ||
		    r->hook == OBS_H_unpin_user_pages_dirty_lock)
			sb_addf(out, " %s %#llx", h->cls == OBS_C_BIO ? "bi_flags" :
				h->cls == OBS_C_UNPIN ? "make_dirty" : "gup_flags", r->last_arg);
		if (r->release[0])
			sb_addf(out, " %s", r->release);
		if (r->ino)
			sb_addf(out, " ino %llu on %u:%u", r->ino, major(r->dev), minor(r->dev));
		sb_addf(out, " from %s\n", r->site);
	}
	if (w->dropped)
		sb_addf(out, "  (%llu events dropped: the ring buffer was full)\n", w->dropped);
}

void obs_window_json(const struct obs_window *w, struct strbuf *out)
{
	size_t i;

	sb_addf(out, "{\"events\": %lu, \"dropped\": %llu, \"records\": [", w->events, w->dropped);
	for (i = 0; i < w->n; i++) {
		const struct obs_record *r = &w->r[i];
		const struct obs_hook *h = &obs_hook_table[r->hook];

		sb_addf(out, "%s\n  {\"hook\": \"%s\", \"kind\": \"%s\", \"what\": \"%s\", "
			"\"tid\": %d, \"comm\": ", i ? "," : "", h->fn, kind_name(r->kind),
			cls_word(h->cls), (int)r->tid);
		sb_json_str(out, r->comm);
		sb_addf(out, ", \"iter_type\": %d, \"iter_name\": \"%s\", \"calls\": %lu, "
			"\"amount\": %llu, \"arg\": %llu, \"release\": \"%s\", \"dev\": \"%u:%u\", "
			"\"ino\": %llu, \"site\": ", r->iter_type, r->iter_name, r->calls, r->amount,
			r->last_arg, r->release, major(r->dev), minor(r->dev), r->ino);
		sb_json_str(out, r->site);
		sb_addf(out, "}");
	}
	sb_addf(out, "]}");
}
