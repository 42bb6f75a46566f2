/* The dirty, pin and kernel-log checks fed fakes: each must fail on a bad
 * input (a clean page, a pin leak, a WARNING line) and pass on a good one. */
#include "unit.h"
#include "taskstate.h"
#include "checks.h"
#include "result.h"
#include "profile.h"
#include "known.h"
#include "pattern.h"
#include "kmsg.h"
#include "taint.h"
#include "kpage.h"
#include "vmstat.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DIRTY (1ULL << KPF_DIRTY)

static void test_dirty_all_dirty_passes(void)
{
	uint64_t f[3] = { DIRTY, DIRTY | (1ULL << KPF_THP), DIRTY };
	struct strbuf why = { 0 };

	CU_ASSERT_EQUAL(check_dirty(f, 3, 0x10000, 4096, &why), 0);
	CU_ASSERT_EQUAL(why.len, 0);
}

static void test_dirty_clean_page_fails(void)
{
	uint64_t f[4] = { DIRTY, DIRTY, 0, DIRTY };
	struct strbuf why = { 0 };

	CU_ASSERT_EQUAL(check_dirty(f, 4, 0x10000, 4096, &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "1 of 4 buffer pages not dirty"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "first at 0x12000"));
	sb_free(&why);
}

static void test_dirty_unmapped_page_fails(void)
{
	uint64_t f[2] = { KPAGE_ABSENT, DIRTY };
	struct strbuf why = { 0 };

	CU_ASSERT_EQUAL(check_dirty(f, 2, 0x10000, 4096, &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "1 not mapped"));
	sb_free(&why);
}

/* A fake /proc/self/pagemap and /proc/kpageflags: virtual pages 3 and 4
 * map PFNs 5 (dirty) and 6 (clean); page 5 is not present. */
static void test_kpage_reader_on_fakes(void)
{
	uint64_t pm[6] = { 0 }, kf[7] = { 0 }, flags[3];
	char pmpath[256], kfpath[256];
	struct kpage_src src = { pmpath, kfpath, 4096 };
	struct strbuf why = { 0 };
	char err[ERRLEN];

	pm[3] = (1ULL << 63) | 5;
	pm[4] = (1ULL << 63) | 6;
	kf[5] = DIRTY;
	kf[6] = 1ULL << KPF_THP;
	CU_ASSERT_EQUAL_FATAL(unit_tmpfile(pmpath, sizeof(pmpath), pm, sizeof(pm)), 0);
	CU_ASSERT_EQUAL_FATAL(unit_tmpfile(kfpath, sizeof(kfpath), kf, sizeof(kf)), 0);
	CU_ASSERT_EQUAL(kpage_count(&src, (void *)0x3800, 8192), 3);
	CU_ASSERT_EQUAL(kpage_flags(&src, (void *)0x3800, 8192, flags, err), 0);
	CU_ASSERT_EQUAL(flags[0], DIRTY);
	CU_ASSERT_EQUAL(flags[1], 1ULL << KPF_THP);
	CU_ASSERT_EQUAL(flags[2], KPAGE_ABSENT);
	CU_ASSERT_EQUAL(check_dirty(flags, 3, 0x3000, 4096, &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "2 of 3 buffer pages not dirty after the read (1 clean, 1 not mapped)"));
	/* PFN 0 means the reader lacks CAP_SYS_ADMIN: an error, not a verdict. */
	pm[3] = 1ULL << 63;
	unlink(pmpath);
	CU_ASSERT_EQUAL_FATAL(unit_tmpfile(pmpath, sizeof(pmpath), pm, sizeof(pm)), 0);
	CU_ASSERT_EQUAL(kpage_flags(&src, (void *)0x3000, 4096, flags, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "CAP_SYS_ADMIN"));
	unlink(pmpath);
	unlink(kfpath);
	sb_free(&why);
}

/* As 6.1 reports a THP: PFN 8 heads an order-2 folio and carries its dirty
 * bit, the tails 9..11 do not; a tail must read as dirty, and a tail whose
 * head is clean as clean. */
static void test_kpage_tail_takes_head_state(void)
{
	uint64_t pm[4] = { 0 }, kf[16] = { 0 }, flags[3];
	const uint64_t tail = (1ULL << KPF_COMPOUND_TAIL) | (1ULL << KPF_THP);
	char pmpath[256], kfpath[256];
	struct kpage_src src = { pmpath, kfpath, 4096 };
	struct strbuf why = { 0 };
	char err[ERRLEN];

	pm[1] = (1ULL << 63) | 11;
	pm[2] = (1ULL << 63) | 9;
	pm[3] = (1ULL << 63) | 13;
	kf[8] = DIRTY | (1ULL << KPF_COMPOUND_HEAD) | (1ULL << KPF_THP);
	kf[9] = kf[10] = kf[11] = tail;
	kf[12] = (1ULL << KPF_COMPOUND_HEAD) | (1ULL << KPF_THP);
	kf[13] = tail;
	CU_ASSERT_EQUAL_FATAL(unit_tmpfile(pmpath, sizeof(pmpath), pm, sizeof(pm)), 0);
	CU_ASSERT_EQUAL_FATAL(unit_tmpfile(kfpath, sizeof(kfpath), kf, sizeof(kf)), 0);
	CU_ASSERT_EQUAL(kpage_flags(&src, (void *)0x1000, 3 * 4096, flags, err), 0);
	CU_ASSERT_EQUAL(flags[0], tail | DIRTY);
	CU_ASSERT_EQUAL(flags[1], tail | DIRTY);
	CU_ASSERT_EQUAL(flags[2], tail);
	CU_ASSERT_EQUAL(check_dirty(flags, 3, 0x1000, 4096, &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "1 of 3 buffer pages not dirty"));
	unlink(pmpath);
	unlink(kfpath);
	sb_free(&why);
}

static int fake_vmstat(char *path, size_t len, long long acq, long long rel)
{
	char text[256];

	snprintf(text, sizeof(text), "nr_free_pages 100\nnr_foll_pin_acquired %lld\n"
		 "nr_foll_pin_released %lld\nnr_dirty 3\n", acq, rel);
	return unit_tmpfile(path, len, text, strlen(text));
}

static void test_pins_read_fake_vmstat(void)
{
	char path[256], err[ERRLEN];
	struct vmstat_src src = { path, NULL };
	struct pin_snap s;

	CU_ASSERT_EQUAL_FATAL(fake_vmstat(path, sizeof(path), 1234, 1200), 0);
	CU_ASSERT_EQUAL(pin_read(&src, &s, err), 0);
	CU_ASSERT_EQUAL(s.acquired, 1234);
	CU_ASSERT_EQUAL(s.released, 1200);
	unlink(path);
	/* A kernel without the counters is an error, not zero pins. */
	CU_ASSERT_EQUAL_FATAL(unit_tmpfile(path, sizeof(path), "nr_free_pages 1\n", 16), 0);
	CU_ASSERT_EQUAL(pin_read(&src, &s, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nr_foll_pin_acquired"));
	unlink(path);
}

static void test_pins_leak_fails(void)
{
	struct pin_snap a = { 100, 100 }, b = { 116, 110 };
	struct strbuf why = { 0 };
	struct pin_delta d = pin_delta(&a, &b);

	CU_ASSERT_EQUAL(d.acquired, 16);
	CU_ASSERT_EQUAL(d.released, 10);
	CU_ASSERT_EQUAL(check_pins_balanced(d, &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "leak: acquired +16 released +10"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "6 pins outstanding"));
	b.released = 120;
	CU_ASSERT_EQUAL(check_pins_balanced(pin_delta(&a, &b), &why), 1);
	b.released = 116;
	sb_free(&why);
	CU_ASSERT_EQUAL(check_pins_balanced(pin_delta(&a, &b), &why), 0);
	CU_ASSERT_EQUAL(why.len, 0);
}

static void test_pins_expectation(void)
{
	struct pin_delta none = { 0, 0 }, some = { 16, 16 };
	struct strbuf why = { 0 };

	CU_ASSERT_EQUAL(check_pins_taken(PIN_EXPECT_PINS, some, "x", &why), 0);
	CU_ASSERT_EQUAL(check_pins_taken(PIN_EXPECT_NONE, none, "x", &why), 0);
	CU_ASSERT_EQUAL(check_pins_taken(PIN_EXPECT_ANY, some, "x", &why), 0);
	CU_ASSERT_EQUAL(why.len, 0);
	/* A converted path that stopped pinning, an unconverted one that pins. */
	CU_ASSERT_EQUAL(check_pins_taken(PIN_EXPECT_PINS, none, "iomap", &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "expected FOLL_PIN pins (iomap), none taken"));
	CU_ASSERT_EQUAL(check_pins_taken(PIN_EXPECT_NONE, some, "nfs", &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "expected no FOLL_PIN pins (nfs), 16 taken"));
	sb_free(&why);
}

static void test_pins_registration(void)
{
	struct pin_delta held = { 16, 0 }, coalesced = { 512, 511 }, dropped = { 16, 16 },
			 nothing = { 0, 0 };
	struct strbuf why = { 0 };

	CU_ASSERT_EQUAL(check_pins_held(held, &why), 0);
	CU_ASSERT_EQUAL(check_pins_held(coalesced, &why), 0);
	CU_ASSERT_EQUAL(check_pins_held(dropped, &why), 1);
	CU_ASSERT_EQUAL(check_pins_held(nothing, &why), 1);
	sb_free(&why);
}

static void test_pins_settle_gives_up(void)
{
	char path[256], err[ERRLEN];
	struct vmstat_src src = { path, NULL };
	struct pin_snap before = { 10, 10 }, after;
	struct strbuf why = { 0 };

	CU_ASSERT_EQUAL_FATAL(fake_vmstat(path, sizeof(path), 20, 15), 0);
	CU_ASSERT_EQUAL(pin_read(&src, &after, err), 0);
	CU_ASSERT_EQUAL(pin_settle(&src, &before, &after, 60, err), 0);
	/* Still a leak after settling: the verdict stays a failure. */
	CU_ASSERT_EQUAL(check_pins_balanced(pin_delta(&before, &after), &why), 1);
	sb_free(&why);
	unlink(path);
}

static void test_kmsg_line_classes(void)
{
	CU_ASSERT_TRUE(kmsg_line_bad("WARNING: CPU: 1 PID: 77 at mm/gup.c:2218 try_grab_folio+0x1/0x2"));
	CU_ASSERT_TRUE(kmsg_line_bad("BUG: Bad page state in process iovbed  pfn:12345"));
	CU_ASSERT_TRUE(kmsg_line_bad("EXT4-fs error (device loop0): ext4_mb_generate_buddy:1217"));
	CU_ASSERT_TRUE(kmsg_line_bad("XFS (loop1): Corruption detected. Unmount and run xfs_repair"));
	CU_ASSERT_TRUE(kmsg_line_bad("BTRFS error (device loop2): bdev /dev/loop2 errs: wr 0, rd 0, flush 0, corrupt 1"));
	CU_ASSERT_TRUE(kmsg_line_bad("page does not have buffers attached"));
	CU_ASSERT_FALSE(kmsg_line_bad("EXT4-fs (loop0): mounted filesystem with ordered data mode"));
	CU_ASSERT_FALSE(kmsg_line_bad("XFS (loop1): Mounting V5 Filesystem"));
	CU_ASSERT_FALSE(kmsg_line_bad("loop3: detected capacity change from 0 to 32768"));
}

/* A hold holds its caller only if the caller sleeps in the kernel inside
 * a system call: a running task, one outside any call and a runnable one
 * are not held. */
static void test_caller_held(void)
{
	const char *stat = "4242 (iovbed io (x)) %c 1 2 3 4 5";
	struct task_state ts;
	char line[128], why[128];

	snprintf(line, sizeof(line), stat, 'D');
	CU_ASSERT_EQUAL(task_state_parse(line, "295 0x3 0x7f 0x1 0x0 0x0 0x0 0x7ffc 0x7f12\n",
					 "submit_bio_wait", &ts), 0);
	CU_ASSERT_TRUE(task_asleep_in_call(&ts, why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "D in preadv, wchan submit_bio_wait");
	snprintf(line, sizeof(line), stat, 'S');
	CU_ASSERT_EQUAL(task_state_parse(line, "426 0x3 0x1 0x1 0x1 0x0 0x8 0x7ffc 0x7f12\n",
					 "io_cqring_wait\n", &ts), 0);
	CU_ASSERT_TRUE(task_asleep_in_call(&ts, why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "S in io_uring_enter, wchan io_cqring_wait");
	snprintf(line, sizeof(line), stat, 'R');
	CU_ASSERT_EQUAL(task_state_parse(line, "running\n", "0", &ts), 0);
	CU_ASSERT_FALSE(task_asleep_in_call(&ts, why, sizeof(why)));
	snprintf(line, sizeof(line), stat, 'S');
	CU_ASSERT_EQUAL(task_state_parse(line, "-1 0x7ffc 0x7f12\n", "0", &ts), 0);
	CU_ASSERT_FALSE(task_asleep_in_call(&ts, why, sizeof(why)));	/* outside any call */
	snprintf(line, sizeof(line), stat, 'R');
	CU_ASSERT_EQUAL(task_state_parse(line, "17 0x3 0x1 0x1 0x1 0x0 0x8 0x7ffc 0x7f12\n", "0", &ts),
			0);
	CU_ASSERT_FALSE(task_asleep_in_call(&ts, why, sizeof(why)));	/* runnable in a call */
	CU_ASSERT_EQUAL(task_state_parse("garbage", "0", "0", &ts), -1);
}

/* One version per sector, or the data or zeros per sector: a sector of
 * neither (foreign bytes, a third version, a sector half zero) fails. */
static void test_data_per_sector(void)
{
	static char buf[4096];
	struct pattern_at v[2] = { PAT(3, 8192), PAT(4, 8192) };
	struct strbuf why = { 0 };

	pattern_fill(buf, 2048, 3, 8192);
	pattern_fill(buf + 2048, 2048, 4, 8192 + 2048);
	CU_ASSERT_EQUAL(check_data_either(buf, sizeof(buf), v, "either", &why), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "4 sectors of the first version, 4 of the second"));
	pattern_fill(buf + 1024, 512, 5, 8192 + 1024);	/* a third version */
	CU_ASSERT_EQUAL(check_data_either(buf, sizeof(buf), v, "either", &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "the sector at file offset 9216 is neither"));
	pattern_fill(buf, sizeof(buf), 3, 8192);
	memset(buf + 512, 0, 512);
	CU_ASSERT_EQUAL(check_data_or_zero(buf, sizeof(buf), v[0], "punched", &why), 0);
	memset(buf + 1024, 0, 256);	/* half a sector zeros: neither */
	CU_ASSERT_EQUAL(check_data_or_zero(buf, sizeof(buf), v[0], "punched", &why), 1);
	pattern_fill(buf, sizeof(buf), 4, 8192);	/* another seed's data */
	CU_ASSERT_EQUAL(check_data_or_zero(buf, sizeof(buf), v[0], "punched", &why), 1);
	sb_free(&why);
}

/* A path's known bug explains only a case of that path, with its exact
 * symptom, under a profile where the path does not pin. */
static void test_known_bug_path(void)
{
	static const struct known_bug bugs[] = {
		{ "*/*/read/*/uffd-*fork", PATH_NFS, CHK_FORK, CHK_DATA, 0, "nfs's", NULL },
		{ 0 },
	};
	struct profile p61 = { .v = { 6, 1, 0 }, .name = "6.1" };
	struct result res = { .out = OUT_FAIL, .failed = CHK_FORK };
	const char *id = "ext4/sync/anon/read/64k+512/uffd-fork";

	CU_ASSERT_EQUAL(known_bug_match(bugs, &p61, id, PATH_IOMAP, &res), 0);	/* not its path */
	CU_ASSERT_EQUAL(known_bug_match(bugs, &p61, "nfs3/sync/anon/read/64k+512/uffd-fork",
					PATH_NFS, &res), 1);
	res.failed = CHK_FORK | CHK_PINS;	/* another symptom besides */
	CU_ASSERT_EQUAL(known_bug_match(bugs, &p61, "nfs3/sync/anon/read/64k+512/uffd-fork",
					PATH_NFS, &res), 0);
}

/* A row measured on one series explains that series' failures only. */
static void test_known_bug_series(void)
{
	static const struct known_bug bugs[] = {
		{ "xfs/*/*/write/*/hole-tail", PATH_COUNT, CHK_DATA, 0, 0, "xfs's", "6.12" },
		{ 0 },
	};
	struct profile p = { .v = { 6, 12, 0 }, .running = { 6, 12, 117 }, .name = "6.12" };
	struct result res = { .out = OUT_FAIL, .failed = CHK_DATA };
	const char *id = "xfs/sync/anon/write/64k+512/hole-tail";

	CU_ASSERT_EQUAL(known_bug_match(bugs, &p, id, PATH_IOMAP, &res), 1);
	p.running = (struct kver){ 6, 18, 44 };	/* another series: not known there */
	CU_ASSERT_EQUAL(known_bug_match(bugs, &p, id, PATH_IOMAP, &res), 0);
	p.running = (struct kver){ 6, 1, 0 };	/* "6.1" is no prefix match of "6.12" */
	CU_ASSERT_EQUAL(known_bug_match(bugs, &p, id, PATH_IOMAP, &res), 0);
}

/* The reports of an error a case injected below its device are told from
 * everything else: another device's, a warning, a corruption. */
static void test_kmsg_injected(void)
{
	const char *dev = "/dev/loop3";

	CU_ASSERT_TRUE(kmsg_line_injected("I/O error, dev loop3, sector 23263 op 0x0:(READ) flags "
					  "0x8800 phys_seg 3 prio class 2", dev));
	CU_ASSERT_TRUE(kmsg_line_injected("Buffer I/O error on dev loop3, logical block 9, async "
					  "page read", "loop3"));
	CU_ASSERT_TRUE(kmsg_line_injected("BTRFS error (device loop3): bdev /dev/loop3 errs: wr 1, "
					  "rd 0, flush 0, corrupt 0, gen 0", dev));
	CU_ASSERT_FALSE(kmsg_line_injected("I/O error, dev loop33, sector 8 op 0x0:(READ)", dev));
	CU_ASSERT_FALSE(kmsg_line_injected("I/O error, dev loop4, sector 8 op 0x0:(READ)", dev));
	CU_ASSERT_FALSE(kmsg_line_injected("BTRFS error (device loop3): bdev /dev/loop3 errs: wr 0, "
					   "rd 0, flush 0, corrupt 1, gen 0", dev));
	CU_ASSERT_FALSE(kmsg_line_injected("BTRFS warning (device loop3): csum failed root 5 ino 257 "
					   "off 0 csum 0x8941f998 expected csum 0x1", dev));
	CU_ASSERT_FALSE(kmsg_line_injected("WARNING: CPU: 1 PID: 7 at fs/iomap/direct-io.c:100 "
					   "(dev loop3) error", dev));
	CU_ASSERT_FALSE(kmsg_line_injected("EXT4-fs error (device loop3): ext4_find_entry: reading "
					   "directory lblock 0", dev));
	CU_ASSERT_FALSE(kmsg_line_injected("I/O error, dev loop3, sector 8 op 0x0:(READ)", NULL));
}

static void test_kmsg_collect_after_mark(void)
{
	const char *old = "4,100,1000,-;WARNING: an old warning before the case\n";
	const char *new = "6,101,2000,-;loop0: detected capacity change\n"
			  " SUBSYSTEM=block\n"
			  "4,102,3000,-;WARNING: CPU: 0 PID: 1 at fs/iomap/direct-io.c:100 iomap_dio_bio_iter\n"
			  "3,103,4000,-;EXT4-fs error (device loop0): bad block bitmap\n";
	struct strbuf bad = { 0 }, all = { 0 }, why = { 0 };
	char path[256], err[ERRLEN];
	struct kmsg k;
	FILE *f;

	CU_ASSERT_EQUAL_FATAL(unit_tmpfile(path, sizeof(path), old, strlen(old)), 0);
	CU_ASSERT_EQUAL_FATAL(kmsg_open(&k, path, err), 0);
	kmsg_mark(&k);
	f = fopen(path, "a");
	fputs(new, f);
	fclose(f);
	CU_ASSERT_EQUAL(kmsg_collect(&k, &bad, &all), 2);
	CU_ASSERT_PTR_NULL(strstr(sb_str(&bad), "old warning"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&all), "detected capacity change"));
	CU_ASSERT_PTR_NULL(strstr(sb_str(&all), "SUBSYSTEM"));
	CU_ASSERT_EQUAL(check_kmsg(2, &bad, &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "kmsg:   WARNING: CPU: 0 PID: 1 at fs/iomap/direct-io.c:100"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "kmsg:   EXT4-fs error (device loop0): bad block bitmap"));
	/* Nothing new since: clean. */
	sb_free(&bad);
	CU_ASSERT_EQUAL(kmsg_collect(&k, &bad, NULL), 0);
	CU_ASSERT_EQUAL(check_kmsg(0, &bad, &why), 0);
	kmsg_close(&k);
	unlink(path);
	sb_free(&all);
	sb_free(&why);
}

/* A WARN whose log line was lost still taints: the case fails, naming W. */
static void test_taint_new_flag_fails(void)
{
	char path[256], logp[256], err[ERRLEN];
	struct strbuf why = { 0 };
	struct kmsg k;
	FILE *f;

	CU_ASSERT_EQUAL_FATAL(unit_tmpfile(path, sizeof(path), "4096\n", 5), 0);
	CU_ASSERT_EQUAL_FATAL(unit_tmpfile(logp, sizeof(logp), "", 0), 0);
	CU_ASSERT_EQUAL_FATAL(kmsg_open(&k, logp, err), 0);
	k.taint_path = path;
	kmsg_mark(&k);
	CU_ASSERT_EQUAL(kmsg_taint_since_mark(&k, &why, err), 0);
	f = fopen(path, "w");
	fputs("4608\n", f);	/* O (4096) was set before; W (512) is new */
	fclose(f);
	CU_ASSERT_EQUAL(kmsg_taint_since_mark(&k, &why, err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "W (TAINT_WARN"));
	CU_ASSERT_PTR_NULL(strstr(sb_str(&why), "O (TAINT_OOT"));
	/* a flag set before the case is not the case's */
	CU_ASSERT_EQUAL(check_taint(4608, 4608, &why), 0);
	/* an unreadable file is the test bed's problem, not a pass */
	unlink(path);
	CU_ASSERT_EQUAL(kmsg_taint_since_mark(&k, &why, err), -1);
	kmsg_close(&k);
	unlink(logp);
	sb_free(&why);
}

int unit_checks_register(void)
{
	CU_pSuite s = CU_add_suite("dirty, pin and kernel-log checks", NULL, NULL);

	if (!s)
		return -1;
	ADD_TEST(s, test_dirty_all_dirty_passes);
	ADD_TEST(s, test_dirty_clean_page_fails);
	ADD_TEST(s, test_dirty_unmapped_page_fails);
	ADD_TEST(s, test_kpage_reader_on_fakes);
	ADD_TEST(s, test_kpage_tail_takes_head_state);
	ADD_TEST(s, test_pins_read_fake_vmstat);
	ADD_TEST(s, test_pins_leak_fails);
	ADD_TEST(s, test_pins_expectation);
	ADD_TEST(s, test_pins_registration);
	ADD_TEST(s, test_pins_settle_gives_up);
	ADD_TEST(s, test_kmsg_line_classes);
	ADD_TEST(s, test_kmsg_injected);
	ADD_TEST(s, test_caller_held);
	ADD_TEST(s, test_known_bug_path);
	ADD_TEST(s, test_known_bug_series);
	ADD_TEST(s, test_data_per_sector);
	ADD_TEST(s, test_kmsg_collect_after_mark);
	ADD_TEST(s, test_taint_new_flag_fails);
	return 0;
}
