/* Data transfer: SPEC D01 (reliable stream over a faulty network), D02
 * (flow control), D03 (retransmission timeout) and W04 (sequence numbers
 * across 2^32), on the simulated network.  Every assertion is on virtual
 * time or on what was sent and delivered, so runs are exact and repeatable. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"

static const struct synack_link_model link10ms = {.delay_us = 10000};
static const struct synack_link_model link50ms = {.delay_us = 50000};

/* Modulo 2^32 (the tests' own, so they do not lean on the code under test). */
static bool sgt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* Bytes nobody could guess from their position: a reordered, duplicated or
 * shifted byte shows up in a comparison. */
static void fill_pattern(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
}

/* What a test allocated, freed by the teardown if an assertion cuts the
 * test short: the sanitizer build then reports the failure, not a leak. */
#define LIVE_MAX 16
static struct {
	void (*fn)(void *);
	void *p;
} live[LIVE_MAX];

static void live_add(void (*fn)(void *), void *p)
{
	for (int i = 0; i < LIVE_MAX; i++)
		if (!live[i].p) {
			live[i].fn = fn;
			live[i].p = p;
			return;
		}
	fail_msg("live table full");
}

static void live_release(void *p)
{
	for (int i = 0; i < LIVE_MAX; i++)
		if (live[i].p == p) {
			live[i].fn(p);
			live[i].p = NULL;
			return;
		}
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < LIVE_MAX; i++)
		if (live[i].p) {
			live[i].fn(live[i].p);
			live[i].p = NULL;
		}
	return 0;
}

static void free_sim(void *p)
{
	synack_sim_free(p);
}

static void free_ladder(void *p)
{
	synack_ladder_free(p);
}

/* scn_init, with its allocations known to the teardown. */
static void scn_start(struct scn *x, uint64_t seed, const struct synack_link_model *c2s,
                      const struct synack_link_model *s2c, scn_config_fn tweak)
{
	scn_init(x, seed, c2s, s2c, tweak);
	live_add(free_sim, x->sim);
	live_add(free_ladder, x->lad);
}

static void scn_end(struct scn *x)
{
	live_release(x->lad);
	live_release(x->sim);
}

/* ------------------------------------------------------------------ */
/* An application on one end: writes its bytes, shuts down writing, reads
 * until end of stream, then closes.  Never blocks; pumped after every
 * simulator event. */

struct app {
	struct synack_stack *st;
	int sock;
	const uint8_t *out;
	size_t out_len, sent;
	uint8_t *in;
	size_t in_cap, got;
	bool read_paused; /* the application does not read (D02) */
	bool shut_after_eof; /* a pure receiver: shut down writing only once it read everything */
	bool shut, eof, closed;
	ssize_t err;      /* the first unexpected return of send/recv */
};

static void app_pump(struct app *a, synack_time_t now)
{
	if (a->sock < 0 || a->closed)
		return;
	while (a->sent < a->out_len) {
		ssize_t n = synack_send(a->st, a->sock, a->out + a->sent, a->out_len - a->sent, now);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			if (!a->err)
				a->err = n;
			break;
		}
		a->sent += (size_t)n;
	}
	if (a->sent == a->out_len && !a->shut && scn_state_of(a->st, a->sock) != SYNACK_SYN_SENT &&
	    (!a->shut_after_eof || a->eof)) {
		assert_int_equal(synack_shutdown(a->st, a->sock, SYNACK_SHUT_WR, now), 0);
		a->shut = true;
	}
	while (!a->eof && !a->read_paused && a->got < a->in_cap) {
		ssize_t n = synack_recv(a->st, a->sock, a->in + a->got, a->in_cap - a->got, now);
		if (n > 0) {
			a->got += (size_t)n;
		} else if (n == 0) {
			a->eof = true;
		} else {
			if (n != -EAGAIN && !a->err)
				a->err = n;
			break;
		}
	}
	if (a->eof && !a->shut && a->shut_after_eof) {
		assert_int_equal(synack_shutdown(a->st, a->sock, SYNACK_SHUT_WR, now), 0);
		a->shut = true;
	}
	if (a->eof && a->shut && !a->closed) {
		assert_int_equal(synack_close(a->st, a->sock, now), 0);
		a->closed = true;
	}
}

static void app_init(struct app *a, struct synack_stack *st, const uint8_t *out, size_t out_len, size_t in_cap)
{
	memset(a, 0, sizeof(*a));
	a->st = st;
	a->sock = -1;
	a->out = out;
	a->out_len = out_len;
	a->in_cap = in_cap;
	a->in = malloc(in_cap ? in_cap : 1);
	assert_non_null(a->in);
	live_add(free, a->in);
}

static void app_free(struct app *a)
{
	live_release(a->in);
}

/* A client and a server application: n_c2s bytes one way, n_s2c the other. */
struct xfer {
	struct scn x;
	struct app ca, sa;
	int l;
	uint8_t *c2s, *s2c;
	size_t n_c2s, n_s2c;
	synack_time_t closed_at; /* both applications had closed */
	bool storm;              /* stopped: far more packets than a transfer needs */
};

static void xfer_init2(struct xfer *t, uint64_t seed, size_t n_c2s, size_t n_s2c, const struct synack_link_model *c2s,
                       const struct synack_link_model *s2c, scn_config_fn tweak)
{
	memset(t, 0, sizeof(*t));
	scn_start(&t->x, seed, c2s, s2c, tweak);
	t->n_c2s = n_c2s;
	t->n_s2c = n_s2c;
	t->c2s = malloc(n_c2s + 1);
	t->s2c = malloc(n_s2c + 1);
	assert_non_null(t->c2s);
	assert_non_null(t->s2c);
	live_add(free, t->c2s);
	live_add(free, t->s2c);
	fill_pattern(t->c2s, n_c2s, seed * 2 + 1);
	fill_pattern(t->s2c, n_s2c, seed * 2 + 2);
	/* Room for more than was sent, so a duplicate delivered would show. */
	app_init(&t->ca, t->x.c, t->c2s, n_c2s, n_s2c + 65536);
	app_init(&t->sa, t->x.s, t->s2c, n_s2c, n_c2s + 65536);
	t->l = synack_socket(t->x.s);
	assert_int_equal(synack_bind(t->x.s, t->l, 0, 80), 0);
	assert_int_equal(synack_listen(t->x.s, t->l, 8), 0);
	t->ca.sock = synack_socket(t->x.c);
	assert_int_equal(synack_connect(t->x.c, t->ca.sock, SERVER_ADDR, 80, scn_now(&t->x)), -EINPROGRESS);
}

static void xfer_init(struct xfer *t, uint64_t seed, size_t n, const struct synack_link_model *c2s,
                      const struct synack_link_model *s2c, scn_config_fn tweak)
{
	xfer_init2(t, seed, n, n, c2s, s2c, tweak);
}

/* One round of the applications; then the accepted connection is taken
 * and the listener closed (so nothing is left once both ends are done). */
static void xfer_pump(struct xfer *t)
{
	synack_time_t now = scn_now(&t->x);
	if (t->sa.sock < 0) {
		int a = synack_accept(t->x.s, t->l, NULL, NULL);
		if (a >= 0) {
			t->sa.sock = a;
			assert_int_equal(synack_close(t->x.s, t->l, now), 0);
			t->l = -1;
		}
	}
	app_pump(&t->ca, now);
	app_pump(&t->sa, now);
	if (!t->closed_at && t->ca.closed && t->sa.closed)
		t->closed_at = now;
}

static void noop(void *ctx, struct synack_sim *sim)
{
	(void)ctx, (void)sim;
}

/* Runs event by event, the applications pumped after each, up to time t. */
static void xfer_run_until(struct xfer *t, synack_time_t until)
{
	assert_int_equal(synack_sim_at(t->x.sim, until, noop, NULL), 0);
	for (;;) {
		xfer_pump(t);
		if (scn_now(&t->x) >= until || !synack_sim_step(t->x.sim))
			break;
	}
	xfer_pump(t);
}

/* Packets on the link in both directions so far. */
static uint64_t link_packets(const struct scn *x)
{
	struct synack_sim_link_stats a, b;
	synack_sim_link_stats(x->sim, x->cnode, x->snode, &a);
	synack_sim_link_stats(x->sim, x->snode, x->cnode, &b);
	return a.sent + b.sent;
}

/* Prints the last n TCP segments of the ladder. */
static void print_tail(const struct scn *x, size_t n)
{
	size_t cnt = synack_ladder_count(x->lad);
	for (size_t j = cnt > n ? cnt - n : 0; j < cnt; j++) {
		const struct synack_ladder_seg *s = synack_ladder_get(x->lad, j);
		char main[160], opts[96];
		synack_ladder_seg_label(s, false, false, main, sizeof(main), opts, sizeof(opts));
		fprintf(stdout, "    %10.6f s %s %s%s%s\n", (double)s->time / 1e6, s->from_col == C ? "c>s" : "s>c", main,
		        s->lost ? " (lost)" : "", s->copies ? " (dup)" : "");
	}
}

/* A transfer of a few megabytes needs some thousands of packets; far more
 * means the two ends are stuck answering each other (an ACK loop). */
#define STORM_PACKETS 60000u

/* Runs event by event until the network is idle or the clock passes limit.
 * Returns true if it went idle. */
static bool xfer_run(struct xfer *t, synack_time_t limit)
{
	for (uint64_t steps = 0;; steps++) {
		xfer_pump(t);
		if (scn_now(&t->x) > limit)
			return false;
		if (steps % 1024 == 0 && link_packets(&t->x) > STORM_PACKETS) {
			fprintf(stdout, "    packet storm: %llu packets by %.6f s; the last ones:\n",
			        (unsigned long long)link_packets(&t->x), (double)scn_now(&t->x) / 1e6);
			print_tail(&t->x, 12);
			t->storm = true;
			return false;
		}
		if (!synack_sim_step(t->x.sim))
			return true;
	}
}

/* Why the transfer is not complete and exact with both ends CLOSED and
 * gone, or NULL if it is. */
static const char *xfer_verdict(struct xfer *t, bool idle, synack_time_t limit)
{
	if (t->storm)
		return "packet storm (an ACK loop)";
	if (!idle || scn_now(&t->x) > limit)
		return "not finished within the virtual time limit";
	if (t->ca.err || t->sa.err)
		return "send/recv failed";
	/* Exactly the bytes sent, in order: nothing lost, nothing twice. */
	if (t->ca.got != t->n_s2c || t->sa.got != t->n_c2s)
		return "byte count delivered differs from bytes sent";
	if (memcmp(t->ca.in, t->s2c, t->n_s2c) != 0 || memcmp(t->sa.in, t->c2s, t->n_c2s) != 0)
		return "bytes delivered differ from bytes sent";
	if (!t->ca.closed || !t->sa.closed)
		return "an application never saw end of stream";
	/* Both connections ended CLOSED by the graceful path and were released. */
	if (scn_conns_held(t->x.c) != 0 || scn_conns_held(t->x.s) != 0)
		return "a connection is still held";
	for (int col = 0; col < 2; col++) {
		const struct synack_ladder_state *last = NULL;
		for (size_t i = 0; i < synack_ladder_state_count(t->x.lad); i++) {
			const struct synack_ladder_state *s = synack_ladder_state_get(t->x.lad, i);
			if (s->col == col && s->rport != 0) /* not the listener */
				last = s;
		}
		if (!last || last->new_state != SYNACK_CLOSED ||
		    (last->old_state != SYNACK_TIME_WAIT && last->old_state != SYNACK_LAST_ACK))
			return "a connection did not end TIME_WAIT/LAST_ACK -> CLOSED";
	}
	if (synack_get_counters(t->x.c)->TcpEstabResets || synack_get_counters(t->x.s)->TcpEstabResets)
		return "a connection was reset";
	return NULL;
}

static void xfer_check_done(struct xfer *t, bool idle, synack_time_t limit, const char *what)
{
	const char *why = xfer_verdict(t, idle, limit);
	if (why)
		fprintf(stdout, "%s: %s: at %.3f s, client sent %zu got %zu closed %d err %zd; server sent %zu got %zu "
		        "closed %d err %zd\n",
		        what, why, (double)scn_now(&t->x) / 1e6, t->ca.sent, t->ca.got, t->ca.closed, t->ca.err,
		        t->sa.sent, t->sa.got, t->sa.closed, t->sa.err);
	assert_null(why);
}

static void xfer_free(struct xfer *t)
{
	app_free(&t->ca);
	app_free(&t->sa);
	live_release(t->c2s);
	live_release(t->s2c);
	scn_end(&t->x);
}

#define MB (1024u * 1024u)

/* ------------------------------------------------------------------ */
/* D01: a reliable, in-order byte stream both ways. */

static void test_D01_1mb_each_way_clean_link(void **state)
{
	(void)state;
	struct xfer t;
	xfer_init(&t, 1, MB, &link10ms, &link10ms, NULL);
	bool idle = xfer_run(&t, SYNACK_SEC(600));
	xfer_check_done(&t, idle, SYNACK_SEC(600), "clean");
	/* A perfect link needs no retransmission and parks nothing. */
	const struct synack_counters *cc = synack_get_counters(t.x.c), *sc = synack_get_counters(t.x.s);
	assert_int_equal(cc->TcpRetransSegs, 0);
	assert_int_equal(sc->TcpRetransSegs, 0);
	assert_int_equal(cc->TcpExtTCPOFOQueue + sc->TcpExtTCPOFOQueue, 0);
	/* Both closed within seconds; TIME_WAIT then took its 60 s. */
	assert_true(t.closed_at < SYNACK_SEC(10));
	xfer_free(&t);
}

/* The seeded matrix: loss 0/5/10/20 %, with 10 % reordering, 5 %
 * duplication and 1 % corruption each way, several seeds. */
static void test_D01_1mb_each_way_lossy_matrix(void **state)
{
	(void)state;
	const double losses[] = {0.0, 0.05, 0.10, 0.20};
	const uint64_t seeds[] = {11, 12, 13};
	int failed = 0;
	for (size_t li = 0; li < 4; li++) {
		for (size_t si = 0; si < 3; si++) {
			struct synack_link_model m = {
				.loss = losses[li], .duplicate = 0.05, .corrupt = 0.01, .reorder = 0.10,
				.delay_us = 10000, .jitter_us = 2000, .reorder_delay_us = 15000,
			};
			struct xfer t;
			xfer_init(&t, seeds[si], MB, &m, &m, NULL);
			bool idle = xfer_run(&t, SYNACK_SEC(600));
			const char *why = xfer_verdict(&t, idle, SYNACK_SEC(600));
			const struct synack_counters *cc = synack_get_counters(t.x.c), *sc = synack_get_counters(t.x.s);
			struct synack_sim_link_stats ls[2];
			synack_sim_link_stats(t.x.sim, t.x.cnode, t.x.snode, &ls[0]);
			synack_sim_link_stats(t.x.sim, t.x.snode, t.x.cnode, &ls[1]);
			/* The faults really happened, and corrupted packets were caught. */
			if (!why && (ls[0].duplicated == 0 || ls[1].duplicated == 0 || ls[0].corrupted + ls[1].corrupted == 0))
				why = "the link made no duplicate or no corruption";
			if (!why && cc->IpInHdrErrors + cc->TcpInErrs + sc->IpInHdrErrors + sc->TcpInErrs == 0)
				why = "no corrupted packet was counted as dropped";
			fprintf(stdout, "  D01 loss %2.0f%% seed %u: %s; closed at %.3f s, run ended at %.3f s; "
			        "delivered c %zu s %zu; retrans c %llu s %llu; ofo c %llu s %llu; link pkts %llu\n",
			        losses[li] * 100, (unsigned)seeds[si], why ? why : "ok",
			        t.closed_at ? (double)t.closed_at / 1e6 : -1.0, (double)scn_now(&t.x) / 1e6, t.ca.got,
			        t.sa.got, (unsigned long long)cc->TcpRetransSegs, (unsigned long long)sc->TcpRetransSegs, (unsigned long long)cc->TcpExtTCPOFOQueue,
			        (unsigned long long)sc->TcpExtTCPOFOQueue, (unsigned long long)link_packets(&t.x));
			if (why && !failed++) {
				fprintf(stdout, "    the last segments of the first failed run:\n");
				print_tail(&t.x, 16);
			}
			xfer_free(&t);
		}
	}
	assert_int_equal(failed, 0);
}

/* Reordering only: segments that overtake others are parked and
 * reassembled, none dropped for want of room. */
static void test_D01_reordered_segments_reassembled(void **state)
{
	(void)state;
	struct synack_link_model m = {.reorder = 0.10, .delay_us = 10000, .reorder_delay_us = 5000};
	struct xfer t;
	xfer_init(&t, 21, MB, &m, &m, NULL);
	bool idle = xfer_run(&t, SYNACK_SEC(600));
	xfer_check_done(&t, idle, SYNACK_SEC(600), "reorder");
	const struct synack_counters *cc = synack_get_counters(t.x.c), *sc = synack_get_counters(t.x.s);
	assert_true(cc->TcpExtTCPOFOQueue > 0);
	assert_true(sc->TcpExtTCPOFOQueue > 0);
	assert_int_equal(cc->TcpExtTCPOFODrop + sc->TcpExtTCPOFODrop, 0);
	xfer_free(&t);
}

/* Duplication only: every byte is delivered exactly once. */
static void test_D01_duplicates_dropped(void **state)
{
	(void)state;
	struct synack_link_model m = {.duplicate = 0.20, .delay_us = 10000, .jitter_us = 3000};
	struct xfer t;
	xfer_init(&t, 31, MB, &m, &m, NULL);
	bool idle = xfer_run(&t, SYNACK_SEC(600));
	xfer_check_done(&t, idle, SYNACK_SEC(600), "duplicate");
	struct synack_sim_link_stats ls;
	synack_sim_link_stats(t.x.sim, t.x.cnode, t.x.snode, &ls);
	assert_true(ls.duplicated > 100);
	/* (xfer_check_done compared got == sent with room to spare in the buffer) */
	xfer_free(&t);
}

/* ------------------------------------------------------------------ */
/* Ladder helpers for D02: what the client knew of the server's window. */

/* Right edge of the window a server segment advertises. */
static uint32_t right_edge(const struct synack_ladder_seg *s, uint8_t wscale)
{
	uint32_t w = (uint32_t)s->window << ((s->flags & SYNACK_TCP_SYN) ? 0 : wscale);
	return s->ack + w;
}

struct flight {
	uint32_t max_in_flight; /* largest seq_end - SND.UNA seen at a send */
	uint32_t max_end;       /* highest data sequence sent + 1 */
	size_t data_segs, violations;
};

/* Checks that every client data segment ends within the largest right edge
 * the server had advertised by the time it was sent (the sender knows no
 * other), and measures the bytes in flight. */
static void check_flight(const struct scn *x, uint8_t wscale, struct flight *f)
{
	memset(f, 0, sizeof(*f));
	size_t n = synack_ladder_count(x->lad);
	for (size_t i = 0; i < n; i++) {
		const struct synack_ladder_seg *d = synack_ladder_get(x->lad, i);
		if (!d->is_tcp || d->from_col != C || d->payload_len == 0)
			continue;
		bool have = false;
		uint32_t edge = 0, una = 0;
		for (size_t j = 0; j < n; j++) {
			const struct synack_ladder_seg *a = synack_ladder_get(x->lad, j);
			if (!a->is_tcp || a->from_col != S || !(a->flags & SYNACK_TCP_ACK) || a->arrive == SYNACK_TIME_NEVER ||
			    a->arrive > d->time)
				continue;
			uint32_t e = right_edge(a, wscale);
			if (!have || sgt(e, edge))
				edge = e;
			if (!have || sgt(a->ack, una))
				una = a->ack;
			have = true;
		}
		assert_true(have);
		uint32_t end = d->seq + d->payload_len;
		f->data_segs++;
		if (sgt(end, edge)) {
			fprintf(stdout, "data seq %u len %u at %llu us ends %u bytes past the right edge\n", d->rel_seq,
			        d->payload_len, (unsigned long long)d->time, end - edge);
			f->violations++;
		}
		if (end - una > f->max_in_flight && sgt(end, una))
			f->max_in_flight = end - una;
		if (f->data_segs == 1 || sgt(end, f->max_end))
			f->max_end = end;
	}
}

/* The ladder's last TCP segment from col, or NULL. */
static const struct synack_ladder_seg *last_seg_from(const struct scn *x, int col)
{
	const struct synack_ladder_seg *r = NULL;
	for (size_t j = 0; j < synack_ladder_count(x->lad); j++) {
		const struct synack_ladder_seg *s = synack_ladder_get(x->lad, j);
		if (s->is_tcp && s->from_col == col)
			r = s;
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* D02: flow control. */

#define MSS_TS 1448u /* 1500 - 20 - 20 - 12 bytes of timestamps */

/* A receive buffer of exactly 20 full segments: the window closes to 0. */
static void rcv_20_segments(struct synack_config *cfg, int col)
{
	if (col == S)
		cfg->rmem = 20 * MSS_TS;
	else
		cfg->wmem = 131072;
}

static void test_D02_zero_window_probes_then_resume(void **state)
{
	(void)state;
	const size_t n = 100000;
	struct xfer t;
	xfer_init2(&t, 41, n, 0, &link10ms, &link10ms, rcv_20_segments);
	t.sa.shut_after_eof = true; /* keeps the client's handle open until the end */
	t.sa.read_paused = true; /* the server application does not read */
	xfer_run_until(&t, SYNACK_SEC(2));
	struct synack_sockinfo ci, si;
	assert_int_equal(synack_sockinfo(t.x.c, t.ca.sock, &ci), 0);
	assert_int_equal(synack_sockinfo(t.x.s, t.sa.sock, &si), 0);
	assert_int_equal(ci.snd_mss, MSS_TS);
	/* The receiver holds exactly its buffer, and says its window is 0. */
	assert_int_equal(si.recv_q, 20 * MSS_TS);
	assert_int_equal(ci.send_q, n - 20 * MSS_TS);
	const struct synack_ladder_seg *last = last_seg_from(&t.x, S);
	assert_int_equal(last->window, 0);
	/* The sender stopped exactly at the right edge, never beyond it. */
	struct flight f;
	check_flight(&t.x, ci.snd_wscale, &f);
	assert_int_equal(f.violations, 0);
	assert_int_equal(f.max_end - (ci.iss + 1), 20 * MSS_TS);
	/* It probes the shut window, with backoff, and each probe is answered. */
	const struct synack_counters *cc = synack_get_counters(t.x.c);
	uint64_t k1 = cc->TcpExtTCPWinProbe;
	assert_true(k1 >= 1);
	xfer_run_until(&t, SYNACK_SEC(8));
	uint64_t k2 = cc->TcpExtTCPWinProbe;
	assert_true(k2 > k1);
	assert_int_equal(t.sa.got, 0);
	assert_int_equal(synack_sockinfo(t.x.s, t.sa.sock, &si), 0);
	assert_int_equal(si.recv_q, 20 * MSS_TS);
	size_t probes = 0, answers = 0;
	synack_time_t prev = 0, gap = 0;
	for (size_t j = 0; j < synack_ladder_count(t.x.lad); j++) {
		const struct synack_ladder_seg *s = synack_ladder_get(t.x.lad, j);
		if (!s->is_tcp || s->payload_len || !(s->flags & SYNACK_TCP_ACK) || s->flags & SYNACK_TCP_FIN)
			continue;
		if (s->from_col == C && s->seq == ci.iss + 20 * MSS_TS) { /* SND.UNA - 1: Linux's probe */
			if (probes++ > 0) {
				assert_true(s->time - prev > gap); /* the interval grows */
				gap = s->time - prev;
			}
			prev = s->time;
		} else if (s->from_col == S && probes > 0 && s->window == 0) {
			answers++;
		}
	}
	assert_int_equal(probes, k2);
	assert_true(answers >= probes - 1); /* the last may still be on its way */
	/* The reader drains: a window update, and the rest flows. */
	t.sa.read_paused = false;
	bool idle = xfer_run(&t, SYNACK_SEC(600));
	xfer_check_done(&t, idle, SYNACK_SEC(600), "zero window");
	check_flight(&t.x, ci.snd_wscale, &f);
	assert_int_equal(f.violations, 0);
	assert_int_equal(cc->TcpRetransSegs, 0);
	xfer_free(&t);
}

/* A receive buffer that is not a multiple of the MSS (32768 = 22 * 1448 +
 * 912): once 22 segments are in, the window is 912 bytes, too small for a
 * full segment.  RFC 1122 4.2.3.4 / RFC 9293 3.8.6.2.1: pushed data is sent
 * when the override timeout (0.1 - 1 s) runs out (Linux sends the probe
 * with as much data as the window takes), so the window fills exactly;
 * otherwise an application waiting for those 912 bytes deadlocks. */
static void rcv_32k(struct synack_config *cfg, int col)
{
	if (col == S)
		cfg->rmem = 32768;
	else
		cfg->wmem = 131072;
}

static void test_D02_sender_fills_window_smaller_than_mss(void **state)
{
	(void)state;
	const size_t n = 100000;
	struct xfer t;
	xfer_init2(&t, 42, n, 0, &link10ms, &link10ms, rcv_32k);
	t.sa.shut_after_eof = true; /* keeps the client's handle open until the end */
	t.sa.read_paused = true;
	xfer_run_until(&t, SYNACK_SEC(2));
	struct synack_sockinfo ci, si;
	assert_int_equal(synack_sockinfo(t.x.c, t.ca.sock, &ci), 0);
	assert_int_equal(synack_sockinfo(t.x.s, t.sa.sock, &si), 0);
	struct flight f;
	check_flight(&t.x, ci.snd_wscale, &f);
	assert_int_equal(f.violations, 0);
	if (si.recv_q != 32768)
		fprintf(stdout, "receiver holds %u of 32768 bytes 2 s after the window shrank below one MSS\n",
		        si.recv_q);
	assert_int_equal(si.recv_q, 32768);
	assert_int_equal(last_seg_from(&t.x, S)->window, 0);
	t.sa.read_paused = false;
	bool idle = xfer_run(&t, SYNACK_SEC(600));
	xfer_check_done(&t, idle, SYNACK_SEC(600), "window < mss");
	xfer_free(&t);
}

/* Window scaling (RFC 7323): a 1 MB receive buffer needs shift 5. */
static void big_buffers(struct synack_config *cfg, int col)
{
	cfg->max_sockets = 4;
	if (col == S)
		cfg->rmem = MB;
	else
		cfg->wmem = MB;
}

static void test_D02_window_scaling_more_than_64k_in_flight(void **state)
{
	(void)state;
	uint8_t want = 0;
	while (((uint32_t)65535u << want) < MB)
		want++;
	assert_int_equal(want, 5);
	struct xfer t;
	xfer_init2(&t, 43, MB, 0, &link10ms, &link10ms, big_buffers);
	t.sa.shut_after_eof = true; /* keeps the client's handle open until the end */
	xfer_run_until(&t, SYNACK_MS(35)); /* just after the handshake */
	struct synack_sockinfo ci, si;
	assert_int_equal(synack_sockinfo(t.x.c, t.ca.sock, &ci), 0);
	assert_int_equal(synack_sockinfo(t.x.s, t.sa.sock, &si), 0);
	assert_int_equal(ci.snd_wscale, want); /* what the server's SYN+ACK said */
	assert_int_equal(si.rcv_wscale, want);
	const struct synack_ladder_seg *syn = scn_seg(&t.x, 0), *synack = scn_seg(&t.x, 1);
	assert_int_equal(syn->flags, SYNACK_TCP_SYN);
	assert_true(syn->options & SYNACK_OPT_WSCALE);
	assert_int_equal(synack->flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
	assert_true(synack->options & SYNACK_OPT_WSCALE);
	assert_int_equal(synack->wscale, want);
	bool idle = xfer_run(&t, SYNACK_SEC(600));
	xfer_check_done(&t, idle, SYNACK_SEC(600), "wscale");
	/* The server advertised more than 64 KB, and the client used it. */
	uint32_t max_wnd = 0;
	for (size_t j = 0; j < synack_ladder_count(t.x.lad); j++) {
		const struct synack_ladder_seg *s = synack_ladder_get(t.x.lad, j);
		if (s->is_tcp && s->from_col == S && !(s->flags & SYNACK_TCP_SYN) && ((uint32_t)s->window << want) > max_wnd)
			max_wnd = (uint32_t)s->window << want;
	}
	assert_true(max_wnd > 65535);
	struct flight f;
	check_flight(&t.x, want, &f);
	assert_int_equal(f.violations, 0);
	fprintf(stdout, "  D02 wscale %u: largest window %u, most in flight %u\n", want, max_wnd, f.max_in_flight);
	assert_true(f.max_in_flight > 65535);
	xfer_free(&t);
}

/* Receiver silly window avoidance (RFC 9293 3.8.6.2.2, RFC 1122 4.2.3.3):
 * an application reading one byte at a time from a full buffer must not
 * make the receiver offer tiny windows; the right edge moves only by
 * min(MSS, buffer / 2) or more, and never back (RFC 9293 3.8.6). */
static void test_D02_no_silly_window_on_one_byte_reads(void **state)
{
	(void)state;
	const size_t n = 100000;
	const uint32_t rmem = 32768; /* < 64 KB: shift 0, so edges are exact */
	struct xfer t;
	xfer_init2(&t, 44, n, 0, &link10ms, &link10ms, rcv_32k);
	t.sa.shut_after_eof = true; /* keeps the client's handle open until the end */
	t.sa.read_paused = true;
	xfer_run_until(&t, SYNACK_SEC(1));
	struct synack_sockinfo ci, si;
	assert_int_equal(synack_sockinfo(t.x.c, t.ca.sock, &ci), 0);
	assert_int_equal(synack_sockinfo(t.x.s, t.sa.sock, &si), 0);
	assert_int_equal(ci.snd_wscale, 0);
	assert_true(si.recv_q >= rmem - MSS_TS); /* (about) full */
	synack_time_t slow_from = scn_now(&t.x);
	for (int i = 0; i < 6000; i++) { /* one byte per millisecond, 6 s */
		ssize_t r = synack_recv(t.x.s, t.sa.sock, t.sa.in + t.sa.got, 1, scn_now(&t.x));
		assert_int_equal(r, 1);
		t.sa.got++;
		xfer_run_until(&t, scn_now(&t.x) + SYNACK_MS(1));
	}
	synack_time_t slow_until = scn_now(&t.x);
	t.sa.read_paused = false;
	bool idle = xfer_run(&t, SYNACK_SEC(600));
	xfer_check_done(&t, idle, SYNACK_SEC(600), "one-byte reads");
	uint32_t step = si.snd_mss < rmem / 2 ? si.snd_mss : rmem / 2;
	uint32_t edge = 0;
	bool have = false;
	size_t slow_updates = 0, bad = 0;
	for (size_t j = 0; j < synack_ladder_count(t.x.lad); j++) {
		const struct synack_ladder_seg *s = synack_ladder_get(t.x.lad, j);
		if (!s->is_tcp || s->from_col != S || !(s->flags & SYNACK_TCP_ACK))
			continue;
		uint32_t e = right_edge(s, 0);
		if (have && e != edge) {
			if (!sgt(e, edge) || e - edge < step) {
				fprintf(stdout, "server at %llu us: right edge %+d (ack rel %u win %u)\n",
				        (unsigned long long)s->time, (int)(e - edge), s->rel_ack, s->window);
				bad++;
			}
			if (s->time > slow_from && s->time <= slow_until)
				slow_updates++;
		}
		if (!have || sgt(e, edge))
			edge = e;
		have = true;
	}
	assert_int_equal(bad, 0);
	assert_true(slow_updates >= 2); /* the window did open during the slow reads */
	xfer_free(&t);
}

/* ------------------------------------------------------------------ */
/* D03: the retransmission timer (RFC 6298). */

/* RFC 6298 section 2, in the test's own arithmetic (microseconds). */
#define RTO_G 1000u          /* the stack's clock granularity: 1 ms ticks */
#define RTO_MIN 200000u      /* Linux's floor, SPEC D03 */
struct est {
	uint64_t srtt, rttvar, rto;
	bool has;
};

static void est_sample(struct est *e, uint64_t r)
{
	if (!e->has) {
		e->srtt = r; /* 2.2 */
		e->rttvar = r / 2;
		e->has = true;
	} else { /* 2.3: RTTVAR first, with the old SRTT */
		uint64_t d = e->srtt > r ? e->srtt - r : r - e->srtt;
		e->rttvar = (3 * e->rttvar + d) / 4;
		e->srtt = (7 * e->srtt + r) / 8;
	}
	e->rto = e->srtt + (4 * e->rttvar > RTO_G ? 4 * e->rttvar : RTO_G);
	if (e->rto < RTO_MIN) /* 2.4, with Linux's 200 ms */
		e->rto = RTO_MIN;
}

static void no_ts(struct synack_config *cfg, int col)
{
	(void)col;
	cfg->timestamps = false;
}

/* Drops the first n_syn SYNs and the first n_data copies of the first data
 * segment that cross one direction. */
struct dropper {
	int n_syn, n_data;
	int syn_dropped, data_dropped;
	bool have;
	uint32_t seq;
};

static bool drop_first(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)now;
	struct dropper *d = ctx;
	struct synack_ipv4 ip;
	struct synack_tcp_seg s;
	if (synack_tcp_packet_parse(pkt, len, &ip, &s) != SYNACK_WIRE_OK)
		return false;
	if (s.flags == SYNACK_TCP_SYN)
		return d->syn_dropped < d->n_syn ? (d->syn_dropped++, true) : false;
	if (s.payload_len == 0)
		return false;
	if (!d->have) {
		d->have = true;
		d->seq = s.seq;
	}
	return s.seq == d->seq && d->data_dropped < d->n_data ? (d->data_dropped++, true) : false;
}

/* Handshake at t=0, then `from` sends 100 bytes at `send_at`; the first
 * n_data transmissions of them are lost.  Fills the times at which that
 * segment was sent.  Returns how many times it was. */
struct rto_run {
	struct scn x;
	struct dropper drop;
	int l, c, a;
	synack_time_t times[16];
	size_t n;
};

static void rto_run(struct rto_run *r, const struct synack_link_model *link, scn_config_fn tweak, int from,
                    int n_syn, int n_data, synack_time_t send_at)
{
	memset(r, 0, sizeof(*r));
	scn_start(&r->x, 51, link, link, tweak);
	r->drop.n_syn = n_syn;
	r->drop.n_data = n_data;
	int fn = from == C ? r->x.cnode : r->x.snode, tn = from == C ? r->x.snode : r->x.cnode;
	assert_int_equal(synack_sim_set_filter(r->x.sim, r->x.cnode, r->x.snode, drop_first, &r->drop), 0);
	if (from == S) { /* the SYN is the client's; the data the server's */
		static struct dropper syn_only;
		memset(&syn_only, 0, sizeof(syn_only));
		syn_only.n_syn = n_syn;
		r->drop.n_syn = 0;
		assert_int_equal(synack_sim_set_filter(r->x.sim, r->x.cnode, r->x.snode, drop_first, &syn_only), 0);
		assert_int_equal(synack_sim_set_filter(r->x.sim, fn, tn, drop_first, &r->drop), 0);
	}
	r->l = synack_socket(r->x.s);
	assert_int_equal(synack_bind(r->x.s, r->l, 0, 80), 0);
	assert_int_equal(synack_listen(r->x.s, r->l, 8), 0);
	r->c = synack_socket(r->x.c);
	assert_int_equal(synack_connect(r->x.c, r->c, SERVER_ADDR, 80, 0), -EINPROGRESS);
	synack_sim_run_until(r->x.sim, send_at);
	r->a = synack_accept(r->x.s, r->l, NULL, NULL);
	assert_true(r->a >= 0);
	struct synack_stack *st = from == C ? r->x.c : r->x.s;
	uint8_t buf[100];
	memset(buf, 'd', sizeof(buf));
	assert_int_equal(synack_send(st, from == C ? r->c : r->a, buf, 100, send_at), 100);
}

static void rto_collect(struct rto_run *r, int from)
{
	r->n = 0;
	for (size_t j = 0; j < synack_ladder_count(r->x.lad); j++) {
		const struct synack_ladder_seg *s = synack_ladder_get(r->x.lad, j);
		if (s->is_tcp && s->from_col == from && s->payload_len > 0 && r->n < 16)
			r->times[r->n++] = s->time;
	}
}

/* The first data segment is lost: it is resent exactly one RTO later, the
 * RTO computed from the handshake's round trip (RFC 6298 2.2, 5.1). */
static void first_loss_after_handshake(int from)
{
	struct rto_run r;
	rto_run(&r, &link50ms, no_ts, from, 0, 1, SYNACK_SEC(1));
	scn_run_for(&r.x, SYNACK_SEC(5));
	rto_collect(&r, from);
	struct est e = {0};
	est_sample(&e, 2 * link50ms.delay_us); /* SYN -> SYN+ACK, or SYN+ACK -> ACK */
	assert_int_equal(e.rto, 300000);          /* 100 ms + 4 * 50 ms */
	assert_int_equal(r.n, 2);
	assert_int_equal(r.times[0], SYNACK_SEC(1));
	assert_int_equal(r.times[1], SYNACK_SEC(1) + e.rto);
	struct synack_sockinfo i;
	assert_int_equal(synack_sockinfo(from == C ? r.x.c : r.x.s, from == C ? r.c : r.a, &i), 0);
	assert_int_equal(i.send_q, 0); /* the resent copy was acknowledged */
	scn_end(&r.x);
}

static void test_D03_first_data_loss_rto_from_handshake_rtt(void **state)
{
	(void)state;
	first_loss_after_handshake(C);
}

/* The passive side measures the handshake too: SYN+ACK -> ACK (as Linux,
 * tcp_synack_rtt_meas); otherwise its first RTO would be the initial 1 s. */
static void test_D03_passive_side_rto_from_handshake_rtt(void **state)
{
	(void)state;
	first_loss_after_handshake(S);
}

static void test_D03_rto_floor_200ms(void **state)
{
	(void)state;
	struct rto_run r;
	rto_run(&r, &link10ms, no_ts, C, 0, 1, SYNACK_SEC(1));
	scn_run_for(&r.x, SYNACK_SEC(5));
	rto_collect(&r, C);
	struct est e = {0};
	est_sample(&e, 2 * link10ms.delay_us);
	assert_int_equal(e.srtt + 4 * e.rttvar, 60000); /* below the floor */
	assert_int_equal(e.rto, 200000);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.times[1] - r.times[0], 200000);
	scn_end(&r.x);
}

/* RFC 6298 5.5: each expiry doubles the RTO. */
static void test_D03_repeated_loss_backs_off(void **state)
{
	(void)state;
	struct rto_run r;
	rto_run(&r, &link50ms, no_ts, C, 0, 3, SYNACK_SEC(1));
	scn_run_for(&r.x, SYNACK_SEC(10));
	rto_collect(&r, C);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.times[0], SYNACK_SEC(1));
	assert_int_equal(r.times[1] - r.times[0], 300000);
	assert_int_equal(r.times[2] - r.times[1], 600000);
	assert_int_equal(r.times[3] - r.times[2], 1200000);
	assert_int_equal(synack_get_counters(r.x.c)->TcpExtTCPTimeouts, 3);
	scn_end(&r.x);
}

/* RFC 6298 2.1: 1 s before any measurement, so a lost SYN is resent at
 * 1 s; 5.7: with the SYN resent and no measurement, the RTO is 3 s once
 * data flows. */
static void test_D03_lost_syn_initial_rto_1s_then_3s(void **state)
{
	(void)state;
	struct rto_run r;
	rto_run(&r, &link50ms, no_ts, C, 1, 1, SYNACK_SEC(2));
	scn_run_for(&r.x, SYNACK_SEC(10));
	assert_seg(&r.x, 0, C, F_SYN, 0, 0, 0);
	assert_true(scn_seg(&r.x, 0)->lost);
	assert_int_equal(scn_seg(&r.x, 0)->time, 0);
	assert_seg(&r.x, 1, C, F_SYN, 0, 0, 0);
	assert_int_equal(scn_seg(&r.x, 1)->time, SYNACK_SEC(1));
	assert_seg(&r.x, 2, S, F_SA, 0, 1, 0);
	rto_collect(&r, C);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.times[0], SYNACK_SEC(2));
	assert_int_equal(r.times[1] - r.times[0], SYNACK_SEC(3));
	scn_end(&r.x);
}

/* Karn (RFC 6298 3): the ACK of a retransmitted segment gives no sample,
 * and the backed-off RTO stays until new data is measured (5, note after
 * 5.7), which then collapses it. */
static void test_D03_karn_no_sample_from_retransmission(void **state)
{
	(void)state;
	struct rto_run r;
	rto_run(&r, &link50ms, no_ts, C, 0, 1, SYNACK_SEC(1));
	synack_sim_run_until(r.x.sim, SYNACK_MS(1500)); /* resent at 1.3 s, acked at 1.4 s */
	struct synack_sockinfo i;
	assert_int_equal(synack_sockinfo(r.x.c, r.c, &i), 0);
	assert_int_equal(i.send_q, 0);
	struct est e = {0};
	est_sample(&e, 100000);
	assert_int_equal(i.srtt_us, e.srtt); /* not 400 ms, not 100 ms twice */
	assert_int_equal(i.rto_us, 2 * e.rto); /* still backed off */
	/* New data, not lost: a fresh sample of 100 ms. */
	assert_int_equal(synack_send(r.x.c, r.c, "more", 4, scn_now(&r.x)), 4);
	scn_run_for(&r.x, SYNACK_MS(500));
	est_sample(&e, 100000);
	assert_int_equal(synack_sockinfo(r.x.c, r.c, &i), 0);
	assert_int_equal(i.srtt_us, e.srtt);
	assert_int_equal(i.rto_us, e.rto);
	assert_int_equal(e.rto, 250000); /* 100 ms + 4 * 37.5 ms */
	scn_end(&r.x);
}

/* With timestamps (RFC 7323 4.1) even the ACK of a retransmission is an
 * unambiguous sample: the backoff collapses at once. */
static void test_D03_rtt_from_timestamps(void **state)
{
	(void)state;
	struct rto_run r;
	rto_run(&r, &link50ms, NULL, C, 0, 1, SYNACK_SEC(1));
	struct synack_sockinfo i;
	assert_int_equal(synack_sockinfo(r.x.c, r.c, &i), 0);
	assert_true(i.ts_ok);
	struct est e = {0};
	est_sample(&e, 100000);
	assert_int_equal(i.srtt_us, e.srtt);
	assert_int_equal(i.rto_us, e.rto);
	synack_sim_run_until(r.x.sim, SYNACK_MS(1500));
	rto_collect(&r, C);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.times[1] - r.times[0], 300000);
	est_sample(&e, 100000); /* resent at 1.3 s, its echo back at 1.4 s */
	assert_int_equal(synack_sockinfo(r.x.c, r.c, &i), 0);
	assert_int_equal(i.srtt_us, e.srtt);
	assert_int_equal(i.rto_us, e.rto);
	scn_end(&r.x);
}

/* ------------------------------------------------------------------ */
/* W04: sequence numbers across 2^32, with raw peers. */

/* scn_init_ex with a raw column, its allocations known to the teardown. */
static void scn_start_raw(struct scn *x, int raw_col, struct rawcap *cap)
{
	scn_init_ex(x, 61, &link10ms, &link10ms, NULL, raw_col, cap);
	live_add(free_sim, x->sim);
	live_add(free_ladder, x->lad);
}


/* A raw client whose ISN is 0xFFFFFF00 sends 1000 bytes: the server's
 * RCV.NXT wraps inside them.  The second half arrives first, so the
 * reassembly bookkeeping spans the wrap too. */
static void test_W04_peer_isn_below_2_32_rcv_nxt_wraps(void **state)
{
	(void)state;
	struct scn x;
	struct rawcap cap;
	scn_start_raw(&x, C, &cap);
	int l = synack_socket(x.s);
	assert_int_equal(synack_bind(x.s, l, 0, 80), 0);
	assert_int_equal(synack_listen(x.s, l, 8), 0);
	const uint32_t isn = 0xFFFFFF00u;
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 40000, 80, SYNACK_TCP_SYN, isn, 0, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(cap.n, 1);
	assert_int_equal(cap.p[0].seg.flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
	assert_int_equal(cap.p[0].seg.ack, isn + 1);
	uint32_t y = cap.p[0].seg.seq;
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 40000, 80, SYNACK_TCP_ACK, isn + 1, y + 1, NULL, 0);
	uint8_t data[1000];
	fill_pattern(data, sizeof(data), 99);
	/* Bytes 400..999 first (past the wrap), then 0..399 (across it). */
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 40000, 80, SYNACK_TCP_ACK | SYNACK_TCP_PSH, isn + 1 + 400, y + 1, data + 400, 600);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(cap.n, 2);
	assert_int_equal(cap.p[1].seg.ack, isn + 1); /* the hole is still at 0xFFFFFF01 */
	assert_int_equal(synack_get_counters(x.s)->TcpExtTCPOFOQueue, 1);
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 40000, 80, SYNACK_TCP_ACK, isn + 1, y + 1, data, 400);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(cap.n, 3);
	assert_int_equal(cap.p[2].seg.ack, isn + 1 + 1000);
	assert_int_equal(cap.p[2].seg.ack, 0x2e9u);
	int a = synack_accept(x.s, l, NULL, NULL);
	assert_true(a >= 0);
	uint8_t got[1100];
	assert_int_equal(synack_recv(x.s, a, got, sizeof(got), scn_now(&x)), 1000);
	assert_memory_equal(got, data, 1000);
	/* And the close, past the wrap: FIN at 0x2e9. */
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 40000, 80, SYNACK_TCP_FIN | SYNACK_TCP_ACK, isn + 1001, y + 1, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(scn_state_of(x.s, a), SYNACK_CLOSE_WAIT);
	assert_int_equal(cap.p[cap.n - 1].seg.ack, isn + 1002);
	assert_int_equal(synack_recv(x.s, a, got, sizeof(got), scn_now(&x)), 0);
	assert_int_equal(synack_close(x.s, a, scn_now(&x)), 0);
	scn_run_for(&x, SYNACK_MS(30));
	const struct synack_tcp_seg *fin = &cap.p[cap.n - 1].seg;
	assert_true(fin->flags & SYNACK_TCP_FIN);
	assert_int_equal(fin->seq, y + 1);
	scn_inject(x.sim, x.cnode, CLIENT_ADDR, SERVER_ADDR, 40000, 80, SYNACK_TCP_ACK, isn + 1002, y + 2, NULL, 0);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(scn_conns_held(x.s), 1); /* only the listener */
	assert_int_equal(synack_get_counters(x.s)->TcpRetransSegs, 0);
	scn_end(&x);
}

/* Our own ISN just below 2^32, and the peer's too: both SND and RCV wrap.
 * ISN = M + F (RFC 6528, SPEC H05) with M = time / 4 us, so after one
 * connection attempt shows F for a fixed 4-tuple, connecting at the right
 * virtual time puts the ISN where the test wants it. */
static void test_W04_own_isn_below_2_32_snd_una_wraps(void **state)
{
	(void)state;
	struct scn x;
	struct rawcap cap;
	scn_start_raw(&x, S, &cap);
	int c = synack_socket(x.c);
	assert_int_equal(synack_bind(x.c, c, 0, 40000), 0);
	assert_int_equal(synack_connect(x.c, c, SERVER_ADDR, 80, 0), -EINPROGRESS);
	scn_run_for(&x, SYNACK_MS(30));
	assert_int_equal(cap.n, 1);
	uint32_t f = cap.p[0].seg.seq; /* M = 0 at t = 0 */
	assert_int_equal(synack_close(x.c, c, scn_now(&x)), 0);
	const uint32_t want = 0xFFFFFE00u;
	synack_time_t t1 = 4u * (synack_time_t)(uint32_t)(want - f);
	if (t1 <= scn_now(&x))
		t1 += 4u * ((synack_time_t)1 << 32);
	synack_sim_run_until(x.sim, t1);
	cap.n = 0;
	c = synack_socket(x.c);
	assert_int_equal(synack_bind(x.c, c, 0, 40000), 0);
	assert_int_equal(synack_connect(x.c, c, SERVER_ADDR, 80, t1), -EINPROGRESS);
	struct synack_sockinfo i;
	assert_int_equal(synack_sockinfo(x.c, c, &i), 0);
	assert_int_equal(i.iss, want);
	scn_run_for(&x, SYNACK_MS(25));
	assert_int_equal(cap.n, 1);
	const uint32_t y = 0xFFFFFFF0u; /* the peer's ISN: its data wraps after 15 bytes */
	scn_inject(x.sim, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, 40000, SYNACK_TCP_SYN | SYNACK_TCP_ACK, y, want + 1, NULL, 0);
	scn_run_for(&x, SYNACK_MS(25));
	assert_int_equal(scn_state_of(x.c, c), SYNACK_ESTABLISHED);
	/* 2000 bytes out: 1460 + 540, the first one across the wrap; Nagle
	 * holds the 540 until the first is acknowledged. */
	uint8_t out[2000], in[1000], got[1100];
	fill_pattern(out, sizeof(out), 7);
	fill_pattern(in, sizeof(in), 8);
	assert_int_equal(synack_send(x.c, c, out, sizeof(out), scn_now(&x)), 2000);
	scn_run_for(&x, SYNACK_MS(25));
	assert_int_equal(cap.n, 3); /* SYN, ACK, the first data segment */
	assert_int_equal(cap.p[2].seg.seq, want + 1);
	assert_int_equal(cap.p[2].seg.payload_len, 1460);
	scn_inject(x.sim, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, 40000, SYNACK_TCP_ACK, y + 1, want + 1461, NULL, 0); /* an ACK past the wrap */
	scn_run_for(&x, SYNACK_MS(25));
	assert_int_equal(cap.n, 4);
	assert_int_equal(cap.p[3].seg.seq, want + 1461);
	assert_int_equal(cap.p[3].seg.payload_len, 540);
	/* Its ACK, with 1000 bytes that wrap RCV.NXT. */
	scn_inject(x.sim, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, 40000, SYNACK_TCP_ACK | SYNACK_TCP_PSH, y + 1, want + 2001, in, sizeof(in));
	scn_run_for(&x, SYNACK_MS(25));
	assert_int_equal(synack_recv(x.c, c, got, sizeof(got), scn_now(&x)), 1000);
	assert_memory_equal(got, in, 1000);
	assert_int_equal(cap.p[cap.n - 1].seg.ack, y + 1 + 1000);
	assert_int_equal(synack_sockinfo(x.c, c, &i), 0);
	assert_int_equal(i.send_q, 0);              /* SND.UNA passed the wrap */
	assert_int_equal(i.timer_at, UINT64_MAX);   /* nothing left to retransmit */
	scn_run_for(&x, SYNACK_SEC(5));
	assert_int_equal(synack_get_counters(x.c)->TcpRetransSegs, 0);
	/* FIN at want + 2001 (0x7d1 - 0x200 = 0x5d1), acknowledged with the peer's FIN. */
	int before = cap.n;
	assert_int_equal(synack_close(x.c, c, scn_now(&x)), 0);
	scn_run_for(&x, SYNACK_MS(25));
	assert_int_equal(cap.n, before + 1);
	assert_true(cap.p[before].seg.flags & SYNACK_TCP_FIN);
	assert_int_equal(cap.p[before].seg.seq, want + 2001);
	scn_inject(x.sim, x.snode, SERVER_ADDR, CLIENT_ADDR, 80, 40000, SYNACK_TCP_FIN | SYNACK_TCP_ACK, y + 1001, want + 2002, NULL, 0);
	scn_run_for(&x, SYNACK_MS(25));
	assert_int_equal(cap.p[cap.n - 1].seg.ack, y + 1002);
	char st[256];
	scn_states(&x, C, st, sizeof(st));
	assert_non_null(strstr(st, "FIN_WAIT_1>TIME_WAIT"));
	scn_end(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_D01_1mb_each_way_clean_link, teardown),
		cmocka_unit_test_teardown(test_D01_1mb_each_way_lossy_matrix, teardown),
		cmocka_unit_test_teardown(test_D01_reordered_segments_reassembled, teardown),
		cmocka_unit_test_teardown(test_D01_duplicates_dropped, teardown),
		cmocka_unit_test_teardown(test_D02_zero_window_probes_then_resume, teardown),
		cmocka_unit_test_teardown(test_D02_sender_fills_window_smaller_than_mss, teardown),
		cmocka_unit_test_teardown(test_D02_window_scaling_more_than_64k_in_flight, teardown),
		cmocka_unit_test_teardown(test_D02_no_silly_window_on_one_byte_reads, teardown),
		cmocka_unit_test_teardown(test_D03_first_data_loss_rto_from_handshake_rtt, teardown),
		cmocka_unit_test_teardown(test_D03_passive_side_rto_from_handshake_rtt, teardown),
		cmocka_unit_test_teardown(test_D03_rto_floor_200ms, teardown),
		cmocka_unit_test_teardown(test_D03_repeated_loss_backs_off, teardown),
		cmocka_unit_test_teardown(test_D03_lost_syn_initial_rto_1s_then_3s, teardown),
		cmocka_unit_test_teardown(test_D03_karn_no_sample_from_retransmission, teardown),
		cmocka_unit_test_teardown(test_D03_rtt_from_timestamps, teardown),
		cmocka_unit_test_teardown(test_W04_peer_isn_below_2_32_rcv_nxt_wraps, teardown),
		cmocka_unit_test_teardown(test_W04_own_isn_below_2_32_snd_una_wraps, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
