/* The simulated network: routing, the fault model one fault at a time,
 * virtual time, statistics, and bit-for-bit replay of a faulty run.
 * Every assertion is on virtual time or on counts, never on the real clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "synack/pcap.h"
#include "synack/sim.h"
#include "synack/synack.h"
#include "synack/wire.h"

#define ADDR_A 0x0a000001u /* 10.0.0.1 */
#define ADDR_B 0x0a000002u /* 10.0.0.2 */
#define ADDR_C 0x0a000003u /* 10.0.0.3: linked to nobody */

/* ---- helpers ---- */

/* What a raw host received: the ICMP sequence number and time of each. */
struct rx_log {
	size_t n, cap;
	uint16_t *seq;
	synack_time_t *at;
	uint8_t last[2048];
	size_t last_len;
};

static void rx_log_init(struct rx_log *l, size_t cap)
{
	memset(l, 0, sizeof(*l));
	l->cap = cap;
	l->seq = calloc(cap, sizeof(*l->seq));
	l->at = calloc(cap, sizeof(*l->at));
	assert_non_null(l->seq);
	assert_non_null(l->at);
}

static void rx_log_free(struct rx_log *l)
{
	free(l->seq);
	free(l->at);
}

static void rx_record(void *ctx, int node, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)node;
	struct rx_log *l = ctx;
	assert_true(l->n < l->cap);
	/* Read the ICMP sequence directly: a corrupted packet must still count. */
	l->seq[l->n] = len >= 28 ? (uint16_t)(pkt[26] << 8 | pkt[27]) : 0xffff;
	l->at[l->n] = now;
	l->n++;
	l->last_len = len < sizeof(l->last) ? len : sizeof(l->last);
	memcpy(l->last, pkt, l->last_len);
}

/* An ICMP echo request of `total` bytes (>= 28) from src to dst. */
static size_t make_pkt(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst, uint16_t seq, size_t total)
{
	static const uint8_t zeros[2048];
	assert_true(total >= 28 && total - 28 <= sizeof(zeros));
	struct synack_ipv4 ip = {.src = src, .dst = dst, .ttl = 64, .id = seq};
	struct synack_icmp icmp = {.type = SYNACK_ICMP_ECHO_REQUEST, .id = 7, .seq = seq,
	                           .data = zeros, .data_len = total - 28};
	size_t n = synack_icmp_echo_build(buf, cap, &ip, &icmp);
	assert_int_equal(n, total);
	return n;
}

static void inject_seq(struct synack_sim *sim, int from, uint32_t src, uint32_t dst, uint16_t seq,
                       size_t total)
{
	uint8_t buf[2048];
	size_t n = make_pkt(buf, sizeof(buf), src, dst, seq, total);
	synack_sim_inject(sim, from, buf, n);
}

/* Two raw hosts A and B joined by ab / ba; B logs what it receives. */
struct raw_pair {
	struct synack_sim *sim;
	int a, b;
	struct rx_log rx_b;
};

static void raw_pair_new(struct raw_pair *p, uint64_t seed, const struct synack_link_model *ab, size_t cap)
{
	p->sim = synack_sim_new(seed);
	assert_non_null(p->sim);
	rx_log_init(&p->rx_b, cap);
	p->a = synack_sim_add_raw(p->sim, ADDR_A, NULL, NULL);
	p->b = synack_sim_add_raw(p->sim, ADDR_B, rx_record, &p->rx_b);
	assert_int_equal(p->a, 0);
	assert_int_equal(p->b, 1);
	assert_int_equal(synack_sim_link(p->sim, p->a, p->b, ab, NULL), 0);
}

static void raw_pair_free(struct raw_pair *p)
{
	synack_sim_free(p->sim);
	rx_log_free(&p->rx_b);
}

/* Stack trace events the tests look at, per node. */
struct trace_log {
	int echo_replies[4];
	synack_time_t echo_at[4][256];
	uint16_t echo_seq[4][256];
	int drops[4];
	int link_events[6];
	int no_route_to; /* `to` of the last NO_ROUTE event */
	size_t no_route_len;
};

static void on_stack_trace(void *ctx, int node, const struct synack_trace *ev)
{
	struct trace_log *t = ctx;
	assert_true(node >= 0 && node < 4);
	if (ev->kind == SYNACK_TRACE_ECHO_REPLY) {
		int i = t->echo_replies[node]++;
		if (i < 256) {
			t->echo_at[node][i] = ev->now;
			t->echo_seq[node][i] = ev->echo_seq;
		}
	} else if (ev->kind == SYNACK_TRACE_DROP) {
		t->drops[node]++;
	}
}

static void on_link_event(void *ctx, const struct synack_sim_event *ev)
{
	struct trace_log *t = ctx;
	assert_true(ev->kind >= SYNACK_SIM_SENT && ev->kind <= SYNACK_SIM_NO_ROUTE);
	t->link_events[ev->kind]++;
	if (ev->kind == SYNACK_SIM_NO_ROUTE) {
		t->no_route_to = ev->to;
		t->no_route_len = ev->len;
	}
}

static int add_stack(struct synack_sim *sim, uint32_t addr, uint64_t seed)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.addr = addr;
	cfg.seed = seed;
	int node = synack_sim_add_stack(sim, &cfg);
	assert_true(node >= 0);
	assert_non_null(synack_sim_stack(sim, node));
	assert_int_equal(synack_sim_addr(sim, node), addr);
	return node;
}

/* Two stacks A (node 0) and B (node 1) joined by ab / ba, traced into t. */
static struct synack_sim *stack_pair(uint64_t seed, const struct synack_link_model *ab,
                                     const struct synack_link_model *ba, struct trace_log *t)
{
	struct synack_sim *sim = synack_sim_new(seed);
	assert_non_null(sim);
	memset(t, 0, sizeof(*t));
	struct synack_sim_hooks hooks = {.link_event = on_link_event, .stack_trace = on_stack_trace, .ctx = t};
	synack_sim_set_hooks(sim, &hooks);
	assert_int_equal(add_stack(sim, ADDR_A, seed + 1), 0);
	assert_int_equal(add_stack(sim, ADDR_B, seed + 2), 1);
	assert_int_equal(synack_sim_link(sim, 0, 1, ab, ba), 0);
	return sim;
}

static void ping(struct synack_sim *sim, int from, uint32_t dst, uint16_t seq)
{
	uint8_t data[32] = {0};
	assert_int_equal(synack_ping(synack_sim_stack(sim, from), dst, 1, seq, data, sizeof(data),
	                             synack_sim_now(sim)),
	                 0);
}

/* ---- tests ---- */

static void test_sim_ping_perfect_link(void **state)
{
	(void)state;
	struct trace_log t;
	struct synack_link_model m = {.delay_us = SYNACK_MS(5)};
	struct synack_sim *sim = stack_pair(1, &m, &m, &t);

	ping(sim, 0, ADDR_B, 1);
	assert_true(synack_sim_run(sim, SYNACK_SEC(10)));
	assert_int_equal(t.echo_replies[0], 1);
	assert_int_equal(t.echo_replies[1], 0);
	assert_int_equal(t.echo_seq[0][0], 1);
	assert_int_equal(t.echo_at[0][0], SYNACK_MS(10)); /* exactly two one-way delays */
	assert_int_equal(synack_sim_now(sim), SYNACK_MS(10));

	struct synack_sim_link_stats s;
	assert_int_equal(synack_sim_link_stats(sim, 0, 1, &s), 0);
	assert_int_equal(s.sent, 1);
	assert_int_equal(s.delivered, 1);
	assert_int_equal(s.lost + s.duplicated + s.corrupted, 0);
	assert_int_equal(synack_sim_link_stats(sim, 1, 0, &s), 0);
	assert_int_equal(s.sent, 1);
	assert_int_equal(s.delivered, 1);
	assert_int_equal(t.link_events[SYNACK_SIM_SENT], 2);
	assert_int_equal(t.link_events[SYNACK_SIM_DELIVERED], 2);

	/* B pings A too: the network is symmetric. */
	ping(sim, 1, ADDR_A, 9);
	assert_true(synack_sim_run(sim, SYNACK_SEC(10)));
	assert_int_equal(t.echo_replies[1], 1);
	assert_int_equal(t.echo_at[1][0], SYNACK_MS(20));
	synack_sim_free(sim);
}

static void test_sim_loss_rate(void **state)
{
	(void)state;
	enum { N = 10000 };
	struct raw_pair p;
	struct synack_link_model m = {.loss = 0.2, .delay_us = 100};
	raw_pair_new(&p, 12345, &m, N);
	for (int i = 0; i < N; i++)
		inject_seq(p.sim, p.a, ADDR_A, ADDR_B, (uint16_t)i, 64);
	assert_true(synack_sim_run(p.sim, SYNACK_SEC(1)));

	struct synack_sim_link_stats s;
	assert_int_equal(synack_sim_link_stats(p.sim, p.a, p.b, &s), 0);
	assert_int_equal(s.sent, N);
	assert_int_equal(s.lost + s.delivered, N);
	assert_int_equal(s.delivered, p.rx_b.n);
	/* Binomial(10000, 0.2): sd = 40.  +-200 is 5 sd; the seed is fixed, so
	 * this is a check that the rate is right, never a flaky one. */
	assert_in_range(s.lost, 1800, 2200);
	/* Survivors keep their order on a link without jitter or reordering. */
	for (size_t i = 1; i < p.rx_b.n; i++)
		assert_true(p.rx_b.seq[i - 1] < p.rx_b.seq[i]);
	raw_pair_free(&p);
}

static void test_sim_duplication(void **state)
{
	(void)state;
	struct raw_pair p;
	struct synack_link_model m = {.duplicate = 1.0, .delay_us = 1000};
	raw_pair_new(&p, 7, &m, 64);
	for (int i = 0; i < 10; i++)
		inject_seq(p.sim, p.a, ADDR_A, ADDR_B, (uint16_t)i, 100);
	assert_true(synack_sim_run(p.sim, SYNACK_SEC(1)));
	assert_int_equal(p.rx_b.n, 20);
	int count[10] = {0};
	for (size_t i = 0; i < p.rx_b.n; i++) {
		assert_true(p.rx_b.seq[i] < 10);
		count[p.rx_b.seq[i]]++;
		assert_int_equal(p.rx_b.at[i], 1000);
	}
	for (int i = 0; i < 10; i++)
		assert_int_equal(count[i], 2);
	struct synack_sim_link_stats s;
	assert_int_equal(synack_sim_link_stats(p.sim, p.a, p.b, &s), 0);
	assert_int_equal(s.sent, 10);
	assert_int_equal(s.duplicated, 10);
	assert_int_equal(s.delivered, 20);
	raw_pair_free(&p);

	/* With jitter, each copy has its own delay draw. */
	struct synack_link_model jit = {.duplicate = 1.0, .delay_us = 1000, .jitter_us = 1000};
	raw_pair_new(&p, 8, &jit, 64);
	for (int i = 0; i < 10; i++)
		inject_seq(p.sim, p.a, ADDR_A, ADDR_B, (uint16_t)i, 100);
	assert_true(synack_sim_run(p.sim, SYNACK_SEC(1)));
	assert_int_equal(p.rx_b.n, 20);
	synack_time_t first[10] = {0};
	int differ = 0;
	for (size_t i = 0; i < p.rx_b.n; i++) {
		uint16_t q = p.rx_b.seq[i];
		assert_true(q < 10);
		assert_in_range(p.rx_b.at[i], 1000, 2000);
		if (first[q] == 0)
			first[q] = p.rx_b.at[i];
		else
			differ += first[q] != p.rx_b.at[i];
	}
	assert_true(differ >= 8); /* two equal draws out of 1001 values are rare */
	raw_pair_free(&p);
}

static void test_sim_duplicate_ping_answered_twice(void **state)
{
	(void)state;
	struct trace_log t;
	struct synack_link_model dup = {.duplicate = 1.0, .delay_us = SYNACK_MS(1)};
	struct synack_sim *sim = stack_pair(3, &dup, NULL, &t);
	ping(sim, 0, ADDR_B, 5);
	assert_true(synack_sim_run(sim, SYNACK_SEC(1)));
	assert_int_equal(synack_get_counters(synack_sim_stack(sim, 1))->IcmpInEchos, 2);
	assert_int_equal(t.echo_replies[0], 2);
	assert_int_equal(t.echo_at[0][0], SYNACK_MS(1));
	assert_int_equal(t.echo_at[0][1], SYNACK_MS(1));
	synack_sim_free(sim);
}

static int popcount8(uint8_t x)
{
	int n = 0;
	for (; x; x &= (uint8_t)(x - 1))
		n++;
	return n;
}

static void test_sim_corruption_flips_one_bit(void **state)
{
	(void)state;
	struct raw_pair p;
	struct synack_link_model m = {.corrupt = 1.0};
	raw_pair_new(&p, 99, &m, 64);
	uint8_t sent[200];
	for (int i = 0; i < 50; i++) {
		size_t n = make_pkt(sent, sizeof(sent), ADDR_A, ADDR_B, 3, sizeof(sent));
		synack_sim_inject(p.sim, p.a, sent, n);
		assert_true(synack_sim_run(p.sim, SYNACK_SEC(1)));
		assert_int_equal(p.rx_b.n, (size_t)i + 1);
		assert_int_equal(p.rx_b.last_len, n);
		int flipped = 0;
		for (size_t k = 0; k < n; k++)
			flipped += popcount8(sent[k] ^ p.rx_b.last[k]);
		assert_int_equal(flipped, 1);
	}
	struct synack_sim_link_stats s;
	assert_int_equal(synack_sim_link_stats(p.sim, p.a, p.b, &s), 0);
	assert_int_equal(s.corrupted, 50);
	assert_int_equal(s.delivered, 50);
	raw_pair_free(&p);
}

static void test_sim_corrupted_pings_dropped_by_checksum(void **state)
{
	(void)state;
	enum { N = 40 };
	struct trace_log t;
	struct synack_link_model bad = {.corrupt = 1.0, .delay_us = SYNACK_MS(1)};
	struct synack_sim *sim = stack_pair(5, &bad, NULL, &t);
	for (uint16_t i = 0; i < N; i++)
		ping(sim, 0, ADDR_B, i);
	assert_true(synack_sim_run(sim, SYNACK_SEC(1)));

	/* Every packet is 60 bytes, so a flipped bit lands either in the IPv4
	 * header (caught by its checksum or a header check: IpInHdrErrors) or in
	 * the ICMP message (caught by its checksum): nothing is answered. */
	const struct synack_counters *c = synack_get_counters(synack_sim_stack(sim, 1));
	assert_int_equal(t.drops[1], N);
	assert_int_equal(c->IpInHdrErrors + c->IcmpInCsumErrors, N);
	assert_true(c->IpInHdrErrors > 0);  /* with this seed both kinds occur */
	assert_true(c->IcmpInCsumErrors > 0);
	assert_true(c->IpExtInCsumErrors > 0);
	assert_int_equal(c->IcmpInEchos, 0);
	assert_int_equal(c->IcmpOutEchoReps, 0);
	assert_int_equal(t.echo_replies[0], 0);
	assert_int_equal(t.link_events[SYNACK_SIM_CORRUPTED], N);
	synack_sim_free(sim);
}

static void test_sim_reordering(void **state)
{
	(void)state;
	struct raw_pair p;
	struct synack_link_model held = {.reorder = 1.0, .reorder_delay_us = SYNACK_MS(10), .delay_us = SYNACK_MS(1)};
	struct synack_link_model plain = {.delay_us = SYNACK_MS(1)};
	raw_pair_new(&p, 11, &held, 8);
	inject_seq(p.sim, p.a, ADDR_A, ADDR_B, 1, 64);
	assert_int_equal(synack_sim_set_model(p.sim, p.a, p.b, &plain), 0);
	synack_sim_run_until(p.sim, 100); /* packet 2 leaves later than packet 1 */
	inject_seq(p.sim, p.a, ADDR_A, ADDR_B, 2, 64);
	assert_true(synack_sim_run(p.sim, SYNACK_SEC(1)));
	assert_int_equal(p.rx_b.n, 2);
	assert_int_equal(p.rx_b.seq[0], 2);
	assert_int_equal(p.rx_b.at[0], 100 + SYNACK_MS(1));
	assert_int_equal(p.rx_b.seq[1], 1);
	assert_int_equal(p.rx_b.at[1], SYNACK_MS(11));
	raw_pair_free(&p);
}

static void test_sim_jitter_within_bounds(void **state)
{
	(void)state;
	enum { N = 500 };
	struct raw_pair p;
	struct synack_link_model m = {.delay_us = 1000, .jitter_us = 500};
	raw_pair_new(&p, 21, &m, N);
	for (int i = 0; i < N; i++)
		inject_seq(p.sim, p.a, ADDR_A, ADDR_B, (uint16_t)i, 64);
	assert_true(synack_sim_run(p.sim, SYNACK_SEC(1)));
	assert_int_equal(p.rx_b.n, N);
	synack_time_t lo = SYNACK_TIME_NEVER, hi = 0;
	size_t inversions = 0;
	for (size_t i = 0; i < p.rx_b.n; i++) {
		lo = p.rx_b.at[i] < lo ? p.rx_b.at[i] : lo;
		hi = p.rx_b.at[i] > hi ? p.rx_b.at[i] : hi;
		if (i > 0 && p.rx_b.seq[i] < p.rx_b.seq[i - 1])
			inversions++;
		if (i > 0)
			assert_true(p.rx_b.at[i - 1] <= p.rx_b.at[i]); /* clock never goes back */
	}
	assert_in_range(lo, 1000, 1010); /* 500 uniform draws over 501 values */
	assert_in_range(hi, 1490, 1500);
	assert_true(inversions > 0); /* jitter reorders packets sent together */
	raw_pair_free(&p);
}

static void test_sim_bandwidth_serializes(void **state)
{
	(void)state;
	struct raw_pair p;
	struct synack_link_model m = {.bandwidth_bps = 12000000, .delay_us = 500};
	raw_pair_new(&p, 13, &m, 8);
	for (int i = 0; i < 3; i++)
		inject_seq(p.sim, p.a, ADDR_A, ADDR_B, (uint16_t)i, 1500);
	assert_true(synack_sim_run(p.sim, SYNACK_SEC(1)));
	/* 1500 bytes = 12,000 bits = 1 ms at 12 Mbit/s, queued FIFO. */
	assert_int_equal(p.rx_b.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(p.rx_b.seq[i], i);
		assert_int_equal(p.rx_b.at[i], 500 + SYNACK_MS(1) * (synack_time_t)(i + 1));
	}
	/* Once the queue has drained, a new packet does not wait for it. */
	synack_sim_run_until(p.sim, SYNACK_MS(10));
	inject_seq(p.sim, p.a, ADDR_A, ADDR_B, 3, 1500);
	assert_true(synack_sim_run(p.sim, SYNACK_SEC(1)));
	assert_int_equal(p.rx_b.n, 4);
	assert_int_equal(p.rx_b.at[3], SYNACK_MS(11) + 500);
	raw_pair_free(&p);
}

static void test_sim_bandwidth_keeps_fractions(void **state)
{
	(void)state;
	struct raw_pair p;
	/* 100 bytes at 1 Gbit/s = 0.8 us each: 1000 of them take 800 us, not
	 * 1000 us of rounded-up microseconds. */
	struct synack_link_model m = {.bandwidth_bps = 1000000000};
	raw_pair_new(&p, 17, &m, 1000);
	for (int i = 0; i < 1000; i++)
		inject_seq(p.sim, p.a, ADDR_A, ADDR_B, (uint16_t)i, 100);
	assert_true(synack_sim_run(p.sim, SYNACK_SEC(1)));
	assert_int_equal(p.rx_b.n, 1000);
	assert_int_equal(p.rx_b.at[0], 1);   /* 0.8 us, delivered when complete */
	assert_int_equal(p.rx_b.at[4], 4);   /* exactly 4.0 us */
	assert_int_equal(p.rx_b.at[999], 800);
	raw_pair_free(&p);
}

struct nth_filter {
	int calls, drop_nth;
};

static bool drop_nth(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)pkt;
	(void)len;
	(void)now;
	struct nth_filter *f = ctx;
	return ++f->calls == f->drop_nth;
}

static void test_sim_filter_drops_exactly_second(void **state)
{
	(void)state;
	struct raw_pair p;
	struct trace_log t = {0};
	struct synack_link_model m = {.delay_us = 10};
	raw_pair_new(&p, 19, &m, 8);
	struct synack_sim_hooks hooks = {.link_event = on_link_event, .ctx = &t};
	synack_sim_set_hooks(p.sim, &hooks);
	struct nth_filter f = {.drop_nth = 2};
	assert_int_equal(synack_sim_set_filter(p.sim, p.a, p.b, drop_nth, &f), 0);
	for (uint16_t i = 1; i <= 5; i++)
		inject_seq(p.sim, p.a, ADDR_A, ADDR_B, i, 64);
	assert_true(synack_sim_run(p.sim, SYNACK_SEC(1)));
	assert_int_equal(f.calls, 5);
	assert_int_equal(p.rx_b.n, 4);
	const uint16_t want[] = {1, 3, 4, 5};
	for (int i = 0; i < 4; i++)
		assert_int_equal(p.rx_b.seq[i], want[i]);
	struct synack_sim_link_stats s;
	assert_int_equal(synack_sim_link_stats(p.sim, p.a, p.b, &s), 0);
	assert_int_equal(s.sent, 5);
	assert_int_equal(s.lost, 1);
	assert_int_equal(s.delivered, 4);
	assert_int_equal(t.link_events[SYNACK_SIM_LOST], 1);
	/* Removing the filter lets everything through again. */
	assert_int_equal(synack_sim_set_filter(p.sim, p.a, p.b, NULL, NULL), 0);
	inject_seq(p.sim, p.a, ADDR_A, ADDR_B, 6, 64);
	assert_true(synack_sim_run(p.sim, SYNACK_SEC(1)));
	assert_int_equal(p.rx_b.n, 5);
	raw_pair_free(&p);
}

/* The filter comes first, and it does not reshuffle the fault model: with
 * the same seed, dropping packet 2 by filter leaves every other packet's
 * fate (lost or not, and its delay) as it was without the filter. */
static void test_sim_filter_first_and_fates_unchanged(void **state)
{
	(void)state;
	enum { N = 100 };
	struct synack_link_model m = {.loss = 0.3, .delay_us = 100, .jitter_us = 100};
	struct raw_pair plain, filtered;
	raw_pair_new(&plain, 31, &m, N);
	raw_pair_new(&filtered, 31, &m, N);
	struct nth_filter f = {.drop_nth = 2};
	assert_int_equal(synack_sim_set_filter(filtered.sim, 0, 1, drop_nth, &f), 0);
	for (uint16_t i = 1; i <= N; i++) {
		inject_seq(plain.sim, 0, ADDR_A, ADDR_B, i, 64);
		inject_seq(filtered.sim, 0, ADDR_A, ADDR_B, i, 64);
	}
	assert_true(synack_sim_run(plain.sim, SYNACK_SEC(1)));
	assert_true(synack_sim_run(filtered.sim, SYNACK_SEC(1)));
	assert_int_equal(f.calls, N); /* consulted for every packet, lost or not */
	size_t j = 0;
	for (size_t i = 0; i < plain.rx_b.n; i++) {
		if (plain.rx_b.seq[i] == 2)
			continue;
		assert_true(j < filtered.rx_b.n);
		assert_int_equal(plain.rx_b.seq[i], filtered.rx_b.seq[j]);
		assert_int_equal(plain.rx_b.at[i], filtered.rx_b.at[j]);
		j++;
	}
	assert_int_equal(j, filtered.rx_b.n);
	raw_pair_free(&plain);
	raw_pair_free(&filtered);

	/* Even a link that loses everything shows the filter every packet. */
	struct synack_link_model all = {.loss = 1.0};
	raw_pair_new(&plain, 32, &all, 8);
	struct nth_filter g = {.drop_nth = 0};
	assert_int_equal(synack_sim_set_filter(plain.sim, 0, 1, drop_nth, &g), 0);
	for (uint16_t i = 0; i < 5; i++)
		inject_seq(plain.sim, 0, ADDR_A, ADDR_B, i, 64);
	assert_int_equal(g.calls, 5);
	assert_true(synack_sim_run(plain.sim, SYNACK_SEC(1)));
	assert_int_equal(plain.rx_b.n, 0);
	raw_pair_free(&plain);
}

/* synack_sim_at: each call logs its tag and the virtual time it ran at. */
struct call_log {
	int n;
	char tag[16];
	synack_time_t at[16];
};

struct call {
	struct call_log *log;
	char tag;
};

static void log_call(void *ctx, struct synack_sim *sim)
{
	struct call *c = ctx;
	assert_true(c->log->n < 16);
	c->log->tag[c->log->n] = c->tag;
	c->log->at[c->log->n] = synack_sim_now(sim);
	c->log->n++;
}

static void log_and_chain(void *ctx, struct synack_sim *sim)
{
	struct call *c = ctx;
	log_call(ctx, sim);
	/* Scheduled at the current instant: runs after those already queued. */
	assert_int_equal(synack_sim_at(sim, synack_sim_now(sim), log_call, c + 1), 0);
}

static void test_sim_at_ordering(void **state)
{
	(void)state;
	struct synack_sim *sim = synack_sim_new(0);
	assert_non_null(sim);
	struct call_log log = {0};
	struct call c[] = {{&log, 'd'}, {&log, 'a'}, {&log, 'c'}, {&log, 'b'}, {&log, 'e'}};
	assert_int_equal(synack_sim_at(sim, 30, log_call, &c[0]), 0);
	assert_int_equal(synack_sim_at(sim, 10, log_and_chain, &c[1]), 0); /* chains c[2] */
	assert_int_equal(synack_sim_at(sim, 10, log_call, &c[3]), 0);
	assert_int_equal(synack_sim_at(sim, 10, NULL, NULL), -EINVAL);
	assert_true(synack_sim_run(sim, SYNACK_TIME_NEVER));
	assert_int_equal(log.n, 4);
	assert_memory_equal(log.tag, "abcd", 4);
	const synack_time_t want[] = {10, 10, 10, 30};
	for (int i = 0; i < 4; i++)
		assert_int_equal(log.at[i], want[i]);
	assert_int_equal(synack_sim_now(sim), 30);

	/* A time already past runs now: the clock never goes back. */
	assert_int_equal(synack_sim_at(sim, 5, log_call, &c[4]), 0);
	assert_true(synack_sim_step(sim));
	assert_int_equal(log.tag[4], 'e');
	assert_int_equal(log.at[4], 30);
	assert_false(synack_sim_step(sim));
	synack_sim_free(sim);
}

static void test_sim_run_limit_and_run_until(void **state)
{
	(void)state;
	struct synack_sim *sim = synack_sim_new(0);
	assert_non_null(sim);
	assert_false(synack_sim_step(sim));
	assert_true(synack_sim_run(sim, 0)); /* empty: idle at once */
	struct call_log log = {0};
	struct call c = {&log, 'x'};
	assert_int_equal(synack_sim_at(sim, SYNACK_SEC(5), log_call, &c), 0);
	assert_false(synack_sim_run(sim, SYNACK_SEC(1))); /* not idle, stopped */
	assert_int_equal(log.n, 0);
	assert_true(synack_sim_now(sim) <= SYNACK_SEC(1));
	synack_sim_run_until(sim, SYNACK_SEC(5));
	assert_int_equal(log.n, 1); /* "up to and including" */
	assert_int_equal(log.at[0], SYNACK_SEC(5));
	synack_sim_run_until(sim, SYNACK_SEC(7));
	assert_int_equal(synack_sim_now(sim), SYNACK_SEC(7));
	synack_sim_run_until(sim, SYNACK_SEC(6)); /* never backwards */
	assert_int_equal(synack_sim_now(sim), SYNACK_SEC(7));
	synack_sim_free(sim);
}

static void test_sim_no_route(void **state)
{
	(void)state;
	struct trace_log t;
	struct synack_sim *sim = stack_pair(23, NULL, NULL, &t);
	int c = synack_sim_add_raw(sim, ADDR_C, NULL, NULL); /* exists, but unlinked */
	assert_int_equal(c, 2);

	ping(sim, 0, ADDR_C, 1);
	assert_int_equal(t.link_events[SYNACK_SIM_NO_ROUTE], 1);
	assert_int_equal(t.no_route_to, -1);
	ping(sim, 0, 0x0a0000fe, 2); /* nobody has this address */
	assert_int_equal(t.link_events[SYNACK_SIM_NO_ROUTE], 2);
	const uint8_t runt[19] = {0x45}; /* too short to carry a destination */
	synack_sim_inject(sim, 0, runt, sizeof(runt));
	assert_int_equal(t.link_events[SYNACK_SIM_NO_ROUTE], 3);
	assert_int_equal(t.no_route_len, sizeof(runt));
	assert_true(synack_sim_run(sim, SYNACK_SEC(1)));

	struct synack_sim_link_stats s;
	assert_int_equal(synack_sim_link_stats(sim, 0, 1, &s), 0);
	assert_int_equal(s.sent, 0);
	assert_int_equal(t.link_events[SYNACK_SIM_SENT], 0);
	assert_int_equal(synack_sim_link_stats(sim, 0, 2, &s), -ENOENT);
	assert_int_equal(synack_sim_link_stats(sim, 0, 9, &s), -EINVAL);
	synack_sim_free(sim);
}

static void test_sim_link_errors(void **state)
{
	(void)state;
	struct synack_sim *sim = synack_sim_new(0);
	assert_non_null(sim);
	int a = synack_sim_add_raw(sim, ADDR_A, NULL, NULL);
	int b = synack_sim_add_raw(sim, ADDR_B, NULL, NULL);
	struct synack_link_model bad = {.loss = 1.5};
	assert_int_equal(synack_sim_link(sim, a, a, NULL, NULL), -EINVAL);
	assert_int_equal(synack_sim_link(sim, a, 7, NULL, NULL), -EINVAL);
	assert_int_equal(synack_sim_link(sim, a, b, &bad, NULL), -EINVAL);
	assert_int_equal(synack_sim_set_model(sim, a, b, NULL), -ENOENT);
	assert_int_equal(synack_sim_link(sim, a, b, NULL, NULL), 0);
	assert_int_equal(synack_sim_link(sim, a, b, NULL, NULL), -EEXIST);
	assert_int_equal(synack_sim_link(sim, b, a, NULL, NULL), -EEXIST);
	assert_int_equal(synack_sim_set_model(sim, b, a, &bad), -EINVAL);
	assert_int_equal(synack_sim_set_model(sim, b, a, NULL), 0);
	assert_null(synack_sim_stack(sim, a)); /* raw */
	assert_null(synack_sim_stack(sim, 5));
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.addr = 0; /* the stack refuses it; the sim passes the errno on */
	assert_int_equal(synack_sim_add_stack(sim, &cfg), -EINVAL);
	synack_sim_free(sim);
}

/* Two sims in one process share nothing: with the same seed and the same
 * inputs, interleaving their work changes nothing (a shared PRNG would hand
 * them alternate draws and they would differ). */
static void test_sim_two_sims_independent(void **state)
{
	(void)state;
	struct synack_link_model m = {.loss = 0.5, .jitter_us = 1000};
	struct raw_pair p, q;
	raw_pair_new(&p, 77, &m, 200);
	raw_pair_new(&q, 77, &m, 200);
	for (int i = 0; i < 200; i++) {
		inject_seq(p.sim, p.a, ADDR_A, ADDR_B, (uint16_t)i, 64);
		inject_seq(q.sim, q.a, ADDR_A, ADDR_B, (uint16_t)i, 64);
	}
	for (;;) { /* strictly alternating steps */
		bool more_p = synack_sim_step(p.sim);
		bool more_q = synack_sim_step(q.sim);
		if (!more_p && !more_q)
			break;
	}
	assert_int_equal(p.rx_b.n, q.rx_b.n);
	assert_true(p.rx_b.n > 50 && p.rx_b.n < 150);
	for (size_t i = 0; i < p.rx_b.n; i++) {
		assert_int_equal(p.rx_b.seq[i], q.rx_b.seq[i]);
		assert_int_equal(p.rx_b.at[i], q.rx_b.at[i]);
	}
	raw_pair_free(&p);
	raw_pair_free(&q);
}

static uint32_t le32_at(const char *b, size_t off)
{
	const uint8_t *p = (const uint8_t *)b + off;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A raw host has no stack trace: the sim records what it sends (inject) and
 * receives (delivery) itself, stamped with virtual time. */
static void test_sim_capture_raw_nodes(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	assert_non_null(f);
	struct synack_pcap *pcap = synack_pcap_open_stream(f);
	assert_non_null(pcap);
	struct raw_pair p;
	struct synack_link_model m = {.delay_us = 1500};
	raw_pair_new(&p, 41, &m, 8);
	synack_sim_capture(p.sim, p.a, pcap);
	synack_sim_capture(p.sim, p.a, pcap); /* twice: still one record per packet */
	synack_sim_capture(p.sim, p.b, pcap);
	synack_sim_run_until(p.sim, SYNACK_SEC(2));
	inject_seq(p.sim, p.a, ADDR_A, ADDR_B, 1, 64);
	assert_true(synack_sim_run(p.sim, SYNACK_SEC(10)));
	raw_pair_free(&p);
	assert_int_equal(synack_pcap_close(pcap), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(size, 24 + 2 * (16 + 64));
	assert_int_equal(le32_at(buf, 24), 2);        /* sent at 2.000000 s */
	assert_int_equal(le32_at(buf, 28), 0);
	assert_int_equal(le32_at(buf, 24 + 80), 2);   /* received at 2.001500 s */
	assert_int_equal(le32_at(buf, 28 + 80), 1500);
	free(buf);
}

/* ---- replay ---- */

struct replay {
	struct synack_sim *sim;
	uint16_t sent;
	struct trace_log t;
};

static void replay_tick(void *ctx, struct synack_sim *sim)
{
	struct replay *r = ctx;
	ping(sim, 0, ADDR_B, r->sent);
	ping(sim, 1, ADDR_A, r->sent);
	if (++r->sent < 200)
		assert_int_equal(synack_sim_at(sim, synack_sim_now(sim) + SYNACK_MS(2), replay_tick, r), 0);
}

/* Two stacks ping each other 200 times over a link with every fault;
 * returns the pcap of both nodes' views (malloc'd). */
static char *replay_run(uint64_t seed, size_t *size)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, size);
	assert_non_null(f);
	struct synack_pcap *pcap = synack_pcap_open_stream(f);
	assert_non_null(pcap);
	struct synack_link_model m = {
		.loss = 0.1, .duplicate = 0.05, .corrupt = 0.05, .reorder = 0.1,
		.delay_us = SYNACK_MS(10), .jitter_us = SYNACK_MS(3), .reorder_delay_us = SYNACK_MS(8),
		.bandwidth_bps = 10000000,
	};
	struct replay r = {0};
	r.sim = stack_pair(seed, &m, &m, &r.t);
	synack_sim_capture(r.sim, 0, pcap);
	synack_sim_capture(r.sim, 1, pcap);
	assert_int_equal(synack_sim_at(r.sim, SYNACK_MS(1), replay_tick, &r), 0);
	assert_true(synack_sim_run(r.sim, SYNACK_SEC(60)));
	assert_int_equal(r.sent, 200);
	/* The faults really happened, and most pings still came back. */
	for (int d = 0; d < 2; d++) {
		struct synack_sim_link_stats s;
		assert_int_equal(synack_sim_link_stats(r.sim, d, 1 - d, &s), 0);
		assert_true(s.lost > 0 && s.duplicated > 0 && s.corrupted > 0);
		assert_in_range(r.t.echo_replies[d], 100, 230);
	}
	synack_sim_free(r.sim);
	assert_int_equal(synack_pcap_close(pcap), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(*size > 24 + 200 * 4 * 16);
	return buf;
}

static void test_sim_replay_is_bit_identical(void **state)
{
	(void)state;
	size_t n1, n2, n3;
	char *run1 = replay_run(2024, &n1);
	char *run2 = replay_run(2024, &n2);
	char *run3 = replay_run(2025, &n3);
	assert_int_equal(n1, n2);
	assert_memory_equal(run1, run2, n1);
	assert_true(n1 != n3 || memcmp(run1, run3, n1) != 0);
	free(run1);
	free(run2);
	free(run3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_ping_perfect_link),
		cmocka_unit_test(test_sim_loss_rate),
		cmocka_unit_test(test_sim_duplication),
		cmocka_unit_test(test_sim_duplicate_ping_answered_twice),
		cmocka_unit_test(test_sim_corruption_flips_one_bit),
		cmocka_unit_test(test_sim_corrupted_pings_dropped_by_checksum),
		cmocka_unit_test(test_sim_reordering),
		cmocka_unit_test(test_sim_jitter_within_bounds),
		cmocka_unit_test(test_sim_bandwidth_serializes),
		cmocka_unit_test(test_sim_bandwidth_keeps_fractions),
		cmocka_unit_test(test_sim_filter_drops_exactly_second),
		cmocka_unit_test(test_sim_filter_first_and_fates_unchanged),
		cmocka_unit_test(test_sim_at_ordering),
		cmocka_unit_test(test_sim_run_limit_and_run_until),
		cmocka_unit_test(test_sim_no_route),
		cmocka_unit_test(test_sim_link_errors),
		cmocka_unit_test(test_sim_two_sims_independent),
		cmocka_unit_test(test_sim_capture_raw_nodes),
		cmocka_unit_test(test_sim_replay_is_bit_identical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
