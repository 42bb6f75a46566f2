/*
 * The BPF observer: which iov_iter flavour each IO really reached the
 * filesystem or block layer with, and whether its pages were pinned
 * (FOLL_PIN) or referenced (FOLL_GET), and where they were released.
 *
 * Open once per run; per case, observer_begin() before the IO and
 * observer_end() after it collect what every task did in between (the
 * IO often runs in kernel threads: loop workers, io_uring workers,
 * rpciod, the 9p transport). Cases must run one at a time (the pin
 * lock), or their windows mix.
 *
 * Built without libbpf, observer_open() fails with OBS_NOT_BUILT's text.
 */
#ifndef IOVBED_OBSERVE_H
#define IOVBED_OBSERVE_H

#include <sys/types.h>
#include "iovbed.h"
#include "observe_hooks.h"
#include "util.h"

#define OBS_NOT_BUILT "built without libbpf (configure --without-libbpf)"

/* A hook as iovbed knows it (the table from observe_hooks.h). */
struct obs_hook {
	const char *fn;
	int cls;			/* OBS_C_* */
	enum path_class path;		/* PATH_COUNT: shared by the paths */
};
extern const struct obs_hook obs_hook_table[OBS_HOOK_COUNT];
/* The hook of that kernel function, or -1. */
int obs_hook_find(const char *fn);

/* What opening found for one hook on this kernel. */
enum obs_attach { OBS_ABSENT, OBS_ATTACHED, OBS_UNOBSERVABLE };
struct obs_hook_state {
	enum obs_attach state;
	int kind;		/* OBS_K_* it is attached with */
	int err;		/* errno of the first attempt that failed (fentry's) */
	int traceable;		/* in available_filter_functions: 1, 0, -1 unknown */
	char why[160];		/* "fentry: load: EPERM; kprobe: attach: ENOENT" */
};

/* "EPERM", or the kernel's own "ENOTSUPP (524)" a trampoline refuses with. */
const char *obs_errname(int e);

/* Names the running kernel's BTF gives an enum's values. */
#define OBS_ENUM_MAX 32
struct obs_enum_names {
	int n;
	struct {
		char name[24];
		long long val;
	} e[OBS_ENUM_MAX];
};
/* What the observer reads from BTF: enum iter_type, and the bit numbers
 * of bio->bi_flags (the anonymous enum of BIO_*). */
struct obs_btf {
	struct obs_enum_names iter, bio;
};
/* The name of raw, or NULL when the table has none. */
const char *obs_iter_name(const struct obs_enum_names *t, int raw);
/* The flavour a kernel enumerator name stands for (ITER_NONE if none). */
enum flavour obs_flavour_of_name(const char *name);
/* How a bio's pages are released, from its bi_flags: "FOLL_PIN
 * (BIO_PAGE_PINNED)" or "FOLL_GET (no BIO_NO_PAGE_REF)", else "?" with
 * the bits named. */
void obs_bio_release(const struct obs_enum_names *bio, unsigned flags, char *out, size_t len);

/* One row of a window: events alike folded together. */
struct obs_record {
	int hook;		/* enum obs_hook_id */
	int kind;		/* OBS_K_* */
	pid_t tid;
	pid_t pid;		/* its process (thread group) */
	char comm[16];
	int iter_type;		/* raw, -1 without an iterator */
	char iter_name[24];	/* from BTF; "" when BTF has no such value */
	enum flavour flavour;	/* decoded in the BPF program (CO-RE) */
	char site[96];		/* the caller, from the kernel stack */
	unsigned long calls;
	unsigned long long amount;	/* bytes (iterators) or pages (GUP) */
	unsigned long long last_arg;	/* gup_flags, make_dirty, bio flags */
	dev_t dev;		/* hooks with a file: its device (st_dev encoding) */
	unsigned long long ino;	/* ... and inode; 0 without */
	char release[64];	/* bio release: how its pages were held */
};

struct obs_window {
	struct obs_record *r;
	size_t n, cap;
	unsigned long events;	/* events in the window */
	unsigned long long dropped;	/* lost: the ring buffer was full */
	char bad[ERRLEN];	/* an event the observer could not make sense of */
};
void obs_window_free(struct obs_window *w);

/* Kernel symbols, to name the call site of an event. */
struct obs_ksym {
	unsigned long long addr;
	char *name;
};
struct obs_ksyms {
	struct obs_ksym *s;
	size_t n;
};
/* Parse a /proc/kallsyms text (text symbols only); 0 or -1 with err. */
int obs_ksyms_parse(struct obs_ksyms *k, const char *text, char *err);
void obs_ksyms_free(struct obs_ksyms *k);
/* "func+0xoff" for addr, or 0 if no symbol is below it. */
int obs_ksym_name(const struct obs_ksyms *k, unsigned long long addr, char *out, size_t len);

/* Fold one event into the window: 0, or -1 with w->bad set (an event
 * with an unknown hook, or a flavour BTF names otherwise). */
int obs_window_add(struct obs_window *w, const struct obs_event *e,
		   const struct obs_btf *btf, const struct obs_ksyms *k);

/* The case's own file (fstat of its descriptor): entry events of other
 * files in the window (another task's IO) do not count for it. */
struct obs_file {
	dev_t dev;
	ino_t ino;
};
/* Does the record concern that file? A hook that knows no file never does. */
int obs_record_of(const struct obs_record *r, const struct obs_file *file);

/* The verdict on one IO's window. */
enum obs_verdict {
	OBS_OBSERVED,		/* the path's entry hooks saw the IO */
	OBS_UNOBSERVED,		/* no entry hook of the path is attached: why says */
	OBS_BROKEN,		/* attached, the case did IO, and nothing was seen */
};
/* attached: how many of the path's entry hooks are attached; file: the
 * case's file, or NULL to count every file's. */
/* What a window is judged against: the case's path, its file (NULL:
 * every file's events count), the path's entry hooks attached, and
 * whether the case did IO. */
struct obs_case {
	enum path_class path;
	const struct obs_file *file;
	int attached;
	int did_io;
	int role;		/* OBS_C_* of the hooks that count; 0: OBS_C_ITER (the entry) */
};
enum obs_verdict obs_judge(const struct obs_window *w, const struct obs_case *c, char *why);
/* Flavours (1 << flavour) the path's hooks of that role saw: OBS_C_ITER
 * its entries (what the case declares; of file only, unless NULL),
 * OBS_C_XPORT its transport (what a target's transport() declares; the
 * transport knows no file); path PATH_COUNT: any iterator hook. */
unsigned obs_flavours_seen(const struct obs_window *w, enum path_class path, int role,
			   const struct obs_file *file);

/* Where the window shows the case's flavour: the first record of its
 * hooks, one with flavour prefer if any: "hook (fentry), tid N comm:
 * iter_type R = NAME"; "no record" without one. */
void obs_where(const struct obs_window *w, const struct obs_case *c, enum flavour prefer,
	       char *out, size_t len);
/* "entry", "transport", "socket receive": what the hooks of a role see. */
const char *obs_role_name(int role);

/* Text and JSON of a window (one line per record). */
void obs_window_text(const struct obs_window *w, struct strbuf *out);
void obs_window_json(const struct obs_window *w, struct strbuf *out);

struct observer;
/* Load the BPF object, attach every hook this kernel has; log says per
 * hook what happened. -1 with err (call, object, errno) when no observer
 * can exist (built without libbpf, no BTF, the object does not open). */
int observer_open(struct observer **op, char *err);
void observer_close(struct observer *o);
/* A module with BTF was loaded or unloaded since it opened (a target's
 * set-up loads nfs, 9p): its hooks there are only found when opened anew. */
int observer_stale(const struct observer *o);
const struct obs_hook_state *observer_hook(const struct observer *o, int hook);
/* How many hooks of the path in that role (OBS_C_*; 0: the entry,
 * OBS_C_ITER) are attached; path PATH_COUNT: of any path. */
int observer_attached(const struct observer *o, enum path_class path, int role);
/* Why none is: "unobservable: hook X, errno Y (how each try failed)". */
void observer_path_why(const struct observer *o, enum path_class path, int role, char *why);
/* Start a window (drops whatever came before); end it: the events of
 * every task in between, folded into w. */
int observer_begin(struct observer *o, char *err);
int observer_end(struct observer *o, struct obs_window *w, char *err);

/* iovbed observe [--json] [--dir DIR] [-- COMMAND...]: the hooks, then
 * reference IOs (or COMMAND) observed; exit 0, 1 broken, 77 nothing
 * observable, 2 usage, 99 the set-up failed. */
int observe_cmd(int argc, char **argv);

#endif
