/* TCP: the connection block, the tables that find it, and the functions the
 * protocol files share.  Private to src/. */
#ifndef SYNACK_TCP_TCP_H
#define SYNACK_TCP_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "stack.h"
#include "tcp/reass.h"
#include "tcp/ring.h"
#include "tcp/rtt.h"
#include "wire/seq.h"

/* Three sizes of state share the 4-tuple hash: a full connection (struct
 * tcb), a compact request entry for a half-open passive connection (struct
 * reqsk, SYN_RCVD) and a compact TIME_WAIT entry.  Each starts with this
 * header, so one lookup finds whichever holds the 4-tuple. */
enum sk_kind { SK_TCB, SK_REQ, SK_TW, SK_UNUSED /* a free pool slot */ };

struct sk_common {
	struct sk_common *hnext;    /* 4-tuple hash chain (a listener: the listener hash chain) */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint8_t kind;               /* enum sk_kind */
};

/* The transmission control block of RFC 9293 3.3.1, one per connection or
 * listener.  Connections live in a fixed pool; `sock` is the pool index. */
struct tcb {
	/* identity and tables */
	struct sk_common sk;        /* first: a hash chain entry converts back with sk_tcb() */
	enum synack_tcp_state state;
	int sock;                   /* pool index == socket handle */
	struct tcb *bnext;          /* bound-port chain (every tcb with a local port) */
	struct tcb **bpprev;        /* ... and the link pointing at us: O(1) unbind */
	struct tcb *parent;         /* passive open: the listener, until accepted */
	struct tcb *qnext;          /* listener's accept queue, or the free list */
	struct tcb *evnext;         /* the stack's pending-event list */

	/* send sequence space (RFC 9293 3.3.1) */
	uint32_t iss, snd_una, snd_nxt;
	uint32_t snd_max;           /* highest sequence sent + 1 (snd_nxt moves back on RTO) */
	uint32_t snd_wnd;           /* peer's window, scaled */
	uint32_t snd_wl1, snd_wl2;  /* segment seq/ack of the last window update */
	uint32_t max_snd_wnd;       /* largest window the peer offered (RFC 5961 5.2, sender SWS) */
	uint32_t cwnd, ssthresh;    /* RFC 5681 */
	uint16_t snd_mss;           /* most payload per segment we send */
	uint8_t snd_wscale, rcv_wscale;

	/* receive sequence space */
	uint32_t irs, rcv_nxt;
	uint32_t rcv_adv;           /* right edge of the window we advertised */
	uint32_t rcv_wup;           /* RCV.NXT when we last sent an ACK (RFC 7323's Last.ACK.sent) */
	uint32_t fin_seq;           /* sequence of the peer's FIN once seen (FIN_SEEN) */
	struct reass reass;

	/* timestamps (RFC 7323) */
	uint32_t ts_recent;         /* peer's TSval to echo */
	uint32_t ts_offset;         /* per-connection random offset of our TSval */
	uint32_t ts_recent_stamp;   /* when ts_recent was recorded, in seconds (RFC 7323 5.5) */

	/* timing */
	struct rtt rtt;
	uint32_t rtt_seq;           /* Karn: the segment being timed (no timestamps) */
	synack_time_t rtt_start;
	synack_time_t rexmit_at;    /* retransmission / persist deadline, or NEVER */
	synack_time_t linger_at;    /* TIME_WAIT 2MSL or orphaned FIN_WAIT_2 deadline, or NEVER */
	synack_time_t last_challenge; /* RFC 5961 7: rate limit of challenge ACKs */
	struct stack_timer timer;   /* one wheel slot: min(rexmit_at, linger_at) */
	uint8_t retries;            /* consecutive timeouts of the current segment */

	/* listener */
	uint32_t backlog;           /* accept queue bound */
	uint32_t aq_len, synq_len;  /* established-not-accepted, half-open */
	struct tcb *aq_head, *aq_tail;
	synack_time_t cookie_at;    /* when it last sent a SYN cookie (0: never) */

	uint32_t flags;             /* TF_* */
	int16_t error;              /* pending SO_ERROR (positive errno) */

	struct ring snd, rcv;       /* send: [snd_una, ...) ; receive: unread in-order bytes */

	/* socket options */
	uint8_t sockopts;           /* SOF_* */
	uint32_t linger_s;          /* SO_LINGER's seconds, when SOF_LINGER */
};

/* A half-open passive connection (SPEC L01, L06): what a SYN+ACK and the
 * connection built on the final ACK need, and no more.  It lives in the
 * 4-tuple hash like a connection, in a fixed pool, and on one of the
 * stack's per-backoff-level timer FIFOs.  SYN cookies build the same value
 * on the stack from the ACK instead of keeping it. */
struct reqsk {
	struct sk_common sk;        /* kind SK_REQ */
	uint32_t qnext, qprev;      /* timer FIFO of its backoff level (pool index + 1; 0 = none) */
	uint32_t listener;          /* the listener's socket handle */
	uint32_t irs, iss;
	uint32_t ts_recent;         /* the SYN's TSval, echoed in the SYN+ACK */
	uint32_t sent_us;           /* low 32 bits of the time the last SYN+ACK left */
	uint32_t answered_us;       /* ... and of the last one sent as an answer (rate limit) */
	uint16_t mss;               /* the peer's MSS option, or 536 */
	uint8_t snd_wscale;         /* the peer's window scale */
	uint8_t opts;               /* RQ_* */
	uint8_t retries;            /* SYN+ACK timeouts so far = its backoff level */
};

#define RQ_TS 0x01      /* timestamps negotiated */
#define RQ_SACK 0x02    /* SACK-permitted negotiated */
#define RQ_WSCALE 0x04  /* window scaling negotiated */
#define RQ_ECN 0x08     /* the SYN asked for ECN (recorded in cookies as Linux does; never agreed) */
#define RQ_RESENT 0x10  /* a SYN+ACK went out again: no RTT sample from the clock (Karn) */
#define RQ_ANSWERED 0x20 /* answered_us is valid */

/* tcb sockopts */
#define SOF_REUSEADDR 0x01   /* SO_REUSEADDR */
#define SOF_LINGER 0x02      /* SO_LINGER on (linger_s seconds) */

/* tcb flags */
#define TF_USER 0x0001       /* the application holds the handle */
#define TF_TS 0x0002         /* timestamps negotiated */
#define TF_SACK 0x0004       /* SACK-permitted negotiated */
#define TF_WSCALE 0x0008     /* window scaling negotiated */
#define TF_FIN_QUEUED 0x0010 /* application shut down writing: FIN after the data */
#define TF_FIN_SEEN 0x0020   /* peer's FIN received (fin_seq valid), maybe out of order */
#define TF_RD_SHUT 0x0040    /* reading shut (SHUT_RD, close): recv gives 0 when empty; RST for data in FIN_WAIT_1/2 */
#define TF_NODELAY 0x0080    /* Nagle off */
#define TF_PASSIVE 0x0100    /* opened by a listener (SYN_RCVD returns to LISTEN on RST) */
#define TF_TIMING 0x0200     /* rtt_seq is being timed */
#define TF_ACK_NOW 0x0400    /* an ACK must go out at the end of input processing */
#define TF_EV_PENDING 0x0800 /* on the stack's pending-event list */
#define TF_IN_AQ 0x1000      /* on its listener's accept queue */
#define TF_PERSIST 0x2000    /* rexmit_at is a zero-window probe, not a retransmission */
#define TF_FREE 0x4000       /* pool slot unused */
#define TF_RCV_EOF 0x8000    /* the peer's FIN has been consumed: recv returns 0 when drained */
#define TF_WAS_SYNC 0x10000  /* reached ESTABLISHED once (send on a closed one is EPIPE) */
#define TF_FIN_SENT 0x20000  /* our FIN went out: it occupies sequence snd_max - 1 */
#define TF_IN_LHASH 0x40000  /* in the listener hash */

static inline struct tcb *sk_tcb(struct sk_common *sk)
{
	return container_of(sk, struct tcb, sk);
}

/* A TIME_WAIT entry (SPEC T01): what is left of a connection once both
 * FINs are acknowledged, enough to answer a retransmitted FIN, reject old
 * duplicates (PAWS) and judge a new SYN or connect() for the 4-tuple.
 * Entries live in a per-stack pool and are linked by pool index, not by
 * pointer, to stay within one cache line. */
struct tw_entry {
	struct sk_common sk;        /* kind SK_TW; first, like every entry of the 4-tuple hash */
	uint32_t snd_nxt;           /* our next sequence number (the connection's SND.MAX) */
	uint32_t rcv_nxt;           /* the peer's, after its FIN */
	uint32_t ts_recent;         /* RFC 7323 TS.Recent, if TWF_TS */
	uint32_t ts_recent_stamp;   /* when it was recorded, in seconds (RFC 7323 5.5) */
	uint32_t ts_offset;         /* our TSval clock offset, as the connection had it */
	uint32_t expires;           /* 2MSL deadline in stack ticks (low 32 bits) */
	uint32_t last_oow_ack;      /* tick of the last rate-limited ACK, if TWF_OOW_ACKED */
	uint32_t prev, next;        /* the deadline FIFO (next: also the free list) */
	uint16_t rcv_wnd;           /* the window field our ACKs carry (already shifted) */
	uint8_t rcv_wscale;         /* its shift */
	uint8_t flags;              /* TWF_* */
};

_Static_assert(sizeof(struct tw_entry) <= 64, "a TIME_WAIT entry fits one cache line");

#define TWF_TS 0x01          /* timestamps were in use: PAWS and tw_reuse apply */
#define TWF_REUSEADDR 0x02   /* the connection had SO_REUSEADDR (bind conflicts) */
#define TWF_OOW_ACKED 0x04   /* last_oow_ack is valid */
#define TW_NIL UINT32_MAX

/* At most this many entries expire per timer tick, so a million entries
 * whose deadlines coincide never stall one synack_poll(); the rest wait
 * for the next tick, which only makes TIME_WAIT a little longer. */
#define TW_EXPIRE_BATCH 1024u

/* The TIME_WAIT entries of a stack.  Every entry lives exactly 2*MSL after
 * its last (re)start, so deadlines come in insertion order: one FIFO by
 * deadline and one wheel timer for its head replace a timer per entry. */
struct tw_table {
	struct tw_entry *pool;      /* max_tw_buckets entries; [0, used) touched so far */
	struct tw_port { uint32_t all, noreuse; } *ports; /* entries per local port */
	uint32_t cap, used, count;
	uint32_t free;              /* free list of pool indices */
	uint32_t head, tail;        /* the FIFO, earliest deadline first */
	struct stack_timer timer;   /* fires for the head */
};

static inline struct tw_entry *sk_tw(struct sk_common *sk)
{
	return container_of(sk, struct tw_entry, sk);
}

/* Whole seconds of the stack clock: the unit of the timestamp stamps. */
static inline uint32_t tcp_seconds(const struct synack_stack *st)
{
	return (uint32_t)(st->now / 1000000u);
}

/* RFC 7323 5.5: TS.Recent older than 24 days (2^31 ticks of a 1 kHz clock
 * would wrap) is invalid and PAWS is skipped. */
#define TCP_PAWS_24DAYS (60u * 60u * 24u * 24u)

/* RFC 7323 5.3 R1: is tsval older than TS.Recent, while TS.Recent is still
 * valid?  A TS.Recent of 0 is ignored as Linux does (tcp_paws_check): some
 * stacks send 0 in their SYN. */
static inline bool tcp_paws_old(uint32_t ts_recent, uint32_t stamp_s, uint32_t now_s, uint32_t tsval)
{
	return (int32_t)(tsval - ts_recent) < 0 && now_s - stamp_s < TCP_PAWS_24DAYS && ts_recent != 0;
}

static inline bool tcb_has(const struct tcb *t, uint32_t f)
{
	return (t->flags & f) != 0;
}

/* What is left of the window we advertised: RCV.ADV - RCV.NXT, or 0. */
static inline uint32_t tcb_adv_left(const struct tcb *t)
{
	return seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
}

/* ---- tables (tcp_table.c) ---- */
int tcp_tables_init(struct synack_stack *st);
void tcp_tables_free(struct synack_stack *st);
struct tcb *tcb_alloc(struct synack_stack *st);
void tcb_free(struct synack_stack *st, struct tcb *t); /* unhashes, cancels timer, returns to pool */
struct tcb *tcb_from_sock(const struct synack_stack *st, int sock);
void sk_hash(struct synack_stack *st, struct sk_common *sk);
void sk_unhash(struct synack_stack *st, struct sk_common *sk);
/* sk takes old's place in the 4-tuple hash (the same 4-tuple): one lookup. */
void sk_replace(struct synack_stack *st, struct sk_common *old, struct sk_common *sk);
/* Whatever holds the 4-tuple: a connection, a request or a TIME_WAIT entry. */
struct sk_common *sk_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                            uint16_t rport);
void tcb_bind_port(struct synack_stack *st, struct tcb *t, uint16_t port);
struct tcb *tcb_lookup_listener(struct synack_stack *st, uint16_t lport);
void tcb_listen_hash(struct synack_stack *st, struct tcb *t);
bool tcb_port_in_use(struct synack_stack *st, uint16_t port);
/* bind()'s test (Linux inet_bind_conflict): a port is free for a socket with
 * (reuse) or without SO_REUSEADDR, counting sockets and TIME_WAIT entries. */
bool tcb_port_conflict(struct synack_stack *st, uint16_t port, bool reuse);
void tcb_unbind_port(struct tcb *t);
int tcb_pick_port(struct synack_stack *st, uint32_t raddr, uint16_t rport, uint16_t *port);

/* ---- state and events ---- */
void tcb_set_state(struct synack_stack *st, struct tcb *t, enum synack_tcp_state s);
void tcb_notify(struct synack_stack *st, struct tcb *t); /* queue a readiness event */
void tcp_flush_events(struct synack_stack *st);
/* The connection is over: report err (0 for a normal end) and release it if
 * the application no longer holds it (one on its listener's accept queue
 * stays there for accept(), as Linux's). */
void tcb_close(struct synack_stack *st, struct tcb *t, int err);
/* Takes a child off its listener's queues (the listener is closing). */
void tcb_unqueue(struct synack_stack *st, struct tcb *t);

/* ---- ISN (isn.c) ---- */
uint32_t tcp_isn(const struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport);
/* The per-address-pair offset of our TSval clock. */
uint32_t tcp_ts_offset(const struct synack_stack *st, uint32_t laddr, uint32_t raddr);

/* ---- request entries (request.c) ---- */
int tcp_req_init(struct synack_stack *st);
void tcp_req_free_all(struct synack_stack *st);
/* A new request for SYN seg to listener l, in SYN_RCVD with its SYN+ACK sent;
 * its ISS is iss, or tcp_isn()'s if iss is 0.  NULL if the pool is empty. */
struct reqsk *tcp_req_create(struct synack_stack *st, struct tcb *l, const struct synack_ipv4 *ip,
                             const struct synack_tcp_seg *seg, uint32_t iss);
/* A zeroed request holding the 4-tuple of seg (arrived in ip). */
void tcp_req_key(struct reqsk *r, const struct synack_ipv4 *ip, const struct synack_tcp_seg *seg);
/* Fills r from a SYN (options, sequence numbers, 4-tuple); iss is chosen by the caller. */
void tcp_req_from_syn(struct synack_stack *st, struct reqsk *r, const struct synack_ipv4 *ip,
                      const struct synack_tcp_seg *seg);
void tcp_input_req(struct synack_stack *st, struct reqsk *r, const struct synack_tcp_seg *seg);
/* Drops every request of listener l (it is closing). */
void tcp_req_purge(struct synack_stack *st, struct tcb *l);
/* The full connection for a completed handshake, in SYN_RCVD, hashed, its
 * listener's child: the final ACK is then processed on it as on any
 * SYN_RCVD connection.  NULL if no connection slot is free. */
struct tcb *tcp_req_promote(struct synack_stack *st, struct tcb *l, const struct reqsk *r);
/* Visits every request as ss would show it. */
size_t tcp_req_foreach(const struct synack_stack *st, synack_sock_visit_fn fn, void *ctx);
/* Emits the listener's queue lengths to the trace. */
void tcp_listener_trace(struct synack_stack *st, struct tcb *l);
/* Linux's sk_acceptq_is_full: listen(fd, N) takes N + 1. */
static inline bool tcp_accept_queue_full(const struct tcb *l)
{
	return l->aq_len > l->backlog;
}

/* ---- SYN cookies (syncookie.c) ---- */
/* The ISS and (with timestamps) TSval that encode r; the MSS may be rounded
 * down to the cookie's table and options dropped without timestamps. */
void tcp_cookie_make(struct synack_stack *st, struct reqsk *r, uint32_t *tsval);
/* Rebuilds the request of a returning ACK; false if its cookie is invalid or stale. */
bool tcp_cookie_check(struct synack_stack *st, const struct synack_ipv4 *ip, const struct synack_tcp_seg *seg,
                      struct reqsk *r);

/* ---- output (tcp_output.c) ---- */
void tcp_output(struct synack_stack *st, struct tcb *t);         /* send what the windows allow */
void tcp_send_ack(struct synack_stack *st, struct tcb *t);
void tcp_send_syn(struct synack_stack *st, struct tcb *t);       /* SYN or SYN+ACK per state */
void tcp_send_rst(struct synack_stack *st, struct tcb *t);       /* abort an open connection */
void tcp_send_challenge_ack(struct synack_stack *st, struct tcb *t);
void tcp_send_window_probe(struct synack_stack *st, struct tcb *t);
void tcp_send_oow_ack(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg);
/* Sends a segment that belongs to no connection: a reset, the SYN+ACK of a
 * request entry or a cookie, the ACK of a TIME_WAIT entry. */
void tcp_xmit_bare(struct synack_stack *st, uint32_t src, uint32_t dst, const struct synack_tcp_seg *s);
/* The SYN+ACK of a request entry or a cookie; tsval is what it carries. */
void tcp_send_synack(struct synack_stack *st, const struct reqsk *r, uint32_t tsval);
/* Reset in answer to a segment that has no connection (RFC 9293 3.10.7.1). */
void tcp_reset_reply(struct synack_stack *st, const struct synack_ipv4 *ip, const struct synack_tcp_seg *seg);
uint32_t tcp_rcv_window(const struct tcb *t);
uint32_t tcp_current_mss(const struct synack_stack *st, const struct tcb *t); /* payload per data segment, options counted */
uint32_t tcp_ts_now(const struct synack_stack *st, const struct tcb *t);

/* ---- timers (tcp_timer.c) ---- */
void tcp_timer_update(struct synack_stack *st, struct tcb *t);  /* re-arm the one slot */
void tcp_rexmit_start(struct synack_stack *st, struct tcb *t);  /* arm RTO if not armed */
void tcp_timer_fire(struct synack_stack *st, struct stack_timer *timer);
void tcp_enter_time_wait(struct synack_stack *st, struct tcb *t);

/* ---- TIME_WAIT (timewait.c) ---- */
int tw_init(struct synack_stack *st);
void tw_free_all(struct synack_stack *st);
/* The connection t just entered TIME_WAIT and its last ACK is out: a
 * compact entry takes over the 4-tuple and t is released (SPEC T01). */
void tw_from_tcb(struct synack_stack *st, struct tcb *t);
bool tw_has_room(const struct synack_stack *st);
void tcp_input_time_wait(struct synack_stack *st, struct tw_entry *tw, const struct synack_ipv4 *ip,
                         const struct synack_tcp_seg *seg);
/* tcp_tw_reuse: may connect() take over this entry's 4-tuple (SPEC T04)? */
bool tw_reusable(const struct synack_stack *st, const struct tw_entry *tw);
/* Ends the entry for a new connection; returns the ISS that connection must use. */
uint32_t tw_recycle(struct synack_stack *st, struct tw_entry *tw);
bool tw_port_conflict(const struct synack_stack *st, uint16_t port, bool reuse);
size_t tw_foreach(const struct synack_stack *st, synack_sock_visit_fn fn, void *ctx);

/* ---- input (tcp_input.c and the state files) ---- */
/* tw_isn: the ISS a SYN accepted from TIME_WAIT must get, or 0 (Linux's
 * TCP_SKB_CB(skb)->tcp_tw_isn). */
void tcp_input_listen(struct synack_stack *st, struct tcb *l, const struct synack_ipv4 *ip,
                      const struct synack_tcp_seg *seg, uint32_t tw_isn);
/* SYN_RCVD -> ESTABLISHED of a passive open; false if the accept queue is full. */
bool tcp_passive_established(struct synack_stack *st, struct tcb *c);
void tcp_input_syn_sent(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg);
void tcp_input_synchronized(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg);
/* Fills addresses, ISS, window scale and TS offset of a new connection. */
void tcp_conn_init(struct synack_stack *st, struct tcb *t, uint32_t laddr, uint16_t lport, uint32_t raddr,
                   uint16_t rport);
uint8_t tcp_choose_wscale(uint32_t rmem);
#define TCP_TS_OPT_SPACE 12 /* NOP NOP TS, in every segment once timestamps are on */
#define TCP_MIN_SND_MSS 48  /* Linux's net.ipv4.tcp_min_snd_mss */
#define TCP_MIN_PAYLOAD 8   /* the least payload a data segment carries, whatever options take */
/* The payload per segment for a peer that announced peer_mss (SPEC W05). */
uint16_t tcp_peer_mss(const struct synack_stack *st, uint32_t peer_mss, bool timestamps);
/* Applies the options of a SYN or SYN+ACK (RFC 9293 3.7.1, RFC 7323). */
void tcp_negotiate(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg);
/* What a SYN offers that we also do: r's mss, snd_wscale, opts, ts_recent. */
void tcp_syn_options(const struct synack_stack *st, const struct synack_tcp_seg *seg, struct reqsk *r);
/* Sets t's negotiated options (flags, scales, MSS, initial cwnd) from r. */
void tcp_apply_options(struct synack_stack *st, struct tcb *t, const struct reqsk *r);
/* The RTT sample (or RFC 6298 5.7 fallback) of a completed handshake. */
void tcp_handshake_rtt(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg);
/* The ACK processing shared by every synchronized state: snd_una, window, RTT. */
void tcp_ack_advance(struct synack_stack *st, struct tcb *t, const struct synack_tcp_seg *seg);

#endif
