/* Closing: SPEC C01-C11, on the simulated network, asserting the exact
 * segments (relative seq/ack) and both ends' states and timers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"

static const struct synack_link_model link10ms = {.delay_us = 10000};

struct conn {
	int l, c, a; /* listener, client socket, accepted server socket */
};

/* Handshake, then the client sends "hello" and the server reads it. */
static void establish(struct scn *x, struct conn *k)
{
	k->l = synack_socket(x->s);
	synack_bind(x->s, k->l, 0, 80);
	synack_listen(x->s, k->l, 16);
	k->c = synack_socket(x->c);
	assert_int_equal(synack_connect(x->c, k->c, SERVER_ADDR, 80, scn_now(x)), -EINPROGRESS);
	scn_run_for(x, SYNACK_MS(50));
	k->a = synack_accept(x->s, k->l, NULL, NULL);
	assert_true(k->a >= 0);
	assert_int_equal(synack_send(x->c, k->c, "hello", 5, scn_now(x)), 5);
	scn_run_for(x, SYNACK_MS(50));
	char buf[8];
	assert_int_equal(synack_recv(x->s, k->a, buf, sizeof(buf), scn_now(x)), 5);
}

static void test_C01_C02_C03_C05_C06_four_way_close(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 11, &link10ms, &link10ms, NULL);
	struct conn k;
	establish(&x, &k);
	size_t base = scn_seg_count(&x); /* SYN, SYN+ACK, ACK, data, ACK */
	assert_int_equal(base, 5);
	synack_time_t t0 = scn_now(&x);
	assert_int_equal(synack_close(x.c, k.c, t0), 0);
	scn_run_for(&x, SYNACK_MS(50));
	/* The server reads end of stream and closes too. */
	char buf[8];
	assert_int_equal(synack_recv(x.s, k.a, buf, sizeof(buf), scn_now(&x)), 0);
	assert_int_equal(scn_state_of(x.s, k.a), SYNACK_CLOSE_WAIT);
	assert_int_equal(synack_close(x.s, k.a, scn_now(&x)), 0);
	scn_run_for(&x, SYNACK_MS(50));
	/* FIN seq=u; ACK ack=u+1; FIN seq=w ack=u+1; ACK seq=u+1 ack=w+1 (u = 6, w = 1). */
	if (scn_seg_count(&x) != base + 4)
		scn_print(&x, "four-way close");
	assert_int_equal(scn_seg_count(&x), base + 4);
	assert_seg(&x, base + 0, C, F_FA, 6, 1, 0);
	assert_seg(&x, base + 1, S, F_A, 1, 7, 0);
	assert_seg(&x, base + 2, S, F_FA, 1, 7, 0);
	assert_seg(&x, base + 3, C, F_A, 7, 2, 0);
	char sb[512];
	assert_string_equal(scn_states(&x, C, sb, sizeof(sb)),
	                    "CLOSED>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT_1 FIN_WAIT_1>FIN_WAIT_2 "
	                    "FIN_WAIT_2>TIME_WAIT");
	assert_string_equal(scn_states(&x, S, sb, sizeof(sb)),
	                    "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED ESTABLISHED>CLOSE_WAIT "
	                    "CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSED");
	/* TIME_WAIT lasts 2*MSL = 60 s, then the connection is gone. */
	const struct synack_ladder_state *tw = synack_ladder_state_get(x.lad, synack_ladder_state_count(x.lad) - 2);
	assert_int_equal(tw->new_state, SYNACK_TIME_WAIT);
	scn_run_for(&x, SYNACK_SEC(59));
	assert_int_equal(scn_conns_held(x.c), 1);
	scn_run_for(&x, SYNACK_SEC(2));
	assert_int_equal(scn_conns_held(x.c), 0);
	const struct synack_ladder_state *end = synack_ladder_state_get(x.lad, synack_ladder_state_count(x.lad) - 1);
	assert_int_equal(end->old_state, SYNACK_TIME_WAIT);
	assert_int_equal(end->new_state, SYNACK_CLOSED);
	assert_int_equal(end->time - tw->time, SYNACK_SEC(60));
	assert_int_equal(synack_get_counters(x.c)->TcpExtTW, 1);
	assert_int_equal(scn_conns_held(x.s), 1); /* just the listener */
	scn_free(&x);
}

static void test_C04_half_close_both_ways(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 12, &link10ms, &link10ms, NULL);
	struct conn k;
	establish(&x, &k);
	assert_int_equal(synack_shutdown(x.c, k.c, SYNACK_SHUT_WR, scn_now(&x)), 0);
	scn_run_for(&x, SYNACK_MS(50));
	assert_int_equal(scn_state_of(x.c, k.c), SYNACK_FIN_WAIT_2);
	assert_int_equal(scn_state_of(x.s, k.a), SYNACK_CLOSE_WAIT);
	assert_int_equal(synack_send(x.c, k.c, "x", 1, scn_now(&x)), -EPIPE);
	/* The passive side keeps sending in CLOSE_WAIT; the active side keeps receiving. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(synack_send(x.s, k.a, "reply", 5, scn_now(&x)), 5);
		scn_run_for(&x, SYNACK_MS(50));
	}
	char buf[32];
	assert_int_equal(synack_recv(x.c, k.c, buf, sizeof(buf), scn_now(&x)), 15);
	assert_memory_equal(buf, "replyreplyreply", 15);
	assert_int_equal(synack_recv(x.s, k.a, buf, sizeof(buf), scn_now(&x)), 0);
	assert_true(synack_sock_events(x.s, k.a) & SYNACK_POLLRDHUP);
	assert_int_equal(synack_close(x.s, k.a, scn_now(&x)), 0);
	scn_run_for(&x, SYNACK_MS(50));
	assert_int_equal(synack_recv(x.c, k.c, buf, sizeof(buf), scn_now(&x)), 0);
	/* TIME_WAIT is held by a compact entry; the handle the application
	 * still holds reads CLOSED, as a Linux socket does (SPEC T01). */
	assert_int_equal(scn_state_of(x.c, k.c), SYNACK_CLOSED);
	assert_int_equal(scn_tw_held(x.c), 1);
	synack_close(x.c, k.c, scn_now(&x));
	scn_free(&x);
}

static void test_C07_simultaneous_close(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 13, &link10ms, &link10ms, NULL);
	struct conn k;
	establish(&x, &k);
	size_t base = scn_seg_count(&x);
	synack_close(x.c, k.c, scn_now(&x));
	synack_close(x.s, k.a, scn_now(&x));
	scn_run_for(&x, SYNACK_MS(100));
	char sb[512];
	const char *tail = "ESTABLISHED>FIN_WAIT_1 FIN_WAIT_1>CLOSING CLOSING>TIME_WAIT";
	assert_non_null(strstr(scn_states(&x, C, sb, sizeof(sb)), tail));
	assert_non_null(strstr(scn_states(&x, S, sb, sizeof(sb)), tail));
	/* Two FINs cross, two ACKs cross. */
	assert_int_equal(scn_seg_count(&x), base + 4);
	assert_int_equal(scn_seg(&x, base)->flags, F_FA);
	assert_int_equal(scn_seg(&x, base + 1)->flags, F_FA);
	assert_int_equal(scn_seg(&x, base + 2)->flags, F_A);
	assert_int_equal(scn_seg(&x, base + 3)->flags, F_A);
	scn_run_for(&x, SYNACK_SEC(61));
	assert_int_equal(scn_conns_held(x.c), 0);
	assert_int_equal(scn_conns_held(x.s), 1); /* the listener */
	scn_free(&x);
}

/* A raw peer for C08: answers the client's FIN with one FIN+ACK. */
struct rawsrv {
	struct synack_sim *sim;
	int node;
	uint32_t iss;
	int fins;
};

static void rawsrv_send(struct rawsrv *r, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t dport)
{
	struct synack_tcp_seg s = {.sport = 80, .dport = dport, .seq = seq, .ack = ack, .flags = flags, .window = 8192};
	uint8_t buf[128];
	struct synack_ipv4 ip = {.src = SERVER_ADDR, .dst = CLIENT_ADDR, .ttl = 64};
	size_t n = synack_tcp_build(buf, sizeof(buf), &ip, &s);
	synack_sim_inject(r->sim, r->node, buf, n);
}

static void rawsrv_rx(void *ctx, int node, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)node, (void)now;
	struct rawsrv *r = ctx;
	struct synack_ipv4 ip;
	struct synack_tcp_seg s;
	if (synack_tcp_packet_parse(pkt, len, &ip, &s) != SYNACK_WIRE_OK)
		return;
	if (s.flags & SYNACK_TCP_SYN)
		rawsrv_send(r, SYNACK_TCP_SYN | SYNACK_TCP_ACK, r->iss, s.seq + 1, s.sport);
	else if (s.flags & SYNACK_TCP_FIN && r->fins++ == 0)
		rawsrv_send(r, SYNACK_TCP_FIN | SYNACK_TCP_ACK, r->iss + 1, s.seq + 1, s.sport);
}

static void test_C08_fin_and_ack_in_one_segment(void **state)
{
	(void)state;
	struct rawsrv r = {.iss = 5000};
	r.sim = synack_sim_new(1);
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.addr = CLIENT_ADDR;
	cfg.max_sockets = 8;
	cfg.rmem = cfg.wmem = 8192;
	int cn = synack_sim_add_stack(r.sim, &cfg);
	r.node = synack_sim_add_raw(r.sim, SERVER_ADDR, rawsrv_rx, &r);
	synack_sim_link(r.sim, cn, r.node, &link10ms, &link10ms);
	struct synack_ladder *lad = synack_ladder_new();
	synack_ladder_set_columns(lad, cn, "client", r.node, "server");
	struct synack_sim_hooks h;
	synack_ladder_sim_hooks(lad, &h);
	synack_sim_set_hooks(r.sim, &h);
	struct synack_stack *st = synack_sim_stack(r.sim, cn);
	int c = synack_socket(st);
	synack_connect(st, c, SERVER_ADDR, 80, 0);
	synack_sim_run_until(r.sim, SYNACK_MS(50));
	assert_int_equal(scn_state_of(st, c), SYNACK_ESTABLISHED);
	synack_shutdown(st, c, SYNACK_SHUT_WR, synack_sim_now(r.sim));
	synack_sim_run_until(r.sim, SYNACK_MS(100));
	/* FIN_WAIT_1 -> TIME_WAIT directly: the peer's FIN acknowledged ours. */
	size_t n = synack_ladder_state_count(lad);
	const struct synack_ladder_state *last = synack_ladder_state_get(lad, n - 1);
	assert_int_equal(last->old_state, SYNACK_FIN_WAIT_1);
	assert_int_equal(last->new_state, SYNACK_TIME_WAIT);
	assert_int_equal(scn_state_of(st, c), SYNACK_CLOSED); /* the entry holds TIME_WAIT (T01) */
	assert_int_equal(scn_tw_held(st), 1);
	synack_ladder_free(lad);
	synack_sim_free(r.sim);
}

/* Drops everything from the server to the client after `after`. */
static bool blackhole_after(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)pkt, (void)len;
	return now >= *(synack_time_t *)ctx;
}

static void test_C09_fin_retransmission_backoff_and_limit(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 14, &link10ms, &link10ms, NULL);
	struct conn k;
	establish(&x, &k);
	synack_time_t cut = scn_now(&x);
	synack_sim_set_filter(x.sim, x.cnode, x.snode, blackhole_after, &cut);
	size_t base = scn_seg_count(&x);
	synack_close(x.c, k.c, scn_now(&x)); /* orphaned: tcp_orphan_retries 0 means 8 */
	scn_run_for(&x, SYNACK_SEC(600));
	size_t fins = scn_seg_count(&x) - base;
	assert_int_equal(fins, 9); /* the FIN and 8 retransmissions */
	synack_time_t prev_gap = 0;
	for (size_t i = 1; i < fins; i++) {
		const struct synack_ladder_seg *a = scn_seg(&x, base + i - 1), *b = scn_seg(&x, base + i);
		assert_int_equal(b->flags, F_FA);
		assert_int_equal(b->rel_seq, a->rel_seq);
		synack_time_t gap = b->time - a->time;
		if (i > 1)
			assert_int_equal(gap, prev_gap * 2); /* exponential backoff */
		prev_gap = gap;
	}
	assert_int_equal(scn_conns_held(x.c), 0); /* given up */
	assert_int_equal(synack_get_counters(x.c)->TcpExtTCPAbortOnTimeout, 1);
	scn_free(&x);
}

static void test_C09_orphaned_fin_wait_2_times_out(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 15, &link10ms, &link10ms, NULL);
	struct conn k;
	establish(&x, &k);
	synack_close(x.c, k.c, scn_now(&x));
	scn_run_for(&x, SYNACK_MS(50));
	assert_int_equal(scn_state_of(x.s, k.a), SYNACK_CLOSE_WAIT); /* the server never closes */
	assert_int_equal(scn_conns_held(x.c), 1);                     /* the orphan in FIN_WAIT_2 */
	scn_run_for(&x, SYNACK_SEC(59));
	assert_int_equal(scn_conns_held(x.c), 1);
	scn_run_for(&x, SYNACK_SEC(2));
	assert_int_equal(scn_conns_held(x.c), 0); /* fin_timeout: 60 s */
	char sb[512];
	assert_non_null(strstr(scn_states(&x, C, sb, sizeof(sb)), "FIN_WAIT_1>FIN_WAIT_2 FIN_WAIT_2>CLOSED"));
	scn_free(&x);
}

static void test_C09_last_ack_gives_up(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 16, &link10ms, &link10ms, NULL);
	struct conn k;
	establish(&x, &k);
	synack_close(x.c, k.c, scn_now(&x));
	scn_run_for(&x, SYNACK_MS(50));
	synack_time_t cut = scn_now(&x);
	synack_sim_set_filter(x.sim, x.snode, x.cnode, blackhole_after, &cut);
	synack_close(x.s, k.a, scn_now(&x));
	scn_run_for(&x, SYNACK_SEC(900));
	char sb[512];
	assert_non_null(strstr(scn_states(&x, S, sb, sizeof(sb)), "CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSED"));
	assert_int_equal(scn_conns_held(x.s), 1); /* the listener only */
	scn_free(&x);
}

static void test_C10_data_after_close_gets_rst(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 17, &link10ms, &link10ms, NULL);
	struct conn k;
	establish(&x, &k);
	synack_close(x.c, k.c, scn_now(&x));
	scn_run_for(&x, SYNACK_MS(50));
	assert_int_equal(synack_send(x.s, k.a, "too late", 8, scn_now(&x)), 8);
	scn_run_for(&x, SYNACK_MS(50));
	size_t n = scn_seg_count(&x);
	const struct synack_ladder_seg *rst = scn_seg(&x, n - 1);
	assert_int_equal(rst->from_col, C);
	assert_true(rst->flags & SYNACK_TCP_RST);
	assert_int_equal(synack_get_counters(x.c)->TcpExtTCPAbortOnData, 1);
	char buf[8];
	assert_int_equal(synack_recv(x.s, k.a, buf, sizeof(buf), scn_now(&x)), -ECONNRESET);
	assert_int_equal(scn_conns_held(x.c), 0);
	scn_free(&x);
}

/* shutdown(SHUT_RD) alone tells the peer nothing and resets nothing: as on
 * Linux, data still arriving is acknowledged and queued, recv returns what
 * is queued and 0 (not EAGAIN) once it is empty.  Only with the sending
 * side shut too (FIN_WAIT_1/2) does new data draw a RST (C10). */
static void test_C10_shut_rd_then_data_is_accepted_no_rst(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 19, &link10ms, &link10ms, NULL);
	struct conn k;
	establish(&x, &k);
	assert_int_equal(synack_send(x.s, k.a, "early", 5, scn_now(&x)), 5);
	scn_run_for(&x, SYNACK_MS(50));
	size_t base = scn_seg_count(&x);
	assert_int_equal(synack_shutdown(x.c, k.c, SYNACK_SHUT_RD, scn_now(&x)), 0);
	scn_run_for(&x, SYNACK_MS(50));
	assert_int_equal(scn_seg_count(&x), base); /* nothing on the wire */
	assert_int_equal(synack_send(x.s, k.a, "late", 4, scn_now(&x)), 4);
	scn_run_for(&x, SYNACK_MS(50));
	assert_int_equal(scn_seg_count(&x), base + 2); /* the data and its ACK */
	assert_seg(&x, base + 1, C, F_A, 6, 10, 0);
	assert_int_equal(synack_get_counters(x.c)->TcpOutRsts, 0);
	assert_int_equal(synack_get_counters(x.c)->TcpExtTCPAbortOnData, 0);
	assert_int_equal(scn_state_of(x.c, k.c), SYNACK_ESTABLISHED);
	assert_int_equal(scn_state_of(x.s, k.a), SYNACK_ESTABLISHED);
	char buf[16];
	assert_int_equal(synack_recv(x.c, k.c, buf, sizeof(buf), scn_now(&x)), 9);
	assert_memory_equal(buf, "earlylate", 9);
	assert_int_equal(synack_recv(x.c, k.c, buf, sizeof(buf), scn_now(&x)), 0);
	/* Our sending side is untouched. */
	assert_int_equal(synack_send(x.c, k.c, "still", 5, scn_now(&x)), 5);
	scn_run_for(&x, SYNACK_MS(50));
	assert_int_equal(synack_recv(x.s, k.a, buf, sizeof(buf), scn_now(&x)), 5);
	scn_free(&x);
}

/* Linux's tcp_rcv_state_process: in FIN_WAIT_1/2 with reading shut, new
 * data can never be read: RST, TCPAbortOnData (RFC 1122 4.2.2.13). */
static void test_C10_shut_rdwr_then_data_gets_rst(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 20, &link10ms, &link10ms, NULL);
	struct conn k;
	establish(&x, &k);
	assert_int_equal(synack_shutdown(x.c, k.c, SYNACK_SHUT_RDWR, scn_now(&x)), 0);
	scn_run_for(&x, SYNACK_MS(50));
	assert_int_equal(scn_state_of(x.c, k.c), SYNACK_FIN_WAIT_2);
	assert_int_equal(synack_send(x.s, k.a, "too late", 8, scn_now(&x)), 8);
	scn_run_for(&x, SYNACK_MS(50));
	const struct synack_ladder_seg *rst = scn_seg(&x, scn_seg_count(&x) - 1);
	assert_int_equal(rst->from_col, C);
	assert_int_equal(rst->flags, F_RA);
	assert_int_equal(synack_get_counters(x.c)->TcpExtTCPAbortOnData, 1);
	char buf[8];
	assert_int_equal(synack_recv(x.s, k.a, buf, sizeof(buf), scn_now(&x)), -ECONNRESET);
	assert_int_equal(synack_recv(x.c, k.c, buf, sizeof(buf), scn_now(&x)), -ECONNRESET);
	synack_close(x.c, k.c, scn_now(&x));
	scn_free(&x);
}

static void test_C11_close_with_unread_data_sends_rst(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 18, &link10ms, &link10ms, NULL);
	struct conn k;
	establish(&x, &k);
	assert_int_equal(synack_send(x.c, k.c, "unread", 6, scn_now(&x)), 6);
	scn_run_for(&x, SYNACK_MS(50));
	size_t base = scn_seg_count(&x);
	synack_close(x.s, k.a, scn_now(&x));
	scn_run_for(&x, SYNACK_MS(50));
	assert_int_equal(scn_seg_count(&x), base + 1);
	assert_int_equal(scn_seg(&x, base)->flags, F_RA); /* RST, not FIN */
	assert_int_equal(synack_get_counters(x.s)->TcpExtTCPAbortOnClose, 1);
	assert_true(synack_sock_events(x.c, k.c) & SYNACK_POLLERR);
	char buf[8];
	assert_int_equal(synack_recv(x.c, k.c, buf, sizeof(buf), scn_now(&x)), -ECONNRESET);
	assert_false(synack_sock_events(x.c, k.c) & SYNACK_POLLERR); /* reported once, as SO_ERROR */
	assert_int_equal(synack_get_counters(x.c)->TcpEstabResets, 1);
	scn_free(&x);
}

/* Drops every segment while the flag it points at is set. */
static bool drop_while(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)pkt, (void)len, (void)now;
	return *(bool *)ctx;
}

/* RFC 1122 4.2.2.13 and Linux's tcp_close: unread data at close() means
 * RST, whatever the state, so after shutdown(SHUT_WR) too: FIN_WAIT_1 (our
 * FIN lost), FIN_WAIT_2 and LAST_ACK (the last ACK lost). */
static void test_C11_close_after_shut_wr_with_unread_data_sends_rst(void **state)
{
	(void)state;
	const enum synack_tcp_state states[] = {SYNACK_FIN_WAIT_1, SYNACK_FIN_WAIT_2, SYNACK_LAST_ACK};
	for (size_t v = 0; v < sizeof(states) / sizeof(states[0]); v++) {
		struct scn x;
		scn_init(&x, 40 + v, &link10ms, &link10ms, NULL);
		struct conn k;
		establish(&x, &k);
		bool c2s_lost = false;
		synack_sim_set_filter(x.sim, x.cnode, x.snode, drop_while, &c2s_lost);
		/* closer: the side that shuts writing, is sent data it never
		 * reads, then closes; peer: the other side. */
		struct synack_stack *closer = x.c, *peer = x.s;
		int cs = k.c, ps = k.a, ccol = C;
		if (states[v] == SYNACK_LAST_ACK) {
			closer = x.s, peer = x.c, cs = k.a, ps = k.c, ccol = S;
			assert_int_equal(synack_send(x.c, k.c, "unread", 6, scn_now(&x)), 6);
			assert_int_equal(synack_shutdown(x.c, k.c, SYNACK_SHUT_WR, scn_now(&x)), 0);
			scn_run_for(&x, SYNACK_MS(50));
			c2s_lost = true; /* the client's ACK of the server's FIN */
			assert_int_equal(synack_shutdown(x.s, k.a, SYNACK_SHUT_WR, scn_now(&x)), 0);
		} else {
			c2s_lost = states[v] == SYNACK_FIN_WAIT_1; /* the client's FIN */
			assert_int_equal(synack_shutdown(x.c, k.c, SYNACK_SHUT_WR, scn_now(&x)), 0);
			scn_run_for(&x, SYNACK_MS(50));
			assert_int_equal(synack_send(x.s, k.a, "unread", 6, scn_now(&x)), 6);
		}
		scn_run_for(&x, SYNACK_MS(50));
		assert_int_equal(scn_state_of(closer, cs), states[v]);
		c2s_lost = false;
		size_t base = scn_seg_count(&x);
		assert_int_equal(synack_close(closer, cs, scn_now(&x)), 0);
		scn_run_for(&x, SYNACK_MS(15));
		assert_true(scn_seg_count(&x) > base);
		assert_int_equal(scn_seg(&x, base)->from_col, ccol);
		assert_int_equal(scn_seg(&x, base)->flags, F_RA); /* RST, not a FIN or nothing */
		assert_int_equal(synack_get_counters(closer)->TcpExtTCPAbortOnClose, 1);
		assert_int_equal(scn_conns_held(closer), ccol == S ? 1 : 0); /* gone (a listener stays) */
		scn_run_for(&x, SYNACK_MS(100));
		if (states[v] != SYNACK_LAST_ACK) {
			/* The peer in CLOSE_WAIT is reset (in FIN_WAIT_1 the RST sits
			 * one past its RCV.NXT, our lost FIN: RFC 5961 3.2's challenge
			 * ACK brings the exact one). */
			char buf[8];
			assert_int_equal(synack_recv(peer, ps, buf, sizeof(buf), scn_now(&x)), -ECONNRESET);
		}
		scn_free(&x);
	}
}

/* RFC 9293 3.10.4 CLOSE in SYN-RECEIVED (here a simultaneous open, H10):
 * the FIN waits for ESTABLISHED while the SYN+ACK is retransmitted, then
 * goes out at ISS+1 (C01); an ACK of the SYN alone never acknowledges it.
 * The peer is a raw host, so the test plays it exactly. */
static void test_H10_C01_close_in_syn_rcvd_fin_after_established(void **state)
{
	(void)state;
	for (int orphan = 0; orphan < 2; orphan++) {
		struct scn x;
		struct rawcap cap;
		scn_init_ex(&x, 60 + (uint64_t)orphan, &link10ms, &link10ms, NULL, S, &cap);
		int c = synack_socket(x.c);
		assert_int_equal(synack_bind(x.c, c, 0, 5000), 0);
		assert_int_equal(synack_connect(x.c, c, SERVER_ADDR, 6000, 0), -EINPROGRESS);
		scn_run_for(&x, SYNACK_MS(25));
		assert_int_equal(cap.n, 1);
		uint32_t iss = cap.p[0].seg.seq;
		/* The peer's own SYN crosses ours: SYN_RCVD, our SYN+ACK. */
		scn_inject(x.sim, x.snode, SERVER_ADDR, CLIENT_ADDR, 6000, 5000, F_SYN, 9000, 0, NULL, 0);
		scn_run_for(&x, SYNACK_MS(25));
		assert_int_equal(cap.n, 2);
		assert_int_equal(cap.p[1].seg.flags, F_SA);
		synack_time_t t0 = scn_now(&x);
		if (orphan)
			assert_int_equal(synack_close(x.c, c, t0), 0);
		else
			assert_int_equal(synack_shutdown(x.c, c, SYNACK_SHUT_WR, t0), 0);
		/* Nothing but the SYN+ACK, again and again, until it is acknowledged. */
		scn_run_for(&x, SYNACK_SEC(4));
		assert_true(cap.n >= 4);
		for (int i = 2; i < cap.n; i++) {
			assert_int_equal(cap.p[i].seg.flags, F_SA);
			assert_int_equal(cap.p[i].seg.seq, iss);
			assert_int_equal(cap.p[i].seg.ack, 9001);
		}
		if (!orphan)
			assert_int_equal(scn_state_of(x.c, c), SYNACK_SYN_RCVD);
		/* The ACK of our SYN: ESTABLISHED, and at once FIN_WAIT_1 with the FIN at ISS+1. */
		int n0 = cap.n;
		scn_inject(x.sim, x.snode, SERVER_ADDR, CLIENT_ADDR, 6000, 5000, F_A, 9001, iss + 1, NULL, 0);
		scn_run_for(&x, SYNACK_MS(25));
		assert_int_equal(cap.n, n0 + 1);
		assert_int_equal(cap.p[n0].seg.flags, F_FA);
		assert_int_equal(cap.p[n0].seg.seq, iss + 1);
		assert_int_equal(cap.p[n0].seg.ack, 9001);
		/* The same ACK again acknowledges the SYN only: still FIN_WAIT_1,
		 * and the FIN is retransmitted from ISS+1. */
		scn_inject(x.sim, x.snode, SERVER_ADDR, CLIENT_ADDR, 6000, 5000, F_A, 9001, iss + 1, NULL, 0);
		scn_run_for(&x, SYNACK_MS(25));
		if (!orphan)
			assert_int_equal(scn_state_of(x.c, c), SYNACK_FIN_WAIT_1);
		n0 = cap.n;
		scn_run_for(&x, SYNACK_SEC(4));
		assert_true(cap.n > n0);
		for (int i = n0; i < cap.n; i++) {
			assert_int_equal(cap.p[i].seg.flags, F_FA);
			assert_int_equal(cap.p[i].seg.seq, iss + 1);
		}
		/* The ACK of the FIN: FIN_WAIT_2. */
		scn_inject(x.sim, x.snode, SERVER_ADDR, CLIENT_ADDR, 6000, 5000, F_A, 9001, iss + 2, NULL, 0);
		scn_run_for(&x, SYNACK_MS(25));
		char sb[512];
		assert_string_equal(scn_states(&x, C, sb, sizeof(sb)),
		                    "CLOSED>SYN_SENT SYN_SENT>SYN_RCVD SYN_RCVD>ESTABLISHED ESTABLISHED>FIN_WAIT_1 "
		                    "FIN_WAIT_1>FIN_WAIT_2");
		if (!orphan)
			synack_close(x.c, c, scn_now(&x));
		scn_free(&x);
	}
}

/* Drops the k-th TCP segment of the whole run (both directions share it). */
struct nth {
	int seen, k;
};

static bool drop_nth(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)now;
	struct nth *n = ctx;
	struct synack_ipv4 ip;
	struct synack_tcp_seg seg;
	if (synack_tcp_packet_parse(pkt, len, &ip, &seg) != SYNACK_WIRE_OK)
		return false;
	return n->seen++ == n->k;
}

/* Each of the three opening and four closing segments lost once: the
 * connection still opens and closes, within the RFC's timers. */
static void test_H01_C01_each_lifecycle_segment_lost_once(void **state)
{
	(void)state;
	for (int k = 0; k < 7; k++) {
		struct scn x;
		scn_init(&x, 30 + (uint64_t)k, &link10ms, &link10ms, NULL);
		struct nth n = {.k = k};
		synack_sim_set_filter(x.sim, x.cnode, x.snode, drop_nth, &n);
		synack_sim_set_filter(x.sim, x.snode, x.cnode, drop_nth, &n);
		int l = synack_socket(x.s);
		synack_bind(x.s, l, 0, 80);
		synack_listen(x.s, l, 4);
		int c = synack_socket(x.c);
		synack_connect(x.c, c, SERVER_ADDR, 80, 0);
		scn_run_for(&x, SYNACK_SEC(5)); /* a lost SYN costs 1 s, a lost SYN+ACK too */
		int a = synack_accept(x.s, l, NULL, NULL);
		assert_true(a >= 0);
		assert_int_equal(scn_state_of(x.c, c), SYNACK_ESTABLISHED);
		synack_close(x.c, c, scn_now(&x));
		scn_run_for(&x, SYNACK_SEC(5));
		char buf[4];
		assert_int_equal(synack_recv(x.s, a, buf, sizeof(buf), scn_now(&x)), 0);
		synack_close(x.s, a, scn_now(&x));
		scn_run_for(&x, SYNACK_SEC(70)); /* TIME_WAIT is 60 s */
		char sb[512];
		if (scn_conns_held(x.c) != 0 || scn_conns_held(x.s) != 1)
			scn_print(&x, "a lost segment left a connection behind");
		assert_int_equal(scn_conns_held(x.c), 0);
		assert_int_equal(scn_conns_held(x.s), 1); /* the listener */
		assert_non_null(strstr(scn_states(&x, C, sb, sizeof(sb)), "FIN_WAIT_2>TIME_WAIT TIME_WAIT>CLOSED"));
		assert_non_null(strstr(scn_states(&x, S, sb, sizeof(sb)), "CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSED"));
		/* The lost one was sent again (or made good by a later segment). */
		size_t lost = 0;
		for (size_t i = 0; i < scn_seg_count(&x); i++)
			lost += scn_seg(&x, i)->lost;
		assert_int_equal(lost, 1);
		scn_free(&x);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_C01_C02_C03_C05_C06_four_way_close),
		cmocka_unit_test(test_C04_half_close_both_ways),
		cmocka_unit_test(test_C07_simultaneous_close),
		cmocka_unit_test(test_C08_fin_and_ack_in_one_segment),
		cmocka_unit_test(test_C09_fin_retransmission_backoff_and_limit),
		cmocka_unit_test(test_C09_orphaned_fin_wait_2_times_out),
		cmocka_unit_test(test_C09_last_ack_gives_up),
		cmocka_unit_test(test_C10_data_after_close_gets_rst),
		cmocka_unit_test(test_C10_shut_rd_then_data_is_accepted_no_rst),
		cmocka_unit_test(test_C10_shut_rdwr_then_data_gets_rst),
		cmocka_unit_test(test_C11_close_with_unread_data_sends_rst),
		cmocka_unit_test(test_C11_close_after_shut_wr_with_unread_data_sends_rst),
		cmocka_unit_test(test_H10_C01_close_in_syn_rcvd_fin_after_established),
		cmocka_unit_test(test_H01_C01_each_lifecycle_segment_lost_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
