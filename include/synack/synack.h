/* synack: a userspace TCP/IP stack with a sans-IO core.
 *
 * The caller owns every outside effect: it hands packets in with the current
 * time (synack_input), lets timers run (synack_poll), asks when to call again
 * (synack_next_timeout), and receives packets out through the tx hook.  The
 * core never reads a clock, never sleeps, never touches a file descriptor and
 * keeps no global state: any number of stacks may live in one process.
 *
 * Time is a monotonic count of microseconds chosen by the caller.
 */
#ifndef SYNACK_SYNACK_H
#define SYNACK_SYNACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/counters.h"
#include "synack/socket.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t synack_time_t; /* microseconds, monotonic, supplied by the caller */
#define SYNACK_TIME_NEVER UINT64_MAX
#define SYNACK_MS(ms) ((synack_time_t)(ms) * 1000u)
#define SYNACK_SEC(s) ((synack_time_t)(s) * 1000000u)

struct synack_stack;

/* Configuration.  Names follow Linux's sysctls (net.ipv4.*) without their
 * "tcp_" prefix; times carry their unit in the name.  synack_config_default()
 * fills in Linux's defaults. */
struct synack_config {
	uint32_t addr;              /* this stack's IPv4 address, host byte order */
	uint64_t seed;              /* every random choice (secrets, ports) derives from it */
	uint16_t mtu;               /* largest IPv4 packet we send (1500) */
	uint8_t ip_default_ttl;     /* net.ipv4.ip_default_ttl (64) */
	bool icmp_echo_ignore_all;  /* net.ipv4.icmp_echo_ignore_all (0: answer ping) */

	/* TCP (net.ipv4.tcp_*) */
	uint32_t max_sockets;       /* connections + listeners the stack can hold (pool size) */
	uint32_t rmem;              /* receive buffer per connection, bytes (tcp_rmem[1] 131072) */
	uint32_t wmem;              /* send buffer per connection, bytes (131072) */
	uint8_t syn_retries;        /* tcp_syn_retries (6) */
	uint8_t synack_retries;     /* tcp_synack_retries (5) */
	uint8_t retries2;           /* tcp_retries2 (15): data retransmissions before ETIMEDOUT */
	uint8_t orphan_retries;     /* tcp_orphan_retries (0, which means 8 as in Linux) */
	uint32_t fin_timeout_ms;    /* tcp_fin_timeout (60 s): orphaned FIN_WAIT_2 lifetime */
	uint32_t msl_ms;            /* maximum segment lifetime (30 s): TIME_WAIT lasts 2*MSL */
	uint32_t rto_initial_ms;    /* RFC 6298 2.1 (1 s) */
	uint32_t rto_min_ms;        /* Linux TCP_RTO_MIN (200 ms) */
	uint32_t rto_max_ms;        /* Linux TCP_RTO_MAX (120 s) */
	uint32_t invalid_ratelimit_ms; /* tcp_invalid_ratelimit (500 ms): challenge ACKs per connection */
	uint32_t max_syn_backlog;   /* tcp_max_syn_backlog (2048): half-open requests per listener,
	                             * and the size of the stack's pool of request entries */
	uint8_t syncookies;         /* tcp_syncookies (1): 0 never, 1 when the SYN queue is full, 2 always */
	bool abort_on_overflow;     /* tcp_abort_on_overflow (0): RST, not silence, when the accept queue is full */
	uint32_t syn_rate_per_src;  /* SYNs a listener takes from one source address per second
	                             * before dropping them (0: no limit; Linux needs iptables for this) */
	uint32_t somaxconn;         /* net.core.somaxconn (4096): cap on listen() backlog */
	uint16_t ip_local_port_range[2]; /* ip_local_port_range (32768 60999) */
	bool timestamps;            /* tcp_timestamps (1) */
	bool sack;                  /* tcp_sack (1) */
	bool window_scaling;        /* tcp_window_scaling (1) */
	/* TIME_WAIT */
	uint32_t max_tw_buckets;    /* tcp_max_tw_buckets (262144): TIME_WAIT entries held at most */
	uint8_t tw_reuse;           /* tcp_tw_reuse: 1 lets connect() take a 4-tuple from TIME_WAIT (0) */
	uint32_t tw_reuse_delay_ms; /* tcp_tw_reuse_delay (1000): how old that entry must be */
	bool rfc1337;               /* tcp_rfc1337: 1 makes TIME_WAIT ignore RST (1; Linux: 0) */
};

/* Fills cfg with the defaults (Linux's where Linux has one). */
void synack_config_default(struct synack_config *cfg);

/* The eleven states of RFC 9293 section 3.3.2, by its names. */
enum synack_tcp_state {
	SYNACK_CLOSED,
	SYNACK_LISTEN,
	SYNACK_SYN_SENT,
	SYNACK_SYN_RCVD,
	SYNACK_ESTABLISHED,
	SYNACK_FIN_WAIT_1,
	SYNACK_FIN_WAIT_2,
	SYNACK_CLOSE_WAIT,
	SYNACK_CLOSING,
	SYNACK_LAST_ACK,
	SYNACK_TIME_WAIT,
	SYNACK_STATE_COUNT
};

/* "SYN_SENT", ...; "?" for a value out of range. */
const char *synack_state_name(enum synack_tcp_state s);

/* What the trace hook sees. */
enum synack_trace_kind {
	SYNACK_TRACE_PKT_IN,      /* a packet handed to synack_input (before any check) */
	SYNACK_TRACE_PKT_OUT,     /* a packet passed to the tx hook */
	SYNACK_TRACE_DROP,        /* an input packet dropped; counter says why */
	SYNACK_TRACE_ECHO_REPLY,  /* an ICMP echo reply arrived for us */
	SYNACK_TRACE_STATE,       /* a connection changed state */
	SYNACK_TRACE_QUEUE,       /* a listener's SYN queue or accept queue changed length */
};

struct synack_trace {
	enum synack_trace_kind kind;
	synack_time_t now;
	const uint8_t *pkt;       /* PKT_IN, PKT_OUT, DROP, ECHO_REPLY: the whole IPv4 packet */
	size_t len;
	enum synack_counter_id counter; /* DROP: the counter that was bumped for it */
	uint32_t peer;            /* ECHO_REPLY: who answered */
	uint16_t echo_id, echo_seq; /* ECHO_REPLY */
	int sock;                 /* STATE: the socket handle, or -1 if the connection has none;
	                           * QUEUE: the listener's handle */
	enum synack_tcp_state old_state, new_state; /* STATE */
	uint32_t laddr, raddr;    /* STATE: the connection's 4-tuple (QUEUE: the listener's address and port) */
	uint16_t lport, rport;
	uint32_t synq_len, acceptq_len, backlog; /* QUEUE: the listener's queues after the change */
};

struct synack_hooks {
	/* Called for every packet the stack sends; the bytes are valid only during
	 * the call.  Required. */
	void (*tx)(void *ctx, const uint8_t *pkt, size_t len);
	/* Called for every trace event; optional. */
	void (*trace)(void *ctx, const struct synack_trace *ev);
	/* Called when a socket's readiness may have changed (events is
	 * synack_sock_events() at that moment); optional.  It may call back into
	 * the socket API. */
	void (*event)(void *ctx, int sock, int events);
	void *ctx;
};

/* Creates a stack.  All memory the stack will use for its lifetime is
 * allocated here.  Returns NULL on bad config (-EINVAL) or no memory; err, if
 * not NULL, receives the negative errno. */
struct synack_stack *synack_stack_new(const struct synack_config *cfg, const struct synack_hooks *hooks,
                                      int *err);
void synack_stack_free(struct synack_stack *st);

/* Hands one IPv4 packet to the stack at time now.  Malformed packets are
 * dropped and counted; this never fails and never keeps a reference to pkt. */
void synack_input(struct synack_stack *st, const uint8_t *pkt, size_t len, synack_time_t now);

/* Runs every timer due at or before now.  One exception bounds the cost of
 * a call: TIME_WAIT entries expire at most 1024 per call, so a crowd of them
 * due together ends over a few calls, one tick apart, as synack_next_timeout()
 * asks (each lives a little longer than 2*MSL, never shorter). */
void synack_poll(struct synack_stack *st, synack_time_t now);

/* When the stack next needs synack_poll, or SYNACK_TIME_NEVER. */
synack_time_t synack_next_timeout(const struct synack_stack *st);

/* The stack's counters (live; valid while the stack lives). */
const struct synack_counters *synack_get_counters(const struct synack_stack *st);

/* The configuration the stack runs with (after defaults were applied). */
const struct synack_config *synack_get_config(const struct synack_stack *st);

/* Sends an ICMP echo request (ping) to dst.  The reply shows up as a
 * SYNACK_TRACE_ECHO_REPLY event.  Returns 0, or -EMSGSIZE if the payload does
 * not fit the MTU, -EINVAL on bad arguments. */
int synack_ping(struct synack_stack *st, uint32_t dst, uint16_t id, uint16_t seq, const void *data,
                size_t len, synack_time_t now);

#ifdef __cplusplus
}
#endif
#endif
