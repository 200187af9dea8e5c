/* Scenarios about opening a connection: the handshake (Q01), why it takes
 * three segments (Q02, Q15), SYN+ACK retransmission (Q04), ISNs (Q05), data
 * in the handshake (Q06), the lost third ACK (Q14) and simultaneous open
 * (Q16). */
#include <stdlib.h>

#include "play.h"

/* A relative sequence number as the ladder prints it: -9, not 4294967287. */
static int64_t srel(uint32_t v)
{
	return v > INT32_MAX ? -(int64_t)(uint32_t)(0u - v) : (int64_t)v;
}

static bool is_pure_ack(const uint8_t *pkt, size_t len)
{
	struct synack_ipv4 ip;
	struct synack_tcp_seg seg;
	return synack_tcp_packet_parse(pkt, len, &ip, &seg) == SYNACK_WIRE_OK && seg.flags == SYNACK_TCP_ACK &&
	       seg.payload_len == 0;
}

/* ------------------------------------------------------------------ */

void play_q01_handshake(struct scenario_run *r)
{
	if (!sc_setup(r, -1, NULL, NULL, NULL))
		return;
	int l = sc_listen(r, COL_S, 80);
	sc_note(r, "client: connect(192.0.2.2:80)");
	sc_connect(r, COL_C, 0, 80);
	sc_run_to(r, SYNACK_MS(100));
	int a = synack_accept(r->stack[COL_S], l, NULL, NULL);
	sc_note(r, "server: accept() %s", a >= 0 ? "returns the new connection" : "finds nothing");
	scenario_fact(r, "accepted", a >= 0);

	char cs[256], ss[256];
	scenario_states(r, COL_C, cs, sizeof cs);
	scenario_states(r, COL_S, ss, sizeof ss);
	sc_expect(r, scenario_seg_count(r) == 3, "expected 3 segments, saw %zu", scenario_seg_count(r));
	sc_expect(r, !strcmp(cs, "CLOSED>SYN_SENT SYN_SENT>ESTABLISHED"), "client states: %s", cs);
	sc_expect(r, !strcmp(ss, "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED"), "server states: %s", ss);
	synack_time_t ce = scenario_state_time(r, COL_C, SYNACK_ESTABLISHED, 0);
	synack_time_t se = scenario_state_time(r, COL_S, SYNACK_ESTABLISHED, 0);
	scenario_fact(r, "client_established_us", (int64_t)ce);
	scenario_fact(r, "server_established_us", (int64_t)se);
	sc_answer(r,
	          "The client's SYN carried its initial sequence number x (seq=0: numbers are relative to each "
	          "side's ISN) and used up one sequence number; the server answered SYN+ACK with its own ISN y and "
	          "ack=x+1; the client's ACK (seq=x+1, ack=y+1) completed the exchange. The client went CLOSED -> "
	          "SYN_SENT -> ESTABLISHED at %s s, one round trip after connect(); the server went LISTEN -> "
	          "SYN_RCVD -> ESTABLISHED at %s s, when the third segment arrived, and only then could accept() "
	          "return the connection.",
	          SECS(ce), SECS(se));
}

/* ------------------------------------------------------------------ */

void play_q02_old_duplicate_syn(struct scenario_run *r)
{
	if (!sc_setup(r, -1, NULL, NULL, NULL))
		return;
	int l = sc_listen(r, COL_S, 80);
	/* RFC 9293 figure 8: the client's SYN is held up in the network, and
	 * an old duplicate SYN of an earlier connection gets there first. */
	struct synack_link_model slow = {.delay_us = SC_DELAY_US, .loss = r->params.loss, .reorder = 1.0,
	                                 .reorder_delay_us = SYNACK_MS(40)};
	struct synack_link_model normal = {.delay_us = SC_DELAY_US, .loss = r->params.loss};
	synack_sim_set_model(r->sim, r->node[COL_C], r->node[COL_S], &slow);
	sc_note(r, "client: connect(192.0.2.2:80) from port 40000; its SYN is held up for 40 ms");
	int c = sc_connect(r, COL_C, 40000, 80);
	synack_sim_set_model(r->sim, r->node[COL_C], r->node[COL_S], &normal);
	struct synack_sockinfo ci;
	if (!sc_expect(r, synack_sockinfo(r->stack[COL_C], c, &ci) == 0, "no client socket"))
		return;
	sc_note(r, "the network delivers an old duplicate SYN (seq=-10) of an earlier connection on the same ports");
	sc_send(r, COL_C, &(struct sc_seg){.sport = 40000, .dport = 80, .flags = F_SYN, .seq = ci.iss - 10});
	sc_run_to(r, SYNACK_MS(200));
	int accepted = 0;
	while (synack_accept(r->stack[COL_S], l, NULL, NULL) >= 0)
		accepted++;
	sc_note(r, "server: accept() returns %d connection%s", accepted, accepted == 1 ? "" : "s");
	scenario_fact(r, "accepted", accepted);

	const struct synack_ladder_seg *old_sa = scenario_nth_seg(r, COL_S, F_SA, 0), *rst = scenario_nth_seg(r, COL_C, F_R, 0);
	const struct synack_ladder_seg *new_sa = scenario_nth_seg(r, COL_S, F_SA, 1);
	if (!sc_expect(r, old_sa && rst && new_sa, "expected two SYN+ACKs and a RST"))
		return;
	scenario_fact(r, "old_synack_ack", srel(old_sa->rel_ack));
	scenario_fact(r, "rst_seq", srel(rst->rel_seq));
	scenario_fact(r, "new_synack_ack", srel(new_sa->rel_ack));
	synack_time_t back = scenario_state_time(r, COL_S, SYNACK_LISTEN, 1);
	scenario_fact(r, "server_listen_again_us", (int64_t)back);
	char ss[256];
	scenario_states(r, COL_S, ss, sizeof ss);
	const char *head = "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>LISTEN", *tail = "LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED";
	sc_expect(r, !strncmp(ss, head, strlen(head)) && strlen(ss) > strlen(tail) &&
	                 !strcmp(ss + strlen(ss) - strlen(tail), tail),
	          "server states: %s", ss);
	sc_expect(r, accepted == 1, "accepted %d", accepted);
	sc_note_discarded_requests(r);
	sc_answer(r,
	          "An old duplicate SYN (seq=-10, from an earlier connection on the same ports) reached the server "
	          "before the client's real SYN (seq=0). The server cannot tell old from new, so it went to SYN_RCVD "
	          "and answered SYN+ACK ack=%" PRId64 "; the client, whose SYN was seq=0, saw an acknowledgment of a "
	          "SYN it never sent and answered RST seq=%" PRId64 ", which sent the server back to LISTEN at %s s, "
	          "and its real SYN then opened the one connection it wanted (accept() returned %d). With a two-way "
	          "open the server would have been ESTABLISHED on the old SYN alone, a connection nobody asked for: "
	          "the third segment is the client confirming which SYN the server is answering.",
	          srel(old_sa->rel_ack), srel(rst->rel_seq), SECS(back), accepted);
}

/* ------------------------------------------------------------------ */

/* "1, 2, 4, 8 and 16" (durations) or "1.010, 3.010 and 7.010" (times). */
static void join_secs(char *buf, size_t cap, const synack_time_t *v, size_t n, bool durations)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		sc_append(buf, cap, &used, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ",
		          durations ? DUR(v[i]) : SECS(v[i]));
}

/* The time the server's connection left SYN_RCVD other than for
 * ESTABLISHED, after `after`, or SYNACK_TIME_NEVER; noted on the ladder.
 * Only printed, never required: how a listener keeps its half-open
 * requests is its own business. */
static synack_time_t request_dropped_at(struct scenario_run *r, synack_time_t after)
{
	for (size_t i = 0; i < synack_ladder_state_count(r->lad); i++) {
		const struct synack_ladder_state *s = synack_ladder_state_get(r->lad, i);
		if (s->col == COL_S && s->old_state == SYNACK_SYN_RCVD && s->new_state != SYNACK_ESTABLISHED &&
		    s->time > after) {
			synack_ladder_note(r->lad, s->time,
			                   "server: gives up on the half-open connection (its CLOSED); the listener "
			                   "still listens");
			return s->time;
		}
	}
	return SYNACK_TIME_NEVER;
}

void play_q04_synack_backoff(struct scenario_run *r)
{
	if (!sc_setup(r, COL_C, NULL, "client (raw)", NULL))
		return;
	int l = sc_listen(r, COL_S, 80);
	sc_note(r, "client: SYN from port 40000, then silence (a host that vanished, or a spoofed source)");
	sc_send(r, COL_C, &(struct sc_seg){.sport = 40000, .dport = 80, .flags = F_SYN, .seq = 1000});
	sc_run_to(r, SYNACK_SEC(70));

	size_t n = scenario_count_segs(r, COL_S, F_SA);
	scenario_fact(r, "synacks", (int64_t)n);
	synack_time_t t[16], gaps[16];
	bool same = true;
	for (size_t i = 0; i < n && i < 16; i++) {
		const struct synack_ladder_seg *s = scenario_nth_seg(r, COL_S, F_SA, i);
		char name[32];
		t[i] = s->time;
		snprintf(name, sizeof name, "synack%zu_us", i);
		scenario_fact(r, name, (int64_t)s->time);
		same = same && s->seq == scenario_nth_seg(r, COL_S, F_SA, 0)->seq && s->rel_ack == 1;
		if (i > 0)
			gaps[i - 1] = t[i] - t[i - 1];
	}
	scenario_fact(r, "same_synack", same);
	if (!sc_expect(r, n >= 2 && n <= 16, "%zu SYN+ACKs", n))
		return;
	const struct scenario_rx *sa = sc_last_rx(r, COL_C, F_SA);
	sc_note(r, "client: at last, the ACK that would have completed the handshake");
	sc_send(r, COL_C,
	        &(struct sc_seg){.sport = 40000, .dport = 80, .flags = F_A, .seq = 1001, .ack = sa ? sa->seq + 1 : 0});
	sc_run_to(r, SYNACK_SEC(71));
	int a = synack_accept(r->stack[COL_S], l, NULL, NULL);
	sc_note(r, "server: accept() -> %s", a >= 0 ? "a connection" : "EAGAIN: no connection");
	scenario_fact(r, "accepted", a >= 0);
	scenario_fact(r, "listening_after", sc_count_state(r, COL_S, SYNACK_LISTEN) >= 1);
	uint8_t answer = 0;
	for (size_t i = 0; i < scenario_seg_count(r); i++) {
		const struct synack_ladder_seg *s = scenario_seg(r, i);
		if (s->from_col == COL_S && s->time >= SYNACK_SEC(70))
			answer = s->flags;
	}
	scenario_fact(r, "late_ack_answer_flags", answer);
	synack_time_t dropped = request_dropped_at(r, t[n - 1]);
	scenario_fact(r, "dropped_us", dropped == SYNACK_TIME_NEVER ? -1 : (int64_t)dropped);

	char list[128], at[192];
	join_secs(list, sizeof list, gaps, n - 1, true);
	join_secs(at, sizeof at, t + 1, n - 1, false);
	char gone[160];
	if (dropped != SYNACK_TIME_NEVER)
		snprintf(gone, sizeof gone, "waited %s s more and dropped the half-open connection at %s s",
		         DUR(dropped - t[n - 1]), SECS(dropped));
	else
		snprintf(gone, sizeof gone, "sent nothing more");
	sc_answer(r,
	          "The server answered the SYN at %s s and, hearing nothing back, retransmitted the same SYN+ACK "
	          "%s s after each previous one (at %s s): %zu retransmissions (synack_retries), the timeout "
	          "doubling from the initial 1 s RTO each time. After the last it %s; the ACK that came at 70 s "
	          "found no connection and %s, and accept() had nothing to return.",
	          SECS(t[0]), list, at, n - 1, gone,
	          answer & SYNACK_TCP_RST ? "was answered with RST" : answer ? "was answered" : "was dropped");
}

/* ------------------------------------------------------------------ */

struct isn_pair {
	uint32_t c, s;
};

static struct isn_pair isns_of(struct scenario_run *r, int csock, int ssock)
{
	struct synack_sockinfo ci, si;
	struct isn_pair p = {0, 0};
	if (synack_sockinfo(r->stack[COL_C], csock, &ci) == 0)
		p.c = ci.iss;
	if (ssock >= 0 && synack_sockinfo(r->stack[COL_S], ssock, &si) == 0)
		p.s = si.iss;
	return p;
}

void play_q05_isn(struct scenario_run *r)
{
	if (!sc_setup(r, -1, NULL, NULL, NULL))
		return;
	r->absolute = true;
	r->ports = true;
	struct synack_stack *cs = r->stack[COL_C], *ss = r->stack[COL_S];
	int l = sc_listen(r, COL_S, 80);
	sc_note(r, "client: two connect()s at the same instant, from ports 40000 and 40001");
	int a = sc_connect(r, COL_C, 40000, 80), b = sc_connect(r, COL_C, 40001, 80);
	sc_run_to(r, SYNACK_MS(100));
	int sa = synack_accept(ss, l, NULL, NULL), sb = synack_accept(ss, l, NULL, NULL);
	struct isn_pair ia = isns_of(r, a, sa), ib = isns_of(r, b, sb);
	sc_note(r, "server: accept() both; client: close() both");
	synack_close(cs, a, sc_now(r));
	synack_close(cs, b, sc_now(r));
	sc_run_to(r, SYNACK_MS(200));
	sc_note(r, "server: recv() -> 0 on both, close() both");
	char buf[8];
	synack_recv(ss, sa, buf, sizeof buf, sc_now(r));
	synack_recv(ss, sb, buf, sizeof buf, sc_now(r));
	synack_close(ss, sa, sc_now(r));
	synack_close(ss, sb, sc_now(r));
	sc_run_to(r, SYNACK_SEC(100));
	sc_note(r, "client: connect() from port 40000 again, 100 s after the first (its TIME_WAIT is over)");
	int c = sc_connect(r, COL_C, 40000, 80);
	sc_run_to(r, SYNACK_SEC(100) + SYNACK_MS(100));
	int sc = synack_accept(ss, l, NULL, NULL);
	struct isn_pair ic = isns_of(r, c, sc);
	sc_expect(r, sa >= 0 && sb >= 0 && sc >= 0, "a connection did not open");

	scenario_fact(r, "isn_a", ia.c);
	scenario_fact(r, "isn_b", ib.c);
	scenario_fact(r, "isn_c", ic.c);
	scenario_fact(r, "server_isn_a", ia.s);
	scenario_fact(r, "server_isn_b", ib.s);
	scenario_fact(r, "server_isn_c", ic.s);
	uint32_t dc = ic.c - ia.c, ds = ic.s - ia.s;
	scenario_fact(r, "delta_client", dc);
	scenario_fact(r, "delta_server", ds);
	sc_note(r,
	        "ISNs, as on the wire:\n"
	        "port   connect()   client ISN  server ISN\n"
	        "40000    0.000 s  %10" PRIu32 "  %10" PRIu32 "\n"
	        "40001    0.000 s  %10" PRIu32 "  %10" PRIu32 "\n"
	        "40000  100.000 s  %10" PRIu32 "  %10" PRIu32 "\n"
	        "(40000 again: +%" PRIu32 " and +%" PRIu32 ")",
	        ia.c, ia.s, ib.c, ib.s, ic.c, ic.s, dc, ds);
	sc_answer(r,
	          "No. Two connections opened at the same instant from ports 40000 and 40001 got unrelated ISNs "
	          "(%" PRIu32 " and %" PRIu32 "): an ISN is a clock plus a keyed hash of the 4-tuple (RFC 6528), "
	          "and the hash differs per 4-tuple, so one connection's numbers tell an observer nothing about "
	          "another's. The same 4-tuple opened again 100 s later got ISNs exactly %" PRIu32 " higher on the "
	          "client and %" PRIu32 " higher on the server: the clock ticks every 4 microseconds (100 s / 4 us = "
	          "25000000), so each new incarnation of a 4-tuple starts above the numbers its predecessor used.",
	          ia.c, ib.c, dc, ds);
}

/* ------------------------------------------------------------------ */

void play_q06_data_in_handshake(struct scenario_run *r)
{
	if (!sc_setup(r, COL_C, NULL, "client (raw)", NULL))
		return;
	struct synack_stack *ss = r->stack[COL_S];
	int l = sc_listen(r, COL_S, 80);
	sc_note(r, "client: SYN carrying 5 bytes of data (\"early\")");
	sc_send(r, COL_C, &(struct sc_seg){.sport = 40000, .dport = 80, .flags = F_SYN, .seq = 1000, .data = "early", .len = 5});
	sc_run_to(r, SYNACK_MS(20));
	const struct scenario_rx *sa = sc_last_rx(r, COL_C, F_SA);
	if (!sc_expect(r, sa != NULL, "no SYN+ACK"))
		return;
	scenario_fact(r, "synack_ack", (int64_t)(sa->ack - 1000));
	sc_note(r, "client: the third segment, an ACK carrying 5 bytes (\"hello\")");
	sc_send(r, COL_C,
	        &(struct sc_seg){.sport = 40000, .dport = 80, .flags = F_PA, .seq = 1001, .ack = sa->seq + 1,
	                         .data = "hello", .len = 5});
	sc_run_to(r, SYNACK_MS(100));
	const struct scenario_rx *last = sc_last_rx(r, COL_C, F_A);
	scenario_fact(r, "third_ack", last ? (int64_t)(last->ack - 1000) : -1);
	int a = synack_accept(ss, l, NULL, NULL);
	char buf[32] = "";
	ssize_t n = a >= 0 ? synack_recv(ss, a, buf, sizeof buf, sc_now(r)) : -1;
	ssize_t more = a >= 0 ? synack_recv(ss, a, buf + (n > 0 ? n : 0), 8, sc_now(r)) : -1;
	sc_note(r, "server: accept(), recv() -> %zd bytes \"%.*s\", and again -> %s", n, (int)(n > 0 ? n : 0), buf,
	        more == -EAGAIN ? "EAGAIN: nothing else" : "more data");
	scenario_fact(r, "delivered", n);
	scenario_fact(r, "delivered_hello", n == 5 && !memcmp(buf, "hello", 5));
	scenario_fact(r, "recv_again", more);
	sc_expect(r, n == 5 && !memcmp(buf, "hello", 5) && more == -EAGAIN, "the server read %zd bytes", n);
	sc_answer(r,
	          "The SYN carried 5 bytes, but the server's SYN+ACK acknowledged only the SYN itself (ack=%" PRId64
	          "): without TCP Fast Open (RFC 7413, which synack does not implement) a server keeps no data "
	          "before the handshake completes, and those bytes were never delivered. The third segment's 5 "
	          "bytes were accepted (ack=%" PRId64 ") and accept() + recv() returned exactly \"hello\": the "
	          "handshake can carry data on its third segment, once the client has shown it heard the SYN+ACK.",
	          scenario_fact_or(r, "synack_ack", -1), scenario_fact_or(r, "third_ack", -1));
}

/* ------------------------------------------------------------------ */

/* Drops the client's pure ACKs sent before r->scratch[0] microseconds. */
static bool drop_pure_acks_before(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	const struct scenario_run *r = ctx;
	return now < (synack_time_t)r->scratch[0] && is_pure_ack(pkt, len);
}

/* Client and server with the client's pure ACKs lost until `until`; the
 * client sends "GET" at `send_at`.  Returns the client's socket. */
static int lossy_ack_open(struct scenario_run *r, synack_time_t until, int *lsock)
{
	if (!sc_setup(r, -1, NULL, NULL, NULL))
		return -1;
	r->scratch[0] = (int64_t)until;
	synack_sim_set_filter(r->sim, r->node[COL_C], r->node[COL_S], drop_pure_acks_before, r);
	*lsock = sc_listen(r, COL_S, 80);
	if (until == SYNACK_TIME_NEVER)
		sc_note(r, "client: connect(); the network loses every pure ACK the client sends");
	else
		sc_note(r, "client: connect(); the network loses the client's pure ACKs until %s s", SECS(until));
	return sc_connect(r, COL_C, 0, 80);
}

static size_t lost_from(const struct scenario_run *r, int col)
{
	size_t k = 0;
	for (size_t i = 0; i < scenario_seg_count(r); i++)
		k += scenario_seg(r, i)->from_col == col && scenario_seg(r, i)->lost;
	return k;
}

void play_q14_lost_third_ack(struct scenario_run *r)
{
	int l, c = lossy_ack_open(r, SYNACK_MS(1500), &l);
	if (c < 0)
		return;
	sc_run_to(r, SYNACK_MS(1500));
	sc_note(r, "client: send(\"GET\")");
	ssize_t sent = synack_send(r->stack[COL_C], c, "GET", 3, sc_now(r));
	sc_expect(r, sent == 3, "send() returned %zd", sent);
	sc_run_to(r, SYNACK_MS(1600));
	int a = synack_accept(r->stack[COL_S], l, NULL, NULL);
	char buf[8];
	ssize_t n = a >= 0 ? synack_recv(r->stack[COL_S], a, buf, sizeof buf, sc_now(r)) : -1;
	sc_note(r, "server: accept(), recv() -> %zd bytes", n);
	scenario_fact(r, "delivered", n);
	scenario_fact(r, "lost_acks", (int64_t)lost_from(r, COL_C));
	scenario_fact(r, "synacks", (int64_t)scenario_count_segs(r, COL_S, F_SA));
	const struct synack_ladder_seg *re = scenario_nth_seg(r, COL_S, F_SA, 1);
	synack_time_t ce = scenario_state_time(r, COL_C, SYNACK_ESTABLISHED, 0);
	synack_time_t se = scenario_state_time(r, COL_S, SYNACK_ESTABLISHED, 0);
	scenario_fact(r, "client_established_us", (int64_t)ce);
	scenario_fact(r, "server_established_us", (int64_t)se);
	if (!sc_expect(r, re && n == 3 && se != SYNACK_TIME_NEVER, "the handshake did not complete as expected"))
		return;
	scenario_fact(r, "synack_retransmit_us", (int64_t)re->time);
	sc_answer(r,
	          "The client became ESTABLISHED on the SYN+ACK (%s s) and its ACK was lost; the server, still in "
	          "SYN_RCVD, retransmitted the SYN+ACK after 1 s (%s s), and the client's ACK of that was lost too. "
	          "The client's request at 1.500 s carried ack=1 like every segment after the SYN, so it completed "
	          "the handshake on the server (SYN_RCVD -> ESTABLISHED at %s s) and its %zd bytes were delivered: "
	          "a lost third ACK costs nothing once the client sends.",
	          SECS(ce), SECS(re->time), SECS(se), n);
}

void play_q14_server_gave_up(struct scenario_run *r)
{
	int l, c = lossy_ack_open(r, SYNACK_TIME_NEVER, &l);
	if (c < 0)
		return;
	sc_run_to(r, SYNACK_SEC(70));
	sc_note(r, "client: send(\"GET\"), 70 s after connect()");
	synack_send(r->stack[COL_C], c, "GET", 3, sc_now(r));
	sc_run_to(r, SYNACK_SEC(70) + SYNACK_MS(100));
	char buf[8];
	ssize_t n = synack_recv(r->stack[COL_C], c, buf, sizeof buf, sc_now(r));
	sc_note(r, "client: recv() -> %s", n == -ECONNRESET ? "ECONNRESET" : "something else");
	int a = synack_accept(r->stack[COL_S], l, NULL, NULL);
	scenario_fact(r, "client_recv", n);
	scenario_fact(r, "accepted", a >= 0);
	size_t sas = scenario_count_segs(r, COL_S, F_SA);
	scenario_fact(r, "synacks", (int64_t)sas);
	const struct synack_ladder_seg *last_sa = scenario_nth_seg(r, COL_S, F_SA, sas ? sas - 1 : 0);
	synack_time_t dropped = last_sa ? request_dropped_at(r, last_sa->time) : SYNACK_TIME_NEVER;
	scenario_fact(r, "dropped_us", dropped == SYNACK_TIME_NEVER ? -1 : (int64_t)dropped);
	synack_time_t ce = scenario_state_time(r, COL_C, SYNACK_ESTABLISHED, 0);
	scenario_fact(r, "client_established_us", (int64_t)ce);
	const struct synack_ladder_seg *rst = NULL;
	for (size_t i = 0; i < scenario_seg_count(r); i++)
		if (scenario_seg(r, i)->from_col == COL_S && (scenario_seg(r, i)->flags & SYNACK_TCP_RST))
			rst = scenario_seg(r, i);
	scenario_fact(r, "rst_us", rst ? (int64_t)rst->time : -1);
	if (!sc_expect(r, rst && n == -ECONNRESET && sas >= 2, "the server did not reset the late request"))
		return;
	char gone[96];
	if (dropped != SYNACK_TIME_NEVER)
		snprintf(gone, sizeof gone, " and dropped the half-open connection at %s s", SECS(dropped));
	else
		snprintf(gone, sizeof gone, " and then gave up");
	sc_answer(r,
	          "Every ACK the client sent was lost, so the server retransmitted its SYN+ACK %zu times "
	          "(synack_retries)%s, while the client, ESTABLISHED since %s s, could not know. Its request at "
	          "70 s reached a server with no such connection, which answered RST; the client's connection was "
	          "reset and recv() failed with ECONNRESET.",
	          sas - 1, gone, SECS(ce));
}

/* ------------------------------------------------------------------ */

void play_q15_old_syn_in_syn_rcvd(struct scenario_run *r)
{
	if (!sc_setup(r, -1, NULL, NULL, NULL))
		return;
	int l = sc_listen(r, COL_S, 80);
	const struct sc_seg old = {.sport = 40000, .dport = 80, .flags = F_SYN, .seq = 90000};
	sc_note(r, "the network delivers an old duplicate SYN from port 40000, which the client no longer uses");
	sc_send(r, COL_C, &old);
	sc_run_to(r, SYNACK_MS(5));
	sc_note(r, "... and, 5 ms later, another copy of it");
	sc_send(r, COL_C, &old);
	sc_run_to(r, SYNACK_SEC(10));
	int a = synack_accept(r->stack[COL_S], l, NULL, NULL);
	sc_note(r, "server: accept() -> %s", a >= 0 ? "a connection" : "EAGAIN: no connection");
	scenario_fact(r, "accepted", a >= 0);
	size_t sas = scenario_count_segs(r, COL_S, F_SA), rsts = scenario_count_segs(r, COL_C, F_R);
	scenario_fact(r, "synacks", (int64_t)sas);
	scenario_fact(r, "rsts", (int64_t)rsts);
	const struct synack_ladder_seg *s0 = scenario_nth_seg(r, COL_S, F_SA, 0), *s1 = scenario_nth_seg(r, COL_S, F_SA, 1);
	const struct synack_ladder_seg *r0 = scenario_nth_seg(r, COL_C, F_R, 0);
	if (!sc_expect(r, s0 && s1 && r0, "expected two SYN+ACKs and a RST"))
		return;
	scenario_fact(r, "same_synack", s0->seq == s1->seq && s0->ack == s1->ack);
	scenario_fact(r, "synack_ack", srel(s0->rel_ack));
	scenario_fact(r, "rst_seq", srel(r0->rel_seq));
	synack_time_t back = scenario_state_time(r, COL_S, SYNACK_LISTEN, 1);
	scenario_fact(r, "server_listen_again_us", (int64_t)back);
	char ss[256];
	scenario_states(r, COL_S, ss, sizeof ss);
	const char *want = "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>LISTEN";
	sc_expect(r, !strncmp(ss, want, strlen(want)) && !strstr(ss, "ESTABLISHED"), "server states: %s", ss);
	sc_note_discarded_requests(r);
	sc_answer(r,
	          "The server cannot tell an old SYN from a new one, so it treated it as any SYN: it entered "
	          "SYN_RCVD and answered SYN+ACK (ack=%" PRId64 ", relative to the old SYN). The second copy, "
	          "arriving while it waited in SYN_RCVD, got the same SYN+ACK again, not a second connection. The "
	          "client host had no connection on port 40000 and answered each SYN+ACK with RST seq=%" PRId64
	          " (its ack): the first sent the server back to LISTEN at %s s, the second met only the listener "
	          "and was ignored, and no connection was ever established (accept(): EAGAIN; no SYN+ACK was "
	          "retransmitted afterwards).",
	          srel(s0->rel_ack), srel(r0->rel_seq), SECS(back));
}

/* ------------------------------------------------------------------ */

void play_q16_simultaneous_open(struct scenario_run *r)
{
	if (!sc_setup(r, -1, NULL, "peer A", "peer B"))
		return;
	struct synack_stack *sa = r->stack[COL_C], *sb = r->stack[COL_S];
	sc_note(r, "A: connect(192.0.2.2:6000) from port 5000; B: connect(192.0.2.1:5000) from port 6000");
	int a = sc_connect(r, COL_C, 5000, 6000);
	int b = sc_connect(r, COL_S, 6000, 5000);
	sc_run_to(r, SYNACK_MS(100));
	sc_note(r, "A: send(\"ping\")");
	synack_send(sa, a, "ping", 4, sc_now(r));
	sc_run_to(r, SYNACK_MS(200));
	char buf[8];
	ssize_t n = synack_recv(sb, b, buf, sizeof buf, sc_now(r));
	sc_note(r, "B: recv() -> %zd bytes", n);
	scenario_fact(r, "b_received", n);
	scenario_fact(r, "a_estab", (int64_t)synack_get_counters(sa)->TcpCurrEstab);
	scenario_fact(r, "b_estab", (int64_t)synack_get_counters(sb)->TcpCurrEstab);
	scenario_fact(r, "syns", (int64_t)(scenario_count_segs(r, COL_C, F_SYN) + scenario_count_segs(r, COL_S, F_SYN)));
	scenario_fact(r, "synacks", (int64_t)(scenario_count_segs(r, COL_C, F_SA) + scenario_count_segs(r, COL_S, F_SA)));
	char as[256], bs[256];
	scenario_states(r, COL_C, as, sizeof as);
	scenario_states(r, COL_S, bs, sizeof bs);
	const char *want = "CLOSED>SYN_SENT SYN_SENT>SYN_RCVD SYN_RCVD>ESTABLISHED";
	sc_expect(r, !strcmp(as, want) && !strcmp(bs, want), "states: A %s; B %s", as, bs);
	sc_expect(r, n == 4, "B read %zd bytes", n);
	synack_time_t ea = scenario_state_time(r, COL_C, SYNACK_ESTABLISHED, 0);
	scenario_fact(r, "established_us", (int64_t)ea);
	size_t acks = 0, opening = 0;
	for (size_t i = 0; i < scenario_seg_count(r); i++) {
		const struct synack_ladder_seg *s = scenario_seg(r, i);
		if (s->payload_len > 0)
			break;
		opening++;
		acks += s->flags == F_A;
	}
	scenario_fact(r, "acks", (int64_t)acks);
	scenario_fact(r, "opening_segments", (int64_t)opening);
	sc_answer(r,
	          "Both ends sent a SYN at 0.000 s and the SYNs crossed. Each, in SYN_SENT, received the other's "
	          "SYN, went to SYN_RCVD and answered SYN+ACK with its own ISN again and ack=the other's ISN+1; each "
	          "SYN+ACK acknowledged a SYN, so both became ESTABLISHED at %s s%s. %zu segments, and one "
	          "connection, not two: the 4-tuple is the same seen from either side, A's \"ping\" reached B's "
	          "socket (recv() -> %zd bytes) and each stack counts one established connection.",
	          SECS(ea), acks == 2 ? " and acknowledged the SYN+ACK it had received" : "", opening, n);
}
