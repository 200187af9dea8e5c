/* TCP input: validate the segment, then hand it to the protocol. */
#include "stack.h"

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
	stack_drop(st, SYNACK_CTR_SynackTcpInNoHandler, pkt, len);
}
