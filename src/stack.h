/* The stack object and the helpers every protocol module shares.  Private:
 * only src/ and unit tests include it. */
#ifndef SYNACK_STACK_H
#define SYNACK_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"
#include "base/siphash.h"
#include "base/wheel.h"
#include "synack/synack.h"
#include "synack/wire.h"

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Timers tick in milliseconds: the finest TCP timer (delayed ACK, RTO min)
 * is tens of milliseconds, and 1 ms ticks keep the wheel shallow. */
#define STACK_TICK_US 1000u

struct synack_stack;
struct tcb;
struct sk_common;
struct reqsk;

/* A timer owned by some protocol object; fire runs when it expires. */
struct stack_timer {
	struct wheel_timer wt;
	void (*fire)(struct synack_stack *st, struct stack_timer *t);
};

/* One slot of the per-source SYN rate table. */
struct syn_rate {
	uint32_t addr;
	uint32_t start_ms;          /* start of its one-second window */
	uint32_t count;             /* SYNs in that window */
};
#define SYN_RATE_SLOTS 1024
struct tw_table;

/* The TCP part of the stack (one per stack). */
struct tcp_tables {
	struct tcb *pool;           /* max_sockets entries */
	uint8_t *bufmem;            /* max_sockets * (rmem + wmem) bytes */
	struct tcb *free;           /* free list */
	struct sk_common **ehash;   /* 4-tuples: connections, requests, TIME_WAIT entries */
	struct tcb **bhash;         /* local ports: every socket holding one */
	struct sk_common **lhash;   /* listeners by port: a SYN never walks a port's connections */
	uint32_t hmask;             /* ehash/bhash size - 1 */
	struct siphash_key hash_key, isn_key, port_key;
	struct tcb *ev_head;        /* sockets whose readiness may have changed */
	/* request entries: pool, free list (index + 1), one timer FIFO per
	 * SYN+ACK backoff level (every entry of a level has the same timeout,
	 * so each FIFO is in deadline order) and one wheel slot for them all */
	struct reqsk *reqs;
	uint32_t req_free;
	uint32_t (*req_fifo)[2];    /* [level] = {head, tail} */
	struct stack_timer req_timer;
	synack_time_t req_timer_at; /* when req_timer is armed for */
	struct siphash_key cookie_key;
	struct syn_rate *syn_rate;  /* per-source SYN counts (syn_rate_per_src) */
	uint32_t port_hint;         /* RFC 6056 algorithm 3's per-destination counter stand-in */
	uint32_t emask;             /* ehash size - 1: sized for connections and TIME_WAIT entries */
	struct tw_table *tw;        /* TIME_WAIT entries (tcp/timewait.c) */
};


struct synack_stack {
	struct synack_config cfg;
	struct synack_hooks hooks;
	struct synack_counters ctr;
	synack_time_t now;          /* the latest time the caller has told us */
	struct rng rng;
	uint16_t ip_id;             /* next IPv4 identification */
	struct wheel wheel;
	struct tcp_tables tcp;
	uint8_t txbuf[65536];       /* every outgoing packet is built here, then handed to tx */
};

/* Moves the stack's notion of time forward (never back). */
void stack_set_now(struct synack_stack *st, synack_time_t now);

/* Fills the IPv4 fields of an outgoing packet to dst. */
void stack_ip_out(struct synack_stack *st, struct synack_ipv4 *ip, uint32_t dst, uint8_t proto);

/* Hands st->txbuf[0..len) to the tx hook and the trace. */
void stack_tx(struct synack_stack *st, size_t len);

/* Counts a dropped input packet under ctr and tells the trace. */
void stack_drop(struct synack_stack *st, enum synack_counter_id ctr, const uint8_t *pkt, size_t len);

/* Emits a trace event (no-op without a trace hook); fills ev->now. */
void stack_trace(struct synack_stack *st, struct synack_trace *ev);

/* Arms t to fire at absolute time `at` (microseconds; rounded up to a tick,
 * so a timer never fires early). */
void stack_timer_arm(struct synack_stack *st, struct stack_timer *t, synack_time_t at);
void stack_timer_cancel(struct synack_stack *st, struct stack_timer *t);

#define CTR_INC(st, name) ((st)->ctr.name++)
void counter_inc(struct synack_counters *c, enum synack_counter_id id);

/* Protocol entry points, called by the IPv4 demultiplexer. */
void icmp_input(struct synack_stack *st, const struct synack_ipv4 *ip, const uint8_t *pkt, size_t len);
void tcp_input(struct synack_stack *st, const struct synack_ipv4 *ip, const uint8_t *pkt, size_t len);

#endif
