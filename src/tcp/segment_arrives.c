/* SEGMENT ARRIVES for SYN_RCVD and every synchronized state, in the order
 * of RFC 9293 3.10.7.4: check sequence, RST, SYN, ACK, URG, text, FIN.
 * Each step is a function shared by the states; what differs per state sits
 * in a small switch inside the step that cares. */
#include <errno.h>

#include "tcp/tcp.h"

/* RCV.WND for the sequence check: what we advertised (RFC 9293 3.3.1; the
 * right edge RCV.NXT + RCV.WND never moves left), as Linux's
 * tcp_receive_window.  Room the application has made since is offered by
 * our next ACK, not taken before we said so. */
static uint32_t rcv_space(const struct tcb *t)
{
	return tcb_adv_left(t);
}

/* RFC 9293 3.10.7.4, first: the four cases of segment length and window. */
static bool seq_acceptable(const struct tcb *t, const struct synack_tcp_seg *seg)
{
	uint32_t len = synack_tcp_seg_len(seg);
	uint32_t wnd = rcv_space(t);
	/* RFC 5961 3.2: a RST counts by its sequence number alone; "outside
	 * the current receive window" it is dropped, whatever its length. */
	if (len == 0 || (seg->flags & SYNACK_TCP_RST))
		return wnd == 0 ? seg->seq == t->rcv_nxt : seq_in_window(seg->seq, t->rcv_nxt, wnd);
	if (wnd == 0)
		return false;
	return seq_in_window(seg->seq, t->rcv_nxt, wnd) || seq_in_window(seg->seq + len - 1, t->rcv_nxt, wnd);
}

/* The SYN+ACK of a simultaneous open arriving in SYN_RCVD: its SYN sits just
 * below RCV.NXT, so the strict check above would refuse it; Linux lets it
 * through (tcp_validate_incoming) and so does the RFC's figure 8. */
static bool simultaneous_synack(const struct tcb *t, const struct synack_tcp_seg *seg)
{
	return t->state == SYNACK_SYN_RCVD && !tcb_has(t, TF_PASSIVE) &&
	       (seg->flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK)) == (SYNACK_TCP_SYN | SYNACK_TCP_ACK) &&
	       seg->seq + 1 == t->rcv_nxt && seg->ack == t->snd_nxt && seg->payload_len == 0;
}

/* Step one's failure: answer with an ACK (RFC 9293) and drop.  (TIME_WAIT
 * is a compact entry with its own input: timewait.c.) */
static void reject_unacceptable(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg)
{
	CTR_INC(st, SynackTcpInUnacceptable);
	if (seg->flags & SYNACK_TCP_RST)
		return;
	if ((seg->flags & SYNACK_TCP_SYN) && t->state != SYNACK_SYN_RCVD) {
		/* RFC 5961 4.2: a SYN gets a challenge ACK whatever its sequence
		 * number; Linux sends it (rate limited) for out-of-window SYNs too. */
		CTR_INC(st, TcpExtTCPSYNChallenge);
		tcp_send_challenge_ack(st, t);
		return;
	}
	tcp_send_oow_ack(st, t, seg);
}

/* RFC 5961 3.2: only a RST at exactly RCV.NXT resets; one elsewhere in the
 * window gets a challenge ACK (the segment already passed the window check). */
static void check_rst(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg)
{
	if (seg->seq != t->rcv_nxt) {
		tcp_send_challenge_ack(st, t);
		return;
	}
	switch (t->state) {
	case SYNACK_SYN_RCVD:
		/* Passive: the connection goes back to LISTEN (H11), i.e. the
		 * listener forgets it.  Active (simultaneous open): refused. */
		if (tcb_has(t, TF_PASSIVE)) {
			tcb_set_state(st, t, SYNACK_LISTEN);
			tcb_close(st, t, 0);
		} else {
			tcb_close(st, t, 111 /* ECONNREFUSED */);
		}
		break;
	case SYNACK_CLOSING:
	case SYNACK_LAST_ACK:
		tcb_close(st, t, 0);
		break;
	default:
		tcb_close(st, t, 104 /* ECONNRESET */);
		break;
	}
}

/* RFC 5961 4.2: a SYN on a synchronized connection never resets it. */
static void check_syn(struct synack_stack *st, struct tcb *t)
{
	if (t->state == SYNACK_SYN_RCVD && tcb_has(t, TF_PASSIVE)) {
		/* RFC 9293: a passive SYN_RCVD returns to LISTEN on a new SYN. */
		tcb_set_state(st, t, SYNACK_LISTEN);
		tcb_close(st, t, 0);
		return;
	}
	CTR_INC(st, TcpExtTCPSYNChallenge);
	tcp_send_challenge_ack(st, t);
}

/* RFC 7323 5.3 R3 (SPEC R05): remember the TSval to echo, but only from a
 * segment that passed the window check (R2) and whose ACK is acceptable,
 * and only if it starts at or before the last ACK we sent (4.3:
 * SEG.SEQ <= Last.ACK.sent), as Linux's tcp_replace_ts_recent after
 * tcp_validate_incoming.  Checked earlier, one spoofed out-of-window
 * segment with a TSval half the clock ahead would make every later segment
 * of the real peer fail PAWS.  A TS.Recent idle for 24 days is invalid
 * (5.5): any TSval replaces it. */
static void note_ts_recent(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg)
{
	if (!tcb_has(t, TF_TS) || !(seg->opt.present & SYNACK_OPT_TS) || !seq_leq(seg->seq, t->rcv_wup))
		return;
	uint32_t now_s = tcp_seconds(st);
	if (seq_geq(seg->opt.ts_val, t->ts_recent) || now_s - t->ts_recent_stamp >= TCP_PAWS_24DAYS) {
		t->ts_recent = seg->opt.ts_val;
		t->ts_recent_stamp = now_s;
	}
}

static bool our_fin_acked(const struct tcb *t)
{
	return tcb_has(t, TF_FIN_SENT) && t->snd_una == t->snd_max;
}

/* FIN_WAIT_1 -> FIN_WAIT_2 once our FIN is acknowledged (SPEC C03). */
static void fin_wait_1_acked(struct synack_stack *st, struct tcb *t)
{
	if (t->state != SYNACK_FIN_WAIT_1 || !our_fin_acked(t))
		return;
	tcb_set_state(st, t, SYNACK_FIN_WAIT_2);
	if (!tcb_has(t, TF_USER)) { /* orphaned: fin_timeout bounds it (SPEC C09) */
		t->linger_at = st->now + SYNACK_MS(st->cfg.fin_timeout_ms);
		tcp_timer_update(st, t);
	}
}

/* SYN_RCVD -> ESTABLISHED of an active (simultaneous) open.  A close() or
 * SHUT_WR queued in SYN_RCVD takes effect now (RFC 9293 3.10.4 CLOSE): the
 * FIN goes out after this ACK of our SYN, at ISS+1. */
static void active_established(struct synack_stack *st, struct tcb *t)
{
	tcb_set_state(st, t, SYNACK_ESTABLISHED);
	if (tcb_has(t, TF_FIN_QUEUED))
		tcb_set_state(st, t, SYNACK_FIN_WAIT_1);
}

/* RFC 9293 3.10.7.4, fifth: the ACK field.  Returns false when the segment
 * is done with (dropped, or the connection ended). */
static bool check_ack(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg)
{
	if (!(seg->flags & SYNACK_TCP_ACK))
		return false;
	if (t->state == SYNACK_SYN_RCVD) {
		if (!seq_gt(seg->ack, t->snd_una) || seq_gt(seg->ack, t->snd_nxt)) {
			struct synack_ipv4 ip = {.src = t->sk.raddr, .dst = t->sk.laddr};
			tcp_reset_reply(st, &ip, seg); /* <SEQ=SEG.ACK><CTL=RST> */
			return false;
		}
		if (tcb_has(t, TF_PASSIVE)) {
			if (!tcp_passive_established(st, t))
				return false;
			tcp_handshake_rtt(st, t, seg);
		} else {
			active_established(st, t);
		}
		t->snd_una = t->iss + 1; /* our SYN is acknowledged */
		/* RFC 9293: "continue processing with SND.WND <- SEG.WND,
		 * SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK": the window update
		 * below then takes this segment's window, whatever came before. */
		t->snd_wl1 = seg->seq;
		t->snd_wl2 = seg->ack;
		t->retries = 0;
		t->rexmit_at = SYNACK_TIME_NEVER;
		tcp_timer_update(st, t);
	}
	/* RFC 5961 5.2: acceptable is SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT. */
	if (seq_gt(seg->ack, t->snd_max)) {
		tcp_send_oow_ack(st, t, seg); /* acknowledges something never sent */
		return false;
	}
	if (seq_lt(seg->ack, t->snd_una - t->max_snd_wnd)) {
		tcp_send_challenge_ack(st, t);
		return false;
	}
	note_ts_recent(st, t, seg);
	tcp_ack_advance(st, t, seg);
	switch (t->state) {
	case SYNACK_FIN_WAIT_1:
		/* A segment that also carries the peer's FIN takes FIN_WAIT_1
		 * straight to TIME_WAIT in the FIN step, as the RFC's FIN step
		 * and the textbook diagram show (SPEC C08). */
		if (!(seg->flags & SYNACK_TCP_FIN))
			fin_wait_1_acked(st, t);
		break;
	case SYNACK_CLOSING:
		if (our_fin_acked(t))
			tcp_enter_time_wait(st, t);
		break;
	case SYNACK_LAST_ACK:
		if (our_fin_acked(t)) {
			tcb_close(st, t, 0);
			return false;
		}
		break;
	default:
		break;
	}
	return true;
}

/* Puts in-window payload into the receive ring, in order or parked for
 * reassembly (SPEC D01).  Every data segment is acknowledged at once: a
 * delayed ACK is a later refinement (D06). */
static void receive_text(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg)
{
	uint32_t seq = seg->seq, len = seg->payload_len;
	const uint8_t *data = seg->payload;
	t->flags |= TF_ACK_NOW;
	if (seq_lt(seq, t->rcv_nxt)) { /* already have the front: trim it */
		uint32_t skip = t->rcv_nxt - seq;
		if (skip >= len)
			return;
		seq += skip, data += skip, len -= skip;
	}
	uint32_t off = seq - t->rcv_nxt, room = ring_free(&t->rcv);
	if (off >= room)
		return;
	if (len > room - off)
		len = room - off;
	if (off > 0) {
		/* Ring offsets count from the first unread byte, not from RCV.NXT. */
		ring_write_at(&t->rcv, ring_len(&t->rcv) + off, data, len);
		if (reass_add(&t->reass, seq, seq + len) < 0)
			CTR_INC(st, TcpExtTCPOFODrop);
		else
			CTR_INC(st, TcpExtTCPOFOQueue);
		return;
	}
	ring_write(&t->rcv, data, len);
	t->rcv_nxt += len;
	uint32_t edge = reass_advance(&t->reass, t->rcv_nxt);
	ring_commit(&t->rcv, edge - t->rcv_nxt);
	t->rcv_nxt = edge;
	tcb_notify(st, t);
}

/* Data for an application that has closed can never be read: reset
 * (RFC 1122 4.2.2.13; Linux's TCPAbortOnData, SPEC C10).  As Linux's
 * tcp_rcv_state_process, only in FIN_WAIT_1/2 with reading shut: close()
 * and shutdown(SHUT_RDWR) get there; shutdown(SHUT_RD) alone leaves an
 * ESTABLISHED connection that keeps taking data (tcp_data_queue). */
static bool text_after_close(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg)
{
	if (t->state != SYNACK_FIN_WAIT_1 && t->state != SYNACK_FIN_WAIT_2)
		return false;
	if (!tcb_has(t, TF_RD_SHUT) || seg->payload_len == 0)
		return false;
	if (!seq_gt(seg->seq + seg->payload_len, t->rcv_nxt))
		return false; /* nothing new */
	CTR_INC(st, TcpExtTCPAbortOnData);
	t->rcv_nxt = seg->seq + seg->payload_len;
	tcp_send_rst(st, t);
	tcb_close(st, t, ECONNRESET);
	return true;
}

/* The peer's FIN once everything before it has arrived (RFC 9293 3.10.7.4,
 * eighth).  A FIN ahead of missing data waits in fin_seq. */
static void process_fin(struct synack_stack *st, struct tcb *t)
{
	if (!tcb_has(t, TF_FIN_SEEN) || tcb_has(t, TF_RCV_EOF) || t->rcv_nxt != t->fin_seq)
		return;
	t->rcv_nxt++;
	t->flags |= TF_RCV_EOF | TF_ACK_NOW;
	tcb_notify(st, t);
	switch (t->state) {
	case SYNACK_SYN_RCVD:
	case SYNACK_ESTABLISHED:
		tcb_set_state(st, t, SYNACK_CLOSE_WAIT); /* SPEC C02 */
		break;
	case SYNACK_FIN_WAIT_1:
		if (our_fin_acked(t))
			tcp_enter_time_wait(st, t); /* FIN+ACK in one segment (SPEC C08) */
		else
			tcb_set_state(st, t, SYNACK_CLOSING); /* simultaneous close (SPEC C07) */
		break;
	case SYNACK_FIN_WAIT_2:
		tcp_enter_time_wait(st, t); /* SPEC C06 */
		break;
	default:
		break;
	}
}

static void note_fin(struct tcb *t, const struct synack_tcp_seg *seg)
{
	/* A FIN noted out of order that in-order data has since passed was
	 * false (forged, or a confused peer): forget it, as Linux drops an
	 * out-of-order skb, FIN and all, once RCV.NXT is beyond it; the real
	 * FIN must still count. */
	if (tcb_has(t, TF_FIN_SEEN) && !tcb_has(t, TF_RCV_EOF) && seq_gt(t->rcv_nxt, t->fin_seq))
		t->flags &= ~(uint32_t)TF_FIN_SEEN;
	if (!(seg->flags & SYNACK_TCP_FIN) || tcb_has(t, TF_FIN_SEEN))
		return;
	uint32_t fin = seg->seq + seg->payload_len;
	if (seq_lt(fin, t->rcv_nxt))
		return; /* behind what we have: nothing to do with our stream */
	/* Only a FIN inside what we can take counts; a trimmed one comes again. */
	if (seq_gt(fin, t->rcv_nxt + rcv_space(t)))
		return;
	t->fin_seq = fin;
	t->flags |= TF_FIN_SEEN;
}

/* RFC 7323 5.3 R1 (PAWS, SPEC T09): a segment whose TSval is older than
 * TS.Recent is an old duplicate; it is dropped and answered with an ACK,
 * before the sequence check, since its sequence number may well look
 * acceptable after a wrap or in a new incarnation.  RFC 7323 5.3: a RST is
 * acceptable whatever its timestamp (it gets RFC 5961's checks instead).
 * A SYN is answered as the SYN check would (Linux: syn_challenge). */
static bool paws_rejected(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg)
{
	if (!tcb_has(t, TF_TS) || !(seg->opt.present & SYNACK_OPT_TS) || (seg->flags & SYNACK_TCP_RST))
		return false;
	if (!tcp_paws_old(t->ts_recent, t->ts_recent_stamp, tcp_seconds(st), seg->opt.ts_val))
		return false;
	if (seg->flags & SYNACK_TCP_SYN) {
		CTR_INC(st, TcpExtTCPSYNChallenge);
		tcp_send_challenge_ack(st, t);
		return true;
	}
	CTR_INC(st, TcpExtPAWSEstab);
	tcp_send_oow_ack(st, t, seg);
	return true;
}

/* A duplicate that ends at or after the last ACK we sent: RFC 9293's test
 * refuses it (it brings nothing new), Linux's tcp_sequence, one byte wider
 * at the left edge (end >= RCV.WUP), lets it through to tcp_ack, which
 * records its TSval.  That matters: the ACK answering a needless
 * retransmission (our earlier ACK was lost) then echoes the retransmission's
 * time; echoing the first copy's instead, the sender would measure a round
 * trip as long as its backoff and inflate its RTO.  A blind attacker gains
 * nothing: the segment must still fall within one segment of RCV.NXT and
 * carry an acceptable ACK. */
static bool dup_at_left_edge(const struct tcb *t, const struct synack_tcp_seg *seg)
{
	uint32_t len = synack_tcp_seg_len(seg), end = seg->seq + len;
	if (len == 0 || (seg->flags & (SYNACK_TCP_RST | SYNACK_TCP_SYN)) || !(seg->flags & SYNACK_TCP_ACK))
		return false;
	return seq_geq(end, t->rcv_wup) && seq_leq(end, t->rcv_nxt) && seq_leq(seg->seq, t->rcv_wup) &&
	       seq_leq(seg->ack, t->snd_max) && seq_geq(seg->ack, t->snd_una - t->max_snd_wnd);
}

/* RFC 9293 3.10.7.4: "If the RCV.WND is zero, no segments will be
 * acceptable, but special allowance should be made to accept valid ACKs,
 * URGs, and RSTs."  A segment that covers RCV.NXT while our
 * window is shut has its text (and FIN) dropped, but its control
 * processed: otherwise the ACK of a peer that sends while we cannot take
 * data is lost with it (Linux: tcp_sequence passes it, tcp_data_queue
 * drops the data as TCPZeroWindowDrop). */
static bool zero_window_control(const struct tcb *t, const struct synack_tcp_seg *seg)
{
	uint32_t len = synack_tcp_seg_len(seg);
	return rcv_space(t) == 0 && len > 0 && seq_leq(seg->seq, t->rcv_nxt) && seq_gt(seg->seq + len, t->rcv_nxt);
}

void tcp_input_synchronized(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg)
{

	bool simopen = simultaneous_synack(t, seg);
	bool text_ok = true;
	if (paws_rejected(st, t, seg))
		return;
	if (!simopen && !seq_acceptable(t, seg)) {
		if (!zero_window_control(t, seg)) {
			if (dup_at_left_edge(t, seg))
				note_ts_recent(st, t, seg);
			reject_unacceptable(st, t, seg);
			return;
		}
		CTR_INC(st, TcpExtTCPZeroWindowDrop);
		text_ok = false;
		t->flags |= TF_ACK_NOW; /* the peer learns the window is still shut */
	}
	if (seg->flags & SYNACK_TCP_RST) {
		check_rst(st, t, seg);
		return;
	}
	if ((seg->flags & SYNACK_TCP_SYN) && !simopen) {
		check_syn(st, t);
		return;
	}
	if (!check_ack(st, t, seg))
		return;
	if (simopen)
		t->flags |= TF_ACK_NOW; /* RFC 9293 figure 8, line 5 */
	/* Sixth, URG: the urgent pointer is noted by the receiver's reader;
	 * data stays in line (RFC 6093 recommends it; SO_OOBINLINE semantics). */
	switch (text_ok ? t->state : SYNACK_CLOSED) {
	case SYNACK_ESTABLISHED:
	case SYNACK_FIN_WAIT_1:
	case SYNACK_FIN_WAIT_2:
		if (text_after_close(st, t, seg))
			return;
		if (seg->payload_len > 0)
			receive_text(st, t, seg);
		break;
	default: /* the peer's FIN came before: no more text (RFC 9293, seventh) */
		break;
	}
	if (text_ok)
		note_fin(t, seg);
	process_fin(st, t);
	fin_wait_1_acked(st, t); /* the FIN could not be taken yet (out of order) */
	tcp_output(st, t); /* data and FIN carry the ACK when they can */
	if (tcb_has(t, TF_ACK_NOW))
		tcp_send_ack(st, t);
	/* The last ACK is out: a compact entry holds TIME_WAIT from here on
	 * (SPEC T01), or, with no room for one, the connection ends (T06). */
	if (t->state == SYNACK_TIME_WAIT)
		tw_from_tcb(st, t);
	else if (t->state == SYNACK_CLOSED)
		tcb_close(st, t, 0);
}
