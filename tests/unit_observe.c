/* The observer's pure parts: naming raw iter_type values from a BTF
 * table, folding events, call sites, and the verdict on a window. Each
 * check is fed input that must make it fail. */
#include "unit.h"
#include "observe.h"

#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>

/* enum iter_type as 6.1's BTF has it, and as 6.12's. */
static const struct obs_btf btf_61 = { .iter = { 7, {
	{ "ITER_IOVEC", 0 }, { "ITER_KVEC", 1 }, { "ITER_BVEC", 2 }, { "ITER_PIPE", 3 },
	{ "ITER_XARRAY", 4 }, { "ITER_DISCARD", 5 }, { "ITER_UBUF", 6 } } },
	.bio = { 3, { { "BIO_NO_PAGE_REF", 0 }, { "BIO_CLONED", 1 }, { "BIO_QUIET", 4 } } } };
static const struct obs_btf btf_612 = { .iter = { 7, {
	{ "ITER_UBUF", 0 }, { "ITER_IOVEC", 1 }, { "ITER_BVEC", 2 }, { "ITER_KVEC", 3 },
	{ "ITER_FOLIOQ", 4 }, { "ITER_XARRAY", 5 }, { "ITER_DISCARD", 6 } } },
	.bio = { 3, { { "BIO_PAGE_PINNED", 0 }, { "BIO_CLONED", 1 }, { "BIO_QUIET", 4 } } } };

static void test_iter_names(void)
{
	CU_ASSERT_STRING_EQUAL(obs_iter_name(&btf_61.iter, 6), "ITER_UBUF");
	CU_ASSERT_STRING_EQUAL(obs_iter_name(&btf_612.iter, 0), "ITER_UBUF");
	CU_ASSERT_STRING_EQUAL(obs_iter_name(&btf_61.iter, 3), "ITER_PIPE");
	CU_ASSERT_STRING_EQUAL(obs_iter_name(&btf_612.iter, 4), "ITER_FOLIOQ");
	CU_ASSERT_PTR_NULL(obs_iter_name(&btf_612.iter, 7));	/* no such value */
	CU_ASSERT_PTR_NULL(obs_iter_name(&btf_61.iter, -1));
	CU_ASSERT_EQUAL(obs_flavour_of_name("ITER_FOLIOQ"), ITER_FOLIOQ);
	CU_ASSERT_EQUAL(obs_flavour_of_name("ITER_UBUF"), ITER_UBUF);
	CU_ASSERT_EQUAL(obs_flavour_of_name("ITER_FOO"), ITER_NONE);
	CU_ASSERT_STRING_EQUAL(obs_errname(EPERM), "EPERM");
	CU_ASSERT_STRING_EQUAL(obs_errname(524), "ENOTSUPP (524)");
	CU_ASSERT_STRING_EQUAL(obs_errname(4242), "errno 4242");
}

static struct obs_event event(int hook, int raw, int flavour, unsigned tid)
{
	struct obs_event e;

	memset(&e, 0, sizeof(e));
	e.hook = hook;
	e.kind = OBS_K_FENTRY;
	e.iter_type = raw;
	e.flavour = flavour;
	e.tid = tid;
	e.count = 65536;
	memcpy(e.comm, "iovbed", 7);
	return e;
}

static void test_fold(void)
{
	struct obs_window w = { 0 };
	struct obs_event e = event(OBS_H___iomap_dio_rw, 6, OBS_FLAV_UBUF, 10);

	CU_ASSERT_EQUAL(obs_window_add(&w, &e, &btf_61, NULL), 0);
	CU_ASSERT_EQUAL(obs_window_add(&w, &e, &btf_61, NULL), 0);
	e.tid = 11;	/* another task: another record */
	CU_ASSERT_EQUAL(obs_window_add(&w, &e, &btf_61, NULL), 0);
	CU_ASSERT_EQUAL(w.n, 2);
	CU_ASSERT_EQUAL(w.events, 3);
	CU_ASSERT_EQUAL(w.r[0].calls, 2);
	CU_ASSERT_EQUAL(w.r[0].amount, 2 * 65536);
	CU_ASSERT_STRING_EQUAL(w.r[0].iter_name, "ITER_UBUF");
	CU_ASSERT_EQUAL(obs_flavours_seen(&w, PATH_IOMAP, OBS_C_ITER, NULL), 1u << ITER_UBUF);
	CU_ASSERT_EQUAL(obs_flavours_seen(&w, PATH_BLOCK, OBS_C_ITER, NULL), 0);
	CU_ASSERT_EQUAL(obs_flavours_seen(&w, PATH_COUNT, 0, NULL), 1u << ITER_UBUF);
	CU_ASSERT_STRING_EQUAL(w.bad, "");
	obs_window_free(&w);
}

/* A loop device's worker writing its backing file inside a regression's
 * window is not the regression's IO (measured in the 6.12 guest: a BVEC
 * ext4 write by kworker/u9:1 was taken for uring-fork's). */
static void test_kernel_worker(void)
{
	struct obs_window w = { 0 };
	struct obs_event e = event(OBS_H___iomap_dio_rw, 2, OBS_FLAV_BVEC, 10);

	memcpy(e.comm, "kworker/u9:1", 13);
	CU_ASSERT_EQUAL(obs_window_add(&w, &e, &btf_61, NULL), 0);
	CU_ASSERT_EQUAL(obs_flavours_seen(&w, PATH_COUNT, 0, NULL), 0);
	CU_ASSERT_EQUAL(obs_flavours_seen(&w, PATH_COUNT, OBS_C_ITER, NULL), 0);
	CU_ASSERT_EQUAL(obs_flavours_seen(&w, PATH_IOMAP, OBS_C_ITER, NULL), 1u << ITER_BVEC);
	e = event(OBS_H___iomap_dio_rw, 6, OBS_FLAV_UBUF, 11);
	memcpy(e.comm, "iou-wrk-11", 11);
	CU_ASSERT_EQUAL(obs_window_add(&w, &e, &btf_61, NULL), 0);
	CU_ASSERT_EQUAL(obs_flavours_seen(&w, PATH_COUNT, OBS_C_ITER, NULL), 1u << ITER_UBUF);
	obs_window_free(&w);
}

/* The raw value is 6.12's ITER_UBUF, read against 6.1's names: BTF says
 * ITER_IOVEC, the CO-RE decoding says UBUF: the observer is broken. */
static void test_fold_mismatch(void)
{
	struct obs_window w = { 0 };
	struct obs_event e = event(OBS_H___iomap_dio_rw, 0, OBS_FLAV_UBUF, 10);
	char why[ERRLEN];

	CU_ASSERT_EQUAL(obs_window_add(&w, &e, &btf_61, NULL), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.bad, "ITER_IOVEC by BTF but ITER_UBUF"));
	CU_ASSERT_EQUAL(obs_judge(&w, &(struct obs_case){ PATH_IOMAP, NULL, 1, 1, 0 }, why), OBS_BROKEN);
	obs_window_free(&w);
	e = event(OBS_HOOK_COUNT, 0, OBS_FLAV_UBUF, 10);	/* not a hook */
	CU_ASSERT_EQUAL(obs_window_add(&w, &e, &btf_612, NULL), -1);
	e = event(OBS_H___iomap_dio_rw, 0, 42, 10);		/* not a flavour */
	CU_ASSERT_EQUAL(obs_window_add(&w, &e, &btf_612, NULL), -1);
	obs_window_free(&w);
}

/* 9p from 6.8: the caller's UBUF at the entry, netfs's BVEC at the
 * transport; neither may count as the other. */
static void test_entry_and_transport(void)
{
	struct obs_window w = { 0 };
	struct obs_event in = event(OBS_H_v9fs_file_read_iter, 0, OBS_FLAV_UBUF, 10);
	struct obs_event out = event(OBS_H_p9_client_read, 2, OBS_FLAV_BVEC, 10);
	char why[ERRLEN];

	CU_ASSERT_EQUAL(obs_window_add(&w, &out, &btf_612, NULL), 0);
	/* only the transport saw it: the entry hooks are attached, so broken */
	CU_ASSERT_EQUAL(obs_judge(&w, &(struct obs_case){ PATH_9P, NULL, 3, 1, 0 }, why), OBS_BROKEN);
	CU_ASSERT_EQUAL(obs_window_add(&w, &in, &btf_612, NULL), 0);
	CU_ASSERT_EQUAL(obs_judge(&w, &(struct obs_case){ PATH_9P, NULL, 3, 1, 0 }, why), OBS_OBSERVED);
	CU_ASSERT_EQUAL(obs_flavours_seen(&w, PATH_9P, OBS_C_ITER, NULL), 1u << ITER_UBUF);
	CU_ASSERT_EQUAL(obs_flavours_seen(&w, PATH_9P, OBS_C_XPORT, NULL), 1u << ITER_BVEC);
	obs_window_free(&w);
}

/* Another task's IO to another file in the window does not stand for
 * the case's: with the case's file given, only its events count. */
static void test_file_filter(void)
{
	struct obs_window w = { 0 };
	struct obs_event e = event(OBS_H_ext4_file_read_iter, 0, OBS_FLAV_UBUF, 10);
	struct obs_file mine = { makedev(254, 0), 12 }, other = { makedev(254, 0), 13 };
	char why[ERRLEN];

	e.dev = 254 << 20;	/* the kernel's encoding of 254:0 */
	e.ino = 13;
	CU_ASSERT_EQUAL(obs_window_add(&w, &e, &btf_612, NULL), 0);
	CU_ASSERT_EQUAL(obs_judge(&w, &(struct obs_case){ PATH_IOMAP, &mine, 1, 1, 0 }, why), OBS_BROKEN);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "on its file"));
	CU_ASSERT_EQUAL(obs_judge(&w, &(struct obs_case){ PATH_IOMAP, &other, 1, 1, 0 }, why), OBS_OBSERVED);
	CU_ASSERT_EQUAL(obs_flavours_seen(&w, PATH_IOMAP, OBS_C_ITER, &mine), 0);
	CU_ASSERT_EQUAL(obs_flavours_seen(&w, PATH_IOMAP, OBS_C_ITER, &other), 1u << ITER_UBUF);
	CU_ASSERT_EQUAL(obs_judge(&w, &(struct obs_case){ PATH_IOMAP, NULL, 1, 1, 0 }, why), OBS_OBSERVED);
	obs_window_free(&w);
}

static void test_bio_release(void)
{
	char out[64];

	obs_bio_release(&btf_612.bio, 1u << 0 | 1u << 4, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "FOLL_PIN (BIO_PAGE_PINNED)");
	obs_bio_release(&btf_612.bio, 1u << 4, out, sizeof(out));	/* not pinned: unknown */
	CU_ASSERT_STRING_EQUAL(out, "? (bi_flags 0x10)");
	obs_bio_release(&btf_61.bio, 1u << 4, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "FOLL_GET (no BIO_NO_PAGE_REF)");
	obs_bio_release(&btf_61.bio, 1u << 0, out, sizeof(out));	/* holds no refs */
	CU_ASSERT_STRING_EQUAL(out, "? (bi_flags 0x1)");
}

static void test_judge(void)
{
	struct obs_window w = { 0 };
	struct obs_event pin = event(OBS_H_pin_user_pages_fast, OBS_NO_ITER, OBS_FLAV_NONE, 10);
	struct obs_event ent = event(OBS_H___blkdev_direct_IO_simple, 0, OBS_FLAV_UBUF, 10);
	char why[ERRLEN];

	/* nothing attached: unobservable, never a pass */
	CU_ASSERT_EQUAL(obs_judge(&w, &(struct obs_case){ PATH_BLOCK, NULL, 0, 1, 0 }, why), OBS_UNOBSERVED);
	/* attached, IO done, nothing seen: broken */
	CU_ASSERT_EQUAL(obs_judge(&w, &(struct obs_case){ PATH_BLOCK, NULL, 2, 1, 0 }, why), OBS_BROKEN);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "none saw it"));
	/* no IO: nothing to observe, and no pass either */
	CU_ASSERT_EQUAL(obs_judge(&w, &(struct obs_case){ PATH_BLOCK, NULL, 2, 0, 0 }, why), OBS_UNOBSERVED);
	/* only GUP seen, not the path's entry: still broken */
	CU_ASSERT_EQUAL(obs_window_add(&w, &pin, &btf_612, NULL), 0);
	CU_ASSERT_EQUAL(obs_judge(&w, &(struct obs_case){ PATH_BLOCK, NULL, 2, 1, 0 }, why), OBS_BROKEN);
	/* another path's entry does not count for this one */
	CU_ASSERT_EQUAL(obs_window_add(&w, &ent, &btf_612, NULL), 0);
	CU_ASSERT_EQUAL(obs_judge(&w, &(struct obs_case){ PATH_IOMAP, NULL, 1, 1, 0 }, why), OBS_BROKEN);
	CU_ASSERT_EQUAL(obs_judge(&w, &(struct obs_case){ PATH_BLOCK, NULL, 2, 1, 0 }, why), OBS_OBSERVED);
	obs_window_free(&w);
}

static const char kallsyms[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81200000 T blkdev_read_iter\n"
	"ffffffff81200400 t __blkdev_direct_IO_simple\n"
	"ffffffff81200800 D some_data\n"
	"ffffffffa0000000 t bpf_prog_6deef7357e7b4530_fentry___blkdev\t[bpf]\n"
	"ffffffffa0001000 t bpf_trampoline_6442\t[bpf]\n"
	"ffffffffc0000000 t mpls_gso_exit\t[mpls_gso]\n"
	"ffffffffc0000100 t last_module_fn\t[mpls_gso]\n";

static void test_site(void)
{
	struct obs_ksyms k;
	struct obs_window w = { 0 };
	struct obs_event e = event(OBS_H___blkdev_direct_IO_simple, 0, OBS_FLAV_UBUF, 10);
	char err[ERRLEN], name[96];

	CU_ASSERT_EQUAL_FATAL(obs_ksyms_parse(&k, kallsyms, err), 0);
	CU_ASSERT_EQUAL(k.n, 7);	/* the data symbol is no call site */
	CU_ASSERT_EQUAL(obs_ksym_name(&k, 0xffffffff81200010ULL, name, sizeof(name)), 1);
	CU_ASSERT_STRING_EQUAL(name, "blkdev_read_iter+0x10");
	CU_ASSERT_EQUAL(obs_ksym_name(&k, 0x1000, name, sizeof(name)), 0);
	/* far past a symbol (an unlisted BPF program), or past the last one */
	CU_ASSERT_EQUAL(obs_ksym_name(&k, 0xffffffffc0000000ULL + 0x34c377aULL - 0x100, name,
				      sizeof(name)), 0);
	CU_ASSERT_EQUAL(obs_ksym_name(&k, 0xffffffffc0000108ULL, name, sizeof(name)), 0);
	/* the program, its trampoline and the hooked function are skipped */
	e.stack[0] = 0xffffffffa0000010ULL;	/* the program */
	e.stack[1] = 0xffffffffc0000040ULL;	/* its trampoline, near a module symbol */
	e.stack[2] = 0xffffffffc0400000ULL;	/* unknown */
	e.stack[3] = 0xffffffff81200405ULL;	/* the hooked function */
	e.stack[4] = 0xffffffff812000a0ULL;
	CU_ASSERT_EQUAL(obs_window_add(&w, &e, &btf_612, &k), 0);
	CU_ASSERT_STRING_EQUAL(w.r[0].site, "blkdev_read_iter+0xa0");
	/* a kprobe's stack starts in the probed function */
	e.kind = OBS_K_KPROBE;
	memset(e.stack, 0, sizeof(e.stack));
	e.stack[0] = 0xffffffff81200401ULL;
	e.stack[1] = 0xffffffffc0000040ULL;
	CU_ASSERT_EQUAL(obs_window_add(&w, &e, &btf_612, &k), 0);
	CU_ASSERT_STRING_EQUAL(w.r[1].site, "mpls_gso_exit+0x40");
	obs_window_free(&w);
	obs_ksyms_free(&k);
}

int unit_observe_register(void)
{
	CU_pSuite s = CU_add_suite("observe", NULL, NULL);

	if (!s)
		return -1;
	ADD_TEST(s, test_iter_names);
	ADD_TEST(s, test_fold);
	ADD_TEST(s, test_fold_mismatch);
	ADD_TEST(s, test_kernel_worker);
	ADD_TEST(s, test_entry_and_transport);
	ADD_TEST(s, test_file_filter);
	ADD_TEST(s, test_bio_release);
	ADD_TEST(s, test_judge);
	ADD_TEST(s, test_site);
	return 0;
}
