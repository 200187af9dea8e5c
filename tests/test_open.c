/* Opening a connection: SPEC H01-H06, H08-H13, on the simulated network,
 * asserting the exact segments (relative seq/ack) and both ends' states. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"

static const struct synack_link_model link10ms = {.delay_us = 10000};

/* A listening server on port 80 and a client connecting to it at t=0. */
static void open_pair(struct scn *x, int *lsock, int *csock)
{
	*lsock = synack_socket(x->s);
	assert_int_equal(synack_bind(x->s, *lsock, 0, 80), 0);
	assert_int_equal(synack_listen(x->s, *lsock, 16), 0);
	*csock = synack_socket(x->c);
	assert_int_equal(synack_connect(x->c, *csock, SERVER_ADDR, 80, scn_now(x)), -EINPROGRESS);
}

static void test_H01_H02_H03_three_way_handshake(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 1, &link10ms, &link10ms, NULL);
	int l, c;
	open_pair(&x, &l, &c);
	scn_run_for(&x, SYNACK_MS(100));
	assert_int_equal(scn_seg_count(&x), 3);
	assert_seg(&x, 0, C, F_SYN, 0, 0, 0);  /* SYN seq=x */
	assert_seg(&x, 1, S, F_SA, 0, 1, 0);   /* SYN+ACK seq=y ack=x+1 */
	assert_seg(&x, 2, C, F_A, 1, 1, 0);    /* ACK seq=x+1 ack=y+1 */
	char buf[256];
	assert_string_equal(scn_states(&x, C, buf, sizeof(buf)), "CLOSED>SYN_SENT SYN_SENT>ESTABLISHED");
	assert_string_equal(scn_states(&x, S, buf, sizeof(buf)),
	                    "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED");
	/* The client is ESTABLISHED one RTT after connect, the server half an RTT later. */
	assert_true(synack_sock_events(x.c, c) & SYNACK_POLLOUT);
	uint32_t pa;
	uint16_t pp;
	int a = synack_accept(x.s, l, &pa, &pp);
	assert_true(a >= 0);
	assert_int_equal(pa, CLIENT_ADDR);
	assert_int_equal(synack_accept(x.s, l, NULL, NULL), -EAGAIN);
	struct synack_sockinfo ci, si;
	assert_int_equal(synack_sockinfo(x.c, c, &ci), 0);
	assert_int_equal(synack_sockinfo(x.s, a, &si), 0);
	assert_int_equal(ci.state, SYNACK_ESTABLISHED);
	assert_int_equal(si.state, SYNACK_ESTABLISHED);
	assert_int_equal(ci.iss, si.irs);
	assert_int_equal(si.iss, ci.irs);
	assert_int_equal(pp, ci.lport);
	/* Options both sides offered are in use (H06). */
	assert_true(ci.ts_ok && ci.sack_ok && si.ts_ok && si.sack_ok);
	assert_int_equal(ci.snd_mss, 1460 - 12);
	const struct synack_counters *cc = synack_get_counters(x.c), *sc = synack_get_counters(x.s);
	assert_int_equal(cc->TcpActiveOpens, 1);
	assert_int_equal(sc->TcpPassiveOpens, 1);
	assert_int_equal(cc->TcpCurrEstab, 1);
	assert_int_equal(sc->TcpCurrEstab, 1);
	scn_free(&x);
}


/* A listening server on port 80 facing a raw client (column C). */
static int listen_raw(struct scn *x, struct rawcap *cap)
{
	scn_init_ex(x, 5, &link10ms, &link10ms, NULL, C, cap);
	int l = synack_socket(x->s);
	assert_int_equal(synack_bind(x->s, l, 0, 80), 0);
	assert_int_equal(synack_listen(x->s, l, 8), 0);
	return l;
}

static void test_H04_syn_payload_not_delivered_third_segment_data_is(void **state)
{
	(void)state;
	struct scn x;
	struct rawcap cap;
	int l = listen_raw(&x, &cap);
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 4000, 80, SYNACK_TCP_SYN, 1000, 0, "early", 5);
	scn_run_for(&x, SYNACK_MS(30));
	const struct synack_tcp_seg *sa = &cap.p[0].seg;
	assert_int_equal(cap.n, 1);
	assert_int_equal(sa->flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
	assert_int_equal(sa->ack, 1001); /* the SYN only: its payload is not acknowledged */
	/* Third segment: ACK carrying data. */
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 4000, 80, SYNACK_TCP_ACK | SYNACK_TCP_PSH, 1001,
	           sa->seq + 1, "hello", 5);
	scn_run_for(&x, SYNACK_MS(30));
	int a = synack_accept(x.s, l, NULL, NULL);
	assert_true(a >= 0);
	char buf[16];
	assert_int_equal(synack_recv(x.s, a, buf, sizeof(buf), scn_now(&x)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(cap.p[cap.n - 1].seg.ack, 1006);
	scn_free(&x);
}

static void test_H13_duplicate_syn_in_syn_rcvd_resends_synack(void **state)
{
	(void)state;
	struct scn x;
	struct rawcap cap;
	listen_raw(&x, &cap);
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 4001, 80, SYNACK_TCP_SYN, 77, 0, NULL, 0);
	scn_run_for(&x, SYNACK_MS(100));
	/* The client's retransmission of the same SYN. */
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 4001, 80, SYNACK_TCP_SYN, 77, 0, NULL, 0);
	scn_run_for(&x, SYNACK_MS(100));
	assert_int_equal(cap.n, 2);
	const struct synack_tcp_seg *a = &cap.p[0].seg, *b = &cap.p[1].seg;
	assert_int_equal(b->flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
	assert_int_equal(a->seq, b->seq); /* the same SYN+ACK again: same ISN, same request */
	assert_int_equal(b->ack, 78);
	assert_int_equal(scn_conns_held(x.s), 2); /* the listener and one request */
	/* Linux counts a passive open when the handshake completes (the child
	 * is created), not per SYN. */
	assert_int_equal(synack_get_counters(x.s)->TcpPassiveOpens, 0);
	scn_free(&x);
}

static void test_H05_isn_changes_per_connection(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 3, &link10ms, &link10ms, NULL);
	int l = synack_socket(x.s);
	synack_bind(x.s, l, 0, 80);
	synack_listen(x.s, l, 16);
	uint32_t iss[4];
	int socks[4];
	for (int i = 0; i < 4; i++) {
		socks[i] = synack_socket(x.c);
		synack_connect(x.c, socks[i], SERVER_ADDR, 80, scn_now(&x));
		scn_run_for(&x, SYNACK_MS(50));
		struct synack_sockinfo ci;
		synack_sockinfo(x.c, socks[i], &ci);
		assert_int_equal(ci.state, SYNACK_ESTABLISHED);
		iss[i] = ci.iss;
	}
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			assert_int_not_equal(iss[i], iss[j]);
	scn_free(&x);
}

static void no_ts(struct synack_config *cfg, int col)
{
	if (col == C) {
		cfg->timestamps = false;
		cfg->mtu = 1000;
	} else {
		cfg->sack = false;
		cfg->window_scaling = true;
		cfg->rmem = 1 << 20;
	}
}

static void test_H06_options_used_only_if_both_sent(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 4, &link10ms, &link10ms, no_ts);
	int l, c;
	open_pair(&x, &l, &c);
	scn_run_for(&x, SYNACK_MS(100));
	int a = synack_accept(x.s, l, NULL, NULL);
	assert_true(a >= 0);
	struct synack_sockinfo ci, si;
	synack_sockinfo(x.c, c, &ci);
	synack_sockinfo(x.s, a, &si);
	assert_false(ci.ts_ok || si.ts_ok);     /* client did not offer timestamps */
	assert_false(ci.sack_ok || si.sack_ok); /* server does not do SACK */
	assert_int_equal(si.snd_mss, 960);      /* the client's MSS (MTU 1000), no TS space */
	assert_int_equal(ci.snd_mss, 960);      /* our own MTU caps what we send */
	assert_int_equal(si.rcv_wscale, 5);     /* 1 MiB buffer needs a shift of 5 */
	assert_int_equal(ci.snd_wscale, 5);
	/* The SYN+ACK carried no TS and no SACK-permitted. */
	const struct synack_ladder_seg *sa = scn_seg(&x, 1);
	assert_int_equal(sa->options & (SYNACK_OPT_TS | SYNACK_OPT_SACK_PERM), 0);
	assert_true(sa->options & SYNACK_OPT_WSCALE);
	scn_free(&x);
}

static bool drop_all(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)ctx, (void)pkt, (void)len, (void)now;
	return true;
}

static void test_H08_syn_backoff_then_etimedout(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 5, &link10ms, &link10ms, NULL);
	synack_sim_set_filter(x.sim, x.cnode, x.snode, drop_all, NULL);
	int c = synack_socket(x.c);
	assert_int_equal(synack_connect(x.c, c, SERVER_ADDR, 80, 0), -EINPROGRESS);
	scn_run_for(&x, SYNACK_SEC(200));
	/* SYN at 0 and retransmissions after 1, 2, 4, 8, 16, 32 s (syn_retries 6). */
	const synack_time_t want[] = {0, 1, 3, 7, 15, 31, 63};
	assert_int_equal(scn_seg_count(&x), 7);
	for (int i = 0; i < 7; i++) {
		const struct synack_ladder_seg *s = scn_seg(&x, (size_t)i);
		assert_int_equal(s->flags, SYNACK_TCP_SYN);
		assert_true(s->lost);
		assert_int_equal(s->time, SYNACK_SEC(want[i]));
		assert_int_equal(s->rel_seq, 0);
	}
	int err = 0;
	assert_int_equal(synack_getsockopt(x.c, c, SYNACK_SO_ERROR, &err), 0);
	assert_int_equal(err, ETIMEDOUT);
	char buf[128];
	assert_string_equal(scn_states(&x, C, buf, sizeof(buf)), "CLOSED>SYN_SENT SYN_SENT>CLOSED");
	assert_int_equal(synack_get_counters(x.c)->TcpAttemptFails, 1);
	/* Given up 64 s after the last SYN: 127 s after connect, as Linux. */
	const struct synack_ladder_state *st = synack_ladder_state_get(x.lad, synack_ladder_state_count(x.lad) - 1);
	assert_int_equal(st->time, SYNACK_SEC(127));
	scn_free(&x);
}

static void test_H10_simultaneous_open_one_connection(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 6, &link10ms, &link10ms, NULL);
	int a = synack_socket(x.c), b = synack_socket(x.s);
	assert_int_equal(synack_bind(x.c, a, 0, 5000), 0);
	assert_int_equal(synack_bind(x.s, b, 0, 6000), 0);
	assert_int_equal(synack_connect(x.c, a, SERVER_ADDR, 6000, 0), -EINPROGRESS);
	assert_int_equal(synack_connect(x.s, b, CLIENT_ADDR, 5000, 0), -EINPROGRESS);
	scn_run_for(&x, SYNACK_MS(200));
	char buf[256];
	assert_string_equal(scn_states(&x, C, buf, sizeof(buf)),
	                    "CLOSED>SYN_SENT SYN_SENT>SYN_RCVD SYN_RCVD>ESTABLISHED");
	assert_string_equal(scn_states(&x, S, buf, sizeof(buf)),
	                    "CLOSED>SYN_SENT SYN_SENT>SYN_RCVD SYN_RCVD>ESTABLISHED");
	/* The SYNs cross, then the SYN+ACKs cross (in either order at the same instant). */
	assert_seg(&x, 0, C, F_SYN, 0, 0, 0);
	assert_seg(&x, 1, S, F_SYN, 0, 0, 0);
	assert_int_equal(scn_seg(&x, 2)->flags, F_SA);
	assert_int_equal(scn_seg(&x, 3)->flags, F_SA);
	assert_int_not_equal(scn_seg(&x, 2)->from_col, scn_seg(&x, 3)->from_col);
	assert_int_equal(scn_seg(&x, 2)->rel_ack, 1);
	assert_int_equal(scn_seg(&x, 3)->rel_ack, 1);
	/* Exactly one connection on each side, and it carries data. */
	assert_int_equal(synack_send(x.c, a, "ping", 4, scn_now(&x)), 4);
	scn_run_for(&x, SYNACK_MS(100));
	char rbuf[8];
	assert_int_equal(synack_recv(x.s, b, rbuf, sizeof(rbuf), scn_now(&x)), 4);
	assert_int_equal(synack_get_counters(x.c)->TcpCurrEstab, 1);
	assert_int_equal(synack_get_counters(x.s)->TcpCurrEstab, 1);
	scn_free(&x);
}

/* Drops the client's first pure ACK (the third segment of the handshake). */
static bool drop_third_ack(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)now;
	int *dropped = ctx;
	struct synack_ipv4 ip;
	struct synack_tcp_seg seg;
	if (synack_tcp_packet_parse(pkt, len, &ip, &seg) != SYNACK_WIRE_OK)
		return false;
	if (seg.flags == SYNACK_TCP_ACK && seg.payload_len == 0 && *dropped < 1) {
		(*dropped)++;
		return true;
	}
	return false;
}

static void test_H12_lost_third_ack_data_completes_handshake(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 7, &link10ms, &link10ms, NULL);
	int dropped = 0;
	synack_sim_set_filter(x.sim, x.cnode, x.snode, drop_third_ack, &dropped);
	int l, c;
	open_pair(&x, &l, &c);
	scn_run_for(&x, SYNACK_MS(50));
	assert_int_equal(dropped, 1);
	assert_int_equal(synack_accept(x.s, l, NULL, NULL), -EAGAIN); /* server still SYN_RCVD */
	assert_int_equal(synack_send(x.c, c, "GET", 3, scn_now(&x)), 3);
	scn_run_for(&x, SYNACK_MS(50));
	assert_seg(&x, 2, C, F_A, 1, 1, 0);
	assert_true(scn_seg(&x, 2)->lost);
	assert_seg(&x, 3, C, F_PA, 1, 1, 3); /* the data segment carries the ACK */
	int a = synack_accept(x.s, l, NULL, NULL);
	assert_true(a >= 0);
	char buf[8];
	assert_int_equal(synack_recv(x.s, a, buf, sizeof(buf), scn_now(&x)), 3);
	char sbuf[256];
	assert_string_equal(scn_states(&x, S, sbuf, sizeof(sbuf)),
	                    "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED");
	scn_free(&x);
}

static bool drop_pure_acks(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)ctx, (void)now;
	struct synack_ipv4 ip;
	struct synack_tcp_seg seg;
	return synack_tcp_packet_parse(pkt, len, &ip, &seg) == SYNACK_WIRE_OK && seg.flags == SYNACK_TCP_ACK &&
	       seg.payload_len == 0;
}

static void short_synack(struct synack_config *cfg, int col)
{
	if (col == S)
		cfg->synack_retries = 1;
}

static void test_H12_server_gave_up_client_data_gets_rst(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 8, &link10ms, &link10ms, short_synack);
	synack_sim_set_filter(x.sim, x.cnode, x.snode, drop_pure_acks, NULL);
	int l, c;
	open_pair(&x, &l, &c);
	/* SYN+ACK at 0.01 s, once more at 1.01 s, given up at 3.01 s. */
	scn_run_for(&x, SYNACK_SEC(5));
	assert_int_equal(synack_accept(x.s, l, NULL, NULL), -EAGAIN);
	assert_int_equal(synack_send(x.c, c, "late", 4, scn_now(&x)), 4);
	scn_run_for(&x, SYNACK_MS(100));
	size_t n = scn_seg_count(&x);
	const struct synack_ladder_seg *rst = scn_seg(&x, n - 1);
	assert_int_equal(rst->from_col, S);
	assert_int_equal(rst->flags, SYNACK_TCP_RST);
	char buf[8];
	assert_int_equal(synack_recv(x.c, c, buf, sizeof(buf), scn_now(&x)), -ECONNRESET);
	assert_int_equal(synack_send(x.c, c, "x", 1, scn_now(&x)), -EPIPE);
	scn_free(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_H01_H02_H03_three_way_handshake),
		cmocka_unit_test(test_H04_syn_payload_not_delivered_third_segment_data_is),
		cmocka_unit_test(test_H05_isn_changes_per_connection),
		cmocka_unit_test(test_H06_options_used_only_if_both_sent),
		cmocka_unit_test(test_H08_syn_backoff_then_etimedout),
		cmocka_unit_test(test_H10_simultaneous_open_one_connection),
		cmocka_unit_test(test_H12_lost_third_ack_data_completes_handshake),
		cmocka_unit_test(test_H12_server_gave_up_client_data_gets_rst),
		cmocka_unit_test(test_H13_duplicate_syn_in_syn_rcvd_resends_synack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
