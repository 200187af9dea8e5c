/* Initial sequence numbers, RFC 6528 section 3:
 *     ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
 * M is a timer that ticks every 4 microseconds (RFC 793's clock, kept by
 * RFC 6528), F a keyed PRF: SipHash-2-4 under a per-stack secret drawn from
 * the seeded random source.  Different 4-tuples get unrelated sequence spaces
 * and an observer of one connection learns nothing about another's ISN,
 * while one 4-tuple's successive ISNs still advance with the clock, which
 * keeps new incarnations above old segments (RFC 9293 3.4.1).  A SYN accepted
 * from TIME_WAIT does not come here: its ISS is the entry's (timewait.c). */
#include "tcp/tcp.h"

uint32_t tcp_isn(const struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
	uint64_t f = siphash24_u32x4(&st->tcp.isn_key, laddr, raddr, ((uint32_t)lport << 16) | rport, 0);
	uint32_t m = (uint32_t)(st->now / 4u);
	return (uint32_t)f + m;
}

/* RFC 7323 5.4 / Linux (secure_tcp_ts_off): a per-address-pair offset, so one
 * pair's clock stays monotonic across incarnations while revealing nothing
 * else.  Recomputable, so request entries and SYN cookies need not store it. */
uint32_t tcp_ts_offset(const struct synack_stack *st, uint32_t laddr, uint32_t raddr)
{
	return (uint32_t)siphash24_u32x4(&st->tcp.isn_key, laddr, raddr, 0, 1);
}
