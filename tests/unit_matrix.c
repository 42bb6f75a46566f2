/* Matrix generation and filtering, kernel profiles, options, helpers. */
#include "unit.h"
#include "action.h"
#include "engine.h"
#include "target.h"
#include "matrix.h"
#include "options.h"
#include "profile.h"

#include <stdlib.h>
#include <string.h>

static struct matrix m;

static int build(void)
{
	return matrix_build(&m, NULL);
}

static int destroy(void)
{
	matrix_free(&m);
	return 0;
}

static size_t sel(enum selection s, const char *f)
{
	const char *fs[1] = { f };

	return matrix_select(&m, s, fs, f ? 1 : 0);
}

static size_t user_engine_count(void)
{
	size_t i, n = 0;

	for (i = 0; i < engine_count; i++)
		n += !engine_table[i]->kernel;
	return n;
}

static size_t kernel_page_engines(void)
{
	size_t i, n = 0;

	for (i = 0; i < engine_count; i++)
		n += engine_table[i]->kernel_pages;
	return n;
}

/* Plain target x engine x buffer x direction combinations of target ti (or
 * every builtin target: -1) with at least one meaningful variant. */
static size_t plain_combos(int ti)
{
	static unsigned char seen[TARGET_MAX][32][8][2];
	size_t i, n = 0;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < m.n; i++) {
		const struct tcase *c = &m.c[i];

		if (c->action != ACT_NONE || c->e->kernel || c->impossible || c->t->user_given ||
		    (ti >= 0 && c->ti != ti))
			continue;
		n += !seen[c->ti][c->ei][c->bi][c->dir];
		seen[c->ti][c->ei][c->bi][c->dir] = 1;
	}
	return n;
}

/* The cases an action table row makes on target t, counted from the table. */
static void action_counts(const struct target_ops *t, const struct action_spec *sp,
			  size_t user_engines, size_t *all, size_t *dflt)
{
	size_t bi;
	int d;

	if (!t->hold || (sp->cuts && !t->cut))
		return;
	for (bi = 0; bi < buffer_count; bi++)
		for (d = 0; d < 2; d++) {
			if (!(sp->backings & (1u << buffer_table[bi]->backing)) || !(sp->dirs & (1u << d)))
				continue;
			*all += user_engines;
			if (sp->selftest)
				continue;
			/* engines whose IO never sees the buffer cannot be held on
			 * it; uring-fixed cannot register file-backed MAP_SHARED pages */
			if (sp->every_engine)
				*dflt += user_engines - kernel_page_engines() -
					(buffer_table[bi]->longterm_refused ? 1 : 0);
			else
				*dflt += 1;
		}
}

static void test_matrix_size(void)
{
	size_t builtin = 0, kio = 0, kio_default = 0, plain = 0, kernel = 0, acts = 0, act_default = 0;
	size_t user_engines = 0, kernel_engines = 0, selftests = 0, scen = 0, scen_default = 0;
	size_t i, k;

	for (i = 0; i < engine_count; i++) {
		user_engines += !engine_table[i]->kernel;
		kernel_engines += engine_table[i]->kernel;
	}
	for (i = 0; i < target_count; i++) {
		const struct target_ops *t = target_table[i];

		if (t->user_given)
			continue;
		if (t->no_file) {	/* the regression cases */
			for (k = 0; k < engine_count; k++) {
				const struct engine_ops *e = engine_table[k];
				size_t nb = 0, nv = 0, j;

				if (!e->scenario)
					continue;
				for (j = 0; j < buffer_count; j++)
					nb += e->backings ? (e->backings >> buffer_table[j]->backing) & 1 : !j;
				while (e->variants[nv])
					nv++;
				scen += nb * nv;
				scen_default += nb * (size_t)e->selftest_from;
			}
			continue;
		}
		builtin++;
		for (k = 0; k < engine_count; k++) {
			const struct engine_ops *e = engine_table[k];

			if (e->kernel && !e->scenario) {
				size_t one = e->kernel_run ? t->path == PATH_IOMAP ||
					t->path == PATH_FUSE : target_serves(t, e);

				kio += one;
				kio_default += e->kernel_selftest ? 0 : one;
			}
		}
		for (k = 0; k < action_count; k++)
			action_counts(t, &action_table[k], user_engines, &acts, &act_default);
	}
	for (i = 0; i < m.n; i++) {
		plain += m.c[i].action == ACT_NONE && !m.c[i].e->kernel;
		kernel += m.c[i].e->kernel;
		selftests += m.c[i].selftest;
	}
	CU_ASSERT_TRUE(kernel_engines > 0 && kio > 0 && acts > 0);
	CU_ASSERT_EQUAL(plain, builtin * user_engines * buffer_count * 2 * variant_count);
	CU_ASSERT_TRUE(scen > scen_default && scen_default > 0);
	CU_ASSERT_EQUAL(kernel, kio + scen);
	CU_ASSERT_EQUAL(m.n - plain - kernel, acts);
	CU_ASSERT_TRUE(selftests > 0);
	CU_ASSERT_EQUAL(sel(SEL_ALL, NULL), m.n);
	/* By default: one case per target x engine x buffer x direction, the
	 * kernel's own IO, and the in-flight cases (every engine for actions
	 * that say so, else one per target x action x buffer x direction);
	 * never a self-test. */
	CU_ASSERT_TRUE(plain_combos(-1) <= builtin * user_engines * buffer_count * 2);
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, NULL), plain_combos(-1) + kio_default + scen_default + act_default);
	for (i = 0; i < m.n; i++)
		if (m.c[i].selftest)
			CU_ASSERT_FALSE(m.c[i].selected);
	sel(SEL_FULL, NULL);
	for (i = 0; i < m.n; i++)
		if (m.c[i].selftest)
			CU_ASSERT_FALSE(m.c[i].selected);
	CU_ASSERT_TRUE(sel(SEL_DEFAULT, NULL) >= 300);
	CU_ASSERT_TRUE(sel(SEL_FULL, NULL) > sel(SEL_DEFAULT, NULL));
	CU_ASSERT_TRUE(sel(SEL_FULL, NULL) < m.n);
}

/* The in-flight ids name their action; the self-tests run only when named. */
static void test_action_cases(void)
{
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, "fuse/sync/anon/read/64k+512/stuck"), 1);
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, "fuse/*/stuck"), 0);
	CU_ASSERT_EQUAL(sel(SEL_FULL, "fuse/*/stuck"), 0);
	CU_ASSERT_EQUAL(sel(SEL_FULL, "fuse/*/*/*/64k+512/fork"), 3 * 8);	/* user-buffer engines */
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, "fuse/*/*/*/64k+512/fork"), 3);
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, "fuse/exec/kvec/read"), 1);
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, "regress/cow-vmsplice/*/child-writes"), 0);
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, "regress/cow-vmsplice/thp/child-writes"), 1);
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, "regress/dirty-pipe/*"), 1);
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, "fuse-plain/*/*/*/*/*"), 0);	/* it cannot hold */
	CU_ASSERT_EQUAL(sel(SEL_ALL, "*/*/*/*/*/kill"), 2 * 3 * 2 * user_engine_count());
}

static void test_ids_unique_and_readable(void)
{
	size_t i;
	char **ids = malloc(m.n * sizeof(*ids));
	int found = 0;

	for (i = 0; i < m.n; i++)
		ids[i] = m.c[i].id;
	qsort(ids, m.n, sizeof(*ids), (int (*)(const void *, const void *))strcmp);
	for (i = 0; i < m.n; i++) {
		if (i)
			CU_ASSERT_NOT_EQUAL(strcmp(*(char **)&ids[i - 1], ids[i]), 0);
		found |= !strcmp(m.c[i].id, "xfs/uring-fixed/thp/read/64k+512");
	}
	free(ids);
	CU_ASSERT_TRUE(found);
}

static void test_impossible_have_reasons(void)
{
	size_t i;
	int btrfs = 0, vec = 0;

	for (i = 0; i < m.n; i++) {
		const struct tcase *c = &m.c[i];

		if (!strcmp(c->id, "btrfs/sync/anon/read/4k+512")) {
			btrfs = 1;
			CU_ASSERT_PTR_NOT_NULL(c->impossible);
			CU_ASSERT_PTR_NOT_NULL(strstr(c->impossible, "4096"));
		}
		if (!strcmp(c->id, "ext4/vector/anon/read/512+0")) {
			vec = 1;
			CU_ASSERT_PTR_NOT_NULL(c->impossible);
		}
		if (!strcmp(c->id, "ext4/vector1/anon/read/512+0"))
			CU_ASSERT_PTR_NULL(c->impossible);
		if (c->in_default)
			CU_ASSERT_PTR_NULL(c->impossible);
	}
	CU_ASSERT_TRUE(btrfs && vec);
}

/* The default matrix rotates variants: every target x engine meets every
 * variant its alignment allows (an engine of one direction: as many as it
 * has buffers), so one default run covers all sizes. */
static void test_default_covers_variants(void)
{
	size_t ti, ei, i;

	for (ti = 0; ti < target_count; ti++)
		for (ei = 0; ei < engine_count; ei++) {
			unsigned possible = 0, seen = 0, np, ns;

			for (i = 0; i < m.n; i++) {
				const struct tcase *c = &m.c[i];

				if ((size_t)c->ti != ti || (size_t)c->ei != ei || c->action != ACT_NONE)
					continue;
				if (!c->impossible)
					possible |= 1u << c->vi;
				if (c->in_default)
					seen |= 1u << c->vi;
			}
			np = __builtin_popcount(possible);
			ns = __builtin_popcount(seen);
			CU_ASSERT_EQUAL(seen & ~possible, 0);
			if (engine_table[ei]->dirs) {
				CU_ASSERT_EQUAL(ns, np < buffer_count ? np : buffer_count);
			} else if (!engine_table[ei]->kernel) {
				CU_ASSERT_EQUAL(possible, seen);
			}
		}
}

static void test_filters(void)
{
	const char *none = "nosuch/*", *xfs = "xfs/*";
	size_t i, k, n = sel(SEL_DEFAULT, "xfs/*");

	for (i = 0; i < target_count; i++)
		if (target_table[i] == &target_xfs) {
			CU_ASSERT_EQUAL(n, plain_combos((int)i) + 1);	/* + finit-module */
		}
	for (i = 0; i < m.n; i++)
		if (m.c[i].selected)
			CU_ASSERT_EQUAL(strncmp(m.c[i].id, "xfs/", 4), 0);
	/* one plain case per builtin target x buffer (in-flight ones aside) */
	sel(SEL_DEFAULT, "*/uring-fixed/*/read/*");
	for (i = 0, n = 0; i < m.n; i++)
		n += m.c[i].selected && m.c[i].action == ACT_NONE;
	for (i = 0, k = 0; i < target_count; i++)	/* not dir, dev, nfs, regress */
		k += !target_table[i]->user_given && !target_table[i]->no_file;
	CU_ASSERT_EQUAL(n, k * buffer_count);
	CU_ASSERT_PTR_EQUAL(matrix_unmatched_filter(&m, &none, 1), none);
	CU_ASSERT_PTR_NULL(matrix_unmatched_filter(&m, &xfs, 1));
	/* A whole id selects that case even when it is off the default. */
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, "ext4/sync/anon/read/4m+3584"), 1);
	/* ... but never one that cannot run. */
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, "btrfs/sync/anon/read/4k+512"), 0);
}

static void test_user_targets_only_when_given(void)
{
	struct matrix mm;
	int given[TARGET_MAX] = { 0 };
	size_t i, dir = 0;

	for (i = 0; i < target_count; i++)
		given[i] = target_table[i] == &target_dir;
	CU_ASSERT_EQUAL_FATAL(matrix_build(&mm, given), 0);
	for (i = 0; i < mm.n; i++) {
		dir += mm.c[i].t == &target_dir;
		CU_ASSERT_PTR_NOT_EQUAL(mm.c[i].t, &target_dev);
	}
	CU_ASSERT_TRUE(dir > 0);
	matrix_free(&mm);
	for (i = 0; i < m.n; i++)
		CU_ASSERT_FALSE(m.c[i].t->user_given);
}

static void test_profiles(void)
{
	struct profile p61, p65, p68, p69, p618;

	CU_ASSERT_EQUAL(profile_init(&p61, "6.1"), 0);
	CU_ASSERT_EQUAL(profile_init(&p65, "6.5.0"), 0);
	CU_ASSERT_EQUAL(profile_init(&p68, "6.8.12-amd64"), 0);
	CU_ASSERT_EQUAL(profile_init(&p69, "6.9"), 0);
	CU_ASSERT_EQUAL(profile_init(&p618, "6.18.44-fc-v595"), 0);
	CU_ASSERT_STRING_EQUAL(p618.name, "6.18");
	CU_ASSERT_FALSE(profile_path_pins(&p61, PATH_BLOCK));
	CU_ASSERT_FALSE(profile_path_pins(&p61, PATH_IOMAP));
	CU_ASSERT_TRUE(profile_path_pins(&p65, PATH_BLOCK));
	CU_ASSERT_TRUE(profile_path_pins(&p65, PATH_IOMAP));
	CU_ASSERT_FALSE(profile_path_pins(&p68, PATH_FUSE));
	CU_ASSERT_TRUE(profile_path_pins(&p69, PATH_FUSE));
	CU_ASSERT_FALSE(profile_path_pins(&p618, PATH_NFS));
	CU_ASSERT_FALSE(profile_path_pins(&p618, PATH_COPY));
	CU_ASSERT_EQUAL(profile_init(&p61, "six"), -1);
	CU_ASSERT_EQUAL(profile_init(&p61, "6"), -1);
}

/* btrfs reads into clean MAP_SHARED file pages: pinned up to 6.14 (the
 * pin's EFAULT wins, btrfs faults in and retries), buffered from 6.15
 * (iomap_iter() returns btrfs_dio_iomap_end()'s -ENOTBLK). */
static void test_btrfs_shared_reads(void)
{
	struct kver v61 = { 6, 1, 0 }, v612 = { 6, 12, 107 }, v614 = { 6, 14, 11 };
	struct kver v615 = { 6, 15, 0 }, v618 = { 6, 18, 0 };
	const char *why = NULL;

	CU_ASSERT_EQUAL(target_btrfs.pins_expected(&v61, DIR_READ, &buf_shm_ext4, &why), -1);
	CU_ASSERT_EQUAL(target_btrfs.pins_expected(&v612, DIR_READ, &buf_shm_ext4, &why), -1);
	CU_ASSERT_EQUAL(target_btrfs.pins_expected(&v614, DIR_READ, &buf_shm_xfs, &why), -1);
	CU_ASSERT_PTR_NULL(why);
	CU_ASSERT_EQUAL(target_btrfs.pins_expected(&v615, DIR_READ, &buf_shm_ext4, &why), 0);
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT_EQUAL(target_btrfs.pins_expected(&v618, DIR_READ, &buf_shm_xfs, &why), 0);
	CU_ASSERT_EQUAL(target_btrfs.pins_expected(&v618, DIR_WRITE, &buf_shm_xfs, &why), -1);
	CU_ASSERT_EQUAL(target_btrfs.pins_expected(&v618, DIR_READ, &buf_anon, &why), -1);
	CU_ASSERT_EQUAL(target_btrfs.pins_expected(&v618, DIR_READ, &buf_memfd, &why), -1);
}

static void test_flavours(void)
{
	struct kver v61 = { 6, 1, 0 }, v618 = { 6, 18, 0 };

	CU_ASSERT_EQUAL(engine_sync.flavour(&v618), ITER_UBUF);
	CU_ASSERT_EQUAL(engine_vector.flavour(&v618), ITER_IOVEC);
	CU_ASSERT_EQUAL(engine_vector1.flavour(&v61), ITER_IOVEC);
	CU_ASSERT_EQUAL(engine_vector1.flavour(&v618), ITER_UBUF);
	CU_ASSERT_EQUAL(engine_uring_fixed.flavour(&v61), ITER_BVEC);
	CU_ASSERT_STRING_EQUAL(flavour_name(ITER_FOLIOQ), "ITER_FOLIOQ");
}

static void test_iov_split(void)
{
	char buf[8192];
	struct iovec iov[MAX_SEGS];
	size_t lens[] = { 512, 1024, 4096, 8192 - 512 }, sum;
	size_t i;
	int n, k;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		n = iov_split(buf, lens[i], 512, MAX_SEGS, iov);
		CU_ASSERT_TRUE(n >= 1 && n <= MAX_SEGS);
		CU_ASSERT_EQUAL(n, lens[i] / 512 < MAX_SEGS ? (int)(lens[i] / 512) : MAX_SEGS);
		for (sum = 0, k = 0; k < n; k++) {
			CU_ASSERT_EQUAL(iov[k].iov_len % 512, 0);
			CU_ASSERT_TRUE(iov[k].iov_len > 0);
			CU_ASSERT_PTR_EQUAL(iov[k].iov_base, buf + sum);
			sum += iov[k].iov_len;
		}
		CU_ASSERT_EQUAL(sum, lens[i]);
	}
	CU_ASSERT_EQUAL(iov_split(buf, 4096, 512, 1, iov), 1);
}

/* The argv of the last parse: options point into it, so it lives until
 * the next parse. */
static char *held[32];
static int nheld;

static void release_held(void)
{
	while (nheld)
		free(held[--nheld]);
}

static int parse(const char *line, struct options *o, char *err)
{
	char copy[512], *tok, *save = NULL;

	release_held();
	snprintf(copy, sizeof(copy), "%s", line);
	for (tok = strtok_r(copy, " ", &save); tok && nheld < 31; tok = strtok_r(NULL, " ", &save))
		held[nheld++] = strdup(tok);
	held[nheld] = NULL;
	return options_parse(o, nheld, held, err, ERRLEN);
}

static void test_options(void)
{
	struct options o;
	char err[ERRLEN];

	CU_ASSERT_EQUAL(parse("iovbed run --filter xfs/*,ext4/* --seed 0x10 --size 4k", &o, err), 0);
	CU_ASSERT_EQUAL(o.cmd, CMD_RUN);
	CU_ASSERT_EQUAL(o.nfilters, 2);
	CU_ASSERT_STRING_EQUAL(o.filters[1], "ext4/*");
	CU_ASSERT_EQUAL(o.seed, 16);
	CU_ASSERT_EQUAL(o.sizes[0], 4096);
	CU_ASSERT_EQUAL(parse("iovbed list --all", &o, err), 0);
	CU_ASSERT_EQUAL(o.sel, SEL_ALL);

	CU_ASSERT_EQUAL(parse("iovbed run --bogus", &o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown option '--bogus'"));
	CU_ASSERT_EQUAL(parse("iovbed run --size 4q", &o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a size"));
	CU_ASSERT_EQUAL(parse("iovbed run --size -4k", &o, err), -1);
	CU_ASSERT_EQUAL(parse("iovbed run --size 99999999999999999g", &o, err), -1);
	CU_ASSERT_EQUAL(parse("iovbed run --seed -1", &o, err), -1);
	CU_ASSERT_EQUAL(parse("iovbed run --seed", &o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs a value"));
	CU_ASSERT_EQUAL(parse("iovbed run --all", &o, err), -1);
	CU_ASSERT_EQUAL(parse("iovbed run --destroy", &o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--destroy goes with --device"));
	CU_ASSERT_EQUAL(parse("iovbed frobnicate", &o, err), -1);
	CU_ASSERT_EQUAL(parse("iovbed", &o, err), -1);
	CU_ASSERT_EQUAL(parse("iovbed run extra", &o, err), -1);
	release_held();
}

int unit_matrix_register(void)
{
	CU_pSuite s = CU_add_suite("matrix, profiles, options", build, destroy);

	if (!s)
		return -1;
	ADD_TEST(s, test_matrix_size);
	ADD_TEST(s, test_action_cases);
	ADD_TEST(s, test_ids_unique_and_readable);
	ADD_TEST(s, test_impossible_have_reasons);
	ADD_TEST(s, test_default_covers_variants);
	ADD_TEST(s, test_filters);
	ADD_TEST(s, test_user_targets_only_when_given);
	ADD_TEST(s, test_profiles);
	ADD_TEST(s, test_btrfs_shared_reads);
	ADD_TEST(s, test_flavours);
	ADD_TEST(s, test_iov_split);
	ADD_TEST(s, test_options);
	return 0;
}
