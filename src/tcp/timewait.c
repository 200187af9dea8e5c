/* TIME_WAIT (RFC 9293 3.3.2, 3.10.7.4): once both FINs are acknowledged
 * the active closer keeps the 4-tuple for 2*MSL, so that a lost last ACK
 * can be made good and old duplicates cannot reach a new incarnation.
 *
 * A connection entering TIME_WAIT hands over to a compact entry (struct
 * tw_entry, 64 bytes) and its tcb and buffers go back to the pool (SPEC
 * T01).  Entries come from a per-stack pool of max_tw_buckets (T06), are
 * found through the 4-tuple hash like connections, are counted per local
 * port for bind() (T07), and expire from one FIFO ordered by deadline with
 * a single wheel timer for its head.
 *
 * Input follows Linux's tcp_timewait_state_process(), which fills in what
 * RFC 9293 leaves open: PAWS (RFC 7323, T09), RST and RFC 1337 (T03), a
 * retransmitted FIN (T02) and a new SYN (RFC 6191, RFC 1122 4.2.2.13, T05). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp.h"

/* Linux TCP_PAWS_MSL: a RST whose timestamp is older than TS.Recent is
 * still believed once TS.Recent is this many seconds old (tcp_paws_reject). */
#define TCP_PAWS_MSL 60u

/* Linux tcp_twsk_unique: the new incarnation's ISS starts a full maximum
 * window above the old one's SND.NXT, so the two sequence spaces cannot
 * overlap at the peer. */
#define TW_ISS_GAP (65535u + 2u)

static uint64_t tick_now(const struct synack_stack *st)
{
	return st->now / STACK_TICK_US;
}

/* An entry's 32-bit tick as the full tick near now (deadlines lie within
 * 2*MSL of now, far less than 2^31 ticks). */
static uint64_t tick_full(const struct synack_stack *st, uint32_t t32)
{
	uint64_t now = tick_now(st);
	return now + (uint64_t)(int64_t)(int32_t)(t32 - (uint32_t)now);
}

static uint32_t tw_idx(const struct tw_table *tw, const struct tw_entry *e)
{
	return (uint32_t)(e - tw->pool);
}

static void tw_timer_fire(struct synack_stack *st, struct stack_timer *timer);

int tw_init(struct synack_stack *st)
{
	struct tw_table *tw = calloc(1, sizeof(*tw));
	if (!tw)
		return -ENOMEM;
	st->tcp.tw = tw;
	tw->cap = st->cfg.max_tw_buckets;
	/* calloc: pages of the pool nobody has used yet cost no memory. */
	tw->pool = tw->cap ? calloc(tw->cap, sizeof(struct tw_entry)) : NULL;
	tw->ports = calloc(65536u, sizeof(struct tw_port));
	tw->free = tw->head = tw->tail = TW_NIL;
	tw->timer.fire = tw_timer_fire;
	if ((tw->cap && !tw->pool) || !tw->ports)
		return -ENOMEM; /* the caller frees what was allocated */
	return 0;
}

void tw_free_all(struct synack_stack *st)
{
	struct tw_table *tw = st->tcp.tw;
	if (!tw)
		return;
	stack_timer_cancel(st, &tw->timer);
	free(tw->pool);
	free(tw->ports);
	free(tw);
	st->tcp.tw = NULL;
}

bool tw_has_room(const struct synack_stack *st)
{
	return st->tcp.tw->count < st->tcp.tw->cap;
}

/* ---- the deadline FIFO ---- */

static void fifo_append(struct tw_table *tw, struct tw_entry *e)
{
	uint32_t i = tw_idx(tw, e);
	e->next = TW_NIL;
	e->prev = tw->tail;
	if (tw->tail != TW_NIL)
		tw->pool[tw->tail].next = i;
	else
		tw->head = i;
	tw->tail = i;
}

static void fifo_unlink(struct tw_table *tw, struct tw_entry *e)
{
	if (e->prev != TW_NIL)
		tw->pool[e->prev].next = e->next;
	else
		tw->head = e->next;
	if (e->next != TW_NIL)
		tw->pool[e->next].prev = e->prev;
	else
		tw->tail = e->prev;
	e->prev = e->next = TW_NIL;
}

/* Arms the one timer for the head's deadline.  A head already due (the
 * batch limit stopped the expiry) is taken up a tick after now. */
static void tw_arm(struct synack_stack *st)
{
	struct tw_table *tw = st->tcp.tw;
	if (tw->head == TW_NIL) {
		stack_timer_cancel(st, &tw->timer);
		return;
	}
	uint64_t at = tick_full(st, tw->pool[tw->head].expires), now = tick_now(st);
	if (at <= now)
		at = now + 1;
	stack_timer_arm(st, &tw->timer, at * STACK_TICK_US);
}

/* (Re)starts the 2MSL timer: the entry goes to the FIFO's tail, since every
 * other entry's deadline is no later (C06, T02). */
static void tw_schedule(struct synack_stack *st, struct tw_entry *e, bool linked)
{
	struct tw_table *tw = st->tcp.tw;
	bool was_head = linked && tw->head == tw_idx(tw, e);
	if (linked)
		fifo_unlink(tw, e);
	synack_time_t at = st->now + 2u * SYNACK_MS(st->cfg.msl_ms);
	e->expires = (uint32_t)(at / STACK_TICK_US + (at % STACK_TICK_US != 0));
	fifo_append(tw, e);
	if (was_head || tw->head == tw_idx(tw, e))
		tw_arm(st);
}

/* ---- entries ---- */

static void tw_trace_closed(struct synack_stack *st, const struct tw_entry *e)
{
	struct synack_trace ev = {.kind = SYNACK_TRACE_STATE, .sock = -1, .old_state = SYNACK_TIME_WAIT,
	                          .new_state = SYNACK_CLOSED, .laddr = e->sk.laddr, .raddr = e->sk.raddr,
	                          .lport = e->sk.lport, .rport = e->sk.rport};
	stack_trace(st, &ev);
}

/* Takes e out of every table and back to the free list; the caller re-arms
 * the timer if e was the head. */
static void tw_release(struct synack_stack *st, struct tw_entry *e)
{
	struct tw_table *tw = st->tcp.tw;
	sk_unhash(st, &e->sk);
	struct tw_port *p = &tw->ports[e->sk.lport];
	p->all--;
	if (!(e->flags & TWF_REUSEADDR))
		p->noreuse--;
	fifo_unlink(tw, e);
	e->next = tw->free;
	tw->free = tw_idx(tw, e);
	tw->count--;
}

/* Ends TIME_WAIT before its time (RST without rfc1337, a new SYN, reuse). */
static void tw_kill(struct synack_stack *st, struct tw_entry *e)
{
	struct tw_table *tw = st->tcp.tw;
	bool was_head = tw->head == tw_idx(tw, e);
	tw_trace_closed(st, e);
	tw_release(st, e);
	if (was_head)
		tw_arm(st);
}

static void tw_timer_fire(struct synack_stack *st, struct stack_timer *timer)
{
	struct tw_table *tw = container_of(timer, struct tw_table, timer);
	/* st->now is the poll's time, which may be past the tick being fired. */
	uint32_t now = (uint32_t)tick_now(st);
	for (uint32_t n = 0; tw->head != TW_NIL && n < TW_EXPIRE_BATCH; n++) {
		struct tw_entry *e = &tw->pool[tw->head];
		if ((int32_t)(e->expires - now) > 0)
			break;
		CTR_INC(st, TcpExtTW);
		tw_trace_closed(st, e);
		tw_release(st, e);
	}
	tw_arm(st);
}

void tw_from_tcb(struct synack_stack *st, struct tcb *t)
{
	struct tw_table *tw = st->tcp.tw;
	struct tw_entry *e = NULL;
	if (tw->free != TW_NIL) {
		e = &tw->pool[tw->free];
		tw->free = e->next;
	} else if (tw->used < tw->cap) {
		e = &tw->pool[tw->used++];
	}
	if (!e) { /* tcp_enter_time_wait checked for room; never taken */
		CTR_INC(st, TcpExtTCPTimeWaitOverflow);
		tcb_close(st, t, 0);
		return;
	}
	tw->count++;
	memset(e, 0, sizeof(*e));
	e->sk.laddr = t->sk.laddr;
	e->sk.raddr = t->sk.raddr;
	e->sk.lport = t->sk.lport;
	e->sk.rport = t->sk.rport;
	e->sk.kind = SK_TW;
	e->snd_nxt = t->snd_max;
	e->rcv_nxt = t->rcv_nxt;
	e->ts_offset = t->ts_offset;
	if (tcb_has(t, TF_TS)) { /* timestamps are carried into TIME_WAIT (RFC 6191, T09) */
		e->flags |= TWF_TS;
		e->ts_recent = t->ts_recent;
		e->ts_recent_stamp = t->ts_recent_stamp;
	}
	e->rcv_wscale = tcb_has(t, TF_WSCALE) ? t->rcv_wscale : 0;
	uint32_t wnd = tcp_rcv_window(t) >> e->rcv_wscale;
	e->rcv_wnd = (uint16_t)(wnd > 65535u ? 65535u : wnd);
	if (t->sockopts & SOF_REUSEADDR)
		e->flags |= TWF_REUSEADDR;
	struct tw_port *p = &tw->ports[e->sk.lport];
	p->all++;
	if (!(e->flags & TWF_REUSEADDR))
		p->noreuse++;
	/* The entry takes the connection's place in the 4-tuple hash. */
	sk_replace(st, &t->sk, &e->sk);
	tw_schedule(st, e, false);

	t->rexmit_at = t->linger_at = SYNACK_TIME_NEVER;
	stack_timer_cancel(st, &t->timer);
	if (!tcb_has(t, TF_USER)) {
		t->sk.rport = 0; /* out of the hash already: tcb_free need not look */
		tcb_free(st, t);
		return;
	}
	/* The application still holds the handle.  As in Linux (tcp_time_wait()
	 * then tcp_done()) the socket itself is now CLOSED, with no error: unread
	 * data stays readable, then recv() returns 0; the port passes to the
	 * entry.  The handle's TIME_WAIT shows in synack_sock_foreach (sock -1). */
	t->state = SYNACK_CLOSED;
	tcb_unbind_port(t);
	tcb_notify(st, t);
}

/* ---- what the rest of the stack asks ---- */

bool tw_port_conflict(const struct synack_stack *st, uint16_t port, bool reuse)
{
	const struct tw_port *p = &st->tcp.tw->ports[port];
	return p->all > 0 && (!reuse || p->noreuse > 0);
}

/* Linux tcp_twsk_unique (6.13 and later): with tw_reuse, a 4-tuple in
 * TIME_WAIT may serve a new outgoing connection if timestamps were in use
 * (PAWS will reject the old incarnation's duplicates at both ends) and more
 * than tw_reuse_delay_ms passed since the entry began; we count from its
 * last 2MSL (re)start, which is never earlier. */
bool tw_reusable(const struct synack_stack *st, const struct tw_entry *e)
{
	if (!st->cfg.tw_reuse || !(e->flags & TWF_TS))
		return false;
	uint32_t twolen = (uint32_t)(2u * SYNACK_MS(st->cfg.msl_ms) / STACK_TICK_US);
	uint32_t began = e->expires - twolen;
	uint32_t delay = (uint32_t)(SYNACK_MS(st->cfg.tw_reuse_delay_ms) / STACK_TICK_US);
	return (int32_t)((uint32_t)tick_now(st) - (began + delay)) > 0;
}

/* The ISS of the 4-tuple's next incarnation; never 0, which means "none"
 * where it is passed on (tcp_input_listen). */
static uint32_t tw_next_iss(const struct tw_entry *e)
{
	uint32_t iss = e->snd_nxt + TW_ISS_GAP;
	return iss ? iss : 1;
}

uint32_t tw_recycle(struct synack_stack *st, struct tw_entry *e)
{
	uint32_t iss = tw_next_iss(e);
	CTR_INC(st, TcpExtTWRecycled);
	tw_kill(st, e);
	return iss;
}

size_t tw_foreach(const struct synack_stack *st, synack_sock_visit_fn fn, void *ctx)
{
	const struct tw_table *tw = st->tcp.tw;
	size_t n = 0;
	for (uint32_t i = tw->head; i != TW_NIL; i = tw->pool[i].next) {
		const struct tw_entry *e = &tw->pool[i];
		struct synack_sockinfo info;
		memset(&info, 0, sizeof(info));
		info.state = SYNACK_TIME_WAIT;
		info.laddr = e->sk.laddr;
		info.raddr = e->sk.raddr;
		info.lport = e->sk.lport;
		info.rport = e->sk.rport;
		info.timer_at = tick_full(st, e->expires) * STACK_TICK_US;
		info.ts_ok = (e->flags & TWF_TS) != 0;
		info.rcv_wscale = e->rcv_wscale;
		info.snd_una = info.snd_nxt = e->snd_nxt;
		info.rcv_nxt = e->rcv_nxt;
		info.rcv_wnd = (uint32_t)e->rcv_wnd << e->rcv_wscale;
		fn(ctx, -1, &info);
		n++;
	}
	return n;
}

/* ---- input ---- */

/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, as the connection would have sent
 * it (Linux tcp_v4_timewait_ack). */
static void tw_send_ack(struct synack_stack *st, const struct tw_entry *e)
{
	struct synack_tcp_seg s;
	memset(&s, 0, sizeof(s));
	s.sport = e->sk.lport;
	s.dport = e->sk.rport;
	s.seq = e->snd_nxt;
	s.ack = e->rcv_nxt;
	s.flags = SYNACK_TCP_ACK;
	s.window = e->rcv_wnd;
	if (e->flags & TWF_TS) {
		s.opt.present = SYNACK_OPT_TS;
		s.opt.ts_val = (uint32_t)(st->now / 1000u) + e->ts_offset; /* tcp_ts_now's clock */
		s.opt.ts_ecr = e->ts_recent;
	}
	tcp_xmit_bare(st, e->sk.laddr, e->sk.raddr, &s);
}

/* Linux tcp_oow_rate_limited: a segment that occupies no sequence space (a
 * pure ACK) or a SYN is answered at most once per invalid_ratelimit_ms, so
 * two ends that disagree cannot trade ACKs forever; data and FINs always
 * get their ACK. */
static void tw_send_oow_ack(struct synack_stack *st, struct tw_entry *e, const struct synack_tcp_seg *seg)
{
	bool occupies = seg->payload_len > 0 || (seg->flags & SYNACK_TCP_FIN);
	if (!occupies || (seg->flags & SYNACK_TCP_SYN)) {
		uint32_t now = (uint32_t)tick_now(st);
		uint32_t gap = (uint32_t)(SYNACK_MS(st->cfg.invalid_ratelimit_ms) / STACK_TICK_US);
		int32_t elapsed = (int32_t)(now - e->last_oow_ack);
		if ((e->flags & TWF_OOW_ACKED) && elapsed >= 0 && (uint32_t)elapsed < gap) {
			CTR_INC(st, TcpExtTCPACKSkippedTimeWait);
			return;
		}
		e->flags |= TWF_OOW_ACKED;
		e->last_oow_ack = now;
	}
	tw_send_ack(st, e);
}

/* RFC 7323 5.3 R1 in TIME_WAIT, with Linux's exception (tcp_paws_reject):
 * a RST is believed once TS.Recent is older than TCP_PAWS_MSL. */
static bool tw_paws_reject(const struct synack_stack *st, const struct tw_entry *e, const struct synack_tcp_seg *seg)
{
	if (!(e->flags & TWF_TS) || !(seg->opt.present & SYNACK_OPT_TS))
		return false;
	uint32_t now_s = tcp_seconds(st);
	if (!tcp_paws_old(e->ts_recent, e->ts_recent_stamp, now_s, seg->opt.ts_val))
		return false;
	return !((seg->flags & SYNACK_TCP_RST) && now_s - e->ts_recent_stamp >= TCP_PAWS_MSL);
}

/* RFC 6191 as Linux applies it: a new SYN (no ACK, no RST) may open a new
 * incarnation if it is provably newer: its timestamp is newer than
 * TS.Recent, or its sequence number lies beyond RCV.NXT (SPEC T05). */
static bool tw_syn_acceptable(const struct tw_entry *e, const struct synack_tcp_seg *seg, bool paws_reject)
{
	if ((seg->flags & (SYNACK_TCP_SYN | SYNACK_TCP_RST | SYNACK_TCP_ACK)) != SYNACK_TCP_SYN || paws_reject)
		return false;
	if (seq_gt(seg->seq, e->rcv_nxt))
		return true;
	return (e->flags & TWF_TS) && (seg->opt.present & SYNACK_OPT_TS) &&
	       (int32_t)(e->ts_recent - seg->opt.ts_val) < 0;
}

/* The entry gives way and the listener takes the SYN as a new connection,
 * whose ISS starts above the old incarnation's sequence space (RFC 1122
 * 4.2.2.13 (1)): passed to the listener as a value, as Linux's tw_isn in
 * the segment's control block (tcp_v4_rcv, TCP_TW_SYN). */
static void tw_new_incarnation(struct synack_stack *st, struct tw_entry *e, struct tcb *l,
                               const struct synack_ipv4 *ip, const struct synack_tcp_seg *seg)
{
	uint32_t isn = tw_next_iss(e);
	tw_kill(st, e);
	tcp_input_listen(st, l, ip, seg, isn);
}

void tcp_input_time_wait(struct synack_stack *st, struct tw_entry *e, const struct synack_ipv4 *ip,
                         const struct synack_tcp_seg *seg)
{
	bool rst = (seg->flags & SYNACK_TCP_RST) != 0;
	bool paws_reject = tw_paws_reject(st, e, seg);
	/* At exactly RCV.NXT an acceptable segment can only be a bare ACK or
	 * a RST: nothing may follow the peer's FIN. */
	if (!paws_reject && seg->seq == e->rcv_nxt && (synack_tcp_seg_len(seg) == 0 || rst)) {
		if (rst) {
			/* RFC 1337 "TIME-WAIT Assassination Hazards": a RST that ends
			 * TIME_WAIT early lets an old duplicate reach a new
			 * incarnation, so with rfc1337 (our default) it is ignored.
			 * Without it the RST ends TIME_WAIT, as Linux's default. */
			if (!st->cfg.rfc1337)
				tw_kill(st, e);
			return;
		}
		tw_schedule(st, e, true); /* Linux restarts 2MSL on a bare ACK too */
		if ((e->flags & TWF_TS) && (seg->opt.present & SYNACK_OPT_TS)) {
			e->ts_recent = seg->opt.ts_val;
			e->ts_recent_stamp = tcp_seconds(st);
		}
		return;
	}
	if (tw_syn_acceptable(e, seg, paws_reject)) {
		struct tcb *l = tcb_lookup_listener(st, seg->dport);
		if (l) {
			tw_new_incarnation(st, e, l, ip, seg);
			return;
		}
		/* No listener to take it: answered like any other segment. */
	}
	if (paws_reject)
		CTR_INC(st, TcpExtPAWSTimewait);
	if (rst)
		return; /* a RST is never answered */
	/* RFC 9293 3.10.7.4: anything else is answered with an ACK.  A
	 * retransmitted FIN (our last ACK was lost) also restarts 2MSL (T02);
	 * Linux restarts it for every ACK-bearing or PAWS-rejected segment, but
	 * not for a bare SYN, which may be a new connection's. */
	if (paws_reject || (seg->flags & SYNACK_TCP_ACK))
		tw_schedule(st, e, true);
	tw_send_oow_ack(st, e, seg);
}
