/* The stack object: IPv4 demultiplexing, ICMP echo, counters, the trace, and
 * independence of stacks.  Malformed packets (SPEC W02, W03) are fed through
 * synack_input and must each land in their own counter with no reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "synack/synack.h"
#include "synack/wire.h"

#define US 0xc0000202u   /* 192.0.2.2: the stack under test */
#define PEER 0xc0000201u /* 192.0.2.1 */

struct capture {
	int tx_count;
	uint8_t last[2048];
	size_t last_len;
	int drops;
	enum synack_counter_id last_drop;
	int pkt_in;
	int echo_replies;
};

static void cap_tx(void *ctx, const uint8_t *pkt, size_t len)
{
	struct capture *c = ctx;
	c->tx_count++;
	c->last_len = len < sizeof(c->last) ? len : sizeof(c->last);
	memcpy(c->last, pkt, c->last_len);
}

static void cap_trace(void *ctx, const struct synack_trace *ev)
{
	struct capture *c = ctx;
	if (ev->kind == SYNACK_TRACE_DROP) {
		c->drops++;
		c->last_drop = ev->counter;
	} else if (ev->kind == SYNACK_TRACE_PKT_IN) {
		c->pkt_in++;
	} else if (ev->kind == SYNACK_TRACE_ECHO_REPLY) {
		c->echo_replies++;
	}
}

static struct synack_stack *new_stack(struct capture *c, uint32_t addr, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.addr = addr;
	cfg.seed = seed;
	struct synack_hooks hooks = {.tx = cap_tx, .trace = cap_trace, .ctx = c};
	struct synack_stack *st = synack_stack_new(&cfg, &hooks, NULL);
	assert_non_null(st);
	return st;
}

static size_t build_ping(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst)
{
	struct synack_ipv4 ip = {.src = src, .dst = dst, .ttl = 64, .id = 1};
	struct synack_icmp m = {.type = SYNACK_ICMP_ECHO_REQUEST, .id = 77, .seq = 3,
	                        .data = (const uint8_t *)"abcdef", .data_len = 6};
	return synack_icmp_echo_build(buf, cap, &ip, &m);
}

static size_t build_syn(uint8_t *buf, size_t cap)
{
	struct synack_ipv4 ip = {.src = PEER, .dst = US, .ttl = 64, .id = 2, .df = true};
	struct synack_tcp_seg s = {.sport = 40000, .dport = 80, .seq = 1000, .flags = SYNACK_TCP_SYN,
	                           .window = 65535};
	s.opt.present = SYNACK_OPT_MSS | SYNACK_OPT_TS;
	s.opt.mss = 1460;
	s.opt.ts_val = 5;
	return synack_tcp_build(buf, cap, &ip, &s);
}

static uint64_t ctr(struct synack_stack *st, enum synack_counter_id id)
{
	return synack_counter_value(synack_get_counters(st), id);
}

static void test_stack_rejects_bad_config(void **state)
{
	(void)state;
	struct synack_config cfg;
	synack_config_default(&cfg);
	struct capture c;
	struct synack_hooks hooks = {.tx = cap_tx, .ctx = &c};
	int err = 0;
	cfg.addr = 0;
	assert_null(synack_stack_new(&cfg, &hooks, &err));
	assert_int_equal(err, -22);
	synack_config_default(&cfg);
	struct synack_hooks no_tx = {0};
	assert_null(synack_stack_new(&cfg, &no_tx, &err));
	assert_int_equal(err, -22);
	cfg.mtu = 40;
	assert_null(synack_stack_new(&cfg, &hooks, &err));
	assert_int_equal(err, -22);
}

static void test_icmp_echo_is_answered(void **state)
{
	(void)state;
	struct capture c;
	struct synack_stack *st = new_stack(&c, US, 1);
	uint8_t pkt[128];
	size_t n = build_ping(pkt, sizeof(pkt), PEER, US);
	synack_input(st, pkt, n, 1000);
	assert_int_equal(c.tx_count, 1);
	struct synack_ipv4 ip;
	assert_int_equal(synack_ipv4_parse(c.last, c.last_len, &ip), SYNACK_WIRE_OK);
	assert_int_equal(ip.src, US);
	assert_int_equal(ip.dst, PEER);
	struct synack_icmp m;
	assert_int_equal(synack_icmp_parse(ip.payload, ip.payload_len, &m), SYNACK_WIRE_OK);
	assert_int_equal(m.type, SYNACK_ICMP_ECHO_REPLY);
	assert_int_equal(m.id, 77);
	assert_int_equal(m.seq, 3);
	assert_int_equal(m.data_len, 6);
	assert_memory_equal(m.data, "abcdef", 6);
	assert_int_equal(ctr(st, SYNACK_CTR_IcmpInEchos), 1);
	assert_int_equal(ctr(st, SYNACK_CTR_IcmpOutEchoReps), 1);
	assert_int_equal(ctr(st, SYNACK_CTR_IpOutRequests), 1);
	synack_stack_free(st);
}

static void test_icmp_echo_ignore_all(void **state)
{
	(void)state;
	struct capture c;
	memset(&c, 0, sizeof(c));
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.addr = US;
	cfg.icmp_echo_ignore_all = true;
	struct synack_hooks hooks = {.tx = cap_tx, .ctx = &c};
	struct synack_stack *st = synack_stack_new(&cfg, &hooks, NULL);
	uint8_t pkt[128];
	size_t n = build_ping(pkt, sizeof(pkt), PEER, US);
	synack_input(st, pkt, n, 0);
	assert_int_equal(c.tx_count, 0);
	assert_int_equal(ctr(st, SYNACK_CTR_IcmpInEchos), 1);
	synack_stack_free(st);
}

static void test_ping_reply_reaches_trace(void **state)
{
	(void)state;
	struct capture a, b;
	struct synack_stack *sa = new_stack(&a, PEER, 1);
	struct synack_stack *sb = new_stack(&b, US, 2);
	assert_int_equal(synack_ping(sa, US, 9, 1, "x", 1, 0), 0);
	assert_int_equal(a.tx_count, 1);
	synack_input(sb, a.last, a.last_len, 10);
	assert_int_equal(b.tx_count, 1);
	synack_input(sa, b.last, b.last_len, 20);
	assert_int_equal(a.echo_replies, 1);
	assert_int_equal(ctr(sa, SYNACK_CTR_IcmpInEchoReps), 1);
	uint8_t big[2000] = {0};
	assert_int_equal(synack_ping(sa, US, 9, 2, big, sizeof(big), 30), -90 /* EMSGSIZE */);
	assert_int_equal(synack_ping(sa, 0, 9, 2, big, 1, 30), -22);
	synack_stack_free(sa);
	synack_stack_free(sb);
}

/* Feeds pkt and checks: no reply, exactly one drop, under `want`. */
static void expect_drop(const uint8_t *pkt, size_t len, enum synack_counter_id want)
{
	struct capture c;
	struct synack_stack *st = new_stack(&c, US, 1);
	synack_input(st, pkt, len, 0);
	assert_int_equal(c.tx_count, 0);
	assert_int_equal(c.pkt_in, 1);
	assert_int_equal(c.drops, 1);
	assert_string_equal(synack_counter_name(c.last_drop), synack_counter_name(want));
	assert_int_equal(ctr(st, want), 1);
	assert_int_equal(ctr(st, SYNACK_CTR_IpInReceives), 1);
	synack_stack_free(st);
}

static void fix_ip_csum(uint8_t *p)
{
	size_t ihl = (size_t)(p[0] & 0xf) * 4;
	p[10] = p[11] = 0;
	uint16_t c = synack_csum_fold(synack_csum_add(0, p, ihl));
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
}

static void test_W03_ip_malformed_each_counted(void **state)
{
	(void)state;
	uint8_t good[128], p[128];
	size_t n = build_ping(good, sizeof(good), PEER, US);

	expect_drop(good, 19, SYNACK_CTR_IpExtInTruncatedPkts);
	memcpy(p, good, n);
	p[0] = 0x65; /* version 6 */
	expect_drop(p, n, SYNACK_CTR_SynackIpInBadVersion);
	memcpy(p, good, n);
	p[0] = 0x44; /* IHL 4 */
	expect_drop(p, n, SYNACK_CTR_SynackIpInBadHdrLen);
	memcpy(p, good, n);
	p[3] = (uint8_t)(n + 10); /* total length says more than we got */
	fix_ip_csum(p);
	expect_drop(p, n, SYNACK_CTR_SynackIpInBadTotLen);
	memcpy(p, good, n);
	p[10] ^= 0x01;
	expect_drop(p, n, SYNACK_CTR_IpExtInCsumErrors);
	memcpy(p, good, n);
	p[6] |= 0x20; /* more fragments */
	fix_ip_csum(p);
	expect_drop(p, n, SYNACK_CTR_IpReasmReqds);
	memcpy(p, good, n);
	p[6] = 0x00;
	p[7] = 0x08; /* fragment offset 8 */
	fix_ip_csum(p);
	expect_drop(p, n, SYNACK_CTR_IpReasmReqds);
}

static void test_W03_source_route_dropped(void **state)
{
	(void)state;
	uint8_t good[128], p[160];
	size_t n = build_ping(good, sizeof(good), PEER, US);
	/* Insert a 4-byte option block (LSRR, len 3, ptr 4, EOL) after the header. */
	memcpy(p, good, 20);
	p[20] = 0x83, p[21] = 3, p[22] = 4, p[23] = 0;
	memcpy(p + 24, good + 20, n - 20);
	p[0] = 0x46;
	p[3] = (uint8_t)(n + 4);
	fix_ip_csum(p);
	expect_drop(p, n + 4, SYNACK_CTR_SynackIpInOptDrops);
	/* The same with a harmless NOP option block is delivered and answered. */
	p[20] = 1, p[21] = 1, p[22] = 1, p[23] = 0;
	fix_ip_csum(p);
	struct capture c;
	struct synack_stack *st = new_stack(&c, US, 1);
	synack_input(st, p, n + 4, 0);
	assert_int_equal(c.tx_count, 1);
	synack_stack_free(st);
}

static void test_W02_bad_checksums_counted(void **state)
{
	(void)state;
	uint8_t p[128];
	size_t n = build_ping(p, sizeof(p), PEER, US);
	p[n - 1] ^= 0x40; /* payload byte: ICMP checksum now wrong */
	expect_drop(p, n, SYNACK_CTR_IcmpInCsumErrors);
	n = build_syn(p, sizeof(p));
	p[n - 1] ^= 0x40; /* last option byte: TCP checksum now wrong */
	expect_drop(p, n, SYNACK_CTR_TcpInCsumErrors);
}

static void test_W03_tcp_malformed_each_counted(void **state)
{
	(void)state;
	uint8_t good[128], p[128];
	size_t n = build_syn(good, sizeof(good));
	/* Truncate the TCP header to 12 bytes (IP length fixed to match). */
	memcpy(p, good, n);
	p[2] = 0, p[3] = 32;
	fix_ip_csum(p);
	expect_drop(p, 32, SYNACK_CTR_SynackTcpInTruncated);
	memcpy(p, good, n);
	p[32] = (uint8_t)((4 << 4) | (p[32] & 0x0f)); /* data offset 4 */
	expect_drop(p, n, SYNACK_CTR_SynackTcpInBadDoff);
	memcpy(p, good, n);
	p[32] = (uint8_t)((15 << 4) | (p[32] & 0x0f)); /* data offset 60 > segment */
	expect_drop(p, n, SYNACK_CTR_SynackTcpInBadDoff);
}

static void test_not_for_us_and_unknown_proto(void **state)
{
	(void)state;
	uint8_t p[128];
	size_t n = build_ping(p, sizeof(p), PEER, 0xc0000299u);
	expect_drop(p, n, SYNACK_CTR_IpInAddrErrors);
	n = build_ping(p, sizeof(p), PEER, US);
	p[9] = 17; /* UDP */
	fix_ip_csum(p);
	expect_drop(p, n, SYNACK_CTR_IpInUnknownProtos);
}

static void test_two_stacks_are_independent(void **state)
{
	(void)state;
	struct capture a, b;
	struct synack_stack *sa = new_stack(&a, US, 1);
	struct synack_stack *sb = new_stack(&b, US, 1);
	uint8_t p[128];
	size_t n = build_ping(p, sizeof(p), PEER, US);
	synack_input(sa, p, n, 0);
	synack_input(sa, p, n, 0);
	assert_int_equal(ctr(sa, SYNACK_CTR_IcmpInEchos), 2);
	assert_int_equal(ctr(sb, SYNACK_CTR_IcmpInEchos), 0);
	assert_int_equal(a.tx_count, 2);
	assert_int_equal(b.tx_count, 0);
	synack_stack_free(sa);
	synack_stack_free(sb);
}

static void test_F03_counter_names_are_nstat_names(void **state)
{
	(void)state;
	assert_string_equal(synack_counter_name(SYNACK_CTR_TcpInCsumErrors), "TcpInCsumErrors");
	assert_string_equal(synack_counter_name(SYNACK_CTR_IpInHdrErrors), "IpInHdrErrors");
	assert_null(synack_counter_name(SYNACK_COUNTER_COUNT));
	for (int i = 0; i < SYNACK_COUNTER_COUNT; i++) {
		assert_non_null(synack_counter_name((enum synack_counter_id)i));
		assert_non_null(synack_counter_help((enum synack_counter_id)i));
	}
}

static void test_idle_stack_has_no_timeout(void **state)
{
	(void)state;
	struct capture c;
	struct synack_stack *st = new_stack(&c, US, 1);
	assert_true(synack_next_timeout(st) == SYNACK_TIME_NEVER);
	synack_poll(st, SYNACK_SEC(3600));
	assert_int_equal(c.tx_count, 0);
	synack_stack_free(st);
}

static void test_random_input_never_crashes(void **state)
{
	(void)state;
	struct capture c;
	struct synack_stack *st = new_stack(&c, US, 1);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	uint8_t p[256];
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(x % sizeof(p));
		for (size_t j = 0; j < n; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			p[j] = (uint8_t)x;
		}
		if (n > 0)
			p[0] = (uint8_t)(0x45 + (p[0] & 1)); /* mostly plausible IPv4 */
		synack_input(st, p, n, (synack_time_t)i);
	}
	assert_int_equal(ctr(st, SYNACK_CTR_IpInReceives), 20000);
	synack_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stack_rejects_bad_config),
		cmocka_unit_test(test_icmp_echo_is_answered),
		cmocka_unit_test(test_icmp_echo_ignore_all),
		cmocka_unit_test(test_ping_reply_reaches_trace),
		cmocka_unit_test(test_W03_ip_malformed_each_counted),
		cmocka_unit_test(test_W03_source_route_dropped),
		cmocka_unit_test(test_W02_bad_checksums_counted),
		cmocka_unit_test(test_W03_tcp_malformed_each_counted),
		cmocka_unit_test(test_not_for_us_and_unknown_proto),
		cmocka_unit_test(test_two_stacks_are_independent),
		cmocka_unit_test(test_F03_counter_names_are_nstat_names),
		cmocka_unit_test(test_idle_stack_has_no_timeout),
		cmocka_unit_test(test_random_input_never_crashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
