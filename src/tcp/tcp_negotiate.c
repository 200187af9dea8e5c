/* Options carried by SYN and SYN+ACK: each is used only if both ends sent
 * it (RFC 9293 3.7.1 MSS, RFC 7323 window scale and timestamps, RFC 2018
 * SACK-permitted).  Called with the peer's SYN (passive) or SYN+ACK (active)
 * once we know what we offered. */
#include "tcp/tcp.h"

/* RFC 9293 3.7.1: without an MSS option the peer takes 536 bytes. */
#define TCP_DEFAULT_MSS 536

/* The smallest shift that lets the advertised window cover the whole
 * receive buffer (RFC 7323 2.3: at most 14). */
uint8_t tcp_choose_wscale(uint32_t rmem)
{
	uint8_t s = 0;
	while (s < 14 && ((uint32_t)65535u << s) < rmem)
		s++;
	return s;
}

void tcp_syn_options(const struct synack_stack *st, const struct synack_tcp_seg *seg, struct reqsk *r)
{
	const struct synack_tcp_opts *o = &seg->opt;
	/* An MSS option of 0 is ignored, as Linux's tcp_parse_options does;
	 * every other value is clamped where it is used (tcp_peer_mss). */
	r->mss = (o->present & SYNACK_OPT_MSS) && o->mss != 0 ? o->mss : TCP_DEFAULT_MSS;
	r->opts = 0;
	r->snd_wscale = 0;
	if (st->cfg.window_scaling && (o->present & SYNACK_OPT_WSCALE)) {
		r->opts |= RQ_WSCALE;
		r->snd_wscale = o->wscale > 14 ? 14 : o->wscale; /* RFC 7323 2.3 */
	}
	if (st->cfg.sack && (o->present & SYNACK_OPT_SACK_PERM))
		r->opts |= RQ_SACK;
	r->ts_recent = 0;
	if (st->cfg.timestamps && (o->present & SYNACK_OPT_TS)) {
		r->opts |= RQ_TS;
		r->ts_recent = o->ts_val;
	}
}

/* The most payload a segment to this peer may carry (SPEC W05).  The peer's
 * MSS is a value from the wire: it is bounded before any arithmetic, in
 * signed arithmetic, as Linux's __tcp_mtu_to_mss does: never above what our
 * MTU allows (the transmit buffer holds an MTU), never below
 * tcp_min_snd_mss (48) unless the MTU itself is smaller, so a hostile tiny
 * MSS cannot make us send a segment per few bytes.  Options in every
 * segment (timestamps) then take their share (RFC 6691), as Linux's
 * tcp_mtu_to_mss subtracts them after the clamp. */
uint16_t tcp_peer_mss(const struct synack_stack *st, uint32_t peer_mss, bool timestamps)
{
	int32_t ours = (int32_t)st->cfg.mtu - SYNACK_IPV4_HDR_LEN - SYNACK_TCP_HDR_LEN;
	int32_t floor = TCP_MIN_SND_MSS < ours ? TCP_MIN_SND_MSS : ours;
	int32_t mss = peer_mss < (uint32_t)ours ? (int32_t)peer_mss : ours;
	if (mss < floor)
		mss = floor;
	if (timestamps)
		mss -= TCP_TS_OPT_SPACE;
	if (mss < TCP_MIN_PAYLOAD)
		mss = TCP_MIN_PAYLOAD; /* an MTU of 68 (RFC 791's least) still carries data */
	return (uint16_t)mss;
}

void tcp_apply_options(struct synack_stack *st, struct tcb *t, const struct reqsk *r)
{
	t->flags &= ~(uint32_t)(TF_WSCALE | TF_SACK | TF_TS);
	if (r->opts & RQ_WSCALE) {
		t->flags |= TF_WSCALE;
		t->snd_wscale = r->snd_wscale;
	} else {
		t->snd_wscale = 0;
		t->rcv_wscale = 0;
	}
	if (r->opts & RQ_SACK)
		t->flags |= TF_SACK;
	if (r->opts & RQ_TS) {
		t->flags |= TF_TS;
		t->ts_recent = r->ts_recent;
		t->ts_recent_stamp = tcp_seconds(st);
	}
	t->snd_mss = tcp_peer_mss(st, r->mss, (r->opts & RQ_TS) != 0);
	t->cwnd = 10u * t->snd_mss; /* RFC 6928 initial window, as Linux */
	t->ssthresh = UINT32_MAX;
}

void tcp_negotiate(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg)
{
	struct reqsk r;
	tcp_syn_options(st, seg, &r);
	tcp_apply_options(st, t, &r);
	/* The window of a SYN or SYN+ACK is never scaled (RFC 7323 2.2). */
	t->snd_wnd = seg->window;
	t->max_snd_wnd = t->snd_wnd;
	t->snd_wl1 = seg->seq;
	/* A bare SYN's ACK field means nothing (simultaneous open): WL2 from
	 * it would decide at random whether the SYN+ACK updates the window. */
	t->snd_wl2 = (seg->flags & SYNACK_TCP_ACK) ? seg->ack : t->iss;
}

/* Fills in what every new connection needs before its first segment. */
void tcp_conn_init(struct synack_stack *st, struct tcb *t, uint32_t laddr, uint16_t lport, uint32_t raddr,
                   uint16_t rport)
{
	t->sk.laddr = laddr;
	t->sk.lport = lport;
	t->sk.raddr = raddr;
	t->sk.rport = rport;
	t->iss = tcp_isn(st, laddr, lport, raddr, rport);
	t->snd_una = t->snd_nxt = t->snd_max = t->iss;
	t->rcv_wscale = st->cfg.window_scaling ? tcp_choose_wscale(st->cfg.rmem) : 0;
	t->snd_mss = TCP_DEFAULT_MSS;
	t->ts_offset = tcp_ts_offset(st, laddr, raddr);
}
