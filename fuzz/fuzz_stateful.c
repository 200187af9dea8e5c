/* libFuzzer harness: a program of peer segments, socket calls and clock
 * steps, played against one synack stack by a raw peer the harness plays
 * itself.
 *
 * No second stack and no simulator: the harness builds the peer's segments,
 * hands them to synack_input(), captures what the stack sends in its tx hook
 * (learning our ISS, SND.MAX, last ACK and TSval from it) and moves the clock
 * itself.  A fresh stack is made for every input (small pools, so this is
 * cheap), which keeps every run reproducible on its own.
 *
 * Input: a header, then instructions until the input (or MAX_OPS) ends.
 * Bytes past the end read as 0, every value is taken modulo its range, so any
 * byte string is a valid program.
 *
 *   header  h0: bit 0 role (0 listener on port 80, 1 client), bits 1-3
 *               timestamps / SACK / window scaling OFF, bits 4-5 syncookies
 *               {1, 0, 2, 1}, bit 6 no automatic setup segment, bit 7 skip
 *               the final drain
 *           h1: rmem {16384, 131072, 1024, 65536}, wmem {131072, 16384,
 *               1024, 70000} (2 bits each), mtu (3 bits) {1500, 576, 9000,
 *               1280, 68, 100, 65535, 1460}
 *           h2: listen backlog (3 bits) {4, 0, 1, 2, 8, 16, 3, 5},
 *               bit 3 max_syn_backlog 1 (else 4), bit 4 max_tw_buckets 0
 *               (else 4), bit 5 rfc1337 off
 *           h3: start time (1 s + h3 * 2^24 us, so 32-bit microsecond
 *               counters wrap within reach), h4: peer ISS top byte,
 *               h5: peer TS clock top byte
 *           then an OPTIONS block for the setup segment: the listener gets a
 *           SYN from peer connection 0, the client connect()s to it and the
 *           peer answers SYN+ACK (h0 bit 6 skips that segment).
 *
 *   OPTIONS mask byte: bit 0 MSS (selector: 00xxxxxx table {1460, 536,
 *           1400, 8960, 65535, 1220, 48, 88}, 01xxxxxx the value 0..63,
 *           10xxxxxx + 1 byte a 14-bit value, 11xxxxxx + 2 bytes), bit 1
 *           window scale (1 byte, as sent), bit 2 SACK-permitted, bit 3
 *           timestamps (mode byte: TSval bits 0-1 {peer clock, + int16,
 *           + 2^31 - 1 - u8, absolute u32}, TSecr bits 2-3 {our last TSval,
 *           0, + int16, absolute u32}), bit 4 SACK blocks (byte: count - 1
 *           in bits 0-1; per block int16 start from the segment's ACK and
 *           u8 length in 32-byte units), bit 5 raw option bytes (length
 *           byte mod 41, then the bytes, appended after the others).
 *
 *   instruction: one byte, low nibble the operation, high nibble P:
 *     0-3  SEG      [flags][ctl][seq operand][ack operand][payload length]
 *                   [OPTIONS if ctl bit 6][window u16 if ctl bit 7]
 *                   ctl bits 0-1 seq {peer SND.NXT, + int16, + int8 << 24,
 *                   absolute u32}; bits 2-3 ack {our SND.MAX as seen, + int16,
 *                   our ISS + int16, absolute u32}; bits 4-5 payload length
 *                   {0, u8, u8 * 16, u16 mod 9001}; window 65535 unless given.
 *                   P bit 0: no automatic timestamp (otherwise a segment
 *                   carries TSval = peer clock, TSecr = our last TSval once
 *                   both SYNs had timestamps); P bits 1-2: sent 1-4 times
 *                   (duplicate ACKs); P bit 3: first set the peer's SND.NXT
 *                   to the last ACK we sent.  The peer's SND.NXT advances by
 *                   what it sends in order; a SYN sets the peer's ISS.
 *     4-5  SEND     P selects the size {65536, 1, 100, 1460, 4096, 65535,
 *                   70000, 16384, 2, 536, 8192, 30000, 131072, 3000, 500, 0}
 *     6    RECV     P & 7 selects {131072, 1, 100, 1000, 4096, 16384, 65536, 7}
 *     7-8  ADVANCE  P selects {1 ms, 10 ms, 40 ms, 200 ms, 500 ms, 1 s, 3 s,
 *                   10 s, 31 s, 61 s, 121 s, 10 min, 1 h, 25 days, to the next
 *                   timeout, 100 us}, then synack_poll
 *     9    POLLNEXT P + 1 times: the clock jumps to synack_next_timeout, poll
 *     10   CLOSE    11 SHUTDOWN (P mod 3: RD, WR, RDWR)
 *     12   SOCKOPT  P: NODELAY 1 / 0, SO_LINGER -1 / 0 / 1 / 5, SO_REUSEADDR
 *                   1 / 0, 8-15 getsockopt
 *     13   ACCEPT   the accepted handle goes to the peer connection of its port
 *     14   SELECT   peer connection P & 3 (ports 40000-40003) becomes current
 *     15   OPEN     P bit 0 clear: a new socket connect()s to the current peer
 *                   connection (P bit 1: SO_REUSEADDR first, P bit 2: bind to
 *                   port 50000 first); set: a new listener on port 80 if
 *                   there is none (P bit 1: SO_REUSEADDR)
 *   Socket calls use the current peer connection's handle, or the listener
 *   when it has none.  Data is a pattern of the stream offset (ours) or the
 *   sequence number (the peer's), so both directions are checked byte by byte.
 *   At the end every handle is closed and the clock runs until no timer is
 *   left (unless h0 bit 7): the stack must then hold nothing.
 *
 * Invariants, checked after every step (each traps in a function of its
 * own, so a crash's stack names it; -DFUZZ_STATEFUL_IGNORE=mask disables
 * some, see the INV_* bits):
 *   - every packet the stack sends parses (IPv4 and TCP, both checksums), is
 *     from our address to the peer's, no larger than the MTU, and its payload
 *     is the bytes the application wrote at that stream offset;
 *   - the application reads exactly the bytes the peer sent, in order;
 *   - every synchronized connection: snd_mss within [min(48, mtu - 40),
 *     mtu - 40] less the timestamps' 12 bytes (W05); SND.UNA <= SND.NXT <=
 *     SND.MAX; the right edge of the window we advertised (rcv_adv) never
 *     moves left, not by a byte (D02); ring lengths within capacity;
 *     reassembly intervals sorted, disjoint and inside
 *     [RCV.NXT, RCV.NXT + free receive space]; a connection with unacknowledged
 *     or unsent data (or SYN, or FIN) has its retransmission timer armed;
 *   - counters never decrease; TcpCurrEstab equals the connections in
 *     ESTABLISHED or CLOSE_WAIT;
 *   - R05: a segment that fails the sequence check (computed here from the
 *     tcb before the segment goes in: RFC 9293's test with Linux's two
 *     allowances, see ts_probe_before) leaves TS.Recent unchanged;
 *   - after the final drain, no connection, request or TIME_WAIT entry left,
 *     and the drain ends.
 *
 * Seeds: built with -DFUZZ_STATEFUL_GEN this file has a main() that writes
 * the seed corpus into a directory and plays each seed, printing the states
 * it reached (from the trace hook):
 *   cmake --build build-fuzz --target synack
 *   clang -DFUZZ_STATEFUL_GEN -fsanitize=address,undefined,fuzzer-no-link \
 *     -Iinclude -Isrc fuzz/fuzz_stateful.c build-fuzz/libsynack.a -o /tmp/gen
 *   /tmp/gen fuzz/corpus/fuzz_stateful
 * -DFUZZ_STATEFUL_VERBOSE prints every step and packet to stderr.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"
#include "synack/synack.h"
#include "synack/wire.h"
#include "tcp/tcp.h"

#define OUR_ADDR 0xc0000202u  /* 192.0.2.2: the stack */
#define PEER_ADDR 0xc0000201u /* 192.0.2.1: the raw peer */
#define LISTEN_PORT 80
#define BIND_PORT 50000
#define PEER_PORT_BASE 40000
#define NCONN 4
#define MAX_SOCKETS 8
#define MAX_OPS 128
#define DRAIN_LIMIT 600
#define PAT_PERIOD 251 /* prime: an offset error of anything but a multiple of it shows */
#define MAX_SEND 131072u

/* Invariants that -DFUZZ_STATEFUL_IGNORE can switch off. */
#define INV_MSS 0x001
#define INV_SEQ 0x002
#define INV_RCV_ADV 0x004
#define INV_RING 0x008
#define INV_REASS 0x010
#define INV_COUNTERS 0x020
#define INV_TIMER 0x040
#define INV_TS_RECENT 0x080
#define INV_PACKET 0x100
#define INV_PKT_SIZE 0x200
#define INV_DATA 0x400
#define INV_LEAK 0x800
#ifndef FUZZ_STATEFUL_IGNORE
#define FUZZ_STATEFUL_IGNORE 0
#endif

#ifdef FUZZ_STATEFUL_VERBOSE
#define VLOG(...) fprintf(stderr, __VA_ARGS__)
#else
#define VLOG(...) ((void)0)
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

_Static_assert(sizeof(struct synack_counters) == SYNACK_COUNTER_COUNT * sizeof(uint64_t),
               "counters are read as an array");

/* ------------------------------------------------------------------ */
/* Invariant failures: one function each, so the crash stack names it. */

#define INVARIANT(name, bit)                                                                                 \
	__attribute__((noinline)) static void name(void)                                                     \
	{                                                                                                    \
		if (!(FUZZ_STATEFUL_IGNORE & (bit)))                                                         \
			__builtin_trap();                                                                    \
	}
INVARIANT(inv_mss_out_of_range, INV_MSS)
INVARIANT(inv_seq_order, INV_SEQ)
INVARIANT(inv_rcv_adv_moved_left, INV_RCV_ADV)
INVARIANT(inv_ring, INV_RING)
INVARIANT(inv_reass, INV_REASS)
INVARIANT(inv_counters, INV_COUNTERS)
INVARIANT(inv_stuck_timer, INV_TIMER)
INVARIANT(inv_ts_recent_changed_by_unacceptable_segment, INV_TS_RECENT)
INVARIANT(inv_bad_packet, INV_PACKET)
INVARIANT(inv_packet_exceeds_mtu, INV_PKT_SIZE)
INVARIANT(inv_stream_data, INV_DATA)
INVARIANT(inv_leak, INV_LEAK)
INVARIANT(inv_drain_never_ends, INV_LEAK)

/* ------------------------------------------------------------------ */
/* State. */

/* The raw peer's view of one connection (peer port PEER_PORT_BASE + i). */
struct pconn {
	uint16_t pport;            /* the peer's port */
	uint16_t oport;            /* our port; 0: take it from our next SYN to pport */
	int handle;                /* our socket for it, or -1 */
	uint64_t sent, rcvd;       /* stream bytes the application wrote / read on handle */
	/* what the peer has seen from us */
	bool have_iss, have_ack, have_tsval;
	bool our_syn_ts;           /* our last SYN (or SYN+ACK) carried timestamps */
	uint32_t our_iss, our_max; /* our SYN's sequence; highest sequence + length seen */
	uint32_t our_ack, our_tsval;
	/* the peer itself */
	bool peer_syn_ts;          /* the peer's last SYN carried timestamps */
	uint32_t peer_iss, peer_nxt;
	uint32_t ts_base, nseg;    /* the peer's TS clock: ts_base + ms + segments sent */
};

/* Per pool slot: the furthest right edge of the window it advertised. */
struct adv_track {
	bool valid;
	uint32_t iss, irs, rcv_adv;
	uint16_t lport, rport;
};

struct harness {
	struct synack_stack *st;
	struct synack_config cfg;
	synack_time_t now;
	bool client;
	int backlog;
	int listener;
	int cur;
	struct pconn conn[NCONN];
	struct adv_track adv[MAX_SOCKETS];
	uint64_t last_ctr[SYNACK_COUNTER_COUNT];
#ifdef FUZZ_STATEFUL_GEN
	uint32_t states_seen; /* bit per enum synack_tcp_state */
#endif
};

/* pat[i] = i % PAT_PERIOD: byte k of a stream is pat[k % PAT_PERIOD]. */
static uint8_t pat[PAT_PERIOD + MAX_SEND];
static uint8_t iobuf[MAX_SEND];

static void pat_init(void)
{
	static bool done;
	if (done)
		return;
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i % PAT_PERIOD);
	done = true;
}

/* The peer's data byte at sequence number x is (x mod 2^32) % PAT_PERIOD. */
static void seq_pattern_fill(uint8_t *dst, uint32_t seq, uint32_t n)
{
	while (n > 0) {
		uint64_t to_wrap = (uint64_t)UINT32_MAX - seq + 1u;
		uint32_t chunk = (uint64_t)n < to_wrap ? n : (uint32_t)to_wrap;
		memcpy(dst, pat + seq % PAT_PERIOD, chunk);
		dst += chunk, n -= chunk, seq += chunk;
	}
}

static bool seq_pattern_ok(const uint8_t *src, uint32_t seq, uint32_t n)
{
	while (n > 0) {
		uint64_t to_wrap = (uint64_t)UINT32_MAX - seq + 1u;
		uint32_t chunk = (uint64_t)n < to_wrap ? n : (uint32_t)to_wrap;
		if (memcmp(src, pat + seq % PAT_PERIOD, chunk) != 0)
			return false;
		src += chunk, n -= chunk, seq += chunk;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Reading the program. */

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t rd8(struct rd *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->p++;
}

static uint16_t rd16(struct rd *r)
{
	uint16_t hi = rd8(r);
	return (uint16_t)(hi << 8 | rd8(r));
}

static uint32_t rd32(struct rd *r)
{
	uint32_t hi = rd16(r);
	return hi << 16 | rd16(r);
}

static uint32_t sx16(uint16_t v)
{
	return (uint32_t)(int32_t)(int16_t)v;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* The Internet checksum of the harness's own packets and of the check of
 * the stack's, outside the coverage and sanitizer instrumentation: summing
 * payloads through instrumented code cost half the run time.  (The stack
 * still verifies every segment it receives with its own code.) */
__attribute__((no_sanitize("coverage", "address", "undefined"))) static uint32_t fast_sum(uint32_t sum,
                                                                                      const uint8_t *p,
                                                                                      size_t n)
{
	for (; n >= 2; p += 2, n -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fast_csum(uint32_t src, uint32_t dst, const uint8_t *tcp, size_t len)
{
	uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + SYNACK_IPPROTO_TCP + (uint32_t)len;
	sum = fast_sum(sum, tcp, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ------------------------------------------------------------------ */
/* Invariants over the whole stack. */

static bool synchronized(enum synack_tcp_state s)
{
	return s >= SYNACK_SYN_RCVD && s <= SYNACK_LAST_ACK;
}

static void check_ring(const struct ring *r, uint32_t cap)
{
	if (r->cap != cap || r->len > r->cap || (r->cap > 0 && r->head >= r->cap))
		inv_ring();
}

static void check_reass(const struct tcb *t)
{
	const struct reass *q = &t->reass;
	if (q->count > REASS_MAX)
		inv_reass();
	uint32_t right = t->rcv_nxt + ring_free(&t->rcv);
	for (unsigned k = 0; k < q->count; k++) {
		uint32_t s = q->iv[k].start, e = q->iv[k].end;
		if (!seq_lt(s, e) || !seq_geq(s, t->rcv_nxt) || !seq_leq(e, right))
			inv_reass();
		if (k + 1 < q->count && !seq_lt(e, q->iv[k + 1].start))
			inv_reass();
	}
}

static void check_tcb(struct harness *h, const struct tcb *t, unsigned slot, unsigned *estab)
{
	struct adv_track *a = &h->adv[slot];
	if ((int)t->state < 0 || (int)t->state >= SYNACK_STATE_COUNT)
		inv_seq_order();
	check_ring(&t->rcv, h->cfg.rmem);
	check_ring(&t->snd, h->cfg.wmem);
	if (t->state == SYNACK_ESTABLISHED || t->state == SYNACK_CLOSE_WAIT)
		(*estab)++;
	if (t->state == SYNACK_LISTEN || t->state == SYNACK_CLOSED)
		return;
	if (!seq_leq(t->snd_una, t->snd_nxt) || !seq_leq(t->snd_nxt, t->snd_max))
		inv_seq_order();
	/* Nothing left to (re)send may wait without a timer: if the peer
	 * goes silent it would wait forever. */
	uint32_t off = t->snd_nxt - t->snd_una;
	bool unacked = t->snd_una != t->snd_max;
	bool unsent = ring_len(&t->snd) > off || (tcb_has(t, TF_FIN_QUEUED) && !tcb_has(t, TF_FIN_SENT));
	if ((unacked || unsent) && (t->rexmit_at == SYNACK_TIME_NEVER || !wheel_timer_armed(&t->timer.wt)))
		inv_stuck_timer();
	if (!synchronized(t->state))
		return;
	/* W05: the peer's MSS clamped to [min(48, MTU - 40), MTU - 40], then
	 * the timestamps' 12 bytes off, never below 8 bytes of payload. */
	int32_t ours = (int32_t)h->cfg.mtu - 40, ts = tcb_has(t, TF_TS) ? 12 : 0;
	int32_t lo = (ours < 48 ? ours : 48) - ts, hi = ours - ts;
	if (lo < 8)
		lo = 8;
	if (hi < lo)
		hi = lo;
	if ((int32_t)t->snd_mss < lo || (int32_t)t->snd_mss > hi)
		inv_mss_out_of_range();
	check_reass(t);
	/* RFC 1122 4.2.2.16: the right window edge does not move left, not
	 * even by less than the window scale's unit (we round up, as Linux's
	 * tcp_select_window). */
	bool same = a->valid && a->iss == t->iss && a->irs == t->irs && a->lport == t->sk.lport &&
	            a->rport == t->sk.rport;
	if (same && !seq_geq(t->rcv_adv, a->rcv_adv))
		inv_rcv_adv_moved_left();
	if (!same || seq_gt(t->rcv_adv, a->rcv_adv))
		a->rcv_adv = t->rcv_adv;
	a->valid = true;
	a->iss = t->iss, a->irs = t->irs;
	a->lport = t->sk.lport, a->rport = t->sk.rport;
}

static void check_all(struct harness *h)
{
	struct synack_stack *st = h->st;
	unsigned estab = 0;
	for (unsigned i = 0; i < h->cfg.max_sockets; i++) {
		const struct tcb *t = &st->tcp.pool[i];
		if (tcb_has(t, TF_FREE)) {
			h->adv[i].valid = false;
			continue;
		}
		check_tcb(h, t, i, &estab);
	}
	uint64_t v[SYNACK_COUNTER_COUNT];
	memcpy(v, synack_get_counters(st), sizeof(v));
	for (unsigned id = 0; id < SYNACK_COUNTER_COUNT; id++)
		if (v[id] < h->last_ctr[id] && id != SYNACK_CTR_TcpCurrEstab)
			inv_counters();
	/* RFC 1213 tcpCurrEstab: the connections in ESTABLISHED or CLOSE_WAIT. */
	if (v[SYNACK_CTR_TcpCurrEstab] != estab)
		inv_counters();
	memcpy(h->last_ctr, v, sizeof(v));
	if (st->tcp.tw->count > st->tcp.tw->cap)
		inv_leak();
}

/* ------------------------------------------------------------------ */
/* What the stack sends. */

static struct pconn *conn_of_port(struct harness *h, uint16_t pport)
{
	if (pport < PEER_PORT_BASE || pport >= PEER_PORT_BASE + NCONN)
		return NULL;
	return &h->conn[pport - PEER_PORT_BASE];
}

static void on_tx(void *ctx, const uint8_t *pkt, size_t len)
{
	struct harness *h = ctx;
	struct synack_ipv4 ip;
	struct synack_tcp_seg seg;
	/* As synack_tcp_packet_parse, with the TCP checksum checked here. */
	if (synack_ipv4_parse(pkt, len, &ip) != SYNACK_WIRE_OK || ip.proto != SYNACK_IPPROTO_TCP ||
	    synack_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, false, &seg) != SYNACK_WIRE_OK ||
	    fast_csum(ip.src, ip.dst, ip.payload, ip.payload_len) != 0)
		inv_bad_packet();
	if (ip.src != OUR_ADDR || ip.dst != PEER_ADDR || seg.sport == 0 || seg.dport == 0)
		inv_bad_packet();
	if (len > h->cfg.mtu)
		inv_packet_exceeds_mtu();
#ifdef FUZZ_STATEFUL_VERBOSE
	char line[256];
	VLOG("      out %s\n", synack_packet_format(pkt, len, line, sizeof(line)));
#endif
	struct pconn *c = conn_of_port(h, seg.dport);
	if (!c || (seg.flags & SYNACK_TCP_RST))
		return;
	if (c->oport == 0 && (seg.flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK)) == SYNACK_TCP_SYN)
		c->oport = seg.sport; /* the SYN of our connect() */
	if (seg.sport != c->oport)
		return; /* another (older) connection to the same peer port */
	if (seg.flags & SYNACK_TCP_SYN) {
		if (!c->have_iss || c->our_iss != seg.seq) {
			c->have_iss = true;
			c->our_iss = seg.seq;
			c->our_max = seg.seq + 1u;
		}
		c->our_syn_ts = (seg.opt.present & SYNACK_OPT_TS) != 0;
	} else if (c->have_iss && seg.payload_len > 0) {
		/* Our data: the application wrote pat[offset % PAT_PERIOD]. */
		uint32_t off = seg.seq - c->our_iss - 1u;
		if (memcmp(seg.payload, pat + off % PAT_PERIOD, seg.payload_len) != 0)
			inv_stream_data();
	}
	uint32_t end = seg.seq + synack_tcp_seg_len(&seg);
	if (!c->have_iss)
		c->our_max = end;
	else if (seq_gt(end, c->our_max))
		c->our_max = end;
	if (seg.flags & SYNACK_TCP_ACK) {
		c->have_ack = true;
		c->our_ack = seg.ack;
	}
	if (seg.opt.present & SYNACK_OPT_TS) {
		c->have_tsval = true;
		c->our_tsval = seg.opt.ts_val;
	}
}

#ifdef FUZZ_STATEFUL_GEN
static void on_trace(void *ctx, const struct synack_trace *ev)
{
	struct harness *h = ctx;
	if (ev->kind == SYNACK_TRACE_STATE)
		h->states_seen |= 1u << ev->new_state | 1u << ev->old_state;
}
#endif

/* ------------------------------------------------------------------ */
/* The peer's segments. */

struct segopt {
	struct synack_tcp_opts o;
	uint8_t raw[SYNACK_TCP_MAX_OPT_LEN];
	uint8_t rawlen;
};

static uint32_t peer_clock(const struct harness *h, const struct pconn *c)
{
	return c->ts_base + (uint32_t)(h->now / 1000u) + c->nseg;
}

static uint16_t decode_mss(struct rd *r)
{
	static const uint16_t tab[8] = {1460, 536, 1400, 8960, 65535, 1220, 48, 88};
	uint8_t s = rd8(r);
	switch (s >> 6) {
	case 0:
		return tab[s & 7];
	case 1:
		return s & 63; /* tiny: what a hostile peer sends */
	case 2:
		return (uint16_t)((s & 63) << 8 | rd8(r));
	default:
		return rd16(r);
	}
}

static void decode_opts(struct harness *h, struct pconn *c, struct rd *r, uint32_t ack, struct segopt *so)
{
	memset(so, 0, sizeof(*so));
	uint8_t m = rd8(r);
	if (m & 0x01) {
		so->o.present |= SYNACK_OPT_MSS;
		so->o.mss = decode_mss(r);
	}
	if (m & 0x02) {
		so->o.present |= SYNACK_OPT_WSCALE;
		so->o.wscale = rd8(r);
	}
	if (m & 0x04)
		so->o.present |= SYNACK_OPT_SACK_PERM;
	if (m & 0x08) {
		uint8_t mode = rd8(r);
		uint32_t clk = peer_clock(h, c), ours = c->have_tsval ? c->our_tsval : 0;
		so->o.present |= SYNACK_OPT_TS;
		switch (mode & 3) {
		case 0: so->o.ts_val = clk; break;
		case 1: so->o.ts_val = clk + sx16(rd16(r)); break;
		case 2: so->o.ts_val = clk + 0x7fffffffu - rd8(r); break;
		default: so->o.ts_val = rd32(r); break;
		}
		switch ((mode >> 2) & 3) {
		case 0: so->o.ts_ecr = ours; break;
		case 1: so->o.ts_ecr = 0; break;
		case 2: so->o.ts_ecr = ours + sx16(rd16(r)); break;
		default: so->o.ts_ecr = rd32(r); break;
		}
	}
	if (m & 0x10) {
		uint8_t n = rd8(r);
		so->o.present |= SYNACK_OPT_SACK;
		so->o.sack_count = (uint8_t)((n & 3) + 1);
		for (unsigned k = 0; k < so->o.sack_count; k++) {
			uint32_t start = ack + sx16(rd16(r));
			so->o.sack[k].start = start;
			so->o.sack[k].end = start + 32u * rd8(r);
		}
	}
	if (m & 0x20) {
		so->rawlen = (uint8_t)(rd8(r) % (SYNACK_TCP_MAX_OPT_LEN + 1));
		for (unsigned k = 0; k < so->rawlen; k++)
			so->raw[k] = rd8(r);
	}
}

/* What the sequence check will make of a segment, computed here from the
 * connection before the segment goes in: RFC 9293 3.10.7.4's four cases
 * over RCV.WND, the window we advertised (RCV.ADV - RCV.NXT); a RST judged
 * by its sequence number alone (RFC 5961 3.2).  Two allowances also let a
 * segment reach the TS.Recent update, both Linux's (tcp_sequence): at a
 * zero window a segment covering RCV.NXT has its ACK processed (RFC 9293's
 * "special allowance"), and a duplicate whose end reaches the last ACK we
 * sent (RCV.WUP) counts. */
struct ts_probe {
	const struct tcb *t;
	uint32_t iss, irs, ts_recent;
	bool acceptable;
};

static void ts_probe_before(struct harness *h, const struct pconn *c, uint16_t oport, uint8_t flags,
                            uint32_t seq, uint32_t ack, uint32_t plen, struct ts_probe *p)
{
	p->t = NULL;
	struct sk_common *sk = sk_lookup(h->st, OUR_ADDR, oport, PEER_ADDR, c->pport);
	if (!sk || sk->kind != SK_TCB)
		return;
	const struct tcb *t = sk_tcb(sk);
	if (!synchronized(t->state) || !tcb_has(t, TF_TS))
		return;
	uint32_t len = plen + ((flags & SYNACK_TCP_SYN) ? 1u : 0u) + ((flags & SYNACK_TCP_FIN) ? 1u : 0u);
	uint32_t wnd = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
	bool rst = (flags & SYNACK_TCP_RST) != 0;
	bool ok;
	if (len == 0 || rst)
		ok = wnd == 0 ? seq == t->rcv_nxt : seq - t->rcv_nxt < wnd;
	else
		ok = wnd != 0 && (seq - t->rcv_nxt < wnd || seq + len - 1u - t->rcv_nxt < wnd);
	if (!ok && !rst && len > 0 && wnd == 0 && seq_leq(seq, t->rcv_nxt) && seq_gt(seq + len, t->rcv_nxt))
		ok = true; /* the zero-window allowance */
	if (!ok && !rst && !(flags & SYNACK_TCP_SYN) && (flags & SYNACK_TCP_ACK) && len > 0 &&
	    seq_geq(seq + len, t->rcv_wup) && seq_leq(seq + len, t->rcv_nxt) && seq_leq(seq, t->rcv_wup))
		ok = true; /* the duplicate at the left edge */
	/* A simultaneous open's SYN+ACK skips the check (RFC 9293 figure 8). */
	if (t->state == SYNACK_SYN_RCVD && !tcb_has(t, TF_PASSIVE) &&
	    (flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK)) == (SYNACK_TCP_SYN | SYNACK_TCP_ACK) &&
	    seq + 1u == t->rcv_nxt && ack == t->snd_nxt && plen == 0)
		ok = true;
	p->t = t;
	p->iss = t->iss, p->irs = t->irs, p->ts_recent = t->ts_recent;
	p->acceptable = ok;
}

static void ts_probe_after(const struct ts_probe *p)
{
	const struct tcb *t = p->t;
	if (!t || p->acceptable || tcb_has(t, TF_FREE) || t->state == SYNACK_CLOSED || t->iss != p->iss ||
	    t->irs != p->irs)
		return;
	if (t->ts_recent != p->ts_recent) /* R05 */
		inv_ts_recent_changed_by_unacceptable_segment();
}

static void peer_send(struct harness *h, struct pconn *c, uint8_t flags, uint32_t seq, uint32_t ack,
                      uint16_t win, const struct segopt *so, uint32_t plen)
{
	static uint8_t pkt[65536];
	uint16_t oport = c->oport ? c->oport : LISTEN_PORT;
	uint8_t opt[SYNACK_TCP_MAX_OPT_LEN];
	size_t ol = synack_tcp_opts_build(opt, &so->o);
	size_t raw = so->rawlen < sizeof(opt) - ol ? so->rawlen : sizeof(opt) - ol;
	memcpy(opt + ol, so->raw, raw);
	ol += raw;
	size_t olpad = (ol + 3u) & ~(size_t)3u;
	memset(opt + ol, 0, olpad - ol); /* EOL */
	size_t hl = SYNACK_TCP_HDR_LEN + olpad;
	size_t maxp = 65535u - SYNACK_IPV4_HDR_LEN - hl;
	if (plen > maxp)
		plen = (uint32_t)maxp;
	struct synack_ipv4 ip = {.src = PEER_ADDR, .dst = OUR_ADDR, .proto = SYNACK_IPPROTO_TCP, .ttl = 64,
	                         .id = (uint16_t)c->nseg, .df = true};
	/* By hand rather than synack_tcp_build, for raw option bytes and for
	 * a checksum outside the instrumentation (fast_csum). */
	uint8_t *tcp = pkt + SYNACK_IPV4_HDR_LEN;
	size_t tcplen = hl + plen;
	memset(tcp, 0, SYNACK_TCP_HDR_LEN);
	put16(tcp, c->pport);
	put16(tcp + 2, oport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (uint8_t)((hl / 4u) << 4);
	tcp[13] = flags;
	put16(tcp + 14, win);
	memcpy(tcp + SYNACK_TCP_HDR_LEN, opt, olpad);
	seq_pattern_fill(tcp + hl, seq + ((flags & SYNACK_TCP_SYN) ? 1u : 0u), plen);
	size_t n = synack_ipv4_build(pkt, sizeof(pkt), &ip, tcplen);
	put16(tcp + 16, fast_csum(PEER_ADDR, OUR_ADDR, tcp, tcplen));
	n = n ? n + tcplen : 0;
	if (n == 0)
		__builtin_trap(); /* the harness built a bad packet */
#ifdef FUZZ_STATEFUL_VERBOSE
	char line[256];
	VLOG("      in  %s\n", synack_packet_format(pkt, n, line, sizeof(line)));
#endif
	struct ts_probe p;
	ts_probe_before(h, c, oport, flags, seq, ack, plen, &p);
	synack_input(h->st, pkt, n, h->now);
	ts_probe_after(&p);
	c->nseg++;
}

static void add_auto_ts(struct harness *h, struct pconn *c, struct segopt *so)
{
	so->o.present |= SYNACK_OPT_TS;
	so->o.ts_val = peer_clock(h, c);
	so->o.ts_ecr = c->have_tsval ? c->our_tsval : 0;
}

static void op_seg(struct harness *h, uint8_t param, struct rd *r)
{
	struct pconn *c = &h->conn[h->cur];
	uint8_t flags = rd8(r), ctl = rd8(r);
	if ((param & 8) && c->have_ack)
		c->peer_nxt = c->our_ack;
	uint32_t seq = c->peer_nxt, ack;
	switch (ctl & 3) {
	case 0: break;
	case 1: seq += sx16(rd16(r)); break;
	case 2: seq += (uint32_t)rd8(r) << 24; break;
	default: seq = rd32(r); break;
	}
	switch ((ctl >> 2) & 3) {
	case 0: ack = c->our_max; break;
	case 1: ack = c->our_max + sx16(rd16(r)); break;
	case 2: ack = c->our_iss + sx16(rd16(r)); break;
	default: ack = rd32(r); break;
	}
	uint32_t plen;
	switch ((ctl >> 4) & 3) {
	case 0: plen = 0; break;
	case 1: plen = rd8(r); break;
	case 2: plen = 16u * rd8(r); break;
	default: plen = rd16(r) % 9001u; break; /* up to a jumbo segment: larger ones only cost checksum time */
	}
	struct segopt so;
	if (ctl & 0x40)
		decode_opts(h, c, r, ack, &so);
	else
		memset(&so, 0, sizeof(so));
	uint16_t win = (ctl & 0x80) ? rd16(r) : 65535;
	unsigned reps = ((param >> 1) & 3u) + 1u;
	VLOG("  SEG conn %d flags %02x seq %u ack %u len %u win %u opts %02x x%u\n", h->cur, flags, seq, ack,
	     plen, win, so.o.present, reps);
	for (unsigned i = 0; i < reps; i++) {
		struct segopt s2 = so;
		if ((ctl & 3) == 0)
			seq = c->peer_nxt;
		if (!(param & 1) && !(s2.o.present & SYNACK_OPT_TS) && c->peer_syn_ts && c->our_syn_ts)
			add_auto_ts(h, c, &s2);
		if (flags & SYNACK_TCP_SYN)
			c->peer_syn_ts = (s2.o.present & SYNACK_OPT_TS) != 0;
		peer_send(h, c, flags, seq, ack, win, &s2, plen);
		uint32_t end = seq + plen + ((flags & SYNACK_TCP_SYN) ? 1u : 0u) + ((flags & SYNACK_TCP_FIN) ? 1u : 0u);
		if (flags & SYNACK_TCP_SYN) {
			c->peer_iss = seq;
			c->peer_nxt = end;
		} else if ((ctl & 3) == 0 || ((ctl & 3) == 1 && seq_gt(end, c->peer_nxt) && end - c->peer_nxt < (1u << 20))) {
			c->peer_nxt = end;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Socket calls. */

static void conn_reset_view(struct pconn *c)
{
	c->handle = -1;
	c->sent = c->rcvd = 0;
	c->have_iss = c->have_ack = c->have_tsval = false;
	c->our_syn_ts = c->peer_syn_ts = false;
	c->our_iss = c->our_max = c->our_ack = c->our_tsval = 0;
}

static int target(struct harness *h, struct pconn **cp)
{
	struct pconn *c = &h->conn[h->cur];
	*cp = c;
	return c->handle >= 0 ? c->handle : h->listener;
}

static void op_send(struct harness *h, uint8_t param)
{
	static const uint32_t sizes[16] = {65536, 1,    100,   1460, 4096,   65535, 70000, 16384,
	                                   2,     536,  8192,  30000, MAX_SEND, 3000, 500,   0};
	struct pconn *c;
	int s = target(h, &c);
	uint32_t n = sizes[param & 15];
	ssize_t r = synack_send(h->st, s, pat + c->sent % PAT_PERIOD, n, h->now);
	VLOG("  SEND %d bytes on %d: %zd\n", (int)n, s, r);
	if (r > 0 && s == c->handle)
		c->sent += (uint64_t)r;
}

static void op_recv(struct harness *h, uint8_t param)
{
	static const uint32_t sizes[8] = {MAX_SEND, 1, 100, 1000, 4096, 16384, 65536, 7};
	struct pconn *c;
	int s = target(h, &c);
	ssize_t r = synack_recv(h->st, s, iobuf, sizes[param & 7], h->now);
	VLOG("  RECV on %d: %zd\n", s, r);
	if (r <= 0 || s != c->handle)
		return;
	/* The peer's byte at sequence x is pattern(x); ours start at IRS + 1. */
	const struct tcb *t = tcb_from_sock(h->st, s);
	if (!t || !seq_pattern_ok(iobuf, t->irs + 1u + (uint32_t)c->rcvd, (uint32_t)r))
		inv_stream_data();
	c->rcvd += (uint64_t)r;
}

static void op_close(struct harness *h)
{
	struct pconn *c;
	int s = target(h, &c);
	VLOG("  CLOSE %d\n", s);
	synack_close(h->st, s, h->now);
	if (s == c->handle)
		c->handle = -1;
	else if (s == h->listener)
		h->listener = -1;
}

static void op_sockopt(struct harness *h, uint8_t param)
{
	struct pconn *c;
	int s = target(h, &c), v;
	VLOG("  SOCKOPT %u on %d\n", param, s);
	switch (param) {
	case 0: synack_setsockopt(h->st, s, SYNACK_TCP_NODELAY, 1); break;
	case 1: synack_setsockopt(h->st, s, SYNACK_TCP_NODELAY, 0); break;
	case 2: synack_setsockopt(h->st, s, SYNACK_SO_LINGER, -1); break;
	case 3: synack_setsockopt(h->st, s, SYNACK_SO_LINGER, 0); break;
	case 4: synack_setsockopt(h->st, s, SYNACK_SO_LINGER, 1); break;
	case 5: synack_setsockopt(h->st, s, SYNACK_SO_LINGER, 5); break;
	case 6: synack_setsockopt(h->st, s, SYNACK_SO_REUSEADDR, 1); break;
	case 7: synack_setsockopt(h->st, s, SYNACK_SO_REUSEADDR, 0); break;
	default:
		synack_getsockopt(h->st, s, (enum synack_sockopt)(param & 3), &v);
		(void)synack_sock_events(h->st, s);
		break;
	}
}

static void op_accept(struct harness *h)
{
	uint32_t addr;
	uint16_t port;
	int a = synack_accept(h->st, h->listener, &addr, &port);
	VLOG("  ACCEPT on %d: %d (port %u)\n", h->listener, a, a >= 0 ? port : 0);
	if (a < 0)
		return;
	struct pconn *c = conn_of_port(h, port);
	if (!c || addr != PEER_ADDR)
		__builtin_trap(); /* only the peer's ports ever connect */
	c->handle = a;
	c->sent = c->rcvd = 0;
	/* A SYN cookie is rebuilt from the ACK: an ACK a little below ISS + 1
	 * still decodes, to a smaller MSS index, as Linux's cookie_v4_check
	 * does, and the connection then counts from that ISS.  Our stream
	 * offsets follow the connection's ISS, not the SYN+ACK's. */
	const struct tcb *t = tcb_from_sock(h->st, a);
	if (t && t->sk.lport == c->oport && c->have_iss)
		c->our_iss = t->iss;
}

static void open_listener(struct harness *h, bool reuse)
{
	if (h->listener >= 0)
		return;
	int s = synack_socket(h->st);
	if (s < 0)
		return;
	if (reuse)
		synack_setsockopt(h->st, s, SYNACK_SO_REUSEADDR, 1);
	if (synack_bind(h->st, s, 0, LISTEN_PORT) != 0 || synack_listen(h->st, s, h->backlog) != 0) {
		synack_close(h->st, s, h->now);
		return;
	}
	h->listener = s;
}

static void open_client(struct harness *h, struct pconn *c, bool reuse, bool bind)
{
	int s = synack_socket(h->st);
	if (s < 0)
		return;
	conn_reset_view(c);
	c->oport = 0;
	c->handle = s;
	if (reuse)
		synack_setsockopt(h->st, s, SYNACK_SO_REUSEADDR, 1);
	if (bind)
		synack_bind(h->st, s, 0, BIND_PORT);
	int e = synack_connect(h->st, s, PEER_ADDR, c->pport, h->now);
	VLOG("  CONNECT %d to %u: %d\n", s, c->pport, e);
	if (e != -EINPROGRESS)
		c->oport = LISTEN_PORT; /* nothing was sent */
}

static void op_open(struct harness *h, uint8_t param)
{
	if (param & 1)
		open_listener(h, param & 2);
	else
		open_client(h, &h->conn[h->cur], param & 2, param & 4);
}

static void poll_at(struct harness *h)
{
	synack_poll(h->st, h->now);
}

static void op_advance(struct harness *h, uint8_t param)
{
	static const synack_time_t steps[16] = {
	        SYNACK_MS(1),   SYNACK_MS(10),   SYNACK_MS(40),   SYNACK_MS(200),
	        SYNACK_MS(500), SYNACK_SEC(1),   SYNACK_SEC(3),   SYNACK_SEC(10),
	        SYNACK_SEC(31), SYNACK_SEC(61),  SYNACK_SEC(121), SYNACK_SEC(600),
	        SYNACK_SEC(3600), SYNACK_SEC(25u * 24u * 3600u), 0, 100};
	if (param == 14) {
		synack_time_t t = synack_next_timeout(h->st);
		if (t != SYNACK_TIME_NEVER && t > h->now)
			h->now = t;
	} else {
		h->now += steps[param];
	}
	VLOG("  ADVANCE to %llu\n", (unsigned long long)h->now);
	poll_at(h);
}

static void op_pollnext(struct harness *h, uint8_t param)
{
	for (unsigned i = 0; i <= param; i++) {
		synack_time_t t = synack_next_timeout(h->st);
		if (t == SYNACK_TIME_NEVER)
			break;
		if (t > h->now)
			h->now = t;
		VLOG("  POLL at %llu\n", (unsigned long long)h->now);
		poll_at(h);
		check_all(h);
	}
}

static void run_op(struct harness *h, struct rd *r)
{
	uint8_t b = rd8(r), param = b >> 4;
	switch (b & 15) {
	case 0: case 1: case 2: case 3: op_seg(h, param, r); break;
	case 4: case 5: op_send(h, param); break;
	case 6: op_recv(h, param); break;
	case 7: case 8: op_advance(h, param); break;
	case 9: op_pollnext(h, param); break;
	case 10: op_close(h); break;
	case 11: {
		struct pconn *c;
		int s = target(h, &c);
		VLOG("  SHUTDOWN %d how %u\n", s, param % 3u);
		synack_shutdown(h->st, s, (int)(param % 3u), h->now);
		break;
	}
	case 12: op_sockopt(h, param); break;
	case 13: op_accept(h); break;
	case 14: h->cur = param & 3; VLOG("  SELECT %d\n", h->cur); break;
	default: op_open(h, param); break;
	}
}

/* ------------------------------------------------------------------ */
/* Setup and teardown. */

/* Stacks are reused: making one per input costs ~2 ms under ASan (its
 * buffers are large, so each is mmap'd, shadow-poisoned and faulted in).
 * One stack per sizing configuration (the fields synack_stack_new sizes its
 * pools from) is made with canonical values for everything else and
 * snapshotted: the sanitizer's malloc hook records every block
 * synack_stack_new allocates (all the memory a stack ever uses, synack.h),
 * and after each input every block is copied back from its snapshot, so
 * the stack is byte for byte a fresh one and no state (clock, RNG,
 * counters, ISN keys) carries over from one input to the next.  Two large
 * blocks that start zeroed are zeroed where they were used instead of
 * copied: the connection buffers (the slots of connections that existed)
 * and the TIME_WAIT per-port counts.  The knobs read only at run time
 * (mtu, timestamps, ...) are then set on the restored stack's config.
 * Without the malloc hooks (no sanitizer runtime) every input makes and
 * frees its own stack. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *))
        __attribute__((weak));

#define MAX_BLOCKS 32
#define NSIZINGS 64

struct block {
	uint8_t *p, *copy; /* copy NULL: a large zeroed block, restored by hand */
	size_t len;
};

struct cached {
	struct synack_stack *st;
	unsigned n;
	struct block b[MAX_BLOCKS];
};

static struct {
	bool on, overflow;
	unsigned n;
	struct block b[MAX_BLOCKS];
} rec;
static struct cached cache[NSIZINGS];
static bool hooks_ok;

static void rec_malloc(const volatile void *p, size_t len)
{
	if (!rec.on)
		return;
	if (rec.n == MAX_BLOCKS) {
		rec.overflow = true;
		return;
	}
	rec.b[rec.n].p = (uint8_t *)(uintptr_t)p;
	rec.b[rec.n].len = len;
	rec.n++;
}

static void rec_free(const volatile void *p)
{
	if (!rec.on)
		return;
	for (unsigned i = 0; i < rec.n; i++)
		if (rec.b[i].p == (const volatile uint8_t *)p) {
			rec.b[i] = rec.b[--rec.n];
			return;
		}
}

static void hooks_init(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	hooks_ok = __sanitizer_install_malloc_and_free_hooks &&
	           __sanitizer_install_malloc_and_free_hooks(rec_malloc, rec_free) != 0;
}

static struct synack_stack *new_stack(struct harness *h, const struct synack_config *cfg)
{
	struct synack_hooks hooks = {.tx = on_tx, .ctx = h};
#ifdef FUZZ_STATEFUL_GEN
	hooks.trace = on_trace;
#endif
	struct synack_stack *st = synack_stack_new(cfg, &hooks, NULL);
	if (!st)
		__builtin_trap(); /* every config the header can express is valid */
	return st;
}

/* A fresh stack of this sizing, from the cache when possible. */
static struct synack_stack *get_stack(struct harness *h, unsigned key, const struct synack_config *cfg)
{
	struct cached *c = &cache[key];
	if (c->st)
		return c->st;
	if (!hooks_ok)
		return new_stack(h, cfg);
	rec.on = true;
	rec.n = 0;
	rec.overflow = false;
	struct synack_stack *st = new_stack(h, cfg);
	rec.on = false;
	if (rec.overflow)
		return st; /* more blocks than we can track: not cached */
	c->n = rec.n;
	for (unsigned i = 0; i < rec.n; i++) {
		struct block *b = &c->b[i];
		*b = rec.b[i];
		b->copy = NULL;
		if (b->p == st->tcp.bufmem || b->p == (uint8_t *)st->tcp.tw->ports)
			continue;
		b->copy = malloc(b->len);
		if (!b->copy)
			__builtin_trap();
		memcpy(b->copy, b->p, b->len);
	}
	c->st = st;
	return st;
}

/* Back to the state synack_stack_new left it in (or freed, if not cached). */
static void put_stack(unsigned key, struct synack_stack *st)
{
	struct cached *c = &cache[key];
	if (c->st != st) {
		synack_stack_free(st);
		return;
	}
	/* Connection buffers: each slot that ever held a connection
	 * (tcb_alloc sets its timer callback; a fresh pool has none). */
	size_t per = (size_t)st->cfg.rmem + st->cfg.wmem;
	for (unsigned i = 0; i < st->cfg.max_sockets; i++)
		if (st->tcp.pool[i].timer.fire)
			memset(st->tcp.bufmem + i * per, 0, per);
	/* TIME_WAIT port counts: only the ports of entries ever used move. */
	struct tw_table *tw = st->tcp.tw;
	for (unsigned i = 0; i < tw->used; i++)
		memset(&tw->ports[tw->pool[i].sk.lport], 0, sizeof(tw->ports[0]));
	for (unsigned i = 0; i < c->n; i++)
		if (c->b[i].copy)
			memcpy(c->b[i].p, c->b[i].copy, c->b[i].len);
#ifdef FUZZ_STATEFUL_CHECK_RESET
	for (unsigned i = 0; i < c->n; i++)
		for (size_t k = 0; !c->b[i].copy && k < c->b[i].len; k++)
			if (c->b[i].p[k] != 0)
				__builtin_trap(); /* a zeroed block was not restored */
#endif
}

static unsigned make_stack(struct harness *h, struct rd *r, bool *auto_seg)
{
	static const uint32_t rmem[4] = {16384, 131072, 1024, 65536};
	static const uint32_t wmem[4] = {131072, 16384, 1024, 70000};
	static const uint16_t mtu[8] = {1500, 576, 9000, 1280, 68, 100, 65535, 1460};
	static const uint8_t cookies[4] = {1, 0, 2, 1};
	static const int backlog[8] = {4, 0, 1, 2, 8, 16, 3, 5};
	uint8_t h0 = rd8(r), h1 = rd8(r), h2 = rd8(r), h3 = rd8(r), h4 = rd8(r), h5 = rd8(r);
	/* Sizing: what synack_stack_new allocates by. */
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.addr = OUR_ADDR;
	cfg.seed = 1;
	cfg.max_sockets = MAX_SOCKETS;
	cfg.rmem = rmem[h1 & 3];
	cfg.wmem = wmem[(h1 >> 2) & 3];
	cfg.max_syn_backlog = (h2 & 0x08) ? 1 : 4;
	cfg.max_tw_buckets = (h2 & 0x10) ? 0 : 4;
	unsigned key = (h1 & 15u) | (h2 & 0x18u) << 1;
	h->st = get_stack(h, key, &cfg);
	/* Read at run time only: set on the (fresh or restored) stack. */
	struct synack_config *c = &h->st->cfg;
	c->timestamps = !(h0 & 0x02);
	c->sack = !(h0 & 0x04);
	c->window_scaling = !(h0 & 0x08);
	c->syncookies = cookies[(h0 >> 4) & 3];
	c->mtu = mtu[(h1 >> 4) & 7];
	c->rfc1337 = !(h2 & 0x20);
	h->cfg = *c;
	h->client = h0 & 1;
	h->backlog = backlog[h2 & 7];
	h->now = SYNACK_SEC(1) + ((synack_time_t)h3 << 24);
	h->listener = -1;
	for (unsigned k = 0; k < NCONN; k++) {
		struct pconn *pc = &h->conn[k];
		conn_reset_view(pc);
		pc->pport = (uint16_t)(PEER_PORT_BASE + k);
		pc->oport = h->client ? 0 : LISTEN_PORT;
		pc->peer_iss = pc->peer_nxt = ((uint32_t)h4 << 24) + 0x00abcdefu + k * 0x01000000u;
		pc->ts_base = ((uint32_t)h5 << 24) + 0x1000u + k * 0x100000u;
		pc->nseg = 0;
	}
	*auto_seg = (h0 & 0x40) == 0;
	return key;
}

static void setup(struct harness *h, struct rd *r, bool auto_seg)
{
	struct pconn *c = &h->conn[0];
	struct segopt so;
	if (!h->client) {
		open_listener(h, false);
		decode_opts(h, c, r, 0, &so);
		if (!auto_seg)
			return;
		c->peer_syn_ts = (so.o.present & SYNACK_OPT_TS) != 0;
		VLOG("  setup: SYN opts %02x mss %u\n", so.o.present, so.o.mss);
		peer_send(h, c, SYNACK_TCP_SYN, c->peer_iss, 0, 65535, &so, 0);
	} else {
		open_client(h, c, false, false);
		decode_opts(h, c, r, c->our_max, &so);
		if (!auto_seg)
			return;
		c->peer_syn_ts = (so.o.present & SYNACK_OPT_TS) != 0;
		VLOG("  setup: SYN+ACK opts %02x mss %u\n", so.o.present, so.o.mss);
		peer_send(h, c, SYNACK_TCP_SYN | SYNACK_TCP_ACK, c->peer_iss, c->our_max, 65535, &so, 0);
	}
	c->peer_nxt = c->peer_iss + 1u;
}

/* Closes every handle and runs the clock until no timer is left; then the
 * stack must hold nothing at all. */
static void drain(struct harness *h)
{
	struct synack_stack *st = h->st;
	for (unsigned i = 0; i < h->cfg.max_sockets; i++) {
		const struct tcb *t = &st->tcp.pool[i];
		if (!tcb_has(t, TF_FREE) && tcb_has(t, TF_USER))
			synack_close(st, (int)i, h->now);
	}
	check_all(h);
	unsigned n;
	for (n = 0; n < DRAIN_LIMIT; n++) {
		synack_time_t t = synack_next_timeout(st);
		if (t == SYNACK_TIME_NEVER)
			break;
		h->now = t > h->now ? t : h->now + SYNACK_MS(1);
		poll_at(h);
		check_all(h);
	}
	if (n == DRAIN_LIMIT)
		inv_drain_never_ends();
	for (unsigned i = 0; i < h->cfg.max_sockets; i++)
		if (!tcb_has(&st->tcp.pool[i], TF_FREE))
			inv_leak();
	for (unsigned i = 0; i < h->cfg.max_syn_backlog; i++)
		if (st->tcp.reqs[i].sk.kind == SK_REQ)
			inv_leak();
	if (st->tcp.tw->count != 0)
		inv_leak();
}

static struct harness H;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pat_init();
	hooks_init();
	struct harness *h = &H;
	memset(h, 0, sizeof(*h));
	struct rd r = {data, size};
	bool auto_seg;
	unsigned key = make_stack(h, &r, &auto_seg);
	bool do_drain = size == 0 || !(data[0] & 0x80);
	VLOG("stack: %s ts %d sack %d ws %d cookies %u rmem %u wmem %u mtu %u backlog %d\n",
	     h->client ? "client" : "listener", h->cfg.timestamps, h->cfg.sack, h->cfg.window_scaling,
	     h->cfg.syncookies, h->cfg.rmem, h->cfg.wmem, h->cfg.mtu, h->backlog);
	setup(h, &r, auto_seg);
	check_all(h);
	for (unsigned k = 0; k < MAX_OPS && r.n > 0; k++) {
		run_op(h, &r);
		check_all(h);
	}
	if (do_drain)
		drain(h);
	put_stack(key, h->st);
	h->st = NULL;
	return 0;
}

#ifdef FUZZ_STATEFUL_GEN
/* Plays each input file named on the command line and prints the states its
 * connections went through: the check that the seed corpus reaches every
 * state (see the header comment for the build line). */
int main(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	uint32_t all = 0;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f)
			return 1;
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		printf("%s:", argv[i]);
		for (int s = 0; s < 11; s++)
			if (H.states_seen & (1u << s))
				printf(" %s", synack_state_name((enum synack_tcp_state)s));
		printf("\n");
		all |= H.states_seen;
	}
	printf("all seeds:");
	for (int s = 0; s < 11; s++)
		if (all & (1u << s))
			printf(" %s", synack_state_name((enum synack_tcp_state)s));
	printf("\n");
	return 0;
}
#endif
