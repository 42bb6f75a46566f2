/* Path classes of handed-over paths, and the options a reproduce line carries. */
#include "unit.h"
#include "options.h"
#include "pathclass.h"
#include "profile.h"

#include <string.h>

static void test_classify_known_filesystems(void)
{
	static const struct {
		unsigned long magic;
		const char *type;
		enum path_class path;
	} known[] = {
		{ 0xEF53, "ext4", PATH_IOMAP }, { 0x58465342, "xfs", PATH_IOMAP },
		{ 0x9123683E, "btrfs", PATH_IOMAP }, { 0x01021994, "tmpfs", PATH_COPY },
		{ 0x65735546, "fuse.sshfs", PATH_FUSE }, { 0x6969, "nfs4", PATH_NFS },
		{ 0x01021997, "9p", PATH_9P },
	};
	struct path_found pf;
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		path_classify_type(known[i].magic, known[i].type, &pf);
		CU_ASSERT_EQUAL(pf.path, known[i].path);
	}
	path_classify_type(0x9123683E, "btrfs", &pf);
	CU_ASSERT_PTR_EQUAL(pf.pins_rule, btrfs_pins_rule);
}

/* A filesystem iovbed cannot test here gets no borrowed expectation. */
static void test_classify_unknown_has_no_expectation(void)
{
	struct path_found pf;
	struct profile p;

	path_classify_type(0xF2F52010, "f2fs", &pf);
	CU_ASSERT_EQUAL(pf.path, PATH_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(pf.fs, "f2fs");
	path_classify_type(0xca451a4e, "bcachefs", &pf);
	CU_ASSERT_EQUAL(pf.path, PATH_UNKNOWN);
	/* ext2 shares ext4's magic but not its direct-IO path */
	path_classify_type(0xEF53, "ext2", &pf);
	CU_ASSERT_EQUAL(pf.path, PATH_UNKNOWN);
	CU_ASSERT_EQUAL(profile_init(&p, "6.18"), 0);
	CU_ASSERT_EQUAL(profile_path_pins(&p, PATH_UNKNOWN), 0);
	CU_ASSERT_STRING_EQUAL(profile_path_since(PATH_UNKNOWN), "no expectation");
	CU_ASSERT_STRING_EQUAL(path_class_name(PATH_UNKNOWN), "unknown");
}

static void test_classify_dir_and_device(void)
{
	struct path_found pf;
	char err[ERRLEN];

	CU_ASSERT_EQUAL(path_classify_dir("/proc", &pf, err), 0);
	CU_ASSERT_EQUAL(pf.path, PATH_UNKNOWN);	/* procfs: no direct IO path we know */
	CU_ASSERT_PTR_NOT_NULL(strstr(pf.how, "statfs f_type 0x9fa0"));
	CU_ASSERT_EQUAL(path_classify_dir("/nonexistent/iovbed", &pf, err), -1);
	CU_ASSERT_EQUAL(path_classify_blockdev("/dev/null", &pf, err), -1);
}

/* Every option that shaped a case goes into the reproduce line, quoted. */
static void test_shaping_options(void)
{
	char *argv[] = { "iovbed", "run", "--dir", "/mnt/it's here", "--profile", "6.1",
			 "--timeout", "7", "--race-seconds", "0.5", "--size", "4k", "--full",
			 "--device", "/dev/loop9", "--destroy", "--filter", "x/*", NULL };
	struct strbuf sb = { 0 };
	struct options o;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(options_parse(&o, 18, argv, err, sizeof(err)), 0);
	options_shaping(&o, &sb);
	CU_ASSERT_STRING_EQUAL(sb_str(&sb), " --full --size 4096 --dir '/mnt/it'\\''s here'"
			       " --device '/dev/loop9' --destroy --profile '6.1' --timeout 7"
			       " --race-seconds 0.5");
	sb_free(&sb);
	/* defaults shape nothing */
	CU_ASSERT_EQUAL_FATAL(options_parse(&o, 2, argv, err, sizeof(err)), 0);
	options_shaping(&o, &sb);
	CU_ASSERT_STRING_EQUAL(sb_str(&sb), "");
	sb_free(&sb);
}

int unit_paths_register(void)
{
	CU_pSuite s = CU_add_suite("path classes and reproduce options", NULL, NULL);

	if (!s)
		return -1;
	ADD_TEST(s, test_classify_known_filesystems);
	ADD_TEST(s, test_classify_unknown_has_no_expectation);
	ADD_TEST(s, test_classify_dir_and_device);
	ADD_TEST(s, test_shaping_options);
	return 0;
}
