/* Resets and blind attacks: SPEC R01-R04, and the resets of the handshake
 * H09 and H11, and the RST of an abort (T08, C11), on the simulated network.
 *
 * Attacks on an established connection use two real stacks plus a raw
 * "attacker" host linked to the server that spoofs the client's address
 * (RFC 5961's off-path attacker who guessed the 4-tuple): the server's
 * answers go to the real client, and the ladder records them.  Handshake
 * cases put a raw host in one column so the test plays the peer exactly. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"

#define ATTACKER_ADDR 0xc0000242u /* 192.0.2.66 */
#define CLIENT2_ADDR 0xc0000203u  /* 192.0.2.3: a second, real client */

static const struct synack_link_model link10ms = {.delay_us = 10000};

/* Timestamps off: a crafted segment then needs no TSopt to be acceptable
 * (RFC 7323 3.2 lets a receiver drop non-RST segments without one). */
static void no_ts(struct synack_config *cfg, int col)
{
	(void)col;
	cfg->timestamps = false;
}

/* ------------------------------------------------------------------ */
/* Raw hosts: capture what a stack sends them, send crafted segments. */


/* TCP segments that column col put on the link at or after t0. */
static size_t segs_since(const struct scn *x, int col, synack_time_t t0, const struct synack_ladder_seg **out,
                         size_t max)
{
	size_t k = 0;
	for (size_t j = 0; j < synack_ladder_count(x->lad); j++) {
		const struct synack_ladder_seg *s = synack_ladder_get(x->lad, j);
		if (!s->is_tcp || s->from_col != col || s->time < t0)
			continue;
		if (k < max && out)
			out[k] = s;
		k++;
	}
	return k;
}

/* ------------------------------------------------------------------ */
/* An established connection between two real stacks, some data already
 * exchanged both ways, and an attacker who knows its 4-tuple. */

struct estab {
	struct scn x;
	int l, c, a;       /* listener, client socket, accepted server socket */
	int atk;           /* attacker node (raw, linked to the server) */
	uint16_t cport;
	uint32_t rcv_nxt;  /* the server's RCV.NXT (the client's SND.NXT) */
	uint32_t snd_nxt;  /* the server's SND.NXT (the client's RCV.NXT) */
	uint32_t snd_una;  /* the server's SND.UNA (== snd_nxt: all acknowledged) */
	uint32_t max_snd_wnd; /* the largest window the client offered */
};

static void estab_init(struct estab *e)
{
	memset(e, 0, sizeof(*e));
	struct scn *x = &e->x;
	scn_init(x, 7, &link10ms, &link10ms, no_ts);
	e->atk = synack_sim_add_raw(x->sim, ATTACKER_ADDR, NULL, NULL);
	assert_true(e->atk >= 0);
	assert_int_equal(synack_sim_link(x->sim, e->atk, x->snode, &link10ms, &link10ms), 0);
	e->l = synack_socket(x->s);
	assert_int_equal(synack_bind(x->s, e->l, 0, 80), 0);
	assert_int_equal(synack_listen(x->s, e->l, 8), 0);
	e->c = synack_socket(x->c);
	assert_int_equal(synack_connect(x->c, e->c, SERVER_ADDR, 80, scn_now(x)), -EINPROGRESS);
	scn_run_for(x, SYNACK_MS(100));
	e->a = synack_accept(x->s, e->l, NULL, &e->cport);
	assert_true(e->a >= 0);
	/* 1000 bytes client -> server, 500 back, all read and acknowledged. */
	static uint8_t buf[1000];
	memset(buf, 'c', sizeof(buf));
	assert_int_equal(synack_send(x->c, e->c, buf, 1000, scn_now(x)), 1000);
	memset(buf, 's', sizeof(buf));
	assert_int_equal(synack_send(x->s, e->a, buf, 500, scn_now(x)), 500);
	scn_run_for(x, SYNACK_MS(100));
	assert_int_equal(synack_recv(x->s, e->a, buf, sizeof(buf), scn_now(x)), 1000);
	assert_int_equal(synack_recv(x->c, e->c, buf, sizeof(buf), scn_now(x)), 500);
	scn_run_for(x, SYNACK_MS(100));
	struct synack_sockinfo ci, si;
	assert_int_equal(synack_sockinfo(x->c, e->c, &ci), 0);
	assert_int_equal(synack_sockinfo(x->s, e->a, &si), 0);
	assert_int_equal(si.state, SYNACK_ESTABLISHED);
	assert_int_equal(si.send_q, 0);
	e->rcv_nxt = ci.iss + 1 + 1000;
	e->snd_nxt = si.iss + 1 + 500;
	e->snd_una = e->snd_nxt;
	e->max_snd_wnd = 65536; /* the client's rmem, fully advertised with wscale 1 */
}

/* The attacker sends a segment that claims to come from the client. */
static void attack(struct estab *e, uint8_t flags, uint32_t seq, uint32_t ack, const void *data, uint32_t len)
{
	scn_inject(e->x.sim, e->atk, CLIENT_ADDR, SERVER_ADDR, e->cport, 80, flags, seq, ack, data, len);
}

/* The segment is an ACK <SEQ=SND.NXT><ACK=RCV.NXT> from the server. */
static void assert_is_ack(const struct estab *e, const struct synack_ladder_seg *s)
{
	assert_int_equal(s->from_col, S);
	assert_int_equal(s->flags, SYNACK_TCP_ACK);
	assert_int_equal(s->seq, e->snd_nxt);
	assert_int_equal(s->ack, e->rcv_nxt);
	assert_int_equal(s->payload_len, 0);
}

/* The connection still works both ways, and nothing the attacker sent
 * reached the application. */
static void assert_alive(struct estab *e)
{
	struct scn *x = &e->x;
	char buf[64];
	assert_int_equal(scn_state_of(x->c, e->c), SYNACK_ESTABLISHED);
	assert_int_equal(scn_state_of(x->s, e->a), SYNACK_ESTABLISHED);
	assert_int_equal(synack_recv(x->s, e->a, buf, sizeof(buf), scn_now(x)), -EAGAIN);
	assert_int_equal(synack_send(x->c, e->c, "ping", 4, scn_now(x)), 4);
	scn_run_for(x, SYNACK_MS(50));
	assert_int_equal(synack_recv(x->s, e->a, buf, sizeof(buf), scn_now(x)), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(synack_send(x->s, e->a, "pong", 4, scn_now(x)), 4);
	scn_run_for(x, SYNACK_MS(50));
	assert_int_equal(synack_recv(x->c, e->c, buf, sizeof(buf), scn_now(x)), 4);
	assert_memory_equal(buf, "pong", 4);
	const struct synack_counters *sc = synack_get_counters(x->s), *cc = synack_get_counters(x->c);
	assert_int_equal(sc->TcpEstabResets, 0);
	assert_int_equal(cc->TcpEstabResets, 0);
	assert_int_equal(sc->TcpOutRsts, 0);
	char st[256];
	assert_string_equal(scn_states(x, S, st, sizeof(st)), "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED");
	assert_string_equal(scn_states(x, C, st, sizeof(st)), "CLOSED>SYN_SENT SYN_SENT>ESTABLISHED");
}

static void estab_free(struct estab *e)
{
	scn_free(&e->x);
}

/* ------------------------------------------------------------------ */
/* R01: RST processing on a synchronized connection (RFC 5961 3.2). */

static void test_R01_inexact_rst_in_window_gets_challenge_ack(void **state)
{
	(void)state;
	/* Anywhere in the window but RCV.NXT: the first byte after it, one
	 * in the middle, the last one in the window the server advertised
	 * when it acknowledged the client's 1000 bytes (65536 - 1000: its read
	 * since then was too small for a window update, RFC 1122 4.2.3.3).
	 * RST alone and RST+ACK. */
	const uint32_t offs[] = {1, 1000, 64535};
	for (size_t i = 0; i < 2 * sizeof(offs) / sizeof(offs[0]); i++) {
		struct estab e;
		estab_init(&e);
		uint8_t flags = i % 2 ? (SYNACK_TCP_RST | SYNACK_TCP_ACK) : SYNACK_TCP_RST;
		synack_time_t t0 = scn_now(&e.x);
		attack(&e, flags, e.rcv_nxt + offs[i / 2], e.snd_nxt, NULL, 0);
		scn_run_for(&e.x, SYNACK_MS(50));
		const struct synack_ladder_seg *s[4];
		assert_int_equal(segs_since(&e.x, S, t0, s, 4), 1);
		assert_is_ack(&e, s[0]); /* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
		assert_int_equal(s[0]->time, t0 + SYNACK_MS(10)); /* at once */
		const struct synack_counters *sc = synack_get_counters(e.x.s);
		assert_int_equal(sc->TcpExtTCPChallengeACK, 1);
		assert_int_equal(sc->TcpExtTCPACKSkippedChallenge, 0);
		assert_alive(&e);
		estab_free(&e);
	}
}

/* Which call is the first to see the reset. */
enum first_call { FIRST_RECV, FIRST_SEND, FIRST_SO_ERROR };

static void test_R01_R04_exact_rst_resets_econnreset(void **state)
{
	(void)state;
	for (int v = FIRST_RECV; v <= FIRST_SO_ERROR; v++) {
		struct estab e;
		estab_init(&e);
		struct scn *x = &e.x;
		synack_time_t t0 = scn_now(x);
		attack(&e, SYNACK_TCP_RST, e.rcv_nxt, 0, NULL, 0);
		scn_run_for(x, SYNACK_MS(50));
		/* Accepted: the connection is gone, and a RST is never answered. */
		assert_int_equal(segs_since(x, S, t0, NULL, 0), 0);
		assert_int_equal(scn_state_of(x->s, e.a), SYNACK_CLOSED);
		char st[256];
		assert_string_equal(scn_states(x, S, st, sizeof(st)),
		                    "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED ESTABLISHED>CLOSED");
		const struct synack_counters *sc = synack_get_counters(x->s);
		assert_int_equal(sc->TcpEstabResets, 1);
		assert_int_equal(sc->TcpCurrEstab, 0);
		assert_int_equal(sc->TcpExtTCPChallengeACK, 0);
		int ev = synack_sock_events(x->s, e.a);
		assert_true(ev & SYNACK_POLLERR);
		assert_true(ev & SYNACK_POLLHUP);
		assert_false(ev & SYNACK_POLLOUT);
		char buf[16];
		int err = -1;
		switch (v) {
		case FIRST_RECV:
			assert_int_equal(synack_recv(x->s, e.a, buf, sizeof(buf), scn_now(x)), -ECONNRESET);
			break;
		case FIRST_SEND:
			assert_int_equal(synack_send(x->s, e.a, "x", 1, scn_now(x)), -ECONNRESET);
			break;
		case FIRST_SO_ERROR:
			assert_int_equal(synack_getsockopt(x->s, e.a, SYNACK_SO_ERROR, &err), 0);
			assert_int_equal(err, ECONNRESET);
			assert_int_equal(synack_getsockopt(x->s, e.a, SYNACK_SO_ERROR, &err), 0);
			assert_int_equal(err, 0); /* reading SO_ERROR clears it */
			break;
		}
		/* Later calls keep failing (Linux: EPIPE for send, 0 for recv once
		 * the error was reported); never "try again", never data. */
		ssize_t r = synack_send(x->s, e.a, "x", 1, scn_now(x));
		assert_true(r == -EPIPE || r == -ECONNRESET);
		r = synack_recv(x->s, e.a, buf, sizeof(buf), scn_now(x));
		assert_true(r == 0 || r == -ECONNRESET);
		assert_int_equal(synack_close(x->s, e.a, scn_now(x)), 0);
		assert_int_equal(scn_conns_held(x->s), 1); /* only the listener */
		estab_free(&e);
	}
}

static void test_R01_out_of_window_rst_dropped_silently(void **state)
{
	(void)state;
	/* Just below RCV.NXT, far below, just past the window, far past. */
	const uint32_t offs[] = {(uint32_t)-1, (uint32_t)-70000, 65536, 0x40000000u};
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		struct estab e;
		estab_init(&e);
		synack_time_t t0 = scn_now(&e.x);
		attack(&e, SYNACK_TCP_RST, e.rcv_nxt + offs[i], 0, NULL, 0);
		attack(&e, SYNACK_TCP_RST | SYNACK_TCP_ACK, e.rcv_nxt + offs[i], e.snd_nxt, NULL, 0);
		scn_run_for(&e.x, SYNACK_MS(50));
		assert_int_equal(segs_since(&e.x, S, t0, NULL, 0), 0); /* silently */
		const struct synack_counters *sc = synack_get_counters(e.x.s);
		assert_int_equal(sc->TcpExtTCPChallengeACK, 0);
		assert_int_equal(sc->TcpExtTCPACKSkippedChallenge, 0);
		assert_alive(&e);
		estab_free(&e);
	}
}

static void test_R01_challenge_acks_rate_limited(void **state)
{
	(void)state;
	struct estab e;
	estab_init(&e);
	struct scn *x = &e.x;
	const struct synack_counters *sc = synack_get_counters(x->s);
	synack_time_t t0 = scn_now(x);
	/* A burst of 10 in-window RSTs, one every 10 ms: 90 ms from first to last. */
	for (int i = 0; i < 10; i++) {
		attack(&e, SYNACK_TCP_RST, e.rcv_nxt + 100 + (uint32_t)i * 1000, 0, NULL, 0);
		scn_run_for(x, SYNACK_MS(10));
	}
	scn_run_for(x, SYNACK_MS(50));
	const struct synack_ladder_seg *s[16];
	assert_int_equal(segs_since(x, S, t0, s, 16), 1);
	assert_is_ack(&e, s[0]);
	synack_time_t first = s[0]->time; /* the first RST arrived and was answered */
	assert_int_equal(first, t0 + SYNACK_MS(10));
	assert_int_equal(sc->TcpExtTCPChallengeACK, 1);
	assert_int_equal(sc->TcpExtTCPACKSkippedChallenge, 9);
	/* 400 ms after the challenge: still limited. */
	synack_sim_run_until(x->sim, first + SYNACK_MS(390));
	attack(&e, SYNACK_TCP_RST, e.rcv_nxt + 77, 0, NULL, 0);
	scn_run_for(x, SYNACK_MS(50));
	assert_int_equal(segs_since(x, S, t0, NULL, 0), 1);
	assert_int_equal(sc->TcpExtTCPACKSkippedChallenge, 10);
	/* More than 500 ms (tcp_invalid_ratelimit) after it: answered again. */
	synack_sim_run_until(x->sim, first + SYNACK_MS(590));
	synack_time_t t1 = scn_now(x);
	attack(&e, SYNACK_TCP_RST, e.rcv_nxt + 77, 0, NULL, 0);
	scn_run_for(x, SYNACK_MS(50));
	assert_int_equal(segs_since(x, S, t1, s, 16), 1);
	assert_is_ack(&e, s[0]);
	assert_int_equal(sc->TcpExtTCPChallengeACK, 2);
	assert_int_equal(sc->TcpExtTCPACKSkippedChallenge, 10);
	assert_alive(&e);
	estab_free(&e);
}

/* ------------------------------------------------------------------ */
/* R02: a SYN on a synchronized connection (RFC 5961 4.2). */

static void syn_gets_challenge_ack(uint32_t (*seq_of)(const struct estab *e, size_t i), size_t cases)
{
	for (size_t i = 0; i < cases; i++) {
		struct estab e;
		estab_init(&e);
		struct scn *x = &e.x;
		synack_time_t t0 = scn_now(x);
		attack(&e, SYNACK_TCP_SYN, seq_of(&e, i), 0, NULL, 0);
		scn_run_for(x, SYNACK_MS(50));
		const struct synack_ladder_seg *s[4];
		assert_int_equal(segs_since(x, S, t0, s, 4), 1);
		assert_is_ack(&e, s[0]); /* a challenge ACK, never RST, never SYN+ACK */
		assert_alive(&e);
		const struct synack_counters *sc = synack_get_counters(x->s);
		assert_int_equal(sc->TcpExtTCPSYNChallenge, 1);
		assert_int_equal(sc->TcpExtTCPChallengeACK, 1);
		estab_free(&e);
	}
}

static uint32_t syn_in_window(const struct estab *e, size_t i)
{
	const uint32_t offs[] = {0, 1, 5000};
	return e->rcv_nxt + offs[i];
}

static void test_R02_syn_in_window_gets_challenge_ack(void **state)
{
	(void)state;
	syn_gets_challenge_ack(syn_in_window, 3);
}

static uint32_t syn_out_of_window(const struct estab *e, size_t i)
{
	/* The client's original SYN (an old duplicate), and one far ahead. */
	const uint32_t offs[] = {(uint32_t)-1001, 0x20000000u};
	return e->rcv_nxt + offs[i];
}

/* "If the SYN bit is set, irrespective of the sequence number, TCP MUST
 * send an ACK (also referred to as challenge ACK)" (RFC 5961 4.2); Linux
 * counts it as TCPSYNChallenge and rate-limits it like the others. */
static void test_R02_syn_out_of_window_gets_challenge_ack(void **state)
{
	(void)state;
	syn_gets_challenge_ack(syn_out_of_window, 2);
}

/* ------------------------------------------------------------------ */
/* R03: the ACK field of a data segment (RFC 5961 5.2, RFC 9293 3.10.7.4). */

static void test_R03_data_acking_unsent_data_dropped_and_acked(void **state)
{
	(void)state;
	struct estab e;
	estab_init(&e);
	struct scn *x = &e.x;
	synack_time_t t0 = scn_now(x);
	attack(&e, SYNACK_TCP_ACK | SYNACK_TCP_PSH, e.rcv_nxt, e.snd_nxt + 5000, "EVIL DATA", 9);
	scn_run_for(x, SYNACK_MS(50));
	const struct synack_ladder_seg *s[4];
	assert_int_equal(segs_since(x, S, t0, s, 4), 1);
	assert_is_ack(&e, s[0]); /* RCV.NXT did not move: the data was not taken */
	char buf[64];
	assert_int_equal(synack_recv(x->s, e.a, buf, sizeof(buf), scn_now(x)), -EAGAIN);
	/* Our send state did not move either: the next byte we send is still snd_nxt. */
	struct synack_sockinfo si;
	assert_int_equal(synack_sockinfo(x->s, e.a, &si), 0);
	assert_int_equal(si.send_q, 0);
	assert_alive(&e); /* "ping" is delivered alone: no "EVIL DATA" before it */
	estab_free(&e);
}

static void test_R03_data_with_too_old_ack_gets_challenge_ack(void **state)
{
	(void)state;
	struct estab e;
	estab_init(&e);
	struct scn *x = &e.x;
	const struct synack_counters *sc = synack_get_counters(x->s);
	/* Acceptable: SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT.  One below. */
	uint32_t too_old = e.snd_una - e.max_snd_wnd - 1;
	synack_time_t t0 = scn_now(x);
	attack(&e, SYNACK_TCP_ACK | SYNACK_TCP_PSH, e.rcv_nxt, too_old, "EVIL DATA", 9);
	scn_run_for(x, SYNACK_MS(50));
	const struct synack_ladder_seg *s[4];
	assert_int_equal(segs_since(x, S, t0, s, 4), 1);
	assert_is_ack(&e, s[0]);
	assert_int_equal(sc->TcpExtTCPChallengeACK, 1);
	char buf[64];
	assert_int_equal(synack_recv(x->s, e.a, buf, sizeof(buf), scn_now(x)), -EAGAIN);
	/* Far older still (half the sequence space back). */
	synack_sim_run_until(x->sim, scn_now(x) + SYNACK_MS(600)); /* past the rate limit */
	t0 = scn_now(x);
	attack(&e, SYNACK_TCP_ACK | SYNACK_TCP_PSH, e.rcv_nxt, e.snd_una - 0x7fff0000u, "EVIL DATA", 9);
	scn_run_for(x, SYNACK_MS(50));
	assert_int_equal(segs_since(x, S, t0, s, 4), 1);
	assert_is_ack(&e, s[0]);
	assert_int_equal(sc->TcpExtTCPChallengeACK, 2);
	assert_int_equal(synack_recv(x->s, e.a, buf, sizeof(buf), scn_now(x)), -EAGAIN);
	assert_alive(&e);
	estab_free(&e);
}

/* The control: an old ACK inside SND.UNA - MAX.SND.WND is acceptable (RFC
 * 5961 5.2), so the data it carries is delivered.  Without this the two
 * tests above could pass with a stack that drops everything. */
static void test_R03_data_with_old_but_acceptable_ack_delivered(void **state)
{
	(void)state;
	struct estab e;
	estab_init(&e);
	struct scn *x = &e.x;
	attack(&e, SYNACK_TCP_ACK | SYNACK_TCP_PSH, e.rcv_nxt, e.snd_una - e.max_snd_wnd, "OK", 2);
	scn_run_for(x, SYNACK_MS(50));
	char buf[16];
	assert_int_equal(synack_recv(x->s, e.a, buf, sizeof(buf), scn_now(x)), 2);
	assert_memory_equal(buf, "OK", 2);
	assert_int_equal(synack_get_counters(x->s)->TcpExtTCPChallengeACK, 0);
	estab_free(&e);
}

/* ------------------------------------------------------------------ */
/* R04 and H11a: a real client against a raw server, in SYN_SENT. */

struct syn_sent {
	struct scn x;
	struct rawcap cap; /* what the client sent the raw server */
	int c;
	uint16_t cport;
	uint32_t iss;
};

static void syn_sent_init(struct syn_sent *k)
{
	scn_init_ex(&k->x, 11, &link10ms, &link10ms, no_ts, S, &k->cap);
	k->c = synack_socket(k->x.c);
	assert_int_equal(synack_connect(k->x.c, k->c, SERVER_ADDR, 80, 0), -EINPROGRESS);
	scn_run_for(&k->x, SYNACK_MS(15));
	assert_int_equal(k->cap.n, 1);
	assert_int_equal(k->cap.p[0].seg.flags, SYNACK_TCP_SYN);
	k->iss = k->cap.p[0].seg.seq;
	k->cport = k->cap.p[0].seg.sport;
}

static void to_client(struct syn_sent *k, uint8_t flags, uint32_t seq, uint32_t ack)
{
	scn_inject(k->x.sim, k->x.snode, SERVER_ADDR, CLIENT_ADDR, 80, k->cport, flags, seq, ack, NULL, 0);
}

/* The right SYN+ACK still completes the handshake. */
static void syn_sent_complete(struct syn_sent *k)
{
	int n0 = k->cap.n;
	to_client(k, SYNACK_TCP_SYN | SYNACK_TCP_ACK, 7000, k->iss + 1);
	scn_run_for(&k->x, SYNACK_MS(30));
	assert_int_equal(scn_state_of(k->x.c, k->c), SYNACK_ESTABLISHED);
	assert_int_equal(k->cap.n, n0 + 1);
	const struct synack_tcp_seg *a = &k->cap.p[n0].seg;
	assert_int_equal(a->flags, SYNACK_TCP_ACK);
	assert_int_equal(a->seq, k->iss + 1);
	assert_int_equal(a->ack, 7001);
	char st[128];
	assert_string_equal(scn_states(&k->x, C, st, sizeof(st)), "CLOSED>SYN_SENT SYN_SENT>ESTABLISHED");
}

static void test_R04_rst_without_ack_in_syn_sent_ignored(void **state)
{
	(void)state;
	/* RFC 9293 3.10.7.3: with ACK off, a RST is dropped whatever its seq. */
	const uint32_t seqs[] = {0, 7000, 7001};
	for (size_t i = 0; i < 3; i++) {
		struct syn_sent k;
		syn_sent_init(&k);
		to_client(&k, SYNACK_TCP_RST, seqs[i], 0);
		scn_run_for(&k.x, SYNACK_MS(30));
		assert_int_equal(scn_state_of(k.x.c, k.c), SYNACK_SYN_SENT);
		assert_int_equal(k.cap.n, 1); /* no answer */
		int err = -1;
		assert_int_equal(synack_getsockopt(k.x.c, k.c, SYNACK_SO_ERROR, &err), 0);
		assert_int_equal(err, 0);
		syn_sent_complete(&k);
		scn_free(&k.x);
	}
}

static void test_R04_rst_with_ack_not_acking_syn_ignored(void **state)
{
	(void)state;
	/* SEG.ACK =< ISS or SEG.ACK > SND.NXT: not for our SYN; a RST is
	 * dropped (never answered: RFC 9293 3.10.7.3 first check). */
	const int32_t offs[] = {0, -1, 2, 100000};
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		struct syn_sent k;
		syn_sent_init(&k);
		to_client(&k, SYNACK_TCP_RST | SYNACK_TCP_ACK, 0, k.iss + (uint32_t)offs[i]);
		scn_run_for(&k.x, SYNACK_MS(30));
		assert_int_equal(scn_state_of(k.x.c, k.c), SYNACK_SYN_SENT);
		assert_int_equal(k.cap.n, 1);
		assert_false(synack_sock_events(k.x.c, k.c) & SYNACK_POLLERR);
		syn_sent_complete(&k);
		scn_free(&k.x);
	}
}

static void test_R04_rst_acking_syn_refuses_connect(void **state)
{
	(void)state;
	for (int v = 0; v < 2; v++) {
		struct syn_sent k;
		syn_sent_init(&k);
		to_client(&k, SYNACK_TCP_RST | SYNACK_TCP_ACK, 0, k.iss + 1);
		scn_run_for(&k.x, SYNACK_MS(30));
		assert_int_equal(scn_state_of(k.x.c, k.c), SYNACK_CLOSED);
		assert_int_equal(k.cap.n, 1);
		char st[128];
		assert_string_equal(scn_states(&k.x, C, st, sizeof(st)), "CLOSED>SYN_SENT SYN_SENT>CLOSED");
		int ev = synack_sock_events(k.x.c, k.c);
		assert_true(ev & SYNACK_POLLERR);
		assert_false(ev & SYNACK_POLLOUT);
		if (v == 0) {
			int err = -1;
			assert_int_equal(synack_getsockopt(k.x.c, k.c, SYNACK_SO_ERROR, &err), 0);
			assert_int_equal(err, ECONNREFUSED);
			assert_int_equal(synack_getsockopt(k.x.c, k.c, SYNACK_SO_ERROR, &err), 0);
			assert_int_equal(err, 0);
		} else {
			char buf[8];
			assert_int_equal(synack_recv(k.x.c, k.c, buf, sizeof(buf), scn_now(&k.x)), -ECONNREFUSED);
		}
		const struct synack_counters *cc = synack_get_counters(k.x.c);
		assert_int_equal(cc->TcpAttemptFails, 1);
		/* No SYN retransmission after the refusal. */
		scn_run_for(&k.x, SYNACK_SEC(5));
		assert_int_equal(k.cap.n, 1);
		assert_int_equal(synack_close(k.x.c, k.c, scn_now(&k.x)), 0);
		assert_int_equal(scn_conns_held(k.x.c), 0);
		scn_free(&k.x);
	}
}

/* ------------------------------------------------------------------ */
/* H09: a SYN to a port nobody listens on, both stacks real. */

static void test_H09_syn_to_closed_port_gets_rst_ack_econnrefused(void **state)
{
	(void)state;
	struct scn x;
	scn_init(&x, 3, &link10ms, &link10ms, NULL);
	int l = synack_socket(x.s); /* a listener on another port changes nothing */
	assert_int_equal(synack_bind(x.s, l, 0, 80), 0);
	assert_int_equal(synack_listen(x.s, l, 8), 0);
	int c = synack_socket(x.c);
	assert_int_equal(synack_connect(x.c, c, SERVER_ADDR, 81, scn_now(&x)), -EINPROGRESS);
	scn_run_for(&x, SYNACK_SEC(5));
	assert_int_equal(scn_seg_count(&x), 2);
	assert_seg(&x, 0, C, F_SYN, 0, 0, 0);
	/* RFC 9293 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
	assert_seg(&x, 1, S, F_RA, 0, 1, 0);
	assert_int_equal(scn_seg(&x, 1)->seq, 0);
	assert_int_equal(scn_seg(&x, 1)->time, SYNACK_MS(10));
	char st[128];
	assert_string_equal(scn_states(&x, C, st, sizeof(st)), "CLOSED>SYN_SENT SYN_SENT>CLOSED");
	assert_true(synack_sock_events(x.c, c) & SYNACK_POLLERR);
	int err = -1;
	assert_int_equal(synack_getsockopt(x.c, c, SYNACK_SO_ERROR, &err), 0);
	assert_int_equal(err, ECONNREFUSED);
	const struct synack_counters *sc = synack_get_counters(x.s), *cc = synack_get_counters(x.c);
	assert_int_equal(sc->SynackTcpInNoSocket, 1);
	assert_int_equal(sc->TcpOutRsts, 1);
	assert_int_equal(sc->TcpPassiveOpens, 0);
	assert_int_equal(cc->TcpAttemptFails, 1);
	assert_int_equal(synack_close(x.c, c, scn_now(&x)), 0);
	assert_int_equal(scn_conns_held(x.c), 0);
	scn_free(&x);
}

/* ------------------------------------------------------------------ */
/* H11: old duplicate SYNs (RFC 9293 figure 9). */

/* The client's side: a SYN+ACK that acknowledges something else than our
 * SYN is an answer to an old SYN; we reset it and wait for the right one. */
static void test_H11_client_resets_synack_with_wrong_ack(void **state)
{
	(void)state;
	const int32_t offs[] = {-9, 0, 2, 0x10000};
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		struct syn_sent k;
		syn_sent_init(&k);
		uint32_t bad_ack = k.iss + (uint32_t)offs[i];
		synack_time_t t0 = scn_now(&k.x);
		to_client(&k, SYNACK_TCP_SYN | SYNACK_TCP_ACK, 3000, bad_ack);
		scn_run_for(&k.x, SYNACK_MS(30));
		assert_int_equal(k.cap.n, 2);
		const struct synack_tcp_seg *r = &k.cap.p[1].seg;
		assert_int_equal(r->flags, SYNACK_TCP_RST); /* <SEQ=SEG.ACK><CTL=RST> */
		assert_int_equal(r->seq, bad_ack);
		assert_int_equal(r->payload_len, 0);
		assert_int_equal(k.cap.p[1].t, t0 + SYNACK_MS(20));
		assert_int_equal(scn_state_of(k.x.c, k.c), SYNACK_SYN_SENT);
		assert_int_equal(synack_get_counters(k.x.c)->TcpOutRsts, 1);
		syn_sent_complete(&k);
		scn_free(&k.x);
	}
}

/* The server's side: a raw host at CLIENT_ADDR plays the old duplicate
 * SYN and the client's RST; afterwards a real client (another address)
 * connects to the same listener. */
static void test_H11_server_synrcvd_rst_returns_to_listen(void **state)
{
	(void)state;
	struct scn x;
	struct rawcap cap;
	scn_init_ex(&x, 11, &link10ms, &link10ms, no_ts, C, &cap);
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.addr = CLIENT2_ADDR;
	cfg.seed = 77;
	cfg.max_sockets = 8;
	cfg.rmem = cfg.wmem = 65536;
	int c2node = synack_sim_add_stack(x.sim, &cfg);
	assert_true(c2node >= 0);
	assert_int_equal(synack_sim_link(x.sim, c2node, x.snode, &link10ms, &link10ms), 0);
	struct synack_stack *c2 = synack_sim_stack(x.sim, c2node);

	int l = synack_socket(x.s);
	assert_int_equal(synack_bind(x.s, l, 0, 80), 0);
	assert_int_equal(synack_listen(x.s, l, 8), 0);
	/* The old duplicate SYN, seq 90 as in the figure. */
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 40000, 80, SYNACK_TCP_SYN, 90, 0, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(cap.n, 1);
	const struct synack_tcp_seg *sa = &cap.p[0].seg;
	assert_int_equal(sa->flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
	assert_int_equal(sa->ack, 91);
	assert_int_equal(scn_conns_held(x.s), 2); /* listener + the request */
	/* The client never sent that SYN: <SEQ=91><CTL=RST>. */
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 40000, 80, SYNACK_TCP_RST, sa->ack, 0, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	char st[256];
	scn_states(&x, S, st, sizeof(st));
	const char *want = "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>LISTEN";
	if (strncmp(st, want, strlen(want)) != 0)
		scn_print(&x, st);
	assert_memory_equal(st, want, strlen(want));
	/* The entry is gone: no half-open connection, nothing to accept, no
	 * SYN+ACK retransmitted, and no connection ever established. */
	assert_int_equal(scn_conns_held(x.s), 1);
	assert_int_equal(synack_accept(x.s, l, NULL, NULL), -EAGAIN);
	assert_int_equal(scn_state_of(x.s, l), SYNACK_LISTEN);
	scn_run_for(&x, SYNACK_SEC(10));
	assert_int_equal(cap.n, 1);
	const struct synack_counters *sc = synack_get_counters(x.s);
	assert_int_equal(sc->TcpCurrEstab, 0);
	assert_int_equal(sc->TcpAttemptFails, 1);
	assert_int_equal(sc->TcpExtTCPSynRetrans, 0);
	for (size_t i = 0; i < synack_ladder_state_count(x.lad); i++)
		assert_int_not_equal(synack_ladder_state_get(x.lad, i)->new_state, SYNACK_ESTABLISHED);

	/* The listener still serves a real client. */
	int c = synack_socket(c2);
	assert_int_equal(synack_connect(c2, c, SERVER_ADDR, 80, scn_now(&x)), -EINPROGRESS);
	scn_run_for(&x, SYNACK_MS(100));
	assert_int_equal(scn_state_of(c2, c), SYNACK_ESTABLISHED);
	uint32_t pa = 0;
	int a = synack_accept(x.s, l, &pa, NULL);
	assert_true(a >= 0);
	assert_int_equal(pa, CLIENT2_ADDR);
	assert_int_equal(synack_send(c2, c, "hi", 2, scn_now(&x)), 2);
	scn_run_for(&x, SYNACK_MS(50));
	char buf[8];
	assert_int_equal(synack_recv(x.s, a, buf, sizeof(buf), scn_now(&x)), 2);
	assert_memory_equal(buf, "hi", 2);
	scn_free(&x);
}

/* ------------------------------------------------------------------ */
/* An abort after a retransmission timeout (T08 SO_LINGER 0, C11 unread
 * data): the RST must carry SND.MAX, not the SND.NXT the timeout pulled
 * back to SND.UNA, or it lands below the peer's RCV.NXT and RFC 5961 3.2
 * drops it silently, leaving the peer ESTABLISHED. */

static bool drop_while_set(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)pkt, (void)len, (void)now;
	return *(bool *)ctx;
}

static void test_T08_C11_abort_after_rto_resets_peer(void **state)
{
	(void)state;
	for (int unread = 0; unread < 2; unread++) {
		struct scn x;
		scn_init(&x, 50 + (uint64_t)unread, &link10ms, &link10ms, NULL);
		int l = synack_socket(x.s);
		assert_int_equal(synack_bind(x.s, l, 0, 80), 0);
		assert_int_equal(synack_listen(x.s, l, 8), 0);
		int c = synack_socket(x.c);
		assert_int_equal(synack_connect(x.c, c, SERVER_ADDR, 80, scn_now(&x)), -EINPROGRESS);
		scn_run_for(&x, SYNACK_MS(50));
		int a = synack_accept(x.s, l, NULL, NULL);
		assert_true(a >= 0);
		if (unread) {
			assert_int_equal(synack_send(x.s, a, "unread", 6, scn_now(&x)), 6);
			scn_run_for(&x, SYNACK_MS(50));
		}
		/* The server gets all the data (no Nagle to hold the tail); its ACKs are lost. */
		assert_int_equal(synack_setsockopt(x.c, c, SYNACK_TCP_NODELAY, 1), 0);
		bool acks_lost = true;
		synack_sim_set_filter(x.sim, x.snode, x.cnode, drop_while_set, &acks_lost);
		static uint8_t data[4000];
		memset(data, 'd', sizeof(data));
		assert_int_equal(synack_send(x.c, c, data, sizeof(data), scn_now(&x)), (ssize_t)sizeof(data));
		for (int i = 0; i < 300 && synack_get_counters(x.c)->TcpExtTCPTimeouts == 0; i++)
			scn_run_for(&x, SYNACK_MS(10));
		assert_int_equal(synack_get_counters(x.c)->TcpExtTCPTimeouts, 1);
		struct synack_sockinfo ci, si;
		assert_int_equal(synack_sockinfo(x.c, c, &ci), 0);
		assert_int_equal(synack_sockinfo(x.s, a, &si), 0);
		assert_int_equal(ci.send_q, sizeof(data));               /* nothing acknowledged */
		assert_true(ci.snd_nxt - ci.snd_una < sizeof(data));     /* SND.NXT pulled back */
		assert_int_equal(si.rcv_nxt, ci.snd_una + sizeof(data)); /* the peer has it all */
		size_t base = scn_seg_count(&x);
		if (!unread)
			assert_int_equal(synack_setsockopt(x.c, c, SYNACK_SO_LINGER, 0), 0);
		assert_int_equal(synack_close(x.c, c, scn_now(&x)), 0);
		scn_run_for(&x, SYNACK_MS(50));
		/* One segment from us: the RST (the peer's ACK of the resent
		 * segment is still lost on the way). */
		assert_true(scn_seg_count(&x) > base);
		for (size_t i = base + 1; i < scn_seg_count(&x); i++)
			assert_int_equal(scn_seg(&x, i)->from_col, S);
		if (scn_seg(&x, base)->seq != si.rcv_nxt)
			scn_print(&x, "abort after RTO");
		assert_int_equal(scn_seg(&x, base)->from_col, C);
		assert_int_equal(scn_seg(&x, base)->flags, F_RA);
		assert_int_equal(scn_seg(&x, base)->seq, si.rcv_nxt); /* SND.MAX */
		assert_int_equal(scn_state_of(x.s, a), SYNACK_CLOSED);
		int err = 0;
		assert_int_equal(synack_getsockopt(x.s, a, SYNACK_SO_ERROR, &err), 0);
		assert_int_equal(err, ECONNRESET);
		scn_free(&x);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_R01_inexact_rst_in_window_gets_challenge_ack),
		cmocka_unit_test(test_R01_R04_exact_rst_resets_econnreset),
		cmocka_unit_test(test_R01_out_of_window_rst_dropped_silently),
		cmocka_unit_test(test_R01_challenge_acks_rate_limited),
		cmocka_unit_test(test_R02_syn_in_window_gets_challenge_ack),
		cmocka_unit_test(test_R02_syn_out_of_window_gets_challenge_ack),
		cmocka_unit_test(test_R03_data_acking_unsent_data_dropped_and_acked),
		cmocka_unit_test(test_R03_data_with_too_old_ack_gets_challenge_ack),
		cmocka_unit_test(test_R03_data_with_old_but_acceptable_ack_delivered),
		cmocka_unit_test(test_R04_rst_without_ack_in_syn_sent_ignored),
		cmocka_unit_test(test_R04_rst_with_ack_not_acking_syn_ignored),
		cmocka_unit_test(test_R04_rst_acking_syn_refuses_connect),
		cmocka_unit_test(test_H09_syn_to_closed_port_gets_rst_ack_econnrefused),
		cmocka_unit_test(test_H11_client_resets_synack_with_wrong_ack),
		cmocka_unit_test(test_H11_server_synrcvd_rst_returns_to_listen),
		cmocka_unit_test(test_T08_C11_abort_after_rto_resets_peer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
