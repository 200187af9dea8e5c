/* The scenario catalogue (SPEC F05 and the Q rows): every question about
 * the handshake and the close whose mechanism exists, and every named
 * lifecycle behaviour, as a run on the simulated network that anyone can
 * replay by name (`synack sim NAME`) and that a test asserts.
 *
 * A scenario builds two columns (a client and a server, or two peers; a
 * column is a stack or a raw host playing the peer exactly), runs them on
 * virtual time, and records:
 *   - the ladder: every segment between the columns (flags, seq, ack,
 *     length, window, send and arrival times, lost or not) and every
 *     state change, with notes for the applications' calls;
 *   - named facts: the numbers the answer rests on (when a SYN+ACK was
 *     retransmitted, what recv() returned, how many connections sit in
 *     CLOSE_WAIT ...), as int64 values a test reads by name;
 *   - each column's counters at the end of the run;
 *   - the answer: two or three sentences saying what the run shows, built
 *     from the facts, so the printed answer cannot claim what did not
 *     happen.
 * The tests assert the ladder and the facts: the answer is the assertions.
 *
 * Deterministic: the same scenario and seed give the same run, byte for
 * byte.  Uses only the public API (the synack/ headers).
 *
 * Adding a scenario is one function (in the file of its group) and one
 * entry in the table in catalogue.c.
 */
#ifndef SYNACK_SCENARIOS_H
#define SYNACK_SCENARIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/counters.h"
#include "synack/ladder.h"
#include "synack/sim.h"
#include "synack/synack.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCENARIO_MAX_FACTS 64
#define SCENARIO_ANSWER_MAX 1600

struct scenario_fact {
	char name[32];
	int64_t value;
};

/* Knobs a caller may turn; zero values mean the defaults. */
struct scenario_params {
	uint64_t seed;            /* every random choice derives from it (default 1 if 0) */
	double loss;              /* share of segments lost each way; only the lifecycle (the demo's
	                           * --loss) is written to cope, the others expect a perfect link */
	struct synack_pcap *pcap; /* if not NULL, column 0's packets are captured here */
};

/* One played scenario.  Everything stays alive until scenario_run_free(),
 * so a test may also look at the stacks. */
struct scenario_run {
	const struct scenario *scn;
	struct scenario_params params;
	struct synack_sim *sim;
	struct synack_ladder *lad;
	int node[2];                   /* the ladder's columns */
	struct synack_stack *stack[2]; /* NULL for a raw column */
	/* How the ladder reads best (the scenario sets these). */
	bool absolute;                 /* raw seq/ack: the scenario is about ISNs */
	bool ports;                    /* several connections: show the ports */
	const char *title;             /* ladder title (defaults to the question) */
	char answer[SCENARIO_ANSWER_MAX];
	struct scenario_fact facts[SCENARIO_MAX_FACTS];
	size_t n_facts;
	struct synack_counters counters[2]; /* each column's, at the end; zero for a raw column */
	char error[160];               /* set if the run could not be played as written */
	int64_t scratch[4];            /* the scenario's own state (drop filters' counters) */
	/* A copy of one segment the network holds back to deliver late: an
	 * old duplicate (sc_hold_copy, sc_deliver_held). */
	uint8_t held[1600];
	size_t held_len;
	int held_col;
	uint8_t held_flags;
	/* What raw columns received (TCP only), for scenarios that play a peer. */
	struct scenario_rx {
		synack_time_t t;
		uint32_t seq, ack;
		uint32_t payload_len;
		uint16_t sport, dport, window;
		uint8_t flags;
	} rx[2][64];
	size_t n_rx[2];
};

typedef void (*scenario_play_fn)(struct scenario_run *r);

struct scenario {
	const char *name;     /* "q04-synack-backoff" */
	const char *alias;    /* another name it answers to ("lost-third-ack"), or NULL */
	const char *ids;      /* the SPEC rows it proves: "Q04 H07" */
	const char *question; /* one line */
	scenario_play_fn play;
};

/* ---- The catalogue. ---- */

size_t scenario_count(void);
const struct scenario *scenario_at(size_t i);
/* By name or alias; NULL if none. */
const struct scenario *scenario_find(const char *name);

/* Plays s.  p may be NULL (defaults).  Returns 0, or -EINVAL / -ENOMEM, or
 * -EPROTO if the run went other than the scenario expects (r->error says
 * how; the ladder is still there to look at).  Always call
 * scenario_run_free() afterwards. */
int scenario_play(const struct scenario *s, const struct scenario_params *p, struct scenario_run *r);
void scenario_run_free(struct scenario_run *r);

/* The question heading: "q04-synack-backoff (Q04 H07)\nHow is ...?" */
void scenario_heading(const struct scenario_run *r, char *buf, size_t cap);
/* Ladder and answer, as `synack sim NAME` prints them. */
int scenario_print_text(const struct scenario_run *r, FILE *out, bool absolute);
int scenario_print_svg(const struct scenario_run *r, FILE *out, bool absolute);

/* ---- Facts and the recorded run, for the answer and the tests. ---- */

/* Sets a fact (replacing one of the same name). */
void scenario_fact(struct scenario_run *r, const char *name, int64_t value);
/* The fact's value, or def if the run did not record it. */
int64_t scenario_fact_or(const struct scenario_run *r, const char *name, int64_t def);
bool scenario_has_fact(const struct scenario_run *r, const char *name);

/* TCP segments of the run in recording order (other packets skipped). */
size_t scenario_seg_count(const struct scenario_run *r);
const struct synack_ladder_seg *scenario_seg(const struct scenario_run *r, size_t i);
/* TCP segments column col sent with exactly these flags: how many, the
 * i-th of them (from 0), and the first sent at or after t (NULL if none). */
size_t scenario_count_segs(const struct scenario_run *r, int col, uint8_t flags);
const struct synack_ladder_seg *scenario_nth_seg(const struct scenario_run *r, int col, uint8_t flags, size_t i);
const struct synack_ladder_seg *scenario_seg_from(const struct scenario_run *r, int col, uint8_t flags,
                                                  synack_time_t t);
/* "OLD>NEW OLD>NEW ..." for one column's state changes, in order. */
const char *scenario_states(const struct scenario_run *r, int col, char *buf, size_t cap);
/* The time of the n-th (from 0) change of column col into state s, or
 * SYNACK_TIME_NEVER. */
synack_time_t scenario_state_time(const struct scenario_run *r, int col, enum synack_tcp_state s, unsigned n);

/* The catalogue's columns. */
#define SCN_CLIENT_ADDR 0xc0000201u /* 192.0.2.1, column 0 */
#define SCN_SERVER_ADDR 0xc0000202u /* 192.0.2.2, column 1 */

#ifdef __cplusplus
}
#endif
#endif
