/* The FUSE daemon's bookkeeping: commands, write verification, holds. */
#include "fused.h"
#include "pattern.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum fused_op op_named(const char *what)
{
	if (!strcmp(what, "read"))
		return FUSED_READ;
	if (!strcmp(what, "write"))
		return FUSED_WRITE;
	return FUSED_NONE;
}

/* "hold-disk read|write SEED OFF LEN": a range of whole words. */
static enum fused_cmd disk_command(struct fused_state *st, const char *cmd)
{
	unsigned long long seed, off, len;
	char what[16];

	if (sscanf(cmd, "hold-disk %15s %llu %llu %llu", what, &seed, &off, &len) != 4 ||
	    op_named(what) == FUSED_NONE || !len || off % 8 || len % 8 || st->disk.nheld)
		return CMD_BAD;
	memset(&st->disk, 0, sizeof(st->disk));
	st->disk.op = op_named(what);
	st->disk.seed = seed;
	st->disk.off = off;
	st->disk.len = len;
	return CMD_HOLD_DISK;
}

enum fused_cmd fused_command(struct fused_state *st, const char *cmd, long *arg)
{
	unsigned long long a, b, c;
	char what[16];

	if (sscanf(cmd, "expect %llu %llu %llu", &a, &b, &c) == 3) {
		st->expect = 1;
		st->exp_seed = a;
		st->exp_off = b;
		st->exp_len = c;
		return CMD_EXPECT;
	}
	if (!strncmp(cmd, "hold-disk ", 10))
		return disk_command(st, cmd);
	if (sscanf(cmd, "hold %15s %llu", what, &a) == 2) {
		st->hold_op = op_named(what);
		st->hold_off = a;
		return st->hold_op == FUSED_NONE ? CMD_BAD : CMD_HOLD;
	}
	if (sscanf(cmd, "corrupt %15s %llu", what, &a) == 2) {
		if (strcmp(what, "data") && strcmp(what, "data-cached") && strcmp(what, "disk"))
			return CMD_BAD;
		snprintf(st->corrupt_file, sizeof(st->corrupt_file), "%s", what);
		st->corrupt_off = a;
		return CMD_CORRUPT;
	}
	if (!strncmp(cmd, "release", 7))
		return CMD_RELEASE;
	if (sscanf(cmd, "fail %ld", arg) == 1 && *arg > 0)
		return CMD_FAIL;
	if (sscanf(cmd, "short %ld", arg) == 1 && *arg >= 0)
		return CMD_SHORT;
	if (!strncmp(cmd, "reset", 5)) {
		st->expect = 0;
		st->reads = st->writes = st->mismatches = 0;
		st->first_bad[0] = 0;
		st->hold_op = FUSED_NONE;
		st->loglen = 0;
		st->log[0] = 0;
		st->corrupt_file[0] = 0;
		st->corrupted = 0;
		if (!st->disk.nheld)
			memset(&st->disk, 0, sizeof(st->disk));
		return CMD_RESET;
	}
	return CMD_BAD;
}

void fused_write(struct fused_state *st, const void *buf, size_t len, off_t off)
{
	struct mismatch m;
	off_t lo, hi;

	st->writes++;
	if ((size_t)off >= st->size)
		return;
	if (len > st->size - off)
		len = st->size - off;
	memcpy(st->data + off, buf, len);
	if (!st->expect)
		return;
	lo = off > st->exp_off ? off : st->exp_off;
	hi = off + (off_t)len < st->exp_off + (off_t)st->exp_len ? off + (off_t)len
		: st->exp_off + (off_t)st->exp_len;
	if (lo >= hi)
		return;
	if (!pattern_check((const char *)buf + (lo - off), hi - lo, st->exp_seed, lo, &m))
		return;
	if (!st->mismatches++)
		snprintf(st->first_bad, sizeof(st->first_bad),
			 "WRITE at %lld len %zu: first bad byte at file offset %lld "
			 "(expected %02x found %02x, %zu bytes differ)", (long long)off, len,
			 (long long)m.file_off, m.expected[0], m.found[0], m.bad_bytes);
}

int fused_should_hold(struct fused_state *st, enum fused_op op, off_t off)
{
	if (st->hold_op != op || st->hold_off != off || st->held_op != FUSED_NONE)
		return 0;
	st->hold_op = FUSED_NONE;
	st->held_op = op;
	st->held_off = off;
	return 1;
}

/* Words of bytes (at an 8-aligned disk offset) that are the hold's seed's
 * pattern for a file offset inside its range. */
static unsigned long range_words(const struct fused_disk_hold *h, const unsigned char *p,
				 size_t n)
{
	unsigned long words = 0;
	uint64_t w, origin;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		words += pattern_origin(h->seed, le64toh(w), &origin) &&
			origin >= (uint64_t)h->off && origin < (uint64_t)h->off + h->len;
	}
	return words;
}

int fused_disk_should_hold(struct fused_state *st, enum fused_op op, const void *bytes, size_t n)
{
	struct fused_disk_hold *h = &st->disk;
	unsigned long words;

	if (h->op != op || h->words >= h->len / 8 || h->nheld >= FUSED_DISK_HELD_MAX)
		return 0;
	words = range_words(h, bytes, n);
	if (!words)
		return 0;
	h->nheld++;
	h->words += words;
	return 1;
}

void fused_disk_answered(struct fused_state *st)
{
	memset(&st->disk, 0, sizeof(st->disk));
}

int fused_status(const struct fused_state *st, char *out, size_t len)
{
	static const char *const ops[] = { "none", "read", "write" };

	return snprintf(out, len, "reads %lu writes %lu mismatches %lu held %s %lld corrupted %lu "
			"disk-held %u words %lu first_bad %s\n", st->reads, st->writes,
			st->mismatches, ops[st->held_op], (long long)st->held_off, st->corrupted,
			st->disk.nheld, st->disk.words, st->first_bad[0] ? st->first_bad : "-");
}

long fused_corrupt_pos(struct fused_state *st, const char *file, off_t off, size_t n)
{
	if (!st->corrupt_file[0] || strcmp(file, st->corrupt_file) || st->corrupt_off < off ||
	    st->corrupt_off >= off + (off_t)n)
		return -1;
	st->corrupted++;
	return st->corrupt_off - off;
}

void fused_log(struct fused_state *st, const char *op, const char *file, off_t off, size_t len)
{
	int n = snprintf(st->log + st->loglen, sizeof(st->log) - st->loglen, "%s %s off %lld size %zu\n",
			 op, file, (long long)off, len);

	if (n > 0 && (size_t)n < sizeof(st->log) - st->loglen)
		st->loglen += n;
	else
		st->log[st->loglen] = 0;
}
