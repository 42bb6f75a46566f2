#ifndef IOVBED_RESULT_H
#define IOVBED_RESULT_H

#include "checks.h"
#include "iovbed.h"
#include "util.h"

/* The checks a case can fail: a failure is known by which of them failed
 * (and with what errno), never by matching its text. */
enum check_bit {
	CHK_IO = 1u << 0,	/* the IO's return: errno or count */
	CHK_DATA = 1u << 1,	/* bytes in the buffer, the file, the server, a pipe */
	CHK_GUARD = 1u << 2,	/* bytes around the buffer */
	CHK_DIRTY = 1u << 3,	/* destination pages dirty, data in their file */
	CHK_PINS = 1u << 4,	/* pins taken as the path's expectation says */
	CHK_BALANCE = 1u << 5,	/* every pin released */
	CHK_HELD = 1u << 6,	/* pins outstanding while the IO was held */
	CHK_LOG = 1u << 7,	/* no bad kernel log line, no new taint flag */
	CHK_FORK = 1u << 8,	/* fork while held: the child's copy kept its bytes */
	CHK_TIMEOUT = 1u << 9,	/* the IO completed within --timeout */
	CHK_REACHED = 1u << 10,	/* the IO reached the target (held, or seen by it) */
	CHK_FLAVOUR = 1u << 11,	/* the flavour observed is the one declared */
	CHK_PIN_COUNT = 1u << 12,	/* pins taken number what the path's rule says */
	CHK_WAITED = 1u << 13,	/* a change to the file waited for the IO held on it */
};

/* What the BPF observer made of a case's flavour (case_observe.c). */
enum obs_state {
	OBSV_DECLARED,		/* no observer in this run: declared, not observed */
	OBSV_UNOBSERVABLE,	/* none of the case's hooks attached on this kernel */
	OBSV_OBSERVED,		/* seen at the case's hooks */
	OBSV_BROKEN,		/* hooks attached, IO done, nothing seen */
};
struct obs_result {
	int set;		/* the case got as far as its observation */
	enum obs_state state;
	enum flavour declared;
	unsigned seen;		/* 1 << flavour of each flavour the case's hooks saw */
	char where[160];	/* the first record: hook, task, raw iter_type and its name */
	unsigned xport_seen;	/* ... and at its transport (9p, NFS), if it has one */
	char xport_where[160];
	char why[ERRLEN];	/* declared or unobservable: the reason */
	struct strbuf window;	/* every record of the window, as JSON */
	/* pages the window's GUP calls took: FOLL_GET (get_user_pages*) and
	 * FOLL_PIN (pin_user_pages*), where their hooks attached */
	unsigned long long got_pages, pinned_pages;
	int gup_seen;		/* a GUP hook is attached: the two say something */
};

/* What one case measured and concluded. */
struct result {
	enum outcome out;
	char reason[ERRLEN];	/* skip or broken reason, or the known bug's */
	struct strbuf diag;	/* failure details, one "check: ..." line each */
	unsigned failed;	/* enum check_bit of every check that failed */
	int io_errno;		/* the IO failed with this errno (0: it did not) */
	long long n_done;	/* what it returned when it did not */
	uint64_t seed;
	off_t file_off;
	struct pin_delta pins;	/* over the whole case */
	struct pin_delta reg;	/* registration (registering engines) */
	struct pin_delta io;	/* the IO itself (registering engines) */
	struct pin_delta held;	/* from before the IO until it was held in flight */
	int pinned;		/* 1 pins taken, 0 none */
	int balanced;		/* 1, 0 */
	int dirtied;		/* 1, 0, -1 not applicable */
	int data_ok;		/* 1, 0 */
	int kmsg_ok;
	int refused;		/* registration refused, errno */
	int cut;		/* the target was cut off: set it up anew */
	int interrupted;	/* a signal cut the IO short: no verdict */
	int copied;		/* the kernel copies it through the page cache (the path's fallback) */
	struct obs_result obs;
	long long pins_lo, pins_hi;	/* the path's pin count rule; lo < 0: none */
	char pins_rule[320];
	double secs;
};

void result_init(struct result *res, uint64_t seed);
void result_free(struct result *res);
/* A check failed: record which, and why (appended to the diagnostics). */
void fail(struct result *res, unsigned check, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A check failed whose why is in the diagnostics already. */
void failed(struct result *res, unsigned check);
/* Not run: SETUP_SKIP -> skip, else broken; the reason is one TAP line. */
void not_run(struct result *res, int setup_state, const char *why);
const char *outcome_name(enum outcome o);

#endif
