/* The pin checks, against the path found under the target and the
 * profile; and the kernel log, which every kind of case checks. */
#include "case.h"
#include "checks.h"
#include "kmsg.h"
#include "kpage.h"
#include "pin_count.h"

#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#define SETTLE_MS 1000
#define QUIET_MS 200
#define FIEMAP_MAX 64		/* a count out of range is re-judged on a machine quiet this long */

/* What the pins of a user-buffer case should be on this target, and why
 * (into what): from the path found under the target and the profile; a
 * target rule that says no pins means the kernel copies the IO through
 * the page cache (*copies). */
enum pin_expect case_pins_due(const struct case_ctx *c, int *copies, char *what, size_t len)
{
	const struct target *t = c->t;
	enum path_class path = t->found.path;
	int pins = profile_path_pins(&c->bed->prof, path);
	const char *note = NULL;

	*copies = 0;
	if (c->tc->e->flags & ENG_KERNEL_PAGES) {
		snprintf(what, len, "%s: the direct IO sees kernel pages, not the user buffer",
			 c->tc->e->name);
		return PIN_EXPECT_NONE;
	}
	if (path == PATH_UNKNOWN) {
		snprintf(what, len, "unknown path (%s): pins measured, no expectation", t->found.fs);
		return PIN_EXPECT_ANY;
	}
	snprintf(what, len, "%s direct IO %s on %s (since %s)", path_class_name(path),
		 pins ? "pins" : "does not pin", c->bed->prof.name, profile_path_since(path));
	if (pins && c->tc->dir == DIR_READ && c->tc->a && c->tc->a->reads_copied) {
		snprintf(what, len, "%s", c->tc->a->reads_copied);
		*copies = 1;
		return PIN_EXPECT_NONE;
	}
	if (pins && c->tc->dir == DIR_WRITE && c->tc->a && c->tc->a->writes_may_copy) {
		snprintf(what, len, "%s", c->tc->a->writes_may_copy);
		return PIN_EXPECT_ANY;
	}
	if (pins && path == PATH_IOMAP && c->tc->dir == DIR_READ && c->tc->a &&
	    c->tc->a->reads_zeroed) {
		snprintf(what, len, "%s", c->tc->a->reads_zeroed);
		return PIN_EXPECT_NONE;
	}
	if (pins && t->found.pins_rule) {
		struct rule_case rc = { c->tc->dir, c->tc->b,
					c->tc->a && (c->tc->a->flags & ACT_PAGES_OUT) };
		int p = t->found.pins_rule(&c->bed->prof.v, &rc, &note);

		if (p >= 0) {
			pins = p;
			*copies = !p;
			snprintf(what, len, "%s", note);
		}
	}
	return pins ? PIN_EXPECT_PINS : PIN_EXPECT_NONE;
}

/* The counters are machine-wide: a count out of its range is judged only
 * if nothing else pins meanwhile (other tasks' direct IO, a VM's disks).
 * 1 quiet, 0 not (why says), -1 the counters could not be read. */
static int machine_quiet(struct case_ctx *c, char *why, size_t len)
{
	struct pin_snap a, b;
	char err[ERRLEN];
	struct pin_delta d;

	if (pin_read(c->bed->vs, &a, err) < 0)
		return -1;
	sleep_ms(QUIET_MS);
	if (pin_read(c->bed->vs, &b, err) < 0)
		return -1;
	d = pin_delta(&a, &b);
	if (!d.acquired)
		return 1;
	snprintf(why, len, "pins: count not judged: other tasks took %lld pins in %d ms with no "
		 "case running (the counters are machine-wide)\n", d.acquired, QUIET_MS);
	return 0;
}

/* Judge acquired against r; out of range on a busy machine: a note. */
static void judge_count(struct case_ctx *c, const struct pin_range *r, long long acquired)
{
	struct result *res = c->res;
	struct strbuf why = { 0 };
	char note[256];

	res->pins_lo = r->lo;
	res->pins_hi = r->hi;
	snprintf(res->pins_rule, sizeof(res->pins_rule), "%s", r->rule);
	if (check_pin_count(r, acquired, &why)) {
		if (machine_quiet(c, note, sizeof(note)) == 0)
			sb_addf(&res->diag, "%s", note);
		else
			fail(res, CHK_PIN_COUNT, "%s", sb_str(&why));
	}
	sb_free(&why);
}

/* A write's source pages that map the shared zero page (GUP does not
 * count their pins from 6.5). 0 when that cannot be read. */
static size_t zero_pages(const struct case_ctx *c)
{
	size_t np = kpage_count(&kpage_default, c->rq.buf, c->rq.len), i, z = 0;
	uint64_t *flags = c->tc->dir == DIR_WRITE ? calloc(np, sizeof(*flags)) : NULL;
	char err[ERRLEN];

	if (flags && kpage_flags(&kpage_default, c->rq.buf, c->rq.len, flags, err) == 0)
		for (i = 0; i < np; i++)
			z += flags[i] != KPAGE_ABSENT && (flags[i] & (1ULL << KPF_ZERO_PAGE));
	free(flags);
	return z;
}

/* Extents of the file under [off, off + len) (FIEMAP), or 0 if it cannot
 * say. Only for a read: a write may map in more pieces than it leaves. */
static int extents_under(int fd, off_t off, size_t len)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext[FIEMAP_MAX];
	} f = { .fm = { .fm_start = off, .fm_length = len, .fm_extent_count = FIEMAP_MAX } };

	if (ioctl(fd, FS_IOC_FIEMAP, &f) < 0 || f.fm.fm_mapped_extents >= FIEMAP_MAX)
		return 0;
	return (int)f.fm.fm_mapped_extents;
}

/* The case's geometry: its segments as the engine splits the buffer,
 * each against its place in the file's blocks. */
static void case_geom(const struct case_ctx *c, struct pin_geom *g)
{
	struct iovec iov[MAX_SEGS];
	int max = c->tc->e->max_segs > 1 ? c->tc->e->max_segs : 1, i;
	off_t off = c->res->file_off;
	struct stat st;
	size_t len = c->ending.end == END_FAULT ? (size_t)(c->in.fault_at - c->b.io) :
		     c->ending.end == END_AT_EOF && c->tc->dir == DIR_READ ? (size_t)c->in.due_n :
		     c->rq.len;

	/* GUP takes a faulty buffer's pages up to its fault, then fails; a
	 * read past the end of the file, those up to it */
	g->nseg = iov_split(c->rq.buf, c->rq.len, c->rq.align, max, iov);
	for (i = 0; i < g->nseg; i++) {
		size_t before = (char *)iov[i].iov_base - (char *)c->rq.buf;

		if (before >= len)
			g->nseg = i;
		else if (before + iov[i].iov_len > len)
			iov[i].iov_len = len - before;
	}
	for (i = 0; i < g->nseg; i++) {
		g->seg[i].addr = (uintptr_t)iov[i].iov_base;
		g->seg[i].len = iov[i].iov_len;
		g->seg[i].file_off = off;
		off += iov[i].iov_len;
	}
	g->blksz = fstat(c->fd, &st) == 0 && st.st_blksize > 0 ? (unsigned)st.st_blksize : 4096;
	g->zero_pages = zero_pages(c);
	g->mappings = c->tc->dir == DIR_READ ? extents_under(c->fd, c->res->file_off, len) : 0;
}

/* A read of a range with holes or unwritten extents: iomap takes to the
 * device, and pins, only the parts of its segments over written extents
 * (the rest it zeroes into the buffer). g becomes those parts; 0, or -1
 * where FIEMAP cannot say. */
static int written_only(int fd, struct pin_geom *g)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext[FIEMAP_MAX];
	} f = { .fm = { .fm_start = g->seg[0].file_off, .fm_extent_count = FIEMAP_MAX } };
	struct pin_geom w = *g;
	unsigned k;
	int i;

	f.fm.fm_length = g->seg[g->nseg - 1].file_off + g->seg[g->nseg - 1].len - f.fm.fm_start;
	if (ioctl(fd, FS_IOC_FIEMAP, &f) < 0 || f.fm.fm_mapped_extents >= FIEMAP_MAX)
		return -1;
	w.nseg = 0;
	for (i = 0; i < g->nseg; i++)
		for (k = 0; k < f.fm.fm_mapped_extents; k++) {
			const struct fiemap_extent *e = &f.ext[k];
			off_t lo = g->seg[i].file_off, hi = lo + (off_t)g->seg[i].len;

			if (e->fe_flags & FIEMAP_EXTENT_UNWRITTEN)
				continue;
			lo = lo > (off_t)e->fe_logical ? lo : (off_t)e->fe_logical;
			hi = hi < (off_t)(e->fe_logical + e->fe_length) ? hi :
			     (off_t)(e->fe_logical + e->fe_length);
			if (lo >= hi)
				continue;
			if (w.nseg == PIN_SEGS)
				return -1;
			w.seg[w.nseg].addr = g->seg[i].addr + (lo - g->seg[i].file_off);
			w.seg[w.nseg].len = hi - lo;
			w.seg[w.nseg++].file_off = lo;
		}
	w.mappings = w.nseg;
	*g = w;
	return 0;
}

/* The case reads a range the action left with holes: what is due. */
static int holes_read(const struct case_ctx *c)
{
	return c->tc->a && c->tc->a->reads_zeroed && c->tc->dir == DIR_READ &&
	       c->t->found.path == PATH_IOMAP;
}

/* Pins for the written parts only: none where nothing under the range is
 * written, else the count of those parts. */
static enum pin_expect holes_due(struct case_ctx *c)
{
	struct pin_geom g = { 0 };

	case_geom(c, &g);
	if (written_only(c->fd, &g) < 0)
		return PIN_EXPECT_ANY;
	snprintf(c->pins_why, sizeof(c->pins_why), "iomap pins the %d parts of the range over "
		 "written blocks and zeroes the rest into the buffer without a pin", g.nseg);
	return g.nseg ? PIN_EXPECT_PINS : PIN_EXPECT_NONE;
}

/* The exact count, where the path has a rule and the IO ran its course. */
static void check_count(struct case_ctx *c)
{
	const struct pin_rule *rule = pin_rule_of(c->t->found.path);
	struct pin_geom g = { 0 };
	struct pin_range r;

	if (!rule || c->res->cut || c->res->interrupted || (c->n < 0 && c->ending.end == END_FULL))
		return;
	case_geom(c, &g);
	if (holes_read(c) && written_only(c->fd, &g) < 0)
		return;
	pin_range(&g, rule, !!(c->tc->e->flags & ENG_NOWAIT), &r);
	judge_count(c, &r, c->res->pins.acquired);
}

/* A registering engine pins at registration, holds the pins, and takes
 * none for the IO itself. */
static void registered_pins(struct case_ctx *c)
{
	struct result *res = c->res;

	if (c->rq.refused)
		return;
	res->reg = pin_delta(&c->s0, &c->rq.registered);
	res->io = pin_delta(&c->rq.registered, &c->rq.completed);
	res->pinned = res->reg.acquired > 0;
	if (check_pins_held(res->reg, &res->diag) |
	    check_pins_taken(PIN_EXPECT_NONE, res->io, "IO on a registered buffer", &res->diag))
		failed(res, CHK_PINS);
	else {
		struct pin_range r;

		pin_range_registration((uintptr_t)c->rq.buf, c->rq.len, &r);
		judge_count(c, &r, res->reg.acquired);
	}
}

void check_case_pins(struct case_ctx *c)
{
	struct result *res = c->res;
	enum pin_expect e = c->pins_due;

	res->pins = pin_delta(&c->s0, &c->s3);
	res->balanced = !check_pins_balanced(res->pins, &res->diag);
	if (!res->balanced)
		failed(res, CHK_BALANCE);
	if (c->tc->e->flags & ENG_REGISTERS)
		return registered_pins(c);
	res->pinned = res->pins.acquired > 0;
	if (c->ending.end == END_FAULT && c->in.fault_at == c->b.io && e == PIN_EXPECT_PINS)
		e = PIN_EXPECT_NONE;	/* GUP fails at the first page: nothing to pin */
	if (holes_read(c) && profile_path_pins(&c->bed->prof, PATH_IOMAP))
		e = holes_due(c);
	if (check_pins_taken(e, res->pins, c->pins_why, &res->diag))
		failed(res, CHK_PINS);
	else if (e == PIN_EXPECT_PINS && !(c->tc->e->flags & ENG_KERNEL_PAGES))
		check_count(c);
}

int pins_close(struct bed *bed, const struct pin_snap *s0, struct result *res, char *why)
{
	struct pin_snap s3;

	if (pin_read(bed->vs, &s3, why) < 0 || pin_settle(bed->vs, s0, &s3, SETTLE_MS, why) < 0)
		return -1;
	res->pins = pin_delta(s0, &s3);
	res->pinned = res->pins.acquired > 0;
	res->balanced = !check_pins_balanced(res->pins, &res->diag);
	if (!res->balanced)
		failed(res, CHK_BALANCE);
	return 0;
}

/* Drop from bad the lines that report the error the case injected below
 * dev, noting them: the path's promised report, not a fault. */
static int drop_injected(struct strbuf *bad, int nbad, const char *dev, struct strbuf *diag)
{
	struct strbuf kept = { 0 };
	char *line = bad->s, *nl;

	if (!dev || nbad <= 0 || !line)
		return nbad;
	nbad = 0;
	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (kmsg_line_injected(line, dev))
			sb_addf(diag, "kmsg: the injected error, as the kernel reported it: %s\n", line);
		else if (*line && ++nbad)
			sb_addf(&kept, "%s\n", line);
		if (!nl)
			break;
	}
	sb_free(bad);
	*bad = kept;
	return nbad;
}

void check_case_log(struct bed *bed, struct result *res, const char *injected_dev)
{
	struct strbuf bad = { 0 };
	char why[ERRLEN];
	int nbad = drop_injected(&bad, kmsg_collect(&bed->kmsg, &bad, NULL), injected_dev,
				 &res->diag);

	if (nbad < 0) {
		errf(why, "read /dev/kmsg");
		not_run(res, SETUP_BROKEN, why);
	} else if (check_kmsg(nbad, &bad, &res->diag)) {
		res->kmsg_ok = 0;
		failed(res, CHK_LOG);
	}
	sb_free(&bad);
	switch (kmsg_taint_since_mark(&bed->kmsg, &res->diag, why)) {
	case -1:
		not_run(res, SETUP_BROKEN, why);
		break;
	case 1:
		res->kmsg_ok = 0;
		failed(res, CHK_LOG);
		break;
	}
}
