/* TIME_WAIT and ports: SPEC T01-T09, F02 and question Q11, on the simulated
 * network.  Some cases look at private state (the TIME_WAIT entry's
 * TS.Recent, a connection's), as unit tests may: tcp/tcp.h. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"
#include "tcp/tcp.h"

static const struct synack_link_model link10ms = {.delay_us = 10000};
static const struct synack_link_model link1ms = {.delay_us = 1000};

struct conn {
	int l, c, a; /* listener, client socket, accepted server socket */
};

static void listen_on(struct scn *x, struct conn *k, uint16_t port, bool reuse)
{
	k->l = synack_socket(x->s);
	if (reuse)
		assert_int_equal(synack_setsockopt(x->s, k->l, SYNACK_SO_REUSEADDR, 1), 0);
	assert_int_equal(synack_bind(x->s, k->l, 0, port), 0);
	assert_int_equal(synack_listen(x->s, k->l, 64), 0);
}

/* Connects k->c (already created, maybe bound) to port 80, accepts it on the
 * server and moves "hello" from client to server. */
static void open_conn(struct scn *x, struct conn *k)
{
	assert_int_equal(synack_connect(x->c, k->c, SERVER_ADDR, 80, scn_now(x)), -EINPROGRESS);
	scn_run_for(x, SYNACK_MS(50));
	k->a = synack_accept(x->s, k->l, NULL, NULL);
	assert_true(k->a >= 0);
	assert_int_equal(synack_send(x->c, k->c, "hello", 5, scn_now(x)), 5);
	scn_run_for(x, SYNACK_MS(50));
	char buf[8];
	assert_int_equal(synack_recv(x->s, k->a, buf, sizeof(buf), scn_now(x)), 5);
}

static void establish(struct scn *x, struct conn *k)
{
	listen_on(x, k, 80, false);
	k->c = synack_socket(x->c);
	open_conn(x, k);
}

/* The client closes first (it will hold TIME_WAIT), then the server. */
static void close_client_first(struct scn *x, struct conn *k)
{
	assert_int_equal(synack_close(x->c, k->c, scn_now(x)), 0);
	scn_run_for(x, SYNACK_MS(50));
	char buf[8];
	assert_int_equal(synack_recv(x->s, k->a, buf, sizeof(buf), scn_now(x)), 0);
	assert_int_equal(synack_close(x->s, k->a, scn_now(x)), 0);
	scn_run_for(x, SYNACK_MS(50));
}

/* The server closes first (the server holds TIME_WAIT). */
static void close_server_first(struct scn *x, struct conn *k)
{
	assert_int_equal(synack_close(x->s, k->a, scn_now(x)), 0);
	scn_run_for(x, SYNACK_MS(50));
	char buf[8];
	assert_int_equal(synack_recv(x->c, k->c, buf, sizeof(buf), scn_now(x)), 0);
	assert_int_equal(synack_close(x->c, k->c, scn_now(x)), 0);
	scn_run_for(x, SYNACK_MS(50));
}

struct twfind {
	int n;
	struct synack_sockinfo info;
};

static void tw_find_visit(void *ctx, int sock, const struct synack_sockinfo *i)
{
	struct twfind *f = ctx;
	if (sock < 0 && i->state == SYNACK_TIME_WAIT) {
		f->info = *i;
		f->n++;
	}
}

/* The one TIME_WAIT entry st holds (asserted to be exactly one). */
static struct synack_sockinfo the_tw(struct synack_stack *st)
{
	struct twfind f = {0};
	synack_sock_foreach(st, tw_find_visit, &f);
	assert_int_equal(f.n, 1);
	return f.info;
}

/* The private entry, for TS.Recent. */
static struct tw_entry *tw_of(struct synack_stack *st, const struct synack_sockinfo *i)
{
	struct sk_common *sk = sk_lookup(st, i->laddr, i->lport, i->raddr, i->rport);
	assert_non_null(sk);
	assert_int_equal(sk->kind, SK_TW);
	return sk_tw(sk);
}

/* A crafted segment from node `from`, with a timestamp option if ts. */
static void inject(struct scn *x, int from, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                   uint8_t flags, uint32_t seq, uint32_t ack, const char *data, bool ts, uint32_t tsval,
                   uint32_t tsecr)
{
	struct synack_tcp_opts o;
	memset(&o, 0, sizeof(o));
	if (flags & SYNACK_TCP_SYN) {
		o.present |= SYNACK_OPT_MSS;
		o.mss = 1460;
	}
	if (ts) {
		o.present |= SYNACK_OPT_TS;
		o.ts_val = tsval;
		o.ts_ecr = tsecr;
	}
	assert_true(scn_inject_opts(x->sim, from, src, dst, sport, dport, flags, seq, ack, &o, data,
	                            data ? (uint32_t)strlen(data) : 0) > 0);
}

/* The last TCP segment of the run. */
static const struct synack_ladder_seg *last_seg(const struct scn *x)
{
	size_t n = scn_seg_count(x);
	assert_true(n > 0);
	return scn_seg(x, n - 1);
}

static const struct synack_ladder_state *last_state(const struct scn *x, int col)
{
	const struct synack_ladder_state *last = NULL;
	for (size_t i = 0; i < synack_ladder_state_count(x->lad); i++) {
		const struct synack_ladder_state *s = synack_ladder_state_get(x->lad, i);
		if (s->col == col)
			last = s;
	}
	assert_non_null(last);
	return last;
}

static const struct synack_counters *ctr(struct synack_stack *st)
{
	return synack_get_counters(st);
}

/* ------------------------------------------------------------------ */
/* T01: a compact entry holds TIME_WAIT. */

static void test_T01_entry_fits_64_bytes(void **state)
{
	(void)state;
	printf("sizeof(struct tw_entry) = %zu, sizeof(struct tcb) = %zu\n", sizeof(struct tw_entry),
	       sizeof(struct tcb));
	assert_true(sizeof(struct tw_entry) <= 64);
	assert_true(sizeof(struct tw_entry) * 4 < sizeof(struct tcb));
}

static void one_socket(struct synack_config *cfg, int col)
{
	if (col == C)
		cfg->max_sockets = 1;
}

static void test_T01_connection_slot_freed_while_entry_answers(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 101, &link10ms, &link10ms, one_socket);
	struct conn k;
	establish(&x, &k);
	assert_int_equal(synack_socket(x.c), -ENOBUFS); /* the pool of one is in use */
	close_client_first(&x, &k);
	/* The connection's slot is back in the pool; TIME_WAIT lives on. */
	struct synack_sockinfo tw = the_tw(x.c);
	assert_int_equal(tw.lport, scn_seg(&x, 0)->sport);
	assert_int_equal(tw.rport, 80);
	int s2 = synack_socket(x.c);
	assert_int_equal(s2, k.c);
	/* The entry answers a duplicate of the peer's FIN with the final ACK
	 * again: <SEQ=SND.NXT><ACK=RCV.NXT>, and restarts its 2MSL timer. */
	scn_run_for(&x, SYNACK_SEC(10));
	synack_time_t t = scn_now(&x);
	size_t base = scn_seg_count(&x);
	inject(&x, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, tw.lport, F_FA, tw.rcv_nxt - 1, tw.snd_nxt, NULL, false, 0,
	       0);
	scn_run_for(&x, SYNACK_MS(50));
	/* The FIN, the ACK, and the server's RST to that ACK (its connection
	 * is gone), which lies outside the entry's window and changes nothing. */
	assert_int_equal(scn_seg_count(&x), base + 3);
	const struct synack_ladder_seg *ack = scn_seg(&x, base + 1);
	assert_int_equal(ack->from_col, C);
	assert_int_equal(ack->flags, F_A);
	assert_int_equal(ack->seq, tw.snd_nxt);
	assert_int_equal(ack->ack, tw.rcv_nxt);
	assert_true(ack->options & SYNACK_OPT_TS); /* timestamps were carried into TIME_WAIT */
	struct synack_sockinfo tw2 = the_tw(x.c);
	assert_int_equal(tw2.timer_at, t + SYNACK_MS(10) + SYNACK_SEC(60));
	synack_close(x.c, s2, scn_now(&x));
	scn_free(&x);
}

/* The application may still hold the handle when its connection enters
 * TIME_WAIT (shutdown(SHUT_WR), then the peer's FIN).  As in Linux, the
 * handle reads CLOSED from then on with no error, unread data stays
 * readable, and the TIME_WAIT entry (sock -1) holds the 4-tuple and port. */
static void test_T01_held_handle_reads_closed(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 102, &link10ms, &link10ms, NULL);
	struct conn k;
	establish(&x, &k);
	assert_int_equal(synack_shutdown(x.c, k.c, SYNACK_SHUT_WR, scn_now(&x)), 0);
	scn_run_for(&x, SYNACK_MS(50));
	assert_int_equal(synack_send(x.s, k.a, "bye", 3, scn_now(&x)), 3);
	assert_int_equal(synack_close(x.s, k.a, scn_now(&x)), 0);
	scn_run_for(&x, SYNACK_MS(50));
	char sb[512];
	assert_non_null(strstr(scn_states(&x, C, sb, sizeof(sb)), "FIN_WAIT_2>TIME_WAIT"));
	assert_int_equal(last_state(&x, C)->sock, k.c); /* the trace names the handle */
	assert_int_equal(scn_state_of(x.c, k.c), SYNACK_CLOSED);
	assert_int_equal(scn_tw_held(x.c), 1);
	int ev = synack_sock_events(x.c, k.c);
	assert_true(ev & SYNACK_POLLIN);
	assert_true(ev & SYNACK_POLLHUP);
	assert_false(ev & SYNACK_POLLERR);
	char buf[8];
	assert_int_equal(synack_recv(x.c, k.c, buf, sizeof(buf), scn_now(&x)), 3);
	assert_memory_equal(buf, "bye", 3);
	assert_int_equal(synack_recv(x.c, k.c, buf, sizeof(buf), scn_now(&x)), 0);
	assert_int_equal(synack_send(x.c, k.c, "x", 1, scn_now(&x)), -EPIPE);
	int err = -1;
	assert_int_equal(synack_getsockopt(x.c, k.c, SYNACK_SO_ERROR, &err), 0);
	assert_int_equal(err, 0);
	/* The port is the entry's now: a new socket cannot bind it. */
	struct synack_sockinfo tw = the_tw(x.c);
	int s2 = synack_socket(x.c);
	assert_int_equal(synack_bind(x.c, s2, 0, tw.lport), -EADDRINUSE);
	assert_int_equal(synack_close(x.c, k.c, scn_now(&x)), 0);
	assert_int_equal(scn_tw_held(x.c), 1); /* closing the handle changes nothing */
	scn_run_for(&x, SYNACK_SEC(61));
	assert_int_equal(scn_conns_held(x.c), 1); /* s2 only */
	const struct synack_ladder_state *end = last_state(&x, C);
	assert_int_equal(end->old_state, SYNACK_TIME_WAIT);
	assert_int_equal(end->new_state, SYNACK_CLOSED);
	assert_int_equal(end->sock, -1);
	assert_int_equal(synack_bind(x.c, s2, 0, tw.lport), 0);
	scn_free(&x);
}

/* ------------------------------------------------------------------ */
/* T02: the last ACK is lost; the FIN comes again. */

struct drop_once {
	bool armed;
	int dropped;
};

static bool drop_next(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)pkt, (void)len, (void)now;
	struct drop_once *d = ctx;
	if (!d->armed)
		return false;
	d->armed = false;
	d->dropped++;
	return true;
}

static void test_Q10_T02_lost_last_ack_fin_answered_2msl_restarts(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 103, &link10ms, &link10ms, NULL);
	struct conn k;
	establish(&x, &k);
	struct drop_once d = {0};
	synack_sim_set_filter(x.sim, x.cnode, x.snode, drop_next, &d);
	assert_int_equal(synack_close(x.c, k.c, scn_now(&x)), 0);
	scn_run_for(&x, SYNACK_MS(50));
	char buf[8];
	assert_int_equal(synack_recv(x.s, k.a, buf, sizeof(buf), scn_now(&x)), 0);
	size_t base = scn_seg_count(&x);
	d.armed = true; /* the client's next segment is its last ACK */
	assert_int_equal(synack_close(x.s, k.a, scn_now(&x)), 0);
	scn_run_for(&x, SYNACK_SEC(5));
	assert_int_equal(d.dropped, 1);
	/* FIN, the lost ACK, the FIN again, the ACK again. */
	assert_int_equal(scn_seg_count(&x), base + 4);
	assert_seg(&x, base + 0, S, F_FA, 1, 7, 0);
	assert_seg(&x, base + 1, C, F_A, 7, 2, 0);
	assert_true(scn_seg(&x, base + 1)->lost);
	assert_seg(&x, base + 2, S, F_FA, 1, 7, 0);
	assert_seg(&x, base + 3, C, F_A, 7, 2, 0);
	assert_int_equal(synack_get_counters(x.s)->TcpRetransSegs, 1);
	char sb[512];
	assert_non_null(strstr(scn_states(&x, S, sb, sizeof(sb)), "CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSED"));
	assert_int_equal(scn_tw_held(x.c), 1);
	/* 2MSL counts from the retransmitted FIN, not from entering TIME_WAIT. */
	synack_time_t fin2 = scn_seg(&x, base + 2)->arrive;
	const struct synack_ladder_state *tw = last_state(&x, C);
	assert_int_equal(tw->new_state, SYNACK_TIME_WAIT);
	assert_int_equal(the_tw(x.c).timer_at, fin2 + SYNACK_SEC(60));
	scn_run_for(&x, fin2 + SYNACK_SEC(60) - SYNACK_MS(1) - scn_now(&x));
	assert_int_equal(scn_tw_held(x.c), 1); /* still there when the first 60 s are long over */
	scn_run_for(&x, SYNACK_MS(2));
	assert_int_equal(scn_conns_held(x.c), 0);
	assert_int_equal(scn_conns_held(x.s), 1); /* the listener */
	const struct synack_ladder_state *end = last_state(&x, C);
	assert_int_equal(end->old_state, SYNACK_TIME_WAIT);
	assert_int_equal(end->new_state, SYNACK_CLOSED);
	assert_int_equal(end->time, fin2 + SYNACK_SEC(60));
	assert_true(end->time - tw->time > SYNACK_SEC(60));
	assert_int_equal(ctr(x.c)->TcpExtTW, 1);
	scn_free(&x);
}

/* ------------------------------------------------------------------ */
/* T03: RST in TIME_WAIT, rfc1337 on (our default) and off (Linux's). */

static void rfc1337_off(struct synack_config *cfg, int col)
{
	(void)col;
	cfg->rfc1337 = false;
}

static void test_T03_rst_in_time_wait(void **state)
{
	(void)state;
	for (int on = 1; on >= 0; on--) {
		struct scn x;
		scn_init(&x, 104, &link10ms, &link10ms, on ? NULL : rfc1337_off);
		assert_int_equal(synack_get_config(x.c)->rfc1337, on);
		struct conn k;
		establish(&x, &k);
		close_client_first(&x, &k);
		struct synack_sockinfo tw = the_tw(x.c);
		size_t segs = scn_seg_count(&x);
		/* A RST at the wrong sequence number never counts. */
		inject(&x, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, tw.lport, F_R, tw.rcv_nxt + 1000, 0, NULL, false, 0, 0);
		scn_run_for(&x, SYNACK_MS(20));
		assert_int_equal(scn_tw_held(x.c), 1);
		/* A RST at exactly RCV.NXT. */
		inject(&x, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, tw.lport, F_R, tw.rcv_nxt, 0, NULL, false, 0, 0);
		scn_run_for(&x, SYNACK_MS(20));
		assert_int_equal(scn_seg_count(&x), segs + 2); /* the two RSTs; a RST is never answered */
		if (on) {
			/* RFC 1337: TIME_WAIT survives and ends by its timer. */
			assert_int_equal(scn_tw_held(x.c), 1);
			assert_int_equal(the_tw(x.c).timer_at, tw.timer_at); /* not restarted either */
			scn_run_for(&x, SYNACK_SEC(61));
			assert_int_equal(ctr(x.c)->TcpExtTW, 1);
		} else {
			/* TIME_WAIT assassinated: gone at once, not by its timer. */
			assert_int_equal(scn_tw_held(x.c), 0);
			const struct synack_ladder_state *end = last_state(&x, C);
			assert_int_equal(end->old_state, SYNACK_TIME_WAIT);
			assert_int_equal(end->new_state, SYNACK_CLOSED);
			assert_int_equal(end->time, scn_now(&x) - SYNACK_MS(10));
			assert_int_equal(ctr(x.c)->TcpExtTW, 0);
		}
		assert_int_equal(scn_conns_held(x.c), 0);
		scn_free(&x);
	}
}

/* ------------------------------------------------------------------ */
/* T04: connect() to a 4-tuple in TIME_WAIT. */

static void one_port(struct synack_config *cfg, int col)
{
	if (col == C)
		cfg->ip_local_port_range[0] = cfg->ip_local_port_range[1] = 40000;
}

static void one_port_reuse(struct synack_config *cfg, int col)
{
	one_port(cfg, col);
	if (col == C)
		cfg->tw_reuse = 1;
}

static void one_port_reuse_no_ts(struct synack_config *cfg, int col)
{
	one_port_reuse(cfg, col);
	cfg->timestamps = false;
}

static void test_T04_ephemeral_connect_avoids_time_wait(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 105, &link10ms, &link10ms, one_port);
	struct conn k;
	establish(&x, &k);
	close_client_first(&x, &k);
	assert_int_equal(the_tw(x.c).lport, 40000);
	/* The only ephemeral port's 4-tuple to :80 is in TIME_WAIT. */
	int s = synack_socket(x.c);
	assert_int_equal(synack_connect(x.c, s, SERVER_ADDR, 80, scn_now(&x)), -EADDRNOTAVAIL);
	/* To another destination the same port is fine: only the 4-tuple is held. */
	assert_int_equal(synack_connect(x.c, s, SERVER_ADDR, 81, scn_now(&x)), -EINPROGRESS);
	struct synack_sockinfo i;
	assert_int_equal(synack_sockinfo(x.c, s, &i), 0);
	assert_int_equal(i.lport, 40000);
	synack_close(x.c, s, scn_now(&x));
	/* After 2*MSL the port serves :80 again. */
	scn_run_for(&x, SYNACK_SEC(61));
	k.c = synack_socket(x.c);
	open_conn(&x, &k);
	assert_int_equal(ctr(x.c)->TcpExtTWRecycled, 0);
	scn_free(&x);
}

static void test_T04_bound_port_in_time_wait_is_eaddrnotavail(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 106, &link10ms, &link10ms, NULL);
	struct conn k;
	listen_on(&x, &k, 80, false);
	k.c = synack_socket(x.c);
	assert_int_equal(synack_setsockopt(x.c, k.c, SYNACK_SO_REUSEADDR, 1), 0);
	assert_int_equal(synack_bind(x.c, k.c, 0, 5000), 0);
	open_conn(&x, &k);
	close_client_first(&x, &k);
	assert_int_equal(the_tw(x.c).lport, 5000);
	int s = synack_socket(x.c);
	assert_int_equal(synack_bind(x.c, s, 0, 5000), -EADDRINUSE); /* T07: the entry holds the port */
	assert_int_equal(synack_setsockopt(x.c, s, SYNACK_SO_REUSEADDR, 1), 0);
	assert_int_equal(synack_bind(x.c, s, 0, 5000), 0);
	assert_int_equal(synack_connect(x.c, s, SERVER_ADDR, 80, scn_now(&x)), -EADDRNOTAVAIL);
	scn_run_for(&x, SYNACK_SEC(5)); /* tw_reuse is off: time alone does not help */
	assert_int_equal(synack_connect(x.c, s, SERVER_ADDR, 80, scn_now(&x)), -EADDRNOTAVAIL);
	assert_int_equal(scn_tw_held(x.c), 1);
	scn_free(&x);
}

static void test_T04_tw_reuse_takes_over_after_delay(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 107, &link10ms, &link10ms, one_port_reuse);
	struct conn k;
	establish(&x, &k);
	close_client_first(&x, &k);
	struct synack_sockinfo tw = the_tw(x.c);
	assert_true(tw.ts_ok);
	/* Within tw_reuse_delay_ms (1 s) of entering TIME_WAIT: not yet. */
	int s = synack_socket(x.c);
	assert_int_equal(synack_connect(x.c, s, SERVER_ADDR, 80, scn_now(&x)), -EADDRNOTAVAIL);
	/* TIME_WAIT began when the server's FIN arrived, 40 ms ago; reuse needs
	 * more than tw_reuse_delay_ms (1 s) since then. */
	scn_run_for(&x, SYNACK_MS(960));
	assert_int_equal(synack_connect(x.c, s, SERVER_ADDR, 80, scn_now(&x)), -EADDRNOTAVAIL);
	scn_run_for(&x, SYNACK_MS(1));
	size_t base = scn_seg_count(&x);
	k.c = s;
	open_conn(&x, &k);
	assert_int_equal(ctr(x.c)->TcpExtTWRecycled, 1);
	assert_int_equal(scn_tw_held(x.c), 0);
	/* The new incarnation starts 65537 above the old SND.NXT (Linux). */
	const struct synack_ladder_seg *syn = scn_seg(&x, base);
	assert_int_equal(syn->flags, F_SYN);
	assert_int_equal(syn->sport, 40000);
	assert_int_equal(syn->seq, tw.snd_nxt + 65537u);
	char sb[1024];
	assert_non_null(strstr(scn_states(&x, C, sb, sizeof(sb)),
	                       "FIN_WAIT_2>TIME_WAIT TIME_WAIT>CLOSED CLOSED>SYN_SENT SYN_SENT>ESTABLISHED"));
	scn_free(&x);
}

static void test_T04_tw_reuse_needs_timestamps(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 108, &link10ms, &link10ms, one_port_reuse_no_ts);
	struct conn k;
	establish(&x, &k);
	close_client_first(&x, &k);
	assert_false(the_tw(x.c).ts_ok);
	scn_run_for(&x, SYNACK_SEC(10));
	int s = synack_socket(x.c);
	assert_int_equal(synack_connect(x.c, s, SERVER_ADDR, 80, scn_now(&x)), -EADDRNOTAVAIL);
	assert_int_equal(ctr(x.c)->TcpExtTWRecycled, 0);
	scn_free(&x);
}

/* ------------------------------------------------------------------ */
/* T05: a new SYN for a 4-tuple the server holds in TIME_WAIT. */

static void no_timestamps(struct synack_config *cfg, int col)
{
	(void)col;
	cfg->timestamps = false;
}

/* The server closed first; the client comes back from the same port. */
static void reconnect_same_port(struct scn *x, struct conn *k, size_t *base)
{
	int s = synack_socket(x->c);
	assert_int_equal(synack_bind(x->c, s, 0, 5000), 0); /* the client holds no TIME_WAIT */
	*base = scn_seg_count(x);
	k->c = s;
	open_conn(x, k);
}

static void test_T05_syn_with_newer_timestamp_reopens(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 109, &link10ms, &link10ms, NULL);
	struct conn k;
	listen_on(&x, &k, 80, false);
	k.c = synack_socket(x.c);
	assert_int_equal(synack_bind(x.c, k.c, 0, 5000), 0);
	open_conn(&x, &k);
	close_server_first(&x, &k);
	struct synack_sockinfo tw = the_tw(x.s);
	assert_int_equal(tw.rport, 5000);
	assert_true(tw.ts_ok);
	scn_run_for(&x, SYNACK_SEC(2));
	size_t base;
	reconnect_same_port(&x, &k, &base);
	/* SYN (newer TSval) -> the entry gives way -> SYN+ACK with ISS =
	 * old SND.NXT + 65537 (RFC 1122 4.2.2.13 (1), Linux). */
	assert_int_equal(scn_seg(&x, base)->flags, F_SYN);
	const struct synack_ladder_seg *sa = scn_seg(&x, base + 1);
	assert_int_equal(sa->flags, F_SA);
	assert_int_equal(sa->seq, tw.snd_nxt + 65537u);
	assert_int_equal(scn_tw_held(x.s), 0);
	char sb[1024];
	assert_non_null(strstr(scn_states(&x, S, sb, sizeof(sb)), "TIME_WAIT>CLOSED LISTEN>SYN_RCVD"));
	assert_int_equal(ctr(x.s)->TcpExtTW, 0);
	scn_free(&x);
}

static void test_T05_syn_without_timestamps_beyond_rcv_nxt_reopens(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 110, &link10ms, &link10ms, no_timestamps);
	struct conn k;
	listen_on(&x, &k, 80, false);
	k.c = synack_socket(x.c);
	assert_int_equal(synack_bind(x.c, k.c, 0, 5000), 0);
	open_conn(&x, &k);
	close_server_first(&x, &k);
	struct synack_sockinfo tw = the_tw(x.s);
	assert_false(tw.ts_ok);
	scn_run_for(&x, SYNACK_SEC(2));
	size_t base;
	reconnect_same_port(&x, &k, &base);
	/* RFC 6528's clock moved the client's ISN past the old RCV.NXT. */
	assert_true(seq_gt(scn_seg(&x, base)->seq, tw.rcv_nxt));
	assert_int_equal(scn_seg(&x, base + 1)->seq, tw.snd_nxt + 65537u);
	assert_int_equal(scn_tw_held(x.s), 0);
	scn_free(&x);
}

static void server_always_cookies(struct synack_config *cfg, int col)
{
	if (col == S)
		cfg->syncookies = 2;
}

/* One request entry in all: a second half-open SYN finds the pool empty. */
static void server_one_request(struct synack_config *cfg, int col)
{
	if (col == S) {
		cfg->syncookies = 1;
		cfg->max_syn_backlog = 1;
	}
}

/* A SYN accepted from TIME_WAIT gets the ISS above the old incarnation's
 * sequence space even where the listener would answer with a SYN cookie
 * (syncookies = 2, or a full SYN queue): Linux's tcp_conn_request never
 * wants a cookie when it has a TIME_WAIT ISN (RFC 1122 4.2.2.13 (1)).
 * With no request entry free it drops the SYN, as Linux does. */
static void test_T05_syn_from_time_wait_never_gets_a_cookie(void **state)
{
	(void)state;
	for (int full = 0; full < 2; full++) {
		struct scn x;
		scn_init(&x, 112, &link10ms, &link10ms, full ? server_one_request : server_always_cookies);
		struct conn k;
		listen_on(&x, &k, 80, false);
		k.c = synack_socket(x.c);
		assert_int_equal(synack_bind(x.c, k.c, 0, 5000), 0);
		open_conn(&x, &k);
		assert_int_equal(ctr(x.s)->TcpExtSyncookiesSent, full ? 0 : 1);
		close_server_first(&x, &k);
		struct synack_sockinfo tw = the_tw(x.s);
		scn_run_for(&x, SYNACK_SEC(2));
		if (!full) {
			size_t base;
			reconnect_same_port(&x, &k, &base); /* a newer timestamp: accepted from TIME_WAIT */
			assert_int_equal(scn_seg(&x, base)->flags, F_SYN);
			const struct synack_ladder_seg *sa = scn_seg(&x, base + 1);
			assert_int_equal(sa->flags, F_SA);
			assert_int_equal(sa->seq, tw.snd_nxt + 65537u); /* TW_ISS_GAP, not a cookie */
			assert_int_equal(ctr(x.s)->TcpExtSyncookiesSent, 1);
			assert_int_equal(scn_tw_held(x.s), 0);
			/* open_conn accepted it and moved "hello": the connection works. */
			assert_int_equal(scn_state_of(x.s, k.a), SYNACK_ESTABLISHED);
			scn_free(&x);
			continue;
		}
		/* A half-open SYN from elsewhere takes the one request entry. */
		inject(&x, x.cnode, 0xc0000263u, SERVER_ADDR, 4444, 80, F_SYN, 1000, 0, NULL, false, 0, 0);
		scn_run_for(&x, SYNACK_MS(20));
		assert_int_equal(ctr(x.s)->TcpExtSyncookiesSent, 0);
		uint32_t drops = (uint32_t)ctr(x.s)->TcpExtListenDrops;
		int c = synack_socket(x.c);
		assert_int_equal(synack_bind(x.c, c, 0, 5000), 0);
		size_t base = scn_seg_count(&x);
		assert_int_equal(synack_connect(x.c, c, SERVER_ADDR, 80, scn_now(&x)), -EINPROGRESS);
		scn_run_for(&x, SYNACK_MS(500));
		/* The entry gave way, but no cookie answered: the SYN was dropped. */
		assert_int_equal(scn_tw_held(x.s), 0);
		assert_int_equal(scn_seg_count(&x), base + 1);
		assert_int_equal(ctr(x.s)->TcpExtSyncookiesSent, 0);
		assert_int_equal(ctr(x.s)->TcpExtListenDrops, drops + 1);
		synack_close(x.c, c, scn_now(&x));
		scn_free(&x);
	}
}

static void test_T05_old_syn_gets_time_wait_ack(void **state)
{
	(void)state;
	for (int ts = 0; ts < 2; ts++) {
		struct scn x;
		scn_init(&x, 111, &link10ms, &link10ms, ts ? NULL : no_timestamps);
		struct conn k;
		establish(&x, &k);
		close_server_first(&x, &k);
		struct synack_sockinfo tw = the_tw(x.s);
		uint32_t tsr = ts ? tw_of(x.s, &tw)->ts_recent : 0;
		scn_run_for(&x, SYNACK_SEC(1));
		size_t base = scn_seg_count(&x);
		/* Without timestamps: a SYN at or below RCV.NXT.  With them: a
		 * SYN beyond RCV.NXT but with an older TSval (PAWS). */
		uint32_t seq = ts ? tw.rcv_nxt + 100000u : tw.rcv_nxt - 100u;
		inject(&x, x.cnode, CLIENT_ADDR, SERVER_ADDR, tw.rport, 80, F_SYN, seq, 0, NULL, ts, tsr - 1, 0);
		scn_run_for(&x, SYNACK_MS(30));
		assert_int_equal(scn_seg_count(&x), base + 3); /* SYN, the TIME_WAIT ACK, the client's RST */
		const struct synack_ladder_seg *ack = scn_seg(&x, base + 1);
		assert_int_equal(ack->from_col, S);
		assert_int_equal(ack->flags, F_A);
		assert_int_equal(ack->seq, tw.snd_nxt);
		assert_int_equal(ack->ack, tw.rcv_nxt);
		assert_int_equal(scn_tw_held(x.s), 1); /* the old incarnation keeps its TIME_WAIT */
		assert_int_equal(ctr(x.s)->TcpExtPAWSTimewait, ts ? 1 : 0);
		assert_int_equal(ctr(x.s)->TcpPassiveOpens, 1);
		scn_free(&x);
	}
}

/* ------------------------------------------------------------------ */
/* T06: max_tw_buckets. */

static void one_tw_bucket(struct synack_config *cfg, int col)
{
	if (col == C)
		cfg->max_tw_buckets = 1;
}

static void test_T06_max_tw_buckets_overflow_skips_time_wait(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 112, &link10ms, &link10ms, one_tw_bucket);
	struct conn k;
	establish(&x, &k);
	close_client_first(&x, &k);
	assert_int_equal(scn_tw_held(x.c), 1);
	k.c = synack_socket(x.c);
	open_conn(&x, &k);
	close_client_first(&x, &k);
	/* No room: the second connection goes FIN_WAIT_2 -> CLOSED at once
	 * after its last ACK (Linux's tcp_time_wait). */
	assert_int_equal(scn_tw_held(x.c), 1);
	assert_int_equal(scn_conns_held(x.c), 1);
	assert_int_equal(ctr(x.c)->TcpExtTCPTimeWaitOverflow, 1);
	const struct synack_ladder_state *end = last_state(&x, C);
	assert_int_equal(end->old_state, SYNACK_FIN_WAIT_2);
	assert_int_equal(end->new_state, SYNACK_CLOSED);
	const struct synack_ladder_seg *ack = last_seg(&x);
	assert_int_equal(ack->from_col, C); /* the final ACK still went out */
	assert_int_equal(ack->flags, F_A);
	char sb[512];
	assert_non_null(strstr(scn_states(&x, S, sb, sizeof(sb)), "LAST_ACK>CLOSED"));
	scn_run_for(&x, SYNACK_SEC(61));
	assert_int_equal(ctr(x.c)->TcpExtTW, 1);
	scn_free(&x);
}

/* ------------------------------------------------------------------ */
/* T07: a restarted server and SO_REUSEADDR. */

static int restart_server(struct scn *x, bool reuse)
{
	int l = synack_socket(x->s);
	if (reuse)
		synack_setsockopt(x->s, l, SYNACK_SO_REUSEADDR, 1);
	int e = synack_bind(x->s, l, 0, 80);
	if (e == 0)
		e = synack_listen(x->s, l, 16);
	synack_close(x->s, l, scn_now(x));
	return e;
}

static void test_Q13_T07_restarted_server_needs_so_reuseaddr(void **state)
{
	(void)state;
	for (int old_reuse = 1; old_reuse >= 0; old_reuse--) {
		struct scn x;
		scn_init(&x, 113, &link10ms, &link10ms, NULL);
		struct conn k;
		listen_on(&x, &k, 80, old_reuse);
		for (int i = 0; i < 3; i++) {
			k.c = synack_socket(x.c);
			open_conn(&x, &k);
			close_server_first(&x, &k); /* the server holds TIME_WAIT */
		}
		assert_int_equal(scn_tw_held(x.s), 3);
		/* The server stops; its old connections sit in TIME_WAIT on :80. */
		assert_int_equal(synack_close(x.s, k.l, scn_now(&x)), 0);
		assert_int_equal(restart_server(&x, false), -EADDRINUSE);
		/* SO_REUSEADDR on both the old and the new socket, as Linux wants. */
		assert_int_equal(restart_server(&x, true), old_reuse ? 0 : -EADDRINUSE);
		/* A listener is never shared, SO_REUSEADDR or not. */
		if (old_reuse) {
			struct conn k2;
			listen_on(&x, &k2, 80, true);
			assert_int_equal(restart_server(&x, true), -EADDRINUSE);
			k2.c = synack_socket(x.c);
			open_conn(&x, &k2); /* and the restarted server serves */
		}
		scn_run_for(&x, SYNACK_SEC(61));
		assert_int_equal(scn_tw_held(x.s), 0);
		if (!old_reuse)
			assert_int_equal(restart_server(&x, false), 0);
		scn_free(&x);
	}
}

/* ------------------------------------------------------------------ */
/* T08: SO_LINGER. */

static void test_T08_linger_zero_resets_no_time_wait(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 114, &link10ms, &link10ms, NULL);
	struct conn k;
	establish(&x, &k);
	int v = 5;
	assert_int_equal(synack_getsockopt(x.c, k.c, SYNACK_SO_LINGER, &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(synack_setsockopt(x.c, k.c, SYNACK_SO_LINGER, 0), 0);
	assert_int_equal(synack_getsockopt(x.c, k.c, SYNACK_SO_LINGER, &v), 0);
	assert_int_equal(v, 0);
	size_t base = scn_seg_count(&x);
	assert_int_equal(synack_close(x.c, k.c, scn_now(&x)), 0);
	assert_int_equal(scn_conns_held(x.c), 0); /* gone at once: no FIN_WAIT, no TIME_WAIT */
	scn_run_for(&x, SYNACK_MS(50));
	assert_int_equal(scn_seg_count(&x), base + 1);
	assert_seg(&x, base, C, F_RA, 6, 1, 0);
	assert_int_equal(ctr(x.c)->TcpExtTCPAbortOnData, 1); /* Linux's counter for it */
	assert_int_equal(ctr(x.c)->TcpExtTCPAbortOnClose, 0);
	char buf[8];
	assert_int_equal(synack_recv(x.s, k.a, buf, sizeof(buf), scn_now(&x)), -ECONNRESET);
	char sb[512];
	assert_non_null(strstr(scn_states(&x, C, sb, sizeof(sb)), "ESTABLISHED>CLOSED"));
	assert_null(strstr(sb, "TIME_WAIT"));
	scn_free(&x);
}

/* Drops every segment from the server after the flag is set. */
static bool blackhole(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)pkt, (void)len, (void)now;
	return *(bool *)ctx;
}

static void test_T08_linger_timeout_aborts_unfinished_close(void **state)
{
	(void)state;
	for (int lost = 1; lost >= 0; lost--) {
		struct scn x;
		scn_init(&x, 115, &link10ms, &link10ms, NULL);
		struct conn k;
		establish(&x, &k);
		bool hole = false;
		synack_sim_set_filter(x.sim, x.snode, x.cnode, blackhole, &hole);
		assert_int_equal(synack_setsockopt(x.c, k.c, SYNACK_SO_LINGER, 2), 0);
		assert_int_equal(synack_send(x.c, k.c, "last words", 10, scn_now(&x)), 10);
		hole = lost; /* the server's ACKs never arrive */
		synack_time_t t0 = scn_now(&x);
		assert_int_equal(synack_close(x.c, k.c, t0), 0); /* returns at once, whatever the linger */
		scn_run_for(&x, SYNACK_SEC(3));
		char sb[512];
		scn_states(&x, C, sb, sizeof(sb));
		if (lost) {
			/* Data and FIN unacknowledged 2 s after close(): RST. */
			assert_int_equal(ctr(x.c)->TcpExtTCPAbortOnLinger, 1);
			const struct synack_ladder_state *end = last_state(&x, C);
			assert_int_equal(end->old_state, SYNACK_FIN_WAIT_1);
			assert_int_equal(end->new_state, SYNACK_CLOSED);
			assert_int_equal(end->time, t0 + SYNACK_SEC(2));
			int rsts = 0;
			for (size_t i = 0; i < scn_seg_count(&x); i++) {
				const struct synack_ladder_seg *g = scn_seg(&x, i);
				if (g->flags & SYNACK_TCP_RST) {
					assert_int_equal(g->from_col, C);
					assert_int_equal(g->time, t0 + SYNACK_SEC(2));
					rsts++;
				}
			}
			assert_int_equal(rsts, 1);
			assert_int_equal(scn_conns_held(x.c), 0);
		} else {
			/* Acknowledged in time: the usual close, TIME_WAIT included. */
			assert_int_equal(ctr(x.c)->TcpExtTCPAbortOnLinger, 0);
			assert_non_null(strstr(sb, "FIN_WAIT_1>FIN_WAIT_2"));
			char buf[16];
			assert_int_equal(synack_recv(x.s, k.a, buf, sizeof(buf), scn_now(&x)), 10);
			synack_close(x.s, k.a, scn_now(&x));
			scn_run_for(&x, SYNACK_MS(50));
			assert_int_equal(scn_tw_held(x.c), 1);
		}
		scn_free(&x);
	}
}

/* ------------------------------------------------------------------ */
/* T09: timestamps and PAWS. */

static void test_T09_paws_on_established_connection(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 116, &link10ms, &link10ms, NULL);
	struct conn k;
	establish(&x, &k);
	struct synack_sockinfo ci;
	assert_int_equal(synack_sockinfo(x.c, k.c, &ci), 0);
	assert_true(ci.ts_ok);
	const struct tcb *t = tcb_from_sock(x.c, k.c);
	uint32_t tsr = t->ts_recent;
	/* Only the injected segments reach the client from here on: the real
	 * server never hears the client's ACKs for data it did not send. */
	bool hole = true;
	synack_sim_set_filter(x.sim, x.cnode, x.snode, blackhole, &hole);
	size_t base = scn_seg_count(&x);
	/* In the window, exactly at RCV.NXT, but with an older TSval. */
	inject(&x, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, ci.lport, F_PA, ci.rcv_nxt, ci.snd_nxt, "stale", true, tsr - 1,
	       0);
	scn_run_for(&x, SYNACK_MS(30));
	char buf[16];
	assert_int_equal(synack_recv(x.c, k.c, buf, sizeof(buf), scn_now(&x)), -EAGAIN);
	assert_int_equal(ctr(x.c)->TcpExtPAWSEstab, 1);
	assert_int_equal(scn_seg_count(&x), base + 2); /* dropped, answered with an ACK */
	assert_seg(&x, base + 1, C, F_A, 6, 1, 0);
	assert_int_equal(t->ts_recent, tsr);
	/* The same bytes with TSval == TS.Recent are fine. */
	inject(&x, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, ci.lport, F_PA, ci.rcv_nxt, ci.snd_nxt, "fresh", true, tsr, 0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(synack_recv(x.c, k.c, buf, sizeof(buf), scn_now(&x)), 5);
	assert_memory_equal(buf, "fresh", 5);
	/* RFC 7323 5.5: after 24 days idle TS.Recent is invalid; PAWS steps aside. */
	scn_run_for(&x, SYNACK_SEC(60u * 60u * 24u * 24u + 1u));
	assert_int_equal(synack_sockinfo(x.c, k.c, &ci), 0);
	inject(&x, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, ci.lport, F_PA, ci.rcv_nxt, ci.snd_nxt, "later", true, tsr - 5,
	       0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(synack_recv(x.c, k.c, buf, sizeof(buf), scn_now(&x)), 5);
	assert_int_equal(ctr(x.c)->TcpExtPAWSEstab, 1);
	assert_int_equal(t->ts_recent, tsr - 5); /* the invalid TS.Recent was replaced */
	/* RFC 7323 5.3: a RST is acceptable whatever its timestamp. */
	assert_int_equal(synack_sockinfo(x.c, k.c, &ci), 0);
	inject(&x, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, ci.lport, F_R, ci.rcv_nxt, 0, NULL, true, 1, 0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(synack_recv(x.c, k.c, buf, sizeof(buf), scn_now(&x)), -ECONNRESET);
	scn_free(&x);
}

static void reuse_client(struct synack_config *cfg, int col)
{
	if (col == C) {
		cfg->tw_reuse = 1;
		cfg->ip_local_port_range[0] = cfg->ip_local_port_range[1] = 40000;
	}
}

/* With tw_reuse the client reopens the 4-tuple 2 s after the old
 * incarnation closed; a segment of the old incarnation that was delayed in
 * the network then arrives with a sequence number that happens to fall in
 * the new window.  Its older timestamp gives it away. */
static void test_Q10_T09_old_duplicate_of_reused_tuple_rejected(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 117, &link10ms, &link10ms, reuse_client);
	struct conn k;
	establish(&x, &k);
	uint32_t old_tsval = tcb_from_sock(x.c, k.c)->ts_recent; /* a TSval of the server's, old incarnation */
	close_client_first(&x, &k);
	scn_run_for(&x, SYNACK_SEC(2));
	k.c = synack_socket(x.c);
	open_conn(&x, &k);
	assert_int_equal(ctr(x.c)->TcpExtTWRecycled, 1);
	struct synack_sockinfo ci;
	assert_int_equal(synack_sockinfo(x.c, k.c, &ci), 0);
	assert_int_equal(ci.lport, 40000);
	inject(&x, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, 40000, F_PA, ci.rcv_nxt, ci.snd_nxt, "ghost", true, old_tsval,
	       0);
	scn_run_for(&x, SYNACK_MS(30));
	char buf[16];
	assert_int_equal(synack_recv(x.c, k.c, buf, sizeof(buf), scn_now(&x)), -EAGAIN);
	assert_int_equal(ctr(x.c)->TcpExtPAWSEstab, 1);
	/* The same in TIME_WAIT: the server holds it this time. */
	close_server_first(&x, &k);
	struct synack_sockinfo tw = the_tw(x.s);
	uint32_t tsr = tw_of(x.s, &tw)->ts_recent;
	size_t base = scn_seg_count(&x);
	inject(&x, x.cnode, CLIENT_ADDR, SERVER_ADDR, 40000, 80, F_PA, tw.rcv_nxt, tw.snd_nxt, "ghost", true, tsr - 1000,
	       0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(ctr(x.s)->TcpExtPAWSTimewait, 1);
	/* Answered with the TIME_WAIT ACK, which the client (closed) answers
	 * with a RST at exactly RCV.NXT: RFC 1337's assassination, ignored. */
	assert_int_equal(scn_seg_count(&x), base + 3);
	assert_int_equal(scn_seg(&x, base + 1)->flags, F_A);
	assert_int_equal(scn_seg(&x, base + 1)->seq, tw.snd_nxt);
	assert_int_equal(scn_seg(&x, base + 2)->flags, F_R);
	assert_int_equal(scn_tw_held(x.s), 1);
	scn_free(&x);
}

/* T09 in SYN_SENT: a SYN+ACK whose TSecr is no TSval we sent (from before
 * our SYN, or from the future) is stale or forged: reset and counted
 * (Linux's PAWSActiveRejected), and the connection keeps waiting; a
 * RST+ACK with such an echo is ignored; the real answer still opens it. */
static void test_T09_syn_sent_rejects_synack_echoing_unsent_tsval(void **state)
{
	(void)state;
	struct scn x;
	struct rawcap cap;
	scn_init_ex(&x, 118, &link10ms, &link10ms, NULL, S, &cap);
	int c = synack_socket(x.c);
	assert_int_equal(synack_connect(x.c, c, SERVER_ADDR, 80, scn_now(&x)), -EINPROGRESS);
	scn_run_for(&x, SYNACK_MS(300));
	assert_int_equal(cap.n, 1);
	struct synack_tcp_seg syn = cap.p[0].seg;
	assert_true(syn.opt.present & SYNACK_OPT_TS);
	uint32_t iss = syn.seq, tsv = syn.opt.ts_val;
	const uint32_t bad[] = {tsv - 1, tsv + 100000u};
	for (int i = 0; i < 2; i++) {
		inject(&x, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, syn.sport, F_SA, 5000, iss + 1, NULL, true, 777, bad[i]);
		scn_run_for(&x, SYNACK_MS(20));
		assert_int_equal(scn_state_of(x.c, c), SYNACK_SYN_SENT);
		assert_int_equal(cap.n, 2 + i);
		assert_int_equal(cap.p[cap.n - 1].seg.flags, F_R);
		assert_int_equal(cap.p[cap.n - 1].seg.seq, iss + 1);
		assert_int_equal(ctr(x.c)->TcpExtPAWSActive, (uint64_t)(i + 1));
	}
	inject(&x, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, syn.sport, F_RA, 0, iss + 1, NULL, true, 777, tsv - 1);
	scn_run_for(&x, SYNACK_MS(20));
	assert_int_equal(scn_state_of(x.c, c), SYNACK_SYN_SENT);
	assert_int_equal(cap.n, 3); /* no reply to a RST */
	assert_int_equal(ctr(x.c)->TcpExtPAWSActive, 3);
	/* The answer that echoes our SYN's TSval opens the connection. */
	inject(&x, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, syn.sport, F_SA, 5000, iss + 1, NULL, true, 778, tsv);
	scn_run_for(&x, SYNACK_MS(20));
	assert_int_equal(scn_state_of(x.c, c), SYNACK_ESTABLISHED);
	assert_int_equal(cap.p[cap.n - 1].seg.flags, F_A);
	assert_int_equal(cap.p[cap.n - 1].seg.ack, 5001);
	assert_int_equal(ctr(x.c)->TcpExtPAWSActive, 3);
	scn_free(&x);
}

/* ------------------------------------------------------------------ */
/* Q11: a crawler makes 50,000 short connections to one server port from a
 * narrow ephemeral range (200 ports), one every 20 ms of virtual time, and
 * closes first, so TIME_WAIT lands on the crawler. */

#define CRAWL_N 50000u
#define CRAWL_PORTS 200u
#define CRAWL_GAP SYNACK_MS(20)

enum crawl_mode { CRAWL_PLAIN, CRAWL_TW_REUSE, CRAWL_LINGER0, CRAWL_SMALL_TW };

struct crawl {
	struct synack_sim *sim;
	struct synack_stack *c, *s;
	int l;
	uint32_t ok, eaddrnotavail, other;
	uint32_t first_fail;  /* attempt index of the first EADDRNOTAVAIL */
	int tw_at_first_fail; /* TIME_WAIT entries the crawler held then */
	int tw_max;           /* most TIME_WAIT entries held after any attempt */
};

static void crawl_run_until(struct crawl *w, synack_time_t t)
{
	synack_sim_run_until(w->sim, t);
}

static void crawl(enum crawl_mode mode, struct crawl *w)
{
	memset(w, 0, sizeof(*w));
	w->first_fail = UINT32_MAX;
	w->sim = synack_sim_new(1000 + (uint64_t)mode);
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.addr = CLIENT_ADDR;
	cfg.seed = 1;
	cfg.max_sockets = 16;
	cfg.rmem = cfg.wmem = 4096;
	cfg.ip_local_port_range[0] = 50000;
	cfg.ip_local_port_range[1] = 50000 + CRAWL_PORTS - 1;
	if (mode == CRAWL_TW_REUSE)
		cfg.tw_reuse = 1;
	if (mode == CRAWL_SMALL_TW)
		cfg.max_tw_buckets = 50;
	int cn = synack_sim_add_stack(w->sim, &cfg);
	synack_config_default(&cfg);
	cfg.addr = SERVER_ADDR;
	cfg.seed = 2;
	cfg.max_sockets = 64;
	cfg.rmem = cfg.wmem = 4096;
	int sn = synack_sim_add_stack(w->sim, &cfg);
	assert_true(cn >= 0 && sn >= 0);
	assert_int_equal(synack_sim_link(w->sim, cn, sn, &link1ms, &link1ms), 0);
	w->c = synack_sim_stack(w->sim, cn);
	w->s = synack_sim_stack(w->sim, sn);
	w->l = synack_socket(w->s);
	assert_int_equal(synack_bind(w->s, w->l, 0, 80), 0);
	assert_int_equal(synack_listen(w->s, w->l, 64), 0);
	for (uint32_t i = 0; i < CRAWL_N; i++) {
		synack_time_t t0 = (synack_time_t)i * CRAWL_GAP + SYNACK_MS(1);
		crawl_run_until(w, t0);
		int s = synack_socket(w->c);
		assert_true(s >= 0);
		if (mode == CRAWL_LINGER0)
			synack_setsockopt(w->c, s, SYNACK_SO_LINGER, 0);
		int e = synack_connect(w->c, s, SERVER_ADDR, 80, t0);
		if (e != -EINPROGRESS) {
			if (e == -EADDRNOTAVAIL) {
				if (w->eaddrnotavail++ == 0) {
					w->first_fail = i;
					w->tw_at_first_fail = scn_tw_held(w->c);
				}
			} else {
				w->other++;
			}
			synack_close(w->c, s, t0);
			continue;
		}
		/* 1 ms links: established at +2 ms; the client closes at +3 ms,
		 * its FIN reaches the server at +4 ms. */
		crawl_run_until(w, t0 + SYNACK_MS(3));
		assert_int_equal(scn_state_of(w->c, s), SYNACK_ESTABLISHED);
		synack_close(w->c, s, t0 + SYNACK_MS(3));
		crawl_run_until(w, t0 + SYNACK_MS(4));
		int a = synack_accept(w->s, w->l, NULL, NULL);
		if (a >= 0) {
			char buf[4];
			ssize_t r = synack_recv(w->s, a, buf, sizeof(buf), t0 + SYNACK_MS(4));
			assert_true(r == 0 || (mode == CRAWL_LINGER0 && r == -ECONNRESET));
			synack_close(w->s, a, t0 + SYNACK_MS(4));
		} else {
			assert_int_equal(mode, CRAWL_LINGER0); /* reset before it was accepted */
		}
		w->ok++;
		if (mode != CRAWL_PLAIN || w->ok % 64 == 0 || w->ok <= CRAWL_PORTS + 1) {
			crawl_run_until(w, t0 + SYNACK_MS(10));
			int tw = scn_tw_held(w->c);
			if (tw > w->tw_max)
				w->tw_max = tw;
		}
	}
	/* Everything ends: the last entries expire 2*MSL later. */
	crawl_run_until(w, (synack_time_t)CRAWL_N * CRAWL_GAP + SYNACK_SEC(61));
	printf("crawler mode %d: %u connections, %u EADDRNOTAVAIL (first at attempt %u with %d in TIME_WAIT), "
	       "TIME_WAIT peak %d; TW %llu, TWRecycled %llu, TCPTimeWaitOverflow %llu, TCPAbortOnData %llu\n",
	       (int)mode, w->ok, w->eaddrnotavail, w->first_fail, w->tw_at_first_fail, w->tw_max,
	       (unsigned long long)ctr(w->c)->TcpExtTW, (unsigned long long)ctr(w->c)->TcpExtTWRecycled,
	       (unsigned long long)ctr(w->c)->TcpExtTCPTimeWaitOverflow,
	       (unsigned long long)ctr(w->c)->TcpExtTCPAbortOnData);
	assert_int_equal(w->other, 0);
	assert_int_equal(w->ok + w->eaddrnotavail, CRAWL_N);
	assert_int_equal(scn_conns_held(w->c), 0);
	assert_int_equal(scn_conns_held(w->s), 1); /* the listener */
}

static void test_Q11_T04_crawler_runs_out_of_ports(void **state)
{
	(void)state;
	struct crawl w;
	crawl(CRAWL_PLAIN, &w);
	/* Every port serves once, then each sits in TIME_WAIT for 60 s: the
	 * 201st connect finds all 200 4-tuples held. */
	assert_int_equal(w.first_fail, CRAWL_PORTS);
	assert_int_equal(w.tw_at_first_fail, CRAWL_PORTS);
	assert_int_equal(w.tw_max, CRAWL_PORTS);
	/* Then about 200 per 60 s get through: the whole run is 1000 s. */
	uint32_t periods = (uint32_t)((synack_time_t)CRAWL_N * CRAWL_GAP / SYNACK_SEC(60));
	assert_true(w.ok >= CRAWL_PORTS * periods && w.ok <= CRAWL_PORTS * (periods + 1));
	assert_true(w.eaddrnotavail > CRAWL_N * 9 / 10);
	assert_int_equal(ctr(w.c)->TcpExtTW, w.ok);
	assert_int_equal(ctr(w.c)->TcpExtTWRecycled, 0);
	synack_sim_free(w.sim);
}

static void test_Q11_T04_crawler_with_tw_reuse(void **state)
{
	(void)state;
	struct crawl w;
	crawl(CRAWL_TW_REUSE, &w);
	/* Each 4-tuple is taken over once its entry is 1 s old. */
	assert_int_equal(w.ok, CRAWL_N);
	assert_int_equal(w.eaddrnotavail, 0);
	assert_true(w.tw_max <= (int)CRAWL_PORTS);
	assert_true(ctr(w.c)->TcpExtTWRecycled >= CRAWL_N - CRAWL_PORTS * 2);
	assert_int_equal(ctr(w.c)->TcpExtTWRecycled + ctr(w.c)->TcpExtTW, CRAWL_N);
	synack_sim_free(w.sim);
}

static void test_Q11_T08_crawler_with_linger_zero(void **state)
{
	(void)state;
	struct crawl w;
	crawl(CRAWL_LINGER0, &w);
	/* close() resets: no TIME_WAIT ever, so no port is ever held. */
	assert_int_equal(w.ok, CRAWL_N);
	assert_int_equal(w.eaddrnotavail, 0);
	assert_int_equal(w.tw_max, 0);
	assert_int_equal(ctr(w.c)->TcpExtTW, 0);
	assert_int_equal(ctr(w.c)->TcpExtTCPAbortOnData, CRAWL_N);
	assert_int_equal(ctr(w.s)->TcpExtTW, 0);
	synack_sim_free(w.sim);
}

static void test_Q11_T06_crawler_with_small_max_tw_buckets(void **state)
{
	(void)state;
	struct crawl w;
	crawl(CRAWL_SMALL_TW, &w);
	/* Only 50 entries fit; every other close skips TIME_WAIT and frees
	 * its port at once. */
	assert_int_equal(w.ok, CRAWL_N);
	assert_int_equal(w.eaddrnotavail, 0);
	assert_int_equal(w.tw_max, 50);
	assert_true(ctr(w.c)->TcpExtTCPTimeWaitOverflow > CRAWL_N * 9 / 10);
	assert_int_equal(ctr(w.c)->TcpExtTCPTimeWaitOverflow + ctr(w.c)->TcpExtTW, CRAWL_N);
	synack_sim_free(w.sim);
}

/* ------------------------------------------------------------------ */
/* F02: ephemeral ports (RFC 6056). */

static void narrow_range(struct synack_config *cfg, int col)
{
	if (col == C) {
		cfg->max_sockets = 128;
		cfg->ip_local_port_range[0] = 40000;
		cfg->ip_local_port_range[1] = 40999;
	}
}

static void test_F02_ports_in_range_not_sequential(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 118, &link10ms, &link10ms, narrow_range);
	struct conn k;
	listen_on(&x, &k, 80, false);
	uint16_t ports[100];
	int sequential = 0;
	for (int i = 0; i < 100; i++) {
		int s = synack_socket(x.c);
		assert_int_equal(synack_connect(x.c, s, SERVER_ADDR, 80, scn_now(&x)), -EINPROGRESS);
		struct synack_sockinfo info;
		assert_int_equal(synack_sockinfo(x.c, s, &info), 0);
		ports[i] = info.lport;
		assert_true(ports[i] >= 40000 && ports[i] <= 40999);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(ports[j], ports[i]);
		if (i > 0 && ports[i] == ports[i - 1] + 1)
			sequential++;
	}
	printf("F02: first ports %u %u %u %u %u; %d of 99 steps were +1\n", ports[0], ports[1], ports[2], ports[3],
	       ports[4], sequential);
	assert_true(sequential < 33);
	/* Another destination starts somewhere else (the keyed hash). */
	int s = synack_socket(x.c);
	assert_int_equal(synack_connect(x.c, s, SERVER_ADDR, 8080, scn_now(&x)), -EINPROGRESS);
	scn_free(&x);
}

static void four_ports(struct synack_config *cfg, int col)
{
	if (col == C) {
		cfg->ip_local_port_range[0] = 40000;
		cfg->ip_local_port_range[1] = 40003;
	}
}

static void test_F02_exhausted_range_fails_fast(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 119, &link10ms, &link10ms, four_ports);
	struct conn k;
	listen_on(&x, &k, 80, false);
	/* Two ports in TIME_WAIT, two held by open connections. */
	for (int i = 0; i < 2; i++) {
		k.c = synack_socket(x.c);
		open_conn(&x, &k);
		close_client_first(&x, &k);
	}
	for (int i = 0; i < 2; i++) {
		k.c = synack_socket(x.c);
		open_conn(&x, &k);
	}
	assert_int_equal(scn_tw_held(x.c), 2);
	int s = synack_socket(x.c);
	assert_int_equal(synack_connect(x.c, s, SERVER_ADDR, 80, scn_now(&x)), -EADDRNOTAVAIL);
	/* bind(0) skips ports held by anything, TIME_WAIT included. */
	assert_int_equal(synack_bind(x.c, s, 0, 0), -EADDRINUSE);
	scn_run_for(&x, SYNACK_SEC(61));
	assert_int_equal(synack_bind(x.c, s, 0, 0), 0);
	struct synack_sockinfo i;
	assert_int_equal(synack_sockinfo(x.c, s, &i), 0);
	assert_true(i.lport >= 40000 && i.lport <= 40003);
	scn_free(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_T01_entry_fits_64_bytes),
		cmocka_unit_test(test_T01_connection_slot_freed_while_entry_answers),
		cmocka_unit_test(test_T01_held_handle_reads_closed),
		cmocka_unit_test(test_Q10_T02_lost_last_ack_fin_answered_2msl_restarts),
		cmocka_unit_test(test_T03_rst_in_time_wait),
		cmocka_unit_test(test_T04_ephemeral_connect_avoids_time_wait),
		cmocka_unit_test(test_T04_bound_port_in_time_wait_is_eaddrnotavail),
		cmocka_unit_test(test_T04_tw_reuse_takes_over_after_delay),
		cmocka_unit_test(test_T04_tw_reuse_needs_timestamps),
		cmocka_unit_test(test_T05_syn_with_newer_timestamp_reopens),
		cmocka_unit_test(test_T05_syn_without_timestamps_beyond_rcv_nxt_reopens),
		cmocka_unit_test(test_T05_syn_from_time_wait_never_gets_a_cookie),
		cmocka_unit_test(test_T05_old_syn_gets_time_wait_ack),
		cmocka_unit_test(test_T06_max_tw_buckets_overflow_skips_time_wait),
		cmocka_unit_test(test_Q13_T07_restarted_server_needs_so_reuseaddr),
		cmocka_unit_test(test_T08_linger_zero_resets_no_time_wait),
		cmocka_unit_test(test_T08_linger_timeout_aborts_unfinished_close),
		cmocka_unit_test(test_T09_paws_on_established_connection),
		cmocka_unit_test(test_Q10_T09_old_duplicate_of_reused_tuple_rejected),
		cmocka_unit_test(test_T09_syn_sent_rejects_synack_echoing_unsent_tsval),
		cmocka_unit_test(test_Q11_T04_crawler_runs_out_of_ports),
		cmocka_unit_test(test_Q11_T04_crawler_with_tw_reuse),
		cmocka_unit_test(test_Q11_T08_crawler_with_linger_zero),
		cmocka_unit_test(test_Q11_T06_crawler_with_small_max_tw_buckets),
		cmocka_unit_test(test_F02_ports_in_range_not_sequential),
		cmocka_unit_test(test_F02_exhausted_range_fails_fast),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
