/* The listener: SYN queue of request entries, accept queue, SYN+ACK
 * retransmission, SYN cookies, flood defences (SPEC L01-L06, H07).  Every
 * assertion is on virtual time, segments on the wire, states and counters. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"
#include "synack/flood.h"
#include "tcp/tcp.h" /* sizeof(struct reqsk) only */

static const struct synack_link_model link10ms = {.delay_us = 10000};

static struct synack_tcp_opts no_opts;

/* A crafted segment with options, from the client's address to port 80. */
static void inject_opts(struct scn *x, uint16_t sport, uint8_t flags, uint32_t seq, uint32_t ack,
                        const struct synack_tcp_opts *o, const void *data, uint32_t len)
{
	assert_true(scn_inject_opts(x->sim, x->cnode, CLIENT_ADDR, SERVER_ADDR, sport, 80, flags, seq, ack, o, data,
	                            len) > 0);
}

static uint8_t tweak_cookies;
static uint8_t tweak_synack_retries = 5;
static uint32_t tweak_rate;
static bool tweak_abort;
static bool tweak_client_ts = true;
static uint32_t tweak_max_sockets = 64;

static void tweak(struct synack_config *cfg, int col)
{
	if (col == S) {
		cfg->syncookies = tweak_cookies;
		cfg->synack_retries = tweak_synack_retries;
		cfg->syn_rate_per_src = tweak_rate;
		cfg->abort_on_overflow = tweak_abort;
		cfg->max_sockets = tweak_max_sockets;
	} else {
		cfg->timestamps = tweak_client_ts;
	}
}

static int reset_tweaks(void **state)
{
	(void)state;
	tweak_cookies = 1;
	tweak_synack_retries = 5;
	tweak_rate = 0;
	tweak_abort = false;
	tweak_client_ts = true;
	tweak_max_sockets = 64;
	return 0;
}

static int listen_on_80(struct synack_stack *s, int backlog)
{
	int l = synack_socket(s);
	assert_int_equal(synack_bind(s, l, 0, 80), 0);
	assert_int_equal(synack_listen(s, l, backlog), 0);
	return l;
}

static struct synack_sockinfo info_of(struct synack_stack *st, int sock)
{
	struct synack_sockinfo i;
	assert_int_equal(synack_sockinfo(st, sock, &i), 0);
	return i;
}

/* L06: a SYN costs a request entry of at most 64 bytes, not a connection:
 * a server whose connection pool holds only its listener still answers 20
 * SYNs, and `ss` (sock_foreach) shows the 20 requests in SYN_RCVD. */
static void test_L06_L01_request_entries_not_connections(void **state)
{
	(void)state;
	assert_true(sizeof(struct reqsk) <= 64);
	tweak_max_sockets = 1;
	struct scn x;
	struct rawcap cap;
	scn_init_ex(&x, 3, &link10ms, &link10ms, tweak, C, &cap);
	int l = listen_on_80(x.s, 128);
	for (uint16_t i = 0; i < 20; i++)
		scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, (uint16_t)(5000 + i), 80, SYNACK_TCP_SYN, 1000u * i,
		           0, NULL, 0);
	scn_run_for(&x, SYNACK_MS(100));
	assert_int_equal(cap.n, 20);
	for (int i = 0; i < 20; i++)
		assert_int_equal(cap.p[i].seg.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
	assert_int_equal(scn_conns_held(x.s), 21);
	struct synack_sockinfo li = info_of(x.s, l);
	assert_int_equal(li.synq_len, 20);
	assert_int_equal(li.recv_q, 0);
	assert_int_equal(li.send_q, 128);
	/* No connection slot is free, so the completing ACK is dropped and
	 * counted; the request stays (as if the ACK were lost). */
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 5000, 80, SYNACK_TCP_ACK, 1, cap.p[0].seg.seq + 1, NULL, 0);
	scn_run_for(&x, SYNACK_MS(100));
	assert_int_equal(synack_get_counters(x.s)->TcpExtListenDrops, 1);
	assert_int_equal(info_of(x.s, l).synq_len, 20);
	scn_free(&x);
}

static void advance_to(struct scn *x, synack_time_t t)
{
	synack_sim_run_until(x->sim, t);
}

/* L01 L02: backlog 2 (the accept queue holds 3, as Linux's listen(fd, 2)),
 * six clients at once and a seventh at 2 s, and an application that accepts
 * nothing until 4.5 s.  Linux's outcome: three connections wait in the
 * accept queue; the other three clients are ESTABLISHED on their side while
 * the server drops their ACKs and keeps the requests; the seventh client's
 * SYNs are dropped while the queue is full.  Once the application accepts,
 * the seventh client's next SYN (5.0 s) and the next SYN+ACK retransmission
 * (7.01 s) complete everyone. */
static void test_L01_L02_accept_queue_full_drops_then_success(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 4, &link10ms, &link10ms, tweak);
	int l = listen_on_80(x.s, 2);
	int c[7];
	for (int i = 0; i < 6; i++) {
		c[i] = synack_socket(x.c);
		assert_int_equal(synack_connect(x.c, c[i], SERVER_ADDR, 80, scn_now(&x)), -EINPROGRESS);
	}
	advance_to(&x, SYNACK_SEC(2));
	c[6] = synack_socket(x.c);
	assert_int_equal(synack_connect(x.c, c[6], SERVER_ADDR, 80, scn_now(&x)), -EINPROGRESS);
	advance_to(&x, SYNACK_MS(4500));
	struct synack_sockinfo li = info_of(x.s, l);
	assert_int_equal(li.recv_q, 3);   /* accept queue: backlog + 1 */
	assert_int_equal(li.synq_len, 3); /* the three whose ACKs were dropped */
	for (int i = 0; i < 6; i++)
		assert_int_equal(scn_state_of(x.c, c[i]), SYNACK_ESTABLISHED);
	assert_int_equal(scn_state_of(x.c, c[6]), SYNACK_SYN_SENT);
	const struct synack_counters *sc = synack_get_counters(x.s);
	/* Dropped ACKs at 0.03, 1.03 and 3.03 s (3 each), the seventh's SYN at
	 * 2.01 and 3.01 s. */
	assert_int_equal(sc->TcpExtListenOverflows, 11);
	assert_int_equal(sc->TcpExtListenDrops, 11);
	assert_int_equal(sc->TcpExtTCPSynRetrans, 6);
	assert_int_equal(synack_get_counters(x.c)->TcpExtTCPSynRetrans, 1);
	int accepted = 0;
	while (synack_accept(x.s, l, NULL, NULL) >= 0)
		accepted++;
	assert_int_equal(accepted, 3);
	advance_to(&x, SYNACK_SEC(6)); /* the seventh got in at 5.03 s */
	assert_int_equal(synack_accept(x.s, l, NULL, NULL) >= 0, 1);
	accepted++;
	advance_to(&x, SYNACK_SEC(8));
	while (synack_accept(x.s, l, NULL, NULL) >= 0)
		accepted++;
	assert_int_equal(accepted, 7);
	assert_int_equal(info_of(x.s, l).synq_len, 0);
	assert_int_equal(scn_state_of(x.c, c[6]), SYNACK_ESTABLISHED);
	assert_int_equal(sc->TcpPassiveOpens, 7);
	assert_int_equal(sc->TcpExtListenOverflows, 11);
	scn_free(&x);
}

/* L02 with abort_on_overflow: the ACK that finds the accept queue full is
 * answered with RST; the client's connection fails with ECONNRESET. */
static void test_L02_abort_on_overflow_resets(void **state)
{
	(void)state;
	tweak_abort = true;
	struct scn x;
	scn_init(&x, 5, &link10ms, &link10ms, tweak);
	int l = listen_on_80(x.s, 0); /* holds one */
	int c[3];
	for (int i = 0; i < 3; i++) {
		c[i] = synack_socket(x.c);
		assert_int_equal(synack_connect(x.c, c[i], SERVER_ADDR, 80, scn_now(&x)), -EINPROGRESS);
	}
	scn_run_for(&x, SYNACK_SEC(2));
	assert_int_equal(scn_state_of(x.c, c[0]), SYNACK_ESTABLISHED);
	for (int i = 1; i < 3; i++) {
		assert_int_equal(scn_state_of(x.c, c[i]), SYNACK_CLOSED);
		int err = 0;
		assert_int_equal(synack_getsockopt(x.c, c[i], SYNACK_SO_ERROR, &err), 0);
		assert_int_equal(err, ECONNRESET);
	}
	const struct synack_counters *sc = synack_get_counters(x.s);
	assert_int_equal(sc->TcpExtListenOverflows, 2);
	assert_int_equal(sc->TcpOutRsts, 2);
	assert_int_equal(info_of(x.s, l).synq_len, 0);
	assert_int_equal(info_of(x.s, l).recv_q, 1);
	scn_free(&x);
}

/* H07: a client that never answers the SYN+ACK.  Retransmissions at 1, 2,
 * 4, 8, 16 s intervals (sent at 0.01, 1.01, 3.01, 7.01, 15.01, 31.01 s), all
 * the same segment; after the fifth the request waits 32 s more and is
 * dropped, counted, and nothing is left. */
static void test_H07_synack_backoff_then_request_gone(void **state)
{
	(void)state;
	struct scn x;
	struct rawcap cap;
	scn_init_ex(&x, 6, &link10ms, &link10ms, tweak, C, &cap);
	int l = listen_on_80(x.s, 8);
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 4000, 80, SYNACK_TCP_SYN, 500, 0, NULL, 0);
	advance_to(&x, SYNACK_SEC(62));
	assert_int_equal(scn_conns_held(x.s), 2);
	assert_int_equal(cap.n, 6);
	const synack_time_t sent[6] = {10, 1010, 3010, 7010, 15010, 31010}; /* ms */
	for (int i = 0; i < 6; i++) {
		assert_int_equal(cap.p[i].t, SYNACK_MS(sent[i] + 10)); /* arrival: +10 ms */
		assert_int_equal(cap.p[i].seg.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
		assert_int_equal(cap.p[i].seg.seq, cap.p[0].seg.seq);
		assert_int_equal(cap.p[i].seg.ack, 501);
	}
	advance_to(&x, SYNACK_MS(63009));
	assert_int_equal(scn_conns_held(x.s), 2);
	advance_to(&x, SYNACK_MS(63010));
	assert_int_equal(scn_conns_held(x.s), 1);
	assert_int_equal(info_of(x.s, l).synq_len, 0);
	const struct synack_counters *sc = synack_get_counters(x.s);
	assert_int_equal(sc->SynackTcpReqTimeouts, 1);
	assert_int_equal(sc->TcpExtTCPSynRetrans, 5);
	assert_int_equal(sc->TcpAttemptFails, 1);
	assert_int_equal(sc->TcpPassiveOpens, 0);
	char st[256];
	assert_string_equal(scn_states(&x, S, st, sizeof(st)), "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>CLOSED");
	advance_to(&x, SYNACK_SEC(200));
	assert_int_equal(cap.n, 6);
	assert_int_equal(synack_next_timeout(x.s), SYNACK_TIME_NEVER); /* no timer left behind */
	scn_free(&x);
}

/* L05: synack_retries is configurable: 2 gives SYN+ACKs at 0.01, 1.01 and
 * 3.01 s and the request gone at 7.01 s. */
static void test_L05_H07_synack_retries_configurable(void **state)
{
	(void)state;
	tweak_synack_retries = 2;
	struct scn x;
	struct rawcap cap;
	scn_init_ex(&x, 7, &link10ms, &link10ms, tweak, C, &cap);
	listen_on_80(x.s, 8);
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 4000, 80, SYNACK_TCP_SYN, 500, 0, NULL, 0);
	advance_to(&x, SYNACK_MS(7009));
	assert_int_equal(cap.n, 3);
	assert_int_equal(cap.p[2].t, SYNACK_MS(3020));
	assert_int_equal(scn_conns_held(x.s), 2);
	advance_to(&x, SYNACK_MS(7010));
	assert_int_equal(scn_conns_held(x.s), 1);
	scn_free(&x);
}

/* L05: at most syn_rate_per_src SYNs per source address per second. */
static void test_L05_per_source_syn_rate_limit(void **state)
{
	(void)state;
	tweak_rate = 5;
	struct scn x;
	struct rawcap cap;
	scn_init_ex(&x, 8, &link10ms, &link10ms, tweak, C, &cap);
	int l = listen_on_80(x.s, 64);
	for (uint16_t i = 0; i < 20; i++)
		scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, (uint16_t)(6000 + i), 80, SYNACK_TCP_SYN, i, 0, NULL,
		           0);
	scn_run_for(&x, SYNACK_MS(500));
	assert_int_equal(cap.n, 5);
	assert_int_equal(info_of(x.s, l).synq_len, 5);
	assert_int_equal(synack_get_counters(x.s)->SynackTcpSynRateLimited, 15);
	assert_int_equal(synack_get_counters(x.s)->TcpExtListenDrops, 15);
	/* Another source is not affected; a second later the first may again. */
	scn_inject(x.sim, x.cnode, CLIENT_ADDR + 100, SERVER_ADDR, 7000, 80, SYNACK_TCP_SYN, 1, 0, NULL, 0);
	scn_run_for(&x, SYNACK_MS(600));
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 7001, 80, SYNACK_TCP_SYN, 1, 0, NULL, 0);
	scn_run_for(&x, SYNACK_MS(100));
	assert_int_equal(info_of(x.s, l).synq_len, 7);
	assert_int_equal(synack_get_counters(x.s)->SynackTcpSynRateLimited, 15);
	scn_free(&x);
}

/* Moves bytes both ways between a client socket and the server's accepted
 * one until each side has sent and read n bytes. */
static void exchange(struct scn *x, int cs, int as, size_t n)
{
	static uint8_t out[65536], in[65536];
	size_t c_sent = 0, s_sent = 0, c_got = 0, s_got = 0;
	for (int round = 0; round < 2000 && (c_got < n || s_got < n); round++) {
		synack_time_t now = scn_now(x);
		while (c_sent < n) {
			size_t k = n - c_sent < sizeof(out) ? n - c_sent : sizeof(out);
			for (size_t i = 0; i < k; i++)
				out[i] = (uint8_t)(c_sent + i);
			ssize_t r = synack_send(x->c, cs, out, k, now);
			if (r <= 0)
				break;
			c_sent += (size_t)r;
		}
		while (s_sent < n) {
			size_t k = n - s_sent < sizeof(out) ? n - s_sent : sizeof(out);
			for (size_t i = 0; i < k; i++)
				out[i] = (uint8_t)((s_sent + i) * 7u);
			ssize_t r = synack_send(x->s, as, out, k, now);
			if (r <= 0)
				break;
			s_sent += (size_t)r;
		}
		ssize_t r;
		while ((r = synack_recv(x->s, as, in, sizeof(in), now)) > 0) {
			for (ssize_t i = 0; i < r; i++)
				assert_int_equal(in[i], (uint8_t)(s_got + (size_t)i));
			s_got += (size_t)r;
		}
		while ((r = synack_recv(x->c, cs, in, sizeof(in), now)) > 0) {
			for (ssize_t i = 0; i < r; i++)
				assert_int_equal(in[i], (uint8_t)((c_got + (size_t)i) * 7u));
			c_got += (size_t)r;
		}
		scn_run_for(x, SYNACK_MS(20));
	}
	assert_int_equal(c_got, n);
	assert_int_equal(s_got, n);
}

/* L03: syncookies = 2: the server keeps nothing for the SYN; the returning
 * ACK's cookie rebuilds the request with the client's MSS (1460 is in the
 * table), window scale and SACK (carried in our TSval), and 300 KB cross
 * both ways on a window that needs scaling. */
static void test_L03_cookie_connection_keeps_mss_wscale_sack(void **state)
{
	(void)state;
	tweak_cookies = 2;
	struct scn x;
	scn_init(&x, 9, &link10ms, &link10ms, tweak);
	int l = listen_on_80(x.s, 8);
	int c = synack_socket(x.c);
	assert_int_equal(synack_connect(x.c, c, SERVER_ADDR, 80, scn_now(&x)), -EINPROGRESS);
	scn_run_for(&x, SYNACK_MS(15));
	assert_int_equal(scn_conns_held(x.s), 1); /* after the SYN: the listener only */
	scn_run_for(&x, SYNACK_MS(100));
	int a = synack_accept(x.s, l, NULL, NULL);
	assert_true(a >= 0);
	struct synack_sockinfo si = info_of(x.s, a), ci = info_of(x.c, c);
	assert_int_equal(si.snd_mss, 1460 - 12);
	assert_true(si.ts_ok && si.sack_ok && ci.ts_ok && ci.sack_ok);
	assert_int_equal(si.snd_wscale, ci.rcv_wscale);
	assert_int_equal(ci.snd_wscale, si.rcv_wscale);
	assert_true(si.snd_wscale > 0);
	assert_int_equal(si.iss, ci.irs);
	exchange(&x, c, a, 300000);
	const struct synack_counters *sc = synack_get_counters(x.s);
	assert_int_equal(sc->TcpExtSyncookiesSent, 1);
	assert_int_equal(sc->TcpExtSyncookiesRecv, 1);
	assert_int_equal(sc->TcpExtSyncookiesFailed, 0);
	assert_int_equal(sc->TcpExtTCPReqQFullDoCookies, 1);
	assert_int_equal(sc->TcpPassiveOpens, 1);
	scn_free(&x);
}

/* L03 without timestamps there is nowhere to keep window scale and SACK:
 * the cookie SYN+ACK offers neither, and the connection works without. */
static void test_L03_cookie_without_timestamps(void **state)
{
	(void)state;
	tweak_cookies = 2;
	tweak_client_ts = false;
	struct scn x;
	scn_init(&x, 10, &link10ms, &link10ms, tweak);
	int l = listen_on_80(x.s, 8);
	int c = synack_socket(x.c);
	assert_int_equal(synack_connect(x.c, c, SERVER_ADDR, 80, scn_now(&x)), -EINPROGRESS);
	scn_run_for(&x, SYNACK_MS(100));
	int a = synack_accept(x.s, l, NULL, NULL);
	assert_true(a >= 0);
	struct synack_sockinfo si = info_of(x.s, a), ci = info_of(x.c, c);
	assert_int_equal(si.snd_mss, 1460);
	assert_false(si.ts_ok || si.sack_ok || ci.sack_ok);
	assert_int_equal(si.snd_wscale, 0);
	assert_int_equal(ci.snd_wscale, 0);
	exchange(&x, c, a, 100000);
	scn_free(&x);
}

/* The SYN a raw client sends in the cookie tests: MSS 1300, window scale 7,
 * SACK-permitted, timestamps. */
static struct synack_tcp_opts syn_opts(void)
{
	struct synack_tcp_opts o;
	memset(&o, 0, sizeof(o));
	o.present = SYNACK_OPT_MSS | SYNACK_OPT_WSCALE | SYNACK_OPT_SACK_PERM | SYNACK_OPT_TS;
	o.mss = 1300;
	o.wscale = 7;
	o.ts_val = 1000;
	return o;
}

static struct synack_tcp_opts ack_opts(uint32_t tsval, uint32_t tsecr)
{
	struct synack_tcp_opts o;
	memset(&o, 0, sizeof(o));
	o.present = SYNACK_OPT_TS;
	o.ts_val = tsval;
	o.ts_ecr = tsecr;
	return o;
}

/* L03 H04: data on the ACK that completes a cookie handshake is kept. */
static void test_L03_cookie_ack_with_data(void **state)
{
	(void)state;
	tweak_cookies = 2;
	struct scn x;
	struct rawcap cap;
	scn_init_ex(&x, 11, &link10ms, &link10ms, tweak, C, &cap);
	int l = listen_on_80(x.s, 8);
	struct synack_tcp_opts o = syn_opts();
	inject_opts(&x, 4100, SYNACK_TCP_SYN, 7000, 0, &o, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(cap.n, 1);
	const struct synack_tcp_seg *sa = &cap.p[0].seg;
	assert_true(sa->opt.present & SYNACK_OPT_WSCALE);
	assert_true(sa->opt.present & SYNACK_OPT_SACK_PERM);
	assert_true(sa->opt.present & SYNACK_OPT_TS);
	assert_int_equal(sa->opt.ts_ecr, 1000);
	assert_int_equal(sa->opt.ts_val & 0x3f, 7 | 0x10); /* wscale 7, SACK, in the low bits */
	struct synack_tcp_opts ao = ack_opts(1010, sa->opt.ts_val);
	inject_opts(&x, 4100, SYNACK_TCP_ACK | SYNACK_TCP_PSH, 7001, sa->seq + 1, &ao, "hello", 5);
	scn_run_for(&x, SYNACK_MS(30));
	int a = synack_accept(x.s, l, NULL, NULL);
	assert_true(a >= 0);
	char buf[16];
	assert_int_equal(synack_recv(x.s, a, buf, sizeof(buf), scn_now(&x)), 5);
	assert_memory_equal(buf, "hello", 5);
	struct synack_sockinfo si = info_of(x.s, a);
	assert_int_equal(si.snd_mss, 1300 - 12);
	assert_int_equal(si.snd_wscale, 7);
	assert_true(si.sack_ok && si.ts_ok);
	assert_int_equal(si.rcv_nxt, 7006);
	assert_int_equal(cap.p[cap.n - 1].seg.ack, 7006); /* the data was acknowledged */
	scn_free(&x);
}

/* L03: a forged cookie, a cookie replayed from another 4-tuple and a stale
 * one (older than two minutes of the cookie clock) make nothing: each is
 * counted and answered with RST like any stray ACK (as Linux).  A cookie
 * 90 s old is still good. */
static void test_L03_forged_stale_and_misplaced_cookies_rejected(void **state)
{
	(void)state;
	tweak_cookies = 2;
	struct scn x;
	struct rawcap cap;
	scn_init_ex(&x, 12, &link10ms, &link10ms, tweak, C, &cap);
	int l = listen_on_80(x.s, 8);
	struct synack_tcp_opts o = syn_opts();
	inject_opts(&x, 4200, SYNACK_TCP_SYN, 9000, 0, &o, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(cap.n, 1);
	uint32_t cookie = cap.p[0].seg.seq, tsval = cap.p[0].seg.opt.ts_val;
	struct synack_tcp_opts ao = ack_opts(1010, tsval);
	const struct synack_counters *sc = synack_get_counters(x.s);
	/* Forged: one bit of the cookie flipped. */
	inject_opts(&x, 4200, SYNACK_TCP_ACK, 9001, (cookie ^ 0x100u) + 1, &ao, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(sc->TcpExtSyncookiesFailed, 1);
	assert_int_equal(cap.p[cap.n - 1].seg.flags, SYNACK_TCP_RST);
	/* Misplaced: the right cookie from another source port. */
	inject_opts(&x, 4201, SYNACK_TCP_ACK, 9001, cookie + 1, &ao, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(sc->TcpExtSyncookiesFailed, 2);
	/* Misplaced: the right cookie with another client ISN. */
	inject_opts(&x, 4200, SYNACK_TCP_ACK, 9501, cookie + 1, &ao, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(sc->TcpExtSyncookiesFailed, 3);
	assert_int_equal(synack_accept(x.s, l, NULL, NULL), -EAGAIN);
	/* 90 s later the cookie is still good (this minute or the last)... */
	advance_to(&x, SYNACK_SEC(90));
	inject_opts(&x, 4200, SYNACK_TCP_ACK, 9001, cookie + 1, &ao, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(sc->TcpExtSyncookiesRecv, 1);
	assert_true(synack_accept(x.s, l, NULL, NULL) >= 0);
	/* ... but a new cookie is stale three minutes after it was made. */
	inject_opts(&x, 4300, SYNACK_TCP_SYN, 5000, 0, &o, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	uint32_t cookie2 = cap.p[cap.n - 1].seg.seq;
	struct synack_tcp_opts ao2 = ack_opts(2000, cap.p[cap.n - 1].seg.opt.ts_val);
	advance_to(&x, scn_now(&x) + SYNACK_SEC(180));
	inject_opts(&x, 4300, SYNACK_TCP_ACK, 5001, cookie2 + 1, &ao2, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(sc->TcpExtSyncookiesFailed, 4);
	assert_int_equal(sc->TcpExtSyncookiesRecv, 1);
	assert_int_equal(synack_accept(x.s, l, NULL, NULL), -EAGAIN);
	assert_int_equal(scn_conns_held(x.s), 2); /* the listener and the one good connection */
	scn_free(&x);
}

/* L03 with syncookies = 1: cookies only once the SYN queue is full, and ACKs
 * are checked for cookies only while cookies sent in the last two minutes
 * may come back: otherwise a stray ACK is simply reset. */
static void test_L03_cookies_when_queue_full_only(void **state)
{
	(void)state;
	struct scn x;
	struct rawcap cap;
	scn_init_ex(&x, 13, &link10ms, &link10ms, tweak, C, &cap);
	listen_on_80(x.s, 8);
	inject_opts(&x, 4400, SYNACK_TCP_ACK, 1, 12345, &no_opts, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	const struct synack_counters *sc = synack_get_counters(x.s);
	assert_int_equal(sc->TcpExtSyncookiesFailed, 0); /* not even looked at */
	assert_int_equal(cap.p[cap.n - 1].seg.flags, SYNACK_TCP_RST);
	inject_opts(&x, 4401, SYNACK_TCP_SYN, 1, 0, &no_opts, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(sc->TcpExtSyncookiesSent, 0);
	assert_int_equal(scn_conns_held(x.s), 2); /* a request entry */
	scn_free(&x);
}

/* L04: 100,000 spoofed SYNs at 10,000/s while 100 clients (10 hosts) connect
 * and echo 1000 bytes each.  Cookies off with a SYN queue of 64: the queue
 * is full within milliseconds and stays full (each spoofed request lives 63
 * s): no client gets through within 30 s.  Cookies on: every client does,
 * and the SYN queue never exceeds max_syn_backlog. */
static void test_L04_syn_flood_with_and_without_cookies(void **state)
{
	(void)state;
	struct synack_flood_params p;
	synack_flood_default(&p);
	struct synack_flood_result off, on, again;
	p.syncookies = 0;
	p.max_syn_backlog = 64;
	assert_int_equal(synack_flood_run(&p, &off), 0);
	print_message("cookies off: %u/%u clients done, SYN queue max %u\n", off.clients_ok, p.clients, off.max_synq);
	assert_int_equal(off.syns_sent, 100000);
	assert_int_equal(off.clients_ok, 0);
	assert_int_equal(off.max_synq, 64);
	assert_true(off.server.TcpExtTCPReqQFullDrop >= 100000 - 64);
	p.syncookies = 1;
	p.max_syn_backlog = 256;
	assert_int_equal(synack_flood_run(&p, &on), 0);
	print_message("cookies on: %u/%u clients done, SYN queue max %u, %llu cookies sent\n", on.clients_ok,
	              p.clients, on.max_synq, (unsigned long long)on.server.TcpExtSyncookiesSent);
	assert_int_equal(on.clients_ok, 100);
	assert_true(on.max_synq <= 256);
	assert_true(on.max_server_conns <= 256 + 100 + 1);
	assert_true(on.server.TcpExtSyncookiesRecv >= 1);
	assert_int_equal(on.server.TcpExtSyncookiesFailed, 0);
	assert_int_equal(on.server.TcpExtTCPReqQFullDrop, 0);
	/* Deterministic: the same parameters replay the same run. */
	assert_int_equal(synack_flood_run(&p, &again), 0);
	assert_memory_equal(&on.server, &again.server, sizeof(on.server));
	assert_int_equal(on.last_client_done, again.last_client_done);
}

/* L06: the accept queue hands out connections in the order they completed. */
static void test_L06_accept_in_arrival_order(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 14, &link10ms, &link10ms, tweak);
	int l = listen_on_80(x.s, 8);
	uint16_t ports[3];
	for (int i = 0; i < 3; i++) {
		int c = synack_socket(x.c);
		assert_int_equal(synack_connect(x.c, c, SERVER_ADDR, 80, scn_now(&x)), -EINPROGRESS);
		ports[i] = info_of(x.c, c).lport;
		scn_run_for(&x, SYNACK_MS(100));
	}
	for (int i = 0; i < 3; i++) {
		uint16_t pp = 0;
		assert_true(synack_accept(x.s, l, NULL, &pp) >= 0);
		assert_int_equal(pp, ports[i]);
	}
	scn_free(&x);
}

/* A connection reset while it waits on the accept queue stays there, as on
 * Linux: accept() hands it out, recv() returns what came before the RST,
 * then ECONNRESET.  Closing the listener frees one still queued without a
 * RST of its own (the peer is gone already). */
static int reset_while_queued(struct scn *x, const char *data)
{
	int c = synack_socket(x->c);
	assert_int_equal(synack_connect(x->c, c, SERVER_ADDR, 80, scn_now(x)), -EINPROGRESS);
	scn_run_for(x, SYNACK_MS(100));
	assert_int_equal(synack_send(x->c, c, data, strlen(data), scn_now(x)), (ssize_t)strlen(data));
	assert_int_equal(synack_setsockopt(x->c, c, SYNACK_SO_LINGER, 0), 0);
	assert_int_equal(synack_close(x->c, c, scn_now(x)), 0); /* RST after the data */
	scn_run_for(x, SYNACK_MS(100));
	return c;
}

static void test_L06_reset_child_stays_queued_for_accept(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 15, &link10ms, &link10ms, tweak);
	int l = listen_on_80(x.s, 8);
	reset_while_queued(&x, "GET /1");
	assert_int_equal(info_of(x.s, l).recv_q, 1); /* the accept queue */
	int a = synack_accept(x.s, l, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(info_of(x.s, a).state, SYNACK_CLOSED);
	char buf[16];
	assert_int_equal(synack_recv(x.s, a, buf, sizeof(buf), scn_now(&x)), 6);
	assert_memory_equal(buf, "GET /1", 6);
	assert_int_equal(synack_recv(x.s, a, buf, sizeof(buf), scn_now(&x)), -ECONNRESET);
	assert_int_equal(synack_close(x.s, a, scn_now(&x)), 0);
	assert_int_equal(scn_conns_held(x.s), 1); /* the listener */
	/* One more reset while queued, then the listener closes. */
	reset_while_queued(&x, "GET /2");
	assert_int_equal(scn_conns_held(x.s), 2);
	size_t segs = scn_seg_count(&x);
	assert_int_equal(synack_close(x.s, l, scn_now(&x)), 0);
	scn_run_for(&x, SYNACK_MS(100));
	assert_int_equal(scn_seg_count(&x), segs);
	assert_int_equal(scn_conns_held(x.s), 0);
	scn_free(&x);
}

/* F03: the listener's queue lengths reach the trace as they change. */
struct qlog {
	int n;
	uint32_t synq[16], acq[16];
};

static void qlog_trace(void *ctx, int node, const struct synack_trace *ev)
{
	(void)node;
	struct qlog *q = ctx;
	if (ev->kind != SYNACK_TRACE_QUEUE || q->n >= 16)
		return;
	q->synq[q->n] = ev->synq_len;
	q->acq[q->n] = ev->acceptq_len;
	q->n++;
}

static void test_L01_F03_queue_lengths_in_trace(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 15, &link10ms, &link10ms, tweak);
	struct qlog q = {0};
	struct synack_sim_hooks hooks = {.stack_trace = qlog_trace, .ctx = &q};
	synack_sim_set_hooks(x.sim, &hooks);
	int l = listen_on_80(x.s, 8);
	int c = synack_socket(x.c);
	assert_int_equal(synack_connect(x.c, c, SERVER_ADDR, 80, scn_now(&x)), -EINPROGRESS);
	scn_run_for(&x, SYNACK_MS(100));
	assert_true(synack_accept(x.s, l, NULL, NULL) >= 0);
	assert_int_equal(q.n, 3);
	assert_int_equal(q.synq[0], 1); /* SYN: a request */
	assert_int_equal(q.acq[0], 0);
	assert_int_equal(q.synq[1], 0); /* ACK: established, waiting */
	assert_int_equal(q.acq[1], 1);
	assert_int_equal(q.acq[2], 0); /* accepted */
	scn_free(&x);
}

/* Closing a listener forgets its requests and their timer. */
static void test_L01_close_listener_drops_requests(void **state)
{
	(void)state;
	struct scn x;
	struct rawcap cap;
	scn_init_ex(&x, 16, &link10ms, &link10ms, tweak, C, &cap);
	int l = listen_on_80(x.s, 8);
	for (uint16_t i = 0; i < 4; i++)
		scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, (uint16_t)(5000 + i), 80, SYNACK_TCP_SYN, i, 0, NULL, 0);
	scn_run_for(&x, SYNACK_MS(100));
	assert_int_equal(scn_conns_held(x.s), 5);
	assert_int_equal(synack_close(x.s, l, scn_now(&x)), 0);
	assert_int_equal(scn_conns_held(x.s), 0);
	scn_run_for(&x, SYNACK_SEC(100));
	assert_int_equal(cap.n, 4); /* no SYN+ACK retransmitted for the dead requests */
	scn_free(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_L06_L01_request_entries_not_connections, reset_tweaks),
	    cmocka_unit_test_setup(test_L01_L02_accept_queue_full_drops_then_success, reset_tweaks),
	    cmocka_unit_test_setup(test_L02_abort_on_overflow_resets, reset_tweaks),
	    cmocka_unit_test_setup(test_H07_synack_backoff_then_request_gone, reset_tweaks),
	    cmocka_unit_test_setup(test_L05_H07_synack_retries_configurable, reset_tweaks),
	    cmocka_unit_test_setup(test_L05_per_source_syn_rate_limit, reset_tweaks),
	    cmocka_unit_test_setup(test_L03_cookie_connection_keeps_mss_wscale_sack, reset_tweaks),
	    cmocka_unit_test_setup(test_L03_cookie_without_timestamps, reset_tweaks),
	    cmocka_unit_test_setup(test_L03_cookie_ack_with_data, reset_tweaks),
	    cmocka_unit_test_setup(test_L03_forged_stale_and_misplaced_cookies_rejected, reset_tweaks),
	    cmocka_unit_test_setup(test_L03_cookies_when_queue_full_only, reset_tweaks),
	    cmocka_unit_test_setup(test_L04_syn_flood_with_and_without_cookies, reset_tweaks),
	    cmocka_unit_test_setup(test_L06_accept_in_arrival_order, reset_tweaks),
	    cmocka_unit_test_setup(test_L06_reset_child_stays_queued_for_accept, reset_tweaks),
	    cmocka_unit_test_setup(test_L01_F03_queue_lengths_in_trace, reset_tweaks),
	    cmocka_unit_test_setup(test_L01_close_listener_drops_requests, reset_tweaks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
