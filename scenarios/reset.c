/* Scenarios about resets and the control bits: RST to a closed port, the
 * RFC 5961 challenge ACK, and the six flags each in use (Q17). */
#include "play.h"

void play_rst_closed_port(struct scenario_run *r)
{
	if (!sc_setup(r, -1, NULL, NULL, NULL))
		return;
	sc_listen(r, COL_S, 80);
	sc_note(r, "client: connect(192.0.2.2:81), a port nobody listens on (the server listens on 80)");
	int c = sc_connect(r, COL_C, 0, 81);
	sc_run_to(r, SYNACK_MS(100));
	int err = -1;
	synack_getsockopt(r->stack[COL_C], c, SYNACK_SO_ERROR, &err);
	sc_note(r, "client: connect() failed: SO_ERROR = %s", err == ECONNREFUSED ? "ECONNREFUSED" : "something else");
	sc_run_to(r, SYNACK_SEC(5));
	scenario_fact(r, "so_error", err);
	scenario_fact(r, "segments", (int64_t)scenario_seg_count(r));
	const struct synack_ladder_seg *rst = scenario_nth_seg(r, COL_S, F_RA, 0);
	if (!sc_expect(r, rst && scenario_seg_count(r) == 2 && err == ECONNREFUSED, "expected SYN, RST+ACK, refusal"))
		return;
	scenario_fact(r, "rst_seq", rst->seq);
	scenario_fact(r, "rst_ack", rst->rel_ack);
	synack_time_t closed = scenario_state_time(r, COL_C, SYNACK_CLOSED, 0);
	scenario_fact(r, "client_closed_us", (int64_t)closed);
	sc_answer(r,
	          "Nobody listens on port 81, so the server's TCP answered the SYN itself with RST+ACK, seq=%" PRIu32
	          " and ack=x+%" PRIu32 " (RFC 9293 3.10.7.1: the reset acknowledges the SYN, which is how the "
	          "client knows it answers its own SYN and not an old one). The client went SYN_SENT -> CLOSED at "
	          "%s s, one round trip after connect(), and connect() failed with ECONNREFUSED, instead of "
	          "retrying for 127 s as it would if the SYN had gone unanswered.",
	          rst->seq, rst->rel_ack, SECS(closed));
}

/* ------------------------------------------------------------------ */

/* Crafted segments without timestamps must be acceptable (RFC 7323 3.2
 * lets a receiver drop non-RST segments that lack one). */
static void no_timestamps(struct synack_config *cfg, int col)
{
	(void)col;
	cfg->timestamps = false;
}

void play_challenge_ack(struct scenario_run *r)
{
	if (!sc_setup(r, -1, no_timestamps, NULL, NULL))
		return;
	struct synack_stack *cs = r->stack[COL_C], *ss = r->stack[COL_S];
	int l = sc_listen(r, COL_S, 80);
	sc_note(r, "client: connect(192.0.2.2:80), send(\"hello\")");
	int c = sc_connect(r, COL_C, 0, 80);
	sc_run_to(r, SYNACK_MS(100));
	synack_send(cs, c, "hello", 5, sc_now(r));
	sc_run_to(r, SYNACK_MS(200));
	int a = synack_accept(ss, l, NULL, NULL);
	char buf[16];
	ssize_t n = a >= 0 ? synack_recv(ss, a, buf, sizeof buf, sc_now(r)) : -1;
	sc_note(r, "server: accept(), recv() -> %zd bytes", n);
	struct synack_sockinfo si, ci;
	if (!sc_expect(r, a >= 0 && synack_sockinfo(ss, a, &si) == 0 && synack_sockinfo(cs, c, &ci) == 0,
	               "the connection did not open"))
		return;
	r->absolute = true; /* the attacks are about exact sequence numbers */
	sc_note(r, "server: RCV.NXT = %" PRIu32 ", SND.NXT = %" PRIu32, si.rcv_nxt, si.snd_nxt);
	sc_run_to(r, SYNACK_MS(500));
	sc_note(r, "an attacker spoofing the client sends RST seq=%" PRIu32 " = RCV.NXT+1000: in the window, not exact",
	        si.rcv_nxt + 1000);
	sc_send(r, COL_C, &(struct sc_seg){.sport = ci.lport, .dport = 80, .flags = F_R, .seq = si.rcv_nxt + 1000});
	sc_run_to(r, SYNACK_MS(1500));
	sc_note(r, "the attacker sends a SYN inside the window, seq=%" PRIu32 " = RCV.NXT+500", si.rcv_nxt + 500);
	sc_send(r, COL_C, &(struct sc_seg){.sport = ci.lport, .dport = 80, .flags = F_SYN, .seq = si.rcv_nxt + 500});
	sc_run_to(r, SYNACK_MS(2500));
	sc_note(r, "client: send(\"ping\")");
	synack_send(cs, c, "ping", 4, sc_now(r));
	sc_run_to(r, SYNACK_MS(2600));
	ssize_t p = synack_recv(ss, a, buf, sizeof buf, sc_now(r));
	sc_note(r, "server: recv() -> %zd bytes: the connection is intact", p);
	const struct synack_counters *sc = synack_get_counters(ss);
	scenario_fact(r, "challenge_acks", (int64_t)sc->TcpExtTCPChallengeACK);
	scenario_fact(r, "syn_challenges", (int64_t)sc->TcpExtTCPSYNChallenge);
	scenario_fact(r, "server_resets", (int64_t)sc->TcpEstabResets);
	scenario_fact(r, "client_resets", (int64_t)synack_get_counters(cs)->TcpEstabResets);
	scenario_fact(r, "ping_read", p);
	/* The server's pure ACKs right after each attack (10 ms later). */
	size_t answered = 0;
	for (size_t i = 0; i < scenario_seg_count(r); i++) {
		const struct synack_ladder_seg *s = scenario_seg(r, i);
		if (s->from_col == COL_S && s->flags == F_A &&
		    (s->time == SYNACK_MS(510) || s->time == SYNACK_MS(1510)) && s->seq == si.snd_nxt &&
		    s->ack == si.rcv_nxt)
			answered++;
	}
	scenario_fact(r, "challenge_acks_on_wire", (int64_t)answered);
	sc_expect(r, answered == 2 && p == 4 && sc->TcpEstabResets == 0, "the attacks were not answered as expected");
	sc_answer(r,
	          "An RST resets a synchronized connection only if its seq is exactly RCV.NXT (RFC 5961 3): the "
	          "spoofed RST, inside the window but 1000 bytes off, drew a challenge ACK (seq=SND.NXT, "
	          "ack=RCV.NXT) to the real client instead, which, holding a healthy connection, had nothing to "
	          "answer; a real peer that had lost its connection would have answered with an exact RST. The "
	          "SYN got a challenge ACK too (RFC 5961 4) rather than resetting anything, and the connection "
	          "survived both (%" PRIu64 " resets) and carried \"ping\": a blind attacker must now guess the exact "
	          "sequence number, not merely land in the window.",
	          sc->TcpEstabResets);
}

/* ------------------------------------------------------------------ */

void play_q17_flags(struct scenario_run *r)
{
	if (!sc_setup(r, COL_C, NULL, "client (raw)", NULL))
		return;
	struct synack_stack *ss = r->stack[COL_S];
	int l = sc_listen(r, COL_S, 80);
	const uint16_t port = 40000;
	const uint32_t x = 5000; /* the client's ISN */
	sc_note(r, "SYN: the client asks to open, with its ISN");
	sc_send(r, COL_C, &(struct sc_seg){.sport = port, .dport = 80, .flags = F_SYN, .seq = x});
	sc_run_to(r, SYNACK_MS(20));
	const struct scenario_rx *sa = sc_last_rx(r, COL_C, F_SA);
	if (!sc_expect(r, sa != NULL, "no SYN+ACK"))
		return;
	uint32_t y1 = sa->seq + 1;
	sc_note(r, "ACK: acknowledges the server's SYN");
	sc_send(r, COL_C, &(struct sc_seg){.sport = port, .dport = 80, .flags = F_A, .seq = x + 1, .ack = y1});
	sc_run_to(r, SYNACK_MS(100));
	int a = synack_accept(ss, l, NULL, NULL);
	scenario_fact(r, "accepted", a >= 0);
	if (!sc_expect(r, a >= 0, "no connection"))
		return;

	sc_note(r, "PSH: \"deliver this now\", on a 7-byte request");
	sc_send(r, COL_C,
	        &(struct sc_seg){.sport = port, .dport = 80, .flags = F_PA, .seq = x + 1, .ack = y1, .data = "GET /\r\n",
	                         .len = 7});
	sc_run_to(r, SYNACK_MS(150));
	char buf[32];
	ssize_t n = synack_recv(ss, a, buf, sizeof buf, sc_now(r));
	sc_note(r, "server: recv() -> %zd bytes", n);
	scenario_fact(r, "psh_read", n);

	sc_run_to(r, SYNACK_MS(200));
	sc_note(r, "URG: 1 byte (\"!\") marked urgent, urgent pointer 1");
	sc_send(r, COL_C,
	        &(struct sc_seg){.sport = port, .dport = 80, .flags = SYNACK_TCP_URG | F_PA, .seq = x + 8, .ack = y1,
	                         .data = "!", .len = 1, .urg_ptr = 1});
	sc_run_to(r, SYNACK_MS(250));
	ssize_t u = synack_recv(ss, a, buf, sizeof buf, sc_now(r));
	sc_note(r, "server: recv() -> %zd byte \"%.*s\", in line with the stream", u, (int)(u > 0 ? u : 0), buf);
	scenario_fact(r, "urg_read", u);
	scenario_fact(r, "urg_in_line", u == 1 && buf[0] == '!');

	sc_run_to(r, SYNACK_MS(300));
	sc_note(r, "FIN: the client has no more to send");
	sc_send(r, COL_C, &(struct sc_seg){.sport = port, .dport = 80, .flags = F_FA, .seq = x + 9, .ack = y1});
	sc_run_to(r, SYNACK_MS(350));
	ssize_t e = synack_recv(ss, a, buf, sizeof buf, sc_now(r));
	sc_note(r, "server: recv() -> %zd: end of stream", e);
	scenario_fact(r, "fin_read", e);
	scenario_fact(r, "rdhup_after_fin", synack_sock_events(ss, a) & SYNACK_POLLRDHUP ? 1 : 0);

	sc_run_to(r, SYNACK_MS(400));
	sc_note(r, "RST: the client aborts the connection (seq exactly RCV.NXT)");
	sc_send(r, COL_C, &(struct sc_seg){.sport = port, .dport = 80, .flags = F_R, .seq = x + 10});
	sc_run_to(r, SYNACK_MS(450));
	ssize_t w = synack_send(ss, a, "bye", 3, sc_now(r));
	sc_note(r, "server: send(\"bye\") -> %s", w == -ECONNRESET ? "ECONNRESET" : w == -EPIPE ? "EPIPE" : "accepted");
	scenario_fact(r, "send_after_rst", w);
	sc_run_to(r, SYNACK_SEC(2));
	const struct scenario_rx *last = sc_last_rx(r, COL_C, F_A);
	scenario_fact(r, "last_ack", last ? (int64_t)(last->ack - x) : -1);
	size_t after_rst = 0;
	for (size_t i = 0; i < r->n_rx[COL_C]; i++)
		after_rst += r->rx[COL_C][i].t > SYNACK_MS(400);
	scenario_fact(r, "answers_to_rst", (int64_t)after_rst);
	char ss_states[512];
	scenario_states(r, COL_S, ss_states, sizeof ss_states);
	bool states_ok = !strcmp(ss_states, "CLOSED>LISTEN LISTEN>SYN_RCVD SYN_RCVD>ESTABLISHED "
	                                    "ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>CLOSED");
	sc_expect(r, states_ok, "server states: %s", ss_states);
	sc_expect(r, n == 7 && u == 1 && buf[0] == '!' && e == 0 && w == -ECONNRESET && after_rst == 0,
	          "the flags were not handled as expected");
	sc_answer(r,
	          "SYN opened the connection (the server went LISTEN -> SYN_RCVD and answered SYN+ACK); ACK, set on "
	          "every segment after the first, acknowledged the server's SYN and made it ESTABLISHED. PSH asked "
	          "for the 7 bytes to be delivered without waiting and recv() returned them (this stack, like "
	          "Linux, makes all arrived data readable at once, PSH or not). URG marked 1 byte urgent: the core "
	          "keeps urgent data in line, so recv() returned \"!\" as ordinary stream data and nothing in the "
	          "API reports the urgent pointer (RFC 6093 advises new applications not to use it). FIN ended the "
	          "client's direction: the server ACKed it (ack=%" PRId64 "), went to CLOSE_WAIT and recv() "
	          "returned 0. RST aborted the connection: CLOSE_WAIT -> CLOSED at once, nothing sent in reply, and "
	          "the server's next send() failed with ECONNRESET.",
	          scenario_fact_or(r, "last_ack", -1));
}
