/* libFuzzer harness: fuzzed segments into TCP connections in every state.
 *
 * Two real stacks on the simulated network (client 192.0.2.1, server
 * 192.0.2.2:80; 1 ms links; small pools; everything deterministic).  The
 * first input byte picks a target state (mod 10) and a variant (/ 10):
 *
 *   0 SYN_SENT     client connects; client->server dropped        target client
 *   1 SYN_RCVD     server child whose SYN+ACK is dropped          target server child
 *   2 ESTABLISHED  handshake done (variant bit 1: client side)    target server (or client)
 *   3 FIN_WAIT_1   client closed; server->client dropped          target client (orphan)
 *   4 FIN_WAIT_2   client shutdown(SHUT_WR), FIN acked            target client
 *   5 CLOSE_WAIT   server after the client's FIN                  target server
 *   6 LAST_ACK     server closed in CLOSE_WAIT; client->server
 *                  dropped afterwards                             target server (orphan)
 *   7 CLOSING      both close at the same instant; pure ACKs
 *                  dropped                                        target client (orphan)
 *   8 TIME_WAIT    client after a full close                      target client (orphan)
 *   9 LISTEN       the listener; server->client dropped so the
 *                  client stack never resets its half-opens       target listener
 *
 * Variant bit 0 "isolates" the target once the state is reached: both link
 * directions drop everything but the fuzzed segments, so the real peer no
 * longer answers the target (and vice versa).
 *
 * The state is reached by virtual-time steps and then verified with
 * synack_sock_foreach; an input whose setup did not land in the state is
 * skipped (a setup issue, not a stack bug).
 *
 * The rest of the input is a list of records (at most MAX_RECORDS), each one
 * TCP segment injected from the peer node towards the target's 4-tuple:
 *
 *   [flags 1][seq offset int16][ack offset int16][window 2][urg 2]
 *   [option count 1 (mod 41)][raw option bytes][payload len 1][payload]
 *   [step 1]
 *
 * seq = target's RCV.NXT + offset, ack = target's SND.NXT + offset (mod
 * 2^32), so most segments land near the windows.  Options are spliced raw
 * (padded with EOL to a multiple of 4), so malformed ones are fuzzed too;
 * both checksums are right.  For LISTEN the source port is 40000 + (urg & 7)
 * and seq/ack are relative to the half-open child of that port, if any.
 * The step byte: low 6 bits advance virtual time by v*v ms (0..~4 s) after
 * the injection; the top 2 bits are an application action on the target's
 * handle, if it still has one: 1 recv (accept for the listener), 2 send
 * SEND_CHUNK * ((v & 7) + 1) bytes, 3 close.
 *
 * After the records the sim runs 200 virtual seconds (retransmission,
 * TIME_WAIT and FIN_WAIT_2 timers fire), then every handle on both stacks is
 * closed and the network must go idle with no connection left.
 *
 * Invariants (trap on violation): every packet a stack sends parses cleanly
 * (IPv4 and TCP, both checksums) and carries its own source address and
 * non-zero ports; no counter ever decreases (the TcpCurrEstab gauge never
 * exceeds the pool); every connection's state is in range, its buffers
 * within their sizes, SND.UNA <= SND.NXT, and a connection with bytes to
 * send has a timer armed; the sim takes at most STEP_LIMIT steps per input
 * (normal inputs take < 300: more is a livelock, e.g. an ACK storm); once
 * every handle is closed and the network is idle, no connection remains.
 * Everything is freed each run (ASan's leak check is on).
 *
 * Build knobs (not used by CMake): -DFUZZ_TCP_VERBOSE prints the setup, each
 * record and every packet to stderr (for checking seeds and triaging a
 * crash: link the harness by hand against the fuzz build's libraries);
 * -DFUZZ_TCP_SKIP_KNOWN lets the failures of bugs already reported pass
 * (see known_send_stall and livelock) so a campaign can look past them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "synack/sim.h"
#include "synack/synack.h"
#include "synack/wire.h"

#define CLIENT_ADDR 0xc0000201u /* 192.0.2.1 */
#define SERVER_ADDR 0xc0000202u /* 192.0.2.2 */
#define SERVER_PORT 80
#define CLIENT_PORT 40000
#define LISTEN_PORT_BASE 40000
#define MAX_SOCKETS 8
#define BUF_BYTES 4096
#define MAX_RECORDS 32
#define SEND_CHUNK 300 /* the send action writes 1..8 chunks */
#define STEP_LIMIT 3000u /* sim steps per input before we call it a livelock (normal runs take < 300) */

#ifdef FUZZ_TCP_VERBOSE
#define VLOG(...) fprintf(stderr, __VA_ARGS__)
#else
#define VLOG(...) ((void)0)
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

_Static_assert(sizeof(struct synack_counters) == SYNACK_COUNTER_COUNT * sizeof(uint64_t),
               "counters are read as an array");

enum target_state {
	T_SYN_SENT,
	T_SYN_RCVD,
	T_ESTABLISHED,
	T_FIN_WAIT_1,
	T_FIN_WAIT_2,
	T_CLOSE_WAIT,
	T_LAST_ACK,
	T_CLOSING,
	T_TIME_WAIT,
	T_LISTEN,
	T_COUNT
};

static const enum synack_tcp_state want_state[T_COUNT] = {
	SYNACK_SYN_SENT,   SYNACK_SYN_RCVD,  SYNACK_ESTABLISHED, SYNACK_FIN_WAIT_1, SYNACK_FIN_WAIT_2,
	SYNACK_CLOSE_WAIT, SYNACK_LAST_ACK,  SYNACK_CLOSING,     SYNACK_TIME_WAIT,  SYNACK_LISTEN,
};

struct harness {
	struct synack_sim *sim;
	int cnode, snode;
	struct synack_stack *c, *s;
	/* drop filters */
	bool injecting;        /* a fuzzed segment is being put on the wire */
	bool drop_c2s, drop_s2c;
	bool drop_pure_acks;   /* both directions */
	/* counters seen last, per node */
	uint64_t last_ctr[2][SYNACK_COUNTER_COUNT];
	/* handles the harness holds */
	int listener, csock, asock;
	/* the target */
	int tnode, pnode;      /* target and peer node */
	struct synack_stack *tst;
	uint32_t taddr, paddr;
	uint16_t tport, pport; /* target's local port, the peer's port */
	int thandle;           /* the target's handle, or -1 */
	bool tlisten;
	uint32_t seq_base, ack_base; /* last known RCV.NXT / SND.NXT of the target */
	uint16_t ip_id;
	bool marker;           /* run_for's end-of-interval event has run */
	bool livelocked;       /* FUZZ_TCP_SKIP_KNOWN: the input is abandoned */
	uint32_t steps;        /* sim steps this input has taken */
};

/* ------------------------------------------------------------------ */
/* Invariants. */

static void check_counters(struct harness *h)
{
	const struct synack_stack *sts[2] = {h->c, h->s};
	for (int n = 0; n < 2; n++) {
		/* struct synack_counters is SYNACK_COUNTER_COUNT uint64_t in id order. */
		uint64_t v[SYNACK_COUNTER_COUNT];
		memcpy(v, synack_get_counters(sts[n]), sizeof(v));
		uint64_t *last = h->last_ctr[n];
		for (int id = 0; id < SYNACK_COUNTER_COUNT; id++)
			if (v[id] < last[id] && id != SYNACK_CTR_TcpCurrEstab)
				__builtin_trap();
		if (v[SYNACK_CTR_TcpCurrEstab] > MAX_SOCKETS) /* a gauge: it may fall, never wrap */
			__builtin_trap();
		memcpy(last, v, sizeof(v));
	}
}

/* Failed invariants that match a bug already reported trap here, each in a
 * function of its own so a crash's stack names it; built with
 * -DFUZZ_TCP_SKIP_KNOWN they are let through (livelocks abandon the input),
 * so a campaign can look past them for new bugs. */
__attribute__((noinline)) static void known_send_stall(void)
{
#ifndef FUZZ_TCP_SKIP_KNOWN
	__builtin_trap();
#endif
}

/* A sender with bytes queued, none in flight, a window that is open but not
 * "worth" a segment and no timer armed: nothing will ever move it. */
static bool send_stalled(const struct synack_sockinfo *i)
{
	return i->send_q > 0 && i->snd_una == i->snd_nxt && i->snd_wnd > 0 && i->timer_at == UINT64_MAX;
}

static void check_conn(void *ctx, int sock, const struct synack_sockinfo *i)
{
	(void)ctx, (void)sock;
	if (i->state < 0 || i->state >= SYNACK_STATE_COUNT)
		__builtin_trap();
	if (i->state == SYNACK_LISTEN || i->state == SYNACK_CLOSED)
		return;
	if (i->recv_q > BUF_BYTES || i->send_q > BUF_BYTES || i->rcv_wnd > BUF_BYTES)
		__builtin_trap();
	if ((int32_t)(i->snd_nxt - i->snd_una) < 0)
		__builtin_trap();
	/* Bytes to send and no timer: if the peer stays silent they never go. */
	if (i->send_q > 0 && i->timer_at == UINT64_MAX) {
		if (send_stalled(i))
			known_send_stall();
		else
			__builtin_trap();
	}
}

/* After the final drain: any connection left is one nobody holds and no
 * timer will end (a pool slot lost for good). */
static void leaked_conn(void *ctx, int sock, const struct synack_sockinfo *i)
{
	(void)ctx, (void)sock;
	if (send_stalled(i))
		known_send_stall();
	else
		__builtin_trap();
}

static void check_conns(struct harness *h)
{
	synack_sock_foreach(h->c, check_conn, h);
	synack_sock_foreach(h->s, check_conn, h);
	check_counters(h);
}

static void link_event(void *ctx, const struct synack_sim_event *ev)
{
	struct harness *h = ctx;
	if (ev->kind == SYNACK_SIM_SENT && !h->injecting) {
		/* A stack sent this: it must parse cleanly. */
		struct synack_ipv4 ip;
		if (synack_ipv4_parse(ev->pkt, ev->len, &ip) != SYNACK_WIRE_OK)
			__builtin_trap();
		if (ip.src != synack_sim_addr(h->sim, ev->from))
			__builtin_trap();
		if (ip.proto == SYNACK_IPPROTO_TCP) {
			struct synack_tcp_seg seg;
			if (synack_tcp_packet_parse(ev->pkt, ev->len, &ip, &seg) != SYNACK_WIRE_OK)
				__builtin_trap();
			if (seg.sport == 0 || seg.dport == 0)
				__builtin_trap();
		}
	}
#ifdef FUZZ_TCP_VERBOSE
	if (ev->kind == SYNACK_SIM_SENT || ev->kind == SYNACK_SIM_LOST) {
		static unsigned long printed;
		char line[256];
		if (printed++ < 400)
			fprintf(stderr, "    %10llu %s %s%s\n", (unsigned long long)ev->now,
			        ev->kind == SYNACK_SIM_LOST ? "LOST" : "sent", h->injecting ? "(fuzz) " : "",
			        synack_packet_format(ev->pkt, ev->len, line, sizeof(line)));
	}
#endif
	check_counters(h);
}

/* ------------------------------------------------------------------ */
/* Drop filters. */

static bool pure_ack(const uint8_t *pkt, size_t len)
{
	struct synack_ipv4 ip;
	struct synack_tcp_seg seg;
	if (synack_tcp_packet_parse(pkt, len, &ip, &seg) != SYNACK_WIRE_OK)
		return false;
	return seg.flags == SYNACK_TCP_ACK && seg.payload_len == 0;
}

static bool filter_c2s(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)now;
	struct harness *h = ctx;
	if (h->injecting)
		return false;
	return h->drop_c2s || (h->drop_pure_acks && pure_ack(pkt, len));
}

static bool filter_s2c(void *ctx, const uint8_t *pkt, size_t len, synack_time_t now)
{
	(void)now;
	struct harness *h = ctx;
	if (h->injecting)
		return false;
	return h->drop_s2c || (h->drop_pure_acks && pure_ack(pkt, len));
}

/* ------------------------------------------------------------------ */
/* Running the clock, bounded. */

static void mark_done(void *ctx, struct synack_sim *sim)
{
	(void)sim;
	*(bool *)ctx = true;
}

/* A livelock (the network never goes quiet, e.g. two stacks trading ACKs
 * forever) is a stack bug: trap.  Built with -DFUZZ_TCP_SKIP_KNOWN the
 * input is abandoned instead. */
__attribute__((noinline)) static void livelock(struct harness *h)
{
#ifdef FUZZ_TCP_SKIP_KNOWN
	h->livelocked = true;
#else
	(void)h;
	__builtin_trap();
#endif
}

/* Runs until virtual time now + dt (like synack_sim_run_until) but counts
 * steps. */
static void run_for(struct harness *h, synack_time_t dt)
{
	if (h->livelocked)
		return;
	h->marker = false;
	if (synack_sim_at(h->sim, synack_sim_now(h->sim) + dt, mark_done, &h->marker) != 0)
		__builtin_trap();
	while (!h->marker) {
		if (!synack_sim_step(h->sim))
			__builtin_trap(); /* the marker is queued: step cannot run dry */
		if (++h->steps > STEP_LIMIT) {
			livelock(h);
			return;
		}
	}
}

/* Runs until the network is idle; it must become so. */
static void run_to_idle(struct harness *h)
{
	if (h->livelocked)
		return;
	while (synack_sim_step(h->sim)) {
		if (++h->steps > STEP_LIMIT) {
			livelock(h);
			return;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Finding connections. */

struct find {
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	int state;             /* -1: any */
	bool found;
	int sock;
	struct synack_sockinfo info;
};

static void find_visit(void *ctx, int sock, const struct synack_sockinfo *i)
{
	struct find *f = ctx;
	if (f->found || i->laddr != f->laddr || i->lport != f->lport || i->raddr != f->raddr || i->rport != f->rport)
		return;
	if (f->state >= 0 && i->state != f->state)
		return;
	f->found = true;
	f->sock = sock;
	f->info = *i;
}

static bool find_conn(struct synack_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
                      int state, struct find *f)
{
	memset(f, 0, sizeof(*f));
	f->laddr = laddr, f->lport = lport, f->raddr = raddr, f->rport = rport;
	f->state = state;
	f->sock = -1;
	synack_sock_foreach(st, find_visit, f);
	return f->found;
}

static int state_of(struct synack_stack *st, int sock)
{
	struct synack_sockinfo i;
	return synack_sockinfo(st, sock, &i) == 0 ? i.state : -1;
}

/* ------------------------------------------------------------------ */
/* Setup: reaching each state. */

static bool listen_on(struct harness *h)
{
	h->listener = synack_socket(h->s);
	return h->listener >= 0 && synack_bind(h->s, h->listener, 0, SERVER_PORT) == 0 &&
	       synack_listen(h->s, h->listener, 4) == 0;
}

static bool connect_client(struct harness *h)
{
	h->csock = synack_socket(h->c);
	return h->csock >= 0 && synack_bind(h->c, h->csock, 0, CLIENT_PORT) == 0 &&
	       synack_connect(h->c, h->csock, SERVER_ADDR, SERVER_PORT, synack_sim_now(h->sim)) == -EINPROGRESS;
}

static bool establish(struct harness *h)
{
	if (!listen_on(h) || !connect_client(h))
		return false;
	run_for(h, SYNACK_MS(10));
	h->asock = synack_accept(h->s, h->listener, NULL, NULL);
	return h->asock >= 0 && state_of(h->c, h->csock) == SYNACK_ESTABLISHED &&
	       state_of(h->s, h->asock) == SYNACK_ESTABLISHED;
}

static void target_client(struct harness *h, int handle)
{
	h->tnode = h->cnode, h->pnode = h->snode;
	h->tst = h->c;
	h->taddr = CLIENT_ADDR, h->paddr = SERVER_ADDR;
	h->tport = CLIENT_PORT, h->pport = SERVER_PORT;
	h->thandle = handle;
}

static void target_server(struct harness *h, int handle)
{
	h->tnode = h->snode, h->pnode = h->cnode;
	h->tst = h->s;
	h->taddr = SERVER_ADDR, h->paddr = CLIENT_ADDR;
	h->tport = SERVER_PORT, h->pport = CLIENT_PORT;
	h->thandle = handle;
}

/* Brings the target into state ts; false if setup failed. */
static bool setup(struct harness *h, enum target_state ts, unsigned variant)
{
	synack_time_t now;
	switch (ts) {
	case T_SYN_SENT:
		h->drop_c2s = true;
		if (!listen_on(h) || !connect_client(h))
			return false;
		run_for(h, SYNACK_MS(10));
		target_client(h, h->csock);
		break;
	case T_SYN_RCVD:
		h->drop_s2c = true;
		if (!listen_on(h) || !connect_client(h))
			return false;
		run_for(h, SYNACK_MS(10));
		target_server(h, -1);
		break;
	case T_ESTABLISHED:
		if (!establish(h))
			return false;
		if (variant & 2)
			target_client(h, h->csock);
		else
			target_server(h, h->asock);
		break;
	case T_FIN_WAIT_1:
		if (!establish(h))
			return false;
		h->drop_s2c = true;
		synack_close(h->c, h->csock, synack_sim_now(h->sim));
		h->csock = -1;
		run_for(h, SYNACK_MS(10));
		target_client(h, -1);
		break;
	case T_FIN_WAIT_2:
		if (!establish(h))
			return false;
		synack_shutdown(h->c, h->csock, SYNACK_SHUT_WR, synack_sim_now(h->sim));
		run_for(h, SYNACK_MS(10));
		target_client(h, h->csock);
		break;
	case T_CLOSE_WAIT:
		if (!establish(h))
			return false;
		synack_shutdown(h->c, h->csock, SYNACK_SHUT_WR, synack_sim_now(h->sim));
		run_for(h, SYNACK_MS(10));
		target_server(h, h->asock);
		break;
	case T_LAST_ACK:
		if (!establish(h))
			return false;
		synack_shutdown(h->c, h->csock, SYNACK_SHUT_WR, synack_sim_now(h->sim));
		run_for(h, SYNACK_MS(10));
		h->drop_c2s = true;
		synack_close(h->s, h->asock, synack_sim_now(h->sim));
		h->asock = -1;
		run_for(h, SYNACK_MS(10));
		target_server(h, -1);
		break;
	case T_CLOSING:
		if (!establish(h))
			return false;
		h->drop_pure_acks = true;
		now = synack_sim_now(h->sim);
		synack_close(h->c, h->csock, now);
		synack_close(h->s, h->asock, now);
		h->csock = h->asock = -1;
		run_for(h, SYNACK_MS(10));
		target_client(h, -1);
		break;
	case T_TIME_WAIT:
		if (!establish(h))
			return false;
		synack_close(h->c, h->csock, synack_sim_now(h->sim));
		h->csock = -1;
		run_for(h, SYNACK_MS(10));
		synack_close(h->s, h->asock, synack_sim_now(h->sim));
		h->asock = -1;
		run_for(h, SYNACK_MS(10));
		target_client(h, -1);
		break;
	case T_LISTEN:
		h->drop_s2c = true;
		if (!listen_on(h))
			return false;
		run_for(h, SYNACK_MS(1));
		target_server(h, h->listener);
		h->tlisten = true;
		h->pport = 0; /* per record */
		return state_of(h->s, h->listener) == SYNACK_LISTEN;
	default:
		return false;
	}
	struct find f;
	if (!find_conn(h->tst, h->taddr, h->tport, h->paddr, h->pport, (int)want_state[ts], &f))
		return false;
	h->seq_base = f.info.rcv_nxt;
	h->ack_base = f.info.snd_nxt;
	return true;
}

/* ------------------------------------------------------------------ */
/* Records. */

struct reader {
	const uint8_t *p;
	size_t n;
};

static bool rd_u8(struct reader *r, uint8_t *v)
{
	if (r->n == 0)
		return false;
	*v = *r->p++;
	r->n--;
	return true;
}

static bool rd_u16(struct reader *r, uint16_t *v)
{
	uint8_t a, b;
	if (!rd_u8(r, &a) || !rd_u8(r, &b))
		return false;
	*v = (uint16_t)(a << 8 | b);
	return true;
}

/* Takes up to n bytes (fewer if the input ends). */
static size_t rd_bytes(struct reader *r, size_t n, const uint8_t **out)
{
	if (n > r->n)
		n = r->n;
	*out = r->p;
	r->p += n;
	r->n -= n;
	return n;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* Refreshes seq_base/ack_base from the target connection, if it still exists. */
static void refresh_bases(struct harness *h)
{
	struct find f;
	if (h->tlisten) {
		h->seq_base = h->ack_base = 0;
		if (find_conn(h->tst, h->taddr, h->tport, h->paddr, h->pport, -1, &f)) {
			h->seq_base = f.info.rcv_nxt;
			h->ack_base = f.info.snd_nxt;
		}
		return;
	}
	if (find_conn(h->tst, h->taddr, h->tport, h->paddr, h->pport, -1, &f)) {
		h->seq_base = f.info.rcv_nxt;
		h->ack_base = f.info.snd_nxt;
	}
}

static void inject(struct harness *h, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, uint16_t urg,
                   const uint8_t *opt, size_t optlen, const uint8_t *payload, size_t plen)
{
	uint8_t pkt[SYNACK_IPV4_HDR_LEN + SYNACK_TCP_HDR_LEN + SYNACK_TCP_MAX_OPT_LEN + 256];
	uint8_t *tcp = pkt + SYNACK_IPV4_HDR_LEN;
	size_t optpad = (optlen + 3u) & ~(size_t)3u;
	size_t hl = SYNACK_TCP_HDR_LEN + optpad;
	size_t tcplen = hl + plen;
	memset(tcp, 0, hl);
	put16(tcp, h->pport);
	put16(tcp + 2, h->tport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (uint8_t)((hl / 4u) << 4);
	tcp[13] = flags;
	put16(tcp + 14, win);
	put16(tcp + 18, urg);
	if (optlen)
		memcpy(tcp + SYNACK_TCP_HDR_LEN, opt, optlen); /* the rest stays EOL */
	if (plen)
		memcpy(tcp + hl, payload, plen);
	struct synack_ipv4 ip = {.src = h->paddr, .dst = h->taddr, .proto = SYNACK_IPPROTO_TCP, .ttl = 64,
	                         .id = h->ip_id++, .df = true};
	if (synack_ipv4_build(pkt, sizeof(pkt), &ip, tcplen) != SYNACK_IPV4_HDR_LEN)
		__builtin_trap();
	uint32_t sum = synack_csum_pseudo(h->paddr, h->taddr, SYNACK_IPPROTO_TCP, (uint16_t)tcplen);
	put16(tcp + 16, synack_csum_fold(synack_csum_add(sum, tcp, tcplen)));
	h->injecting = true;
	synack_sim_inject(h->sim, h->pnode, pkt, SYNACK_IPV4_HDR_LEN + tcplen);
	h->injecting = false;
}

static void app_action(struct harness *h, unsigned action, unsigned arg)
{
	static const uint8_t junk[SEND_CHUNK * 8];
	uint8_t buf[BUF_BYTES];
	synack_time_t now = synack_sim_now(h->sim);
	if (h->thandle < 0 || action == 0)
		return;
	switch (action) {
	case 1:
		if (h->tlisten) {
			int a = synack_accept(h->s, h->listener, NULL, NULL);
			if (a >= 0)
				synack_close(h->s, a, now); /* a graceful close in the background */
		} else {
			(void)synack_recv(h->tst, h->thandle, buf, sizeof(buf), now);
		}
		break;
	case 2:
		(void)synack_send(h->tst, h->thandle, junk, SEND_CHUNK * ((arg & 7u) + 1u), now);
		break;
	case 3:
		synack_close(h->tst, h->thandle, now);
		if (h->thandle == h->listener)
			h->listener = -1;
		if (h->thandle == h->csock)
			h->csock = -1;
		if (h->thandle == h->asock)
			h->asock = -1;
		h->thandle = -1;
		break;
	default:
		break;
	}
}

static void run_records(struct harness *h, struct reader *r)
{
	for (int k = 0; k < MAX_RECORDS; k++) {
		uint8_t flags, optcount, plen, step;
		uint16_t seqoff, ackoff, win, urg;
		if (!rd_u8(r, &flags) || !rd_u16(r, &seqoff) || !rd_u16(r, &ackoff) || !rd_u16(r, &win) ||
		    !rd_u16(r, &urg) || !rd_u8(r, &optcount))
			return;
		const uint8_t *opt, *payload;
		size_t optlen = rd_bytes(r, optcount % (SYNACK_TCP_MAX_OPT_LEN + 1), &opt);
		size_t paylen = 0;
		payload = NULL;
		if (rd_u8(r, &plen))
			paylen = rd_bytes(r, plen, &payload);
		if (!rd_u8(r, &step))
			step = 1;
		if (h->tlisten)
			h->pport = (uint16_t)(LISTEN_PORT_BASE + (urg & 7u));
		refresh_bases(h);
		uint32_t seq = h->seq_base + (uint32_t)(int32_t)(int16_t)seqoff;
		uint32_t ack = h->ack_base + (uint32_t)(int32_t)(int16_t)ackoff;
		VLOG("  rec %d: flags %02x seq %u (+%d) ack %u (+%d) win %u opt %zu len %zu step %02x\n", k, flags, seq,
		     (int16_t)seqoff, ack, (int16_t)ackoff, win, optlen, paylen, step);
		inject(h, flags, seq, ack, win, urg, opt, optlen, payload, paylen);
		unsigned v = step & 0x3fu;
		run_for(h, (synack_time_t)v * v * 1000u);
		if (h->livelocked)
			return;
		app_action(h, step >> 6, v);
		check_conns(h);
	}
}

/* ------------------------------------------------------------------ */
/* Teardown. */

struct handles {
	int n;
	int sock[MAX_SOCKETS];
};

static void collect_handle(void *ctx, int sock, const struct synack_sockinfo *i)
{
	(void)i;
	struct handles *hs = ctx;
	if (sock >= 0 && hs->n < MAX_SOCKETS)
		hs->sock[hs->n++] = sock;
}

static void close_all(struct harness *h, struct synack_stack *st)
{
	struct handles hs = {0};
	synack_sock_foreach(st, collect_handle, &hs);
	for (int i = 0; i < hs.n; i++)
		synack_close(st, hs.sock[i], synack_sim_now(h->sim));
}

#ifdef FUZZ_TCP_VERBOSE
static void print_conn(void *ctx, int sock, const struct synack_sockinfo *i)
{
	fprintf(stderr, "    %s sock %d %s :%u -> :%u rcv_nxt %u snd_nxt %u\n", (const char *)ctx, sock,
	        synack_state_name((enum synack_tcp_state)i->state), i->lport, i->rport, i->rcv_nxt, i->snd_nxt);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum target_state ts = (enum target_state)(data[0] % T_COUNT);
	unsigned variant = data[0] / T_COUNT;
	struct reader r = {data + 1, size - 1};

	static struct harness h;
	memset(&h, 0, sizeof(h));
	h.listener = h.csock = h.asock = -1;
	h.sim = synack_sim_new(1);
	if (!h.sim)
		return 0;
	struct synack_sim_hooks hooks = {.link_event = link_event, .ctx = &h};
	synack_sim_set_hooks(h.sim, &hooks);
	for (int i = 0; i < 2; i++) {
		struct synack_config cfg;
		synack_config_default(&cfg);
		cfg.addr = i == 0 ? CLIENT_ADDR : SERVER_ADDR;
		cfg.seed = 7 + (uint64_t)i;
		cfg.max_sockets = MAX_SOCKETS;
		cfg.max_tw_buckets = MAX_SOCKETS; /* small pools: each input builds fresh stacks */
		cfg.rmem = cfg.wmem = BUF_BYTES;
		cfg.max_syn_backlog = 4; /* small: a few SYNs reach the cookie path */
		int node = synack_sim_add_stack(h.sim, &cfg);
		if (node < 0) {
			synack_sim_free(h.sim);
			return 0;
		}
		if (i == 0)
			h.cnode = node;
		else
			h.snode = node;
	}
	h.c = synack_sim_stack(h.sim, h.cnode);
	h.s = synack_sim_stack(h.sim, h.snode);
	struct synack_link_model m = {.delay_us = 1000};
	if (synack_sim_link(h.sim, h.cnode, h.snode, &m, &m) != 0 ||
	    synack_sim_set_filter(h.sim, h.cnode, h.snode, filter_c2s, &h) != 0 ||
	    synack_sim_set_filter(h.sim, h.snode, h.cnode, filter_s2c, &h) != 0) {
		synack_sim_free(h.sim);
		return 0;
	}

	if (!setup(&h, ts, variant)) {
		VLOG("state %d (%s): setup FAILED\n", (int)ts, synack_state_name(want_state[ts]));
#ifdef FUZZ_TCP_VERBOSE
		synack_sock_foreach(h.c, print_conn, "client");
		synack_sock_foreach(h.s, print_conn, "server");
#endif
		synack_sim_free(h.sim);
		return 0;
	}
	VLOG("state %d (%s): reached, variant %u, target %s handle %d rcv_nxt %u snd_nxt %u\n", (int)ts,
	     synack_state_name(want_state[ts]), variant, h.tnode == h.cnode ? "client" : "server", h.thandle,
	     h.seq_base, h.ack_base);
	if (variant & 1)
		h.drop_c2s = h.drop_s2c = true; /* isolate: only fuzzed segments move */
	check_conns(&h);

	run_records(&h, &r);

#ifdef FUZZ_TCP_VERBOSE
	synack_sock_foreach(h.c, print_conn, "client");
	synack_sock_foreach(h.s, print_conn, "server");
#endif
	/* Let the timers fire: retransmissions, TIME_WAIT, FIN_WAIT_2. */
	run_for(&h, SYNACK_SEC(200));
	check_conns(&h);

	/* Close every handle; the network must go idle with nothing left. */
	close_all(&h, h.c);
	close_all(&h, h.s);
	run_to_idle(&h);
	check_conns(&h);
#ifdef FUZZ_TCP_VERBOSE
	synack_sock_foreach(h.c, print_conn, "client (end)");
	synack_sock_foreach(h.s, print_conn, "server (end)");
	fprintf(stderr, "steps %u%s\n", h.steps, h.livelocked ? " (livelock)" : "");
#endif
	if (!h.livelocked) {
		synack_sock_foreach(h.c, leaked_conn, &h);
		synack_sock_foreach(h.s, leaked_conn, &h);
	}

	synack_sim_free(h.sim);
	return 0;
}
