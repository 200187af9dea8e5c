/* IPv4 input: validate, count, and hand the payload to ICMP or TCP. */
#include "stack.h"
#include "tcp/tcp.h"

/* Each malformed kind bumps its own counter besides Linux's aggregate
 * (which the caller bumps); see SPEC W03. */
static enum synack_counter_id ip_err_counter(enum synack_wire_err e)
{
	switch (e) {
	case SYNACK_WIRE_IP_TRUNCATED: return SYNACK_CTR_IpExtInTruncatedPkts;
	case SYNACK_WIRE_IP_VERSION: return SYNACK_CTR_SynackIpInBadVersion;
	case SYNACK_WIRE_IP_HDRLEN: return SYNACK_CTR_SynackIpInBadHdrLen;
	case SYNACK_WIRE_IP_TOTLEN: return SYNACK_CTR_SynackIpInBadTotLen;
	case SYNACK_WIRE_IP_CSUM: return SYNACK_CTR_IpExtInCsumErrors;
	case SYNACK_WIRE_IP_FRAGMENT: return SYNACK_CTR_IpReasmReqds;
	default: return SYNACK_CTR_SynackIpInOptDrops;
	}
}

void synack_input(struct synack_stack *st, const uint8_t *pkt, size_t len, synack_time_t now)
{
	stack_set_now(st, now);
	struct synack_trace ev = {.kind = SYNACK_TRACE_PKT_IN, .pkt = pkt, .len = len};
	stack_trace(st, &ev);
	CTR_INC(st, IpInReceives);

	struct synack_ipv4 ip;
	enum synack_wire_err e = synack_ipv4_parse(pkt, len, &ip);
	if (e != SYNACK_WIRE_OK) {
		/* Linux counts truncation apart; the rest are header errors.  A
		 * fragment is not an error, but we do not reassemble. */
		if (e != SYNACK_WIRE_IP_TRUNCATED && e != SYNACK_WIRE_IP_FRAGMENT)
			CTR_INC(st, IpInHdrErrors);
		stack_drop(st, ip_err_counter(e), pkt, len);
		return;
	}
	if (ip.dst != st->cfg.addr) {
		stack_drop(st, SYNACK_CTR_IpInAddrErrors, pkt, len);
		return;
	}
	/* RFC 1122 3.2.1.3: a datagram whose source is 0, a broadcast or
	 * multicast address, or ourselves is silently discarded (Linux: a
	 * martian source); answering it would reflect onto a group. */
	if (ip.src == 0 || (ip.src >> 28) >= 14 || ip.src == st->cfg.addr) {
		stack_drop(st, SYNACK_CTR_SynackIpInMartianSrc, pkt, len);
		return;
	}
	switch (ip.proto) {
	case SYNACK_IPPROTO_ICMP:
		CTR_INC(st, IpInDelivers);
		icmp_input(st, &ip, pkt, len);
		break;
	case SYNACK_IPPROTO_TCP:
		CTR_INC(st, IpInDelivers);
		tcp_input(st, &ip, pkt, len);
		break;
	default:
		stack_drop(st, SYNACK_CTR_IpInUnknownProtos, pkt, len);
		break;
	}
	tcp_flush_events(st);
}
