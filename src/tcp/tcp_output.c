/* TCP output: building segments and deciding what may be sent. */
#include <string.h>

#include "tcp/tcp.h"

/* Our TSval clock ticks at 1 kHz like Linux's, from a per-connection
 * random offset (RFC 7323 5.4 allows any monotonic clock; the offset keeps
 * one connection's clock from revealing another's). */
uint32_t tcp_ts_now(const struct synack_stack *st, const struct tcb *t)
{
	return (uint32_t)(st->now / 1000u) + t->ts_offset;
}

/* The window to advertise.  Receiver-side silly window avoidance (RFC 9293
 * 3.8.6.2.2): the right edge moves only when it can move by at least
 * min(buffer / 2, MSS); it never moves left (3.8.6). */
uint32_t tcp_rcv_window(const struct tcb *t)
{
	uint32_t avail = ring_free(&t->rcv);
	uint32_t max = (uint32_t)65535u << (tcb_has(t, TF_WSCALE) ? t->rcv_wscale : 0);
	if (avail > max)
		avail = max;
	uint32_t cur = tcb_adv_left(t);
	uint32_t step = t->rcv.cap / 2 < t->snd_mss ? t->rcv.cap / 2 : t->snd_mss;
	if (avail > cur && avail - cur < step)
		return cur;
	return avail > cur ? avail : cur;
}

/* The 16-bit window field for a shift of `shift`.  Shifting drops the low
 * bits, which could pull the right edge left of what we advertised before
 * (RFC 9293 3.8.6, RFC 1122 4.2.2.16: it must not move left); then the
 * edge we advertised is rounded up to the scale's unit instead, as Linux's
 * tcp_select_window does. */
static uint16_t window_field(const struct tcb *t, uint8_t shift)
{
	uint32_t wnd = tcp_rcv_window(t);
	uint32_t field = wnd >> shift;
	uint32_t cur = tcb_adv_left(t);
	if (t->state != SYNACK_SYN_SENT && ((uint64_t)field << shift) < cur)
		field = (uint32_t)(((uint64_t)cur + (1u << shift) - 1u) >> shift);
	return (uint16_t)(field > 65535u ? 65535u : field);
}

/* SACK blocks a data segment can carry: 3 beside timestamps, 4 without
 * (RFC 2018 3), and no more than leave TCP_MIN_PAYLOAD bytes of data in an
 * MTU-sized packet (a tiny MTU carries fewer). */
static uint8_t sack_max_blocks(const struct synack_stack *st, const struct tcb *t)
{
	uint32_t max = tcb_has(t, TF_TS) ? 3u : SYNACK_TCP_MAX_SACK;
	int32_t room = (int32_t)st->cfg.mtu - SYNACK_IPV4_HDR_LEN - SYNACK_TCP_HDR_LEN -
	               (tcb_has(t, TF_TS) ? TCP_TS_OPT_SPACE : 0) - TCP_MIN_PAYLOAD - 4;
	uint32_t fit = room > 0 ? (uint32_t)room / 8u : 0u;
	return (uint8_t)(fit < max ? fit : max);
}

/* The payload a data segment may carry now: snd_mss already leaves room for
 * timestamps; SACK blocks, while out-of-order data waits, take theirs too,
 * so no segment exceeds the MTU (Linux's tcp_current_mss). */
uint32_t tcp_current_mss(const struct synack_stack *st, const struct tcb *t)
{
	uint32_t opt = 0;
	if (tcb_has(t, TF_SACK) && !reass_empty(&t->reass)) {
		uint32_t max = sack_max_blocks(st, t), n = t->reass.count < max ? t->reass.count : max;
		opt = n ? 4u + 8u * n : 0u; /* NOP NOP kind len, then 8 bytes a block */
	}
	return t->snd_mss > opt + TCP_MIN_PAYLOAD ? t->snd_mss - opt : TCP_MIN_PAYLOAD;
}

static void add_syn_options(struct synack_stack *st, const struct tcb *t, struct synack_tcp_opts *o)
{
	bool synack = t->state == SYNACK_SYN_RCVD;
	o->present |= SYNACK_OPT_MSS;
	o->mss = (uint16_t)(st->cfg.mtu - SYNACK_IPV4_HDR_LEN - SYNACK_TCP_HDR_LEN);
	/* On a SYN+ACK an option is offered only if the SYN offered it (RFC 7323 1.3, 2018 2). */
	if (st->cfg.window_scaling && (!synack || tcb_has(t, TF_WSCALE))) {
		o->present |= SYNACK_OPT_WSCALE;
		o->wscale = t->rcv_wscale;
	}
	if (st->cfg.sack && (!synack || tcb_has(t, TF_SACK)))
		o->present |= SYNACK_OPT_SACK_PERM;
	if (st->cfg.timestamps && (!synack || tcb_has(t, TF_TS)))
		o->present |= SYNACK_OPT_TS;
}

/* Builds and sends one segment of t.  Payload comes from the send ring at
 * stream offset `off` (relative to snd_una).  Returns the payload bytes
 * sent: never more than fit the MTU beside the headers, whatever the caller
 * asked (callers size len by tcp_current_mss, so this bound is a second
 * wall, not the first); a FIN goes only with the whole of len. */
static uint32_t tcp_xmit(struct synack_stack *st, struct tcb *t, uint8_t flags, uint32_t seq, uint32_t off,
                         uint32_t len)
{
	struct synack_tcp_seg s;
	memset(&s, 0, sizeof(s));
	s.sport = t->sk.lport;
	s.dport = t->sk.rport;
	s.seq = seq;
	s.flags = flags;
	if (flags & SYNACK_TCP_ACK)
		s.ack = t->rcv_nxt;
	if (flags & SYNACK_TCP_SYN) {
		add_syn_options(st, t, &s.opt);
	} else if (tcb_has(t, TF_SACK) && !reass_empty(&t->reass) && sack_max_blocks(st, t) > 0) {
		/* RFC 2018 4: the first block holds the segment that arrived last. */
		s.opt.present |= SYNACK_OPT_SACK;
		s.opt.sack_count = reass_sack_blocks(&t->reass, s.opt.sack, sack_max_blocks(st, t), t->reass.recent);
	}
	if ((flags & SYNACK_TCP_SYN) ? (s.opt.present & SYNACK_OPT_TS) : tcb_has(t, TF_TS)) {
		s.opt.present |= SYNACK_OPT_TS;
		s.opt.ts_val = tcp_ts_now(st, t);
		s.opt.ts_ecr = (flags & SYNACK_TCP_ACK) ? t->ts_recent : 0;
	}
	/* RFC 7323 2.2: the window of a SYN is never scaled. */
	uint8_t shift = (flags & SYNACK_TCP_SYN) || !tcb_has(t, TF_WSCALE) ? 0 : t->rcv_wscale;
	s.window = window_field(t, shift);
	if (flags & SYNACK_TCP_ACK) {
		/* A SYN+ACK sent again after scaled ACKs cannot show more than
		 * 65535: the edge the peer was promised stands. */
		uint32_t edge = t->rcv_nxt + ((uint32_t)s.window << shift);
		if (seq_gt(edge, t->rcv_adv))
			t->rcv_adv = edge;
		t->rcv_wup = t->rcv_nxt; /* RFC 7323 4.3's Last.ACK.sent */
	}
	/* Place the payload where the builder will want it: no second copy. */
	uint8_t optbuf[SYNACK_TCP_MAX_OPT_LEN];
	size_t hdr = SYNACK_IPV4_HDR_LEN + SYNACK_TCP_HDR_LEN + synack_tcp_opts_build(optbuf, &s.opt);
	uint32_t room = st->cfg.mtu > hdr ? (uint32_t)(st->cfg.mtu - hdr) : 0u;
	if (len > room) {
		len = room;
		flags &= (uint8_t)~SYNACK_TCP_FIN;
		s.flags = flags;
	}
	if (len > 0) {
		len = ring_peek(&t->snd, off, st->txbuf + hdr, len);
		s.payload = st->txbuf + hdr;
		s.payload_len = len;
	}
	struct synack_ipv4 ip;
	stack_ip_out(st, &ip, t->sk.raddr, SYNACK_IPPROTO_TCP);
	ip.src = t->sk.laddr;
	size_t n = synack_tcp_build(st->txbuf, sizeof(st->txbuf), &ip, &s);
	if (n == 0)
		return 0;
	CTR_INC(st, TcpOutSegs);
	if (flags & SYNACK_TCP_RST)
		CTR_INC(st, TcpOutRsts);
	if (flags & SYNACK_TCP_ACK)
		t->flags &= (uint32_t)~TF_ACK_NOW;
	stack_tx(st, n);
	return len;
}

void tcp_send_ack(struct synack_stack *st, struct tcb *t)
{
	/* In SYN_RCVD too this is a plain <SEQ=ISS+1><ACK=RCV.NXT> (RFC 9293
	 * 3.10.7.4, as Linux); the SYN+ACK is resent only by its timer.
	 * SND.MAX, not SND.NXT: after a timeout pulled snd_nxt back, an ACK
	 * from below what the peer already holds would be out of its window,
	 * never read, and answered by another stale ACK (as BSD does). */
	tcp_xmit(st, t, SYNACK_TCP_ACK, t->snd_max, 0, 0);
}

/* A zero-window probe as Linux sends it: an ACK one below SND.UNA, which the
 * receiver must answer with an ACK carrying its current window (RFC 9293
 * 3.10.7.4: an unacceptable segment is answered with an ACK). */
void tcp_send_window_probe(struct synack_stack *st, struct tcb *t)
{
	uint32_t unsent = ring_len(&t->snd) - (t->snd_nxt - t->snd_una);
	if (t->snd_wnd > 0 && unsent > 0 && t->snd_nxt == t->snd_una) {
		/* The window is open but smaller than what Nagle / sender SWS
		 * avoidance wait for: the override timeout has expired, so send
		 * what fits (RFC 1122 4.2.3.4, RFC 9293 3.8.6.2.1). */
		uint32_t len = t->snd_wnd < unsent ? t->snd_wnd : unsent;
		if (len > tcp_current_mss(st, t))
			len = tcp_current_mss(st, t);
		t->flags &= ~(uint32_t)TF_PERSIST;
		t->snd_nxt += tcp_xmit(st, t, SYNACK_TCP_ACK | SYNACK_TCP_PSH, t->snd_nxt, 0, len);
		if (seq_gt(t->snd_nxt, t->snd_max))
			t->snd_max = t->snd_nxt;
		return;
	}
	CTR_INC(st, TcpExtTCPWinProbe);
	tcp_xmit(st, t, SYNACK_TCP_ACK, t->snd_una - 1, 0, 0);
}

void tcp_send_syn(struct synack_stack *st, struct tcb *t)
{
	uint8_t flags = SYNACK_TCP_SYN;
	if (t->state == SYNACK_SYN_RCVD)
		flags |= SYNACK_TCP_ACK;
	tcp_xmit(st, t, flags, t->iss, 0, 0);
	if (seq_lt(t->snd_nxt, t->iss + 1))
		t->snd_nxt = t->iss + 1;
	if (seq_lt(t->snd_max, t->snd_nxt))
		t->snd_max = t->snd_nxt;
	tcp_rexmit_start(st, t);
}

/* RFC 9293 3.10.4 ABORT: <SEQ=SND.NXT><CTL=RST>; like Linux we also carry
 * ACK=RCV.NXT so the peer can check it against its own send window.  SND.MAX,
 * not SND.NXT, as tcp_send_ack: after a timeout pulled snd_nxt back the peer
 * may hold more, and a RST below its RCV.NXT is dropped unanswered (RFC 5961
 * 3.2).  Linux's snd_nxt never moves back (tcp_send_active_reset). */
void tcp_send_rst(struct synack_stack *st, struct tcb *t)
{
	if (t->state == SYNACK_SYN_SENT) /* nothing synchronized: a RST would not be acceptable */
		return;
	tcp_xmit(st, t, SYNACK_TCP_RST | SYNACK_TCP_ACK, t->snd_max, 0, 0);
}

/* RFC 5961 3.2, 4.2, 5.2 with the per-connection rate limit Linux applies
 * (tcp_invalid_ratelimit).  Linux dropped its global challenge-ACK counter
 * because a shared counter is itself an off-path side channel (CVE-2016-5696). */
static bool invalid_rate_limited(struct synack_stack *st, struct tcb *t)
{
	synack_time_t gap = SYNACK_MS(st->cfg.invalid_ratelimit_ms);
	if (t->last_challenge != 0 && st->now - t->last_challenge < gap)
		return true;
	t->last_challenge = st->now ? st->now : 1;
	return false;
}

void tcp_send_challenge_ack(struct synack_stack *st, struct tcb *t)
{
	if (invalid_rate_limited(st, t)) {
		CTR_INC(st, TcpExtTCPACKSkippedChallenge);
		return;
	}
	CTR_INC(st, TcpExtTCPChallengeACK);
	tcp_send_ack(st, t);
}

/* The ACK RFC 9293 asks for in answer to an unacceptable segment.  When the
 * segment carries no data (a pure ACK or a SYN) two ends that disagree would
 * trade such ACKs forever, so these share the challenge-ACK rate limit, as
 * Linux's tcp_oow_rate_limited; data segments are always answered, since a
 * sender recovering from loss needs the ACK. */
void tcp_send_oow_ack(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg)
{
	if (seg->payload_len == 0 && !(seg->flags & SYNACK_TCP_FIN) && invalid_rate_limited(st, t)) {
		CTR_INC(st, TcpExtTCPACKSkippedSeq);
		return;
	}
	tcp_send_ack(st, t);
}

void tcp_xmit_bare(struct synack_stack *st, uint32_t src, uint32_t dst, const struct synack_tcp_seg *s)
{
	struct synack_ipv4 ip;
	stack_ip_out(st, &ip, dst, SYNACK_IPPROTO_TCP);
	ip.src = src;
	size_t n = synack_tcp_build(st->txbuf, sizeof(st->txbuf), &ip, s);
	if (n == 0)
		return;
	CTR_INC(st, TcpOutSegs);
	if (s->flags & SYNACK_TCP_RST)
		CTR_INC(st, TcpOutRsts);
	stack_tx(st, n);
}

/* RFC 9293 3.10.7.1: the answer to a segment for no connection.  An ACK
 * names the sequence the sender expects; without one we acknowledge
 * everything the segment occupied so the sender can match it. */
void tcp_reset_reply(struct synack_stack *st, const struct synack_ipv4 *ip, const struct synack_tcp_seg *seg)
{
	if (seg->flags & SYNACK_TCP_RST)
		return;
	struct synack_tcp_seg r;
	memset(&r, 0, sizeof(r));
	r.sport = seg->dport;
	r.dport = seg->sport;
	if (seg->flags & SYNACK_TCP_ACK) {
		r.seq = seg->ack;
		r.flags = SYNACK_TCP_RST;
	} else {
		r.ack = seg->seq + synack_tcp_seg_len(seg);
		r.flags = SYNACK_TCP_RST | SYNACK_TCP_ACK;
	}
	tcp_xmit_bare(st, ip->dst, ip->src, &r);
}

/* The SYN+ACK of a request entry (or of a SYN cookie, which has no entry at
 * all): it offers only what the SYN offered (RFC 7323 1.3, RFC 2018 2). */
void tcp_send_synack(struct synack_stack *st, const struct reqsk *r, uint32_t tsval)
{
	struct synack_tcp_seg s;
	memset(&s, 0, sizeof(s));
	s.sport = r->sk.lport;
	s.dport = r->sk.rport;
	s.seq = r->iss;
	s.ack = r->irs + 1;
	s.flags = SYNACK_TCP_SYN | SYNACK_TCP_ACK;
	s.window = (uint16_t)(st->cfg.rmem > 65535u ? 65535u : st->cfg.rmem); /* never scaled (RFC 7323 2.2) */
	s.opt.present = SYNACK_OPT_MSS;
	s.opt.mss = (uint16_t)(st->cfg.mtu - SYNACK_IPV4_HDR_LEN - SYNACK_TCP_HDR_LEN);
	if (r->opts & RQ_WSCALE) {
		s.opt.present |= SYNACK_OPT_WSCALE;
		s.opt.wscale = tcp_choose_wscale(st->cfg.rmem);
	}
	if (r->opts & RQ_SACK)
		s.opt.present |= SYNACK_OPT_SACK_PERM;
	if (r->opts & RQ_TS) {
		s.opt.present |= SYNACK_OPT_TS;
		s.opt.ts_val = tsval;
		s.opt.ts_ecr = r->ts_recent;
	}
	tcp_xmit_bare(st, r->sk.laddr, r->sk.raddr, &s);
}

/* Sender silly window avoidance and Nagle (RFC 9293 3.8.6.2.1, RFC 896):
 * send a full segment, or everything queued when nothing is in flight (or
 * Nagle is off), or at least half the largest window the peer has shown. */
static bool worth_sending(const struct tcb *t, uint32_t mss, uint32_t len, uint32_t unsent, uint32_t in_flight)
{
	if (len >= mss)
		return true;
	if (len == unsent && (in_flight == 0 || tcb_has(t, TF_NODELAY)))
		return true;
	return t->max_snd_wnd > 0 && len >= t->max_snd_wnd / 2;
}

/* Sends new (or, after a timeout pulled snd_nxt back, resent) data and the
 * FIN, as far as the peer's window and the congestion window allow. */
void tcp_output(struct synack_stack *st, struct tcb *t)
{
	if (t->state < SYNACK_ESTABLISHED || t->state == SYNACK_TIME_WAIT)
		return;
	for (;;) {
		uint32_t queued = ring_len(&t->snd);
		uint32_t off = t->snd_nxt - t->snd_una;
		if (off > queued) /* FIN already sent and not acknowledged */
			break;
		uint32_t unsent = queued - off;
		uint32_t wnd = t->snd_wnd < t->cwnd ? t->snd_wnd : t->cwnd;
		uint32_t usable = wnd > off ? wnd - off : 0;
		uint32_t len = unsent < usable ? unsent : usable;
		uint32_t mss = tcp_current_mss(st, t);
		if (len > mss)
			len = mss;
		/* The FIN goes with the last data, and again after a timeout
		 * pulled snd_nxt back; never once it is acknowledged. */
		bool fin = tcb_has(t, TF_FIN_QUEUED) && len == unsent &&
		           (!tcb_has(t, TF_FIN_SENT) || seq_lt(t->snd_nxt, t->snd_max));
		if (len > 0 && !worth_sending(t, mss, len, unsent, off) && !fin)
			break;
		if (len == 0 && !fin)
			break;
		uint8_t flags = SYNACK_TCP_ACK;
		if (len > 0 && len == unsent)
			flags |= SYNACK_TCP_PSH; /* the last segment of what the application wrote */
		if (fin)
			flags |= SYNACK_TCP_FIN;
		bool resend = seq_lt(t->snd_nxt, t->snd_max);
		if (resend)
			CTR_INC(st, TcpRetransSegs);
		else if (!tcb_has(t, TF_TS) && !tcb_has(t, TF_TIMING) && len > 0) {
			t->flags |= TF_TIMING; /* Karn: only new data is timed */
			t->rtt_seq = t->snd_nxt;
			t->rtt_start = st->now;
		}
		uint32_t sent = tcp_xmit(st, t, flags, t->snd_nxt, off, len);
		if (sent < len)
			fin = false; /* the FIN rides with the last byte only */
		if (fin)
			t->flags |= TF_FIN_SENT;
		t->snd_nxt += sent + (fin ? 1u : 0u);
		if (sent == 0 && !fin)
			break; /* nothing left the stack: the timer retries */
		if (seq_gt(t->snd_nxt, t->snd_max))
			t->snd_max = t->snd_nxt;
		tcp_rexmit_start(st, t);
		if (fin)
			break;
	}
	/* Data waits and nothing is in flight to bring an ACK: the window is
	 * shut (probe it, RFC 9293 3.8.6.1) or too small for a segment worth
	 * sending (the override timeout of RFC 1122 4.2.3.4). */
	if (t->snd_nxt == t->snd_una && ring_len(&t->snd) > 0 && t->rexmit_at == SYNACK_TIME_NEVER) {
		t->flags |= TF_PERSIST;
		tcp_rexmit_start(st, t);
	}
}
