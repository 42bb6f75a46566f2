#ifndef IOVBED_PATTERN_H
#define IOVBED_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The positional pattern: the 8-byte little-endian word at file offset
 * 8*i is mix64(i ^ key(seed)), a bijection, so any word found somewhere
 * can be decoded back to the offset it was written for.
 */
uint64_t pattern_word(uint64_t seed, uint64_t index);
void pattern_fill(void *buf, size_t len, uint64_t seed, off_t file_off);

/* Where the 8 found bytes at an 8-aligned position came from, if they are
 * pattern data of `seed`: returns 1 and the file offset, else 0. */
int pattern_origin(uint64_t seed, uint64_t word, uint64_t *origin);

struct mismatch {
	size_t pos;		/* first bad byte, from the buffer start */
	off_t file_off;		/* its file offset */
	size_t bad_bytes;	/* how many bytes differ in all */
	unsigned char expected[16], found[16];
	size_t shown;		/* bytes in expected/found */
	int origin_known;	/* found bytes are pattern data from elsewhere */
	off_t origin;		/* ... written for this file offset */
	int found_zero;		/* found bytes are zeros */
};

/* 0 if buf holds the pattern for [file_off, file_off + len), else 1 with m. */
int pattern_check(const void *buf, size_t len, uint64_t seed, off_t file_off,
		  struct mismatch *m);

/* Guard bytes: a plain byte fill, seed-dependent, never pattern-like. */
void guard_fill(void *buf, size_t len, uint64_t seed);
/* The first guard byte overwritten. */
struct guard_bad {
	size_t pos;
	unsigned char expected, found;
};
int guard_check(const void *buf, size_t len, uint64_t seed, struct guard_bad *bad);

#endif
