#ifndef IOVBED_REGRESS_H
#define IOVBED_REGRESS_H

#include "buffer.h"
#include "env.h"
#include "iovbed.h"
#include "known.h"
#include "util.h"

/* One variant of a regression: "after-fork"; a self-test feeds the check
 * the bug's symptom and must fail. */
struct regress_variant {
	const char *name;
	int selftest;
	int arg;		/* the regression's own meaning */
};

/* What a regression case gets: where to make its files and memory. */
struct regress_ctx {
	struct env *env;
	const struct buffer_ops *b;	/* the buffer kind, or NULL */
	const struct regress_variant *v;
	uint64_t seed;
	struct strbuf *diag;	/* what happened, "name: ..." lines */
};

/*
 * A known bug the pin conversion exists to fix, replayed: one file each,
 * its variants and tags as data; the registry is generated from
 * Makefile.am's REGRESSION_FILES. Cases: "regress/NAME[/BUFFER]/VARIANT".
 */
struct regression {
	const char *name;
	const char *desc;
	const char *cve;	/* "CVE-2022-0847", or NULL */
	const char *fix;	/* the fixing commit: "9d2231c5d74e (5.17)", or NULL */
	unsigned backings;	/* 1 << BACKING_* of the buffers it takes; 0: none */
	const struct regress_variant *variants;	/* ended by a NULL name */
	enum flavour (*flavour)(const struct kver *v);
	enum flavour_at at;	/* where that flavour shows (vmsplice: AT_EXTRACT) */
	int (*probe)(char *why);	/* optional: what it needs of the kernel */
	/* 0 pass, 1 fail (why in c->diag), 2 skip and -1 broken (err). */
	int (*run)(struct regress_ctx *c, char *err);
	const struct known_bug *known;
};

#endif
