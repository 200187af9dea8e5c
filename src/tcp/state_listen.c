/* LISTEN (RFC 9293 3.10.7.2): a SYN makes a request entry and a SYN+ACK (or,
 * when the SYN queue is full, a SYN cookie and no state at all); an ACK for
 * nothing gets a reset unless it carries a valid cookie; a RST is ignored.
 * The checks and counters follow Linux's tcp_conn_request. */
#include "tcp/tcp.h"

/* Linux's TCP_SYNCOOKIE_VALID: ACKs are checked for cookies only while
 * cookies sent in the last two minutes may still come back, so an attacker
 * cannot guess at cookies when none were sent. */
#define COOKIE_VALID SYNACK_SEC(120)

/* SPEC L05: at most syn_rate_per_src SYNs per source address per second.
 * One slot per hash bucket (keyed, so sources cannot be aimed at a slot); a
 * new source takes over a slot, which errs on the side of letting SYNs in. */
static bool syn_rate_limited(struct synack_stack *st, uint32_t src)
{
	if (st->cfg.syn_rate_per_src == 0)
		return false;
	uint32_t h = (uint32_t)siphash24_u32x4(&st->tcp.hash_key, src, 0, 0, 2) % SYN_RATE_SLOTS;
	struct syn_rate *s = &st->tcp.syn_rate[h];
	uint32_t now_ms = (uint32_t)(st->now / 1000u);
	if (s->addr != src || s->count == 0 || now_ms - s->start_ms >= 1000u) {
		s->addr = src;
		s->start_ms = now_ms;
		s->count = 0;
	}
	return ++s->count > st->cfg.syn_rate_per_src;
}

static void send_cookie(struct synack_stack *st, struct tcb *l, const struct synack_ipv4 *ip,
                        const struct synack_tcp_seg *seg)
{
	struct reqsk r;
	uint32_t tsval;
	tcp_req_from_syn(st, &r, ip, seg);
	tcp_cookie_make(st, &r, &tsval);
	tcp_send_synack(st, &r, tsval);
	CTR_INC(st, TcpExtSyncookiesSent);
	l->cookie_at = st->now ? st->now : 1;
}

/* tw_isn (nonzero): the SYN was accepted from TIME_WAIT and must get this
 * ISS, above the old incarnation's sequence space (RFC 1122 4.2.2.13 (1)).
 * A cookie ISS is a hash and could fall anywhere, so, as Linux's
 * tcp_conn_request (want_cookie only when !isn), such a SYN never gets one:
 * it takes a request entry whatever the queue's length, or is dropped if
 * none is free. */
static void listen_syn(struct synack_stack *st, struct tcb *l, const struct synack_ipv4 *ip,
                       const struct synack_tcp_seg *seg, uint32_t tw_isn)
{
	if (syn_rate_limited(st, ip->src)) {
		CTR_INC(st, SynackTcpSynRateLimited);
		CTR_INC(st, TcpExtListenDrops);
		return;
	}
	bool want_cookie = false;
	if (!tw_isn && (st->cfg.syncookies == 2 || l->synq_len >= st->cfg.max_syn_backlog || !st->tcp.req_free)) {
		if (!st->cfg.syncookies) {
			CTR_INC(st, TcpExtTCPReqQFullDrop);
			CTR_INC(st, TcpExtListenDrops);
			return;
		}
		want_cookie = true;
		CTR_INC(st, TcpExtTCPReqQFullDoCookies);
	}
	if (tcp_accept_queue_full(l)) {
		CTR_INC(st, TcpExtListenOverflows);
		CTR_INC(st, TcpExtListenDrops);
		return;
	}
	if (want_cookie)
		send_cookie(st, l, ip, seg);
	else if (!tcp_req_create(st, l, ip, seg, tw_isn))
		CTR_INC(st, TcpExtListenDrops); /* only with tw_isn: the pool was checked */
}

/* An ACK with no request: a returning SYN cookie, or a reset. */
static void listen_ack(struct synack_stack *st, struct tcb *l, const struct synack_ipv4 *ip,
                       const struct synack_tcp_seg *seg)
{
	bool cookies_out = st->cfg.syncookies == 2 || (l->cookie_at && st->now - l->cookie_at < COOKIE_VALID);
	if (st->cfg.syncookies && cookies_out) {
		struct reqsk r;
		if (!tcp_cookie_check(st, ip, seg, &r)) {
			CTR_INC(st, TcpExtSyncookiesFailed); /* and reset, as any stray ACK */
		} else {
			CTR_INC(st, TcpExtSyncookiesRecv);
			if (tcp_accept_queue_full(l)) {
				CTR_INC(st, TcpExtListenOverflows);
				CTR_INC(st, TcpExtListenDrops);
				return;
			}
			l->synq_len++; /* half-open until the ACK below completes it */
			struct tcb *c = tcp_req_promote(st, l, &r);
			if (!c) {
				l->synq_len--;
				CTR_INC(st, TcpExtListenDrops);
				return;
			}
			c->state = SYNACK_LISTEN; /* the trace shows the request it never kept */
			tcb_set_state(st, c, SYNACK_SYN_RCVD);
			tcp_input_synchronized(st, c, seg); /* data on this ACK is kept */
			return;
		}
	}
	tcp_reset_reply(st, ip, seg); /* <SEQ=SEG.ACK><CTL=RST> */
}

void tcp_input_listen(struct synack_stack *st, struct tcb *l, const struct synack_ipv4 *ip,
                      const struct synack_tcp_seg *seg, uint32_t tw_isn)
{
	if (seg->flags & SYNACK_TCP_RST)
		return;
	if (seg->flags & SYNACK_TCP_ACK) {
		listen_ack(st, l, ip, seg);
		return;
	}
	if (!(seg->flags & SYNACK_TCP_SYN)) {
		CTR_INC(st, TcpExtListenDrops);
		return;
	}
	listen_syn(st, l, ip, seg, tw_isn);
}

/* SYN_RCVD -> ESTABLISHED on a passive open: the connection joins its
 * listener's accept queue.  If the queue is full the ACK is dropped and the
 * connection stays half-open, as Linux does (tcp_abort_on_overflow = 0):
 * the client will retransmit or send data, and that completes it later. */
bool tcp_passive_established(struct synack_stack *st, struct tcb *c)
{
	struct tcb *l = c->parent;
	if (l && tcp_accept_queue_full(l)) {
		CTR_INC(st, TcpExtListenOverflows);
		CTR_INC(st, TcpExtListenDrops);
		return false;
	}
	tcb_set_state(st, c, SYNACK_ESTABLISHED);
	if (!l)
		return true;
	l->synq_len--;
	c->qnext = NULL;
	if (l->aq_tail)
		l->aq_tail->qnext = c;
	else
		l->aq_head = c;
	l->aq_tail = c;
	l->aq_len++;
	c->flags |= TF_IN_AQ;
	tcp_listener_trace(st, l);
	tcb_notify(st, l);
	return true;
}
