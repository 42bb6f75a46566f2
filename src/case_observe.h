#ifndef IOVBED_CASE_OBSERVE_H
#define IOVBED_CASE_OBSERVE_H

#include "bed.h"
#include "observe_hooks.h"
#include "result.h"

/*
 * The BPF observer around one case: a window of what every task did
 * (case_observe_begin .. case_observe_end), judged against the flavour
 * the case declares. Without an observer in the run both do nothing but
 * say why the flavour is declared, not observed.
 */
struct obs_want {
	enum path_class path;	/* whose hooks count; PATH_COUNT: any path's */
	enum flavour_at at;	/* which of those hooks */
	int fd;			/* the case's file: only its entry events count; -1: any */
	enum flavour declared;
	enum flavour transport;	/* what the path's transport declares, or ITER_NONE */
	int own_transport;	/* the transport carries the case's IO alone (no peer
				 * file's, no kernel pages'): its flavour is judged */
	int did_io;
	int may_remap;		/* or no iterator at all reaches the entry (ENG_MAY_REMAP) */
	int misdeclared;	/* the self-test: the declaration is made wrong on purpose */
};

/* 0, or -1 (err): the window could not be opened. */
int case_observe_begin(struct bed *bed, char *err);
/* Close the window and judge it into res->obs: a contradiction fails
 * (CHK_FLAVOUR), an attached observer that saw nothing is broken. */
void case_observe_end(struct bed *bed, const struct obs_want *w, struct result *res);

/* Close the window unjudged: the case did not get to its IO's end. */
void case_observe_drop(struct bed *bed);

/* The flavour the misdeclared self-test declares instead of f. */
enum flavour flavour_misdeclared(enum flavour f);

#endif
