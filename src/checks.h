#ifndef IOVBED_CHECKS_H
#define IOVBED_CHECKS_H

/*
 * The four checks. Each takes what was observed and returns 0 when it
 * holds, 1 when it does not, with the reason appended to `why` in a form
 * a maintainer can act on (offsets, bytes, deltas, log lines).
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "util.h"
#include "vmstat.h"

/* Where a byte range sits in the pattern: its seed and file offset. */
struct pattern_at {
	uint64_t seed;
	off_t off;
};
#define PAT(seed, off) ((struct pattern_at){ (seed), (off) })

/* 1. data: buf must hold the pattern at `at` for [at.off, +len). */
int check_data(const void *buf, size_t len, struct pattern_at at, const char *what,
	       struct strbuf *why);
/* Each 512-byte sector of buf must hold one of two versions of the range:
 * the pattern at v[0], or at v[1] (a write racing the IO); the counts go
 * to why (which is only a note when it holds). */
int check_data_either(const void *buf, size_t len, const struct pattern_at v[2], const char *what,
		      struct strbuf *why);
/* Each 512-byte sector of buf holds the pattern at `at`, or zeros (a hole
 * punched beside a read the kernel copies); how many were zeros goes to
 * why as a note. */
int check_data_or_zero(const void *buf, size_t len, struct pattern_at at, const char *what,
		       struct strbuf *why);
/* Every byte of [p, p + len) must be zero (a hole, a zeroed range, pages
 * dropped with MADV_DONTNEED). */
int check_zero(const void *p, size_t len, const char *what, struct strbuf *why);
/* Guard bytes around the IO buffer must be untouched. */
int check_guards(const void *lead, const void *trail, size_t glen, uint64_t gseed,
		 struct strbuf *why);

/* 2. dirty: every page's kpageflags word must have KPF_DIRTY. */
int check_dirty(const uint64_t *flags, size_t n, uintptr_t first_page_addr,
		size_t page_size, struct strbuf *why);

/* 3. pins. */
enum pin_expect {
	PIN_EXPECT_PINS,	/* FOLL_PIN path: acquired must rise */
	PIN_EXPECT_NONE,	/* FOLL_GET or copying path: acquired must not move */
	PIN_EXPECT_ANY,
};
struct pin_delta {
	long long acquired, released;
};
struct pin_delta pin_delta(const struct pin_snap *a, const struct pin_snap *b);
/* Pins seen over an IO against the expectation. */
int check_pins_taken(enum pin_expect e, struct pin_delta d, const char *what,
		     struct strbuf *why);
/* Everything acquired was released once the IO is over. */
int check_pins_balanced(struct pin_delta d, struct strbuf *why);
/* Buffer registration: pins taken and held (acquired rose, some outstanding). */
int check_pins_held(struct pin_delta reg, struct strbuf *why);
/* Re-read the counters until balanced against before or settle_ms passes. */
int pin_settle(const struct vmstat_src *src, const struct pin_snap *before,
	       struct pin_snap *after, unsigned settle_ms, char *err);

/* 4. kernel log: the bad lines kmsg_collect() found. */
int check_kmsg(int nbad, const struct strbuf *bad, struct strbuf *why);

#endif
