/* ICMP: answer echo requests (RFC 792, RFC 1122 3.2.2.6) and report replies. */
#include <errno.h>

#include "stack.h"

static void icmp_send_echo(struct synack_stack *st, uint32_t dst, uint8_t type, uint16_t id, uint16_t seq,
                           const uint8_t *data, size_t data_len)
{
	struct synack_ipv4 ip;
	stack_ip_out(st, &ip, dst, SYNACK_IPPROTO_ICMP);
	struct synack_icmp msg = {.type = type, .id = id, .seq = seq, .data = data, .data_len = data_len};
	size_t n = synack_icmp_echo_build(st->txbuf, sizeof(st->txbuf), &ip, &msg);
	if (n == 0)
		return;
	CTR_INC(st, IcmpOutMsgs);
	if (type == SYNACK_ICMP_ECHO_REPLY)
		CTR_INC(st, IcmpOutEchoReps);
	else
		CTR_INC(st, IcmpOutEchos);
	stack_tx(st, n);
}

void icmp_input(struct synack_stack *st, const struct synack_ipv4 *ip, const uint8_t *pkt, size_t len)
{
	CTR_INC(st, IcmpInMsgs);
	struct synack_icmp msg;
	enum synack_wire_err e = synack_icmp_parse(ip->payload, ip->payload_len, &msg);
	if (e != SYNACK_WIRE_OK) {
		CTR_INC(st, IcmpInErrors);
		stack_drop(st, e == SYNACK_WIRE_ICMP_CSUM ? SYNACK_CTR_IcmpInCsumErrors : SYNACK_CTR_IcmpInErrors,
		           pkt, len);
		return;
	}
	if (msg.type == SYNACK_ICMP_ECHO_REQUEST && msg.code == 0) {
		CTR_INC(st, IcmpInEchos);
		if (!st->cfg.icmp_echo_ignore_all)
			icmp_send_echo(st, ip->src, SYNACK_ICMP_ECHO_REPLY, msg.id, msg.seq, msg.data, msg.data_len);
	} else if (msg.type == SYNACK_ICMP_ECHO_REPLY && msg.code == 0) {
		CTR_INC(st, IcmpInEchoReps);
		struct synack_trace ev = {.kind = SYNACK_TRACE_ECHO_REPLY, .pkt = pkt, .len = len,
		                          .peer = ip->src, .echo_id = msg.id, .echo_seq = msg.seq};
		stack_trace(st, &ev);
	}
}

int synack_ping(struct synack_stack *st, uint32_t dst, uint16_t id, uint16_t seq, const void *data,
                size_t len, synack_time_t now)
{
	if (!st || (len > 0 && !data) || dst == 0)
		return -EINVAL;
	if (len + SYNACK_IPV4_HDR_LEN + 8 > st->cfg.mtu)
		return -EMSGSIZE;
	stack_set_now(st, now);
	icmp_send_echo(st, dst, SYNACK_ICMP_ECHO_REQUEST, id, seq, data, len);
	return 0;
}
