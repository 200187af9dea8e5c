/* The one timer of a connection.  A connection keeps two deadlines,
 * rexmit_at (retransmission or window probe) and linger_at (an orphaned
 * FIN_WAIT_2's fin_timeout, or SO_LINGER's limit on a closing connection),
 * and the wheel holds a single slot for the earlier of the two: re-armed,
 * never one slot per event.  TIME_WAIT entries have their own timer
 * (timewait.c). */
#include "tcp/tcp.h"

void tcp_timer_update(struct synack_stack *st, struct tcb *t)
{
	synack_time_t at = t->rexmit_at < t->linger_at ? t->rexmit_at : t->linger_at;
	if (at == SYNACK_TIME_NEVER)
		stack_timer_cancel(st, &t->timer);
	else
		stack_timer_arm(st, &t->timer, at);
}

static synack_time_t rto_deadline(struct synack_stack *st, struct tcb *t)
{
	return st->now + rtt_rto(&t->rtt, st->cfg.rto_max_ms * 1000u);
}

void tcp_rexmit_start(struct synack_stack *st, struct tcb *t)
{
	if (t->rexmit_at != SYNACK_TIME_NEVER)
		return;
	t->rexmit_at = rto_deadline(st, t);
	tcp_timer_update(st, t);
}

/* Called while the segment that completes the close is processed; once
 * its ACK is out, tcp_input_synchronized hands the connection over to a
 * TIME_WAIT entry (timewait.c).  With max_tw_buckets entries already held,
 * Linux's tcp_time_wait() closes the connection at once and counts
 * TCPTimeWaitOverflow (SPEC T06): the trace shows ... -> CLOSED. */
void tcp_enter_time_wait(struct synack_stack *st, struct tcb *t)
{
	t->rexmit_at = t->linger_at = SYNACK_TIME_NEVER;
	tcp_timer_update(st, t);
	if (!tw_has_room(st)) {
		CTR_INC(st, TcpExtTCPTimeWaitOverflow);
		tcb_set_state(st, t, SYNACK_CLOSED);
		return;
	}
	tcb_set_state(st, t, SYNACK_TIME_WAIT);
}

/* How many timeouts the current state tolerates.  Linux: tcp_syn_retries,
 * tcp_synack_retries, tcp_retries2, and tcp_orphan_retries for connections
 * the application has closed (0 meaning 8). */
static unsigned retry_limit(const struct synack_stack *st, const struct tcb *t)
{
	if (t->state == SYNACK_SYN_SENT)
		return st->cfg.syn_retries;
	if (t->state == SYNACK_SYN_RCVD)
		return st->cfg.synack_retries;
	if (!tcb_has(t, TF_USER))
		return st->cfg.orphan_retries ? st->cfg.orphan_retries : 8u;
	return st->cfg.retries2;
}

static void give_up(struct synack_stack *st, struct tcb *t)
{
	if (t->state != SYNACK_SYN_SENT && t->state != SYNACK_SYN_RCVD)
		CTR_INC(st, TcpExtTCPAbortOnTimeout);
	tcb_close(st, t, 110 /* ETIMEDOUT */);
}

/* RFC 6298 5.4-5.6 and RFC 5681 3.1 on a retransmission timeout. */
static void on_rexmit_timeout(struct synack_stack *st, struct tcb *t)
{
	bool probe = tcb_has(t, TF_PERSIST);
	if (++t->retries > retry_limit(st, t)) {
		give_up(st, t);
		return;
	}
	rtt_backoff(&t->rtt);
	t->flags &= (uint32_t)~TF_TIMING; /* Karn: a retransmitted segment gives no sample */
	if (probe) {
		tcp_send_window_probe(st, t);
		t->rexmit_at = rto_deadline(st, t);
		return;
	}
	CTR_INC(st, TcpExtTCPTimeouts);
	if (t->state == SYNACK_SYN_SENT || t->state == SYNACK_SYN_RCVD) {
		CTR_INC(st, TcpExtTCPSynRetrans);
		CTR_INC(st, TcpRetransSegs);
		t->rexmit_at = rto_deadline(st, t);
		tcp_send_syn(st, t);
		return;
	}
	uint32_t flight = t->snd_max - t->snd_una;
	uint32_t half = flight / 2;
	t->ssthresh = half > 2u * t->snd_mss ? half : 2u * t->snd_mss;
	t->cwnd = t->snd_mss; /* the loss window: one segment */
	t->snd_nxt = t->snd_una; /* go back: resend from the first unacknowledged byte */
	t->rexmit_at = SYNACK_TIME_NEVER;
	tcp_output(st, t);
}

void tcp_timer_fire(struct synack_stack *st, struct stack_timer *timer)
{
	struct tcb *t = container_of(timer, struct tcb, timer);
	if (t->linger_at <= st->now) {
		t->linger_at = SYNACK_TIME_NEVER;
		if (t->state != SYNACK_FIN_WAIT_2) {
			/* SO_LINGER {1, N}: N seconds after close() the peer still
			 * has not acknowledged our data and FIN; abort (SPEC T08). */
			CTR_INC(st, TcpExtTCPAbortOnLinger);
			tcp_send_rst(st, t);
		}
		tcb_close(st, t, 0);
		return;
	}
	if (t->rexmit_at <= st->now) {
		t->rexmit_at = SYNACK_TIME_NEVER;
		on_rexmit_timeout(st, t);
		if (tcb_has(t, TF_FREE) || t->state == SYNACK_CLOSED)
			return;
	}
	tcp_timer_update(st, t);
}
