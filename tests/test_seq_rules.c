/* Sequence rules, table by table (SPEC W04, R01-R05, T09, D02).
 *
 * Each table row is one crafted segment and the action the RFC text asks
 * for, written down from the RFC, not from the code: RFC 9293 3.10.7.3 for
 * SYN_SENT and 3.10.7.4 for the other states (the acceptability test of
 * table 6, then RST, SYN, ACK), with RFC 5961's rules for RST (3.2), SYN
 * (4.2) and the ACK field (5.2), and RFC 7323 5.3 for timestamps.  Where
 * the RFCs leave a choice, the row says what Linux does by default.
 *
 * Every row runs on a fresh stack against a raw peer that plays the other
 * end exactly (scn_init_ex with a raw column): the peer drives the
 * connection into the state, then sends the row's segment.  The check is
 * differential: what the stack sent back (rawcap), the connection's state
 * and sequence variables (synack_sockinfo, or the TIME_WAIT or request
 * entry), what the application can read and SO_ERROR are compared with
 * what the action implies.  A table runs all its rows and reports every
 * mismatch, so one run lists all the rows the code gets wrong.
 *
 * Sequence numbers are edge values around the peer's view of the stack's
 * variables: SEG.SEQ = RCV.NXT + d for d in {0, 1, wnd-1, wnd, wnd+1,
 * 2^31-1, 2^31, 2^32-1}, and SEG.ACK the same around SND.UNA, SND.NXT and
 * SND.UNA - MAX.SND.WND.  The peer's ISN sits just below 2^32, so RCV.NXT +
 * RCV.WND wraps (W04).  Challenge ACKs are not rate limited here
 * (invalid_ratelimit_ms = 0) and each row has a connection of its own, so
 * every answer is the row's own. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"
#include "wire/seq.h" /* seq_lt and friends: the model computes modulo 2^32 too */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define IRS 0xffffff00u      /* the peer's ISN: RCV.NXT + RCV.WND wraps (W04) */
#define PEER_PORT 40000      /* the raw client's port when the stack listens */
#define PEER_WND 20000u      /* the window the peer offers: MAX.SND.WND */
#define PEER_WND2 17000u     /* ACK tables: a window the RFC takes or ignores */
#define OUR_DATA 100u        /* bytes the stack has in flight when a row arrives */
#define RMEM 4096u           /* the stack's receive buffer: RCV.WND when empty */
#define TSV0 1000u           /* the peer's first TSval (FXO_TS) */
#define H 0x80000000u        /* 2^31 */

static const struct synack_link_model link1ms = {.delay_us = 1000};

/* ------------------------------------------------------------------ */
/* Rows. */

/* What the RFC asks for. */
enum act {
	DROP,         /* silently: no answer, nothing changes */
	ACK,          /* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (challenge or out-of-window), nothing else changes */
	ACCEPT,       /* processed: the ACK field (SND.UNA, SND.WND, FIN acknowledged), then the text */
	ZW_ACK,       /* not acceptable for its text at RCV.WND = 0: ACK sent, text dropped, but the
	               * ACK field is processed ("special allowance should be made to accept valid ACKs") */
	RESET,        /* the connection is reset: no answer, CLOSED (a request: gone, back to LISTEN) */
	RST_REPLY,    /* <SEQ=SEG.ACK><CTL=RST>, nothing else changes */
	SYNACK_AGAIN, /* the SYN+ACK <SEQ=ISS><ACK=RCV.NXT> is sent again, nothing else changes */
	ESTABLISH,    /* ESTABLISHED, answered <SEQ=ISS+1><ACK=SEG.SEQ+1><CTL=ACK> */
	SIMOPEN,      /* SYN_RCVD, answered <SEQ=ISS><ACK=SEG.SEQ+1><CTL=SYN,ACK> */
};

static const char *act_name(enum act a)
{
	static const char *n[] = {"DROP", "ACK", "ACCEPT", "ZW_ACK", "RESET", "RST_REPLY", "SYNACK_AGAIN",
	                          "ESTABLISH", "SIMOPEN"};
	return n[a];
}

/* SEG.SEQ = RCV.NXT + k * RCV.WND + c.  In SYN_SENT, RCV.NXT is not known
 * yet: the base is the ISN the peer uses (IRS). */
struct sdelta {
	int8_t k;
	uint32_t c;
};
#define D(c) {0, (uint32_t)(c)}
#define W(c) {1, (uint32_t)(c)} /* RCV.NXT + RCV.WND + c */

/* SEG.ACK = base + k * MAX.SND.WND + c. */
enum abase { A_NONE, A_UNA, A_NXT, A_DATA };
struct adelta {
	uint8_t base;
	int8_t k;
	uint32_t c;
};
#define NOACK {A_NONE, 0, 0}
#define UNA(c) {A_UNA, 0, (uint32_t)(c)}
#define NXT(c) {A_NXT, 0, (uint32_t)(c)}
#define DATA(c) {A_DATA, 0, (uint32_t)(c)} /* SND.UNA once our data, but not our FIN, is acknowledged */
#define UNA_M(k, c) {A_UNA, (k), (uint32_t)(c)}
#define NXT_M(k, c) {A_NXT, (k), (uint32_t)(c)}

#define NEED_INFLIGHT 0x01 /* the row means something only while data is unacknowledged */

struct row {
	int line;
	uint8_t flags;
	struct sdelta seq;
	struct adelta ack;
	uint32_t len;
	enum act want;
	uint8_t need;
};
#define ROW(fl, sq, ak, ln, w) {__LINE__, (fl), sq, ak, (ln), (w), 0}
#define ROWN(fl, sq, ak, ln, w, nd) {__LINE__, (fl), sq, ak, (ln), (w), (nd)}

#define F_P SYNACK_TCP_PSH /* scenario.h has the other flag sets */

/* ------------------------------------------------------------------ */
/* The fixture: a stack in a given state, and the raw peer's model of it. */

enum fx_kind {
	FX_SYN_SENT,
	FX_SYN_RCVD_REQ, /* passive: a request entry of a listener */
	FX_SYN_RCVD_SIM, /* active, after a simultaneous open: a full connection */
	FX_ESTABLISHED,
	FX_FIN_WAIT_1,
	FX_FIN_WAIT_2,
	FX_CLOSE_WAIT,
	FX_CLOSING,
	FX_LAST_ACK,
	FX_TIME_WAIT,
};

#define FXO_ZW 0x01      /* the peer has filled the receive buffer: RCV.WND = 0 */
#define FXO_TS 0x02      /* timestamps negotiated */
#define FXO_RFC1337 0x04 /* rfc1337 = 1 (TIME_WAIT ignores RST); otherwise 0, RFC 9293's rule */

struct fx {
	struct scn x;
	struct rawcap cap;
	enum fx_kind kind;
	unsigned opts;
	int peer;                 /* the raw node */
	uint32_t us, them;        /* addresses */
	uint16_t sport, pport;    /* the stack's port, the peer's */
	int sock, lsock;          /* the connection's handle (or -1), the listener's */
	uint32_t iss;
	/* The stack's variables as the peer knows them (RFC 9293 3.3.1). */
	int state;
	uint32_t snd_una, snd_nxt, rcv_nxt, rcv_wnd, snd_wnd, max_snd_wnd, wl1, wl2;
	bool fin_sent;
	uint32_t recv_q;          /* bytes the application has not read */
	int reset_state, reset_err; /* what a RST at RCV.NXT leaves */
	uint32_t ts_recent;       /* FXO_TS: the peer's last TSval the stack must echo */
	uint32_t ts_echo;         /* FXO_TS: the stack's last TSval, echoed by the peer */
	int n0;                   /* rawcap entries before the row's segment */
};

static void cfg_common(struct synack_config *cfg)
{
	cfg->rmem = cfg->wmem = RMEM;
	cfg->invalid_ratelimit_ms = 0; /* every challenge ACK goes out */
	cfg->rto_min_ms = 1000;        /* nothing is retransmitted while a row runs */
	cfg->max_sockets = 8;
	cfg->max_syn_backlog = 16;
	cfg->max_tw_buckets = 16;
}

static void cfg_rfc9293(struct synack_config *cfg, int col)
{
	(void)col;
	cfg_common(cfg);
	cfg->rfc1337 = false;
}

static void cfg_rfc1337(struct synack_config *cfg, int col)
{
	(void)col;
	cfg_common(cfg);
	cfg->rfc1337 = true;
}

static struct synack_stack *stk(const struct fx *f)
{
	return f->kind == FX_SYN_RCVD_REQ ? f->x.s : f->x.c;
}

static const char *state_name(int s)
{
	return s < 0 ? "(none)" : synack_state_name((enum synack_tcp_state)s);
}

/* Payload bytes are a hash of their own sequence number, so what the
 * application reads shows which bytes were taken. */
static uint8_t pat(uint32_t seq)
{
	return (uint8_t)((seq * 2654435761u) >> 24);
}

/* The peer sends one segment.  Not scn_inject_opts: the rows need their
 * own window (SND.WND updates) and TSecr. */
static void peer_send(struct fx *f, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd, uint32_t len,
                      const uint32_t *tsval)
{
	uint8_t data[1500];
	assert_true(len <= sizeof(data));
	for (uint32_t i = 0; i < len; i++)
		data[i] = pat(seq + i);
	struct synack_tcp_seg s;
	memset(&s, 0, sizeof(s));
	s.sport = f->pport;
	s.dport = f->sport;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.window = wnd;
	s.payload = data;
	s.payload_len = len;
	if (flags & SYNACK_TCP_SYN) {
		s.opt.present = SYNACK_OPT_MSS;
		s.opt.mss = 1460;
	}
	if (tsval) {
		s.opt.present |= SYNACK_OPT_TS;
		s.opt.ts_val = *tsval;
		s.opt.ts_ecr = (flags & SYNACK_TCP_ACK) ? f->ts_echo : 0;
	}
	uint8_t buf[2048];
	struct synack_ipv4 ip = {.src = f->them, .dst = f->us, .ttl = 64, .df = true};
	size_t n = synack_tcp_build(buf, sizeof(buf), &ip, &s);
	assert_true(n > 0);
	synack_sim_inject(f->x.sim, f->peer, buf, n);
}

/* Lets the segment arrive and every answer come back (1 ms each way). */
static void settle(struct fx *f)
{
	scn_run_for(&f->x, SYNACK_MS(5));
	for (int i = f->cap.n; i-- > 0;) {
		if (f->cap.p[i].seg.opt.present & SYNACK_OPT_TS) {
			f->ts_echo = f->cap.p[i].seg.opt.ts_val;
			break;
		}
	}
}

static const struct synack_tcp_seg *last_sent(const struct fx *f)
{
	assert_true(f->cap.n > 0);
	return &f->cap.p[f->cap.n - 1].seg;
}

/* One setup segment from the peer at RCV.NXT, which the stack must take;
 * the model follows it (RFC 9293 3.10.7.4 fifth to eighth). */
static void setup_send(struct fx *f, uint8_t flags, uint32_t ack, uint32_t len)
{
	int n = f->cap.n;
	uint32_t seq = f->rcv_nxt, tsval = f->ts_recent; /* the peer's clock stands still during the setup */
	peer_send(f, flags, seq, ack, PEER_WND, len, (f->opts & FXO_TS) ? &tsval : NULL);
	settle(f);
	if (seq_gt(ack, f->snd_una))
		f->snd_una = ack;
	f->wl1 = seq;
	f->wl2 = ack;
	f->rcv_nxt += len + ((flags & SYNACK_TCP_FIN) ? 1u : 0u);
	f->recv_q += len;
	if (len > 0 || (flags & SYNACK_TCP_FIN)) {
		assert_int_equal(f->cap.n, n + 1);
		assert_int_equal(last_sent(f)->flags, SYNACK_TCP_ACK);
		assert_int_equal(last_sent(f)->ack, f->rcv_nxt);
	} else {
		assert_int_equal(f->cap.n, n);
	}
}

/* The peer fills the receive buffer (RCV.WND = 0), the FIN riding on the
 * last byte if fin. */
static void fill_window(struct fx *f, bool fin)
{
	uint32_t left = f->rcv_wnd;
	assert_true(left > 0);
	while (left > 0) {
		uint32_t n = left < 1460 ? left : 1460;
		left -= n;
		setup_send(f, (uint8_t)(F_PA | (fin && left == 0 ? SYNACK_TCP_FIN : 0)), f->snd_una, n);
	}
	f->rcv_wnd = last_sent(f)->window;
	assert_int_equal(f->rcv_wnd, 0);
}

/* The peer's FIN (acknowledging nothing new), alone or after filling the window. */
static void peer_fin(struct fx *f, bool zw)
{
	if (zw)
		fill_window(f, true);
	else
		setup_send(f, F_FA, f->snd_una, 0);
	switch (f->state) {
	case SYNACK_ESTABLISHED: f->state = SYNACK_CLOSE_WAIT; break;
	case SYNACK_FIN_WAIT_1: f->state = SYNACK_CLOSING; break;
	case SYNACK_FIN_WAIT_2: f->state = SYNACK_TIME_WAIT; break;
	default: fail_msg("peer_fin in %s", state_name(f->state));
	}
}

/* The application shuts down writing: our FIN goes out after the data. */
static void shut(struct fx *f)
{
	int n = f->cap.n;
	assert_int_equal(synack_shutdown(stk(f), f->sock, SYNACK_SHUT_WR, scn_now(&f->x)), 0);
	settle(f);
	assert_int_equal(f->cap.n, n + 1);
	assert_int_equal(last_sent(f)->flags, F_FA);
	assert_int_equal(last_sent(f)->seq, f->snd_nxt);
	f->snd_nxt++;
	f->fin_sent = true;
	f->state = f->state == SYNACK_ESTABLISHED ? SYNACK_FIN_WAIT_1 : SYNACK_LAST_ACK;
}

struct find {
	uint16_t lport, rport;
	bool tw_only;
	bool found;
	struct synack_sockinfo info;
};

static void find_visit(void *ctx, int sock, const struct synack_sockinfo *i)
{
	struct find *q = ctx;
	if (sock >= 0 || i->lport != q->lport || i->rport != q->rport)
		return;
	if (q->tw_only && i->state != SYNACK_TIME_WAIT)
		return;
	q->found = true;
	q->info = *i;
}

/* The entry without a handle that holds the 4-tuple: a request, a child
 * not yet accepted, or (tw_only) a TIME_WAIT entry. */
static bool find_entry(const struct fx *f, bool tw_only, struct synack_sockinfo *out)
{
	struct find q = {.lport = f->sport, .rport = f->pport, .tw_only = tw_only};
	synack_sock_foreach(stk(f), find_visit, &q);
	if (q.found)
		*out = q.info;
	return q.found;
}

/* What the stack shows after a segment. */
struct obs {
	int state;
	bool has_seq;    /* snd_una, rcv_nxt observed */
	bool has_wnd;    /* snd_wnd observed (a full connection) */
	bool has_handle; /* recv_q, err observed */
	uint32_t snd_una, snd_nxt, rcv_nxt, snd_wnd, recv_q;
	int err;
};

static void observe(struct fx *f, struct obs *o)
{
	struct synack_stack *st = stk(f);
	struct synack_sockinfo i;
	memset(o, 0, sizeof(*o));
	if (f->sock < 0) { /* a request: still one, completed, or gone (back to LISTEN) */
		if (!find_entry(f, false, &i)) {
			o->state = SYNACK_LISTEN;
			return;
		}
		if (i.state == SYNACK_SYN_RCVD) {
			o->state = SYNACK_SYN_RCVD;
			o->has_seq = true;
			o->snd_una = i.snd_una;
			o->rcv_nxt = i.rcv_nxt;
			return;
		}
		f->sock = synack_accept(st, f->lsock, NULL, NULL);
		assert_true(f->sock >= 0);
	}
	assert_int_equal(synack_sockinfo(st, f->sock, &i), 0);
	o->state = i.state;
	o->has_handle = true;
	o->recv_q = i.recv_q;
	assert_int_equal(synack_getsockopt(st, f->sock, SYNACK_SO_ERROR, &o->err), 0);
	if (i.state == SYNACK_CLOSED) {
		/* The handle of a connection in TIME_WAIT is CLOSED; the entry holds the state. */
		if (find_entry(f, true, &i)) {
			o->state = SYNACK_TIME_WAIT;
			o->has_seq = true;
			o->snd_una = i.snd_una;
			o->snd_nxt = i.snd_nxt;
			o->rcv_nxt = i.rcv_nxt;
		}
		return;
	}
	o->has_seq = o->has_wnd = true;
	o->snd_una = i.snd_una;
	o->snd_nxt = i.snd_nxt;
	o->rcv_nxt = i.rcv_nxt;
	o->snd_wnd = i.snd_wnd;
}

/* The model must match the stack before any row is sent. */
static void fx_done(struct fx *f)
{
	if (f->state == SYNACK_CLOSING || f->state == SYNACK_LAST_ACK)
		f->reset_err = 0; /* RFC 9293: "enter the CLOSED state, delete the TCB, and return" */
	if (f->state == SYNACK_TIME_WAIT)
		f->reset_err = 0; /* the handle was done with before */
	/* RCV.WND is the window the stack last advertised (no scaling: the
	 * peer offered none).  Receiver SWS avoidance keeps RCV.NXT + RCV.WND
	 * where it was (RFC 9293 3.8.6.2.2), so after the peer's FIN it is one
	 * less than the free buffer. */
	if (f->kind != FX_SYN_SENT)
		f->rcv_wnd = last_sent(f)->window;
	struct obs o;
	observe(f, &o);
	assert_int_equal(o.state, f->state);
	if (o.has_seq) {
		assert_int_equal(o.snd_una, f->snd_una);
		if (f->kind != FX_SYN_SENT)
			assert_int_equal(o.rcv_nxt, f->rcv_nxt);
	}
	if (o.has_wnd) {
		assert_int_equal(o.snd_nxt, f->snd_nxt);
		assert_int_equal(o.snd_wnd, f->snd_wnd);
		struct synack_sockinfo i;
		assert_int_equal(synack_sockinfo(stk(f), f->sock, &i), 0);
		if (f->kind != FX_SYN_SENT)
			assert_int_equal(i.rcv_wnd, f->rcv_wnd);
	}
	if (o.has_handle)
		assert_int_equal(o.recv_q, f->recv_q);
	f->n0 = f->cap.n;
}

static void fx_passive(struct fx *f)
{
	f->us = SERVER_ADDR;
	f->them = CLIENT_ADDR;
	f->peer = f->x.cnode;
	f->sport = 80;
	f->pport = PEER_PORT;
	f->lsock = synack_socket(f->x.s);
	assert_int_equal(synack_bind(f->x.s, f->lsock, 0, 80), 0);
	assert_int_equal(synack_listen(f->x.s, f->lsock, 8), 0);
	peer_send(f, F_SYN, IRS, 0, PEER_WND, 0, NULL);
	settle(f);
	assert_int_equal(f->cap.n, 1);
	const struct synack_tcp_seg *sa = last_sent(f);
	assert_int_equal(sa->flags, F_SA);
	assert_int_equal(sa->ack, IRS + 1);
	f->iss = sa->seq;
	f->state = SYNACK_SYN_RCVD;
	f->snd_una = f->iss;
	f->snd_nxt = f->iss + 1;
	f->rcv_nxt = IRS + 1;
	f->snd_wnd = f->max_snd_wnd = PEER_WND; /* the SYN's window; SND.WND is set by the ACK */
	f->wl1 = IRS;
	f->reset_state = SYNACK_LISTEN; /* "return this connection to LISTEN state" */
	f->reset_err = 0;
}

static void fx_active(struct fx *f)
{
	f->us = CLIENT_ADDR;
	f->them = SERVER_ADDR;
	f->peer = f->x.snode;
	f->pport = 80;
	f->sock = synack_socket(f->x.c);
	assert_int_equal(synack_connect(f->x.c, f->sock, SERVER_ADDR, 80, scn_now(&f->x)), -EINPROGRESS);
	settle(f);
	assert_int_equal(f->cap.n, 1);
	assert_int_equal(last_sent(f)->flags, F_SYN);
	f->iss = last_sent(f)->seq;
	f->sport = last_sent(f)->sport;
	f->state = SYNACK_SYN_SENT;
	f->snd_una = f->iss;
	f->snd_nxt = f->iss + 1;
	f->rcv_nxt = IRS; /* SYN_SENT rows count from the ISN the peer will use */
	f->reset_state = SYNACK_CLOSED;
	f->reset_err = ECONNREFUSED; /* Linux's errno for RFC 9293's "connection reset" in SYN-SENT (SPEC R04) */
}

/* The SYN of a simultaneous open (RFC 9293 figure 7). */
static void fx_simopen(struct fx *f)
{
	int n = f->cap.n;
	peer_send(f, F_SYN, IRS, 0, PEER_WND, 0, NULL);
	settle(f);
	assert_int_equal(f->cap.n, n + 1);
	assert_int_equal(last_sent(f)->flags, F_SA);
	assert_int_equal(last_sent(f)->seq, f->iss);
	f->state = SYNACK_SYN_RCVD;
	f->rcv_nxt = IRS + 1;
	f->snd_wnd = f->max_snd_wnd = PEER_WND;
	f->wl1 = IRS; /* RFC 9293 3.10.7.3: SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK */
	f->wl2 = 0;
	f->reset_err = ECONNREFUSED; /* "the connection was refused; signal the user 'connection refused'" */
}

/* The SYN+ACK completes the active open; then OUR_DATA bytes go out and stay unacknowledged. */
static void fx_established(struct fx *f)
{
	int n = f->cap.n;
	uint32_t tsval = TSV0;
	f->ts_recent = TSV0;
	peer_send(f, F_SA, IRS, f->iss + 1, PEER_WND, 0, (f->opts & FXO_TS) ? &tsval : NULL);
	settle(f);
	assert_int_equal(f->cap.n, n + 1);
	assert_int_equal(last_sent(f)->flags, F_A);
	assert_int_equal(last_sent(f)->ack, IRS + 1);
	f->state = SYNACK_ESTABLISHED;
	f->snd_una = f->snd_nxt = f->iss + 1;
	f->rcv_nxt = IRS + 1;
	f->snd_wnd = f->max_snd_wnd = PEER_WND;
	f->wl1 = IRS;
	f->wl2 = f->iss + 1;
	f->reset_err = ECONNRESET;
	uint8_t buf[OUR_DATA];
	memset(buf, 'o', sizeof(buf));
	assert_int_equal(synack_send(f->x.c, f->sock, buf, OUR_DATA, scn_now(&f->x)), OUR_DATA);
	settle(f);
	assert_int_equal(f->cap.n, n + 2);
	assert_int_equal(last_sent(f)->seq, f->snd_nxt);
	assert_int_equal(last_sent(f)->payload_len, OUR_DATA);
	f->snd_nxt += OUR_DATA;
	f->rcv_wnd = last_sent(f)->window;
}

static void fx_setup(struct fx *f, enum fx_kind kind, unsigned opts, uint64_t seed)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->opts = opts;
	f->sock = f->lsock = -1;
	bool passive = kind == FX_SYN_RCVD_REQ;
	scn_init_ex(&f->x, seed, &link1ms, &link1ms, (opts & FXO_RFC1337) ? cfg_rfc1337 : cfg_rfc9293,
	            passive ? C : S, &f->cap);
	if (passive) {
		fx_passive(f);
		fx_done(f);
		return;
	}
	fx_active(f);
	if (kind == FX_SYN_SENT) {
		fx_done(f);
		return;
	}
	if (kind == FX_SYN_RCVD_SIM) {
		fx_simopen(f);
		fx_done(f);
		return;
	}
	fx_established(f);
	bool zw = (opts & FXO_ZW) != 0;
	switch (kind) {
	case FX_ESTABLISHED:
		if (zw)
			fill_window(f, false);
		break;
	case FX_FIN_WAIT_1:
		if (zw)
			fill_window(f, false);
		shut(f);
		break;
	case FX_FIN_WAIT_2:
		if (zw)
			fill_window(f, false);
		shut(f);
		setup_send(f, F_A, f->snd_nxt, 0);
		f->state = SYNACK_FIN_WAIT_2;
		break;
	case FX_CLOSE_WAIT:
		peer_fin(f, zw);
		break;
	case FX_CLOSING:
		shut(f);
		peer_fin(f, zw);
		break;
	case FX_LAST_ACK:
		peer_fin(f, zw);
		shut(f);
		break;
	case FX_TIME_WAIT:
		shut(f);
		setup_send(f, F_A, f->snd_nxt, 0);
		f->state = SYNACK_FIN_WAIT_2;
		peer_fin(f, zw);
		break;
	default:
		break;
	}
	fx_done(f);
}

/* ------------------------------------------------------------------ */
/* From a row to a segment, and from its action to what must be seen. */

struct seg {
	uint8_t flags;
	uint32_t seq, ack, len;
	uint16_t wnd;
};

/* SND.UNA once all our data, but not our FIN, is acknowledged. */
static uint32_t data_end(const struct fx *f)
{
	uint32_t e = f->fin_sent ? f->snd_nxt - 1 : f->snd_nxt;
	return seq_lt(e, f->snd_una) ? f->snd_una : e;
}

static struct seg make_seg(const struct fx *f, const struct row *r, uint16_t wnd)
{
	struct seg s = {.flags = r->flags, .len = r->len, .wnd = wnd};
	s.seq = f->rcv_nxt + (uint32_t)r->seq.k * f->rcv_wnd + r->seq.c;
	uint32_t base = 0;
	switch (r->ack.base) {
	case A_UNA: base = f->snd_una; break;
	case A_NXT: base = f->snd_nxt; break;
	case A_DATA: base = data_end(f); break;
	default: break;
	}
	if (r->ack.base != A_NONE)
		s.ack = base + (uint32_t)r->ack.k * f->max_snd_wnd + r->ack.c;
	return s;
}

struct want {
	int nrep;               /* answers: 0 or 1 */
	uint8_t rflags;
	uint32_t rseq, rack;
	int state;
	uint32_t snd_una, rcv_nxt, snd_wnd, recv_q;
	uint32_t fill_to;       /* held out of order: once [RCV.NXT, SEG.SEQ) arrives, data runs to here */
	int err;
};

static void reply(struct want *w, uint8_t flags, uint32_t seq, uint32_t ack)
{
	w->nrep = 1;
	w->rflags = flags;
	w->rseq = seq;
	w->rack = ack;
}

static bool takes_text(int state)
{
	return state == SYNACK_ESTABLISHED || state == SYNACK_FIN_WAIT_1 || state == SYNACK_FIN_WAIT_2;
}

/* ACCEPT and ZW_ACK: RFC 9293 3.10.7.4 fifth (the ACK field), seventh (the
 * text).  TIME_WAIT takes nothing (its rows say when it answers). */
static void accept_effects(const struct fx *f, const struct seg *s, enum act a, struct want *w)
{
	if (f->kind == FX_TIME_WAIT)
		return;
	if (s->flags & SYNACK_TCP_ACK) {
		if (f->state == SYNACK_SYN_RCVD) {
			/* "enter ESTABLISHED state ... SND.WND <- SEG.WND" */
			w->state = SYNACK_ESTABLISHED;
			w->snd_una = s->ack;
			w->snd_wnd = s->wnd;
		} else {
			/* "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK" */
			if (seq_lt(f->snd_una, s->ack) && seq_leq(s->ack, f->snd_nxt))
				w->snd_una = s->ack;
			/* "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated.
			 * If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)),
			 * set SND.WND <- SEG.WND" */
			if (seq_leq(f->snd_una, s->ack) && seq_leq(s->ack, f->snd_nxt) &&
			    (seq_lt(f->wl1, s->seq) || (f->wl1 == s->seq && seq_leq(f->wl2, s->ack))))
				w->snd_wnd = s->wnd;
			/* Our FIN acknowledged: FIN-WAIT-1 -> FIN-WAIT-2, CLOSING -> TIME-WAIT,
			 * LAST-ACK -> CLOSED. */
			if (f->fin_sent && w->snd_una == f->snd_nxt) {
				if (f->state == SYNACK_FIN_WAIT_1)
					w->state = SYNACK_FIN_WAIT_2;
				else if (f->state == SYNACK_CLOSING)
					w->state = SYNACK_TIME_WAIT;
				else if (f->state == SYNACK_LAST_ACK)
					w->state = SYNACK_CLOSED;
			}
		}
	}
	if (a == ZW_ACK) {
		reply(w, SYNACK_TCP_ACK, f->snd_nxt, f->rcv_nxt);
		return;
	}
	/* Seventh: text only in ESTABLISHED, FIN-WAIT-1/2; CLOSE-WAIT, CLOSING,
	 * LAST-ACK: "Ignore the segment text" (and no ACK is asked for). */
	if (s->len == 0 || (s->flags & (SYNACK_TCP_SYN | SYNACK_TCP_RST)) || !takes_text(w->state))
		return;
	/* "If a segment's contents straddle the boundary between old and new,
	 * only the new parts are processed"; what lies past the window is trimmed. */
	uint32_t left = f->rcv_nxt, right = f->rcv_nxt + f->rcv_wnd;
	uint32_t start = seq_lt(s->seq, left) ? left : s->seq;
	uint32_t end = seq_gt(s->seq + s->len, right) ? right : s->seq + s->len;
	if (start == left) { /* "Send an acknowledgment of the form: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>" */
		w->rcv_nxt = end;
		w->recv_q += end - left;
		reply(w, SYNACK_TCP_ACK, f->snd_nxt, end);
	} else {
		/* "Segments with higher beginning sequence numbers SHOULD be held
		 * for later processing (SHLD-31)"; "A TCP implementation MAY send an
		 * ACK segment acknowledging RCV.NXT when a valid segment arrives that
		 * is in the window but not at the left window edge (MAY-13)": Linux
		 * does at once (a duplicate ACK, RFC 5681 4.2). */
		reply(w, SYNACK_TCP_ACK, f->snd_nxt, left);
		w->fill_to = end;
	}
}

static struct want expect(const struct fx *f, const struct seg *s, enum act a)
{
	struct want w = {.state = f->state, .snd_una = f->snd_una, .rcv_nxt = f->rcv_nxt, .snd_wnd = f->snd_wnd,
	                 .recv_q = f->recv_q};
	switch (a) {
	case DROP:
		break;
	case ACK:
		reply(&w, SYNACK_TCP_ACK, f->snd_nxt, f->rcv_nxt);
		break;
	case RST_REPLY:
		reply(&w, SYNACK_TCP_RST, s->ack, 0);
		break;
	case RESET:
		w.state = f->reset_state;
		w.err = f->reset_err;
		break;
	case SYNACK_AGAIN:
		reply(&w, F_SA, f->iss, f->rcv_nxt);
		break;
	case ESTABLISH:
		w.state = SYNACK_ESTABLISHED;
		w.snd_una = f->iss + 1;
		w.rcv_nxt = s->seq + 1;
		w.snd_wnd = s->wnd;
		reply(&w, F_A, f->iss + 1, s->seq + 1);
		break;
	case SIMOPEN:
		w.state = SYNACK_SYN_RCVD;
		w.rcv_nxt = s->seq + 1;
		w.snd_wnd = s->wnd;
		reply(&w, F_SA, f->iss, s->seq + 1);
		break;
	case ACCEPT:
	case ZW_ACK:
		accept_effects(f, s, a, &w);
		break;
	}
	return w;
}

/* ------------------------------------------------------------------ */
/* Running a row and reporting a mismatch. */

static const char *flags_text(uint8_t fl, char *buf)
{
	static const char names[] = "FSRPAUEC";
	int k = 0;
	for (int i = 0; i < 8; i++)
		if (fl & (1u << i))
			buf[k++] = names[i];
	if (k == 0)
		buf[k++] = '-';
	buf[k] = 0;
	return buf;
}

struct report {
	char text[1024];
	size_t len;
};

static void say(struct report *r, const char *fmt, ...)
{
	if (r->len >= sizeof(r->text))
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(r->text + r->len, sizeof(r->text) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t)n;
}

/* What the application can read: every byte is pat() of its sequence
 * number, counted from the first byte after the peer's SYN. */
static bool check_read(struct fx *f, uint32_t want_q, struct report *rep)
{
	static uint8_t buf[3 * RMEM];
	ssize_t n = synack_recv(stk(f), f->sock, buf, sizeof(buf), scn_now(&f->x));
	uint32_t got = n > 0 ? (uint32_t)n : 0;
	if (got != want_q) {
		say(rep, " read %u bytes, want %u;", got, want_q);
		return false;
	}
	for (uint32_t i = 0; i < got; i++) {
		if (buf[i] != pat(IRS + 1 + i)) {
			say(rep, " byte %u read is not RCV's byte %u;", i, i);
			return false;
		}
	}
	return true;
}

/* Compares what was seen with what was wanted; says what differs. */
static bool compare(struct fx *f, const struct want *w, const struct obs *o, struct report *rep)
{
	bool ok = true;
	int nrep = f->cap.n - f->n0;
	if (nrep != w->nrep) {
		ok = false;
		say(rep, " %d answers, want %d;", nrep, w->nrep);
	} else if (nrep == 1) {
		const struct synack_tcp_seg *g = &f->cap.p[f->n0].seg;
		if (g->flags != w->rflags || g->seq != w->rseq || ((w->rflags & F_A) && g->ack != w->rack) ||
		    g->payload_len != 0) {
			char a[9], b[9];
			ok = false;
			say(rep, " answered [%s] seq SND.UNA%+d ack RCV.NXT%+d, want [%s] seq SND.UNA%+d ack RCV.NXT%+d;",
			    flags_text(g->flags, a), (int32_t)(g->seq - f->snd_una), (int32_t)(g->ack - f->rcv_nxt),
			    flags_text(w->rflags, b), (int32_t)(w->rseq - f->snd_una), (int32_t)(w->rack - f->rcv_nxt));
		}
	}
	if (o->state != w->state) {
		ok = false;
		say(rep, " state %s, want %s;", state_name(o->state), state_name(w->state));
		return false;
	}
	bool gone = w->state == SYNACK_CLOSED || w->state == SYNACK_LISTEN;
	if (!gone && o->has_seq) {
		if (o->snd_una != w->snd_una) {
			ok = false;
			say(rep, " SND.UNA%+d, want SND.UNA%+d;", (int32_t)(o->snd_una - f->snd_una),
			    (int32_t)(w->snd_una - f->snd_una));
		}
		if (w->state != SYNACK_SYN_SENT && o->rcv_nxt != w->rcv_nxt) {
			ok = false;
			say(rep, " RCV.NXT%+d, want RCV.NXT%+d;", (int32_t)(o->rcv_nxt - f->rcv_nxt),
			    (int32_t)(w->rcv_nxt - f->rcv_nxt));
		}
	}
	if (!gone && o->has_wnd && w->state != SYNACK_SYN_SENT && o->snd_wnd != w->snd_wnd) {
		ok = false;
		say(rep, " SND.WND %u, want %u;", o->snd_wnd, w->snd_wnd);
	}
	if (o->has_handle) {
		if (o->err != w->err) {
			ok = false;
			say(rep, " SO_ERROR %d, want %d;", o->err, w->err);
		}
		if (!gone && o->recv_q != w->recv_q) {
			ok = false;
			say(rep, " %u bytes to read, want %u;", o->recv_q, w->recv_q);
		}
	}
	return ok;
}

/* The peer sends the missing bytes [RCV.NXT, from): data held out of order
 * must then be readable up to fill_to, and a dropped segment's bytes never. */
static bool fill_gap(struct fx *f, uint32_t from, uint32_t fill_to, struct report *rep)
{
	uint32_t seq = f->rcv_nxt, tsval = f->ts_recent;
	while (seq_lt(seq, from)) {
		uint32_t n = from - seq < 1000 ? from - seq : 1000;
		peer_send(f, F_PA, seq, f->snd_una, PEER_WND, n, (f->opts & FXO_TS) ? &tsval : NULL);
		settle(f);
		seq += n;
	}
	if (!check_read(f, f->recv_q + (fill_to - f->rcv_nxt), rep)) {
		say(rep, " (after the gap was filled)");
		return false;
	}
	return true;
}

/* Sends the row's segment and checks the outcome; true if as wanted. */
static bool run_seg(struct fx *f, const struct seg *s, enum act a, const uint32_t *tsval, struct report *rep)
{
	struct want w = expect(f, s, a);
	f->n0 = f->cap.n;
	peer_send(f, s->flags, s->seq, s->ack, s->wnd, s->len, tsval);
	settle(f);
	struct obs o;
	observe(f, &o);
	bool ok = compare(f, &w, &o, rep);
	if (!ok || !o.has_handle || o.state == SYNACK_CLOSED)
		return ok;
	if (w.fill_to)
		return fill_gap(f, s->seq, w.fill_to, rep);
	if (!takes_text(o.state))
		return true;
	/* Refused data in the window's reach must not have been kept either. */
	if ((a == ACK || a == DROP) && s->len > 0 && seq_gt(s->seq, f->rcv_nxt) && s->seq - f->rcv_nxt < f->rcv_wnd)
		return fill_gap(f, s->seq, s->seq, rep);
	return check_read(f, w.recv_q, rep);
}

static const char *kind_name(enum fx_kind k)
{
	static const char *n[] = {"SYN_SENT", "SYN_RCVD(request)", "SYN_RCVD(simultaneous open)", "ESTABLISHED",
	                          "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"};
	return n[k];
}

static void describe(const struct fx *f, const char *table, const struct row *r, const struct seg *s,
                     struct report *rep)
{
	char fl[9];
	say(rep, "%s %s%s, line %d: [%s] seq RCV.NXT%+d (0x%08x) ack SND.UNA%+d len %u, want %s:", table,
	    kind_name(f->kind), (f->opts & FXO_ZW) ? " RCV.WND=0" : "", r->line, flags_text(r->flags, fl),
	    (int32_t)(s->seq - f->rcv_nxt), s->seq - f->rcv_nxt, (int32_t)(s->ack - f->snd_una), r->len,
	    act_name(r->want));
}

/* Runs every row of a table on a fresh connection in the fixture's state;
 * prints each mismatch and returns how many rows failed. */
static int run_table(const char *table, enum fx_kind kind, unsigned opts, const struct row *rows, size_t n,
                     uint16_t wnd)
{
	int fails = 0, ran = 0;
	for (size_t i = 0; i < n; i++) {
		struct fx f;
		fx_setup(&f, kind, opts, 100 + i);
		const struct row *r = &rows[i];
		if ((r->need & NEED_INFLIGHT) && f.snd_una == data_end(&f)) {
			scn_free(&f.x);
			continue;
		}
		struct seg s = make_seg(&f, r, wnd);
		struct report rep = {.len = 0};
		describe(&f, table, r, &s, &rep);
		if (!run_seg(&f, &s, r->want, NULL, &rep)) {
			printf("MISMATCH %s\n", rep.text);
			fails++;
		}
		ran++;
		scn_free(&f.x);
	}
	printf("%s %s%s: %d rows, %d as the RFC says\n", table, kind_name(kind), (opts & FXO_ZW) ? " RCV.WND=0" : "",
	       ran, ran - fails);
	return fails;
}

#define TABLE_TEST(name, table, kind, opts, wnd)                                                      \
	static void name(void **state)                                                                    \
	{                                                                                                 \
		(void)state;                                                                                  \
		assert_int_equal(run_table(#table, kind, opts, table, ARRAY_LEN(table), wnd), 0);             \
	}

/* ------------------------------------------------------------------ */
/* W04: the acceptability test, RCV.WND > 0.  RFC 9293 3.10.7.4 first,
 * table 6.  SEG.ACK acknowledges our data (not a FIN), so an accepted
 * segment shows by SND.UNA moving; in SYN_RCVD it is SND.NXT, and an
 * accepted segment completes the handshake. */

static const struct row acceptability_rows[] = {
	/* "0 >0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND".  A segment of no
	 * length in the window but past RCV.NXT has its ACK processed at once,
	 * as Linux does: nothing of it can be "held for later". */
	ROW(F_A, D(0), DATA(0), 0, ACCEPT),
	ROW(F_A, D(1), DATA(0), 0, ACCEPT),
	ROW(F_A, W(-1), DATA(0), 0, ACCEPT),
	/* "If an incoming segment is not acceptable, an acknowledgment should be
	 * sent in reply ...: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.  After sending
	 * the acknowledgment, drop the unacceptable segment and return." */
	ROW(F_A, W(0), DATA(0), 0, ACK),
	ROW(F_A, W(1), DATA(0), 0, ACK),
	ROW(F_A, D(H - 1), DATA(0), 0, ACK),
	ROW(F_A, D(H), DATA(0), 0, ACK),
	ROW(F_A, D(-1), DATA(0), 0, ACK),
	/* ">0 >0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND or RCV.NXT =<
	 * SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND".  In order: delivered; past
	 * RCV.NXT: held (SHLD-31) and delivered once the gap is filled; across
	 * the right edge: trimmed to the window. */
	ROW(F_PA, D(0), DATA(0), 10, ACCEPT),
	ROW(F_PA, D(1), DATA(0), 10, ACCEPT),
	ROW(F_PA, W(-1), DATA(0), 10, ACCEPT),
	ROW(F_PA, W(0), DATA(0), 10, ACK),
	ROW(F_PA, W(1), DATA(0), 10, ACK),
	ROW(F_PA, D(H - 1), DATA(0), 10, ACK),
	ROW(F_PA, D(H), DATA(0), 10, ACK),
	/* "If a segment's contents straddle the boundary between old and new,
	 * only the new parts are processed": its last byte is in the window. */
	ROW(F_PA, D(-1), DATA(0), 10, ACCEPT),
	ROW(F_PA, D(-9), DATA(0), 10, ACCEPT),
	/* Its last byte is RCV.NXT - 1: all old, not acceptable. */
	ROW(F_PA, D(-10), DATA(0), 10, ACK),
};

TABLE_TEST(test_W04_acceptability_table_syn_rcvd_request, acceptability_rows, FX_SYN_RCVD_REQ, 0, PEER_WND)
TABLE_TEST(test_W04_acceptability_table_syn_rcvd_simopen, acceptability_rows, FX_SYN_RCVD_SIM, 0, PEER_WND)
TABLE_TEST(test_W04_acceptability_table_established, acceptability_rows, FX_ESTABLISHED, 0, PEER_WND)
TABLE_TEST(test_W04_acceptability_table_fin_wait_1, acceptability_rows, FX_FIN_WAIT_1, 0, PEER_WND)
TABLE_TEST(test_W04_acceptability_table_fin_wait_2, acceptability_rows, FX_FIN_WAIT_2, 0, PEER_WND)
TABLE_TEST(test_W04_acceptability_table_close_wait, acceptability_rows, FX_CLOSE_WAIT, 0, PEER_WND)
TABLE_TEST(test_W04_acceptability_table_closing, acceptability_rows, FX_CLOSING, 0, PEER_WND)
TABLE_TEST(test_W04_acceptability_table_last_ack, acceptability_rows, FX_LAST_ACK, 0, PEER_WND)

/* TIME_WAIT (RFC 9293 3.10.7.4 fifth): "The only thing that can arrive in
 * this state is a retransmission of the remote FIN.  Acknowledge it, and
 * restart the 2 MSL timeout."  For anything else the RFC says no more, so
 * Linux (tcp_timewait_state_process): a bare ACK (or RST) at exactly
 * RCV.NXT is taken silently, every other segment is answered with an ACK.
 * Nothing is ever delivered. */
static const struct row time_wait_acceptability_rows[] = {
	ROW(F_A, D(0), NXT(0), 0, ACCEPT),
	ROW(F_A, D(1), NXT(0), 0, ACK),
	ROW(F_A, W(-1), NXT(0), 0, ACK),
	ROW(F_A, W(0), NXT(0), 0, ACK),
	ROW(F_A, W(1), NXT(0), 0, ACK),
	ROW(F_A, D(H - 1), NXT(0), 0, ACK),
	ROW(F_A, D(H), NXT(0), 0, ACK),
	ROW(F_A, D(-1), NXT(0), 0, ACK),
	ROW(F_PA, D(0), NXT(0), 10, ACK),
	ROW(F_PA, D(1), NXT(0), 10, ACK),
	ROW(F_PA, W(-1), NXT(0), 10, ACK),
	ROW(F_PA, W(0), NXT(0), 10, ACK),
	ROW(F_PA, D(H - 1), NXT(0), 10, ACK),
	ROW(F_PA, D(H), NXT(0), 10, ACK),
	ROW(F_PA, D(-1), NXT(0), 10, ACK),
	/* The retransmitted FIN (SPEC T02). */
	ROW(F_FA, D(-1), NXT(0), 0, ACK),
};

TABLE_TEST(test_W04_acceptability_table_time_wait, time_wait_acceptability_rows, FX_TIME_WAIT, 0, PEER_WND)

/* ------------------------------------------------------------------ */
/* W04 and D02: RCV.WND = 0, the peer having filled the receive buffer.
 * "0 0: SEG.SEQ = RCV.NXT"; ">0 0: not acceptable"; "If the RCV.WND is
 * zero, no segments will be acceptable, but special allowance should be
 * made to accept valid ACKs, URGs, and RSTs." */

static const struct row zero_window_rows[] = {
	ROW(F_A, D(0), DATA(0), 0, ACCEPT),
	ROW(F_A, D(1), DATA(0), 0, ACK),
	ROW(F_A, D(H - 1), DATA(0), 0, ACK),
	ROW(F_A, D(H), DATA(0), 0, ACK),
	ROW(F_A, D(-1), DATA(0), 0, ACK),
	/* Data at RCV.NXT: the text is refused and answered with an ACK, but
	 * the ACK field is still processed (the allowance above; Linux:
	 * tcp_sequence lets it through, tcp_ack runs, tcp_data_queue drops the
	 * data as TCPZeroWindowDrop).  So is one that starts before RCV.NXT
	 * (Linux: its end is in the window). */
	ROW(F_PA, D(0), DATA(0), 10, ZW_ACK),
	ROW(F_PA, D(-1), DATA(0), 10, ZW_ACK),
	/* Starting past RCV.NXT: Linux refuses it whole (tcp_sequence). */
	ROW(F_PA, D(1), DATA(0), 10, ACK),
	ROW(F_PA, D(H), DATA(0), 10, ACK),
	/* A FIN occupies a sequence number: SEG.LEN = 1, not acceptable, not
	 * processed.  (Linux 6.x takes a bare FIN at RCV.NXT even at zero
	 * window; the table is explicit, so it wins.)  Its ACK still counts. */
	ROW(F_FA, D(0), DATA(0), 0, ZW_ACK),
	/* RFC 5961 3.2 at a zero window: only RCV.NXT is in it. */
	ROW(F_R, D(0), NOACK, 0, RESET),
	ROW(F_R, D(1), NOACK, 0, DROP),
	/* RFC 5961 4.2: a SYN gets a challenge ACK whatever its sequence number. */
	ROW(F_SYN, D(0), NOACK, 0, ACK),
};

TABLE_TEST(test_W04_D02_zero_window_table_established, zero_window_rows, FX_ESTABLISHED, FXO_ZW, PEER_WND)
TABLE_TEST(test_W04_D02_zero_window_table_fin_wait_1, zero_window_rows, FX_FIN_WAIT_1, FXO_ZW, PEER_WND)
TABLE_TEST(test_W04_D02_zero_window_table_fin_wait_2, zero_window_rows, FX_FIN_WAIT_2, FXO_ZW, PEER_WND)
TABLE_TEST(test_W04_D02_zero_window_table_close_wait, zero_window_rows, FX_CLOSE_WAIT, FXO_ZW, PEER_WND)
TABLE_TEST(test_W04_D02_zero_window_table_closing, zero_window_rows, FX_CLOSING, FXO_ZW, PEER_WND)
TABLE_TEST(test_W04_D02_zero_window_table_last_ack, zero_window_rows, FX_LAST_ACK, FXO_ZW, PEER_WND)

/* TIME_WAIT with RCV.WND = 0 (its last ACK advertised none): as above,
 * only a bare ACK at RCV.NXT is taken silently. */
static const struct row time_wait_zero_window_rows[] = {
	ROW(F_A, D(0), NXT(0), 0, ACCEPT),
	ROW(F_A, D(1), NXT(0), 0, ACK),
	ROW(F_A, D(-1), NXT(0), 0, ACK),
	ROW(F_PA, D(0), NXT(0), 10, ACK),
};

TABLE_TEST(test_W04_D02_zero_window_table_time_wait, time_wait_zero_window_rows, FX_TIME_WAIT, FXO_ZW, PEER_WND)

/* ------------------------------------------------------------------ */
/* R01: RST in SYN_RCVD and the synchronized states, RFC 9293 3.10.7.4
 * second with RFC 5961 3.2.  A reset connection is CLOSED with ECONNRESET
 * ("connection reset"); a passive SYN_RCVD returns to LISTEN, an active one
 * is refused (ECONNREFUSED); CLOSING, LAST-ACK and TIME-WAIT "enter the
 * CLOSED state, delete the TCB, and return", with no signal to the user
 * (Linux reports ECONNRESET there; the RFC lists no signal, so none). */

static const struct row rst_rows[] = {
	/* (2) "If the RST bit is set and the sequence number exactly matches
	 * the next expected sequence number (RCV.NXT), then TCP endpoints MUST
	 * reset the connection in the manner prescribed below according to the
	 * connection state." */
	ROW(F_R, D(0), NOACK, 0, RESET),
	ROW(F_RA, D(0), NXT(0), 0, RESET),
	/* RST is the second check, the ACK field the fifth: an ACK field out of
	 * range does not save the connection (Linux: tcp_validate_incoming
	 * resets before tcp_ack). */
	ROW(F_RA, D(0), NXT(1), 0, RESET),
	ROW(F_RA, D(0), UNA_M(-1, -1), 0, RESET),
	/* RFC 9293 3.5.3: "TCP implementations SHOULD allow a received RST
	 * segment to include data (SHLD-2)." */
	ROW(F_R, D(0), NOACK, 10, RESET),
	/* RST is checked (second) before SYN (fourth). */
	ROW(F_R | F_SYN, D(0), NOACK, 0, RESET),
	/* (3) "If the RST bit is set and the sequence number does not exactly
	 * match the next expected sequence value, yet is within the current
	 * receive window, TCP endpoints MUST send an acknowledgment (challenge
	 * ACK): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>" */
	ROW(F_R, D(1), NOACK, 0, ACK),
	ROW(F_RA, D(1), NXT(0), 0, ACK),
	ROW(F_R, W(-1), NOACK, 0, ACK),
	/* (1) "If the RST bit is set and the sequence number is outside the
	 * current receive window, silently drop the segment." */
	ROW(F_R, W(0), NOACK, 0, DROP),
	ROW(F_R, W(1), NOACK, 0, DROP),
	ROW(F_R, D(H - 1), NOACK, 0, DROP),
	ROW(F_R, D(H), NOACK, 0, DROP),
	ROW(F_R, D(-1), NOACK, 0, DROP),
	/* A RST whose data straddles the left edge passes table 6 (its last
	 * byte is in the window), but its sequence number is outside: (1).
	 * (Linux sends a challenge ACK: tcp_sequence looks at the end.) */
	ROW(F_R, D(-1), NOACK, 10, DROP),
};

TABLE_TEST(test_R01_rst_table_syn_rcvd_request, rst_rows, FX_SYN_RCVD_REQ, 0, PEER_WND)
TABLE_TEST(test_R01_rst_table_syn_rcvd_simopen, rst_rows, FX_SYN_RCVD_SIM, 0, PEER_WND)
TABLE_TEST(test_R01_rst_table_established, rst_rows, FX_ESTABLISHED, 0, PEER_WND)
TABLE_TEST(test_R01_rst_table_fin_wait_1, rst_rows, FX_FIN_WAIT_1, 0, PEER_WND)
TABLE_TEST(test_R01_rst_table_fin_wait_2, rst_rows, FX_FIN_WAIT_2, 0, PEER_WND)
TABLE_TEST(test_R01_rst_table_close_wait, rst_rows, FX_CLOSE_WAIT, 0, PEER_WND)
TABLE_TEST(test_R01_rst_table_closing, rst_rows, FX_CLOSING, 0, PEER_WND)
TABLE_TEST(test_R01_rst_table_last_ack, rst_rows, FX_LAST_ACK, 0, PEER_WND)
/* rfc1337 = 0: RFC 9293's TIME-WAIT rule (Linux's default).  One
 * deliberate difference from the table above: an in-window RST that is not
 * exactly at RCV.NXT is dropped without a challenge ACK, as Linux's
 * tcp_timewait_state_process does.  RFC 5961 3.2 asks for the ACK, but it
 * protects a connection that TIME_WAIT no longer has: nothing is reset by
 * an inexact RST, and an ACK would only answer a blind guess. */
static const struct row rst_time_wait_rows[] = {
	ROW(F_R, D(0), NOACK, 0, RESET),
	ROW(F_RA, D(0), NXT(0), 0, RESET),
	ROW(F_RA, D(0), NXT(1), 0, RESET),
	ROW(F_RA, D(0), UNA_M(-1, -1), 0, RESET),
	ROW(F_R, D(0), NOACK, 10, RESET),
	ROW(F_R | F_SYN, D(0), NOACK, 0, RESET),
	ROW(F_R, D(1), NOACK, 0, DROP),
	ROW(F_RA, D(1), NXT(0), 0, DROP),
	ROW(F_R, W(-1), NOACK, 0, DROP),
	ROW(F_R, W(0), NOACK, 0, DROP),
	ROW(F_R, W(1), NOACK, 0, DROP),
	ROW(F_R, D(H - 1), NOACK, 0, DROP),
	ROW(F_R, D(H), NOACK, 0, DROP),
	ROW(F_R, D(-1), NOACK, 0, DROP),
	ROW(F_R, D(-1), NOACK, 10, DROP),
};
TABLE_TEST(test_R01_rst_table_time_wait, rst_time_wait_rows, FX_TIME_WAIT, 0, PEER_WND)

/* T03, rfc1337 = 1 (our default): RFC 1337 4, "ignoring RST segments in
 * TIME-WAIT state", every one of them. */
static const struct row rst_rfc1337_rows[] = {
	ROW(F_R, D(0), NOACK, 0, DROP),
	ROW(F_RA, D(0), NXT(0), 0, DROP),
	ROW(F_R, D(1), NOACK, 0, DROP),
	ROW(F_R, W(0), NOACK, 0, DROP),
};

TABLE_TEST(test_R01_T03_rst_table_time_wait_rfc1337, rst_rfc1337_rows, FX_TIME_WAIT, FXO_RFC1337, PEER_WND)

/* ------------------------------------------------------------------ */
/* R02: SYN in the synchronized states (and an active SYN_RCVD, which RFC
 * 9293 sends to "the directions for synchronized states").  RFC 5961 4.2,
 * RFC 9293 3.10.7.4 fourth: "if the SYN bit is set, irrespective of the
 * sequence number, TCP endpoints MUST send a 'challenge ACK' to the remote
 * peer: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>".  Out of the window, the first
 * check answers with the same ACK (Linux: syn_challenge).  Nothing of the
 * segment is processed: not its data, not its ACK field. */

static const struct row syn_rows[] = {
	ROW(F_SYN, D(0), NOACK, 0, ACK),
	ROW(F_SYN, D(1), NOACK, 0, ACK),
	ROW(F_SYN, W(-1), NOACK, 0, ACK),
	ROW(F_SYN, W(0), NOACK, 0, ACK),
	ROW(F_SYN, W(1), NOACK, 0, ACK),
	ROW(F_SYN, D(H - 1), NOACK, 0, ACK),
	ROW(F_SYN, D(H), NOACK, 0, ACK),
	ROW(F_SYN, D(-1), NOACK, 0, ACK),
	ROW(F_SYN, D(0), NOACK, 10, ACK),
	ROW(F_SA, D(0), DATA(0), 0, ACK),
	ROW(F_SA, D(-1), UNA(0), 0, ACK),
	ROW(F_SA, D(H), DATA(0), 0, ACK),
};

TABLE_TEST(test_R02_syn_table_established, syn_rows, FX_ESTABLISHED, 0, PEER_WND)
TABLE_TEST(test_R02_syn_table_fin_wait_1, syn_rows, FX_FIN_WAIT_1, 0, PEER_WND)
TABLE_TEST(test_R02_syn_table_fin_wait_2, syn_rows, FX_FIN_WAIT_2, 0, PEER_WND)
TABLE_TEST(test_R02_syn_table_close_wait, syn_rows, FX_CLOSE_WAIT, 0, PEER_WND)
TABLE_TEST(test_R02_syn_table_closing, syn_rows, FX_CLOSING, 0, PEER_WND)
TABLE_TEST(test_R02_syn_table_last_ack, syn_rows, FX_LAST_ACK, 0, PEER_WND)
/* The stack is the client: no listener could take a new incarnation (RFC
 * 9293, RFC 6191), so TIME_WAIT answers every SYN with its ACK (T05). */
TABLE_TEST(test_R02_T05_syn_table_time_wait, syn_rows, FX_TIME_WAIT, 0, PEER_WND)

/* An active SYN_RCVD: the synchronized rule above, and the peer's own
 * SYN+ACK, whose SYN sits just below RCV.NXT: table 6 would refuse it, but
 * RFC 9293 figure 7 line 6 takes it to ESTABLISHED, as Linux does
 * (tcp_validate_incoming); Linux then ACKs it as a duplicate. */
static const struct row syn_simopen_rows[] = {
	ROW(F_SYN, D(0), NOACK, 0, ACK),
	ROW(F_SYN, D(1), NOACK, 0, ACK),
	ROW(F_SYN, W(0), NOACK, 0, ACK),
	ROW(F_SYN, D(H), NOACK, 0, ACK),
	ROW(F_SYN, D(-1), NOACK, 0, ACK),
	ROW(F_SA, D(-1), NXT(0), 0, ESTABLISH),
	ROW(F_SA, D(-1), UNA(0), 0, ACK),
	ROW(F_SA, D(0), NXT(0), 0, ACK),
};

TABLE_TEST(test_R02_H10_syn_table_syn_rcvd_simopen, syn_simopen_rows, FX_SYN_RCVD_SIM, 0, PEER_WND)

/* A passive SYN_RCVD (a request entry): RFC 9293 3.10.7.4 fourth, "If the
 * connection was initiated with a passive OPEN, then return this
 * connection to the LISTEN state and return" for a SYN that passed the
 * sequence check (nothing is sent; Linux also sends a RST), an ACK for one
 * that did not.  The retransmitted SYN (SEG.SEQ = IRS) is not acceptable
 * either; RFC 9293 says an ACK "should" answer it, Linux and SPEC H13
 * resend the SYN+ACK, which lets the peer complete: Linux. */
static const struct row syn_request_rows[] = {
	ROW(F_SYN, D(-1), NOACK, 0, SYNACK_AGAIN),
	ROW(F_SYN, D(0), NOACK, 0, RESET),
	ROW(F_SYN, D(1), NOACK, 0, RESET),
	ROW(F_SYN, W(-1), NOACK, 0, RESET),
	ROW(F_SA, D(0), NXT(0), 0, RESET),
	ROW(F_SYN, W(0), NOACK, 0, ACK),
	ROW(F_SYN, W(1), NOACK, 0, ACK),
	ROW(F_SYN, D(H), NOACK, 0, ACK),
	ROW(F_SYN, D(-2), NOACK, 0, ACK),
	/* Not a retransmitted SYN (Linux: flg == TCP_FLAG_SYN only): out of the window. */
	ROW(F_SA, D(-1), NXT(0), 0, ACK),
};

TABLE_TEST(test_R02_H13_syn_table_syn_rcvd_request, syn_request_rows, FX_SYN_RCVD_REQ, 0, PEER_WND)

/* ------------------------------------------------------------------ */
/* R03: the ACK field, RFC 9293 3.10.7.4 fifth with RFC 5961 5.2: "TCP
 * stacks that implement RFC 5961 MUST add an input check that the ACK
 * value is acceptable only if it is in the range of ((SND.UNA -
 * MAX.SND.WND) =< SEG.ACK =< SND.NXT).  All incoming segments whose ACK
 * value doesn't satisfy the above condition MUST be discarded and an ACK
 * sent back."  Accepted: "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA
 * <- SEG.ACK ... If the ACK is a duplicate (SEG.ACK =< SND.UNA), it can be
 * ignored", and "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should
 * be updated" -- only then.  Every row offers window PEER_WND2, so the
 * check sees whether SND.WND took it. */

static const struct row ack_rows[] = {
	ROW(F_A, D(0), UNA(0), 0, ACCEPT),
	ROWN(F_A, D(0), UNA(1), 0, ACCEPT, NEED_INFLIGHT),
	ROW(F_A, D(0), UNA_M(1, -1), 0, ACK),
	ROW(F_A, D(0), UNA_M(1, 0), 0, ACK),
	ROW(F_A, D(0), UNA_M(1, 1), 0, ACK),
	ROW(F_A, D(0), UNA(H - 1), 0, ACK),
	ROW(F_A, D(0), UNA(H), 0, ACK),
	ROW(F_A, D(0), UNA(-1), 0, ACCEPT),
	ROW(F_A, D(0), UNA_M(-1, -1), 0, ACK),
	ROW(F_A, D(0), UNA_M(-1, 0), 0, ACCEPT),
	ROW(F_A, D(0), UNA_M(-1, 1), 0, ACCEPT),
	ROW(F_A, D(0), NXT(0), 0, ACCEPT),
	ROW(F_A, D(0), NXT(1), 0, ACK),
	ROW(F_A, D(0), NXT_M(1, -1), 0, ACK),
	ROW(F_A, D(0), NXT_M(1, 0), 0, ACK),
	ROW(F_A, D(0), NXT_M(1, 1), 0, ACK),
	ROW(F_A, D(0), NXT(H - 1), 0, ACK),
	ROW(F_A, D(0), NXT(H), 0, ACK),
	ROW(F_A, D(0), NXT(-1), 0, ACCEPT),
	/* The same with data: RFC 5961 5's blind data injection. */
	ROW(F_PA, D(0), UNA(0), 10, ACCEPT),
	ROWN(F_PA, D(0), UNA(1), 10, ACCEPT, NEED_INFLIGHT),
	ROW(F_PA, D(0), UNA_M(1, -1), 10, ACK),
	ROW(F_PA, D(0), UNA_M(1, 0), 10, ACK),
	ROW(F_PA, D(0), UNA_M(1, 1), 10, ACK),
	ROW(F_PA, D(0), UNA(H - 1), 10, ACK),
	ROW(F_PA, D(0), UNA(H), 10, ACK),
	ROW(F_PA, D(0), UNA(-1), 10, ACCEPT),
	ROW(F_PA, D(0), UNA_M(-1, -1), 10, ACK),
	ROW(F_PA, D(0), UNA_M(-1, 0), 10, ACCEPT),
	ROW(F_PA, D(0), UNA_M(-1, 1), 10, ACCEPT),
	ROW(F_PA, D(0), NXT(0), 10, ACCEPT),
	ROW(F_PA, D(0), NXT(1), 10, ACK),
	ROW(F_PA, D(0), NXT_M(1, -1), 10, ACK),
	ROW(F_PA, D(0), NXT_M(1, 0), 10, ACK),
	ROW(F_PA, D(0), NXT_M(1, 1), 10, ACK),
	ROW(F_PA, D(0), NXT(H - 1), 10, ACK),
	ROW(F_PA, D(0), NXT(H), 10, ACK),
	ROW(F_PA, D(0), NXT(-1), 10, ACCEPT),
	/* "if the ACK bit is off, drop the segment and return" */
	ROW(0, D(0), NOACK, 0, DROP),
	ROW(F_P, D(0), NOACK, 10, DROP),
};

TABLE_TEST(test_R03_ack_table_established, ack_rows, FX_ESTABLISHED, 0, PEER_WND2)
TABLE_TEST(test_R03_ack_table_fin_wait_1, ack_rows, FX_FIN_WAIT_1, 0, PEER_WND2)
TABLE_TEST(test_R03_ack_table_fin_wait_2, ack_rows, FX_FIN_WAIT_2, 0, PEER_WND2)
TABLE_TEST(test_R03_ack_table_close_wait, ack_rows, FX_CLOSE_WAIT, 0, PEER_WND2)
TABLE_TEST(test_R03_ack_table_closing, ack_rows, FX_CLOSING, 0, PEER_WND2)
TABLE_TEST(test_R03_ack_table_last_ack, ack_rows, FX_LAST_ACK, 0, PEER_WND2)

/* SYN_RCVD: "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state
 * ... If the segment acknowledgment is not acceptable, form a reset
 * segment <SEQ=SEG.ACK><CTL=RST> and send it."  RFC 9293 puts RFC 5961's
 * range check (an ACK, not a RST) above every state's rule, which read
 * literally would answer SEG.ACK > SND.NXT here with an ACK; the two texts
 * disagree, so Linux: a RST for every unacceptable ACK (tcp_check_req;
 * tcp_rcv_state_process's "send one RST").  The data of such a segment is
 * not taken. */
static const struct row ack_syn_rcvd_rows[] = {
	ROW(F_A, D(0), UNA(0), 0, RST_REPLY),
	ROW(F_A, D(0), UNA(1), 0, ACCEPT),
	ROW(F_A, D(0), UNA(2), 0, RST_REPLY),
	ROW(F_A, D(0), UNA_M(1, -1), 0, RST_REPLY),
	ROW(F_A, D(0), UNA_M(1, 0), 0, RST_REPLY),
	ROW(F_A, D(0), UNA_M(1, 1), 0, RST_REPLY),
	ROW(F_A, D(0), UNA(H - 1), 0, RST_REPLY),
	ROW(F_A, D(0), UNA(H), 0, RST_REPLY),
	ROW(F_A, D(0), UNA(-1), 0, RST_REPLY),
	ROW(F_A, D(0), UNA_M(-1, -1), 0, RST_REPLY),
	ROW(F_A, D(0), UNA_M(-1, 0), 0, RST_REPLY),
	ROW(F_A, D(0), NXT(H - 1), 0, RST_REPLY),
	ROW(F_A, D(0), NXT(H), 0, RST_REPLY),
	ROW(F_PA, D(0), UNA(0), 10, RST_REPLY),
	ROW(F_PA, D(0), UNA(1), 10, ACCEPT),
	ROW(F_PA, D(0), UNA(2), 10, RST_REPLY),
	ROW(F_PA, D(0), UNA_M(-1, -1), 10, RST_REPLY),
	ROW(F_PA, D(0), NXT(H), 10, RST_REPLY),
	/* "if the ACK bit is off, drop the segment and return" */
	ROW(0, D(0), NOACK, 0, DROP),
	ROW(F_P, D(0), NOACK, 10, DROP),
};

TABLE_TEST(test_R03_ack_table_syn_rcvd_request, ack_syn_rcvd_rows, FX_SYN_RCVD_REQ, 0, PEER_WND2)
TABLE_TEST(test_R03_ack_table_syn_rcvd_simopen, ack_syn_rcvd_rows, FX_SYN_RCVD_SIM, 0, PEER_WND2)

/* TIME_WAIT: a bare ACK at RCV.NXT is taken silently whatever its ACK
 * field, as Linux's tcp_timewait_state_process (a deliberate difference
 * from RFC 5961 5.2, which would answer the out-of-range ones: the check
 * guards data injection, and TIME_WAIT takes no data; the compact entry
 * also keeps no MAX.SND.WND to check against).  Data is acknowledged and
 * ignored. */
static const struct row ack_time_wait_rows[] = {
	ROW(F_A, D(0), NXT(0), 0, ACCEPT),
	ROW(F_A, D(0), NXT(-1), 0, ACCEPT),
	ROW(F_A, D(0), UNA_M(-1, 0), 0, ACCEPT),
	ROW(F_A, D(0), NXT(1), 0, ACCEPT),
	ROW(F_A, D(0), NXT(H - 1), 0, ACCEPT),
	ROW(F_A, D(0), NXT(H), 0, ACCEPT),
	ROW(F_A, D(0), UNA_M(-1, -1), 0, ACCEPT),
	ROW(F_A, D(0), UNA_M(1, 0), 0, ACCEPT),
	ROW(F_PA, D(0), NXT(0), 10, ACK),
	ROW(0, D(0), NOACK, 0, DROP),
};

TABLE_TEST(test_R03_ack_table_time_wait, ack_time_wait_rows, FX_TIME_WAIT, 0, PEER_WND2)

/* ------------------------------------------------------------------ */
/* SYN_SENT (RFC 9293 3.10.7.3).  RCV.NXT is not known: SEG.SEQ counts from
 * the ISN the peer uses, and nothing depends on it but the ESTABLISHED
 * connection's RCV.NXT.  SND.UNA = ISS, SND.NXT = ISS + 1. */

static const struct row syn_sent_ack_rows[] = {
	/* "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST
	 * bit is set, if so drop the segment and return) <SEQ=SEG.ACK><CTL=RST>
	 * and discard the segment" (H11) */
	ROW(F_A, D(0), UNA(0), 0, RST_REPLY),
	ROW(F_A, D(0), UNA(-1), 0, RST_REPLY),
	ROW(F_A, D(0), NXT(1), 0, RST_REPLY),
	ROW(F_A, D(0), NXT(H - 1), 0, RST_REPLY),
	ROW(F_A, D(0), NXT(H), 0, RST_REPLY),
	ROW(F_SA, D(0), UNA(0), 0, RST_REPLY),
	ROW(F_SA, D(0), UNA(-1), 0, RST_REPLY),
	ROW(F_SA, D(0), NXT(1), 0, RST_REPLY),
	ROW(F_SA, D(0), NXT(H - 1), 0, RST_REPLY),
	ROW(F_SA, D(0), NXT(H), 0, RST_REPLY),
	ROW(F_SA, D(H), NXT(-2), 0, RST_REPLY),
	/* "Fifth, if neither of the SYN or RST bits is set, then drop the segment and return." */
	ROW(F_A, D(0), NXT(0), 0, DROP),
	ROW(F_PA, D(0), NXT(0), 10, DROP),
	ROW(0, D(0), NOACK, 0, DROP),
	/* "If SND.UNA > ISS (our SYN has been ACKed), change the connection
	 * state to ESTABLISHED, form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>" */
	ROW(F_SA, D(0), NXT(0), 0, ESTABLISH),
	ROW(F_SA, D(H), NXT(0), 0, ESTABLISH),
	ROW(F_SA, D(-1), NXT(0), 0, ESTABLISH),
	/* "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment
	 * <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>" (H10) */
	ROW(F_SYN, D(0), NOACK, 0, SIMOPEN),
	ROW(F_SYN, D(H - 1), NOACK, 0, SIMOPEN),
};

TABLE_TEST(test_W04_H11_ack_table_syn_sent, syn_sent_ack_rows, FX_SYN_SENT, 0, PEER_WND)

/* R04: "If the RST bit is set ... If the ACK was acceptable, then signal to
 * the user 'error: connection reset', drop the segment, enter CLOSED state,
 * delete TCB, and return.  Otherwise (no ACK), drop the segment and
 * return."  Linux reports ECONNREFUSED.  RFC 9293 asks RFC 5961 stacks to
 * check SEG.SEQ against RCV.NXT, which SYN-SENT does not have; RFC 5961 3.2
 * itself: "the RST is acceptable if the ACK field acknowledges the SYN", and
 * Linux checks no sequence number here: neither do the rows. */
static const struct row rst_syn_sent_rows[] = {
	ROW(F_RA, D(0), NXT(0), 0, RESET),
	ROW(F_RA, D(H), NXT(0), 0, RESET),
	ROW(F_RA, D(-1), NXT(0), 0, RESET),
	ROW(F_RA | F_SYN, D(0), NXT(0), 0, RESET),
	ROW(F_RA, D(0), UNA(0), 0, DROP),
	ROW(F_RA, D(0), UNA(-1), 0, DROP),
	ROW(F_RA, D(0), NXT(1), 0, DROP),
	ROW(F_RA, D(0), NXT(H), 0, DROP),
	ROW(F_R, D(0), NOACK, 0, DROP),
	ROW(F_R, D(H), NOACK, 0, DROP),
	ROW(F_R | F_SYN, D(0), NOACK, 0, DROP),
};

TABLE_TEST(test_R04_rst_table_syn_sent, rst_syn_sent_rows, FX_SYN_SENT, 0, PEER_WND)

/* ------------------------------------------------------------------ */
/* R05 and T09: timestamps (RFC 7323 5.3).  R1: "If there is a Timestamps
 * option in the arriving segment, SEG.TSval < TS.Recent, TS.Recent is
 * valid ..., and if the RST bit is not set, then treat the arriving segment
 * as not acceptable"; R2: "If the segment is outside the window, reject
 * it"; R3: "If an arriving segment satisfies SEG.TSval >= TS.Recent and
 * SEG.SEQ =< Last.ACK.sent (see Section 4.3), then record its timestamp in
 * TS.Recent."  R2 comes before R3: a segment outside the window never
 * changes TS.Recent (SPEC R05).
 *
 * Each row is followed by a legitimate segment at RCV.NXT with TSval =
 * TS.Recent + 1: it must be accepted (not dropped by PAWS), which shows that
 * the row left TS.Recent where the RFC says.  Every ACK echoes TS.Recent in
 * its TSecr (RFC 7323 4.3), which shows it directly. */

struct ts_row {
	int line;
	uint8_t flags;
	struct sdelta seq;
	uint32_t len;
	uint32_t tsval; /* TS.Recent + this */
	enum act want;
	bool recorded;  /* TS.Recent becomes SEG.TSval */
};
#define TSROW(fl, sq, ln, ts, w, rec) {__LINE__, (fl), sq, (ln), (uint32_t)(ts), (w), (rec)}

static const struct ts_row ts_rows[] = {
	/* Out of the window, far ahead and newer: rejected by R2, TS.Recent kept. */
	TSROW(F_A, D(H), 0, H - 1, ACK, false),
	TSROW(F_PA, D(H), 10, H - 1, ACK, false),
	TSROW(F_PA, W(0), 10, 5, ACK, false),
	/* Old duplicates: not acceptable (table 6), so R3 is never reached;
	 * except, deliberately, as Linux's tcp_sequence: a duplicate that ends
	 * at Last.ACK.sent (RCV.NXT here) is recorded, so the ACK that answers
	 * a needless retransmission echoes its time, not the first copy's
	 * (the sender would otherwise take its own backoff for a round trip). */
	TSROW(F_PA, D(-10), 10, 5, ACK, true),
	TSROW(F_PA, D(-100), 10, 5, ACK, false),
	TSROW(F_A, D(-1), 0, 5, ACK, false),
	/* Acceptable and SEG.SEQ =< Last.ACK.sent: recorded. */
	TSROW(F_PA, D(0), 10, 5, ACCEPT, true),
	TSROW(F_A, D(0), 0, H - 1, ACCEPT, true),
	TSROW(F_PA, D(0), 10, H - 1, ACCEPT, true),
	TSROW(F_PA, D(-5), 10, 5, ACCEPT, true),
	TSROW(F_PA, D(0), 10, 0, ACCEPT, true),
	/* Acceptable but past Last.ACK.sent (held out of order): not recorded. */
	TSROW(F_PA, D(1), 10, 5, ACCEPT, false),
	/* R1, PAWS (T09): older than TS.Recent, answered with an ACK.  (Linux
	 * tolerates one tick, TCP_PAWS_WINDOW; R1 does not.) */
	TSROW(F_PA, D(0), 10, -1000, ACK, false),
	TSROW(F_PA, D(0), 10, -1, ACK, false),
	/* R1 spares a RST: RFC 5961 3.2 judges it. */
	TSROW(F_R, D(0), 0, -1000, RESET, false),
	TSROW(F_R, D(1), 0, -1000, ACK, false),
};

/* The ACKs the stack sent since n0 must all echo ts_recent. */
static bool check_tsecr(const struct fx *f, int n0, uint32_t ts_recent, struct report *rep)
{
	for (int i = n0; i < f->cap.n; i++) {
		const struct synack_tcp_seg *g = &f->cap.p[i].seg;
		if (!(g->flags & SYNACK_TCP_ACK))
			continue;
		if (!(g->opt.present & SYNACK_OPT_TS) || g->opt.ts_ecr != ts_recent) {
			say(rep, " TSecr TS.Recent%+d, want TS.Recent%+d;", (int32_t)(g->opt.ts_ecr - f->ts_recent),
			    (int32_t)(ts_recent - f->ts_recent));
			return false;
		}
	}
	return true;
}

static bool run_ts_row(struct fx *f, const struct ts_row *r, struct report *rep)
{
	struct row row = {.line = r->line, .flags = r->flags, .seq = r->seq, .ack = DATA(0), .len = r->len,
	                  .want = r->want};
	if (r->flags & SYNACK_TCP_RST)
		row.ack = (struct adelta)NOACK;
	struct seg s = make_seg(f, &row, PEER_WND);
	describe(f, "ts_rows", &row, &s, rep);
	say(rep, " TSval TS.Recent%+d", (int32_t)r->tsval);
	uint32_t tsval = f->ts_recent + r->tsval;
	uint32_t after = r->recorded ? tsval : f->ts_recent;
	int n0 = f->cap.n;
	bool ok = run_seg(f, &s, r->want, &tsval, rep);
	ok = check_tsecr(f, n0, after, rep) && ok;
	if (r->want == RESET)
		return ok;
	/* The next legitimate segment, one tick newer than TS.Recent. */
	struct obs o;
	observe(f, &o);
	uint32_t probe = after + 1;
	int n1 = f->cap.n;
	peer_send(f, F_PA, o.rcv_nxt, o.snd_una, PEER_WND, 1, &probe);
	settle(f);
	struct synack_sockinfo i;
	assert_int_equal(synack_sockinfo(stk(f), f->sock, &i), 0);
	if (f->cap.n != n1 + 1 || !seq_gt(f->cap.p[n1].seg.ack, o.rcv_nxt) || i.recv_q <= o.recv_q) {
		say(rep, " the next segment (TSval TS.Recent%+d) was not accepted;", (int32_t)(probe - f->ts_recent));
		return false;
	}
	return check_tsecr(f, n1, probe, rep) && ok;
}

static void test_R05_T09_timestamp_table_established(void **state)
{
	(void)state;
	int fails = 0;
	for (size_t k = 0; k < ARRAY_LEN(ts_rows); k++) {
		struct fx f;
		fx_setup(&f, FX_ESTABLISHED, FXO_TS, 300 + k);
		struct synack_sockinfo i;
		assert_int_equal(synack_sockinfo(f.x.c, f.sock, &i), 0);
		assert_true(i.ts_ok);
		struct report rep = {.len = 0};
		if (!run_ts_row(&f, &ts_rows[k], &rep)) {
			printf("MISMATCH %s\n", rep.text);
			fails++;
		}
		scn_free(&f.x);
	}
	printf("ts_rows ESTABLISHED with timestamps: %zu rows, %zu as the RFC says\n", ARRAY_LEN(ts_rows),
	       ARRAY_LEN(ts_rows) - (size_t)fails);
	assert_int_equal(fails, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_W04_acceptability_table_syn_rcvd_request),
		cmocka_unit_test(test_W04_acceptability_table_syn_rcvd_simopen),
		cmocka_unit_test(test_W04_acceptability_table_established),
		cmocka_unit_test(test_W04_acceptability_table_fin_wait_1),
		cmocka_unit_test(test_W04_acceptability_table_fin_wait_2),
		cmocka_unit_test(test_W04_acceptability_table_close_wait),
		cmocka_unit_test(test_W04_acceptability_table_closing),
		cmocka_unit_test(test_W04_acceptability_table_last_ack),
		cmocka_unit_test(test_W04_acceptability_table_time_wait),
		cmocka_unit_test(test_W04_D02_zero_window_table_established),
		cmocka_unit_test(test_W04_D02_zero_window_table_fin_wait_1),
		cmocka_unit_test(test_W04_D02_zero_window_table_fin_wait_2),
		cmocka_unit_test(test_W04_D02_zero_window_table_close_wait),
		cmocka_unit_test(test_W04_D02_zero_window_table_closing),
		cmocka_unit_test(test_W04_D02_zero_window_table_last_ack),
		cmocka_unit_test(test_W04_D02_zero_window_table_time_wait),
		cmocka_unit_test(test_R01_rst_table_syn_rcvd_request),
		cmocka_unit_test(test_R01_rst_table_syn_rcvd_simopen),
		cmocka_unit_test(test_R01_rst_table_established),
		cmocka_unit_test(test_R01_rst_table_fin_wait_1),
		cmocka_unit_test(test_R01_rst_table_fin_wait_2),
		cmocka_unit_test(test_R01_rst_table_close_wait),
		cmocka_unit_test(test_R01_rst_table_closing),
		cmocka_unit_test(test_R01_rst_table_last_ack),
		cmocka_unit_test(test_R01_rst_table_time_wait),
		cmocka_unit_test(test_R01_T03_rst_table_time_wait_rfc1337),
		cmocka_unit_test(test_R02_syn_table_established),
		cmocka_unit_test(test_R02_syn_table_fin_wait_1),
		cmocka_unit_test(test_R02_syn_table_fin_wait_2),
		cmocka_unit_test(test_R02_syn_table_close_wait),
		cmocka_unit_test(test_R02_syn_table_closing),
		cmocka_unit_test(test_R02_syn_table_last_ack),
		cmocka_unit_test(test_R02_T05_syn_table_time_wait),
		cmocka_unit_test(test_R02_H10_syn_table_syn_rcvd_simopen),
		cmocka_unit_test(test_R02_H13_syn_table_syn_rcvd_request),
		cmocka_unit_test(test_R03_ack_table_established),
		cmocka_unit_test(test_R03_ack_table_fin_wait_1),
		cmocka_unit_test(test_R03_ack_table_fin_wait_2),
		cmocka_unit_test(test_R03_ack_table_close_wait),
		cmocka_unit_test(test_R03_ack_table_closing),
		cmocka_unit_test(test_R03_ack_table_last_ack),
		cmocka_unit_test(test_R03_ack_table_syn_rcvd_request),
		cmocka_unit_test(test_R03_ack_table_syn_rcvd_simopen),
		cmocka_unit_test(test_R03_ack_table_time_wait),
		cmocka_unit_test(test_W04_H11_ack_table_syn_sent),
		cmocka_unit_test(test_R04_rst_table_syn_sent),
		cmocka_unit_test(test_R05_T09_timestamp_table_established),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
