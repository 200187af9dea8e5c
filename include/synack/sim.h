/* Simulated network: several stacks (and raw hosts) in one process, joined by
 * links with a seeded fault model per direction, on a virtual clock that jumps
 * from event to event.  The same seed replays a run bit for bit.  Outside the
 * core: it drives stacks only through the public API. */
#ifndef SYNACK_SIM_H
#define SYNACK_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/synack.h"

#ifdef __cplusplus
extern "C" {
#endif

struct synack_sim;
struct synack_pcap;

/* The fault model of one direction of a link.  Probabilities are in [0, 1]. */
struct synack_link_model {
	double loss;              /* drop the packet */
	double duplicate;         /* deliver a second copy (its own delay draw) */
	double corrupt;           /* flip one random bit of the packet */
	double reorder;           /* hold the packet back by reorder_delay_us extra */
	synack_time_t delay_us;   /* one-way propagation delay */
	synack_time_t jitter_us;  /* extra delay drawn uniformly from [0, jitter_us] */
	synack_time_t reorder_delay_us;
	uint64_t bandwidth_bps;   /* serialization rate; 0 = infinite.  Packets queue FIFO. */
};

/* What happened to a packet on a link (for the sim trace). */
enum synack_sim_event_kind {
	SYNACK_SIM_SENT,       /* a node put a packet on a link */
	SYNACK_SIM_LOST,       /* the fault model (or a drop filter) dropped it */
	SYNACK_SIM_DUPLICATED, /* a copy was made */
	SYNACK_SIM_CORRUPTED,  /* a bit was flipped */
	SYNACK_SIM_DELIVERED,  /* handed to the receiving node */
	SYNACK_SIM_NO_ROUTE,   /* no link from the sender to the destination address */
};

struct synack_sim_event {
	enum synack_sim_event_kind kind;
	synack_time_t now;
	int from, to;          /* node indices; to = -1 for NO_ROUTE */
	const uint8_t *pkt;
	size_t len;
};

/* Every node's stack trace events arrive here too, tagged with the node. */
struct synack_sim_hooks {
	void (*link_event)(void *ctx, const struct synack_sim_event *ev);
	void (*stack_trace)(void *ctx, int node, const struct synack_trace *ev);
	/* A socket's readiness may have changed (the stack's event hook); it
	 * may call the socket API (optional). */
	void (*sock_event)(void *ctx, int node, int sock, int events);
	void *ctx;
};

struct synack_sim *synack_sim_new(uint64_t seed);
void synack_sim_free(struct synack_sim *sim);
void synack_sim_set_hooks(struct synack_sim *sim, const struct synack_sim_hooks *hooks);

/* Adds a node running a stack built from cfg (its tx/trace hooks are the
 * sim's).  Returns the node index (>= 0) or a negative errno. */
int synack_sim_add_stack(struct synack_sim *sim, const struct synack_config *cfg);

/* Adds a raw host owning addr: packets routed to it are handed to rx (at
 * their delivery time) instead of a stack.  For crafted peers and attackers.
 * rx may be NULL (packets are absorbed). */
typedef void (*synack_sim_rx_fn)(void *ctx, int node, const uint8_t *pkt, size_t len, synack_time_t now);
int synack_sim_add_raw(struct synack_sim *sim, uint32_t addr, synack_sim_rx_fn rx, void *ctx);

/* Joins nodes a and b; ab is the model for a->b, ba for b->a (NULL = perfect).
 * Returns 0 or -EINVAL / -EEXIST. */
int synack_sim_link(struct synack_sim *sim, int a, int b, const struct synack_link_model *ab,
                    const struct synack_link_model *ba);

/* Changes the model of the direction from->to of an existing link. */
int synack_sim_set_model(struct synack_sim *sim, int from, int to, const struct synack_link_model *m);

/* A deterministic drop filter on direction from->to, consulted before the
 * fault model: returning true drops the packet (counted as LOST).  Tests use
 * it to lose exactly "the SYN+ACK" or "the second FIN". */
typedef bool (*synack_sim_filter_fn)(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now);
int synack_sim_set_filter(struct synack_sim *sim, int from, int to, synack_sim_filter_fn fn, void *ctx);

/* Sends a packet from node `from` as if that node had transmitted it (the
 * source address may be anything: spoofing is allowed).  Routed by the
 * destination address. */
void synack_sim_inject(struct synack_sim *sim, int from, const uint8_t *pkt, size_t len);

/* Schedules fn(ctx) at virtual time t (for application actions). */
typedef void (*synack_sim_call_fn)(void *ctx, struct synack_sim *sim);
int synack_sim_at(struct synack_sim *sim, synack_time_t t, synack_sim_call_fn fn, void *ctx);

/* Records every packet into and out of node (in its stack's view) to p.
 * Several nodes may share one pcap. */
void synack_sim_capture(struct synack_sim *sim, int node, struct synack_pcap *p);

struct synack_stack *synack_sim_stack(struct synack_sim *sim, int node); /* NULL for raw nodes */
uint32_t synack_sim_addr(const struct synack_sim *sim, int node);
synack_time_t synack_sim_now(const struct synack_sim *sim);

/* Runs the next event (packet delivery, stack timer or scheduled call),
 * moving the clock to it.  Returns false when nothing is left to do. */
bool synack_sim_step(struct synack_sim *sim);
/* Runs events up to and including time t, then sets the clock to t. */
void synack_sim_run_until(struct synack_sim *sim, synack_time_t t);
/* Runs until nothing is left to do or the clock would pass limit.  Returns
 * true if the network went idle. */
bool synack_sim_run(struct synack_sim *sim, synack_time_t limit);

/* Per-direction statistics. */
struct synack_sim_link_stats {
	uint64_t sent, lost, duplicated, corrupted, delivered;
};
int synack_sim_link_stats(const struct synack_sim *sim, int from, int to, struct synack_sim_link_stats *out);

#ifdef __cplusplus
}
#endif
#endif
