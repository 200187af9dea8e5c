/* LISTEN (RFC 9293 3.10.7.2): a SYN makes a new connection in SYN_RCVD and
 * a SYN+ACK; an ACK for nothing gets a reset; a RST is ignored. */
#include "tcp/tcp.h"

/* Linux's test (sk_acceptq_is_full): the queue is full only when it holds
 * MORE than backlog connections, so listen(fd, N) accepts N + 1. */
static bool accept_queue_full(const struct tcb *l)
{
	return l->aq_len > l->backlog;
}

static struct tcb *new_child(struct synack_stack *st, struct tcb *l, const struct synack_ipv4 *ip,
                             const struct synack_tcp_seg *seg)
{
	if (accept_queue_full(l)) {
		CTR_INC(st, TcpExtListenOverflows);
		return NULL;
	}
	if (l->synq_len >= st->cfg.max_syn_backlog) {
		CTR_INC(st, TcpExtTCPReqQFullDrop);
		return NULL;
	}
	struct tcb *c = tcb_alloc(st);
	if (!c)
		return NULL;
	tcp_conn_init(st, c, ip->dst, seg->dport, ip->src, seg->sport);
	tcb_bind_port(st, c, seg->dport);
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1; /* the SYN's payload, if any, is not accepted (SPEC H04) */
	c->rcv_adv = c->rcv_nxt;
	c->parent = l;
	c->rtt_start = st->now;
	c->flags |= TF_PASSIVE | (l->flags & TF_NODELAY);
	c->state = SYNACK_LISTEN; /* its trace starts where the RFC's diagram does */
	tcp_negotiate(st, c, seg);
	sk_hash(st, &c->sk);
	l->synq_len++;
	return c;
}

void tcp_input_listen(struct synack_stack *st, struct tcb *l, const struct synack_ipv4 *ip,
                      const struct synack_tcp_seg *seg)
{
	if (seg->flags & SYNACK_TCP_RST)
		return;
	if (seg->flags & SYNACK_TCP_ACK) {
		tcp_reset_reply(st, ip, seg); /* <SEQ=SEG.ACK><CTL=RST> */
		return;
	}
	if (!(seg->flags & SYNACK_TCP_SYN)) {
		CTR_INC(st, TcpExtListenDrops);
		return;
	}
	struct tcb *c = new_child(st, l, ip, seg);
	if (!c) {
		CTR_INC(st, TcpExtListenDrops);
		return;
	}
	CTR_INC(st, TcpPassiveOpens);
	tcb_set_state(st, c, SYNACK_SYN_RCVD);
	tcp_send_syn(st, c);
}

/* SYN_RCVD -> ESTABLISHED on a passive open: the connection joins its
 * listener's accept queue.  If the queue is full the ACK is dropped and the
 * connection stays half-open, as Linux does (tcp_abort_on_overflow = 0):
 * the client will retransmit or send data, and that completes it later. */
bool tcp_passive_established(struct synack_stack *st, struct tcb *c)
{
	struct tcb *l = c->parent;
	if (l && accept_queue_full(l)) {
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
	tcb_notify(st, l);
	return true;
}
