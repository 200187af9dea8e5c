/* What scenario functions are written with: two columns on one 10 ms link,
 * the application's calls as ladder notes, crafted segments for raw
 * columns, facts and the answer.  Private to the scenarios library. */
#ifndef SYNACK_SCENARIOS_PLAY_H
#define SYNACK_SCENARIOS_PLAY_H

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "scenarios.h"
#include "synack/pcap.h"
#include "synack/wire.h"

#define COL_C 0 /* the client (or peer A) */
#define COL_S 1 /* the server (or peer B) */
#define SC_DELAY_US 10000u /* one-way delay of the link */
#define SC_OOM "out of memory" /* r->error when memory ran out (scenario_play: -ENOMEM) */

#if defined(__GNUC__)
#define SC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SC_PRINTF(a, b)
#endif

/* Tweaks a column's stack configuration before the stack is made. */
typedef void (*sc_config_fn)(struct synack_config *cfg, int col);

/* Two columns joined by a 10 ms link (losing params.loss each way): column
 * raw_col (COL_C, COL_S or -1) is a raw host whose received TCP segments
 * land in r->rx[col], the other(s) stacks configured as the demo's (Linux
 * defaults, 64 KiB buffers).  Labels NULL mean "client" / "server".
 * Returns false (and sets r->error) if the sim could not be built. */
bool sc_setup(struct scenario_run *r, int raw_col, sc_config_fn tweak, const char *label_c, const char *label_s);

/* Runs the network up to and including virtual time t. */
void sc_run_to(struct scenario_run *r, synack_time_t t);
synack_time_t sc_now(const struct scenario_run *r);

/* A note on the ladder at the current time (an application's call). */
void sc_note(struct scenario_run *r, const char *fmt, ...) SC_PRINTF(2, 3);
/* The answer (replaces any earlier one). */
void sc_answer(struct scenario_run *r, const char *fmt, ...) SC_PRINTF(2, 3);
/* Records why the run is not what the scenario expects, unless cond holds.
 * Returns cond. */
bool sc_expect(struct scenario_run *r, bool cond, const char *fmt, ...) SC_PRINTF(3, 4);

/* Sends a crafted TCP segment from column col to the other column's
 * address, as if col had sent it (raw or stack column alike: a stack
 * column then stands for a segment from the past, or a spoofer on its
 * path).  A SYN carries MSS 1460. */
struct sc_seg {
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t seq, ack;
	const char *data;
	uint32_t len;
	uint16_t urg_ptr;
	uint16_t window;  /* 0 means 65535 (0 on a RST) */
};
void sc_send(struct scenario_run *r, int col, const struct sc_seg *s);

/* The network duplicates the next segment column col sends with exactly
 * `flags` and holds the copy back: the original goes on as usual.  Uses
 * the filter of that direction. */
void sc_hold_copy(struct scenario_run *r, int col, uint8_t flags);
/* Delivers the held copy now, from its column, as an old duplicate that
 * took the long way.  Returns false (and sets r->error) if none is held. */
bool sc_deliver_held(struct scenario_run *r);

/* The last segment raw column col received with all of `flags` set, or NULL. */
const struct scenario_rx *sc_last_rx(const struct scenario_run *r, int col, uint8_t flags);

/* Socket calls on column col's stack, as notes say them. */
int sc_listen(struct scenario_run *r, int col, uint16_t port);
/* A socket bound to bind_port (0: ephemeral) connecting to the other
 * column's port.  Returns the socket. */
int sc_connect(struct scenario_run *r, int col, uint16_t bind_port, uint16_t port);
/* A connection between the columns: the server's listener, the client's
 * socket and the accepted one. */
struct sc_conn {
	int l, c, a;
};
/* The client connects from an ephemeral port to port 80, where k->l
 * listens, at the current time; the server accepts 100 ms later.  `what`
 * is appended to the note.  Returns false (r->error set) if it did not
 * open. */
bool sc_open(struct scenario_run *r, struct sc_conn *k, const char *what);
/* When column col first went from one state to another, or SYNACK_TIME_NEVER. */
synack_time_t sc_state_change_time(const struct scenario_run *r, int col, enum synack_tcp_state from,
                                   enum synack_tcp_state to);
/* How many of col's connections are in state s (a listener counts as LISTEN). */
int sc_count_state(const struct scenario_run *r, int col, enum synack_tcp_state s);
/* How many connections and listeners col's stack holds, handle or not. */
int sc_count_conns(const struct scenario_run *r, int col);
/* The `ss -tan` view of col's stack, one line per socket, into buf. */
void sc_ss(const struct scenario_run *r, int col, char *buf, size_t cap);

/* Appends to buf (capacity cap, *used bytes used), truncating safely. */
void sc_append(char *buf, size_t cap, size_t *used, const char *fmt, ...) SC_PRINTF(4, 5);

/* "1.010" (seconds, millisecond precision) into buf. */
const char *sc_secs(char *buf, synack_time_t t);
#define SECS(t) sc_secs((char[32]){0}, (t))
/* A duration the way people say it: "1", "0.2", "32" (seconds). */
const char *sc_dur(char *buf, synack_time_t t);
#define DUR(t) sc_dur((char[32]){0}, (t))
/* Notes, at their time, each half-open connection of the server column
 * that went back to LISTEN and was then discarded (its LISTEN -> CLOSED
 * would otherwise read as the listener closing). */
void sc_note_discarded_requests(struct scenario_run *r);
/* "192.0.2.1" */
#define ADDR(a) synack_ip_format((a), (char[16]){0})


/* ---- The scenarios (one function each, grouped by file). ---- */

/* open.c */
void play_q01_handshake(struct scenario_run *r);
void play_q02_old_duplicate_syn(struct scenario_run *r);
void play_q04_synack_backoff(struct scenario_run *r);
void play_q05_isn(struct scenario_run *r);
void play_q06_data_in_handshake(struct scenario_run *r);
void play_q14_lost_third_ack(struct scenario_run *r);
void play_q14_server_gave_up(struct scenario_run *r);
void play_q15_old_syn_in_syn_rcvd(struct scenario_run *r);
void play_q16_simultaneous_open(struct scenario_run *r);

/* listen.c */
void play_q03_queues(struct scenario_run *r);
void play_q07_syn_flood(struct scenario_run *r);
void play_q07_syn_cookies(struct scenario_run *r);

/* close.c */
void play_lifecycle(struct scenario_run *r);
void play_q08_four_way_close(struct scenario_run *r);
void play_q09_half_close(struct scenario_run *r);
void play_q12_close_wait(struct scenario_run *r);
void play_q16_simultaneous_close(struct scenario_run *r);
void play_lost_last_ack(struct scenario_run *r);

/* reset.c */
void play_rst_closed_port(struct scenario_run *r);
void play_challenge_ack(struct scenario_run *r);
void play_q17_flags(struct scenario_run *r);

/* timewait.c */
void play_q10_old_duplicate(struct scenario_run *r);
void play_q10_syn_in_time_wait(struct scenario_run *r);
void play_q11_port_exhaustion(struct scenario_run *r);
void play_q11_tw_reuse(struct scenario_run *r);
void play_q11_linger_zero(struct scenario_run *r);
void play_q11_max_tw_buckets(struct scenario_run *r);
void play_q11_keep_alive(struct scenario_run *r);
void play_q13_reuseaddr(struct scenario_run *r);

#define F_SYN SYNACK_TCP_SYN
#define F_SA (SYNACK_TCP_SYN | SYNACK_TCP_ACK)
#define F_A SYNACK_TCP_ACK
#define F_PA (SYNACK_TCP_PSH | SYNACK_TCP_ACK)
#define F_FA (SYNACK_TCP_FIN | SYNACK_TCP_ACK)
#define F_R SYNACK_TCP_RST
#define F_RA (SYNACK_TCP_RST | SYNACK_TCP_ACK)

#endif
