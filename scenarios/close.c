/* Scenarios about closing: the whole lifecycle (the demo), the four-way
 * close (Q08), half-close (Q09), CLOSE_WAIT piling up (Q12), simultaneous
 * close (Q16) and the lost last ACK. */
#include "play.h"

/* Listen on 80, connect at the current time, accept 100 ms later. */
static bool open_conn(struct scenario_run *r, struct sc_conn *k, const char *what)
{
	k->l = sc_listen(r, COL_S, 80);
	return sc_open(r, k, what);
}

/* Facts every close records: when each side entered and left TIME_WAIT. */
static void time_wait_facts(struct scenario_run *r)
{
	static const char *names[2][2] = {{"client_tw_us", "client_tw_end_us"}, {"server_tw_us", "server_tw_end_us"}};
	for (int col = 0; col < 2; col++) {
		synack_time_t in = scenario_state_time(r, col, SYNACK_TIME_WAIT, 0);
		synack_time_t out = sc_state_change_time(r, col, SYNACK_TIME_WAIT, SYNACK_CLOSED);
		scenario_fact(r, names[col][0], in == SYNACK_TIME_NEVER ? -1 : (int64_t)in);
		scenario_fact(r, names[col][1], out == SYNACK_TIME_NEVER ? -1 : (int64_t)out);
	}
}

/* ------------------------------------------------------------------ */

static const char request[] = "GET / HTTP/1.0\r\n\r\n";
static const char reply[] = "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n";

void play_lifecycle(struct scenario_run *r)
{
	if (!sc_setup(r, -1, NULL, NULL, NULL))
		return;
	struct synack_stack *cs = r->stack[COL_C], *ss = r->stack[COL_S];
	int l = sc_listen(r, COL_S, 80);
	sc_note(r, "client: connect(192.0.2.2:80)");
	int c = sc_connect(r, COL_C, 0, 80);
	sc_run_to(r, SYNACK_MS(100));
	sc_note(r, "client: send(\"GET / HTTP/1.0\")");
	synack_send(cs, c, request, sizeof(request) - 1, sc_now(r));
	sc_run_to(r, SYNACK_MS(200));
	char buf[256];
	int a = synack_accept(ss, l, NULL, NULL);
	ssize_t n = a >= 0 ? synack_recv(ss, a, buf, sizeof buf, sc_now(r)) : -1;
	sc_note(r, n > 0 ? "server: accept(), recv() the request, send() the reply" : "server: no request?");
	if (a >= 0)
		synack_send(ss, a, reply, sizeof(reply) - 1, sc_now(r));
	sc_run_to(r, SYNACK_MS(300));
	ssize_t m = synack_recv(cs, c, buf, sizeof buf, sc_now(r));
	sc_note(r, m > 0 ? "client: recv() the reply, close()" : "client: no reply?");
	synack_close(cs, c, sc_now(r));
	sc_run_to(r, SYNACK_MS(400));
	ssize_t e = a >= 0 ? synack_recv(ss, a, buf, 16, sc_now(r)) : -1;
	sc_note(r, e == 0 ? "server: recv() returns 0 (end of stream), close()" : "server: close()");
	if (a >= 0)
		synack_close(ss, a, sc_now(r));
	synack_sim_run(r->sim, SYNACK_SEC(600));
	scenario_fact(r, "request_read", n);
	scenario_fact(r, "reply_read", m);
	scenario_fact(r, "eof_read", e);
	time_wait_facts(r);
	synack_time_t tw = scenario_state_time(r, COL_C, SYNACK_TIME_WAIT, 0);
	synack_time_t end = sc_state_change_time(r, COL_C, SYNACK_TIME_WAIT, SYNACK_CLOSED);
	char ss_states[512];
	scenario_states(r, COL_S, ss_states, sizeof ss_states);
	bool passive = strstr(ss_states, "ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSED") != NULL;
	if (r->params.loss == 0) {
		sc_expect(r, n == (ssize_t)sizeof(request) - 1 && m == (ssize_t)sizeof(reply) - 1 && e == 0,
		          "the exchange did not complete");
		sc_expect(r, tw != SYNACK_TIME_NEVER && end != SYNACK_TIME_NEVER && passive, "the close did not complete");
	}
	if (tw != SYNACK_TIME_NEVER && end != SYNACK_TIME_NEVER)
		sc_answer(r,
		          "The client closed first, so it held TIME_WAIT for 2*MSL (%s s) before CLOSED; the server "
		          "went %s.",
		          DUR(end - tw),
		          passive ? "CLOSE_WAIT -> LAST_ACK -> CLOSED" : "through a close of its own (see its column)");
	else
		sc_answer(r, "The connection did not finish closing within 600 s of virtual time.");
}

/* ------------------------------------------------------------------ */

void play_q08_four_way_close(struct scenario_run *r)
{
	if (!sc_setup(r, -1, NULL, NULL, NULL))
		return;
	struct synack_stack *cs = r->stack[COL_C], *ss = r->stack[COL_S];
	struct sc_conn k;
	if (!open_conn(r, &k, NULL))
		return;
	sc_note(r, "client: send(\"hello\")");
	synack_send(cs, k.c, "hello", 5, sc_now(r));
	sc_run_to(r, SYNACK_MS(200));
	char buf[16];
	ssize_t n = synack_recv(ss, k.a, buf, sizeof buf, sc_now(r));
	sc_note(r, "server: accept(), recv() -> %zd bytes", n);
	sc_run_to(r, SYNACK_MS(300));
	size_t base = scenario_seg_count(r);
	sc_note(r, "client: close()");
	synack_close(cs, k.c, sc_now(r));
	sc_run_to(r, SYNACK_MS(400));
	ssize_t e = synack_recv(ss, k.a, buf, sizeof buf, sc_now(r));
	sc_note(r, "server: recv() -> %zd (end of stream), close()", e);
	synack_close(ss, k.a, sc_now(r));
	sc_run_to(r, SYNACK_SEC(70));
	scenario_fact(r, "eof_read", e);
	scenario_fact(r, "close_segments", (int64_t)(scenario_seg_count(r) - base));
	time_wait_facts(r);
	const struct synack_ladder_seg *fin1 = scenario_seg(r, base), *fin2 = scenario_seg(r, base + 2);
	if (!sc_expect(r, scenario_seg_count(r) == base + 4 && fin1 && fin2, "expected 4 closing segments"))
		return;
	scenario_fact(r, "u", fin1->rel_seq);
	scenario_fact(r, "w", fin2->rel_seq);
	char cst[512], sst[512];
	scenario_states(r, COL_C, cst, sizeof cst);
	scenario_states(r, COL_S, sst, sizeof sst);
	sc_expect(r, strstr(cst, "ESTABLISHED>FIN_WAIT_1 FIN_WAIT_1>FIN_WAIT_2 FIN_WAIT_2>TIME_WAIT TIME_WAIT>CLOSED"),
	          "client states: %s", cst);
	sc_expect(r, strstr(sst, "ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSED"), "server states: %s",
	          sst);
	int64_t tw = scenario_fact_or(r, "client_tw_end_us", 0) - scenario_fact_or(r, "client_tw_us", 0);
	sc_answer(r,
	          "The client's close() sent FIN seq=u (u=%" PRIu32 ": its SYN and 5 bytes came before) and took it to "
	          "FIN_WAIT_1; the server acknowledged it at once (ack=u+1=%" PRIu32 "), entered CLOSE_WAIT and its "
	          "application read end of stream, while the client, its FIN acknowledged, waited in FIN_WAIT_2. "
	          "When the server's application closed, its FIN (seq=w=%" PRIu32 ", ack=u+1) took it to LAST_ACK, "
	          "and the client's ACK (seq=u+1, ack=w+1) closed it; the client, which closed first, held "
	          "TIME_WAIT for 2*MSL = %s s before CLOSED.",
	          fin1->rel_seq, fin1->rel_seq + 1, fin2->rel_seq, DUR((synack_time_t)tw));
}

/* ------------------------------------------------------------------ */

void play_q09_half_close(struct scenario_run *r)
{
	if (!sc_setup(r, -1, NULL, NULL, NULL))
		return;
	struct synack_stack *cs = r->stack[COL_C], *ss = r->stack[COL_S];
	struct sc_conn k;
	if (!open_conn(r, &k, NULL))
		return;
	static const char req[] = "GET /report";
	sc_note(r, "client: send(\"GET /report\"), shutdown(SHUT_WR): no more to send, still listening");
	synack_send(cs, k.c, req, sizeof(req) - 1, sc_now(r));
	synack_shutdown(cs, k.c, SYNACK_SHUT_WR, sc_now(r));
	sc_run_to(r, SYNACK_MS(200));
	char buf[256];
	ssize_t n = synack_recv(ss, k.a, buf, sizeof buf, sc_now(r));
	ssize_t e = synack_recv(ss, k.a, buf, sizeof buf, sc_now(r));
	sc_note(r, "server: recv() -> %zd bytes, recv() -> %zd (end of stream); the reply is not done yet", n, e);
	synack_time_t fin_acked = sc_now(r);
	static const char *parts[] = {"report part 1\n", "report part 2\n", "report part 3\n"};
	size_t total = 0;
	for (int i = 0; i < 3; i++) {
		sc_note(r, "server (CLOSE_WAIT): send(\"report part %d\")", i + 1);
		total += strlen(parts[i]);
		synack_send(ss, k.a, parts[i], strlen(parts[i]), sc_now(r));
		sc_run_to(r, sc_now(r) + SYNACK_MS(100));
	}
	ssize_t got = synack_recv(cs, k.c, buf, sizeof buf, sc_now(r));
	int cstate = -1;
	struct synack_sockinfo ci;
	if (synack_sockinfo(cs, k.c, &ci) == 0)
		cstate = ci.state;
	sc_note(r, "client (%s): recv() -> %zd bytes", synack_state_name((enum synack_tcp_state)cstate), got);
	sc_note(r, "server: close()");
	synack_close(ss, k.a, sc_now(r));
	sc_run_to(r, sc_now(r) + SYNACK_MS(100));
	ssize_t eof = synack_recv(cs, k.c, buf, sizeof buf, sc_now(r));
	sc_note(r, "client: recv() -> %zd (end of stream), close()", eof);
	synack_close(cs, k.c, sc_now(r));
	sc_run_to(r, SYNACK_SEC(70));

	/* The server's data between its ACK of the client's FIN and its own FIN. */
	size_t data_after = 0;
	synack_time_t sfin = SYNACK_TIME_NEVER;
	for (size_t i = 0; i < scenario_seg_count(r); i++) {
		const struct synack_ladder_seg *s = scenario_seg(r, i);
		if (s->from_col == COL_S && (s->flags & SYNACK_TCP_FIN) && sfin == SYNACK_TIME_NEVER)
			sfin = s->time;
		if (s->from_col == COL_S && s->payload_len > 0 && s->time >= fin_acked && sfin == SYNACK_TIME_NEVER)
			data_after++;
	}
	scenario_fact(r, "request_read", n);
	scenario_fact(r, "server_eof", e);
	scenario_fact(r, "data_segments_after_fin", (int64_t)data_after);
	scenario_fact(r, "client_read", got);
	scenario_fact(r, "client_state_reading", cstate);
	scenario_fact(r, "client_eof", eof);
	time_wait_facts(r);
	sc_expect(r, e == 0 && got == (ssize_t)total && cstate == SYNACK_FIN_WAIT_2 && eof == 0,
	          "the half-close did not go as expected");
	sc_answer(r,
	          "The client's shutdown(SHUT_WR) sent FIN, which means \"I will send no more\", not \"stop "
	          "talking\". The server acknowledged it at once but its application still had a reply to send, so "
	          "it stayed in CLOSE_WAIT and sent %zu more segments (%zd bytes), which the client, in %s, "
	          "acknowledged and read; only when the server's application called close() did its FIN follow. "
	          "Each direction closes on its own, so the ACK of one FIN and the other side's FIN are separate "
	          "segments; opening has nothing to wait for, so the server's SYN rides with its ACK of the "
	          "client's SYN: three segments instead of four.",
	          data_after, got, synack_state_name((enum synack_tcp_state)cstate));
}

/* ------------------------------------------------------------------ */

void play_q12_close_wait(struct scenario_run *r)
{
	if (!sc_setup(r, -1, NULL, NULL, NULL))
		return;
	r->ports = true;
	struct synack_stack *cs = r->stack[COL_C], *ss = r->stack[COL_S];
	int l = sc_listen(r, COL_S, 80);
	const int clients = 3;
	int eofs = 0;
	for (int i = 0; i < clients; i++) {
		synack_time_t t0 = SYNACK_SEC(i);
		sc_run_to(r, t0);
		sc_note(r, "client: connect() from port %d", 40001 + i);
		int c = sc_connect(r, COL_C, (uint16_t)(40001 + i), 80);
		sc_run_to(r, t0 + SYNACK_MS(100));
		sc_note(r, "client: send(\"GET /\"), close()");
		synack_send(cs, c, "GET /", 5, sc_now(r));
		synack_close(cs, c, sc_now(r));
		sc_run_to(r, t0 + SYNACK_MS(200));
		int a = synack_accept(ss, l, NULL, NULL);
		char buf[16];
		ssize_t n = a >= 0 ? synack_recv(ss, a, buf, sizeof buf, sc_now(r)) : -1;
		ssize_t e = a >= 0 ? synack_recv(ss, a, buf, sizeof buf, sc_now(r)) : -1;
		eofs += e == 0;
		sc_note(r, "server: accept(), recv() -> %zd bytes, recv() -> %zd ... and never close()", n, e);
		sc_note(r, "server: %d connection%s in CLOSE_WAIT", sc_count_state(r, COL_S, SYNACK_CLOSE_WAIT),
		        sc_count_state(r, COL_S, SYNACK_CLOSE_WAIT) == 1 ? "" : "s");
	}
	sc_run_to(r, SYNACK_SEC(120));
	int cw = sc_count_state(r, COL_S, SYNACK_CLOSE_WAIT);
	int cw_c = sc_count_conns(r, COL_C);
	char table[1024];
	sc_ss(r, COL_S, table, sizeof table);
	sc_note(r, "server: %d connections in CLOSE_WAIT; the client holds %d.\nss -tan on the server at %s s:\n%s", cw,
	        cw_c, SECS(sc_now(r)), table);
	scenario_fact(r, "eofs_read", eofs);
	scenario_fact(r, "server_close_wait", cw);
	scenario_fact(r, "client_connections", cw_c);
	synack_time_t orphan_end = sc_state_change_time(r, COL_C, SYNACK_FIN_WAIT_2, SYNACK_CLOSED);
	synack_time_t orphan_in = scenario_state_time(r, COL_C, SYNACK_FIN_WAIT_2, 0);
	scenario_fact(r, "client_fin_wait_2_us", orphan_end != SYNACK_TIME_NEVER && orphan_in != SYNACK_TIME_NEVER
	                                               ? (int64_t)(orphan_end - orphan_in)
	                                               : -1);
	sc_expect(r, cw == clients && cw_c == 0 && eofs == clients, "CLOSE_WAIT: %d, client connections: %d", cw, cw_c);
	sc_answer(r,
	          "The server's application read end of stream (recv() returned 0) but never called close(), so "
	          "each connection stayed in CLOSE_WAIT: TCP sends the server's FIN only when the application says "
	          "it is done, and no timer ends CLOSE_WAIT. The clients gave up their side after fin_timeout "
	          "(%s s in FIN_WAIT_2), yet at 120 s the server still held all %d, each a full connection with its "
	          "buffers and its socket; a server that leaks sockets like this runs out of memory or descriptors. "
	          "The cure is in the application: close() once recv() returns 0.",
	          DUR((synack_time_t)scenario_fact_or(r, "client_fin_wait_2_us", 0)), cw);
}

/* ------------------------------------------------------------------ */

void play_q16_simultaneous_close(struct scenario_run *r)
{
	if (!sc_setup(r, -1, NULL, NULL, NULL))
		return;
	struct synack_stack *cs = r->stack[COL_C], *ss = r->stack[COL_S];
	struct sc_conn k;
	if (!open_conn(r, &k, NULL))
		return;
	sc_run_to(r, SYNACK_MS(200));
	size_t base = scenario_seg_count(r);
	sc_note(r, "client and server: close() at the same instant");
	synack_close(cs, k.c, sc_now(r));
	synack_close(ss, k.a, sc_now(r));
	sc_run_to(r, SYNACK_SEC(70));
	time_wait_facts(r);
	scenario_fact(r, "close_segments", (int64_t)(scenario_seg_count(r) - base));
	const char *tail = "ESTABLISHED>FIN_WAIT_1 FIN_WAIT_1>CLOSING CLOSING>TIME_WAIT TIME_WAIT>CLOSED";
	char cst[512], sst[512];
	scenario_states(r, COL_C, cst, sizeof cst);
	scenario_states(r, COL_S, sst, sizeof sst);
	bool both = strstr(cst, tail) && strstr(sst, tail);
	scenario_fact(r, "both_closing", both);
	sc_expect(r, both, "states: client %s; server %s", cst, sst);
	synack_time_t closing = scenario_state_time(r, COL_C, SYNACK_CLOSING, 0);
	synack_time_t tw = scenario_state_time(r, COL_C, SYNACK_TIME_WAIT, 0);
	sc_answer(r,
	          "Both applications closed at 0.200 s, so both FINs were in flight at once and each side, still in "
	          "FIN_WAIT_1 (its own FIN not yet acknowledged), received the other's FIN: FIN_WAIT_1 -> CLOSING "
	          "at %s s, where it acknowledged that FIN. When the ACKs crossed in turn, each went CLOSING -> "
	          "TIME_WAIT (%s s): both ends closed actively, so both held TIME_WAIT for 2*MSL = 60 s, and %" PRId64
	          " segments closed the connection as in the ordinary close.",
	          SECS(closing), SECS(tw), scenario_fact_or(r, "close_segments", 0));
}

/* ------------------------------------------------------------------ */

/* Drops the client's first pure ACK sent at or after r->scratch[0]. */
static bool drop_last_ack(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	struct scenario_run *r = ctx;
	struct synack_ipv4 ip;
	struct synack_tcp_seg seg;
	if (r->scratch[1] || now < (synack_time_t)r->scratch[0] ||
	    synack_tcp_packet_parse(pkt, len, &ip, &seg) != SYNACK_WIRE_OK || seg.flags != SYNACK_TCP_ACK ||
	    seg.payload_len != 0)
		return false;
	r->scratch[1] = 1;
	return true;
}

void play_lost_last_ack(struct scenario_run *r)
{
	if (!sc_setup(r, -1, NULL, NULL, NULL))
		return;
	struct synack_stack *cs = r->stack[COL_C], *ss = r->stack[COL_S];
	struct sc_conn k;
	if (!open_conn(r, &k, NULL))
		return;
	sc_note(r, "client: close()");
	synack_close(cs, k.c, sc_now(r));
	sc_run_to(r, SYNACK_MS(200));
	char buf[8];
	ssize_t e = synack_recv(ss, k.a, buf, sizeof buf, sc_now(r));
	sc_note(r, "server: recv() -> %zd (end of stream), close(); the network will lose the client's last ACK", e);
	r->scratch[0] = (int64_t)sc_now(r);
	synack_sim_set_filter(r->sim, r->node[COL_C], r->node[COL_S], drop_last_ack, r);
	synack_close(ss, k.a, sc_now(r));
	sc_run_to(r, SYNACK_SEC(70));
	time_wait_facts(r);
	const struct synack_ladder_seg *fin1 = scenario_nth_seg(r, COL_S, F_FA, 0), *fin2 = scenario_nth_seg(r, COL_S, F_FA, 1);
	/* The client's ACKs after the server's first FIN: the lost one, then the answer to the second FIN. */
	const struct synack_ladder_seg *ack1 = fin1 ? scenario_seg_from(r, COL_C, F_A, fin1->time + 1) : NULL;
	const struct synack_ladder_seg *ack2 = ack1 ? scenario_seg_from(r, COL_C, F_A, ack1->time + 1) : NULL;
	if (!sc_expect(r, fin1 && fin2 && ack1 && ack2 && ack1->lost && !ack2->lost,
	               "expected a lost ACK, a second FIN and a second ACK"))
		return;
	scenario_fact(r, "fin_retransmit_after_us", (int64_t)(fin2->time - fin1->time));
	scenario_fact(r, "first_ack_us", (int64_t)ack1->time);
	scenario_fact(r, "second_ack_us", (int64_t)ack2->time);
	scenario_fact(r, "same_fin", fin1->seq == fin2->seq);
	scenario_fact(r, "same_ack", ack1->seq == ack2->seq && ack1->ack == ack2->ack);
	int64_t tw_end = scenario_fact_or(r, "client_tw_end_us", -1);
	synack_time_t server_closed = sc_state_change_time(r, COL_S, SYNACK_LAST_ACK, SYNACK_CLOSED);
	scenario_fact(r, "server_closed_us", server_closed == SYNACK_TIME_NEVER ? -1 : (int64_t)server_closed);
	sc_expect(r, tw_end >= 0 && server_closed != SYNACK_TIME_NEVER, "the close did not complete");
	sc_answer(r,
	          "The client's ACK of the server's FIN was lost, so the server stayed in LAST_ACK and retransmitted "
	          "its FIN %s s later (its retransmission timeout). The client was in TIME_WAIT for exactly this: "
	          "it still knew the connection, answered the repeated FIN with the same ACK (which closed the "
	          "server at %s s) and restarted its 2*MSL timer, going CLOSED at %s s, 60 s after the second ACK "
	          "rather than the first. Had it gone straight to CLOSED, the repeated FIN would have met a RST and "
	          "the server would have seen its connection reset instead of closed. The wait must cover the last "
	          "ACK's trip (up to one MSL) and a retransmitted FIN's trip back (up to another): hence 2*MSL.",
	          DUR(fin2->time - fin1->time), SECS(server_closed), SECS((synack_time_t)tw_end));
}
