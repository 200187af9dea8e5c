/* Ladder diagrams (SPEC F04; seq numbers modulo 2^32, W04): the recorded
 * model (relative numbers, what the link did to each packet, states) and its
 * text rendering, fed by hand-made sim events and by a real lossy sim run.
 *
 * The hand-made run is a whole connection whose ISNs sit just below 2^32
 * (client 0xfffffff0, server 0xfffffffe), so every relative number past the
 * handshake is computed across the wrap. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "synack/ladder.h"
#include "synack/sim.h"
#include "synack/synack.h"
#include "synack/wire.h"

#define ADDR_C 0x0a000001u /* 10.0.0.1: the client, node 0 */
#define ADDR_S 0x0a000002u /* 10.0.0.2: the server, node 1 */
#define ADDR_X 0x0a000003u /* 10.0.0.3: a third node, 2 */
#define CPORT 40000
#define SPORT 80
#define CISN 0xfffffff0u
#define SISN 0xfffffffeu
#define DELAY_MS 10u

/* ---- building and feeding events ---- */

enum opt_set { OPTS_NONE, OPTS_SYN, OPTS_TS };

struct pkt {
	uint8_t b[1600];
	size_t len;
};

/* A TCP segment from node `from` (0 client, 1 server, 2 third) to `to`. */
static struct pkt tcp_pkt(int from, int to, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t len,
                          uint16_t win, enum opt_set o)
{
	static const uint32_t addrs[3] = {ADDR_C, ADDR_S, ADDR_X};
	static const uint16_t ports[3] = {CPORT, SPORT, 7777};
	static const uint8_t zeros[1400];
	struct pkt p;
	struct synack_ipv4 ip = {.src = addrs[from], .dst = addrs[to], .ttl = 64};
	struct synack_tcp_seg s = {
	    .sport = ports[from], .dport = ports[to], .seq = seq, .ack = ack, .flags = flags,
	    .window = win, .payload = zeros, .payload_len = len,
	};
	if (o == OPTS_SYN) {
		s.opt.present = SYNACK_OPT_MSS | SYNACK_OPT_WSCALE | SYNACK_OPT_SACK_PERM | SYNACK_OPT_TS;
		s.opt.mss = 1460;
		s.opt.wscale = 7;
	}
	if (o != OPTS_NONE) {
		s.opt.present |= SYNACK_OPT_TS;
		s.opt.ts_val = 1000;
	}
	p.len = synack_tcp_build(p.b, sizeof p.b, &ip, &s);
	assert_true(p.len > 0);
	return p;
}

static void link_ev(struct synack_ladder *l, enum synack_sim_event_kind kind, synack_time_t now, int from,
                    int to, const struct pkt *p)
{
	struct synack_sim_event ev = {.kind = kind, .now = now, .from = from, .to = to, .pkt = p->b, .len = p->len};
	synack_ladder_link_event(l, &ev);
}

static void state_ev(struct synack_ladder *l, synack_time_t now, int node, enum synack_tcp_state from,
                     enum synack_tcp_state to)
{
	struct synack_trace ev = {
	    .kind = SYNACK_TRACE_STATE, .now = now, .sock = node, .old_state = from, .new_state = to,
	    .laddr = node ? ADDR_S : ADDR_C, .raddr = node ? ADDR_C : ADDR_S,
	    .lport = node ? SPORT : CPORT, .rport = node ? CPORT : SPORT,
	};
	synack_ladder_stack_trace(l, node, &ev);
}

/* One step of a scripted run: a state change, or a segment sent (and lost,
 * or delivered DELAY_MS later).  seq/ack are relative to the sender's and
 * the receiver's ISNs. */
struct step {
	uint32_t ms;
	int node;
	bool is_state;
	enum synack_tcp_state old_state, new_state;
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t len, win;
	enum opt_set opts;
	bool lost;
};

#define STATE(t, n, a, b) {.ms = (t), .node = (n), .is_state = true, .old_state = SYNACK_##a, .new_state = SYNACK_##b}
#define SEG(t, n, f, s, a, l, w, o, x) \
	{.ms = (t), .node = (n), .flags = (f), .seq = (s), .ack = (a), .len = (l), .win = (w), .opts = (o), .lost = (x)}
#define S SYNACK_TCP_SYN
#define A SYNACK_TCP_ACK
#define F SYNACK_TCP_FIN
#define P SYNACK_TCP_PSH
#define R SYNACK_TCP_RST

/* Handshake, a lost data segment and its retransmission, data back, and the
 * four-way close. */
static const struct step conversation[] = {
    STATE(0, 1, CLOSED, LISTEN),
    STATE(0, 0, CLOSED, SYN_SENT),
    SEG(0, 0, S, 0, 0, 0, 65535, OPTS_SYN, false),
    STATE(10, 1, LISTEN, SYN_RCVD),
    SEG(10, 1, S | A, 0, 1, 0, 65535, OPTS_SYN, false),
    STATE(20, 0, SYN_SENT, ESTABLISHED),
    SEG(20, 0, A, 1, 1, 0, 502, OPTS_TS, false),
    STATE(30, 1, SYN_RCVD, ESTABLISHED),
    SEG(1000, 0, P | A, 1, 1, 100, 502, OPTS_TS, true),
    SEG(1200, 0, P | A, 1, 1, 100, 502, OPTS_TS, false),
    SEG(1210, 1, A, 1, 101, 0, 509, OPTS_TS, false),
    SEG(1300, 1, P | A, 1, 101, 50, 509, OPTS_TS, false),
    SEG(1310, 0, A, 101, 51, 0, 502, OPTS_TS, false),
    STATE(2000, 0, ESTABLISHED, FIN_WAIT_1),
    SEG(2000, 0, F | A, 101, 51, 0, 502, OPTS_TS, false),
    STATE(2010, 1, ESTABLISHED, CLOSE_WAIT),
    SEG(2010, 1, A, 51, 102, 0, 509, OPTS_TS, false),
    STATE(2020, 0, FIN_WAIT_1, FIN_WAIT_2),
    STATE(2500, 1, CLOSE_WAIT, LAST_ACK),
    SEG(2500, 1, F | A, 51, 102, 0, 509, OPTS_TS, false),
    STATE(2510, 0, FIN_WAIT_2, TIME_WAIT),
    SEG(2510, 0, A, 102, 52, 0, 502, OPTS_TS, false),
    STATE(2520, 1, LAST_ACK, CLOSED),
};

static struct pkt step_pkt(const struct step *s)
{
	uint32_t isn_tx = s->node ? SISN : CISN, isn_rx = s->node ? CISN : SISN;
	return tcp_pkt(s->node, 1 - s->node, s->flags, isn_tx + s->seq, (s->flags & A) ? isn_rx + s->ack : 0,
	               s->len, s->win, s->opts);
}

/* Feeds steps as the sim would report them: SENT, then LOST at the same
 * instant or DELIVERED DELAY_MS later. */
static void play(struct synack_ladder *l, const struct step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct step *s = &steps[i];
		synack_time_t t = SYNACK_MS(s->ms);
		if (s->is_state) {
			state_ev(l, t, s->node, s->old_state, s->new_state);
			continue;
		}
		struct pkt p = step_pkt(s);
		link_ev(l, SYNACK_SIM_SENT, t, s->node, 1 - s->node, &p);
		if (s->lost)
			link_ev(l, SYNACK_SIM_LOST, t, s->node, 1 - s->node, &p);
		else
			link_ev(l, SYNACK_SIM_DELIVERED, t + SYNACK_MS(DELAY_MS), s->node, 1 - s->node, &p);
	}
}

static struct synack_ladder *new_ladder(void)
{
	struct synack_ladder *l = synack_ladder_new();
	assert_non_null(l);
	synack_ladder_set_columns(l, 0, "client", 1, "server");
	return l;
}

/* Renders into a malloc'd string. */
static char *render(const struct synack_ladder *l, const struct synack_ladder_opts *o)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	assert_non_null(f);
	assert_int_equal(synack_ladder_render_text(l, f, o), 0);
	assert_int_equal(fclose(f), 0);
	/* A fresh copy: gcc -O3 otherwise suspects pointers into the text of
	 * pointing at the local whose address open_memstream took. */
	char *out = strdup(buf);
	free(buf);
	assert_non_null(out);
	return out;
}

/* The whole line of text containing needle, or fails. */
static void assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return;
	fprintf(stderr, "missing line:\n%s\nin:\n%s", line, text);
	fail();
}

static size_t count_substr(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* ---- the recorded model ---- */

/* Every segment of the conversation, in order, with its relative numbers
 * computed across the 2^32 wrap (W04) and its absolute ones untouched. */
static void test_ladder_relative_numbers_across_2_32_wrap(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	play(l, conversation, sizeof conversation / sizeof conversation[0]);
	size_t k = 0;
	for (size_t i = 0; i < sizeof conversation / sizeof conversation[0]; i++) {
		const struct step *s = &conversation[i];
		if (s->is_state)
			continue;
		const struct synack_ladder_seg *g = synack_ladder_get(l, k);
		assert_non_null(g);
		assert_true(g->is_tcp);
		assert_int_equal(g->from_col, s->node);
		assert_int_equal(g->time, SYNACK_MS(s->ms));
		assert_int_equal(g->flags, s->flags);
		assert_true(g->rel_seq_known);
		assert_int_equal(g->rel_seq, s->seq);
		assert_int_equal(g->seq, (uint32_t)((s->node ? SISN : CISN) + s->seq));
		assert_int_equal(g->rel_ack_known, (s->flags & A) != 0);
		if (s->flags & A) {
			assert_int_equal(g->rel_ack, s->ack);
			assert_int_equal(g->ack, (uint32_t)((s->node ? CISN : SISN) + s->ack));
		}
		assert_int_equal(g->payload_len, s->len);
		assert_int_equal(g->window, s->win);
		assert_int_equal(g->lost, s->lost);
		assert_int_equal(g->order < UINT32_MAX, true);
		k++;
	}
	assert_int_equal(synack_ladder_count(l), k);
	assert_null(synack_ladder_get(l, k));
	/* The handshake reads as the textbook says (Q01). */
	const struct synack_ladder_seg *syn = synack_ladder_get(l, 0), *synack = synack_ladder_get(l, 1);
	assert_int_equal(syn->options, SYNACK_OPT_MSS | SYNACK_OPT_WSCALE | SYNACK_OPT_SACK_PERM | SYNACK_OPT_TS);
	assert_int_equal(syn->mss, 1460);
	assert_int_equal(syn->wscale, 7);
	assert_int_equal(synack->sport, SPORT);
	assert_int_equal(synack->dport, CPORT);
	synack_ladder_free(l);
}

/* The lost segment is marked lost and never arrives; its byte-identical
 * retransmission arrives DELAY_MS after it was sent, as does everything else. */
static void test_ladder_lost_segment_marked_and_arrivals_matched(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	play(l, conversation, sizeof conversation / sizeof conversation[0]);
	size_t lost = 0;
	for (size_t i = 0; i < synack_ladder_count(l); i++) {
		const struct synack_ladder_seg *g = synack_ladder_get(l, i);
		if (g->lost) {
			lost++;
			assert_int_equal(i, 3);
			assert_int_equal(g->arrive, SYNACK_TIME_NEVER);
		} else {
			assert_int_equal(g->arrive, g->time + SYNACK_MS(DELAY_MS));
		}
		assert_false(g->corrupted);
		assert_int_equal(g->copies, 0);
	}
	assert_int_equal(lost, 1);
	assert_int_equal(synack_ladder_get(l, 4)->seq, synack_ladder_get(l, 3)->seq);
	synack_ladder_free(l);
}

/* State changes are kept per column with their time, in recording order,
 * and order numbers interleave them with the segments. */
static void test_ladder_states_recorded_per_column(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	play(l, conversation, sizeof conversation / sizeof conversation[0]);
	size_t k = 0;
	for (size_t i = 0; i < sizeof conversation / sizeof conversation[0]; i++) {
		const struct step *s = &conversation[i];
		if (!s->is_state)
			continue;
		const struct synack_ladder_state *st = synack_ladder_state_get(l, k++);
		assert_non_null(st);
		assert_int_equal(st->col, s->node);
		assert_int_equal(st->time, SYNACK_MS(s->ms));
		assert_int_equal(st->old_state, s->old_state);
		assert_int_equal(st->new_state, s->new_state);
		assert_int_equal(st->lport, s->node ? SPORT : CPORT);
	}
	assert_int_equal(synack_ladder_state_count(l), k);
	assert_null(synack_ladder_state_get(l, k));
	/* SYN_SENT was recorded before the SYN, both at 0. */
	assert_true(synack_ladder_state_get(l, 1)->order < synack_ladder_get(l, 0)->order);
	synack_ladder_free(l);
}

/* Packets and states of nodes outside the two columns are not recorded,
 * and non-STATE trace events are ignored. */
static void test_ladder_ignores_other_nodes(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	struct pkt p = tcp_pkt(0, 2, S, 1, 0, 0, 1000, OPTS_NONE);
	link_ev(l, SYNACK_SIM_SENT, 0, 0, 2, &p);
	link_ev(l, SYNACK_SIM_LOST, 0, 0, 2, &p);
	p = tcp_pkt(2, 1, S, 1, 0, 0, 1000, OPTS_NONE);
	link_ev(l, SYNACK_SIM_SENT, 5, 2, 1, &p);
	link_ev(l, SYNACK_SIM_NO_ROUTE, 6, 0, -1, &p);
	state_ev(l, 7, 2, SYNACK_CLOSED, SYNACK_SYN_SENT);
	struct synack_trace out = {.kind = SYNACK_TRACE_PKT_OUT, .pkt = p.b, .len = p.len};
	synack_ladder_stack_trace(l, 0, &out);
	assert_int_equal(synack_ladder_count(l), 0);
	assert_int_equal(synack_ladder_state_count(l), 0);
	assert_int_equal(synack_ladder_unrecorded(l), 0);
	synack_ladder_free(l);
}

/* A LOST for some other packet (different bytes, or a later instant) does
 * not mark the last segment; a SENT to a third node in between breaks the
 * pairing too. */
static void test_ladder_lost_matched_only_to_same_packet_same_instant(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	struct pkt syn = tcp_pkt(0, 1, S, CISN, 0, 0, 65535, OPTS_NONE);
	struct pkt other = tcp_pkt(0, 1, S, CISN + 5, 0, 0, 65535, OPTS_NONE);
	struct pkt third = tcp_pkt(0, 2, S, 1, 0, 0, 65535, OPTS_NONE);
	link_ev(l, SYNACK_SIM_SENT, 100, 0, 1, &syn);
	link_ev(l, SYNACK_SIM_LOST, 100, 0, 1, &other); /* other bytes */
	link_ev(l, SYNACK_SIM_LOST, 101, 0, 1, &syn);   /* later instant */
	link_ev(l, SYNACK_SIM_SENT, 200, 0, 1, &syn);
	link_ev(l, SYNACK_SIM_SENT, 200, 0, 2, &third);
	link_ev(l, SYNACK_SIM_LOST, 200, 0, 1, &syn); /* not after its SENT */
	assert_int_equal(synack_ladder_count(l), 2);
	assert_false(synack_ladder_get(l, 0)->lost);
	assert_false(synack_ladder_get(l, 1)->lost);
	link_ev(l, SYNACK_SIM_SENT, 300, 0, 1, &syn);
	link_ev(l, SYNACK_SIM_LOST, 300, 0, 1, &syn);
	assert_true(synack_ladder_get(l, 2)->lost);
	/* The first two are still in flight: deliveries go to the oldest. */
	link_ev(l, SYNACK_SIM_DELIVERED, 400, 0, 1, &syn);
	assert_int_equal(synack_ladder_get(l, 0)->arrive, 400);
	assert_int_equal(synack_ladder_get(l, 1)->arrive, SYNACK_TIME_NEVER);
	link_ev(l, SYNACK_SIM_DELIVERED, 500, 0, 1, &syn);
	assert_int_equal(synack_ladder_get(l, 1)->arrive, 500);
	assert_int_equal(synack_ladder_get(l, 2)->arrive, SYNACK_TIME_NEVER);
	synack_ladder_free(l);
}

/* A corrupted packet keeps its sent header fields and is marked; its
 * duplicate is counted; both copies (carrying the flipped bit) are matched
 * on delivery, after which an identical later packet gets its own arrival. */
static void test_ladder_corrupted_and_duplicated_copies(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	struct pkt p = tcp_pkt(1, 0, S | A, SISN, CISN + 1, 0, 65535, OPTS_SYN);
	struct pkt bad = p;
	bad.b[30] ^= 0x10;
	link_ev(l, SYNACK_SIM_SENT, 1000, 1, 0, &p);
	link_ev(l, SYNACK_SIM_CORRUPTED, 1000, 1, 0, &bad);
	link_ev(l, SYNACK_SIM_DUPLICATED, 1000, 1, 0, &bad);
	link_ev(l, SYNACK_SIM_DELIVERED, 3000, 1, 0, &bad);
	link_ev(l, SYNACK_SIM_DELIVERED, 3500, 1, 0, &bad);
	const struct synack_ladder_seg *g = synack_ladder_get(l, 0);
	assert_true(g->corrupted);
	assert_false(g->lost);
	assert_int_equal(g->copies, 1);
	assert_int_equal(g->arrive, 3000);
	assert_int_equal(g->seq, SISN);
	link_ev(l, SYNACK_SIM_SENT, 4000, 1, 0, &bad);
	link_ev(l, SYNACK_SIM_DELIVERED, 4100, 1, 0, &bad);
	assert_int_equal(synack_ladder_get(l, 1)->arrive, 4100);
	assert_int_equal(synack_ladder_get(l, 0)->arrive, 3000);

	char *text = render(l, NULL);
	assert_non_null(strstr(text, "SYN+ACK seq=0 ack=4294967281 win=65535 (dup) (corrupted)"));
	free(text);
	synack_ladder_free(l);
}

/* Before a side's ISN is known its numbers are absolute: an RST+ACK from
 * a port with no listener (H09) has an absolute seq 0 and ack=1. */
static void test_ladder_unknown_isn_stays_absolute(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	struct pkt syn = tcp_pkt(0, 1, S, CISN, 0, 0, 65535, OPTS_NONE);
	struct pkt rst = tcp_pkt(1, 0, R | A, 0, CISN + 1, 0, 0, OPTS_NONE);
	link_ev(l, SYNACK_SIM_SENT, 0, 0, 1, &syn);
	link_ev(l, SYNACK_SIM_SENT, SYNACK_MS(10), 1, 0, &rst);
	const struct synack_ladder_seg *g = synack_ladder_get(l, 1);
	assert_false(g->rel_seq_known);
	assert_int_equal(g->rel_seq, 0);
	assert_true(g->rel_ack_known);
	assert_int_equal(g->rel_ack, 1);
	char *text = render(l, NULL);
	assert_line(text, "   0.010s             |<-------------------RST+ACK seq=0 ack=1 win=0-------------------|");
	free(text);
	synack_ladder_free(l);
}

/* After FIN or RST, a SYN with a new ISN on the same 4-tuple (T05: a new
 * incarnation from TIME_WAIT) restarts relative numbering on both sides;
 * a number below the ISN reads negative (an old duplicate, H11). */
static void test_ladder_new_incarnation_restarts_relative_numbers(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	struct pkt p[] = {
	    tcp_pkt(0, 1, S, CISN, 0, 0, 1000, OPTS_NONE),
	    tcp_pkt(1, 0, S | A, SISN, CISN + 1, 0, 1000, OPTS_NONE),
	    tcp_pkt(0, 1, R, CISN - 9, 0, 0, 0, OPTS_NONE),
	    tcp_pkt(0, 1, S, 5000, 0, 0, 1000, OPTS_NONE),
	    tcp_pkt(1, 0, S | A, 9000, 5001, 0, 1000, OPTS_NONE),
	    tcp_pkt(0, 1, S, 5000, 0, 0, 1000, OPTS_NONE), /* a retransmission */
	};
	for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
		link_ev(l, SYNACK_SIM_SENT, i * 1000, i == 1 || i == 4 ? 1 : 0, i == 1 || i == 4 ? 0 : 1, &p[i]);
	assert_int_equal(synack_ladder_get(l, 2)->rel_seq, (uint32_t)-9);
	for (size_t i = 3; i < 6; i++) {
		assert_int_equal(synack_ladder_get(l, i)->rel_seq, 0);
		assert_true(synack_ladder_get(l, i)->rel_seq_known);
	}
	assert_int_equal(synack_ladder_get(l, 4)->rel_ack, 1);
	char *text = render(l, NULL);
	assert_non_null(strstr(text, "RST seq=-9 win=0"));
	assert_null(strstr(text, "ISN ")); /* two incarnations: no single ISN to name */
	free(text);
	synack_ladder_free(l);
}

/* The left column may be any node: with the server on the left, its
 * segments are column 0 and its arrows point right. */
static void test_ladder_columns_chosen_by_node(void **state)
{
	(void)state;
	struct synack_ladder *l = synack_ladder_new();
	assert_non_null(l);
	assert_string_equal(synack_ladder_label(l, 0), "node 0");
	assert_string_equal(synack_ladder_label(l, 1), "node 1");
	synack_ladder_set_columns(l, 1, "server", 0, NULL);
	assert_string_equal(synack_ladder_label(l, 0), "server");
	assert_string_equal(synack_ladder_label(l, 1), "node 0");
	struct pkt syn = tcp_pkt(0, 1, S, CISN, 0, 0, 65535, OPTS_NONE);
	link_ev(l, SYNACK_SIM_SENT, 0, 0, 1, &syn);
	assert_int_equal(synack_ladder_get(l, 0)->from_col, 1);
	state_ev(l, 0, 1, SYNACK_CLOSED, SYNACK_LISTEN);
	assert_int_equal(synack_ladder_state_get(l, 0)->col, 0);
	char *text = render(l, NULL);
	assert_line(text, "   0.000s             |<----------------------SYN seq=0 win=65535----------------------|");
	free(text);
	synack_ladder_free(l);
}

/* ICMP and packets that do not parse are drawn with a short label. */
static void test_ladder_icmp_and_malformed_labels(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	struct pkt p;
	struct synack_ipv4 ip = {.src = ADDR_C, .dst = ADDR_S, .ttl = 64};
	struct synack_icmp echo = {.type = SYNACK_ICMP_ECHO_REQUEST, .id = 1, .seq = 0};
	p.len = synack_icmp_echo_build(p.b, sizeof p.b, &ip, &echo);
	link_ev(l, SYNACK_SIM_SENT, 0, 0, 1, &p);
	struct pkt junk = {.b = {0x45, 0x00}, .len = 7};
	link_ev(l, SYNACK_SIM_SENT, 1, 0, 1, &junk);
	long idx = synack_ladder_record_packet(l, 2, 1, NULL, 0);
	assert_int_equal(idx, 2);
	assert_int_equal(synack_ladder_record_packet(l, 2, 2, p.b, p.len), -EINVAL);

	const struct synack_ladder_seg *g = synack_ladder_get(l, 0);
	assert_false(g->is_tcp);
	assert_int_equal(g->proto, SYNACK_IPPROTO_ICMP);
	assert_int_equal(g->icmp_type, SYNACK_ICMP_ECHO_REQUEST);
	assert_true(synack_ladder_get(l, 1)->malformed);
	char label[80];
	synack_ladder_seg_label(g, false, false, label, sizeof label, NULL, 0);
	assert_string_equal(label, "ICMP echo request id 1 seq 0");
	synack_ladder_seg_label(synack_ladder_get(l, 1), false, false, label, sizeof label, NULL, 0);
	assert_string_equal(label, "malformed packet len 7");
	synack_ladder_free(l);
}

/* The flag names, in the order textbooks write them. */
static void test_ladder_flag_names(void **state)
{
	(void)state;
	char b[48];
	assert_string_equal(synack_ladder_flags(S, b, sizeof b), "SYN");
	assert_string_equal(synack_ladder_flags(S | A, b, sizeof b), "SYN+ACK");
	assert_string_equal(synack_ladder_flags(F | A, b, sizeof b), "FIN+ACK");
	assert_string_equal(synack_ladder_flags(F | P | A, b, sizeof b), "FIN+PSH+ACK");
	assert_string_equal(synack_ladder_flags(R | A, b, sizeof b), "RST+ACK");
	assert_string_equal(synack_ladder_flags(SYNACK_TCP_URG | P | A, b, sizeof b), "PSH+URG+ACK");
	assert_string_equal(synack_ladder_flags(S | SYNACK_TCP_ECE | SYNACK_TCP_CWR, b, sizeof b), "SYN+ECE+CWR");
	assert_string_equal(synack_ladder_flags(0, b, sizeof b), "none");
	assert_string_equal(synack_ladder_flags(S | A, b, 4), "SYN");
}

/* 100k segments fit in well under 16 MB and are all matched on delivery. */
static void test_ladder_100k_segments_compact(void **state)
{
	(void)state;
	enum { N = 100000 };
	struct synack_ladder *l = new_ladder();
	assert_true(sizeof(struct synack_ladder_seg) <= 96);
	struct pkt syn = tcp_pkt(0, 1, S, CISN, 0, 0, 65535, OPTS_NONE);
	link_ev(l, SYNACK_SIM_SENT, 0, 0, 1, &syn);
	for (uint32_t i = 0; i < N - 1; i++) {
		struct pkt p = tcp_pkt(0, 1, A, CISN + 1 + i * 1000u, 0, 1000, 502, OPTS_NONE);
		link_ev(l, SYNACK_SIM_SENT, i, 0, 1, &p);
		if (i % 10 == 3)
			link_ev(l, SYNACK_SIM_LOST, i, 0, 1, &p);
		else
			link_ev(l, SYNACK_SIM_DELIVERED, i + 50, 0, 1, &p);
	}
	assert_int_equal(synack_ladder_count(l), N);
	for (size_t i = 1; i < N; i++) {
		const struct synack_ladder_seg *g = synack_ladder_get(l, i);
		assert_int_equal(g->rel_seq, 1 + (i - 1) * 1000u);
		assert_int_equal(g->lost, (i - 1) % 10 == 3);
		if (!g->lost)
			assert_int_equal(g->arrive, g->time + 50);
	}
	synack_ladder_free(l);
}

/* ---- the text rendering (F04) ---- */

/* The handshake exactly as it is drawn: labels over the lifelines, the
 * ISNs, each state beside its own lifeline, arrows with flags, relative
 * seq/ack, window and options, and the options wrapped below an arrow
 * they do not fit on. */
static void test_F04_ladder_handshake_text(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	play(l, conversation, 8); /* through both ESTABLISHED */
	char *text = render(l, &(struct synack_ladder_opts){.title = "Q01: the three-way handshake"});
	static const char golden[] =
	    "Q01: the three-way handshake\n"
	    "\n"
	    "                   client                                                           server\n"
	    "                  10.0.0.1                                                         10.0.0.2\n"
	    "               ISN 4294967280                                                   ISN 4294967294\n"
	    "                      |                                                                |\n"
	    "   0.000s             |                                                                | LISTEN\n"
	    "   0.000s    SYN_SENT |                                                                |\n"
	    "   0.000s             |---------SYN seq=0 win=65535 <mss 1460,ws 7,sackOK,ts>--------->|\n"
	    "   0.010s             |                                                                | SYN_RCVD\n"
	    "   0.010s             |<----SYN+ACK seq=0 ack=1 win=65535 <mss 1460,ws 7,sackOK,ts>----|\n"
	    "   0.020s ESTABLISHED |                                                                |\n"
	    "   0.020s             |-----------------ACK seq=1 ack=1 win=502 <ts>------------------>|\n"
	    "   0.030s             |                                                                | ESTABLISHED\n";
	if (strcmp(text, golden) != 0)
		fprintf(stderr, "got:\n%s", text);
	assert_string_equal(text, golden);
	free(text);
	synack_ladder_free(l);
}

/* The SYN and the lost segment, line for line; the close in its textbook
 * numbers (Q08); the retransmission drawn as an ordinary arrow. */
static void test_F04_ladder_syn_and_lost_lines(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	play(l, conversation, sizeof conversation / sizeof conversation[0]);
	char *text = render(l, NULL);
	assert_line(text, "   0.000s             |---------SYN seq=0 win=65535 <mss 1460,ws 7,sackOK,ts>--------->|");
	assert_line(text, "   1.000s             |--------PSH+ACK seq=1 ack=1 len=100 win=502 <ts>--------X  LOST |");
	assert_line(text, "   1.200s             |-----------PSH+ACK seq=1 ack=1 len=100 win=502 <ts>------------>|");
	assert_int_equal(count_substr(text, "LOST"), 1);
	assert_non_null(strstr(text, "---FIN+ACK seq=101 ack=51 win=502 <ts>---"));
	assert_line(text, "   2.010s             |<----------------ACK seq=51 ack=102 win=509 <ts>----------------|");
	assert_non_null(strstr(text, "FIN+ACK seq=51 ack=102 win=509 <ts>"));
	assert_non_null(strstr(text, "ACK seq=102 ack=52 win=502 <ts>"));
	assert_line(text, "   2.510s   TIME_WAIT |                                                                |");
	assert_line(text, "   2.520s             |                                                                | CLOSED");
	/* Every line fits 100 columns. */
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		assert_true(n <= 100);
		p += n + (p[n] == '\n');
	}
	free(text);
	synack_ladder_free(l);
}

/* A segment lost right to left ends in X before the left lifeline. */
static void test_F04_ladder_lost_leftward_arrow(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	static const struct step s[] = {
	    SEG(0, 0, S, 0, 0, 0, 1000, OPTS_NONE, false),
	    SEG(10, 1, S | A, 0, 1, 0, 1000, OPTS_NONE, true),
	};
	play(l, s, 2);
	char *text = render(l, NULL);
	assert_line(text, "   0.010s             | LOST  X--------------SYN+ACK seq=0 ack=1 win=1000--------------|");
	free(text);
	synack_ladder_free(l);
}

/* absolute prints the raw numbers, and ports the ports. */
static void test_F04_ladder_absolute_and_ports(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	play(l, conversation, sizeof conversation / sizeof conversation[0]);
	char *text = render(l, &(struct synack_ladder_opts){.absolute = true, .ports = true});
	assert_non_null(strstr(text, "40000>80 SYN seq=4294967280 win=65535"));
	assert_non_null(strstr(text, "80>40000 SYN+ACK seq=4294967294 ack=4294967281 win=65535"));
	assert_non_null(strstr(text, "40000>80 ACK seq=4294967281 ack=4294967295 win=502"));
	assert_non_null(strstr(text, "80>40000 PSH+ACK seq=4294967295 ack=85 len=50"));
	assert_null(strstr(text, "ISN"));
	free(text);
	synack_ladder_free(l);
}

/* Notes sit at their moment between the lifelines, wrapped if long;
 * from/until draw a window of the run. */
static void test_F04_ladder_notes_and_time_window(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	play(l, conversation, sizeof conversation / sizeof conversation[0]);
	assert_int_equal(synack_ladder_note(l, SYNACK_MS(10), "syn queue 1/128, accept queue 0/128"), 0);
	assert_int_equal(synack_ladder_note(l, SYNACK_MS(1100),
	                                    "the client's retransmission timer fires after 200 ms and the "
	                                    "segment goes again"),
	                 0);
	assert_int_equal(synack_ladder_note(l, 0, NULL), -EINVAL);
	assert_int_equal(synack_ladder_note_count(l), 2);
	assert_string_equal(synack_ladder_note_get(l, 0)->text, "syn queue 1/128, accept queue 0/128");

	char *text = render(l, NULL);
	assert_line(text, "   0.010s             |  syn queue 1/128, accept queue 0/128                           |");
	assert_line(text, "   1.100s             |  the client's retransmission timer fires after 200 ms and the  |");
	assert_line(text, "                      |  segment goes again                                            |");
	/* The note added last but dated 10 ms comes after what was recorded at 10 ms. */
	char *note = strstr(text, "syn queue"), *synack = strstr(text, "SYN+ACK");
	assert_true(note && synack && synack < note);
	free(text);

	text = render(l, &(struct synack_ladder_opts){.from = SYNACK_MS(1000), .until = SYNACK_MS(1300)});
	assert_null(strstr(text, "SYN seq"));
	assert_null(strstr(text, "FIN"));
	assert_non_null(strstr(text, "LOST"));
	assert_non_null(strstr(text, "PSH+ACK seq=1 ack=101 len=50"));
	free(text);
	synack_ladder_free(l);
}

/* ---- a real sim ---- */

struct pinger {
	int sent;
};

static void ping_tick(void *ctx, struct synack_sim *sim)
{
	struct pinger *p = ctx;
	uint8_t data[16] = {0};
	for (int n = 0; n < 2; n++)
		assert_int_equal(synack_ping(synack_sim_stack(sim, n), n ? ADDR_C : ADDR_S, (uint16_t)(n + 1),
		                             (uint16_t)p->sent, data, sizeof data, synack_sim_now(sim)),
		                 0);
	if (++p->sent < 60)
		assert_int_equal(synack_sim_at(sim, synack_sim_now(sim) + SYNACK_MS(50), ping_tick, p), 0);
}

/* Per direction, what the ladder saw of the echo requests and replies. */
static void check_direction(const struct synack_ladder *l, struct synack_sim *sim, int d)
{
	struct synack_sim_link_stats st;
	assert_int_equal(synack_sim_link_stats(sim, d, 1 - d, &st), 0);
	uint64_t sent = 0, lost = 0, dup = 0, corrupt = 0, delivered = 0, requests = 0, replies = 0;
	uint64_t intact_requests_other_way = 0;
	for (size_t i = 0; i < synack_ladder_count(l); i++) {
		const struct synack_ladder_seg *g = synack_ladder_get(l, i);
		assert_false(g->is_tcp);
		if (g->from_col != d) {
			/* Each request from the other side that arrived intact is
			 * answered once per copy. */
			if (g->icmp_type == SYNACK_ICMP_ECHO_REQUEST && !g->lost && !g->corrupted)
				intact_requests_other_way += 1u + g->copies;
			continue;
		}
		sent++;
		lost += g->lost;
		dup += g->copies;
		corrupt += g->corrupted;
		delivered += g->lost ? 0 : 1u + g->copies;
		assert_true(g->lost == (g->arrive == SYNACK_TIME_NEVER));
		if (!g->lost)
			assert_true(g->arrive >= g->time + SYNACK_MS(5));
		requests += g->icmp_type == SYNACK_ICMP_ECHO_REQUEST;
		replies += g->icmp_type == SYNACK_ICMP_ECHO_REPLY;
		if (g->icmp_type == SYNACK_ICMP_ECHO_REQUEST)
			assert_int_equal(g->icmp_id, d + 1);
	}
	assert_int_equal(sent, st.sent);
	assert_int_equal(lost, st.lost);
	assert_int_equal(dup, st.duplicated);
	assert_int_equal(corrupt, st.corrupted);
	assert_int_equal(delivered, st.delivered);
	assert_int_equal(requests, 60);
	assert_int_equal(replies, intact_requests_other_way);
	assert_true(st.lost > 0 && st.duplicated > 0 && st.corrupted > 0);
}

/* Two stacks ping each other over a lossy, duplicating, corrupting link
 * with the ladder installed as the sim's hooks: every packet is recorded,
 * and its lost/duplicated/corrupted marks agree with the link statistics. */
static void test_F04_ladder_sim_ping_over_lossy_link(void **state)
{
	(void)state;
	struct synack_sim *sim = synack_sim_new(42);
	assert_non_null(sim);
	struct synack_ladder *l = synack_ladder_new();
	assert_non_null(l);
	synack_ladder_set_columns(l, 0, "A", 1, "B");
	struct synack_sim_hooks hooks;
	synack_ladder_sim_hooks(l, &hooks);
	synack_sim_set_hooks(sim, &hooks);
	for (int n = 0; n < 2; n++) {
		struct synack_config cfg;
		synack_config_default(&cfg);
		cfg.addr = n ? ADDR_S : ADDR_C;
		cfg.seed = 100u + (uint64_t)n;
		assert_int_equal(synack_sim_add_stack(sim, &cfg), n);
	}
	struct synack_link_model m = {
	    .loss = 0.25, .duplicate = 0.1, .corrupt = 0.1, .delay_us = SYNACK_MS(5), .jitter_us = SYNACK_MS(20),
	};
	assert_int_equal(synack_sim_link(sim, 0, 1, &m, &m), 0);
	struct pinger p = {0};
	assert_int_equal(synack_sim_at(sim, 0, ping_tick, &p), 0);
	assert_true(synack_sim_run(sim, SYNACK_SEC(60)));
	check_direction(l, sim, 0);
	check_direction(l, sim, 1);

	char *text = render(l, NULL);
	assert_non_null(strstr(text, "ICMP echo request id 1 seq 0"));
	assert_non_null(strstr(text, "ICMP echo request id 2 seq 0"));
	struct synack_sim_link_stats ab, ba;
	assert_int_equal(synack_sim_link_stats(sim, 0, 1, &ab), 0);
	assert_int_equal(synack_sim_link_stats(sim, 1, 0, &ba), 0);
	assert_int_equal(count_substr(text, "LOST"), ab.lost + ba.lost);
	free(text);
	synack_ladder_free(l);
	synack_sim_free(sim);
}

/* ---- the SVG rendering (F04) ---- */

static char *render_svg(const struct synack_ladder *l, const struct synack_ladder_opts *o)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	assert_non_null(f);
	assert_int_equal(synack_ladder_render_svg(l, f, o), 0);
	assert_int_equal(fclose(f), 0);
	char *out = strdup(buf);
	free(buf);
	assert_non_null(out);
	return out;
}

/* The numbers of the first <line> whose class attribute is cls. */
static void first_line(const char *svg, const char *cls, int *x1, int *y1, int *x2, int *y2)
{
	char key[64];
	snprintf(key, sizeof key, "<line class=\"%s\" ", cls);
	const char *p = strstr(svg, key);
	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen(key), "x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"", x1, y1, x2, y2), 4);
}

/* The whole conversation: one arrow per segment, slanted from its sending
 * row down to its arrival row; the lost one red, dashed, ending in an X;
 * one box per state change; times in the margin; labels and title
 * XML-escaped; the caption at the end. */
static void test_F04_ladder_svg_conversation(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	play(l, conversation, sizeof conversation / sizeof conversation[0]);
	synack_ladder_note(l, SYNACK_MS(1100), "client: send() <100 bytes> & wait");
	struct synack_ladder_opts o = {.title = "Q08 & friends: <the close>", .caption = "What it shows."};
	char *svg = render_svg(l, &o);
	assert_int_equal(strncmp(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44), 0);
	assert_string_equal(svg + strlen(svg) - 7, "</svg>\n");
	assert_non_null(strstr(svg, "Q08 &amp; friends: &lt;the close&gt;"));
	assert_non_null(strstr(svg, "client: send() &lt;100 bytes&gt; &amp; wait"));
	assert_null(strstr(svg, "<mss"));
	assert_non_null(strstr(svg, "&lt;mss 1460,ws 7,sackOK,ts&gt;"));
	assert_non_null(strstr(svg, ">SYN+ACK seq=0 ack=1 win=65535<"));
	assert_non_null(strstr(svg, ">FIN+ACK seq=101 ack=51 win=502<"));
	size_t segs = synack_ladder_count(l);
	assert_int_equal(count_substr(svg, "<line class=\"arrow\" "), segs - 1);
	assert_int_equal(count_substr(svg, "<line class=\"arrowlost\" "), 1);
	assert_int_equal(count_substr(svg, "<path class=\"x\" "), 1);
	assert_int_equal(count_substr(svg, ">lost</text>"), 1);
	assert_int_equal(count_substr(svg, "<textPath "), segs + count_substr(svg, " id=\"o"));
	assert_int_equal(count_substr(svg, "<circle "), synack_ladder_state_count(l));
	assert_int_equal(count_substr(svg, ">TIME_WAIT</text>"), 1);
	assert_int_equal(count_substr(svg, ">ESTABLISHED</text>"), 2);
	assert_non_null(strstr(svg, ">0.010s</text>"));
	assert_non_null(strstr(svg, ">2.520s</text>"));
	assert_non_null(strstr(svg, ">What it shows.</text>"));
	assert_non_null(strstr(svg, "relative to each side's ISN"));
	assert_non_null(strstr(svg, ">ISN 4294967280</text>"));
	/* The SYN runs left to right and down (it arrives 10 ms later); the
	 * lost PSH stops part of the way across. */
	int x1, y1, x2, y2;
	first_line(svg, "arrow", &x1, &y1, &x2, &y2);
	assert_true(x1 < x2 && y1 < y2);
	first_line(svg, "arrowlost", &x1, &y1, &x2, &y2);
	assert_true(x1 < x2 && x2 < 700 && y1 <= y2);
	/* The same model draws the same bytes. */
	char *again = render_svg(l, &o);
	assert_string_equal(svg, again);
	free(again);
	free(svg);
	/* --absolute: raw numbers, no ISN line. */
	svg = render_svg(l, &(struct synack_ladder_opts){.absolute = true});
	assert_non_null(strstr(svg, ">SYN+ACK seq=4294967294 ack=4294967281 win=65535<"));
	assert_null(strstr(svg, ">ISN "));
	assert_non_null(strstr(svg, "as on the wire"));
	free(svg);
	synack_ladder_free(l);
}

/* Segments sent at the same instant from both sides cross on the page; a
 * jump of the clock by a second or more dashes the lifelines and says how
 * long it was. */
static void test_F04_ladder_svg_crossing_and_gap(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	static const struct step s[] = {
	    SEG(0, 0, S, 0, 0, 0, 1000, OPTS_NONE, false),
	    SEG(0, 1, S, 0, 0, 0, 1000, OPTS_NONE, false),
	    STATE(61010, 0, TIME_WAIT, CLOSED),
	};
	play(l, s, 3);
	char *svg = render_svg(l, NULL);
	int ax1, ay1, ax2, ay2, bx1, by1, bx2, by2;
	const char *second = strstr(strstr(svg, "<line class=\"arrow\" ") + 1, "<line class=\"arrow\" ");
	assert_non_null(second);
	first_line(svg, "arrow", &ax1, &ay1, &ax2, &ay2);
	first_line(second, "arrow", &bx1, &by1, &bx2, &by2);
	assert_true(ax1 < ax2 && bx1 > bx2); /* opposite directions */
	assert_int_equal(ay2, by2);          /* the same arrival instant */
	assert_true(ay1 < by1);              /* sent one after the other: they cross */
	assert_non_null(strstr(svg, "(61.000s later)"));
	assert_int_equal(count_substr(svg, "<line class=\"lifegap\" "), 2);
	assert_non_null(strstr(svg, ">61.010s</text>"));
	free(svg);
	synack_ladder_free(l);
}

static void test_F04_ladder_svg_empty_and_errors(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	char *svg = render_svg(l, NULL);
	assert_non_null(strstr(svg, ">client</text>"));
	assert_non_null(strstr(svg, "</svg>\n"));
	free(svg);
	assert_int_equal(synack_ladder_render_svg(NULL, stdout, NULL), -EINVAL);
	assert_int_equal(synack_ladder_render_svg(l, NULL, NULL), -EINVAL);
	synack_ladder_free(l);
}

/* The caption closes the text rendering too, wrapped at 78 columns. */
static void test_F04_ladder_text_caption(void **state)
{
	(void)state;
	struct synack_ladder *l = new_ladder();
	play(l, conversation, 3);
	char *text = render(l, &(struct synack_ladder_opts){
	                           .caption = "The client's SYN carried its initial sequence number and the server "
	                                      "answered with its own and an acknowledgment of the first.\nA second "
	                                      "paragraph line."});
	assert_non_null(strstr(text, "|\n\nThe client's SYN carried its initial sequence number and the server "
	                             "answered\nwith its own and an acknowledgment of the first.\n"
	                             "A second paragraph line.\n"));
	free(text);
	synack_ladder_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_F04_ladder_svg_conversation),
	    cmocka_unit_test(test_F04_ladder_svg_crossing_and_gap),
	    cmocka_unit_test(test_F04_ladder_svg_empty_and_errors),
	    cmocka_unit_test(test_F04_ladder_text_caption),
	    cmocka_unit_test(test_ladder_relative_numbers_across_2_32_wrap),
	    cmocka_unit_test(test_ladder_lost_segment_marked_and_arrivals_matched),
	    cmocka_unit_test(test_ladder_states_recorded_per_column),
	    cmocka_unit_test(test_ladder_ignores_other_nodes),
	    cmocka_unit_test(test_ladder_lost_matched_only_to_same_packet_same_instant),
	    cmocka_unit_test(test_ladder_corrupted_and_duplicated_copies),
	    cmocka_unit_test(test_ladder_unknown_isn_stays_absolute),
	    cmocka_unit_test(test_ladder_new_incarnation_restarts_relative_numbers),
	    cmocka_unit_test(test_ladder_columns_chosen_by_node),
	    cmocka_unit_test(test_ladder_icmp_and_malformed_labels),
	    cmocka_unit_test(test_ladder_flag_names),
	    cmocka_unit_test(test_ladder_100k_segments_compact),
	    cmocka_unit_test(test_F04_ladder_handshake_text),
	    cmocka_unit_test(test_F04_ladder_syn_and_lost_lines),
	    cmocka_unit_test(test_F04_ladder_lost_leftward_arrow),
	    cmocka_unit_test(test_F04_ladder_absolute_and_ports),
	    cmocka_unit_test(test_F04_ladder_notes_and_time_window),
	    cmocka_unit_test(test_F04_ladder_sim_ping_over_lossy_link),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
