/* Matrix generation and filtering, kernel profiles, options, helpers. */
#include "unit.h"
#include "matrix.h"
#include "registry.h"
#include "options.h"
#include "profile.h"
#include "tally.h"
#include "util.h"

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

static const struct target_ops *target_named(const char *name)
{
	size_t i;

	for (i = 0; i < target_count; i++)
		if (!strcmp(target_table[i]->name, name))
			return target_table[i];
	return NULL;
}

static const struct buffer_ops *buffer_named(const char *name)
{
	size_t i;

	for (i = 0; i < buffer_count; i++)
		if (!strcmp(buffer_table[i]->name, name))
			return buffer_table[i];
	return NULL;
}

static const struct engine_ops *engine_named(const char *name)
{
	size_t i;

	for (i = 0; i < engine_count; i++)
		if (!strcmp(engine_table[i]->name, name))
			return engine_table[i];
	return NULL;
}

/* Engines that can be held in direction d: user pages, that direction;
 * registering ones too unless the buffer refuses a long-term pin. */
static size_t holdable_engines(enum dir d, const struct buffer_ops *b)
{
	size_t i, n = 0;

	for (i = 0; i < engine_count; i++) {
		const struct engine_ops *e = engine_table[i];

		n += engine_does(e, d) && !(e->flags & ENG_KERNEL_PAGES) &&
		     !((e->flags & ENG_REGISTERS) && b->longterm_refused);
	}
	return n;
}

/* Plain target x engine x buffer x direction combinations of target ti (or
 * every builtin target: -1) with at least one meaningful variant. */
static size_t plain_combos(int ti)
{
	char key[128], prev[128] = "";
	size_t i, n = 0;

	for (i = 0; i < m.n; i++) {
		const struct tcase *c = &m.c[i];

		if (c->kind != CASE_IO || c->a || c->impossible || (ti >= 0 && c->ti != ti) ||
		    c->t->held_by_default || c->b->outside_default)
			continue;
		snprintf(key, sizeof(key), "%d/%d/%s/%d", c->ti, c->ei, c->b->name, c->dir);
		n += strcmp(key, prev) != 0;	/* the variants of a combination are adjacent */
		snprintf(prev, sizeof(prev), "%s", key);
	}
	return n;
}

/* The cases an action row makes on target t, counted from the row. */
static void action_counts(const struct target_ops *t, const struct action_ops *a, size_t *all,
			  size_t *dflt)
{
	size_t bi, dir_default;
	int d;

	if ((!t->hold && !(a->flags & ACT_UNHELD)) || ((a->flags & ACT_CUTS) && !t->cut) ||
	    ((a->flags & ACT_FILE) && !t->file_changes))
		return;
	for (d = 0; d < 2; d++) {
		for (bi = dir_default = 0; bi < buffer_count; bi++) {
			if (!(a->backings & (1u << buffer_table[bi]->backing)) || !(a->dirs & (1u << d)) ||
			    (a->buffers && !list_has(a->buffers, buffer_table[bi]->name)))
				continue;
			*all += engine_count;
			if ((a->flags & ACT_SELFTEST) || buffer_table[bi]->outside_default)
				continue;
			if (a->flags & ACT_EVERY_ENGINE)
				dir_default += holdable_engines(d, buffer_table[bi]);
			else
				dir_default += 1;
		}
		/* one per direction, of every buffer */
		*dflt += (a->flags & ACT_ONE_BUFFER) && dir_default ? 1 : dir_default;
	}
}

/* The cases held by userfaultfd an action row makes on any target t: the
 * anon buffer, one engine each by default; write-protect mode reads only. */
static void uffd_counts(const struct target_ops *t, const struct action_ops *a, size_t *all,
			size_t *dflt)
{
	int d, wp;

	if ((a->flags & ACT_FILE) && !t->file_changes)
		return;
	for (wp = 0; wp < 2; wp++) {
		if (!(a->flags & (wp ? ACT_UFFD_WP : ACT_UFFD)))
			continue;
		for (d = 0; d < 2; d++) {
			if (!(a->dirs & (1u << d)) || !(a->backings & (1u << BACKING_ANON)) ||
			    (wp && d != DIR_READ))
				continue;
			*all += engine_count;
			*dflt += !(a->flags & ACT_SELFTEST);
		}
	}
}

static void regress_counts(size_t *all, size_t *dflt)
{
	size_t ri, bi, nb;
	const struct regress_variant *v;

	for (ri = 0; ri < regression_count; ri++) {
		const struct regression *r = regression_table[ri];

		for (nb = 0, bi = 0; bi < buffer_count; bi++)
			nb += r->backings ? (r->backings >> buffer_table[bi]->backing) & 1 : !bi;
		for (v = r->variants; v->name; v++) {
			*all += nb;
			*dflt += v->selftest ? 0 : nb;
		}
	}
}

static void test_matrix_size(void)
{
	size_t builtin = 0, kio = 0, kio_default = 0, acts = 0, act_default = 0;
	size_t scen = 0, scen_default = 0, plain = 0, kernel = 0, regress = 0, i, k;
	const struct kernel_io *const *kp;

	for (i = 0; i < target_count; i++) {
		const struct target_ops *t = target_table[i];

		if (t->user)
			continue;
		builtin++;
		for (kp = t->kernel_io; kp && *kp; kp++) {
			kio++;
			kio_default += !(*kp)->selftest;
		}
		for (k = 0; k < action_count; k++)
			action_counts(t, action_table[k], &acts, &act_default),
			uffd_counts(t, action_table[k], &acts, &act_default);
	}
	regress_counts(&scen, &scen_default);
	for (i = 0; i < m.n; i++) {
		plain += m.c[i].kind == CASE_IO && !m.c[i].a;
		kernel += m.c[i].kind == CASE_KERNEL;
		regress += m.c[i].kind == CASE_REGRESS;
	}
	CU_ASSERT_TRUE(kio > 0 && acts > 0);
	CU_ASSERT_EQUAL(plain, builtin * engine_count * buffer_count * 2 * variant_count);
	CU_ASSERT_TRUE(scen > scen_default && scen_default > 0);
	CU_ASSERT_EQUAL(kernel, kio);
	CU_ASSERT_EQUAL(regress, scen);
	CU_ASSERT_EQUAL(m.n - plain - kernel - regress, acts);
	CU_ASSERT_EQUAL(sel(SEL_ALL, NULL), m.n);
	/* By default: one case per target x engine x buffer x direction, the
	 * kernel's own IO, and the in-flight cases (every engine for actions
	 * that say so, else one per target x action x buffer x direction);
	 * never a self-test. */
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, NULL), plain_combos(-1) + kio_default + scen_default +
			act_default);
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
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, "fuse-plain/*/*/*/*/clean"), 0);	/* it cannot hold */
	CU_ASSERT_TRUE(sel(SEL_DEFAULT, "fuse-plain/*/*/*/*/hole-tail") > 0);	/* nothing held */
	/* fuse, fuse-splice and the five rows over the daemon's disk */
	CU_ASSERT_EQUAL(sel(SEL_ALL, "*/*/*/*/*/kill"), 7 * 3 * 2 * engine_count);
	/* held where btrfs's alignment allows: the 64 KiB variant at 2044k */
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, "btrfs-fuse/*/*/*/64k+2044k/fork"), 3);
	CU_ASSERT_EQUAL(sel(SEL_ALL, "btrfs-fuse/*/*/*/64k+512/*"), 0);
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

/* The default picks each combination's variant by a hash of its id: over
 * the engines of a target (and the targets of an engine) every variant
 * the alignment allows is met, so one default run covers all sizes. */
static void test_default_covers_variants(void)
{
	unsigned by_target[64] = { 0 }, by_engine[64] = { 0 }, possible_t[64] = { 0 };
	unsigned possible_e[64] = { 0 };
	size_t i, v;

	for (i = 0; i < m.n; i++) {
		const struct tcase *c = &m.c[i];

		if (c->kind != CASE_IO || c->a || c->t->held_by_default || c->b->outside_default)
			continue;
		for (v = 0; v < variant_count; v++)
			if (c->v.size == variant_table[v].size && c->v.bufoff == variant_table[v].bufoff)
				break;
		if (!c->impossible) {
			possible_t[c->ti] |= 1u << v;
			possible_e[c->ei] |= 1u << v;
		}
		if (c->in_default) {
			by_target[c->ti] |= 1u << v;
			by_engine[c->ei] |= 1u << v;
		}
	}
	for (i = 0; i < target_count; i++)
		if (!target_table[i]->user)
			CU_ASSERT_EQUAL(by_target[i], possible_t[i]);
	for (i = 0; i < engine_count; i++)
		CU_ASSERT_EQUAL(by_engine[i], possible_e[i]);
}

/* A row added (the user's directory) reshuffles no other default case. */
static void test_default_keyed_by_id(void)
{
	struct user_args given = { .dir = "/tmp" };
	struct matrix mm;
	size_t i, j = 0, same = 0, total = 0;

	CU_ASSERT_EQUAL_FATAL(matrix_build(&mm, &given), 0);
	for (i = 0; i < m.n; i++) {
		if (!m.c[i].in_default)
			continue;
		total++;
		for (; j < mm.n && strcmp(mm.c[j].id, m.c[i].id); j++)
			;
		same += j < mm.n && mm.c[j].in_default;
	}
	CU_ASSERT_EQUAL(same, total);
	matrix_free(&mm);
}

static void test_filters(void)
{
	const char *none = "nosuch/*", *xfs = "xfs/*";
	size_t i, k, nb, n = sel(SEL_DEFAULT, "xfs/*"), xi = 0;

	for (i = 0; i < target_count; i++)
		if (target_table[i] == target_named("xfs"))
			xi = i;
	for (i = 0, k = 0, nb = 0; i < action_count; i++)	/* what holds nothing */
		if (action_table[i]->flags & ACT_UNHELD)
			action_counts(target_table[xi], action_table[i], &nb, &k);
	for (i = 0; i < action_count; i++)
		uffd_counts(target_table[xi], action_table[i], &nb, &k);
	CU_ASSERT_EQUAL(n, plain_combos((int)xi) + 1 + k);	/* + finit-module */
	for (i = 0; i < m.n; i++)
		if (m.c[i].selected)
			CU_ASSERT_EQUAL(strncmp(m.c[i].id, "xfs/", 4), 0);
	/* one plain case per builtin target x buffer (in-flight ones aside) */
	sel(SEL_DEFAULT, "*/uring-fixed/*/read/*");
	for (i = 0, n = 0; i < m.n; i++)
		n += m.c[i].selected && !m.c[i].a;
	for (i = 0, k = 0; i < target_count; i++)	/* not dir, dev, nfs; not held only */
		k += !target_table[i]->user && !target_table[i]->held_by_default;
	for (i = 0, nb = 0; i < buffer_count; i++)
		nb += !buffer_table[i]->outside_default;
	CU_ASSERT_EQUAL(n, k * nb);
	CU_ASSERT_PTR_EQUAL(matrix_unmatched_filter(&m, &none, 1), none);
	CU_ASSERT_PTR_NULL(matrix_unmatched_filter(&m, &xfs, 1));
	/* A whole id selects that case even when it is off the default. */
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, "ext4/sync/anon/read/4m+3584"), 1);
	/* ... but never one that cannot run. */
	CU_ASSERT_EQUAL(sel(SEL_DEFAULT, "btrfs/sync/anon/read/4k+512"), 0);
}

static void test_user_targets_only_when_given(void)
{
	struct user_args given = { .dir = "/tmp" };
	struct matrix mm;
	size_t i, dir = 0;

	CU_ASSERT_EQUAL_FATAL(matrix_build(&mm, &given), 0);
	for (i = 0; i < mm.n; i++) {
		dir += mm.c[i].t == target_named("dir");
		CU_ASSERT_PTR_NOT_EQUAL(mm.c[i].t, target_named("dev"));
	}
	CU_ASSERT_TRUE(dir > 0);
	matrix_free(&mm);
	for (i = 0; i < m.n; i++)
		CU_ASSERT_FALSE(m.c[i].t && m.c[i].t->user);
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
	const struct target_ops *btrfs = target_named("btrfs");
	const struct buffer_ops *buf_shm_ext4 = buffer_named("shm-ext4");
	const struct buffer_ops *buf_shm_xfs = buffer_named("shm-xfs");
	const struct buffer_ops *buf_anon = buffer_named("anon"), *buf_memfd = buffer_named("memfd");
	const char *why = NULL;

	CU_ASSERT_EQUAL(btrfs->pins_expected(&v61, &(struct rule_case){ DIR_READ, buf_shm_ext4, 0 }, &why), -1);
	CU_ASSERT_EQUAL(btrfs->pins_expected(&v612, &(struct rule_case){ DIR_READ, buf_shm_ext4, 0 }, &why), -1);
	CU_ASSERT_EQUAL(btrfs->pins_expected(&v614, &(struct rule_case){ DIR_READ, buf_shm_xfs, 0 }, &why), -1);
	CU_ASSERT_PTR_NULL(why);
	CU_ASSERT_EQUAL(btrfs->pins_expected(&v615, &(struct rule_case){ DIR_READ, buf_shm_ext4, 0 }, &why), 0);
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT_EQUAL(btrfs->pins_expected(&v618, &(struct rule_case){ DIR_READ, buf_shm_xfs, 0 }, &why), 0);
	CU_ASSERT_EQUAL(btrfs->pins_expected(&v618, &(struct rule_case){ DIR_WRITE, buf_shm_xfs, 0 }, &why), -1);
	CU_ASSERT_EQUAL(btrfs->pins_expected(&v618, &(struct rule_case){ DIR_READ, buf_anon, 0 }, &why), -1);
	CU_ASSERT_EQUAL(btrfs->pins_expected(&v618, &(struct rule_case){ DIR_READ, buf_memfd, 0 }, &why), -1);
	/* pages in swap: the pin with faults off fails from 6.15, both ways */
	CU_ASSERT_EQUAL(btrfs->pins_expected(&v618, &(struct rule_case){ DIR_READ, buf_anon, 1 }, &why), 0);
	CU_ASSERT_EQUAL(btrfs->pins_expected(&v618, &(struct rule_case){ DIR_WRITE, buf_anon, 1 }, &why), 0);
	CU_ASSERT_EQUAL(btrfs->pins_expected(&v612, &(struct rule_case){ DIR_WRITE, buf_anon, 1 }, &why), -1);
}

static void test_flavours(void)
{
	struct kver v61 = { 6, 1, 0 }, v618 = { 6, 18, 0 };

	CU_ASSERT_EQUAL(engine_named("sync")->flavour(&v618), ITER_UBUF);
	CU_ASSERT_EQUAL(engine_named("vector")->flavour(&v618), ITER_IOVEC);
	CU_ASSERT_EQUAL(engine_named("vector1")->flavour(&v61), ITER_IOVEC);
	CU_ASSERT_EQUAL(engine_named("vector1")->flavour(&v618), ITER_UBUF);
	CU_ASSERT_EQUAL(engine_named("uring-fixed")->flavour(&v61), ITER_BVEC);
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

static int parsed;

static int parse(const char *line, struct options *o, char *err)
{
	char copy[512], *tok, *save = NULL;

	if (parsed)
		options_free(o);
	parsed = 1;
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
	CU_ASSERT_EQUAL(parse("iovbed run --filters-from /nonexistent/iovbed", &o, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--filters-from /nonexistent/iovbed"));
	options_free(&o);
	parsed = 0;
	release_held();
}

static const struct tcase *case_named(const char *id)
{
	size_t i;

	for (i = 0; i < m.n; i++)
		if (!strcmp(m.c[i].id, id))
			return &m.c[i];
	return NULL;
}

/* The per-path in-flight verdicts: a fork whose child got the data, a
 * held IO with no pins outstanding and an unbalanced error path each make
 * their verdict a no; a copied IO is not counted; a known limitation is
 * what the kernel did, counted. */
static void test_inflight_verdicts(void)
{
	const struct tcase *fork = case_named("loop-fuse/sync/anon/read/64k+512/fork");
	const struct tcase *eio = case_named("ext4-fuse/sync/anon/write/64k+512/eio");
	struct target *targets = calloc(target_count, sizeof(*targets));
	struct bed bed = { .targets = targets };
	struct result res = { .out = OUT_PASS, .balanced = 1, .dirtied = -1,
			      .held = { 20, 3 } };
	struct tally t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fork);
	CU_ASSERT_PTR_NOT_NULL_FATAL(eio);
	targets[fork->ti].found.path = PATH_BLOCK;
	targets[eio->ti].found.path = PATH_IOMAP;
	CU_ASSERT_EQUAL_FATAL(tally_init(&t, 8), 0);
	tally_case(&t, &bed, fork, &res);
	CU_ASSERT_STRING_EQUAL(yes_no(t.inflight[PATH_BLOCK][INF_FORK][1],
				      t.inflight[PATH_BLOCK][INF_FORK][0]), "yes");
	res.out = OUT_XFAIL;
	res.failed = CHK_FORK;
	res.held = (struct pin_delta){ 0, 0 };	/* FOLL_GET: nothing held */
	tally_case(&t, &bed, fork, &res);
	CU_ASSERT_EQUAL(t.inflight[PATH_BLOCK][INF_FORK][0], 1);
	CU_ASSERT_STRING_EQUAL(yes_no(t.inflight[PATH_BLOCK][INF_FORK][1],
				      t.inflight[PATH_BLOCK][INF_FORK][0]), "MIXED");
	CU_ASSERT_EQUAL(t.inflight[PATH_BLOCK][INF_PINS_HELD][0], 1);
	/* where the observer sees GUP: the references taken instead (6.1) */
	res.obs.gup_seen = 1;
	res.obs.got_pages = 16;
	tally_case(&t, &bed, fork, &res);
	CU_ASSERT_EQUAL(t.inflight[PATH_BLOCK][INF_GUP][1], 1);
	CU_ASSERT_EQUAL(t.inflight_got[PATH_BLOCK], 1);
	res.obs.got_pages = 0;
	tally_case(&t, &bed, fork, &res);
	CU_ASSERT_EQUAL(t.inflight[PATH_BLOCK][INF_GUP][0], 1);	/* observed, nothing taken */
	res = (struct result){ .out = OUT_FAIL, .balanced = 0, .failed = CHK_BALANCE,
			       .held = { 17, 0 } };
	tally_case(&t, &bed, eio, &res);
	CU_ASSERT_STRING_EQUAL(yes_no(t.inflight[PATH_IOMAP][INF_ERROR][1],
				      t.inflight[PATH_IOMAP][INF_ERROR][0]), "no");
	res.copied = 1;
	tally_case(&t, &bed, eio, &res);
	CU_ASSERT_EQUAL(t.inflight[PATH_IOMAP][INF_ERROR][0], 1);
	CU_ASSERT_EQUAL(t.inflight_copied[PATH_IOMAP], 1);
	res = (struct result){ .out = OUT_FAIL, .failed = CHK_REACHED };	/* never held */
	tally_case(&t, &bed, eio, &res);
	CU_ASSERT_EQUAL(t.inflight[PATH_IOMAP][INF_PINS_HELD][1] + t.inflight[PATH_IOMAP][INF_PINS_HELD][0], 1);
	tally_free(&t);
	free(targets);
}

int unit_matrix_register(void)
{
	CU_pSuite s = CU_add_suite("matrix, profiles, options", build, destroy);

	if (!s)
		return -1;
	ADD_TEST(s, test_matrix_size);
	ADD_TEST(s, test_action_cases);
	ADD_TEST(s, test_inflight_verdicts);
	ADD_TEST(s, test_ids_unique_and_readable);
	ADD_TEST(s, test_impossible_have_reasons);
	ADD_TEST(s, test_default_covers_variants);
	ADD_TEST(s, test_default_keyed_by_id);
	ADD_TEST(s, test_filters);
	ADD_TEST(s, test_user_targets_only_when_given);
	ADD_TEST(s, test_profiles);
	ADD_TEST(s, test_btrfs_shared_reads);
	ADD_TEST(s, test_flavours);
	ADD_TEST(s, test_iov_split);
	ADD_TEST(s, test_options);
	return 0;
}
