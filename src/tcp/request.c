/* Request entries: the SYN queue of a listener (SPEC L01, L06, H07, H13).
 *
 * A SYN to a listener costs one 64-byte entry, not a connection: the entry
 * holds what the SYN+ACK and the final ACK need.  On that ACK the entry is
 * promoted to a full connection (struct tcb) and joins the accept queue.
 *
 * Timers without a wheel slot per entry: an entry at backoff level k (k
 * SYN+ACK timeouts so far) waits min(rto_initial << k, rto_max), the same for
 * every entry of that level, so a FIFO per level is in deadline order.  One
 * wheel slot serves them all; arming, cancelling and expiring are O(1) per
 * entry plus O(levels) per timer event, never a scan. */
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp.h"

/* DESIGN.md: a request entry costs at most 64 bytes. */
_Static_assert(sizeof(struct reqsk) <= 64, "request entries must stay compact");

static uint32_t levels(const struct synack_stack *st)
{
	return (uint32_t)st->cfg.synack_retries + 1u;
}

static uint32_t req_index(const struct synack_stack *st, const struct reqsk *r)
{
	return (uint32_t)(r - st->tcp.reqs) + 1u;
}

static struct reqsk *req_at(const struct synack_stack *st, uint32_t idx)
{
	return idx ? &st->tcp.reqs[idx - 1u] : NULL;
}

static uint32_t now32(const struct synack_stack *st)
{
	return (uint32_t)st->now;
}

/* RFC 6298 2.1 and Linux's reqsk timer: 1 s, 2 s, 4 s ... capped at rto_max. */
static uint32_t level_timeout_us(const struct synack_stack *st, uint32_t level)
{
	uint64_t ms = st->cfg.rto_initial_ms;
	for (uint32_t i = 0; i < level && ms < st->cfg.rto_max_ms; i++)
		ms <<= 1;
	if (ms > st->cfg.rto_max_ms)
		ms = st->cfg.rto_max_ms;
	return (uint32_t)(ms * 1000u);
}

/* The absolute deadline of r; sent_us keeps only 32 bits (71 minutes), far
 * more than the longest level timeout. */
static synack_time_t req_deadline(const struct synack_stack *st, const struct reqsk *r)
{
	uint32_t due = r->sent_us + level_timeout_us(st, r->retries);
	int32_t left = (int32_t)(due - now32(st));
	return left <= 0 ? st->now : st->now + (uint32_t)left;
}

static void fifo_push(struct synack_stack *st, struct reqsk *r)
{
	uint32_t *q = st->tcp.req_fifo[r->retries];
	uint32_t idx = req_index(st, r);
	r->qnext = 0;
	r->qprev = q[1];
	if (q[1])
		req_at(st, q[1])->qnext = idx;
	else
		q[0] = idx;
	q[1] = idx;
}

static void fifo_unlink(struct synack_stack *st, struct reqsk *r)
{
	uint32_t *q = st->tcp.req_fifo[r->retries];
	if (r->qprev)
		req_at(st, r->qprev)->qnext = r->qnext;
	else
		q[0] = r->qnext;
	if (r->qnext)
		req_at(st, r->qnext)->qprev = r->qprev;
	else
		q[1] = r->qprev;
	r->qnext = r->qprev = 0;
}

/* Arms the shared slot no later than at. */
static void timer_note(struct synack_stack *st, synack_time_t at)
{
	struct wheel_timer *wt = &st->tcp.req_timer.wt;
	if (!wheel_timer_armed(wt) || at < st->tcp.req_timer_at) {
		st->tcp.req_timer_at = at;
		stack_timer_arm(st, &st->tcp.req_timer, at);
	}
}

static void timer_rearm(struct synack_stack *st)
{
	synack_time_t at = SYNACK_TIME_NEVER;
	for (uint32_t k = 0; k < levels(st); k++) {
		struct reqsk *h = req_at(st, st->tcp.req_fifo[k][0]);
		if (h) {
			synack_time_t d = req_deadline(st, h);
			if (d < at)
				at = d;
		}
	}
	stack_timer_cancel(st, &st->tcp.req_timer);
	if (at != SYNACK_TIME_NEVER) {
		st->tcp.req_timer_at = at;
		stack_timer_arm(st, &st->tcp.req_timer, at);
	}
}

static struct tcb *req_listener(const struct synack_stack *st, const struct reqsk *r)
{
	return &st->tcp.pool[r->listener];
}

static void req_trace_state(struct synack_stack *st, const struct reqsk *r, enum synack_tcp_state from,
                            enum synack_tcp_state to)
{
	struct synack_trace ev = {.kind = SYNACK_TRACE_STATE, .sock = -1, .old_state = from, .new_state = to,
	                          .laddr = r->sk.laddr, .raddr = r->sk.raddr, .lport = r->sk.lport,
	                          .rport = r->sk.rport};
	stack_trace(st, &ev);
}

void tcp_listener_trace(struct synack_stack *st, struct tcb *l)
{
	if (!st->hooks.trace)
		return;
	struct synack_trace ev = {.kind = SYNACK_TRACE_QUEUE, .sock = l->sock, .laddr = l->sk.laddr,
	                          .lport = l->sk.lport, .synq_len = l->synq_len, .acceptq_len = l->aq_len,
	                          .backlog = l->backlog};
	stack_trace(st, &ev);
}

/* Takes r out of the hash, its FIFO and its listener's SYN queue, and back
 * to the pool.  `to` is the state the trace shows it leaving for, or
 * SYN_RCVD when it lives on as a full connection (no state change). */
static void req_release(struct synack_stack *st, struct reqsk *r, enum synack_tcp_state to)
{
	fifo_unlink(st, r);
	sk_unhash(st, &r->sk);
	if (to != SYNACK_SYN_RCVD) {
		struct tcb *l = req_listener(st, r);
		if (l->synq_len > 0)
			l->synq_len--;
		/* RFC 1213 tcpAttemptFails: SYN_RCVD -> CLOSED or LISTEN. */
		CTR_INC(st, TcpAttemptFails);
		req_trace_state(st, r, SYNACK_SYN_RCVD, to);
		tcp_listener_trace(st, l);
	}
	r->sk.kind = SK_UNUSED;
	r->qnext = st->tcp.req_free;
	st->tcp.req_free = req_index(st, r);
}

static uint32_t ts_now_for(const struct synack_stack *st, const struct reqsk *r)
{
	return (uint32_t)(st->now / 1000u) + tcp_ts_offset(st, r->sk.laddr, r->sk.raddr);
}

/* A SYN+ACK sent again (timer, retransmitted SYN, or an answer to an
 * unacceptable segment): counted as Linux counts tcp_rtx_synack. */
static void req_resend(struct synack_stack *st, struct reqsk *r)
{
	CTR_INC(st, TcpExtTCPSynRetrans);
	CTR_INC(st, TcpRetransSegs);
	r->opts |= RQ_RESENT;
	r->sent_us = now32(st);
	tcp_send_synack(st, r, ts_now_for(st, r));
}

static void req_timer_fire(struct synack_stack *st, struct stack_timer *timer)
{
	(void)timer;
	for (uint32_t k = 0; k < levels(st); k++) {
		struct reqsk *r;
		while ((r = req_at(st, st->tcp.req_fifo[k][0])) != NULL && req_deadline(st, r) <= st->now) {
			CTR_INC(st, TcpExtTCPTimeouts);
			if (r->retries >= st->cfg.synack_retries) {
				CTR_INC(st, SynackTcpReqTimeouts); /* SPEC H07: the entry is gone */
				req_release(st, r, SYNACK_CLOSED);
				continue;
			}
			fifo_unlink(st, r);
			r->retries++;
			req_resend(st, r);
			fifo_push(st, r); /* deadline now + a longer timeout: not seen again this pass */
		}
	}
	timer_rearm(st);
}

int tcp_req_init(struct synack_stack *st)
{
	struct tcp_tables *tt = &st->tcp;
	uint32_t n = st->cfg.max_syn_backlog;
	tt->reqs = calloc(n, sizeof(struct reqsk));
	tt->req_fifo = calloc(levels(st), sizeof(*tt->req_fifo));
	tt->syn_rate = calloc(SYN_RATE_SLOTS, sizeof(struct syn_rate));
	if (!tt->reqs || !tt->req_fifo || !tt->syn_rate)
		return -1;
	for (uint32_t i = n; i-- > 0;) {
		tt->reqs[i].sk.kind = SK_UNUSED;
		tt->reqs[i].qnext = tt->req_free;
		tt->req_free = i + 1u;
	}
	tt->req_timer.fire = req_timer_fire;
	return 0;
}

void tcp_req_free_all(struct synack_stack *st)
{
	free(st->tcp.reqs);
	free(st->tcp.req_fifo);
	free(st->tcp.syn_rate);
}

void tcp_req_key(struct reqsk *r, const struct synack_ipv4 *ip, const struct synack_tcp_seg *seg)
{
	memset(r, 0, sizeof(*r));
	r->sk.kind = SK_REQ;
	r->sk.laddr = ip->dst;
	r->sk.raddr = ip->src;
	r->sk.lport = seg->dport;
	r->sk.rport = seg->sport;
}

void tcp_req_from_syn(struct synack_stack *st, struct reqsk *r, const struct synack_ipv4 *ip,
                      const struct synack_tcp_seg *seg)
{
	tcp_req_key(r, ip, seg);
	r->irs = seg->seq;
	tcp_syn_options(st, seg, r);
	/* RFC 3168 6.1.1: a SYN with ECE and CWR asks for ECN. */
	if ((seg->flags & (SYNACK_TCP_ECE | SYNACK_TCP_CWR)) == (SYNACK_TCP_ECE | SYNACK_TCP_CWR))
		r->opts |= RQ_ECN;
}

struct reqsk *tcp_req_create(struct synack_stack *st, struct tcb *l, const struct synack_ipv4 *ip,
                             const struct synack_tcp_seg *seg, uint32_t iss)
{
	struct reqsk *r = req_at(st, st->tcp.req_free);
	if (!r)
		return NULL;
	st->tcp.req_free = r->qnext;
	tcp_req_from_syn(st, r, ip, seg);
	r->iss = iss ? iss : tcp_isn(st, r->sk.laddr, r->sk.lport, r->sk.raddr, r->sk.rport);
	r->listener = (uint32_t)l->sock;
	r->sent_us = now32(st);
	sk_hash(st, &r->sk);
	fifo_push(st, r);
	l->synq_len++;
	req_trace_state(st, r, SYNACK_LISTEN, SYNACK_SYN_RCVD);
	tcp_listener_trace(st, l);
	tcp_send_synack(st, r, ts_now_for(st, r));
	timer_note(st, req_deadline(st, r));
	return r;
}

/* The window our SYN+ACK advertised (never scaled: RFC 7323 2.2). */
static uint32_t synack_window(const struct synack_stack *st)
{
	return st->cfg.rmem > 65535u ? 65535u : st->cfg.rmem;
}

/* The ACK RFC 9293 3.10.7.4 asks of SYN-RECEIVED for an unacceptable
 * segment: <SEQ=ISS+1><ACK=RCV.NXT><CTL=ACK>, as Linux's
 * tcp_v4_reqsk_send_ack.  Not a SYN, so its window is scaled, rounded up
 * so the right edge the SYN+ACK showed does not move left. */
static void req_send_ack(struct synack_stack *st, const struct reqsk *r)
{
	struct synack_tcp_seg s;
	memset(&s, 0, sizeof(s));
	s.sport = r->sk.lport;
	s.dport = r->sk.rport;
	s.seq = r->iss + 1u;
	s.ack = r->irs + 1u;
	s.flags = SYNACK_TCP_ACK;
	uint8_t shift = (r->opts & RQ_WSCALE) ? tcp_choose_wscale(st->cfg.rmem) : 0;
	s.window = (uint16_t)((synack_window(st) + (1u << shift) - 1u) >> shift);
	if (r->opts & RQ_TS) {
		s.opt.present = SYNACK_OPT_TS;
		s.opt.ts_val = ts_now_for(st, r);
		s.opt.ts_ecr = r->ts_recent;
	}
	tcp_xmit_bare(st, r->sk.laddr, r->sk.raddr, &s);
}

/* The answer to a retransmitted SYN (the SYN+ACK again, and the entry's
 * timer restarts, as Linux's inet_rtx_syn_ack and mod_timer_pending in
 * tcp_check_req) or to an unacceptable segment (an ACK): at most one per
 * invalid_ratelimit (Linux: tcp_oow_rate_limited on the request,
 * TCPACKSkippedSynRecv). */
static void req_answer(struct synack_stack *st, struct reqsk *r, bool synack)
{
	if ((r->opts & RQ_ANSWERED) && now32(st) - r->answered_us < st->cfg.invalid_ratelimit_ms * 1000u) {
		CTR_INC(st, TcpExtTCPACKSkippedSynRecv);
		return;
	}
	r->opts |= RQ_ANSWERED;
	r->answered_us = now32(st);
	if (!synack) {
		req_send_ack(st, r);
		return;
	}
	fifo_unlink(st, r);
	req_resend(st, r);
	fifo_push(st, r);
}


/* RFC 9293 3.10.7.4 for a request in SYN_RCVD: the sequence check, RST, SYN,
 * then the ACK that completes the handshake. */
void tcp_input_req(struct synack_stack *st, struct reqsk *r, const struct synack_tcp_seg *seg)
{
	uint32_t rcv_nxt = r->irs + 1u, wnd = synack_window(st), len = synack_tcp_seg_len(seg);
	/* RFC 7323 5.3 R1 first, as Linux's tcp_check_req: the connection this
	 * request becomes applies PAWS with the SYN's TSval, so an ACK older
	 * than it must not create one (it would be dropped there and strand a
	 * full connection in SYN_RCVD, off the accept queue).  TS.Recent was
	 * recorded with the SYN, well within 24 days. */
	bool paws = (r->opts & RQ_TS) && (seg->opt.present & SYNACK_OPT_TS) && !(seg->flags & SYNACK_TCP_RST) &&
	            tcp_paws_old(r->ts_recent, tcp_seconds(st), tcp_seconds(st), seg->opt.ts_val);
	/* Only a bare SYN is the SYN again (Linux: flg == TCP_FLAG_SYN). */
	uint8_t ctl = seg->flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK | SYNACK_TCP_RST);
	if (ctl == SYNACK_TCP_SYN && seg->seq == r->irs && !paws) {
		req_answer(st, r, true); /* SPEC H13: the SYN again; nothing new is created */
		return;
	}
	/* RFC 9293 table 6; a RST counts by its sequence number alone (RFC 5961 3.2). */
	bool ok = len == 0 || (seg->flags & SYNACK_TCP_RST)
	                  ? seq_in_window(seg->seq, rcv_nxt, wnd)
	                  : seq_in_window(seg->seq, rcv_nxt, wnd) || seq_in_window(seg->seq + len - 1u, rcv_nxt, wnd);
	if (paws || !ok) {
		if (paws)
			CTR_INC(st, TcpExtPAWSEstab);
		else
			CTR_INC(st, SynackTcpInUnacceptable);
		if (!(seg->flags & SYNACK_TCP_RST))
			req_answer(st, r, false);
		return;
	}
	if (seg->flags & SYNACK_TCP_RST) {
		/* RFC 5961 3.2: only the exact RST ends it, returning the
		 * listener to LISTEN (SPEC H11); another gets a challenge. */
		if (seg->seq == rcv_nxt)
			req_release(st, r, SYNACK_LISTEN);
		else
			req_answer(st, r, false);
		return;
	}
	if (seg->flags & SYNACK_TCP_SYN) {
		/* RFC 9293 3.10.7.4 fourth: a passive SYN_RCVD returns to LISTEN. */
		req_release(st, r, SYNACK_LISTEN);
		return;
	}
	if (!(seg->flags & SYNACK_TCP_ACK))
		return;
	if (seg->ack != r->iss + 1u) {
		struct synack_ipv4 ip = {.src = r->sk.raddr, .dst = r->sk.laddr};
		tcp_reset_reply(st, &ip, seg); /* <SEQ=SEG.ACK><CTL=RST> */
		return;
	}
	struct tcb *l = req_listener(st, r);
	if (tcp_accept_queue_full(l)) {
		/* SPEC L02: Linux drops the ACK and keeps the request, whose
		 * SYN+ACK retransmission brings the ACK again; with
		 * abort_on_overflow the client is told at once. */
		CTR_INC(st, TcpExtListenOverflows);
		CTR_INC(st, TcpExtListenDrops);
		if (st->cfg.abort_on_overflow) {
			struct synack_ipv4 ip = {.src = r->sk.raddr, .dst = r->sk.laddr};
			tcp_reset_reply(st, &ip, seg);
			req_release(st, r, SYNACK_CLOSED);
		}
		return;
	}
	if (!st->tcp.free) { /* no connection slot: as if the ACK were lost */
		CTR_INC(st, TcpExtListenDrops);
		return;
	}
	struct reqsk done = *r;
	req_release(st, r, SYNACK_SYN_RCVD);
	struct tcb *c = tcp_req_promote(st, l, &done);
	tcp_input_synchronized(st, c, seg);
}

struct tcb *tcp_req_promote(struct synack_stack *st, struct tcb *l, const struct reqsk *r)
{
	struct tcb *c = tcb_alloc(st);
	if (!c)
		return NULL;
	tcp_conn_init(st, c, r->sk.laddr, r->sk.lport, r->sk.raddr, r->sk.rport);
	c->iss = r->iss;
	c->snd_una = r->iss;
	c->snd_nxt = c->snd_max = r->iss + 1u;
	c->snd_wl1 = r->irs; /* the completing ACK (seq irs + 1) sets the window */
	c->snd_wl2 = r->iss;
	c->irs = r->irs;
	c->rcv_nxt = r->irs + 1u;
	c->rcv_adv = c->rcv_nxt + synack_window(st);
	c->rcv_wup = c->rcv_nxt;
	tcp_apply_options(st, c, r);
	/* Karn: a resent SYN+ACK gives no clock sample (timestamps still do). */
	c->retries = (r->opts & RQ_RESENT) ? 1u : 0u;
	c->rtt_start = st->now - (uint32_t)(now32(st) - r->sent_us);
	c->parent = l;
	c->flags |= TF_PASSIVE | (l->flags & TF_NODELAY);
	c->state = SYNACK_SYN_RCVD;
	tcb_bind_port(st, c, r->sk.lport);
	sk_hash(st, &c->sk);
	CTR_INC(st, TcpPassiveOpens); /* Linux counts a child when it is created */
	return c;
}

void tcp_req_purge(struct synack_stack *st, struct tcb *l)
{
	for (uint32_t i = 0; i < st->cfg.max_syn_backlog && l->synq_len > 0; i++) {
		struct reqsk *r = &st->tcp.reqs[i];
		if (r->sk.kind == SK_REQ && r->listener == (uint32_t)l->sock)
			req_release(st, r, SYNACK_CLOSED);
	}
}

size_t tcp_req_foreach(const struct synack_stack *st, synack_sock_visit_fn fn, void *ctx)
{
	size_t n = 0;
	for (uint32_t i = 0; i < st->cfg.max_syn_backlog; i++) {
		const struct reqsk *r = &st->tcp.reqs[i];
		if (r->sk.kind != SK_REQ)
			continue;
		struct synack_sockinfo o;
		memset(&o, 0, sizeof(o));
		o.state = SYNACK_SYN_RCVD;
		o.laddr = r->sk.laddr;
		o.raddr = r->sk.raddr;
		o.lport = r->sk.lport;
		o.rport = r->sk.rport;
		o.timer_at = req_deadline(st, r);
		o.rto_us = level_timeout_us(st, r->retries);
		o.snd_mss = r->mss;
		o.snd_wscale = r->snd_wscale;
		o.rcv_wscale = (r->opts & RQ_WSCALE) ? tcp_choose_wscale(st->cfg.rmem) : 0;
		o.ts_ok = (r->opts & RQ_TS) != 0;
		o.sack_ok = (r->opts & RQ_SACK) != 0;
		o.iss = o.snd_una = r->iss;
		o.snd_nxt = r->iss + 1u;
		o.irs = r->irs;
		o.rcv_nxt = r->irs + 1u;
		o.rcv_wnd = synack_window(st);
		fn(ctx, -1, &o);
		n++;
	}
	return n;
}
