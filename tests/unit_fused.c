/* The FUSE daemon's bookkeeping: ctl commands, WRITE payload checks, holds. */
#include "unit.h"
#include "fused.h"
#include "pattern.h"

#include <stdlib.h>
#include <string.h>

#define SIZE (256 * 1024)

static void init(struct fused_state *st)
{
	memset(st, 0, sizeof(*st));
	st->size = SIZE;
	st->data = calloc(1, SIZE);
}

static void test_commands(void)
{
	struct fused_state st;
	long arg = 0;

	init(&st);
	CU_ASSERT_EQUAL(fused_command(&st, "expect 7 4096 8192", &arg), CMD_EXPECT);
	CU_ASSERT_TRUE(st.expect);
	CU_ASSERT_EQUAL(st.exp_seed, 7);
	CU_ASSERT_EQUAL(st.exp_off, 4096);
	CU_ASSERT_EQUAL(st.exp_len, 8192);
	CU_ASSERT_EQUAL(fused_command(&st, "hold read 512", &arg), CMD_HOLD);
	CU_ASSERT_EQUAL(st.hold_op, FUSED_READ);
	CU_ASSERT_EQUAL(st.hold_off, 512);
	CU_ASSERT_EQUAL(fused_command(&st, "hold write 0", &arg), CMD_HOLD);
	CU_ASSERT_EQUAL(st.hold_op, FUSED_WRITE);
	CU_ASSERT_EQUAL(fused_command(&st, "fail 5", &arg), CMD_FAIL);
	CU_ASSERT_EQUAL(arg, 5);
	CU_ASSERT_EQUAL(fused_command(&st, "short 100", &arg), CMD_SHORT);
	CU_ASSERT_EQUAL(arg, 100);
	CU_ASSERT_EQUAL(fused_command(&st, "release", &arg), CMD_RELEASE);
	CU_ASSERT_EQUAL(fused_command(&st, "fail 0", &arg), CMD_BAD);
	CU_ASSERT_EQUAL(fused_command(&st, "hold open 0", &arg), CMD_BAD);
	CU_ASSERT_EQUAL(fused_command(&st, "frob", &arg), CMD_BAD);
	CU_ASSERT_EQUAL(fused_command(&st, "reset", &arg), CMD_RESET);
	CU_ASSERT_FALSE(st.expect);
	CU_ASSERT_EQUAL(st.hold_op, FUSED_NONE);
	free(st.data);
}

static void test_write_payload_checked(void)
{
	unsigned char buf[8192];
	struct fused_state st;
	char status[512];
	long arg;

	init(&st);
	fused_command(&st, "expect 9 16384 8192", &arg);
	pattern_fill(buf, sizeof(buf), 9, 16384);
	fused_write(&st, buf, sizeof(buf), 16384);
	CU_ASSERT_EQUAL(st.writes, 1);
	CU_ASSERT_EQUAL(st.mismatches, 0);
	CU_ASSERT_EQUAL(memcmp(st.data + 16384, buf, sizeof(buf)), 0);
	/* The kernel delivered one wrong byte: counted and described. */
	buf[100] ^= 0xff;
	fused_write(&st, buf, sizeof(buf), 16384);
	CU_ASSERT_EQUAL(st.mismatches, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(st.first_bad, "first bad byte at file offset 16484"));
	fused_status(&st, status, sizeof(status));
	CU_ASSERT_PTR_NOT_NULL(strstr(status, "writes 2 mismatches 1 held none"));
	/* Outside the expected range nothing is judged. */
	fused_write(&st, buf, sizeof(buf), 65536);
	CU_ASSERT_EQUAL(st.mismatches, 1);
	/* Misplaced: right bytes at the wrong offset fail too. */
	pattern_fill(buf, sizeof(buf), 9, 16384 + 4096);
	fused_write(&st, buf, 4096, 16384);
	CU_ASSERT_EQUAL(st.mismatches, 2);
	/* Past the end of the file nothing is stored. */
	fused_write(&st, buf, sizeof(buf), SIZE - 100);
	CU_ASSERT_EQUAL(st.writes, 5);
	free(st.data);
}

static void test_hold(void)
{
	struct fused_state st;
	char status[512];
	long arg;

	init(&st);
	CU_ASSERT_FALSE(fused_should_hold(&st, FUSED_READ, 4096));	/* not armed */
	fused_command(&st, "hold read 4096", &arg);
	CU_ASSERT_FALSE(fused_should_hold(&st, FUSED_WRITE, 4096));	/* wrong op */
	CU_ASSERT_FALSE(fused_should_hold(&st, FUSED_READ, 0));		/* wrong offset */
	CU_ASSERT_TRUE(fused_should_hold(&st, FUSED_READ, 4096));
	fused_status(&st, status, sizeof(status));
	CU_ASSERT_PTR_NOT_NULL(strstr(status, "held read 4096"));
	/* Only the next one: the hold is disarmed once taken. */
	CU_ASSERT_FALSE(fused_should_hold(&st, FUSED_READ, 4096));
	/* While one is held, another hold is not taken. */
	fused_command(&st, "hold read 4096", &arg);
	CU_ASSERT_FALSE(fused_should_hold(&st, FUSED_READ, 4096));
	free(st.data);
}

/* A disk hold finds the case's data by its pattern words, wherever the
 * filesystem put them: every request carrying a word of the range is held
 * until all of them are, then the rest goes through; metadata and other
 * data never are. */
static void test_disk_hold(void)
{
	unsigned char part1[16384], part2[8192], other[4096];
	struct fused_state st;
	char status[512];
	long arg;

	init(&st);
	/* the range [1 MiB, 1 MiB + 24 KiB) of seed 5, in two pieces on disk */
	pattern_fill(part1, sizeof(part1), 5, 1048576);
	pattern_fill(part2, sizeof(part2), 5, 1048576 + 16384);
	pattern_fill(other, sizeof(other), 5, 2 * 1048576);	/* another range's data */
	CU_ASSERT_FALSE(fused_disk_should_hold(&st, FUSED_READ, part1, sizeof(part1)));
	CU_ASSERT_EQUAL(fused_command(&st, "hold-disk read 5 1048576 24576", &arg), CMD_HOLD_DISK);
	CU_ASSERT_EQUAL(fused_command(&st, "hold-disk read 5 1048577 24576", &arg), CMD_BAD);
	CU_ASSERT_EQUAL(fused_command(&st, "hold-disk open 5 0 8", &arg), CMD_BAD);
	fused_command(&st, "hold-disk read 5 1048576 24576", &arg);
	CU_ASSERT_FALSE(fused_disk_should_hold(&st, FUSED_WRITE, part1, sizeof(part1)));
	CU_ASSERT_FALSE(fused_disk_should_hold(&st, FUSED_READ, other, sizeof(other)));
	memset(other, 0, sizeof(other));	/* metadata, zeros */
	CU_ASSERT_FALSE(fused_disk_should_hold(&st, FUSED_READ, other, sizeof(other)));
	CU_ASSERT_TRUE(fused_disk_should_hold(&st, FUSED_READ, part1, sizeof(part1)));
	fused_status(&st, status, sizeof(status));
	CU_ASSERT_PTR_NOT_NULL(strstr(status, " disk-held 1 words 2048 "));
	/* another hold cannot be armed over held requests */
	CU_ASSERT_EQUAL(fused_command(&st, "hold-disk read 5 0 8", &arg), CMD_BAD);
	CU_ASSERT_TRUE(fused_disk_should_hold(&st, FUSED_READ, part2, sizeof(part2)));
	fused_status(&st, status, sizeof(status));
	CU_ASSERT_PTR_NOT_NULL(strstr(status, " disk-held 2 words 3072 "));
	/* whole: the page cache's own read of the range goes through */
	CU_ASSERT_FALSE(fused_disk_should_hold(&st, FUSED_READ, part1, sizeof(part1)));
	fused_disk_answered(&st);
	CU_ASSERT_FALSE(fused_disk_should_hold(&st, FUSED_READ, part2, sizeof(part2)));
	fused_status(&st, status, sizeof(status));
	CU_ASSERT_PTR_NOT_NULL(strstr(status, " disk-held 0 words 0 "));
	free(st.data);
}

/* The corrupt fault: keyed to file and offset, it hits every reply that
 * covers the offset, and only those. */
static void test_corrupt_fault(void)
{
	struct fused_state st;
	char status[512];
	long arg;

	init(&st);
	CU_ASSERT_EQUAL(fused_corrupt_pos(&st, "data", 0, 4096), -1);
	CU_ASSERT_EQUAL(fused_command(&st, "corrupt data 5000", &arg), CMD_CORRUPT);
	CU_ASSERT_EQUAL(fused_command(&st, "corrupt script 5000", &arg), CMD_BAD);
	CU_ASSERT_EQUAL(fused_corrupt_pos(&st, "data", 4096, 4096), 904);
	CU_ASSERT_EQUAL(fused_corrupt_pos(&st, "data", 5000, 1), 0);
	CU_ASSERT_EQUAL(fused_corrupt_pos(&st, "data", 0, 5000), -1);
	CU_ASSERT_EQUAL(fused_corrupt_pos(&st, "data", 5001, 4096), -1);
	CU_ASSERT_EQUAL(fused_corrupt_pos(&st, "disk", 4096, 4096), -1);
	fused_status(&st, status, sizeof(status));
	CU_ASSERT_PTR_NOT_NULL(strstr(status, " corrupted 2 "));
	fused_command(&st, "reset", &arg);
	CU_ASSERT_EQUAL(fused_corrupt_pos(&st, "data", 4096, 4096), -1);
	free(st.data);
}

static void test_request_log(void)
{
	struct fused_state st;
	long arg;
	int i;

	init(&st);
	fused_log(&st, "READ", "script", 0, 256);
	fused_log(&st, "WRITE", "acct", 64, 64);
	CU_ASSERT_STRING_EQUAL(st.log, "READ script off 0 size 256\nWRITE acct off 64 size 64\n");
	/* full: further lines are dropped whole, the log stays a string */
	for (i = 0; i < 1000; i++)
		fused_log(&st, "WRITE", "acct", i, 64);
	CU_ASSERT_TRUE(st.loglen < sizeof(st.log));
	CU_ASSERT_EQUAL(strlen(st.log), st.loglen);
	CU_ASSERT_EQUAL(st.log[st.loglen - 1], '\n');
	fused_command(&st, "reset", &arg);
	CU_ASSERT_EQUAL(st.loglen, 0);
	CU_ASSERT_STRING_EQUAL(st.log, "");
	free(st.data);
}

int unit_fused_register(void)
{
	CU_pSuite s = CU_add_suite("FUSE daemon state", NULL, NULL);

	if (!s)
		return -1;
	ADD_TEST(s, test_commands);
	ADD_TEST(s, test_write_payload_checked);
	ADD_TEST(s, test_hold);
	ADD_TEST(s, test_disk_hold);
	ADD_TEST(s, test_corrupt_fault);
	ADD_TEST(s, test_request_log);
	return 0;
}
