/* The checks of iovbed stress, each fed bad input: the model's check of a
 * read (wrong, stale, non-zero and unjudged data), the data-in-file check
 * against a read's remembered generations, the judgement of a disturber's
 * counters (nothing achieved is broken), zero ranges, and an op's line
 * both ways (a replay reads what the record wrote). */
#include "unit.h"
#include "checks.h"
#include "pattern.h"
#include "registry.h"
#include "stress.h"

#include <pthread.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AREA (1 * MiB)

static void test_check_zero(void)
{
	unsigned char b[4096] = { 0 };
	struct strbuf why = { 0 };

	CU_ASSERT_EQUAL(check_zero(b, sizeof(b), "hole", &why), 0);
	b[3000] = 7;
	CU_ASSERT_EQUAL(check_zero(b, sizeof(b), "hole", &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "1 of 4096 bytes not zero, the first at +3000"));
	sb_free(&why);
}

/* A model of 1 MiB where [64k, 128k) is generation 5, [128k, 132k) a hole
 * and [132k, 136k) unknown. */
static void model_of(struct model *m)
{
	CU_ASSERT_EQUAL_FATAL(model_init(m, AREA, 42, 3), 0);
	model_set(m, 64 * KiB, 64 * KiB, 5);
	model_set(m, 128 * KiB, 4 * KiB, GEN_ZERO);
	model_set(m, 132 * KiB, 4 * KiB, GEN_UNKNOWN);
}

static void fill_as_model(const struct model *m, unsigned char *b, off_t off, size_t len)
{
	model_fill(m, b, off, 64 * KiB - off, 0);
	model_fill(m, b + 64 * KiB - off, 64 * KiB, 64 * KiB, 5);
	memset(b + 128 * KiB - off, 0, 4 * KiB);
	memset(b + 132 * KiB - off, 0x33, 4 * KiB);	/* unknown: anything */
	model_fill(m, b + 136 * KiB - off, 136 * KiB, off + len - 136 * KiB, 0);
}

static void test_model_check(void)
{
	struct model m;
	size_t len = 192 * KiB;
	unsigned char *b = malloc(len);
	struct model_check mc = { .buf = b, .off = 512, .len = len, .what = "read" };
	struct strbuf why = { 0 };

	model_of(&m);
	fill_as_model(&m, b, 512, len);
	CU_ASSERT_EQUAL(model_check(&m, &mc, &why), 0);
	CU_ASSERT_EQUAL(mc.verified, len - 4 * KiB);	/* the unknown range is not judged */
	/* generation 4's data where 5 is due: stale, named */
	pattern_fill(b + 80 * KiB - 512, 512, model_seed(&m, 4), 80 * KiB);
	CU_ASSERT_EQUAL(model_check(&m, &mc, &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "first bad byte at file offset 81920"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "generation 4's for this offset"));
	fill_as_model(&m, b, 512, len);
	b[128 * KiB - 512 + 100] = 1;	/* a byte in the hole */
	sb_free(&why);
	CU_ASSERT_EQUAL(model_check(&m, &mc, &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "not zero"));
	sb_free(&why);
	free(b);
	model_free(&m);
}

/* Ownership: an op that dirties the page cache owns whole 2 MiB blocks
 * (a large folio it dirties would make a direct write beside it fail to
 * invalidate: EIO at fsync); other ops own their pages. */
static void test_spans(void)
{
	struct model m;
	struct sop bw = { .kind = SOP_BUFFERED, .dir = DIR_WRITE, .off = 3 * MiB, .len = 4096 };
	struct sop dw = { .kind = SOP_DIRECT, .dir = DIR_WRITE, .off = 2 * MiB + 8192, .len = 4096 };
	struct sop dr = { .kind = SOP_DIRECT, .dir = DIR_READ, .off = 4 * MiB, .len = 4096 };
	struct sop br = { .kind = SOP_BUFFERED, .dir = DIR_READ, .off = 2 * MiB, .len = 4096 };
	struct span a = sop_span(&bw), b = sop_span(&dw), c = sop_span(&dr), d = sop_span(&br);

	CU_ASSERT_EQUAL(a.off, 2 * MiB);
	CU_ASSERT_EQUAL(a.len, 2 * MiB);
	CU_ASSERT_EQUAL(b.off, 2 * MiB + 8192);
	CU_ASSERT_EQUAL(b.len, 4096);
	CU_ASSERT_EQUAL(d.len, 4096);	/* a buffered read dirties nothing */
	CU_ASSERT_EQUAL(model_init(&m, 8 * MiB, 1, 0), 0);
	CU_ASSERT_EQUAL(model_acquire(&m, &a, 0, NULL), 0);
	CU_ASSERT_EQUAL(model_acquire(&m, &b, 0, NULL), -1);	/* same block: busy */
	CU_ASSERT_EQUAL(model_acquire(&m, &c, 0, NULL), 0);	/* another block */
	model_release(&m, &a);
	CU_ASSERT_EQUAL(model_acquire(&m, &b, 0, NULL), 0);
	/* a span rounded past the area stays inside the model */
	bw.off = 8 * MiB - 4096;
	a = sop_span(&bw);
	CU_ASSERT_EQUAL(a.off + (off_t)a.len, 8 * MiB);
	CU_ASSERT_EQUAL(model_acquire(&m, &a, 0, NULL), 0);
	model_free(&m);
}

static void *sleeper(void *arg)
{
	(void)arg;
	sleep(30);
	return NULL;
}

/* A hang's report names every thread of the run, running ones too. */
static void test_threads_dump(void)
{
	struct strbuf d = { 0 };
	pthread_t th;

	CU_ASSERT_EQUAL(pthread_create(&th, NULL, sleeper, NULL), 0);
	pthread_setname_np(th, "unit-sleeper");
	usleep(100 * 1000);
	threads_dump(&d);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&d), "(unit-sleeper) S "));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&d), ") R "));	/* the one dumping */
	pthread_cancel(th);
	pthread_join(th, NULL);
	sb_free(&d);
}

/* The data-in-file check judges the file against the generations the
 * read saw, whatever the model says by then. */
static void test_gens_check(void)
{
	struct model m;
	uint32_t gens[16];
	unsigned char b[8 * KiB];
	struct model_check mc = { .buf = b, .off = 64 * KiB, .len = sizeof(b), .what = "file" };
	struct strbuf why = { 0 };

	model_of(&m);
	model_snapshot(&m, 64 * KiB, sizeof(b), gens);
	model_set(&m, 64 * KiB, sizeof(b), 9);	/* written over since */
	model_fill(&m, b, 64 * KiB, sizeof(b), 5);
	CU_ASSERT_EQUAL(gens_check(&m, gens, &mc, &why), 0);
	memset(b + 1000, 0x5a, 512);	/* stale bytes behind the mapping */
	CU_ASSERT_EQUAL(gens_check(&m, gens, &mc, &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "first bad byte at file offset 66536"));
	sb_free(&why);
	model_free(&m);
}

/* A disturber whose counters did not move achieved nothing. */
static void test_counters_judge(void)
{
	static const char *const names[] = { "thp_split_page", "~thp_split_pmd", NULL };
	struct counters c = { .names = names, .n = 2 };
	struct strbuf out = { 0 };

	c.before[0] = 10, c.now[0] = 10, c.before[1] = 1, c.now[1] = 5;
	CU_ASSERT_EQUAL(counters_judge(&c, &out), 0);
	CU_ASSERT_STRING_EQUAL(sb_str(&out), "thp_split_page +0, thp_split_pmd +4");
	sb_free(&out);
	c.now[0] = 11, c.now[1] = 1;	/* a shown-only counter need not move */
	CU_ASSERT_EQUAL(counters_judge(&c, &out), 1);
	sb_free(&out);
}

/* An op as a line and back; a line that is no op is refused. */
static void test_op_line(void)
{
	struct target t = { .ops = target_table[0] };
	struct starget tg = { .t = &t };
	struct stress s = { .tg = &tg, .ntg = 1 };
	struct sop op = { .worker = 1, .index = 57, .kind = SOP_DIRECT, .ti = 0, .ei = 0, .bi = 0,
			  .dir = DIR_WRITE, .off = 8192, .len = 4096, .bufoff = 512, .gen = 7,
			  .slot = 2, .res = -1, .err = 14 }, back;
	char line[OPLINE], err[ERRLEN];

	sop_format(&s, &op, line, sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, " err=EFAULT"));
	CU_ASSERT_EQUAL(sop_parse(&s, line, &back, err), 0);
	CU_ASSERT_EQUAL(back.worker, 1);
	CU_ASSERT_EQUAL(back.index, 57);
	CU_ASSERT_EQUAL(back.kind, SOP_DIRECT);
	CU_ASSERT_EQUAL(back.ei, 0);
	CU_ASSERT_EQUAL(back.dir, DIR_WRITE);
	CU_ASSERT_EQUAL(back.off, 8192);
	CU_ASSERT_EQUAL(back.len, 4096);
	CU_ASSERT_EQUAL(back.bufoff, 512);
	CU_ASSERT_EQUAL(back.gen, 7);
	CU_ASSERT_EQUAL(sop_parse(&s, "w1 #3 direct nosuch sync anon read off=0 len=512 bufoff=0 "
				  "gen=0", &back, err), -1);
	CU_ASSERT_EQUAL(sop_parse(&s, "checkpoint 3", &back, err), -1);
}

/* sendfile-in from two threads on one descriptor, as a stress run's
 * workers share the target's: every page must land where its op said
 * (sendfile writes at the file position, which both threads move). */
#define SF_PAGES 256

struct sf_thread {
	const struct engine_ops *e;
	int fd, t;
	int errors;
};

static void *sf_writer(void *arg)
{
	struct sf_thread *st = arg;
	char buf[4096];
	int i;

	memset(buf, 'A' + st->t, sizeof(buf));
	for (i = 0; i < SF_PAGES; i++) {
		struct io_req rq = { .fd = st->fd, .dir = DIR_WRITE, .buf = buf,
				     .len = sizeof(buf), .off = (off_t)(st->t * SF_PAGES + i) * 4096 };

		if (st->e->run(&rq) != (ssize_t)sizeof(buf))
			st->errors++;
	}
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

static void test_sendfile_position(void)
{
	const struct engine_ops *e = engine_named("sendfile-in");
	struct sf_thread st[2];
	char page[4096];
	int fd = memfd_create("unit-sendfile", MFD_CLOEXEC), t, i, wrong = 0;
	pthread_t th[2];

	CU_ASSERT_FATAL(fd >= 0 && e);
	for (t = 0; t < 2; t++) {
		st[t] = (struct sf_thread){ .e = e, .fd = fd, .t = t };
		CU_ASSERT_FATAL(pthread_create(&th[t], NULL, sf_writer, &st[t]) == 0);
	}
	for (t = 0; t < 2; t++) {
		pthread_join(th[t], NULL);
		CU_ASSERT_EQUAL(st[t].errors, 0);
	}
	for (t = 0; t < 2; t++)
		for (i = 0; i < SF_PAGES; i++) {
			off_t off = (off_t)(t * SF_PAGES + i) * 4096;

			if (pread(fd, page, sizeof(page), off) != (ssize_t)sizeof(page) ||
			    page[0] != 'A' + t || memcmp(page, page + 1, sizeof(page) - 1))
				wrong++;
		}
	CU_ASSERT_EQUAL(wrong, 0);
	close(fd);
}

int unit_stress_register(void)
{
	CU_pSuite s = CU_add_suite("stress checks", NULL, NULL);

	if (!s)
		return -1;
	ADD_TEST(s, test_check_zero);
	ADD_TEST(s, test_model_check);
	ADD_TEST(s, test_spans);
	ADD_TEST(s, test_threads_dump);
	ADD_TEST(s, test_gens_check);
	ADD_TEST(s, test_counters_judge);
	ADD_TEST(s, test_op_line);
	ADD_TEST(s, test_sendfile_position);
	return 0;
}
