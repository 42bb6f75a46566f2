/* Counting the cases of a run: per target x method, per path, skips by
 * reason, the ids to list. */
#include "tally.h"
#include "engine.h"
#include "registry.h"


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct path_sum *path_of(struct tally *r, const struct tcase *tc)
{
	const char *target = tc->t ? tc->t->name : "regress", *method = case_method(tc);
	struct path_sum *p;
	size_t i;

	for (i = 0; i < r->npaths; i++)
		if (!strcmp(r->paths[i].target, target) && !strcmp(r->paths[i].method, method))
			return &r->paths[i];
	p = &r->paths[r->npaths++];	/* at most one per case: maxpaths */
	p->target = target;
	p->method = method;
	p->flavour = tc->kind == CASE_IO ? tc->e->flavour : tc->kind == CASE_KERNEL ?
		tc->k->flavour : tc->r->flavour;
	p->registers = tc->kind == CASE_IO && (tc->e->flags & ENG_REGISTERS);
	return p;
}

/* A case that says whether its path pins: user pages handed to the IO
 * itself (not registered, not kernel pages), the path's own expectation. */
static int counts_for_conversion(const struct bed *bed, const struct tcase *tc)
{
	const struct target *t;
	const char *why;

	if (tc->kind != CASE_IO || (tc->e->flags & (ENG_REGISTERS | ENG_KERNEL_PAGES)) ||
	    (tc->a && (tc->a->flags & ACT_UNHELD)))	/* a buffer or file made to differ */
		return 0;
	t = &bed->targets[tc->ti];
	if (t->found.path >= PATH_COUNT)
		return 0;
	return !t->found.pins_rule ||
	       t->found.pins_rule(&bed->prof.v, &(struct rule_case){ tc->dir, tc->b, 0 }, &why) < 0;
}

static void tally_skip(struct tally *r, const struct tcase *tc, const char *reason)
{
	struct skip_group *g;
	char word[40];
	size_t i;

	for (i = 0; i < r->nskips; i++)
		if (!strncmp(r->skips[i].reason, reason, sizeof(r->skips[i].reason) - 1))
			break;
	if (i == r->nskips) {
		if (r->nskips == SKIP_GROUPS)
			i--;	/* the last group takes the rest */
		else
			r->nskips++;
		snprintf(r->skips[i].reason, sizeof(r->skips[i].reason), "%.159s", reason);
	}
	g = &r->skips[i];
	g->n++;
	snprintf(word, sizeof(word), " %s,", tc->t ? tc->t->name : "regress");
	if (!strstr(g->targets, word) && strlen(g->targets) + strlen(word) < sizeof(g->targets))
		strcat(g->targets, word);
}

static void list_id(struct strbuf *sb, size_t nth, const char *id)
{
	if (nth <= LIST_SHOWN)
		sb_addf(sb, "  %s\n", id);
}

static void tally_outcome(struct tally *r, struct path_sum *p, const struct tcase *tc,
			  const struct result *res)
{
	switch (res->out) {
	case OUT_PASS: r->pass++; p->pass++; break;
	case OUT_FAIL: p->fail++; list_id(&r->failed, ++r->fail + r->broken, tc->id); break;
	case OUT_SKIP: r->skip++; p->skip++; tally_skip(r, tc, res->reason); break;
	case OUT_BROKEN: p->broken++; list_id(&r->failed, r->fail + ++r->broken, tc->id); break;
	case OUT_XFAIL: p->xfail++; list_id(&r->todo, ++r->xfail, tc->id); break;
	}
}

/* What the observer made of the case, by path; the first case to
 * observe each flavour. */
static void tally_obs(struct tally *r, const struct bed *bed, const struct tcase *tc,
		      const struct result *res)
{
	const struct obs_result *o = &res->obs;
	int pc = tc->t ? (int)bed->targets[tc->ti].found.path : PATH_COUNT, f;

	if (!o->set)
		return;		/* not run as far as its IO */
	r->obs[pc][o->state]++;
	if (o->state != OBSV_OBSERVED && !r->obs_why[pc][0])
		snprintf(r->obs_why[pc], sizeof(r->obs_why[pc]), "%s", o->why);
	for (f = 0; o->state == OBSV_OBSERVED && f < ITER_NONE; f++)
		if ((o->seen & (1u << f)) && !r->flav_case[f][0]) {
			snprintf(r->flav_case[f], sizeof(r->flav_case[f]), "%s", tc->id);
			snprintf(r->flav_where[f], sizeof(r->flav_where[f]), "%s",
				 (enum flavour)f == o->declared ? o->where :
				 "in the window beside the declared flavour");
		} else if ((o->xport_seen & (1u << f)) && !r->flav_case[f][0]) {
			snprintf(r->flav_case[f], sizeof(r->flav_case[f]), "%s", tc->id);
			snprintf(r->flav_where[f], sizeof(r->flav_where[f]), "%s (its transport)",
				 o->xport_where);
		}
}

const char *const inflight_verdict_name[INF_COUNT] = {
	"pins held while in flight", "re-dirtied after completion", "COW after fork correct",
	"error path balanced", "pages taken by GUP (observed)",
};

/* A held case's word on its path's in-flight verdicts: what the kernel
 * did, known limitations included; a copied IO says nothing of the
 * direct path. */
static void tally_inflight(struct tally *r, const struct bed *bed, const struct tcase *tc,
			   const struct result *res)
{
	const struct action_ops *a = tc->a;
	enum path_class pc;
	size_t (*v)[2];

	if (tc->kind != CASE_IO || !a || (a->flags & (ACT_AFTER | ACT_SELFTEST | ACT_UNHELD)) ||
	    tc->hold != HOLD_TARGET ||
	    (res->out != OUT_PASS && res->out != OUT_FAIL && res->out != OUT_XFAIL) ||
	    (res->failed & CHK_REACHED) || res->interrupted)
		return;
	pc = bed->targets[tc->ti].found.path;
	if (pc >= PATH_COUNT)
		return;
	if (res->copied) {
		r->inflight_copied[pc]++;
		return;
	}
	v = r->inflight[pc];
	if (!(tc->e->flags & ENG_REGISTERS))
		v[INF_PINS_HELD][res->held.acquired - res->held.released > 0]++;
	if (a->verdict == IV_REDIRTY && res->dirtied >= 0)
		v[INF_REDIRTY][res->dirtied]++;
	if (a->verdict == IV_FORK)
		v[INF_FORK][!(res->failed & CHK_FORK)]++;
	if (a->verdict == IV_ERROR)
		v[INF_ERROR][res->balanced]++;
	if (res->obs.gup_seen && !(tc->e->flags & ENG_REGISTERS)) {
		v[INF_GUP][res->obs.got_pages + res->obs.pinned_pages > 0]++;
		r->inflight_got[pc] += res->obs.got_pages > 0;
		r->inflight_pinned[pc] += res->obs.pinned_pages > 0;
	}
}

/* How a faulty buffer's IO ended, per path: the kernel's answer to GUP
 * failing part-way, from the cases that passed. */
static void tally_fault(struct tally *r, const struct bed *bed, const struct tcase *tc,
			const struct result *res)
{
	enum path_class pc;
	int how;

	if (tc->kind != CASE_IO || !tc->a || tc->a->end != END_FAULT || res->out != OUT_PASS)
		return;
	pc = bed->targets[tc->ti].found.path;
	if (pc >= PATH_COUNT)
		return;
	how = res->refused ? FO_REFUSED : res->io_errno ? FO_EFAULT : res->n_done ? FO_SHORT :
	      FO_NONE;
	r->fault_end[pc][how]++;
	r->fault_copied[pc] += res->copied;
}

/* Which actions each path survived, held by userfaultfd on its buffer. */
static void tally_uffd(struct tally *r, const struct bed *bed, const struct tcase *tc,
		       const struct result *res)
{
	enum path_class pc;
	size_t k;

	if (tc->kind != CASE_IO || !tc->a || tc->hold == HOLD_TARGET ||
	    (res->out != OUT_PASS && res->out != OUT_FAIL))
		return;
	pc = bed->targets[tc->ti].found.path;
	for (k = 0; k < action_count && action_table[k] != tc->a; k++)
		;
	if (pc >= PATH_COUNT || k >= UFFD_ACTIONS_MAX)
		return;
	r->uffd[pc][k][tc->hold == HOLD_UFFD_WP][res->out == OUT_PASS]++;
}

void tally_case(struct tally *r, const struct bed *bed, const struct tcase *tc,
		  const struct result *res)
{
	struct path_sum *p = path_of(r, tc);

	tally_fault(r, bed, tc, res);
	tally_uffd(r, bed, tc, res);
	tally_outcome(r, p, tc, res);
	tally_obs(r, bed, tc, res);
	tally_inflight(r, bed, tc, res);
	r->secs_cases += res->secs;
	if (res->out != OUT_PASS && res->out != OUT_FAIL)
		return;
	p->ran++;
	if (res->refused) {
		p->refused++;
		return;
	}
	*(res->pinned ? &p->pinned : &p->unpinned) += 1;
	if (counts_for_conversion(bed, tc))
		(res->pinned ? r->conv_pinned : r->conv_unpinned)[bed->targets[tc->ti].found.path]++;
	*(res->balanced ? &p->balanced : &p->unbalanced) += 1;
	if (res->dirtied == 1)
		p->dirty_yes++;
	else if (res->dirtied == 0)
		p->dirty_no++;
	*(res->data_ok ? &p->data_ok : &p->data_bad) += 1;
}

const char *yes_no(size_t yes, size_t no)
{
	if (!yes && !no)
		return "-";
	if (!no)
		return "yes";
	if (!yes)
		return "no";
	return "MIXED";
}

const char *path_sum_pinned(const struct path_sum *p)
{
	if (p->registers && p->refused && !p->pinned && !p->unpinned)
		return "refused";
	return yes_no(p->pinned, p->unpinned);
}


int tally_init(struct tally *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->maxpaths = max + 1;
	r->paths = calloc(r->maxpaths, sizeof(*r->paths));
	return r->paths ? 0 : -1;
}

void tally_free(struct tally *r)
{
	free(r->paths);
	r->paths = NULL;
	sb_free(&r->failed);
	sb_free(&r->todo);
}
