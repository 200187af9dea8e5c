/* Ladder (sequence) diagrams of a run (SPEC F04): what two nodes said to each
 * other, segment by segment, and the TCP states each passed through.
 *
 * The ladder has two columns, each a sim node.  It records, from the sim's
 * link events and its stacks' trace events:
 *   - every packet one column puts on the link to the other (TCP segments
 *     with their parsed header fields, ICMP and other packets with a short
 *     description), with what the link did to it (lost, duplicated,
 *     corrupted) and when its first copy arrived;
 *   - every connection-state change of either column node.
 * Packets between other nodes are ignored.  Records are compact (no packet
 * bytes are kept): about 100 bytes a packet, 10 MB for a run of 100k.
 *
 * Sequence numbers are shown relative, as Wireshark and the textbooks do:
 * each side's ISN is the seq of the first SYN it sends on a connection
 * (4-tuple), relative seq = seq - ISN(sender), relative ack = ack -
 * ISN(receiver), all modulo 2^32.  A SYN with a new seq after the
 * connection saw FIN or RST starts a new incarnation of the 4-tuple.
 *
 * The recorded model (this header's accessors) is separate from its
 * renderings: synack_ladder_render_text() draws it for a terminal,
 * synack_ladder_render_svg() as a self-contained SVG image; both are
 * written against the same accessors.
 *
 * Outside the core: a driver, like the sim and pcap.
 */
#ifndef SYNACK_LADDER_H
#define SYNACK_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/sim.h"
#include "synack/synack.h"

#ifdef __cplusplus
extern "C" {
#endif

struct synack_ladder;

/* One packet sent from one column to the other. */
struct synack_ladder_seg {
	synack_time_t time;          /* when it was put on the link */
	synack_time_t arrive;        /* first copy delivered; SYNACK_TIME_NEVER if none was seen */
	uint32_t order;              /* recording order of every event (breaks ties in time) */
	uint32_t seq, ack;           /* TCP: absolute, as on the wire */
	uint32_t rel_seq, rel_ack;   /* TCP: relative to the ISNs; equal to seq/ack when unknown */
	uint32_t sack_start, sack_end; /* TCP: first SACK block, absolute (if sack_count > 0) */
	uint32_t payload_len;        /* TCP payload bytes; ICMP data bytes; IP payload otherwise */
	uint32_t src, dst;           /* IPv4 addresses */
	uint16_t sport, dport;       /* TCP ports */
	uint16_t window;             /* TCP window as on the wire (unscaled) */
	uint16_t mss;                /* TCP MSS option value (if options & SYNACK_OPT_MSS) */
	uint16_t urg_ptr;            /* TCP urgent pointer (meaningful with URG) */
	uint16_t icmp_id, icmp_seq;  /* ICMP echo */
	uint8_t flags;               /* TCP: SYNACK_TCP_* */
	uint8_t options;             /* TCP: SYNACK_OPT_* present */
	uint8_t wscale;              /* TCP window scale option value */
	uint8_t sack_count;          /* TCP: SACK blocks carried */
	uint8_t from_col;            /* 0 or 1: the sending column */
	uint8_t proto;               /* IPv4 protocol */
	uint8_t icmp_type, icmp_code;
	uint8_t copies;              /* extra copies the link made (DUPLICATED) */
	bool is_tcp;                 /* a TCP segment that parsed */
	bool malformed;              /* not parseable as IPv4 (+TCP/ICMP): drawn as "malformed" */
	bool lost;                   /* the link dropped it */
	bool corrupted;              /* the link flipped a bit in it */
	bool rel_seq_known;          /* the sender's ISN was known */
	bool rel_ack_known;          /* ACK set and the receiver's ISN was known */
};

/* One connection-state change on a column node (SYNACK_TRACE_STATE). */
struct synack_ladder_state {
	synack_time_t time;
	uint32_t order;
	int col;                     /* 0 or 1 */
	int sock;                    /* as in the trace event */
	enum synack_tcp_state old_state, new_state;
	uint16_t lport, rport;
};

/* A free-text line at a moment (queue lengths, "application calls close()"). */
struct synack_ladder_note {
	synack_time_t time;
	uint32_t order;
	const char *text;
};

struct synack_ladder_opts {
	const char *title;           /* printed first, if not NULL */
	bool absolute;               /* raw seq/ack instead of relative */
	bool ports;                  /* prefix each TCP label with "sport>dport" */
	synack_time_t from, until;   /* draw only events in [from, until]; until 0 = no end */
	const char *caption;         /* printed after the diagram (word-wrapped), if not NULL */
};

/* A new, empty ladder whose columns are nodes 0 and 1 labelled "node 0" and
 * "node 1".  NULL when out of memory. */
struct synack_ladder *synack_ladder_new(void);
void synack_ladder_free(struct synack_ladder *l);

/* Chooses the two columns (before recording): node_a is drawn on the left.
 * Labels are copied (at most 31 bytes of each are kept); NULL means "node N".
 * Ignored if node_a == node_b. */
void synack_ladder_set_columns(struct synack_ladder *l, int node_a, const char *label_a, int node_b,
                               const char *label_b);

/* Sim hooks.  Their signatures fit struct synack_sim_hooks with the ladder
 * as ctx, so a caller may install them directly (synack_ladder_sim_hooks)
 * or call them from its own hooks.  A packet is recorded on SENT; LOST,
 * CORRUPTED and DUPLICATED events that follow at the same instant from the
 * same node mark that record; DELIVERED is matched by content to the oldest
 * copy in flight.  Out of memory, an event is counted as unrecorded. */
void synack_ladder_link_event(void *ladder, const struct synack_sim_event *ev);
void synack_ladder_stack_trace(void *ladder, int node, const struct synack_trace *ev);
/* Fills hooks with the two functions above and ctx = l. */
void synack_ladder_sim_hooks(struct synack_ladder *l, struct synack_sim_hooks *hooks);

/* Records a packet sent by column col (0 or 1) at time now, for drivers
 * without a sim (e.g. a TUN run).  Returns its index or a negative errno. */
long synack_ladder_record_packet(struct synack_ladder *l, synack_time_t now, int col, const uint8_t *pkt,
                                 size_t len);

/* Adds a note line at time t (text copied).  Returns 0 or -ENOMEM/-EINVAL. */
int synack_ladder_note(struct synack_ladder *l, synack_time_t t, const char *text);

/* ---- The recorded model (for tests, scenarios and other renderers). ---- */

size_t synack_ladder_count(const struct synack_ladder *l);
/* Record i in recording order; NULL if out of range. */
const struct synack_ladder_seg *synack_ladder_get(const struct synack_ladder *l, size_t i);
size_t synack_ladder_state_count(const struct synack_ladder *l);
const struct synack_ladder_state *synack_ladder_state_get(const struct synack_ladder *l, size_t i);
/* Column col's state changes in order, "OLD>NEW OLD>NEW ...", into buf
 * (truncated at a whole change if cap is short).  Returns buf. */
const char *synack_ladder_states_text(const struct synack_ladder *l, int col, char *buf, size_t cap);
size_t synack_ladder_note_count(const struct synack_ladder *l);
const struct synack_ladder_note *synack_ladder_note_get(const struct synack_ladder *l, size_t i);
/* The label of column col (0 or 1), never NULL. */
const char *synack_ladder_label(const struct synack_ladder *l, int col);
/* Events that could not be recorded for want of memory. */
size_t synack_ladder_unrecorded(const struct synack_ladder *l);
/* When the run held exactly one connection between the columns (one
 * incarnation of one 4-tuple), the ISN each column chose: known[c] says
 * whether column c's SYN was seen.  Returns false (and clears known) when
 * there were none or several: relative numbers then restart per
 * connection and no single ISN describes the run. */
bool synack_ladder_single_isns(const struct synack_ladder *l, uint32_t isn[2], bool known[2]);

/* The text drawn on a segment's arrow, e.g. "SYN+ACK seq=0 ack=1 win=65535"
 * and, separately, its options "<mss 1460,ws 7,sackOK,ts>" ("" if none).
 * Either buffer may be NULL.  Returns main. */
char *synack_ladder_seg_label(const struct synack_ladder_seg *s, bool absolute, bool ports, char *main,
                              size_t main_cap, char *opts, size_t opts_cap);
/* "SYN", "SYN+ACK", "FIN+PSH+ACK", ..., "none": flags in the textbook form. */
char *synack_ladder_flags(uint8_t flags, char *buf, size_t cap);

/* Draws the ladder as text, about 100 columns wide: a header with the two
 * labels, then one line per segment, state change and note in time order
 * (at equal times, in recording order).  opts may be NULL.  Returns 0 or a
 * negative errno if writing failed. */
int synack_ladder_render_text(const struct synack_ladder *l, FILE *out, const struct synack_ladder_opts *opts);

/* Draws the ladder as a self-contained SVG 1.1 document (no scripts, no
 * external resources), about 1000 pixels wide, as the textbooks draw it:
 * the two lifelines, one slanted arrow per segment from its sending time to
 * its arrival time, labelled as in the text rendering; lost segments as red
 * dashed arrows ending in an X; each state change as a labelled box beside
 * its column; notes between the lifelines; the virtual time of every event
 * in the left margin, and idle stretches of a second or more drawn as
 * dashed lifelines.  The output depends only on the recorded model and
 * opts (integer coordinates), so a replayed run draws byte-identical SVG.
 * opts may be NULL.  Returns 0 or a negative errno. */
int synack_ladder_render_svg(const struct synack_ladder *l, FILE *out, const struct synack_ladder_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
