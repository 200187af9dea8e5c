/* What an acceptable ACK does in every synchronized state: acknowledged
 * bytes leave the send ring, the RTT estimate learns (RFC 6298), the
 * congestion window grows (RFC 5681), the peer's window is updated
 * (RFC 9293 3.10.7.4), and the retransmission timer restarts. */
#include "tcp/tcp.h"

/* The round trip an echoed timestamp measures (RFC 7323 4.1), in
 * microseconds; false when the segment gives none.  TSecr comes from the
 * wire: an echo of a time not yet reached (a broken or forged peer), or
 * one so old that it cannot be ours, gives no sample, as Linux's
 * tcp_rtt_tsopt_us; otherwise one forged TSecr would pin the RTO at its
 * ceiling (SPEC D03, W05).  A TSecr of 0 is none (RFC 7323 3.2). */
static bool ts_rtt_us(struct synack_stack *st, const struct tcb *t, const struct synack_tcp_seg *seg, uint32_t *us)
{
	if (!tcb_has(t, TF_TS) || !(seg->opt.present & SYNACK_OPT_TS) || seg->opt.ts_ecr == 0)
		return false;
	uint32_t ms = tcp_ts_now(st, t) - seg->opt.ts_ecr;
	if (ms >= INT32_MAX / 1000u) /* negative as a signed distance, or beyond ~24 days */
		return false;
	*us = ms * 1000u;
	return true;
}

/* RFC 6298 with Karn's rule; timestamps (RFC 7323 4) give a sample from
 * every ACK that advances SND.UNA, retransmitted or not. */
static void sample_rtt(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg)
{
	uint32_t us;
	if (tcb_has(t, TF_TS) && (seg->opt.present & SYNACK_OPT_TS)) {
		if (!ts_rtt_us(st, t, seg, &us))
			return;
	} else if (tcb_has(t, TF_TIMING) && seq_gt(seg->ack, t->rtt_seq)) {
		us = (uint32_t)(st->now - t->rtt_start);
		t->flags &= ~(uint32_t)TF_TIMING;
	} else {
		return;
	}
	rtt_sample(&t->rtt, us, st->cfg.rto_min_ms * 1000u, st->cfg.rto_max_ms * 1000u, 1000u);
}

/* RFC 5681 3.1: slow start below ssthresh, then about one segment per RTT.
 * The congestion-control issue replaces this with NewReno/CUBIC behind an
 * interface; everything else calls only this function. */
static void grow_cwnd(struct tcb *t, uint32_t acked)
{
	uint32_t mss = t->snd_mss;
	if (t->cwnd < t->ssthresh) {
		t->cwnd += acked < mss ? acked : mss;
	} else {
		uint32_t inc = (uint32_t)((uint64_t)mss * mss / t->cwnd);
		t->cwnd += inc ? inc : 1;
	}
	if (t->cwnd > (1u << 30))
		t->cwnd = 1u << 30;
}

/* RFC 9293 3.10.7.4: "If SND.UNA =< SEG.ACK =< SND.NXT, the send window
 * should be updated", and only from a segment newer than the last update
 * (SND.WL1, SND.WL2).  An old ACK (below SND.UNA) never touches it: its
 * window describes a receive buffer that has since moved. */
static void update_window(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg, bool advanced)
{
	if (seq_lt(seg->ack, t->snd_una))
		return;
	/* Also, as Linux's tcp_may_update_window, whenever the ACK
	 * acknowledges new data: a segment that sat ahead of RCV.NXT (out of
	 * order, or forged in the window) moves SND.WL1 past every ACK the real
	 * peer then sends from RCV.NXT, and its window would stick for good. */
	if (!advanced && !(seq_lt(t->snd_wl1, seg->seq) || (t->snd_wl1 == seg->seq && seq_leq(t->snd_wl2, seg->ack))))
		return;
	/* RFC 7323 2.2: the window of a SYN (the SYN+ACK of a simultaneous
	 * open arrives here) is never scaled; Linux's tcp_ack_update_window. */
	t->snd_wnd = (seg->flags & SYNACK_TCP_SYN) ? seg->window : (uint32_t)seg->window << t->snd_wscale;
	t->snd_wl1 = seg->seq;
	t->snd_wl2 = seg->ack;
	if (t->snd_wnd > t->max_snd_wnd)
		t->max_snd_wnd = t->snd_wnd;
	if (t->snd_wnd > 0 && tcb_has(t, TF_PERSIST)) {
		/* The window opened: stop probing and send (RFC 9293 3.8.6.1). */
		t->flags &= ~(uint32_t)TF_PERSIST;
		t->rexmit_at = SYNACK_TIME_NEVER;
		t->retries = 0;
		t->rtt.backoff = 0; /* keep the estimate, drop the probes' backoff */
		tcp_timer_update(st, t);
	}
}

void tcp_ack_advance(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg)
{
	if (tcb_has(t, TF_PERSIST) && !seq_lt(seg->ack, t->snd_una))
		t->retries = 0; /* the peer answers our probes: it is alive (an old ACK proves nothing) */
	bool advanced = seq_gt(seg->ack, t->snd_una);
	if (advanced) {
		uint32_t acked = seg->ack - t->snd_una;
		uint32_t bytes = acked < ring_len(&t->snd) ? acked : ring_len(&t->snd); /* a FIN is not a byte */
		ring_drop(&t->snd, bytes);
		t->snd_una = seg->ack;
		if (seq_lt(t->snd_nxt, t->snd_una))
			t->snd_nxt = t->snd_una;
		sample_rtt(st, t, seg);
		grow_cwnd(t, acked);
		t->retries = 0;
		/* RFC 6298 5.2 and 5.3: stop the timer when all is acknowledged,
		 * restart it when new data is. */
		t->rexmit_at = t->snd_una == t->snd_max ? SYNACK_TIME_NEVER
		                                        : st->now + rtt_rto(&t->rtt, st->cfg.rto_max_ms * 1000u);
		tcp_timer_update(st, t);
		tcb_notify(st, t);
	}
	update_window(st, t, seg, advanced);
}

/* RFC 6298 2.2: the handshake's round trip is the first sample, unless the
 * SYN (or SYN+ACK) was retransmitted and no timestamp tells which copy was
 * answered (Karn); then 5.7: the RTO after the handshake is 3 s, as Linux. */
void tcp_handshake_rtt(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg)
{
	uint32_t us;
	if (ts_rtt_us(st, t, seg, &us)) {
		/* the echo of our SYN's (or SYN+ACK's) time */
	} else if (t->retries == 0) {
		us = (uint32_t)(st->now - t->rtt_start);
	} else {
		rtt_syn_fallback(&t->rtt);
		return;
	}
	rtt_sample(&t->rtt, us, st->cfg.rto_min_ms * 1000u, st->cfg.rto_max_ms * 1000u, 1000u);
}
