/* A SYN flood on the simulated network (SPEC L04, Q07): an attacker sends
 * spoofed SYNs from random sources that never answer, while legitimate
 * clients connect to the same listener and exchange data.  Deterministic:
 * the same parameters give the same result.  Outside the core: drives the
 * stacks through the public API only. */
#ifndef SYNACK_FLOOD_H
#define SYNACK_FLOOD_H

#include <stdint.h>

#include "synack/synack.h"

#ifdef __cplusplus
extern "C" {
#endif

struct synack_flood_params {
	uint64_t seed;
	uint32_t syns;              /* spoofed SYNs the attacker sends (100000) */
	uint32_t syn_rate;          /* ... per second of virtual time (10000) */
	uint32_t clients;           /* legitimate connections (100) */
	uint32_t client_hosts;      /* spread over this many client stacks (10) */
	uint32_t bytes;             /* each client sends this many and reads them back (1000) */
	uint8_t syncookies;         /* the server's tcp_syncookies */
	uint32_t max_syn_backlog;   /* the server's SYN queue bound */
	int backlog;                /* the listener's accept queue bound */
	synack_time_t deadline_us;  /* a client not done this long after its connect() failed (30 s) */
};

/* Fills p with the defaults above (cookies on, max_syn_backlog 256, backlog 128). */
void synack_flood_default(struct synack_flood_params *p);

struct synack_flood_result {
	uint32_t clients_ok;        /* connected, echoed every byte, closed, within the deadline */
	uint32_t clients_failed;
	uint32_t max_synq;          /* longest SYN queue the listener reported (trace) */
	uint32_t max_server_conns;  /* most connections and requests the server held at once (sampled each 100 ms) */
	uint64_t syns_sent;         /* spoofed SYNs injected */
	synack_time_t last_client_done; /* virtual time the last successful client finished */
	synack_time_t sim_time;     /* virtual time at the end of the run */
	struct synack_counters server; /* the server's counters at the end */
};

/* Runs the flood.  Returns 0, or a negative errno for bad parameters. */
int synack_flood_run(const struct synack_flood_params *p, struct synack_flood_result *r);

#ifdef __cplusplus
}
#endif
#endif
