/*
 * pattern-bench: throughput of the data pattern's fill and check against
 * memcpy, memset and memcmp of the same size on the same machine.
 *
 * usage: pattern-bench [SIZE_MIB]	(default 64)
 *
 * Every figure repeats its operation on the whole buffer until at least
 * MIN_SECONDS have passed and prints bytes processed per second in GB/s
 * (10^9 bytes); memcpy counts the bytes copied, memcmp the length compared.
 */
#include "pattern.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define DEFAULT_MIB	64
#define MIN_SECONDS	0.3
#define SEED		1

/* Keep the compiler from dropping or hoisting work on the buffers: it must
 * assume the pointed-to memory is read and changed behind its back. */
#define CLOBBER(p) __asm__ __volatile__("" : : "r"(p) : "memory")

enum op { OP_FILL, OP_CHECK, OP_MEMCPY, OP_MEMSET, OP_MEMCMP };

struct bench {
	unsigned char *a, *b;
	size_t len;
	unsigned long sink;	/* results of check and memcmp, used at the end */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void once(struct bench *bn, enum op op, unsigned long rep)
{
	struct mismatch m;

	CLOBBER(bn->a);
	CLOBBER(bn->b);
	switch (op) {
	case OP_FILL:
		pattern_fill(bn->a, bn->len, SEED, 0);
		break;
	case OP_CHECK:
		bn->sink += pattern_check(bn->a, bn->len, SEED, 0, &m);
		break;
	case OP_MEMCPY:
		memcpy(bn->b, bn->a, bn->len);
		break;
	case OP_MEMSET:
		memset(bn->b, (int)(rep & 0xff), bn->len);
		break;
	case OP_MEMCMP:
		bn->sink += memcmp(bn->a, bn->b, bn->len) != 0;
		break;
	}
	CLOBBER(bn->a);
	CLOBBER(bn->b);
}

/* GB/s of `op` over the whole buffer, after one untimed warm-up pass. */
static double measure(struct bench *bn, enum op op)
{
	unsigned long reps = 0;
	double t0, t;

	once(bn, op, 0);
	t0 = now();
	do
		once(bn, op, ++reps);
	while ((t = now() - t0) < MIN_SECONDS);
	return (double)bn->len * reps / t / 1e9;
}

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x5a, len);	/* fault everything in before timing */
	return p;
}

static void print(const char *name, double gbs)
{
	printf("%-14s %8.2f GB/s\n", name, gbs);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct bench bn = { 0 };
	struct mismatch m;
	unsigned long long mib = DEFAULT_MIB;
	double fill, check, cpy, set, cmp;

	if (argc > 2) {
		fprintf(stderr, "usage: %s [SIZE_MIB]\n", argv[0]);
		return 2;
	}
	if (argc == 2) {
		char *end;

		errno = 0;
		mib = strtoull(argv[1], &end, 10);
		if (errno || end == argv[1] || *end || argv[1][0] == '-' || !mib ||
		    mib > SIZE_MAX >> 20) {
			fprintf(stderr, "pattern-bench: size '%s': not a positive number of MiB\n",
				argv[1]);
			return 2;
		}
	}
	bn.len = (size_t)mib << 20;
	bn.a = map(bn.len);
	bn.b = map(bn.len);
	if (!bn.a || !bn.b) {
		fprintf(stderr, "pattern-bench: cannot map two %llu MiB buffers: %s\n", mib,
			strerror(errno));
		return 1;
	}

	printf("pattern-bench: %llu MiB buffers\n", mib);
	fill = measure(&bn, OP_FILL);
	print("pattern_fill", fill);

	/* a holds the pattern now; the check must agree before it is timed. */
	if (pattern_check(bn.a, bn.len, SEED, 0, &m)) {
		fprintf(stderr, "pattern-bench: pattern_check rejects a freshly filled buffer "
			"at byte %zu\n", m.pos);
		return 1;
	}
	check = measure(&bn, OP_CHECK);
	print("pattern_check", check);

	cpy = measure(&bn, OP_MEMCPY);
	print("memcpy", cpy);
	set = measure(&bn, OP_MEMSET);
	print("memset", set);

	memcpy(bn.b, bn.a, bn.len);	/* two equal buffers for memcmp */
	cmp = measure(&bn, OP_MEMCMP);
	print("memcmp", cmp);

	if (bn.sink) {
		fprintf(stderr, "pattern-bench: %lu check or memcmp passes found a difference "
			"in equal buffers\n", bn.sink);
		return 1;
	}
	printf("pattern_check / memcmp: %.3f (memcmp is %.1fx faster)\n", check / cmp,
	       cmp / check);
	munmap(bn.a, bn.len);
	munmap(bn.b, bn.len);
	return 0;
}
