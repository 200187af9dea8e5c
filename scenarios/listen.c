/* The listener's queues and SYN floods: Q03 and Q07. */
#include <stdio.h>

#include "play.h"

#define ATTACKER_ADDR 0xc6120001u /* 198.18.0.1: a third host, not drawn */
#define SPOOF_NET 0x64400000u     /* 100.64.0.0/10: sources with no route back */

static struct synack_sockinfo listener_info(const struct scenario_run *r, int l)
{
	struct synack_sockinfo i;
	memset(&i, 0, sizeof(i));
	synack_sockinfo(r->stack[COL_S], l, &i);
	return i;
}

/* A note with the listener's two queues, as `ss -lnt` would show them. */
static void note_queues(struct scenario_run *r, int l, const char *why)
{
	struct synack_sockinfo i = listener_info(r, l);
	sc_note(r, "server: SYN queue %u, accept queue %u of %u (backlog + 1)%s%s", i.synq_len, i.recv_q,
	        i.send_q + 1, why ? ": " : "", why ? why : "");
}

static void q03_config(struct synack_config *cfg, int col)
{
	(void)cfg, (void)col;
}

/* Q03 (L01 L02): backlog 1 (the accept queue holds 2), four clients, an
 * application that accepts nothing until 2.5 s. */
void play_q03_queues(struct scenario_run *r)
{
	if (!sc_setup(r, -1, q03_config, NULL, NULL))
		return;
	r->ports = true;
	int l = synack_socket(r->stack[COL_S]);
	synack_bind(r->stack[COL_S], l, 0, 80);
	synack_listen(r->stack[COL_S], l, 1);
	sc_note(r, "server: listen(port 80, backlog 1) and no accept() yet");
	int c[4];
	for (int i = 0; i < 4; i++)
		c[i] = sc_connect(r, COL_C, 0, 80);
	sc_run_to(r, SYNACK_MS(15));
	note_queues(r, l, "four SYNs, four requests");
	struct synack_sockinfo a = listener_info(r, l);
	scenario_fact(r, "synq_after_syns", a.synq_len);
	sc_run_to(r, SYNACK_MS(35));
	note_queues(r, l, "two ACKs completed connections, two were dropped");
	struct synack_sockinfo b = listener_info(r, l);
	scenario_fact(r, "acceptq_full", b.recv_q);
	scenario_fact(r, "synq_full", b.synq_len);
	int established = 0;
	for (int i = 0; i < 4; i++) {
		struct synack_sockinfo ci;
		if (synack_sockinfo(r->stack[COL_C], c[i], &ci) == 0 && ci.state == SYNACK_ESTABLISHED)
			established++;
	}
	scenario_fact(r, "clients_established_early", established);
	uint64_t overflows_before = synack_get_counters(r->stack[COL_S])->TcpExtListenOverflows;
	scenario_fact(r, "overflows_at_35ms", (int64_t)overflows_before);
	sc_run_to(r, SYNACK_MS(2500));
	int accepted = 0;
	while (synack_accept(r->stack[COL_S], l, NULL, NULL) >= 0)
		accepted++;
	scenario_fact(r, "accepted_at_2500ms", accepted);
	note_queues(r, l, "accept() took two");
	sc_run_to(r, SYNACK_MS(3100));
	note_queues(r, l, "the retransmitted SYN+ACKs brought the ACKs back");
	while (synack_accept(r->stack[COL_S], l, NULL, NULL) >= 0)
		accepted++;
	scenario_fact(r, "accepted_total", accepted);
	scenario_fact(r, "overflows", (int64_t)synack_get_counters(r->stack[COL_S])->TcpExtListenOverflows);
	sc_run_to(r, SYNACK_SEC(4));
	if (!sc_expect(r, accepted == 4 && b.recv_q == 2 && b.synq_len == 2, "accepted %d, queues %u/%u", accepted,
	               b.recv_q, b.synq_len))
		return;
	sc_answer(r,
	          "A SYN puts a small request entry on the SYN queue (%" PRId64 " after the four SYNs); the ACK that "
	          "completes a handshake moves it to the accept queue as a full connection, which holds backlog + 1 "
	          "(here 2). The other two ACKs found it full and were dropped (ListenOverflows %" PRIu64 "), though "
	          "their clients already count themselves ESTABLISHED; the requests stayed, and once accept() made "
	          "room at 2.5 s the SYN+ACK retransmitted at 3.01 s brought their ACKs back and all four connected. "
	          "With abort_on_overflow the dropped ACKs would have been answered with RST instead.",
	          (int64_t)a.synq_len, overflows_before);
}

static uint8_t q07_cookies;

static void q07_config(struct synack_config *cfg, int col)
{
	if (col == COL_S) {
		cfg->max_syn_backlog = 64;
		cfg->syncookies = q07_cookies;
	}
}

/* 1000 spoofed SYNs from a third host (not drawn), then one real client. */
static void q07_play(struct scenario_run *r, uint8_t cookies)
{
	q07_cookies = cookies;
	if (!sc_setup(r, -1, q07_config, NULL, NULL))
		return;
	int attacker = synack_sim_add_raw(r->sim, ATTACKER_ADDR, NULL, NULL);
	struct synack_link_model fast = {.delay_us = 1000};
	if (!sc_expect(r, attacker >= 0 && synack_sim_link(r->sim, attacker, r->node[COL_S], &fast, &fast) == 0,
	               "no attacker node"))
		return;
	int l = sc_listen(r, COL_S, 80);
	sc_note(r, "attacker (not drawn): 1000 SYNs from random spoofed sources that never answer");
	/* The flood's 64 requests would fill the server's column with SYN_RCVD
	 * lines: the ladder looks away while it lands. */
	struct synack_sim_hooks none = {0}, ladder;
	synack_ladder_sim_hooks(r->lad, &ladder);
	synack_sim_set_hooks(r->sim, &none);
	uint64_t x = r->params.seed * 0x9e3779b97f4a7c15ull + 1;
	for (int i = 0; i < 1000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		struct synack_tcp_seg s;
		memset(&s, 0, sizeof(s));
		s.sport = (uint16_t)(1024u + (uint32_t)(x >> 48) % 60000u);
		s.dport = 80;
		s.seq = (uint32_t)(x >> 16);
		s.flags = SYNACK_TCP_SYN;
		s.window = 65535;
		struct synack_ipv4 ip = {.src = SPOOF_NET | ((uint32_t)(x >> 24) & 0x3fffffu), .dst = synack_sim_addr(r->sim, r->node[COL_S]),
		                         .ttl = 64};
		uint8_t pkt[64];
		size_t n = synack_tcp_build(pkt, sizeof(pkt), &ip, &s);
		if (n > 0)
			synack_sim_inject(r->sim, attacker, pkt, n);
	}
	sc_run_to(r, SYNACK_MS(100));
	synack_sim_set_hooks(r->sim, &ladder);
	struct synack_sockinfo li = listener_info(r, l);
	sc_note(r, "server: SYN queue %u of max_syn_backlog 64; syncookies=%u", li.synq_len, cookies);
	scenario_fact(r, "synq_after_flood", li.synq_len);
	int c = sc_connect(r, COL_C, 0, 80);
	sc_run_to(r, SYNACK_SEC(10));
	struct synack_sockinfo ci;
	memset(&ci, 0, sizeof(ci));
	synack_sockinfo(r->stack[COL_C], c, &ci);
	const struct synack_counters *k = synack_get_counters(r->stack[COL_S]);
	int a = synack_accept(r->stack[COL_S], l, NULL, NULL);
	sc_note(r, "server: accept() -> %s", a >= 0 ? "the client's connection" : "EAGAIN");
	scenario_fact(r, "client_established", ci.state == SYNACK_ESTABLISHED);
	scenario_fact(r, "accepted", a >= 0);
	scenario_fact(r, "synq_max", listener_info(r, l).synq_len);
	scenario_fact(r, "reqq_full_drops", (int64_t)k->TcpExtTCPReqQFullDrop);
	scenario_fact(r, "cookies_sent", (int64_t)k->TcpExtSyncookiesSent);
	scenario_fact(r, "cookies_recv", (int64_t)k->TcpExtSyncookiesRecv);
	scenario_fact(r, "server_entries", sc_count_conns(r, COL_S));
	if (cookies == 0) {
		if (!sc_expect(r, ci.state == SYNACK_SYN_SENT && a < 0, "the client got in"))
			return;
		sc_answer(r,
		          "1000 spoofed SYNs filled the SYN queue (64 request entries) within a millisecond; each entry "
		          "waits 63 s for an ACK that never comes. The real client's SYN and its retransmissions at 1, 3 "
		          "and 7 s were dropped (TCPReqQFullDrop %" PRIu64 "), so after 10 s it is still in SYN_SENT: "
		          "without SYN cookies a flood of a few hundred SYNs a minute shuts a listener.",
		          (uint64_t)k->TcpExtTCPReqQFullDrop);
	} else {
		if (!sc_expect(r, ci.state == SYNACK_ESTABLISHED && a >= 0, "the client did not get in"))
			return;
		sc_answer(r,
		          "The same flood filled the SYN queue, and from then on the server answered SYNs with SYN "
		          "cookies (%" PRIu64 " sent): the ISN of the SYN+ACK encodes a keyed hash of the 4-tuple, a "
		          "minute counter and the MSS, so the server keeps nothing. The real client's ACK carried its "
		          "cookie back, the server rebuilt the connection from it (SyncookiesRecv %" PRIu64 ") and "
		          "accept() returned it. Memory stayed at the 64 request entries the queue allows.",
		          (uint64_t)k->TcpExtSyncookiesSent, (uint64_t)k->TcpExtSyncookiesRecv);
	}
}

void play_q07_syn_flood(struct scenario_run *r)
{
	q07_play(r, 0);
}

void play_q07_syn_cookies(struct scenario_run *r)
{
	q07_play(r, 1);
}
