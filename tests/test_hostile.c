/* A hostile or broken peer: values from the wire that must be bounded
 * before the stack does arithmetic with them (SPEC W05), TS.Recent that a
 * blind segment must not move (R05), and the data-path rules an outside
 * review found broken: the advertised right edge (D02), the first SACK
 * block (D08), the ACK of a segment that arrives at a zero window and an
 * old ACK's window (D02), RTT samples from a forged TSecr (D03).
 *
 * Every test plays the peer as a raw host, so each segment it sends is
 * exactly the one the test means, and each answer is captured. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"

static const struct synack_link_model link1ms = {.delay_us = 1000};
#define MIN_PAYLOAD 8 /* the least payload a data segment carries, whatever the MTU */

/* Stack settings for the next connection (the config hook has no context). */
static struct {
	uint32_t rmem;
	uint16_t mtu;
	int syncookies;
} knob;

static void tweak(struct synack_config *cfg, int col)
{
	(void)col;
	if (knob.rmem)
		cfg->rmem = knob.rmem;
	if (knob.mtu)
		cfg->mtu = knob.mtu;
	if (knob.syncookies >= 0)
		cfg->syncookies = knob.syncookies;
}

/* One connection between a stack and a raw peer the test plays. */
struct rawconn {
	struct scn x;
	struct rawcap cap;
	bool live;
	int raw;             /* the raw peer's column: C (the stack is the server) or S */
	int l, a;            /* the stack's listener and connection handles */
	uint16_t pport;      /* the raw peer's port */
	uint32_t seq;        /* the raw peer's SND.NXT */
	uint32_t ack;        /* the raw peer's RCV.NXT: the stack's SND.NXT */
	uint32_t tsval;      /* the raw peer's TSval clock */
	uint32_t tsecr;      /* the last TSval the stack sent */
	bool ts;
};

static struct rawconn R;

static int teardown(void **state)
{
	(void)state;
	if (R.live) {
		scn_free(&R.x);
		R.live = false;
	}
	memset(&knob, 0, sizeof(knob));
	return 0;
}

static void rc_init(int raw_col)
{
	memset(&R, 0, sizeof(R));
	scn_init_ex(&R.x, 17, &link1ms, &link1ms, tweak, raw_col, &R.cap);
	R.live = true;
	R.raw = raw_col;
	R.pport = 40000;
	R.tsval = 5000;
}

static struct synack_stack *rc_stack(void)
{
	return R.raw == C ? R.x.s : R.x.c;
}

/* The segment the stack sent last. */
static const struct synack_tcp_seg *rc_last(void)
{
	assert_true(R.cap.n > 0);
	return &R.cap.p[R.cap.n - 1].seg;
}

/* The raw peer sends a segment with the given window and options (TSval
 * and TSecr are filled in when timestamps are on and o asks for none). */
static void rc_send_full(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t window, struct synack_tcp_opts *o,
                         const void *data, uint32_t len)
{
	struct synack_tcp_seg s;
	memset(&s, 0, sizeof(s));
	s.sport = R.pport;
	s.dport = 80;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.window = window;
	s.payload = data;
	s.payload_len = len;
	if (o)
		s.opt = *o;
	if (R.ts && !(s.opt.present & SYNACK_OPT_TS)) {
		s.opt.present |= SYNACK_OPT_TS;
		s.opt.ts_val = ++R.tsval;
		s.opt.ts_ecr = R.tsecr;
	}
	uint32_t src = R.raw == C ? CLIENT_ADDR : SERVER_ADDR, dst = R.raw == C ? SERVER_ADDR : CLIENT_ADDR;
	struct synack_ipv4 ip = {.src = src, .dst = dst, .ttl = 64, .df = true};
	uint8_t buf[2048];
	size_t n = synack_tcp_build(buf, sizeof(buf), &ip, &s);
	assert_true(n > 0);
	synack_sim_inject(R.x.sim, R.raw == C ? R.x.cnode : R.x.snode, buf, n);
	scn_run_for(&R.x, SYNACK_MS(5));
	if (R.cap.n > 0 && (rc_last()->opt.present & SYNACK_OPT_TS))
		R.tsecr = rc_last()->opt.ts_val;
}

static void rc_send(uint8_t flags, uint32_t seq, uint32_t ack, const void *data, uint32_t len)
{
	rc_send_full(flags, seq, ack, 65535, NULL, data, len);
}

/* The stack listens on :80 and the raw peer opens a connection with the
 * options of syn (MSS, window scale, SACK-permitted, timestamps). */
static void rc_passive_open(const struct synack_tcp_opts *syn)
{
	rc_init(C);
	struct synack_stack *st = R.x.s;
	R.l = synack_socket(st);
	assert_int_equal(synack_bind(st, R.l, 0, 80), 0);
	assert_int_equal(synack_listen(st, R.l, 8), 0);
	struct synack_tcp_opts o = *syn;
	R.ts = (o.present & SYNACK_OPT_TS) != 0;
	if (R.ts)
		o.ts_val = R.tsval;
	rc_send_full(SYNACK_TCP_SYN, 1000, 0, 65535, &o, NULL, 0);
	const struct synack_tcp_seg *sa = rc_last();
	assert_int_equal(sa->flags, SYNACK_TCP_SYN | SYNACK_TCP_ACK);
	R.seq = 1001;
	R.ack = sa->seq + 1;
	rc_send(SYNACK_TCP_ACK, R.seq, R.ack, NULL, 0);
	R.a = synack_accept(st, R.l, NULL, NULL);
	assert_true(R.a >= 0);
	assert_int_equal(scn_state_of(st, R.a), SYNACK_ESTABLISHED);
}

static struct synack_sockinfo rc_info(void)
{
	struct synack_sockinfo i;
	assert_int_equal(synack_sockinfo(rc_stack(), R.a, &i), 0);
	return i;
}

/* The stack sends `len` bytes and the test checks every data segment. */
static void send_and_check_segments(uint32_t len, uint32_t max_payload)
{
	static uint8_t big[65536];
	memset(big, 'x', sizeof(big));
	assert_true(len <= sizeof(big));
	struct synack_stack *st = rc_stack();
	int before = R.cap.n;
	ssize_t n = synack_send(st, R.a, big, len, scn_now(&R.x));
	assert_true(n > 0);
	scn_run_for(&R.x, SYNACK_MS(5));
	assert_true(R.cap.n > before);
	for (int i = before; i < R.cap.n; i++)
		assert_true(R.cap.p[i].seg.payload_len <= max_payload);
}

static struct synack_tcp_opts syn_ts_mss(uint16_t mss)
{
	struct synack_tcp_opts o;
	memset(&o, 0, sizeof(o));
	o.present = SYNACK_OPT_MSS | SYNACK_OPT_TS;
	o.mss = mss;
	return o;
}

/* ------------------------------------------------------------------ */
/* W05: the peer's MSS.  An MSS option of 0-11 beside timestamps used to
 * wrap `mss - 12` to ~65524 and overflow the transmit buffer on the next
 * large send.  Linux clamps the peer's MSS to tcp_min_snd_mss (48) and
 * then leaves room for the timestamps: 36 bytes of payload; an MSS of 0
 * is ignored (536 assumed), as Linux's tcp_parse_options. */

static uint16_t expected_mss(uint16_t peer, bool ts, uint16_t mtu)
{
	int ours = mtu - 40, floor = ours < 48 ? ours : 48;
	int m = peer == 0 ? 536 : peer;
	m = m < ours ? m : ours;
	m = m < floor ? floor : m;
	return (uint16_t)(m - (ts ? 12 : 0));
}

static void test_W05_tiny_mss_passive_clamped_no_overflow(void **state)
{
	(void)state;
	const uint16_t values[] = {0, 1, 5, 11, 12, 13, 40, 47, 48, 49, 100, 536, 1460, 9000, 65535};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		knob.rmem = 1u << 17;
		knob.syncookies = -1;
		struct synack_tcp_opts o = syn_ts_mss(values[i]);
		rc_passive_open(&o);
		uint16_t want = expected_mss(values[i], true, 1500);
		struct synack_sockinfo info = rc_info();
		if (info.snd_mss != want)
			fprintf(stdout, "peer MSS %u: snd_mss %u, want %u\n", values[i], info.snd_mss, want);
		assert_int_equal(info.snd_mss, want);
		/* The peer's window takes a large send at once: every segment
		 * within the clamped MSS, nothing written past the buffer. */
		send_and_check_segments(60000, want);
		teardown(NULL);
	}
}

/* Without timestamps the floor is 48 itself; with a small MTU the floor
 * is what the MTU allows, never more (RFC 791's 68 bytes at the least). */
static void test_W05_mss_floor_respects_mtu(void **state)
{
	(void)state;
	struct {
		uint16_t mtu, peer;
		bool ts;
	} rows[] = {{1500, 1, false}, {1500, 47, false}, {68, 1460, false}, {68, 1, false},
	            {100, 1, true},   {100, 1460, true}, {576, 1, true},   {9000, 9000, true}};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		knob.mtu = rows[i].mtu;
		knob.syncookies = -1;
		struct synack_tcp_opts o = syn_ts_mss(rows[i].peer);
		if (!rows[i].ts)
			o.present &= (uint8_t)~SYNACK_OPT_TS;
		rc_passive_open(&o);
		uint16_t want = expected_mss(rows[i].peer, rows[i].ts, rows[i].mtu);
		if (want < MIN_PAYLOAD)
			want = MIN_PAYLOAD;
		assert_int_equal(rc_info().snd_mss, want);
		send_and_check_segments(4000, want);
		/* No packet the stack sent is larger than its MTU. */
		for (int k = 0; k < R.cap.n; k++)
			assert_true(R.cap.p[k].ip.total_len <= rows[i].mtu || rows[i].mtu < 80);
		teardown(NULL);
	}
}

/* The SYN cookie path rebuilds the MSS from its table: a tiny MSS rounds
 * up to 536 there, as Linux's, and the connection stays within it. */
static void test_W05_tiny_mss_cookie_path(void **state)
{
	(void)state;
	for (uint16_t mss = 0; mss <= 12; mss += 4) {
		knob.syncookies = 2;
		struct synack_tcp_opts o = syn_ts_mss(mss);
		rc_passive_open(&o);
		assert_true(synack_get_counters(R.x.s)->TcpExtSyncookiesRecv == 1);
		assert_int_equal(rc_info().snd_mss, 536 - 12);
		send_and_check_segments(20000, 536 - 12);
		teardown(NULL);
	}
}

/* The active path: a SYN+ACK with MSS 5 and timestamps reaches SYN_SENT. */
static void test_W05_tiny_mss_active_clamped_no_overflow(void **state)
{
	(void)state;
	for (uint16_t mss = 0; mss <= 13; mss++) {
		knob.syncookies = -1;
		knob.rmem = 1u << 17;
		rc_init(S);
		struct synack_stack *st = R.x.c;
		R.a = synack_socket(st);
		assert_int_equal(synack_connect(st, R.a, SERVER_ADDR, 80, scn_now(&R.x)), -EINPROGRESS);
		scn_run_for(&R.x, SYNACK_MS(5));
		const struct synack_tcp_seg *syn = rc_last();
		assert_int_equal(syn->flags, SYNACK_TCP_SYN);
		R.pport = 80;
		R.ts = true;
		R.tsecr = syn->opt.ts_val;
		R.ack = syn->seq + 1;
		R.seq = 7000;
		struct synack_tcp_opts o = syn_ts_mss(mss);
		o.ts_val = R.tsval;
		o.ts_ecr = R.tsecr;
		/* The raw server answers from port 80 to the client's port. */
		struct synack_tcp_seg s;
		memset(&s, 0, sizeof(s));
		s.sport = 80;
		s.dport = syn->sport;
		s.seq = R.seq;
		s.ack = R.ack;
		s.flags = SYNACK_TCP_SYN | SYNACK_TCP_ACK;
		s.window = 65535;
		s.opt = o;
		struct synack_ipv4 ip = {.src = SERVER_ADDR, .dst = CLIENT_ADDR, .ttl = 64, .df = true};
		uint8_t buf[256];
		size_t n = synack_tcp_build(buf, sizeof(buf), &ip, &s);
		synack_sim_inject(R.x.sim, R.x.snode, buf, n);
		scn_run_for(&R.x, SYNACK_MS(5));
		assert_int_equal(scn_state_of(st, R.a), SYNACK_ESTABLISHED);
		uint16_t want = expected_mss(mss, true, 1500);
		assert_int_equal(rc_info().snd_mss, want);
		send_and_check_segments(60000, want);
		teardown(NULL);
	}
}

/* ------------------------------------------------------------------ */
/* R05: TS.Recent moves only for a segment that passed the window check.
 * Before the fix one spoofed ACK far outside the window with a TSval half
 * the clock ahead became TS.Recent, and PAWS then dropped every segment of
 * the real peer: a one-packet kill. */

static void ts_established(void)
{
	struct synack_tcp_opts o = syn_ts_mss(1460);
	rc_passive_open(&o);
	rc_send(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq, R.ack, "hello", 5);
	R.seq += 5;
	char buf[16];
	assert_int_equal(synack_recv(R.x.s, R.a, buf, sizeof(buf), scn_now(&R.x)), 5);
}

static void test_R05_blind_out_of_window_tsval_cannot_poison_ts_recent(void **state)
{
	(void)state;
	const uint32_t offsets[] = {1u << 31, (1u << 31) + 1, 0x90000000u, 0xF0000000u, 1u << 30, 200000};
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		knob.syncookies = -1;
		ts_established();
		/* The attacker: the right 4-tuple and ACK, a sequence number far
		 * outside the window, a TSval just under 2^31 ahead. */
		struct synack_tcp_opts o = {.present = SYNACK_OPT_TS, .ts_val = R.tsval + 0x7fffffffu, .ts_ecr = R.tsecr};
		rc_send_full(SYNACK_TCP_ACK, R.seq + offsets[i], R.ack, 65535, &o, NULL, 0);
		rc_send_full(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq + offsets[i], R.ack, 65535, &o, "evil", 4);
		/* The real peer's next segment, TSval one tick newer, is taken. */
		rc_send(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq, R.ack, "world", 5);
		char buf[16];
		assert_int_equal(synack_recv(R.x.s, R.a, buf, sizeof(buf), scn_now(&R.x)), 5);
		assert_memory_equal(buf, "world", 5);
		assert_int_equal(synack_get_counters(R.x.s)->TcpExtPAWSEstab, 0);
		teardown(NULL);
	}
}

/* An in-window segment whose ACK acknowledges data never sent is dropped
 * (RFC 5961 5.2): its TSval must not count either (Linux updates
 * TS.Recent only in tcp_ack, after the ACK check). */
static void test_R05_unacceptable_ack_cannot_poison_ts_recent(void **state)
{
	(void)state;
	knob.syncookies = -1;
	ts_established();
	struct synack_tcp_opts o = {.present = SYNACK_OPT_TS, .ts_val = R.tsval + 0x7fffffffu, .ts_ecr = R.tsecr};
	rc_send_full(SYNACK_TCP_ACK, R.seq, R.ack + 100000, 65535, &o, NULL, 0);
	rc_send(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq, R.ack, "world", 5);
	char buf[16];
	assert_int_equal(synack_recv(R.x.s, R.a, buf, sizeof(buf), scn_now(&R.x)), 5);
	assert_int_equal(synack_get_counters(R.x.s)->TcpExtPAWSEstab, 0);
}

/* The TSval of an in-order segment is what the next ACK echoes (RFC 7323
 * 4.3), and so is that of a retransmission of data we already had when our
 * ACK for it was lost (Linux's left edge, end >= RCV.WUP): the sender
 * must not measure its own backoff as a round trip. */
static void test_R05_ts_recent_follows_in_order_and_needless_retransmission(void **state)
{
	(void)state;
	knob.syncookies = -1;
	ts_established();
	rc_send(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq, R.ack, "abc", 3);
	assert_int_equal(rc_last()->opt.ts_ecr, R.tsval);
	/* Again, as if the ACK was lost: a full duplicate, a newer TSval. */
	rc_send(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq, R.ack, "abc", 3);
	assert_int_equal(rc_last()->ack, R.seq + 3);
	assert_int_equal(rc_last()->opt.ts_ecr, R.tsval);
	R.seq += 3;
	/* Out of order: not recorded (it starts after the last ACK sent). */
	uint32_t in_order_ts = R.tsval;
	rc_send(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq + 10, R.ack, "zz", 2);
	assert_int_equal(rc_last()->opt.ts_ecr, in_order_ts);
}

/* ------------------------------------------------------------------ */
/* D03 / W05: a TSecr from the future is no RTT sample (Linux's
 * tcp_rtt_tsopt_us); it used to pin the RTO at its 120 s ceiling. */

static void test_D03_W05_future_tsecr_gives_no_rtt_sample(void **state)
{
	(void)state;
	const uint32_t ahead[] = {1000, 100000, 1u << 20, 1u << 31, 0xC0000000u};
	for (size_t i = 0; i < sizeof(ahead) / sizeof(ahead[0]); i++) {
		knob.syncookies = -1;
		ts_established();
		struct synack_sockinfo before = rc_info();
		assert_int_equal(synack_send(R.x.s, R.a, "data", 4, scn_now(&R.x)), 4);
		scn_run_for(&R.x, SYNACK_MS(5));
		uint32_t sent_ts = rc_last()->opt.ts_val;
		struct synack_tcp_opts o = {.present = SYNACK_OPT_TS, .ts_val = ++R.tsval, .ts_ecr = sent_ts + ahead[i]};
		rc_send_full(SYNACK_TCP_ACK, R.seq, R.ack + 4, 65535, &o, NULL, 0);
		struct synack_sockinfo after = rc_info();
		assert_int_equal(after.snd_una, R.ack + 4); /* the ACK itself counts */
		assert_int_equal(after.srtt_us, before.srtt_us);
		assert_int_equal(after.rto_us, before.rto_us);
		teardown(NULL);
	}
}

/* ------------------------------------------------------------------ */
/* D02: the right edge of the advertised window never moves left (RFC
 * 9293 3.8.6, RFC 1122 4.2.2.16), even when window scaling drops the low
 * bits: odd-sized segments used to pull it back a byte at a time. */

static void test_D02_scaled_window_right_edge_never_moves_left(void **state)
{
	(void)state;
	knob.syncookies = -1;
	knob.rmem = 1u << 18; /* window scale 3: units of 8 bytes */
	struct synack_tcp_opts o = syn_ts_mss(1460);
	o.present |= SYNACK_OPT_WSCALE;
	o.wscale = 0;
	rc_passive_open(&o);
	uint8_t shift = rc_info().rcv_wscale;
	assert_true(shift >= 2);
	uint32_t edge = 0;
	bool have_edge = false;
	for (uint32_t len = 1; len <= 40; len++) {
		static const uint8_t data[64];
		rc_send(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq, R.ack, data, len);
		R.seq += len;
		const struct synack_tcp_seg *a = rc_last();
		assert_int_equal(a->ack, R.seq);
		uint32_t right = a->ack + ((uint32_t)a->window << shift);
		if (have_edge && (int32_t)(right - edge) < 0)
			fail_msg("after %u bytes the right edge moved left: %u < %u", len, right, edge);
		edge = right;
		have_edge = true;
	}
}

/* ------------------------------------------------------------------ */
/* D08: the first SACK block holds the segment that arrived last (RFC 2018
 * 4, a MUST); it used to be the lowest block. */

static void test_D08_first_sack_block_is_most_recent(void **state)
{
	(void)state;
	knob.syncookies = -1;
	struct synack_tcp_opts o = syn_ts_mss(1460);
	o.present |= SYNACK_OPT_SACK_PERM;
	rc_passive_open(&o);
	static const uint8_t data[100];
	const uint32_t starts[] = {500, 300, 700, 100};
	for (size_t i = 0; i < 4; i++) {
		rc_send(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq + starts[i], R.ack, data, 100);
		const struct synack_tcp_seg *a = rc_last();
		assert_int_equal(a->ack, R.seq); /* the hole at the front stays */
		assert_true(a->opt.present & SYNACK_OPT_SACK);
		assert_int_equal(a->opt.sack_count, i + 1 < 3 ? i + 1 : 3); /* 3 fit beside timestamps */
		assert_int_equal(a->opt.sack[0].start, R.seq + starts[i]);
		assert_int_equal(a->opt.sack[0].end, R.seq + starts[i] + 100);
	}
}

/* ------------------------------------------------------------------ */
/* D02: at our zero window a data segment's ACK is still processed (RFC
 * 9293 3.10.7.4: "special allowance should be made to accept valid ACKs,
 * URGs, and RSTs"); only its text is dropped. */

static void test_D02_zero_window_data_segment_ack_still_processed(void **state)
{
	(void)state;
	knob.syncookies = -1;
	knob.rmem = 4096;
	struct synack_tcp_opts o = syn_ts_mss(1000);
	rc_passive_open(&o);
	/* Fill the stack's receive buffer; the application does not read. */
	static const uint8_t data[1000];
	for (int i = 0; i < 5 && rc_last()->window != 0; i++) {
		uint32_t room = rc_last()->window;
		uint32_t len = room < 1000 ? room : 1000;
		rc_send(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq, R.ack, data, len);
		R.seq += len;
	}
	assert_int_equal(rc_last()->window, 0);
	/* The stack sends 300 bytes; the peer acknowledges them on a data
	 * segment that the shut window cannot take. */
	assert_int_equal(synack_send(R.x.s, R.a, data, 300, scn_now(&R.x)), 300);
	scn_run_for(&R.x, SYNACK_MS(5));
	assert_int_equal(rc_last()->payload_len, 300);
	rc_send(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq, R.ack + 300, data, 100);
	struct synack_sockinfo i = rc_info();
	assert_int_equal(i.snd_una, R.ack + 300);
	assert_int_equal(i.send_q, 0);
	assert_int_equal(rc_last()->ack, R.seq); /* text dropped, window still shut */
	assert_int_equal(rc_last()->window, 0);
	assert_int_equal(synack_get_counters(R.x.s)->TcpExtTCPZeroWindowDrop, 1);
}

/* ------------------------------------------------------------------ */
/* D02: the send window is taken only from an ACK with SND.UNA <= SEG.ACK
 * (RFC 9293 3.10.7.4); an old ACK describes a buffer that has moved on. */

static void test_D02_old_ack_does_not_update_send_window(void **state)
{
	(void)state;
	knob.syncookies = -1;
	struct synack_tcp_opts o = syn_ts_mss(1460);
	rc_passive_open(&o);
	static const uint8_t data[200];
	assert_int_equal(synack_send(R.x.s, R.a, data, 200, scn_now(&R.x)), 200);
	scn_run_for(&R.x, SYNACK_MS(5));
	R.ack += 200;
	rc_send_full(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq, R.ack, 1000, NULL, data, 10);
	R.seq += 10;
	assert_int_equal(rc_info().snd_wnd, 1000);
	/* Newer data, an old ACK (within the window RFC 5961 5.2 accepts). */
	rc_send_full(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq, R.ack - 100, 5, NULL, data, 10);
	R.seq += 10;
	char buf[64];
	assert_int_equal(synack_recv(R.x.s, R.a, buf, sizeof(buf), scn_now(&R.x)), 20); /* its data counts */
	assert_int_equal(rc_info().snd_wnd, 1000);
	assert_int_equal(rc_info().snd_una, R.ack);
}

/* ------------------------------------------------------------------ */
/* W05: SACK blocks take their room from the payload (Linux's
 * tcp_current_mss): with out-of-order data waiting, no segment exceeds the
 * MTU.  At MTU 65535 the blocks used to push the payload past the end of
 * the transmit buffer; at 1500 they made 1512-byte packets. */

static void test_W05_sack_blocks_never_push_a_segment_past_the_mtu(void **state)
{
	(void)state;
	const uint16_t mtus[] = {1500, 9000, 65535};
	for (size_t i = 0; i < 3; i++) {
		for (int ts = 0; ts < 2; ts++) {
			knob.syncookies = -1;
			knob.mtu = mtus[i];
			knob.rmem = 1u << 18;
			struct synack_tcp_opts o = syn_ts_mss(65535);
			if (!ts)
				o.present &= (uint8_t)~SYNACK_OPT_TS;
			o.present |= SYNACK_OPT_SACK_PERM | SYNACK_OPT_WSCALE;
			o.wscale = 7;
			rc_passive_open(&o);
			/* Four separate out-of-order pieces: the most blocks. */
			static const uint8_t d[10];
			for (uint32_t k = 1; k <= 4; k++)
				rc_send(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq + 100 * k, R.ack, d, 10);
			assert_true(rc_last()->opt.sack_count >= 3);
			int before = R.cap.n;
			send_and_check_segments(60000, rc_info().snd_mss);
			for (int k = before; k < R.cap.n; k++) {
				if (R.cap.p[k].ip.total_len > mtus[i])
					fail_msg("MTU %u: a %u-byte packet", mtus[i], R.cap.p[k].ip.total_len);
				assert_true(R.cap.p[k].seg.opt.present & SYNACK_OPT_SACK);
			}
			teardown(NULL);
		}
	}
}

/* ------------------------------------------------------------------ */
/* R05 for a request entry: PAWS applies before it becomes a connection
 * (Linux's tcp_check_req), or a final ACK with an older TSval would
 * create a connection that PAWS then strands in SYN_RCVD, off the accept
 * queue and past the backlog. */

static void test_R05_request_paws_rejects_old_final_ack(void **state)
{
	(void)state;
	knob.syncookies = -1;
	rc_init(C);
	struct synack_stack *st = R.x.s;
	R.l = synack_socket(st);
	assert_int_equal(synack_bind(st, R.l, 0, 80), 0);
	assert_int_equal(synack_listen(st, R.l, 1), 0);
	R.ts = true;
	struct synack_tcp_opts o = syn_ts_mss(1460);
	o.ts_val = 100000;
	rc_send_full(SYNACK_TCP_SYN, 1000, 0, 65535, &o, NULL, 0);
	uint32_t iss = rc_last()->seq;
	struct synack_tcp_opts old = {.present = SYNACK_OPT_TS, .ts_val = 99999, .ts_ecr = R.tsecr};
	rc_send_full(SYNACK_TCP_ACK, 1001, iss + 1, 65535, &old, NULL, 0);
	assert_int_equal(synack_get_counters(st)->TcpExtPAWSEstab, 1);
	assert_int_equal(synack_accept(st, R.l, NULL, NULL), -EAGAIN);
	assert_int_equal(scn_conns_held(st), 2); /* the listener and the request */
	assert_int_equal(synack_get_counters(st)->TcpPassiveOpens, 0); /* no connection was made */
	/* Answered with <SEQ=ISS+1><ACK=RCV.NXT><CTL=ACK>, as Linux's tcp_check_req. */
	assert_int_equal(rc_last()->flags, SYNACK_TCP_ACK);
	assert_int_equal(rc_last()->seq, iss + 1);
	struct synack_tcp_opts newer = {.present = SYNACK_OPT_TS, .ts_val = 100001, .ts_ecr = R.tsecr};
	rc_send_full(SYNACK_TCP_ACK, 1001, iss + 1, 65535, &newer, NULL, 0);
	R.a = synack_accept(st, R.l, NULL, NULL);
	assert_true(R.a >= 0);
	assert_int_equal(scn_state_of(st, R.a), SYNACK_ESTABLISHED);
}

/* ------------------------------------------------------------------ */
/* H10: in a simultaneous open the SYN+ACK's window is never scaled (RFC
 * 7323 2.2), and the bare SYN's meaningless ACK field has no say in it. */

static void test_H10_simultaneous_open_synack_window_not_scaled(void **state)
{
	(void)state;
	for (int variant = 0; variant < 2; variant++) {
		knob.syncookies = -1;
		rc_init(S);
		struct synack_stack *st = R.x.c;
		R.a = synack_socket(st);
		assert_int_equal(synack_connect(st, R.a, SERVER_ADDR, 80, scn_now(&R.x)), -EINPROGRESS);
		scn_run_for(&R.x, SYNACK_MS(5));
		const struct synack_tcp_seg syn = *rc_last();
		R.pport = 80;
		struct synack_tcp_seg s;
		memset(&s, 0, sizeof(s));
		s.sport = 80;
		s.dport = syn.sport;
		s.seq = 7000;
		s.ack = variant ? syn.seq + 1 : 0; /* what a bare SYN's ACK field may hold */
		s.flags = SYNACK_TCP_SYN;
		s.window = 1000;
		s.opt.present = SYNACK_OPT_MSS | SYNACK_OPT_WSCALE;
		s.opt.mss = 1460;
		s.opt.wscale = 7;
		struct synack_ipv4 ip = {.src = SERVER_ADDR, .dst = CLIENT_ADDR, .ttl = 64, .df = true};
		uint8_t buf[256];
		size_t n = synack_tcp_build(buf, sizeof(buf), &ip, &s);
		synack_sim_inject(R.x.sim, R.x.snode, buf, n);
		scn_run_for(&R.x, SYNACK_MS(5));
		assert_int_equal(scn_state_of(st, R.a), SYNACK_SYN_RCVD);
		s.flags = SYNACK_TCP_SYN | SYNACK_TCP_ACK;
		s.ack = syn.seq + 1;
		n = synack_tcp_build(buf, sizeof(buf), &ip, &s);
		synack_sim_inject(R.x.sim, R.x.snode, buf, n);
		scn_run_for(&R.x, SYNACK_MS(5));
		assert_int_equal(scn_state_of(st, R.a), SYNACK_ESTABLISHED);
		assert_int_equal(rc_info().snd_wnd, 1000);
		teardown(NULL);
	}
}

/* ------------------------------------------------------------------ */
/* C02: a FIN noted out of order that the real data then passes was false;
 * the real FIN still ends the stream (it used to be ignored forever). */

static void test_C02_false_fin_passed_by_data_is_forgotten(void **state)
{
	(void)state;
	knob.syncookies = -1;
	struct synack_tcp_opts o = syn_ts_mss(1460);
	o.present &= (uint8_t)~SYNACK_OPT_TS;
	rc_passive_open(&o);
	rc_send(SYNACK_TCP_FIN | SYNACK_TCP_ACK, R.seq + 10, R.ack, NULL, 0); /* forged, in the window */
	static const uint8_t d[20] = "twenty bytes of data";
	rc_send(SYNACK_TCP_ACK | SYNACK_TCP_PSH, R.seq, R.ack, d, 20);
	assert_int_equal(rc_last()->ack, R.seq + 20);
	rc_send(SYNACK_TCP_FIN | SYNACK_TCP_ACK, R.seq + 20, R.ack, NULL, 0);
	assert_int_equal(rc_last()->ack, R.seq + 21);
	assert_int_equal(scn_state_of(R.x.s, R.a), SYNACK_CLOSE_WAIT);
	char buf[64];
	assert_int_equal(synack_recv(R.x.s, R.a, buf, sizeof(buf), scn_now(&R.x)), 20);
	assert_int_equal(synack_recv(R.x.s, R.a, buf, sizeof(buf), scn_now(&R.x)), 0);
}

/* ------------------------------------------------------------------ */
/* W03: a datagram from a source that cannot be a host (0, broadcast,
 * multicast, ourselves) is dropped unanswered (RFC 1122 3.2.1.3): an echo
 * request or a SYN from one would otherwise reflect onto a group. */

static void test_W03_martian_source_dropped_unanswered(void **state)
{
	(void)state;
	knob.syncookies = -1;
	rc_init(C);
	struct synack_stack *st = R.x.s;
	R.l = synack_socket(st);
	assert_int_equal(synack_bind(st, R.l, 0, 80), 0);
	assert_int_equal(synack_listen(st, R.l, 8), 0);
	const uint32_t srcs[] = {0, 0xffffffffu, 0xe0000001u, 0xf0000001u, SERVER_ADDR};
	for (size_t i = 0; i < 5; i++) {
		uint8_t buf[128];
		struct synack_ipv4 ip = {.src = srcs[i], .dst = SERVER_ADDR, .ttl = 64};
		struct synack_icmp echo = {.type = SYNACK_ICMP_ECHO_REQUEST, .id = 1, .seq = (uint16_t)i};
		size_t n = synack_icmp_echo_build(buf, sizeof(buf), &ip, &echo);
		assert_true(n > 0);
		synack_sim_inject(R.x.sim, R.x.cnode, buf, n);
		struct synack_tcp_seg s;
		memset(&s, 0, sizeof(s));
		s.sport = 40000;
		s.dport = 80;
		s.seq = 1;
		s.flags = SYNACK_TCP_SYN;
		s.window = 1000;
		n = synack_tcp_build(buf, sizeof(buf), &ip, &s);
		synack_sim_inject(R.x.sim, R.x.cnode, buf, n);
	}
	scn_run_for(&R.x, SYNACK_MS(10));
	assert_int_equal(synack_get_counters(st)->SynackIpInMartianSrc, 10);
	assert_int_equal(synack_get_counters(st)->IpOutRequests, 0);
	assert_int_equal(scn_conns_held(st), 1);
}

static void discard_tx(void *ctx, const uint8_t *pkt, size_t len)
{
	(void)ctx, (void)pkt, (void)len;
}

/* W05's neighbour: times the stack keeps as 32-bit microseconds are
 * bounded at creation, so no setting can wrap (rto_max_ms = 5,000,000
 * used to give a 705 ms ceiling). */
static void test_W05_config_times_that_would_wrap_refused(void **state)
{
	(void)state;
	struct synack_hooks hooks;
	memset(&hooks, 0, sizeof(hooks));
	hooks.tx = discard_tx;
	for (int k = 0; k < 4; k++) {
		struct synack_config cfg;
		synack_config_default(&cfg);
		cfg.addr = SERVER_ADDR;
		if (k == 0)
			cfg.rto_max_ms = 5000000;
		else if (k == 1)
			cfg.rto_initial_ms = 5000000;
		else if (k == 2)
			cfg.invalid_ratelimit_ms = 5000000;
		int err = 0;
		struct synack_stack *st = synack_stack_new(&cfg, &hooks, &err);
		if (k == 3) { /* the defaults, as a control */
			assert_non_null(st);
			synack_stack_free(st);
			continue;
		}
		assert_null(st);
		assert_int_equal(err, -EINVAL);
	}
}

/* D02: a segment ahead of RCV.NXT (forged in the window, or out of order)
 * moved SND.WL1 past every ACK the real peer then sent from RCV.NXT, so its
 * tiny window stuck and the sender crawled (found by fuzz_tcp).  An ACK
 * that acknowledges new data always updates the window, as Linux's
 * tcp_may_update_window. */
static void test_D02_window_not_frozen_by_segment_ahead_of_rcv_nxt(void **state)
{
	(void)state;
	knob.syncookies = -1;
	struct synack_tcp_opts o = syn_ts_mss(1460);
	o.present &= (uint8_t)~SYNACK_OPT_TS;
	rc_passive_open(&o);
	static const uint8_t d[16];
	rc_send_full(SYNACK_TCP_ACK, R.seq + 38, R.ack, 3, NULL, d, 16); /* ahead, window 3 */
	assert_int_equal(rc_info().snd_wnd, 3);
	static uint8_t big[3000];
	assert_int_equal(synack_send(R.x.s, R.a, big, sizeof(big), scn_now(&R.x)), 3000);
	scn_run_for(&R.x, SYNACK_MS(300)); /* the 3 bytes the window allows, once the override fires */
	const struct synack_tcp_seg *last = rc_last();
	assert_true(last->payload_len > 0 && last->payload_len <= 3);
	R.ack = last->seq + last->payload_len;
	rc_send_full(SYNACK_TCP_ACK, R.seq, R.ack, 60000, NULL, NULL, 0); /* the real peer, from RCV.NXT */
	assert_int_equal(rc_info().snd_wnd, 60000);
	scn_run_for(&R.x, SYNACK_MS(5));
	assert_true(rc_info().snd_nxt - rc_info().snd_una >= 2 * 1460); /* full segments again (Nagle holds the tail) */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_W05_tiny_mss_passive_clamped_no_overflow, teardown),
		cmocka_unit_test_teardown(test_W05_mss_floor_respects_mtu, teardown),
		cmocka_unit_test_teardown(test_W05_tiny_mss_cookie_path, teardown),
		cmocka_unit_test_teardown(test_W05_tiny_mss_active_clamped_no_overflow, teardown),
		cmocka_unit_test_teardown(test_R05_blind_out_of_window_tsval_cannot_poison_ts_recent, teardown),
		cmocka_unit_test_teardown(test_R05_unacceptable_ack_cannot_poison_ts_recent, teardown),
		cmocka_unit_test_teardown(test_R05_ts_recent_follows_in_order_and_needless_retransmission, teardown),
		cmocka_unit_test_teardown(test_D03_W05_future_tsecr_gives_no_rtt_sample, teardown),
		cmocka_unit_test_teardown(test_D02_scaled_window_right_edge_never_moves_left, teardown),
		cmocka_unit_test_teardown(test_D08_first_sack_block_is_most_recent, teardown),
		cmocka_unit_test_teardown(test_D02_zero_window_data_segment_ack_still_processed, teardown),
		cmocka_unit_test_teardown(test_D02_old_ack_does_not_update_send_window, teardown),
		cmocka_unit_test_teardown(test_W05_sack_blocks_never_push_a_segment_past_the_mtu, teardown),
		cmocka_unit_test_teardown(test_R05_request_paws_rejects_old_final_ack, teardown),
		cmocka_unit_test_teardown(test_H10_simultaneous_open_synack_window_not_scaled, teardown),
		cmocka_unit_test_teardown(test_C02_false_fin_passed_by_data_is_forgotten, teardown),
		cmocka_unit_test_teardown(test_W03_martian_source_dropped_unanswered, teardown),
		cmocka_unit_test_teardown(test_W05_config_times_that_would_wrap_refused, teardown),
		cmocka_unit_test_teardown(test_D02_window_not_frozen_by_segment_ahead_of_rcv_nxt, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
