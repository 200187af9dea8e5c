/* TCP input: validate the segment, find its connection, and hand it to the
 * handler for that connection's state (RFC 9293 3.10.7 "SEGMENT ARRIVES"). */
#include "tcp/tcp.h"

static enum synack_counter_id tcp_err_counter(enum synack_wire_err e)
{
	switch (e) {
	case SYNACK_WIRE_TCP_TRUNCATED: return SYNACK_CTR_SynackTcpInTruncated;
	case SYNACK_WIRE_TCP_DOFF_SMALL:
	case SYNACK_WIRE_TCP_DOFF_LONG: return SYNACK_CTR_SynackTcpInBadDoff;
	case SYNACK_WIRE_TCP_CSUM: return SYNACK_CTR_TcpInCsumErrors;
	default: return SYNACK_CTR_SynackTcpInBadOpt;
	}
}

void tcp_input(struct synack_stack *st, const struct synack_ipv4 *ip, const uint8_t *pkt, size_t len)
{
	CTR_INC(st, TcpInSegs);
	struct synack_tcp_seg seg;
	enum synack_wire_err e = synack_tcp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, true, &seg);
	if (e != SYNACK_WIRE_OK) {
		CTR_INC(st, TcpInErrs); /* Linux: every bad segment also counts in InErrs */
		stack_drop(st, tcp_err_counter(e), pkt, len);
		return;
	}
	/* Ports 0 and segments from a broadcast/multicast source are never a
	 * connection, and a reset must not answer them (RFC 1122 4.2.3.10). */
	if (seg.sport == 0 || seg.dport == 0 || (ip->src >> 28) >= 14) {
		stack_drop(st, SYNACK_CTR_SynackTcpInNoSocket, pkt, len);
		return;
	}
	struct sk_common *sk = sk_lookup(st, ip->dst, seg.dport, ip->src, seg.sport);
	if (sk && sk->kind == SK_REQ) {
		tcp_input_req(st, (struct reqsk *)(void *)sk, &seg);
		return;
	}
	if (sk) {
		switch (sk->kind) {
		case SK_TW:
			tcp_input_time_wait(st, sk_tw(sk), ip, &seg);
			return;
		default:
			break;
		}
		struct tcb *t = sk_tcb(sk);
		if (t->state == SYNACK_SYN_SENT)
			tcp_input_syn_sent(st, t, &seg);
		else
			tcp_input_synchronized(st, t, &seg);
		return;
	}
	struct tcb *l = tcb_lookup_listener(st, seg.dport);
	if (l) {
		tcp_input_listen(st, l, ip, &seg, 0);
		return;
	}
	/* RFC 9293 3.10.7.1: CLOSED.  Everything but a RST is answered with one. */
	stack_drop(st, SYNACK_CTR_SynackTcpInNoSocket, pkt, len);
	tcp_reset_reply(st, ip, &seg);
}
