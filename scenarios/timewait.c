/* Scenarios about TIME_WAIT: why it lasts 2*MSL (Q10: an old duplicate
 * meets the entry, not a new incarnation; a new SYN for the 4-tuple),
 * what too many of them do to a client and the five ways out (Q11), and
 * what SO_REUSEADDR changes for a restarted server (Q13).  The lost last
 * ACK, the other half of Q10, is in close.c. */
#include "play.h"

/* The client's only ephemeral port is 40000, so a new connection to the
 * server's port 80 needs the very 4-tuple of the last one. */
static void one_port(struct synack_config *cfg, int col)
{
	if (col == COL_C)
		cfg->ip_local_port_range[0] = cfg->ip_local_port_range[1] = 40000;
}

static const char *errname(int rc)
{
	switch (rc) {
	case 0: return "0";
	case -EINPROGRESS: return "EINPROGRESS";
	case -EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case -EADDRINUSE: return "EADDRINUSE";
	case -ECONNRESET: return "ECONNRESET";
	case -EAGAIN: return "EAGAIN";
	default: return "another error";
	}
}

/* A connect() to the server's port 80 whose outcome is the point: no
 * expectation, just the result.  The call is noted before it is made (its
 * SYN follows the note); a failure is noted after, with why_failed. */
static int try_connect(struct scenario_run *r, int *sock, const char *what, const char *why_failed)
{
	struct synack_stack *cs = r->stack[COL_C];
	sc_note(r, "client: connect(192.0.2.2:80)%s", what);
	*sock = synack_socket(cs);
	int rc = *sock < 0 ? *sock : synack_connect(cs, *sock, SCN_SERVER_ADDR, 80, sc_now(r));
	if (rc != -EINPROGRESS)
		sc_note(r, "client: connect() -> %s%s", errname(rc), why_failed);
	return rc;
}

/* An HTTP/1.0-style exchange on an open connection, from 0.1 s: the
 * client asks, the server answers and closes first (so the server will
 * hold TIME_WAIT), the client reads to the end and closes at 0.3 s. */
static void server_closes_first(struct scenario_run *r, const struct sc_conn *k)
{
	struct synack_stack *cs = r->stack[COL_C], *ss = r->stack[COL_S];
	sc_note(r, "client: send(\"GET /\")");
	synack_send(cs, k->c, "GET /", 5, sc_now(r));
	sc_run_to(r, SYNACK_MS(200));
	char buf[16];
	ssize_t n = synack_recv(ss, k->a, buf, sizeof buf, sc_now(r));
	sc_note(r, "server: recv() -> %zd bytes, send(\"page\"), close(): the server closes first", n);
	synack_send(ss, k->a, "page", 4, sc_now(r));
	synack_close(ss, k->a, sc_now(r));
	sc_run_to(r, SYNACK_MS(300));
	ssize_t m = synack_recv(cs, k->c, buf, sizeof buf, sc_now(r));
	ssize_t e = synack_recv(cs, k->c, buf, sizeof buf, sc_now(r));
	sc_note(r, "client: recv() -> %zd bytes, recv() -> %zd (end of stream), close()", m, e);
	synack_close(cs, k->c, sc_now(r));
	sc_expect(r, n == 5 && m == 4 && e == 0, "the exchange went wrong: %zd, %zd, %zd", n, m, e);
}

/* ------------------------------------------------------------------ */

void play_q10_old_duplicate(struct scenario_run *r)
{
	if (!sc_setup(r, -1, one_port, NULL, NULL))
		return;
	r->ports = true;
	struct synack_stack *cs = r->stack[COL_C], *ss = r->stack[COL_S];
	struct sc_conn k;
	k.l = sc_listen(r, COL_S, 80);
	if (!sc_open(r, &k, " (its only ephemeral port is 40000)"))
		return;
	sc_note(r, "server: send(\"reply\"); the network duplicates the segment and holds the copy back");
	sc_hold_copy(r, COL_S, F_PA);
	synack_send(ss, k.a, "reply", 5, sc_now(r));
	sc_run_to(r, SYNACK_MS(200));
	char buf[16];
	ssize_t n = synack_recv(cs, k.c, buf, sizeof buf, sc_now(r));
	sc_note(r, "client: recv() -> %zd bytes, close()", n);
	synack_close(cs, k.c, sc_now(r));
	sc_run_to(r, SYNACK_MS(300));
	ssize_t e = synack_recv(ss, k.a, buf, sizeof buf, sc_now(r));
	sc_note(r, "server: recv() -> %zd (end of stream), close()", e);
	synack_close(ss, k.a, sc_now(r));

	sc_run_to(r, SYNACK_SEC(1));
	int s2;
	int early = try_connect(r, &s2, " again", ": port 40000's 4-tuple to :80 is in TIME_WAIT");
	synack_close(cs, s2, sc_now(r));

	sc_run_to(r, SYNACK_SEC(5));
	sc_note(r, "network: delivers the copy of the server's \"reply\" of 0.100 s, late: an old duplicate");
	synack_time_t dup_at = sc_now(r);
	if (!sc_deliver_held(r))
		return;
	sc_run_to(r, SYNACK_SEC(6));
	int tw_after_dup = sc_count_state(r, COL_C, SYNACK_TIME_WAIT);

	sc_run_to(r, SYNACK_SEC(66));
	struct sc_conn k2 = {.l = k.l};
	int late = try_connect(r, &k2.c, " again: TIME_WAIT is over", "");
	sc_run_to(r, SYNACK_MS(66100));
	k2.a = synack_accept(ss, k.l, NULL, NULL);
	sc_note(r, "server: accept() -> %s", k2.a >= 0 ? "a new connection" : "nothing");
	sc_run_to(r, SYNACK_MS(66200));

	synack_time_t tw_in = scenario_state_time(r, COL_C, SYNACK_TIME_WAIT, 0);
	synack_time_t tw_out = sc_state_change_time(r, COL_C, SYNACK_TIME_WAIT, SYNACK_CLOSED);
	const struct synack_ladder_seg *tw_ack = scenario_seg_from(r, COL_C, F_A, dup_at);
	const struct synack_ladder_seg *rst = scenario_seg_from(r, COL_S, F_R, dup_at);
	scenario_fact(r, "reply_read", n);
	scenario_fact(r, "connect_in_time_wait", early);
	scenario_fact(r, "client_tw_us", tw_in == SYNACK_TIME_NEVER ? -1 : (int64_t)tw_in);
	scenario_fact(r, "duplicate_us", (int64_t)dup_at);
	scenario_fact(r, "duplicate_acked_us", tw_ack ? (int64_t)tw_ack->time : -1);
	scenario_fact(r, "server_rst_us", rst ? (int64_t)rst->time : -1);
	scenario_fact(r, "time_wait_after_duplicate", tw_after_dup);
	scenario_fact(r, "client_tw_end_us", tw_out == SYNACK_TIME_NEVER ? -1 : (int64_t)tw_out);
	scenario_fact(r, "connect_after_time_wait", late);
	scenario_fact(r, "new_connection_accepted", k2.a >= 0);
	if (!sc_expect(r, early == -EADDRNOTAVAIL && tw_ack && rst && tw_after_dup == 1 && tw_out != SYNACK_TIME_NEVER &&
	                      late == -EINPROGRESS && k2.a >= 0,
	               "TIME_WAIT did not hold the 4-tuple as expected"))
		return;
	sc_answer(r,
	          "The network duplicated the server's \"reply\" and delivered the copy at %s s, long after both "
	          "sides had closed. The client, which closed first, still held the 4-tuple in TIME_WAIT, so the "
	          "copy met an entry that knew it for old (its seq behind RCV.NXT, its timestamp older): it was "
	          "answered with an ACK and dropped, the 2*MSL timer restarting; the server, CLOSED, reset that ACK, "
	          "and TIME_WAIT ignored the RST (RFC 1337). Meanwhile nobody could reuse the 4-tuple: connect() at "
	          "1 s failed with EADDRNOTAVAIL, and only at %s s, when TIME_WAIT ended, was a new incarnation "
	          "possible. No segment outlives MSL (30 s), so a 4-tuple that waits 2*MSL after its last segment "
	          "hands the next incarnation a network with no old segments left in either direction.",
	          SECS(dup_at), SECS(tw_out));
}

/* ------------------------------------------------------------------ */

void play_q10_syn_in_time_wait(struct scenario_run *r)
{
	if (!sc_setup(r, -1, one_port, NULL, NULL))
		return;
	r->ports = true;
	r->absolute = true; /* the answer compares SYNs' seq with RCV.NXT */
	struct synack_stack *ss = r->stack[COL_S];
	struct sc_conn k;
	k.l = sc_listen(r, COL_S, 80);
	sc_hold_copy(r, COL_C, F_SYN);
	if (!sc_open(r, &k, " from its only port, 40000; the network duplicates the SYN and holds the copy back"))
		return;
	server_closes_first(r, &k);

	sc_run_to(r, SYNACK_SEC(1));
	sc_note(r, "network: delivers the copy of the client's SYN of 0.000 s, late: an old duplicate SYN");
	synack_time_t dup_at = sc_now(r);
	if (!sc_deliver_held(r))
		return;
	sc_run_to(r, SYNACK_MS(1100));
	int tw_after_old = sc_count_state(r, COL_S, SYNACK_TIME_WAIT);
	int conns_after_old = sc_count_conns(r, COL_S) - tw_after_old - 1; /* less the listener */

	sc_run_to(r, SYNACK_SEC(2));
	struct sc_conn k2 = {.l = k.l};
	int rc = try_connect(r, &k2.c, " again from port 40000: the server still holds that 4-tuple in TIME_WAIT", "");
	sc_run_to(r, SYNACK_MS(2100));
	k2.a = synack_accept(ss, k.l, NULL, NULL);
	sc_note(r, "server: accept() -> %s", k2.a >= 0 ? "the new connection" : "nothing");
	sc_run_to(r, SYNACK_MS(2200));

	const struct synack_ladder_seg *syn1 = scenario_nth_seg(r, COL_C, F_SYN, 0);
	const struct synack_ladder_seg *syn2 = scenario_seg_from(r, COL_C, F_SYN, SYNACK_MS(1500));
	const struct synack_ladder_seg *tw_ack = scenario_seg_from(r, COL_S, F_A, dup_at);
	const struct synack_ladder_seg *rst = scenario_seg_from(r, COL_C, F_R, dup_at);
	synack_time_t tw_in = scenario_state_time(r, COL_S, SYNACK_TIME_WAIT, 0);
	scenario_fact(r, "server_tw_us", tw_in == SYNACK_TIME_NEVER ? -1 : (int64_t)tw_in);
	scenario_fact(r, "old_syn_us", (int64_t)dup_at);
	scenario_fact(r, "old_syn_acked_us", tw_ack ? (int64_t)tw_ack->time : -1);
	scenario_fact(r, "client_rst_us", rst ? (int64_t)rst->time : -1);
	scenario_fact(r, "time_wait_after_old_syn", tw_after_old);
	scenario_fact(r, "connections_after_old_syn", conns_after_old);
	scenario_fact(r, "connect_rc", rc);
	scenario_fact(r, "new_connection_accepted", k2.a >= 0);
	scenario_fact(r, "time_wait_after_new_syn", sc_count_state(r, COL_S, SYNACK_TIME_WAIT));
	/* How far the new SYN lies beyond the old incarnation's RCV.NXT
	 * (its ISN + SYN + 5 bytes + FIN). */
	int64_t ahead = syn1 && syn2 ? (int64_t)(int32_t)(syn2->seq - (syn1->seq + 7u)) : 0;
	scenario_fact(r, "new_syn_beyond_rcv_nxt", ahead);
	if (!sc_expect(r, tw_in != SYNACK_TIME_NEVER && tw_ack && rst && tw_after_old == 1 && conns_after_old == 0 &&
	                      rc == -EINPROGRESS && k2.a >= 0 && ahead > 0,
	               "the SYNs in TIME_WAIT did not go as expected"))
		return;
	sc_answer(r,
	          "The server closed first, so the server held the 4-tuple in TIME_WAIT. At %s s a copy of the "
	          "client's first SYN, held back by the network, arrived: its seq lay behind RCV.NXT and its "
	          "timestamp was older, so TIME_WAIT took it for the old duplicate it was and answered with an ACK; "
	          "the client, which knew no such connection, sent a RST, which TIME_WAIT ignored (RFC 1337), and no "
	          "connection was made. At 2 s the client really reconnected from the same port: its SYN lay "
	          "%" PRId64 " beyond RCV.NXT (the ISN clock had moved on) and carried a newer timestamp, so TIME_WAIT "
	          "gave way at once (RFC 6191) and a new incarnation opened without waiting out 2*MSL.",
	          SECS(dup_at), ahead);
}

/* ------------------------------------------------------------------ */
/* Q11: a client making short connections to one server port, with three
 * ephemeral ports, and the ways out of TIME_WAIT piling up. */

enum q11_way { Q11_PLAIN, Q11_TW_REUSE, Q11_LINGER_ZERO, Q11_MAX_TW_BUCKETS, Q11_KEEP_ALIVE };
#define Q11_REQUESTS 4

/* What a Q11 run came to. */
struct q11_tally {
	int served;  /* requests the server read */
	int failed;  /* connect() calls that failed */
	int resets;  /* connections the server saw reset */
	int tw;      /* the client's TIME_WAIT entries at 3.5 s */
	int retry;   /* Q11_PLAIN: 0 if the connect() at 61 s was served */
};

static void three_ports(struct synack_config *cfg, int col)
{
	if (col == COL_C) {
		cfg->ip_local_port_range[0] = 40000;
		cfg->ip_local_port_range[1] = 40002;
	}
}

static void three_ports_tw_reuse(struct synack_config *cfg, int col)
{
	three_ports(cfg, col);
	if (col == COL_C)
		cfg->tw_reuse = 1;
}

static void three_ports_one_bucket(struct synack_config *cfg, int col)
{
	three_ports(cfg, col);
	if (col == COL_C)
		cfg->max_tw_buckets = 1;
}

/* The server reads what came and closes what ended: returns the requests
 * read (each "GET /N" is 6 bytes) and counts resets. */
static int q11_serve(struct scenario_run *r, int a, struct q11_tally *t)
{
	struct synack_stack *ss = r->stack[COL_S];
	char buf[64];
	ssize_t n = synack_recv(ss, a, buf, sizeof buf, sc_now(r));
	ssize_t e = n > 0 ? synack_recv(ss, a, buf, sizeof buf, sc_now(r)) : n;
	int got = n > 0 ? (int)(n / 6) : 0;
	if (e == -ECONNRESET) {
		t->resets++;
		if (n > 0)
			sc_note(r, "server: recv() -> %zd bytes, recv() -> ECONNRESET, close()", n);
		else
			sc_note(r, "server: recv() -> ECONNRESET: the request is lost with the connection, close()");
		synack_close(ss, a, sc_now(r));
	} else if (e == 0) {
		sc_note(r, "server: recv() -> %zd bytes, recv() -> 0, close()", n);
		synack_close(ss, a, sc_now(r));
	} else {
		sc_note(r, "server: recv() -> %zd bytes", n);
	}
	return got;
}

/* One short connection per request, at 0, 1, 2 and 3 s. */
static void q11_short_connections(struct scenario_run *r, enum q11_way way, int l, struct q11_tally *t)
{
	struct synack_stack *cs = r->stack[COL_C], *ss = r->stack[COL_S];
	for (int i = 0; i < Q11_REQUESTS; i++) {
		synack_time_t t0 = SYNACK_SEC(i);
		sc_run_to(r, t0);
		int c;
		uint64_t recycled = synack_get_counters(cs)->TcpExtTWRecycled;
		int rc = try_connect(r, &c, "", ": every port's 4-tuple to :80 is in TIME_WAIT");
		if (rc != -EINPROGRESS) {
			t->failed++;
			synack_close(cs, c, sc_now(r));
			continue;
		}
		struct synack_sockinfo ci;
		if (synack_get_counters(cs)->TcpExtTWRecycled > recycled && synack_sockinfo(cs, c, &ci) == 0)
			sc_note(r, "client: tcp_tw_reuse takes over port %u's TIME_WAIT entry, older than 1 s",
			        (unsigned)ci.lport);
		if (way == Q11_LINGER_ZERO)
			synack_setsockopt(cs, c, SYNACK_SO_LINGER, 0);
		sc_run_to(r, t0 + SYNACK_MS(50));
		int a = synack_accept(ss, l, NULL, NULL);
		sc_note(r, "server: accept() -> %s", a >= 0 ? "the connection" : "nothing");
		sc_run_to(r, t0 + SYNACK_MS(100));
		char req[8];
		snprintf(req, sizeof req, "GET /%d", i + 1);
		sc_note(r, "client: send(\"%s\"), close()%s", req,
		        way == Q11_LINGER_ZERO ? " with SO_LINGER {on, 0 s}: abortive" : "");
		synack_send(cs, c, req, 6, sc_now(r));
		synack_close(cs, c, sc_now(r));
		sc_run_to(r, t0 + SYNACK_MS(200));
		if (a >= 0)
			t->served += q11_serve(r, a, t);
	}
}

/* One connection for all four requests; the client closes after the last. */
static void q11_one_connection(struct scenario_run *r, int l, struct q11_tally *t)
{
	struct synack_stack *cs = r->stack[COL_C], *ss = r->stack[COL_S];
	int c, a = -1;
	if (try_connect(r, &c, "", "") != -EINPROGRESS) {
		t->failed++;
		return;
	}
	for (int i = 0; i < Q11_REQUESTS; i++) {
		synack_time_t t0 = SYNACK_SEC(i);
		sc_run_to(r, t0 + SYNACK_MS(100));
		char req[8];
		snprintf(req, sizeof req, "GET /%d", i + 1);
		bool last = i == Q11_REQUESTS - 1;
		sc_note(r, "client: send(\"%s\")%s", req, last ? ", close()" : " on the same connection");
		synack_send(cs, c, req, 6, sc_now(r));
		if (last)
			synack_close(cs, c, sc_now(r));
		sc_run_to(r, t0 + SYNACK_MS(200));
		if (a < 0)
			a = synack_accept(ss, l, NULL, NULL);
		if (a >= 0)
			t->served += q11_serve(r, a, t);
	}
}

/* What the run shows, for each way: checked, then said. */
static void q11_answer(struct scenario_run *r, enum q11_way way, const struct q11_tally *t,
                       const struct synack_counters *cc)
{
	switch (way) {
	case Q11_PLAIN:
		sc_expect(r, t->served == 3 && t->failed == 1 && t->tw == 3 && t->retry == 0,
		          "served %d, failed %d, TIME_WAIT %d", t->served, t->failed, t->tw);
		sc_answer(r,
		          "Each short connection was closed by the client, so each left the client a TIME_WAIT "
		          "entry holding its 4-tuple for 2*MSL (60 s). With 3 ephemeral ports and one server port, "
		          "the 4th connect() at 3 s found every 4-tuple taken and failed with EADDRNOTAVAIL: %d of "
		          "%d requests served. Only at 61 s, when the oldest entry expired, could the client connect "
		          "again. A real client has 28,232 ports (32768-60999), so the limit is about 470 new "
		          "connections a second to one server port, sustained.",
		          t->served, Q11_REQUESTS);
		break;
	case Q11_TW_REUSE:
		sc_expect(r, t->served == Q11_REQUESTS && t->failed == 0 && cc->TcpExtTWRecycled >= 1,
		          "served %d, failed %d, recycled %" PRIu64, t->served, t->failed, cc->TcpExtTWRecycled);
		sc_answer(r,
		          "With tcp_tw_reuse on, a connect() whose 4-tuple is held by a TIME_WAIT entry more than 1 s "
		          "old takes the entry over; %" PRIu64 " did here (TWRecycled), so all %d requests were served "
		          "with 3 ports. It is safe because timestamps are on: the new connection's TSval is newer than "
		          "anything the old one sent, so the server's PAWS drops any old duplicate, and its ISN starts "
		          "beyond the old sequence space. Without timestamps, tw_reuse never applies.",
		          cc->TcpExtTWRecycled, t->served);
		break;
	case Q11_LINGER_ZERO:
		sc_expect(r, t->failed == 0 && t->tw == 0 && t->resets == Q11_REQUESTS && t->served == Q11_REQUESTS,
		          "failed %d, TIME_WAIT %d, resets %d, served %d", t->failed, t->tw, t->resets, t->served);
		sc_answer(r,
		          "With SO_LINGER {on, 0 s}, close() sent a RST instead of a FIN and dropped the connection "
		          "at once: no TIME_WAIT, so every connect() found a free port (%d failures). The price: a "
		          "reset is an abort, not a close. The server read each request and then ECONNRESET instead "
		          "of end of stream (%d resets); data still unsent, or a reply on its way back, would have been "
		          "lost, and the 4-tuple is reused at once with nothing to tell an old duplicate from new data. "
		          "It suits only a client that knows the exchange is complete.",
		          t->failed, t->resets);
		break;
	case Q11_MAX_TW_BUCKETS:
		sc_expect(r, t->served == Q11_REQUESTS && t->failed == 0 && t->tw == 1 &&
		                 cc->TcpExtTCPTimeWaitOverflow == Q11_REQUESTS - 1,
		          "served %d, failed %d, TIME_WAIT %d, overflow %" PRIu64, t->served, t->failed, t->tw,
		          cc->TcpExtTCPTimeWaitOverflow);
		sc_answer(r,
		          "With tcp_max_tw_buckets at 1, only the first closing connection got a TIME_WAIT entry; the "
		          "next %" PRIu64 " went straight from FIN_WAIT_2 to CLOSED after their last ACK "
		          "(TCPTimeWaitOverflow), leaving their ports free, so all %d requests were served. The bound "
		          "caps memory, not safety: a 4-tuple without TIME_WAIT has no guard against its lost last "
		          "ACK or an old duplicate, which is why Linux logs the overflow.",
		          cc->TcpExtTCPTimeWaitOverflow, t->served);
		break;
	case Q11_KEEP_ALIVE:
		sc_expect(r, t->served == Q11_REQUESTS && t->failed == 0 && t->tw == 1 && cc->TcpActiveOpens == 1,
		          "served %d, failed %d, TIME_WAIT %d", t->served, t->failed, t->tw);
		sc_answer(r,
		          "The same %d requests over one longer-lived connection (as HTTP keep-alive does) cost one "
		          "handshake, one port and, at the end, one TIME_WAIT entry, instead of one of each per "
		          "request. TIME_WAIT is per connection, not per request: the lasting cure for running out "
		          "of ports is fewer, longer connections.",
		          t->served);
		break;
	}
}

static void q11_play(struct scenario_run *r, enum q11_way way)
{
	static const sc_config_fn tweaks[] = {
	    [Q11_PLAIN] = three_ports, [Q11_TW_REUSE] = three_ports_tw_reuse, [Q11_LINGER_ZERO] = three_ports,
	    [Q11_MAX_TW_BUCKETS] = three_ports_one_bucket, [Q11_KEEP_ALIVE] = three_ports,
	};
	if (!sc_setup(r, -1, tweaks[way], NULL, NULL))
		return;
	r->ports = true;
	int l = sc_listen(r, COL_S, 80);
	struct q11_tally t = {.retry = 1};
	if (way == Q11_KEEP_ALIVE)
		q11_one_connection(r, l, &t);
	else
		q11_short_connections(r, way, l, &t);
	sc_run_to(r, SYNACK_MS(3500));
	t.tw = sc_count_state(r, COL_C, SYNACK_TIME_WAIT);
	char table[1024];
	sc_ss(r, COL_C, table, sizeof table);
	sc_note(r, "client: %d TIME_WAIT entr%s; ss -tan:\n%s", t.tw, t.tw == 1 ? "y" : "ies", table);
	if (way == Q11_PLAIN) {
		/* The first entry expires 2*MSL after its last ACK (0.210 s). */
		sc_run_to(r, SYNACK_SEC(61));
		int c;
		int rc = try_connect(r, &c, ": the oldest TIME_WAIT entry has expired", "");
		sc_run_to(r, SYNACK_MS(61100));
		int a = synack_accept(r->stack[COL_S], l, NULL, NULL);
		sc_note(r, "server: accept() -> %s", a >= 0 ? "a connection" : "nothing");
		t.retry = rc == -EINPROGRESS && a >= 0 ? 0 : rc;
		sc_run_to(r, SYNACK_MS(61200));
	}
	scenario_fact(r, "requests_served", t.served);
	scenario_fact(r, "connect_failures", t.failed);
	scenario_fact(r, "server_resets", t.resets);
	scenario_fact(r, "client_time_wait", t.tw);
	if (way == Q11_PLAIN)
		scenario_fact(r, "connect_after_2msl", t.retry);
	const struct synack_counters *cc = synack_get_counters(r->stack[COL_C]);
	scenario_fact(r, "tw_recycled", (int64_t)cc->TcpExtTWRecycled);
	scenario_fact(r, "tw_overflow", (int64_t)cc->TcpExtTCPTimeWaitOverflow);
	scenario_fact(r, "active_opens", (int64_t)cc->TcpActiveOpens);
	q11_answer(r, way, &t, cc);
}

void play_q11_port_exhaustion(struct scenario_run *r) { q11_play(r, Q11_PLAIN); }
void play_q11_tw_reuse(struct scenario_run *r) { q11_play(r, Q11_TW_REUSE); }
void play_q11_linger_zero(struct scenario_run *r) { q11_play(r, Q11_LINGER_ZERO); }
void play_q11_max_tw_buckets(struct scenario_run *r) { q11_play(r, Q11_MAX_TW_BUCKETS); }
void play_q11_keep_alive(struct scenario_run *r) { q11_play(r, Q11_KEEP_ALIVE); }

/* ------------------------------------------------------------------ */

/* A server's listener on port 80 (`who` says which, in the note): returns
 * bind()'s result, and the socket in *sock, listening if bind() succeeded. */
static int listen_80(struct scenario_run *r, int *sock, bool reuse, const char *who)
{
	struct synack_stack *ss = r->stack[COL_S];
	*sock = synack_socket(ss);
	if (reuse)
		synack_setsockopt(ss, *sock, SYNACK_SO_REUSEADDR, 1);
	int rc = synack_bind(ss, *sock, 0, 80);
	sc_note(r, "%s: socket(),%s bind(:80) -> %s%s", who, reuse ? " SO_REUSEADDR," : "", errname(rc),
	        rc == 0 ? ", listen()" : "");
	if (rc != 0) {
		synack_close(ss, *sock, sc_now(r));
		return rc;
	}
	rc = synack_listen(ss, *sock, 16);
	sc_expect(r, rc == 0, "listen() failed: %d", rc);
	return rc;
}

void play_q13_reuseaddr(struct scenario_run *r)
{
	if (!sc_setup(r, -1, NULL, NULL, NULL))
		return;
	r->ports = true;
	struct synack_stack *ss = r->stack[COL_S];
	struct sc_conn k;
	if (!sc_expect(r, listen_80(r, &k.l, true, "server") == 0, "the first server could not listen"))
		return;
	if (!sc_open(r, &k, NULL))
		return;
	server_closes_first(r, &k);

	sc_run_to(r, SYNACK_SEC(1));
	int tw_at_stop = sc_count_state(r, COL_S, SYNACK_TIME_WAIT);
	sc_note(r, "server: the process stops: close(listener); %d connection%s of port 80 in TIME_WAIT", tw_at_stop,
	        tw_at_stop == 1 ? "" : "s");
	synack_close(ss, k.l, sc_now(r));

	sc_run_to(r, SYNACK_SEC(2));
	int l2;
	int without = listen_80(r, &l2, false, "restarted server");
	int with = listen_80(r, &l2, true, "restarted server");
	sc_run_to(r, SYNACK_SEC(3));
	struct sc_conn k2 = {.l = l2};
	bool served = with == 0 && sc_open(r, &k2, ": a new client of the restarted server");
	sc_note(r, "server: accept() -> %s", served ? "the new connection" : "nothing");
	sc_run_to(r, SYNACK_MS(3200));
	int tw_while_serving = sc_count_state(r, COL_S, SYNACK_TIME_WAIT);

	synack_time_t tw_in = scenario_state_time(r, COL_S, SYNACK_TIME_WAIT, 0);
	scenario_fact(r, "server_tw_us", tw_in == SYNACK_TIME_NEVER ? -1 : (int64_t)tw_in);
	scenario_fact(r, "time_wait_at_stop", tw_at_stop);
	scenario_fact(r, "bind_without_reuseaddr", without);
	scenario_fact(r, "bind_with_reuseaddr", with);
	scenario_fact(r, "restarted_server_served", served);
	scenario_fact(r, "time_wait_while_serving", tw_while_serving);
	if (!sc_expect(r, tw_at_stop == 1 && without == -EADDRINUSE && with == 0 && served && tw_while_serving == 1,
	               "the restart did not go as expected"))
		return;
	sc_answer(r,
	          "The server closed first, so its end of the connection sat in TIME_WAIT on port 80 when the "
	          "process stopped at 1 s. The restarted server's bind(:80) without SO_REUSEADDR failed with "
	          "EADDRINUSE: the entry holds the port, and would for 60 s. With SO_REUSEADDR, bind() and listen() "
	          "succeeded and a new client was served at 3 s while the old entry still waited out its 2*MSL: "
	          "the entry guards only its own 4-tuple, which no new connection from another client port can "
	          "touch. As on Linux, the old socket must have set SO_REUSEADDR too (its TIME_WAIT entries keep "
	          "the setting), and a port with a live listener is never shared.");
}
