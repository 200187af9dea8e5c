/* Helpers for the tests of the scenario catalogue (scenarios/): play a
 * scenario by name, fail with its ladder printed if it did not go as
 * written, and assert segments and facts.  Header-only: each test program
 * includes it once. */
#ifndef SYNACK_TESTS_CATALOGUE_H
#define SYNACK_TESTS_CATALOGUE_H

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenarios.h"
#include "synack/wire.h"

#define C 0 /* ladder column of the client (peer A) */
#define S 1 /* ladder column of the server (peer B) */

#define F_SYN SYNACK_TCP_SYN
#define F_SA (SYNACK_TCP_SYN | SYNACK_TCP_ACK)
#define F_A SYNACK_TCP_ACK
#define F_PA (SYNACK_TCP_PSH | SYNACK_TCP_ACK)
#define F_FA (SYNACK_TCP_FIN | SYNACK_TCP_ACK)
#define F_R SYNACK_TCP_RST
#define F_RA (SYNACK_TCP_RST | SYNACK_TCP_ACK)

static inline void cat_print(const struct scenario_run *r)
{
	if (r->lad)
		scenario_print_text(r, stdout, false);
	printf("error: %s\nfacts:", r->error);
	for (size_t i = 0; i < r->n_facts; i++)
		printf(" %s=%" PRId64, r->facts[i].name, r->facts[i].value);
	printf("\n");
}

/* Plays a scenario (by name or alias) with a seed; fails the test if it
 * did not go as the scenario expects. */
static inline struct scenario_run *cat_play_seed(const char *name, uint64_t seed)
{
	const struct scenario *s = scenario_find(name);
	if (!s)
		fprintf(stdout, "no scenario %s\n", name);
	assert_non_null(s);
	struct scenario_run *r = malloc(sizeof(*r));
	assert_non_null(r);
	struct scenario_params p = {.seed = seed};
	int rc = scenario_play(s, &p, r);
	if (rc != 0)
		cat_print(r);
	assert_int_equal(rc, 0);
	return r;
}

static inline struct scenario_run *cat_play(const char *name)
{
	return cat_play_seed(name, 1);
}

static inline void cat_done(struct scenario_run *r)
{
	scenario_run_free(r);
	free(r);
}

/* A fact the scenario must have recorded. */
static inline int64_t cat_fact(const struct scenario_run *r, const char *name)
{
	if (!scenario_has_fact(r, name)) {
		cat_print(r);
		fprintf(stdout, "fact %s missing\n", name);
	}
	assert_true(scenario_has_fact(r, name));
	return scenario_fact_or(r, name, 0);
}

#define assert_fact(r, name, want) assert_int_equal(cat_fact((r), (name)), (int64_t)(want))

/* Segment i: its sender, flags, relative seq and ack, payload length. */
#define assert_seg(r, i, col, fl, rseq, rack, plen)                                                        \
	do {                                                                                                   \
		const struct synack_ladder_seg *s_ = scenario_seg((r), (i));                                       \
		if (!s_ || s_->from_col != (col) || s_->flags != (fl) || s_->rel_seq != (uint32_t)(rseq) ||        \
		    (((fl)&SYNACK_TCP_ACK) && s_->rel_ack != (uint32_t)(rack)) || s_->payload_len != (plen)) {     \
			cat_print(r);                                                                                  \
			fprintf(stdout, "segment %d differs\n", (int)(i));                                             \
		}                                                                                                  \
		assert_non_null(s_);                                                                               \
		assert_int_equal(s_->from_col, (col));                                                             \
		assert_int_equal(s_->flags, (fl));                                                                 \
		assert_int_equal(s_->rel_seq, (uint32_t)(rseq));                                                   \
		if ((fl)&SYNACK_TCP_ACK)                                                                           \
			assert_int_equal(s_->rel_ack, (uint32_t)(rack));                                               \
		assert_int_equal(s_->payload_len, (plen));                                                         \
	} while (0)

/* Segment i was put on the link at t and delivered at arrive (or lost). */
#define assert_seg_time(r, i, t, arrive_or_lost)                                                           \
	do {                                                                                                   \
		const struct synack_ladder_seg *s_ = scenario_seg((r), (i));                                       \
		assert_non_null(s_);                                                                               \
		assert_int_equal(s_->time, (synack_time_t)(t));                                                    \
		if ((synack_time_t)(arrive_or_lost) == SYNACK_TIME_NEVER)                                          \
			assert_true(s_->lost);                                                                         \
		else                                                                                               \
			assert_int_equal(s_->arrive, (synack_time_t)(arrive_or_lost));                                 \
	} while (0)

static inline const char *cat_states(const struct scenario_run *r, int col)
{
	static char buf[2][1024];
	return scenario_states(r, col, buf[col & 1], sizeof buf[0]);
}

static inline bool cat_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static inline bool cat_ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Renders the run as text or SVG into a malloc'd string. */
static inline char *cat_render(const struct scenario_run *r, bool svg, bool absolute)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	assert_non_null(f);
	assert_int_equal(svg ? scenario_print_svg(r, f, absolute) : scenario_print_text(r, f, absolute), 0);
	assert_int_equal(fclose(f), 0);
	char *out = strdup(buf);
	free(buf);
	assert_non_null(out);
	return out;
}

static inline size_t cat_count(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

#endif
