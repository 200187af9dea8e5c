/* Unit tests of out-of-order reassembly bookkeeping (src/tcp/reass.h):
 * SPEC D01 (out-of-order segments kept and reassembled, duplicates dropped)
 * and W04 (sequence numbers across 2^32).
 *
 * The randomized test plays a receiver fed random segments in random order,
 * duplicates and segments straddling RCV.NXT included, and checks after every
 * segment that the intervals are exactly the runs of a bitmap model of which
 * bytes beyond RCV.NXT are held, and that RCV.NXT is exactly the model's
 * contiguous edge.  A local xorshift64 with fixed seeds makes failures replay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "tcp/reass.h"

static void expect_iv(const struct reass *q, uint8_t k, uint32_t start, uint32_t end)
{
	assert_true(k < q->count);
	assert_int_equal(q->iv[k].start, start);
	assert_int_equal(q->iv[k].end, end);
}

static void test_D01_reass_empty_and_bytes(void **unused)
{
	(void)unused;
	struct reass q;
	reass_init(&q);
	assert_true(reass_empty(&q));
	assert_int_equal(reass_bytes(&q), 0);
	assert_int_equal(reass_add(&q, 500, 500), 0); /* empty range: no-op */
	assert_true(reass_empty(&q));
	assert_int_equal(reass_add(&q, 100, 200), 0);
	assert_int_equal(reass_add(&q, 300, 350), 0);
	assert_false(reass_empty(&q));
	assert_int_equal(reass_bytes(&q), 150);
	/* No advance: RCV.NXT 50 is below every interval. */
	assert_int_equal(reass_advance(&q, 50), 50);
	assert_int_equal(q.count, 2);
}

static void test_D01_reass_merges_overlaps(void **unused)
{
	(void)unused;
	struct reass q;
	reass_init(&q);
	assert_int_equal(reass_add(&q, 300, 400), 0);
	assert_int_equal(reass_add(&q, 100, 200), 0);
	assert_int_equal(reass_add(&q, 500, 600), 0);
	assert_int_equal(q.count, 3);
	expect_iv(&q, 0, 100, 200); /* kept sorted */
	expect_iv(&q, 1, 300, 400);
	expect_iv(&q, 2, 500, 600);

	assert_int_equal(reass_add(&q, 150, 350), 0); /* joins the first two */
	assert_int_equal(q.count, 2);
	expect_iv(&q, 0, 100, 400);
	expect_iv(&q, 1, 500, 600);

	assert_int_equal(reass_add(&q, 120, 130), 0); /* duplicate inside */
	assert_int_equal(reass_add(&q, 90, 700), 0);  /* covers everything */
	assert_int_equal(q.count, 1);
	expect_iv(&q, 0, 90, 700);
	assert_int_equal(reass_bytes(&q), 610);
}

static void test_D01_reass_merges_adjacent(void **unused)
{
	(void)unused;
	struct reass q;
	reass_init(&q);
	assert_int_equal(reass_add(&q, 100, 200), 0);
	assert_int_equal(reass_add(&q, 300, 400), 0);
	assert_int_equal(reass_add(&q, 200, 250), 0); /* touches the left one */
	assert_int_equal(reass_add(&q, 280, 300), 0); /* touches the right one */
	assert_int_equal(q.count, 2);
	expect_iv(&q, 0, 100, 250);
	expect_iv(&q, 1, 280, 400);
	assert_int_equal(reass_add(&q, 250, 280), 0); /* exactly the hole */
	assert_int_equal(q.count, 1);
	expect_iv(&q, 0, 100, 400);
	/* A range one byte away stays separate (intervals are non-adjacent). */
	assert_int_equal(reass_add(&q, 401, 410), 0);
	assert_int_equal(q.count, 2);
}

static void test_D01_reass_fills_gap(void **unused)
{
	(void)unused;
	struct reass q;
	uint32_t rcv_nxt = 1000;
	reass_init(&q);
	/* Segments 2 and 3 of 1000..4000 arrive before segment 1. */
	assert_int_equal(reass_add(&q, 3000, 4000), 0);
	assert_int_equal(reass_add(&q, 2000, 3000), 0);
	assert_int_equal(reass_advance(&q, rcv_nxt), 1000); /* gap still open */
	/* Segment 1 arrives in order: RCV.NXT 2000, and the held data follows. */
	rcv_nxt = 2000;
	assert_int_equal(reass_advance(&q, rcv_nxt), 4000);
	assert_true(reass_empty(&q));

	/* Partial fill: the in-order data stops inside a held interval. */
	assert_int_equal(reass_add(&q, 5000, 6000), 0);
	assert_int_equal(reass_add(&q, 7000, 8000), 0);
	assert_int_equal(reass_advance(&q, 5500), 6000);
	assert_int_equal(q.count, 1);
	expect_iv(&q, 0, 7000, 8000);
	/* Or a straddling segment goes through reass_add itself. */
	assert_int_equal(reass_add(&q, 5900, 7000), 0);
	assert_int_equal(reass_advance(&q, 6000), 8000);
	assert_true(reass_empty(&q));
}

static void test_D01_reass_duplicates_below_rcv_nxt_forgotten(void **unused)
{
	(void)unused;
	struct reass q;
	reass_init(&q);
	assert_int_equal(reass_add(&q, 200, 300), 0);
	assert_int_equal(reass_add(&q, 400, 500), 0);
	assert_int_equal(reass_add(&q, 600, 700), 0);
	/* In-order data (a retransmission covering it all) moved RCV.NXT to
	 * 550: the first two are duplicates, the third is still ahead. */
	assert_int_equal(reass_advance(&q, 550), 550);
	assert_int_equal(q.count, 1);
	expect_iv(&q, 0, 600, 700);
	/* An interval ending exactly at RCV.NXT is also forgotten. */
	assert_int_equal(reass_advance(&q, 700), 700);
	assert_true(reass_empty(&q));
}

static void test_D01_W04_reass_across_seq_wrap(void **unused)
{
	(void)unused;
	struct reass q;
	struct synack_sack_block b[4];
	uint32_t rcv_nxt = 0xFFFFFF00u; /* ISN just below 2^32 */
	reass_init(&q);

	assert_int_equal(reass_add(&q, 0x00000080u, 0x00000100u), 0); /* after the wrap */
	assert_int_equal(reass_add(&q, 0xFFFFFF80u, 0x00000010u), 0); /* across it */
	assert_int_equal(q.count, 2);
	expect_iv(&q, 0, 0xFFFFFF80u, 0x00000010u); /* ordered modulo 2^32 */
	expect_iv(&q, 1, 0x00000080u, 0x00000100u);
	assert_int_equal(reass_bytes(&q), 0x90 + 0x80);

	assert_int_equal(reass_add(&q, 0x00000010u, 0x00000080u), 0); /* the hole */
	assert_int_equal(q.count, 1);
	expect_iv(&q, 0, 0xFFFFFF80u, 0x00000100u);
	assert_int_equal(reass_sack_blocks(&q, b, 4, 0x00000010u), 1);
	assert_int_equal(b[0].start, 0xFFFFFF80u);
	assert_int_equal(b[0].end, 0x00000100u);

	assert_int_equal(reass_advance(&q, rcv_nxt), rcv_nxt);
	rcv_nxt = 0xFFFFFF80u; /* in-order data up to the held interval */
	assert_int_equal(reass_advance(&q, rcv_nxt), 0x00000100u);
	assert_true(reass_empty(&q));

	/* The hole spans 2^32 itself: held data just past the wrap must not
	 * look "at or before" a RCV.NXT just below it (plain <= would say so). */
	assert_int_equal(reass_add(&q, 0x00000010u, 0x00000020u), 0);
	assert_int_equal(reass_advance(&q, 0xFFFFFFF0u), 0xFFFFFFF0u);
	assert_int_equal(q.count, 1);
	assert_int_equal(reass_advance(&q, 0x00000010u), 0x00000020u);
	assert_true(reass_empty(&q));

	/* Below RCV.NXT across the wrap: a duplicate, forgotten. */
	assert_int_equal(reass_add(&q, 0xFFFFFFF0u, 0x00000020u), 0);
	assert_int_equal(reass_advance(&q, 0x00000100u), 0x00000100u);
	assert_true(reass_empty(&q));
}

/* Fill all REASS_MAX slots with [base + 100k, base + 100k + 10). */
static void fill(struct reass *q, uint32_t base)
{
	reass_init(q);
	for (uint32_t k = 0; k < REASS_MAX; k++)
		assert_int_equal(reass_add(q, base + 100 * k, base + 100 * k + 10), 0);
	assert_int_equal(q->count, REASS_MAX);
}

static void test_D01_reass_full_evicts_highest(void **unused)
{
	(void)unused;
	struct reass q;
	uint32_t base = 0xFFFFFE00u; /* and across the wrap, W04 */
	uint32_t top = base + 100 * (REASS_MAX - 1);

	fill(&q, base);
	/* Lower than the highest and isolated: the highest is forgotten. */
	assert_int_equal(reass_add(&q, base + 50, base + 60), 0);
	assert_int_equal(q.count, REASS_MAX);
	expect_iv(&q, 1, base + 50, base + 60);
	expect_iv(&q, REASS_MAX - 1, top - 100, top - 90);

	/* Below the lowest too. */
	fill(&q, base);
	assert_int_equal(reass_add(&q, base - 50, base - 40), 0);
	expect_iv(&q, 0, base - 50, base - 40);
	expect_iv(&q, REASS_MAX - 1, top - 100, top - 90);

	/* Just below the highest: it replaces it. */
	fill(&q, base);
	assert_int_equal(reass_add(&q, top - 50, top - 40), 0);
	expect_iv(&q, REASS_MAX - 1, top - 50, top - 40);
}

static void test_D01_reass_full_rejects_higher(void **unused)
{
	(void)unused;
	struct reass q;
	uint32_t top = 1000 + 100 * (REASS_MAX - 1);
	fill(&q, 1000);
	struct reass before = q;

	assert_int_equal(reass_add(&q, top + 50, top + 60), -ENOBUFS);
	assert_memory_equal(&q, &before, sizeof(q));
	/* Merging needs no slot, even when full: adjacent, overlapping, or
	 * joining two intervals (which frees one). */
	assert_int_equal(reass_add(&q, top + 10, top + 20), 0);
	expect_iv(&q, REASS_MAX - 1, top, top + 20);
	assert_int_equal(reass_add(&q, 1005, 1105), 0);
	assert_int_equal(q.count, REASS_MAX - 1);
	expect_iv(&q, 0, 1000, 1110);
	assert_int_equal(reass_add(&q, top + 50, top + 60), 0); /* room again */
	assert_int_equal(q.count, REASS_MAX);
}

static void test_D01_reass_rejects_impossible_range(void **unused)
{
	(void)unused;
	struct reass q;
	reass_init(&q);
	/* A "range" of 2^31 bytes or more is a reversed or corrupt one. */
	assert_int_equal(reass_add(&q, 200, 100), -EINVAL);
	assert_int_equal(reass_add(&q, 0, 0x80000000u), -EINVAL);
	assert_true(reass_empty(&q));
	assert_int_equal(reass_add(&q, 0, 0x7FFFFFFFu), 0);
}

static void test_D01_reass_sack_most_recent_first(void **unused)
{
	(void)unused;
	struct reass q;
	struct synack_sack_block b[REASS_MAX];
	reass_init(&q);
	assert_int_equal(reass_add(&q, 100, 200), 0);
	assert_int_equal(reass_add(&q, 300, 400), 0);
	assert_int_equal(reass_add(&q, 500, 600), 0);
	assert_int_equal(reass_add(&q, 700, 800), 0);
	assert_int_equal(reass_add(&q, 900, 950), 0);

	/* The segment starting at 550 arrived last (RFC 2018 4): its block first,
	 * the others in ascending order, up to max. */
	assert_int_equal(reass_sack_blocks(&q, b, 3, 550), 3);
	assert_int_equal(b[0].start, 500);
	assert_int_equal(b[0].end, 600);
	assert_int_equal(b[1].start, 100);
	assert_int_equal(b[2].start, 300);

	assert_int_equal(reass_sack_blocks(&q, b, REASS_MAX, 900), 5);
	assert_int_equal(b[0].start, 900);
	assert_int_equal(b[0].end, 950);
	assert_int_equal(b[4].start, 700);

	/* Its block's last byte still counts; its end does not. */
	assert_int_equal(reass_sack_blocks(&q, b, 1, 799), 1);
	assert_int_equal(b[0].start, 700);
	assert_int_equal(reass_sack_blocks(&q, b, 1, 800), 1);
	assert_int_equal(b[0].start, 100); /* held nowhere: plain order */
	assert_int_equal(reass_sack_blocks(&q, b, 0, 550), 0);

	reass_init(&q);
	assert_int_equal(reass_sack_blocks(&q, b, 4, 550), 0);
}

/* ---- randomized differential test against a bitmap model ---- */

#define WIN 4096            /* receive window */
#define STREAM (64 * 1024)  /* bytes in one run, at most */
#define MAP (STREAM + WIN)  /* model bitmap, offsets from the ISN */

struct model {
	uint32_t isn;
	uint32_t nxt;         /* RCV.NXT as an offset from isn */
	bool held[MAP];       /* bytes at or beyond nxt held out of order */
	/* How often each path was taken, so the test proves it covers them. */
	uint32_t n_dup, n_straddle, n_evict, n_nobufs, n_filled;
};

static uint64_t xorshift64(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

static uint32_t below(uint64_t *state, uint32_t n)
{
	return (uint32_t)(xorshift64(state) % n);
}

/* Held bytes never lie beyond the window's end: segments are trimmed to it
 * and RCV.NXT only grows.  Scan [nxt, model_end). */
static uint32_t model_end(const struct model *m)
{
	return m->nxt + WIN < MAP ? m->nxt + WIN : MAP;
}

/* Runs of held bytes beyond nxt: count, and the start of the highest. */
static uint32_t model_runs(const struct model *m, uint32_t *last_start)
{
	uint32_t runs = 0;
	for (uint32_t i = m->nxt; i < model_end(m); i++) {
		if (m->held[i] && (i == m->nxt || !m->held[i - 1])) {
			runs++;
			*last_start = i;
		}
	}
	return runs;
}

/* RCV.NXT may advance: take in the held run it reaches. */
static void model_advance(struct model *m)
{
	while (m->nxt < MAP && m->held[m->nxt])
		m->held[m->nxt++] = false;
}

/* Expected result of reass_add of [s, e) (offsets, s >= nxt) per reass.h. */
static int model_add(struct model *m, uint32_t s, uint32_t e)
{
	uint32_t last = 0;
	for (uint32_t i = s; i < e; i++)
		m->held[i] = true;
	if (model_runs(m, &last) <= REASS_MAX)
		return 0;
	/* One run too many: the new range merged with nothing (so none of its
	 * bytes was held before).  Keep the lower ones. */
	if (last == s) {
		for (uint32_t i = s; i < e; i++)
			m->held[i] = false;
		m->n_nobufs++;
		return -ENOBUFS;
	}
	m->n_evict++;
	for (uint32_t i = last; i < MAP && m->held[i]; i++)
		m->held[i] = false;
	return 0;
}

static void model_check(const struct model *m, const struct reass *q)
{
	uint8_t k = 0;
	uint32_t bytes = 0;
	for (uint32_t i = m->nxt; i < model_end(m); i++) {
		if (!m->held[i])
			continue;
		uint32_t j = i;
		while (j < MAP && m->held[j])
			j++;
		assert_true(k < q->count);
		assert_int_equal(q->iv[k].start, m->isn + i);
		assert_int_equal(q->iv[k].end, m->isn + j);
		bytes += j - i;
		k++;
		i = j;
	}
	assert_int_equal(q->count, k);
	assert_int_equal(reass_bytes(q), bytes);
	assert_int_equal(reass_empty(q), k == 0);
}

/* One segment [s, e) (offsets from isn, s may lie below nxt). */
static void deliver(struct model *m, struct reass *q, uint32_t *rcv_nxt,
		    uint32_t s, uint32_t e, bool via_add)
{
	struct synack_sack_block b[4];
	if (e <= m->nxt) {
		m->n_dup++;
		return; /* wholly old: a duplicate the caller drops */
	}
	if (s < m->nxt)
		m->n_straddle++;
	if (s <= m->nxt && !via_add) {
		/* In order: the caller moves RCV.NXT itself. */
		for (uint32_t i = m->nxt; i < e; i++)
			m->held[i] = false; /* delivered now */
		m->nxt = e;
		*rcv_nxt = m->isn + e;
	} else {
		uint32_t from = s > m->nxt ? s : m->nxt;
		int want = model_add(m, from, e);
		assert_int_equal(reass_add(q, m->isn + s, m->isn + e), want);
		if (want == 0 && s > m->nxt) {
			/* RFC 2018 4: the first block holds this segment. */
			assert_true(reass_sack_blocks(q, b, 4, m->isn + s) >= 1);
			assert_true(m->isn + s - b[0].start < b[0].end - b[0].start);
		}
	}
	uint32_t before = m->nxt;
	model_advance(m);
	m->n_filled += m->nxt != before;
	*rcv_nxt = reass_advance(q, *rcv_nxt);
	assert_int_equal(*rcv_nxt, m->isn + m->nxt);
	model_check(m, q);
}

static void run_random(uint32_t isn, uint32_t stream, uint64_t seed)
{
	struct model m; /* 68 KB on the stack */
	struct reass q;
	uint64_t rs = seed;
	uint32_t rcv_nxt = isn, rounds = 0;

	memset(&m, 0, sizeof(m));
	m.isn = isn;
	reass_init(&q);
	while (m.nxt < stream && rounds++ < 200000) {
		/* A segment of 1..600 bytes (half of them tiny, so the holes
		 * outnumber the slots) starting anywhere from 1 KB below RCV.NXT
		 * to the window's end, trimmed to the window. */
		uint32_t lo = m.nxt > 1024 ? m.nxt - 1024 : 0;
		uint32_t s = lo + below(&rs, m.nxt + WIN - lo);
		uint32_t e = s + 1 + below(&rs, below(&rs, 2) ? 600 : 40);
		if (e > m.nxt + WIN)
			e = m.nxt + WIN;
		if (s >= e)
			continue;
		deliver(&m, &q, &rcv_nxt, s, e, below(&rs, 4) == 0);
	}
	assert_true(m.nxt >= stream); /* the stream completed */
	bool covered = m.n_dup > 0 && m.n_straddle > 0 && m.n_filled > 0 &&
		       m.n_evict > 0 && m.n_nobufs > 0;
	if (!covered)
		print_message("isn %08x: %u segments, %u duplicates, %u straddling, "
			      "%u advances, %u evictions, %u -ENOBUFS\n", isn, rounds,
			      m.n_dup, m.n_straddle, m.n_filled, m.n_evict, m.n_nobufs);
	assert_true(covered); /* every path of reass.h was exercised */
}

static void test_D01_reass_random_vs_bitmap_model(void **unused)
{
	(void)unused;
	run_random(1000, STREAM, 0x243F6A8885A308D3ull);
	run_random(0, STREAM, 0x13198A2E03707344ull);
}

static void test_D01_W04_reass_random_across_wrap(void **unused)
{
	(void)unused;
	/* 16 KB streams crossing 2^32 at 12 different places, 0.6 to 14 KB
	 * in, so RCV.NXT, holes and held intervals all straddle it.  Seeds are
	 * spread by a Weyl step: consecutive xorshift states would replay one
	 * run's segments shifted by one draw. */
	for (uint32_t k = 1; k <= 12; k++)
		run_random(0u - k * 1201u, 16 * 1024,
			   0xA4093822299F31D0ull ^ (k * 0x9E3779B97F4A7C15ull));
	run_random(0x7FFFF000u, STREAM, 0x082EFA98EC4E6C89ull); /* and the sign flip */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_D01_reass_empty_and_bytes),
		cmocka_unit_test(test_D01_reass_merges_overlaps),
		cmocka_unit_test(test_D01_reass_merges_adjacent),
		cmocka_unit_test(test_D01_reass_fills_gap),
		cmocka_unit_test(test_D01_reass_duplicates_below_rcv_nxt_forgotten),
		cmocka_unit_test(test_D01_W04_reass_across_seq_wrap),
		cmocka_unit_test(test_D01_reass_full_evicts_highest),
		cmocka_unit_test(test_D01_reass_full_rejects_higher),
		cmocka_unit_test(test_D01_reass_rejects_impossible_range),
		cmocka_unit_test(test_D01_reass_sack_most_recent_first),
		cmocka_unit_test(test_D01_reass_random_vs_bitmap_model),
		cmocka_unit_test(test_D01_W04_reass_random_across_wrap),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
