/* SYN_SENT (RFC 9293 3.10.7.3): waiting for the SYN+ACK to our SYN, or for
 * the peer's own SYN (simultaneous open). */
#include "tcp/tcp.h"

/* Whether tsecr is a TSval of ours from this connection's first SYN (sent
 * at rtt_start, which SYN_SENT never moves) until now. */
static bool ts_echo_sent(const struct synack_stack *st, const struct tcb *t, uint32_t tsecr)
{
	uint32_t first = (uint32_t)(t->rtt_start / 1000u) + t->ts_offset;
	return tsecr - first <= tcp_ts_now(st, t) - first;
}

void tcp_input_syn_sent(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg)
{
	bool has_ack = seg->flags & SYNACK_TCP_ACK;
	/* First: an ACK must acknowledge our SYN and nothing beyond it. */
	if (has_ack && (seq_leq(seg->ack, t->iss) || seq_gt(seg->ack, t->snd_nxt))) {
		if (!(seg->flags & SYNACK_TCP_RST)) {
			struct synack_ipv4 ip = {.src = t->sk.raddr, .dst = t->sk.laddr};
			tcp_reset_reply(st, &ip, seg); /* <SEQ=SEG.ACK><CTL=RST>: an old duplicate (H11) */
		}
		return;
	}
	/* An acceptable ACK must also echo a TSval we sent, between our first
	 * SYN and now (SPEC T09; Linux's PAWSActiveRejected).  Anything else
	 * is a stale or forged answer: reset (never a RST in reply to a RST),
	 * and the connection keeps waiting. */
	if (has_ack && st->cfg.timestamps && (seg->opt.present & SYNACK_OPT_TS) && seg->opt.ts_ecr != 0 &&
	    !ts_echo_sent(st, t, seg->opt.ts_ecr)) {
		CTR_INC(st, TcpExtPAWSActive);
		if (!(seg->flags & SYNACK_TCP_RST)) {
			struct synack_ipv4 ip = {.src = t->sk.raddr, .dst = t->sk.laddr};
			tcp_reset_reply(st, &ip, seg);
		}
		return;
	}
	/* Second: a RST counts only if it acknowledges our SYN (SPEC R04, RFC 5961 3). */
	if (seg->flags & SYNACK_TCP_RST) {
		if (has_ack)
			tcb_close(st, t, 111 /* ECONNREFUSED */);
		return;
	}
	if (!(seg->flags & SYNACK_TCP_SYN))
		return;
	/* Fourth: the SYN.  Its payload is not accepted (SPEC H04): we ACK the SYN only. */
	t->irs = seg->seq;
	t->rcv_nxt = seg->seq + 1;
	t->rcv_adv = t->rcv_wup = t->rcv_nxt;
	tcp_negotiate(st, t, seg);
	if (has_ack) {
		tcp_handshake_rtt(st, t, seg);
		t->snd_una = seg->ack;
		t->retries = 0;
		t->rexmit_at = SYNACK_TIME_NEVER;
		tcp_timer_update(st, t);
		tcb_set_state(st, t, SYNACK_ESTABLISHED);
		tcp_send_ack(st, t);
		tcp_output(st, t);
		return;
	}
	/* Simultaneous open (SPEC H10): answer with SYN+ACK from the same ISS. */
	tcb_set_state(st, t, SYNACK_SYN_RCVD);
	t->snd_nxt = t->iss;
	t->rexmit_at = SYNACK_TIME_NEVER;
	t->retries = 0;
	tcp_send_syn(st, t);
}
