/* Wire format: TCP/IPv4/ICMP encode and decode, checksums, malformed input,
 * sequence arithmetic.  SPEC W01-W04.
 *
 * Known-answer packets below were produced by an independent implementation
 * (Python's struct module, RFC 1071 sum written out by hand) and their
 * checksums confirmed Good by tshark 3.x ("ip.checksum.status",
 * "tcp.checksum.status", "icmp.checksum.status" with checksum validation on).
 * The test also carries its own naive checksum (ref_csum) to fix up headers it
 * mutates, so no expected value depends on the code under test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <synack/wire.h>

#include "wire/seq.h"

#define IP_A 0x0a000001u /* 10.0.0.1 */
#define IP_B 0x0a000002u /* 10.0.0.2 */

/* Linux-style SYN 10.0.0.1:54321 > 10.0.0.2:80, ISN 0xfffffff0 (just below
 * 2^32), DF, ttl 64, id 0x4a2f, win 64240, <mss 1460,sackOK,TS val 10107692
 * ecr 0,nop,wscale 7>: tcp_options_write()'s layout. */
static const uint8_t kat_syn[60] = {
	0x45, 0x00, 0x00, 0x3c, 0x4a, 0x2f, 0x40, 0x00, 0x40, 0x06, 0xdc, 0x8a,
	0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0xd4, 0x31, 0x00, 0x50,
	0xff, 0xff, 0xff, 0xf0, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,
	0x28, 0xd4, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
	0x00, 0x9a, 0x3b, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* 10.0.0.2:80 > 10.0.0.1:54321 [P.] seq 5 ack 0xfffffff1 win 502, id 0xbeef,
 * <nop,nop,TS val 10107712 ecr 0x7f000001>, payload "hello\n". */
static const uint8_t kat_data[58] = {
	0x45, 0x00, 0x00, 0x3a, 0xbe, 0xef, 0x40, 0x00, 0x40, 0x06, 0x67, 0xcc,
	0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x50, 0xd4, 0x31,
	0x00, 0x00, 0x00, 0x05, 0xff, 0xff, 0xff, 0xf1, 0x80, 0x18, 0x01, 0xf6,
	0x8d, 0x86, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x00, 0x9a, 0x3b, 0x40,
	0x7f, 0x00, 0x00, 0x01, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a,
};

/* 10.0.0.1 > 10.0.0.2 ICMP echo request id 0x1234 seq 1 "abcdefgh", id 1. */
static const uint8_t kat_ping[36] = {
	0x45, 0x00, 0x00, 0x24, 0x00, 0x01, 0x40, 0x00, 0x40, 0x01, 0x26, 0xd6,
	0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x08, 0x00, 0x54, 0x35,
	0x12, 0x34, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
};

/* ---- independent helpers ---- */

/* RFC 1071 the slow obvious way: 16-bit words, carry folded every step. */
static uint32_t ref_sum(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 2) {
		s += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
		s = (s & 0xffff) + (s >> 16);
	}
	return s;
}

static uint16_t ref_csum(const uint8_t *p, size_t n)
{
	return (uint16_t)~ref_sum(0, p, n);
}

static void ref_fix_ip(uint8_t *pkt)
{
	size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
	pkt[10] = pkt[11] = 0;
	uint16_t c = ref_csum(pkt, ihl);
	pkt[10] = (uint8_t)(c >> 8);
	pkt[11] = (uint8_t)c;
}

static void ref_fix_tcp(uint8_t *tcp, size_t len, uint32_t src, uint32_t dst)
{
	uint8_t ph[12] = {(uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8), (uint8_t)src,
	                  (uint8_t)(dst >> 24), (uint8_t)(dst >> 16), (uint8_t)(dst >> 8), (uint8_t)dst,
	                  0, 6, (uint8_t)(len >> 8), (uint8_t)len};
	tcp[16] = tcp[17] = 0;
	uint16_t c = (uint16_t)~ref_sum(ref_sum(0, ph, sizeof ph), tcp, len);
	tcp[16] = (uint8_t)(c >> 8);
	tcp[17] = (uint8_t)c;
}

/* Writes IP_A:1234 > IP_B:80 [P.] seq 1000 ack 2000 win 1000 with the given
 * raw option bytes (optlen a multiple of 4) and payload, both checksums set by
 * the reference code.  Returns the packet length. */
static size_t raw_packet(uint8_t *buf, const uint8_t *opts, size_t optlen, const char *payload)
{
	size_t plen = payload ? strlen(payload) : 0;
	size_t tcp_len = 20 + optlen + plen;
	size_t total = 20 + tcp_len;
	uint8_t ip[20] = {0x45, 0, (uint8_t)(total >> 8), (uint8_t)total, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0,
	                  10, 0, 0, 1, 10, 0, 0, 2};
	uint8_t tcp[20] = {0x04, 0xd2, 0x00, 0x50, 0, 0, 0x03, 0xe8, 0, 0, 0x07, 0xd0,
	                   (uint8_t)((20 + optlen) / 4 << 4), 0x18, 0x03, 0xe8, 0, 0, 0, 0};

	assert_int_equal(optlen % 4, 0);
	memcpy(buf, ip, 20);
	memcpy(buf + 20, tcp, 20);
	if (optlen)
		memcpy(buf + 40, opts, optlen);
	if (plen)
		memcpy(buf + 40 + optlen, payload, plen);
	ref_fix_ip(buf);
	ref_fix_tcp(buf + 20, tcp_len, IP_A, IP_B);
	return total;
}

/* Parses just the TCP part of a raw_packet(), checksum verified. */
static enum synack_wire_err parse_raw_tcp(const uint8_t *buf, size_t len, struct synack_tcp_seg *s)
{
	return synack_tcp_parse(buf + 20, len - 20, IP_A, IP_B, true, s);
}

/* Simple local PRNG with a fixed seed: the runs are repeatable. */
static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static const struct synack_ipv4 ip_ab = {.src = IP_A, .dst = IP_B, .ttl = 64, .id = 0x1234, .df = true};

/* ---- W02: checksums ---- */

/* RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to 2ddf0 -> ddf2. */
static void test_W02_rfc1071_example(void **state)
{
	(void)state;
	static const uint8_t b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint32_t s = synack_csum_add(0, b, sizeof b);
	assert_int_equal(synack_csum_fold(s), 0x220d); /* ~0xddf2 */
	/* Chunked at even offsets gives the same sum. */
	s = synack_csum_add(synack_csum_add(synack_csum_add(0, b, 2), b + 2, 4), b + 6, 2);
	assert_int_equal(synack_csum_fold(s), 0x220d);
	assert_int_equal(synack_csum_fold(0), 0xffff);
	assert_int_equal(synack_csum_fold(0xffff), 0x0000);
}

static void test_W02_csum_matches_reference(void **state)
{
	(void)state;
	static uint8_t big[65536 + 3];
	uint64_t rng = 0x9e3779b97f4a7c15u;

	/* All 0xff over 64 KiB: the worst case for carries. */
	memset(big, 0xff, sizeof big);
	assert_int_equal(synack_csum_fold(synack_csum_add(0, big, 65536)), ref_csum(big, 65536));
	assert_int_equal(synack_csum_fold(synack_csum_add(0xffffffffu, big, 65535)),
	                 (uint16_t)~ref_sum(ref_sum(0, (const uint8_t[]){0xff, 0xff, 0xff, 0xff}, 4), big,
	                                    65535));
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)xorshift64(&rng);
	for (size_t n = 0; n < 300; n++)
		assert_int_equal(synack_csum_fold(synack_csum_add(0, big + 1, n)), ref_csum(big + 1, n));
	assert_int_equal(synack_csum_fold(synack_csum_add(0, big, sizeof big)), ref_csum(big, sizeof big));
	/* Odd length pads the last byte: ab -> ab00. */
	assert_int_equal(synack_csum_fold(synack_csum_add(0, (const uint8_t[]){0xab}, 1)), 0x54ff);
	/* Pseudo-header sum: 10.0.0.1 + 10.0.0.2 + 6 + 40. */
	assert_int_equal(synack_csum_fold(synack_csum_pseudo(IP_A, IP_B, 6, 40)),
	                 (uint16_t)~(0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 40));
}

/* The classic example header 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7. */
static void test_W02_ip_checksum(void **state)
{
	(void)state;
	static const uint8_t want[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	                                 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	uint8_t buf[0x73] = {0};
	struct synack_ipv4 h = {.src = 0xc0a80001, .dst = 0xc0a800c7, .proto = 17, .ttl = 64, .df = true};
	assert_int_equal(synack_ipv4_build(buf, sizeof buf, &h, 0x73 - 20), 20);
	assert_memory_equal(buf, want, 20);

	struct synack_ipv4 p;
	assert_int_equal(synack_ipv4_parse(buf, sizeof buf, &p), SYNACK_WIRE_OK);
	for (size_t i = 0; i < 20; i++) {
		if (i == 0 || i == 2 || i == 3 || i == 6)
			continue; /* structural bytes fail earlier checks */
		buf[i] ^= 0x10;
		assert_int_equal(synack_ipv4_parse(buf, sizeof buf, &p), SYNACK_WIRE_IP_CSUM);
		buf[i] ^= 0x10;
	}
	/* Build refuses what does not fit. */
	assert_int_equal(synack_ipv4_build(buf, 19, &h, 0), 0);
	assert_int_equal(synack_ipv4_build(buf, sizeof buf, &h, sizeof buf - 19), 0);
	assert_int_equal(synack_ipv4_build(buf, SIZE_MAX, &h, 65536 - 20), 0);
}

static void test_W02_tcp_checksum_verified_and_rejected(void **state)
{
	(void)state;
	uint8_t buf[sizeof kat_data];
	struct synack_tcp_seg s;
	struct synack_ipv4 ip;

	memcpy(buf, kat_data, sizeof buf);
	assert_int_equal(synack_tcp_packet_parse(buf, sizeof buf, &ip, &s), SYNACK_WIRE_OK);
	assert_int_equal(s.csum, 0x8d86);
	/* Any flipped bit in the segment (except data offset, checked before) fails. */
	for (size_t i = 20; i < sizeof buf; i++) {
		if (i == 32)
			continue;
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(synack_tcp_packet_parse(buf, sizeof buf, &ip, &s), SYNACK_WIRE_TCP_CSUM);
			if (i < 40 || i >= 52) /* option bytes may turn malformed */
				assert_int_equal(synack_tcp_parse(buf + 20, sizeof buf - 20, IP_B, IP_A, false, &s),
				                 SYNACK_WIRE_OK);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* The pseudo-header binds addresses: right bytes, wrong source. */
	assert_int_equal(synack_tcp_parse(buf + 20, sizeof buf - 20, IP_B, IP_B, true, &s),
	                 SYNACK_WIRE_TCP_CSUM);
	assert_int_equal(synack_tcp_parse(buf + 20, sizeof buf - 20, IP_B, IP_A, true, &s), SYNACK_WIRE_OK);
	/* ... and the length: one byte shorter is a different segment. */
	assert_int_equal(synack_tcp_parse(buf + 20, sizeof buf - 21, IP_B, IP_A, true, &s),
	                 SYNACK_WIRE_TCP_CSUM);
}

/* RFC 1624 3: a segment whose checksum comes to zero is sent by us as
 * 0x0000 (the one's complement of a sum of 0xffff), but Linux's software
 * checksum (skb_checksum_help) writes 0xffff, "negative zero", instead:
 * both verify, and both must be accepted. */
static void test_W02_tcp_checksum_negative_zero(void **state)
{
	(void)state;
	uint8_t buf[64], word[2] = {0, 0};
	struct synack_ipv4 ip = {.src = IP_A, .dst = IP_B, .ttl = 64, .df = true};
	struct synack_tcp_seg s;
	memset(&s, 0, sizeof(s));
	s.sport = 40000;
	s.dport = 80;
	s.seq = 1000;
	s.ack = 2000;
	s.flags = SYNACK_TCP_ACK;
	s.window = 512;
	s.payload = word;
	s.payload_len = 2;
	size_t n = synack_tcp_build(buf, sizeof(buf), &ip, &s);
	assert_true(n > 0);
	/* The checksum c of this segment is ~S; a payload word of c makes the
	 * sum S + ~S = 0xffff, so the checksum 0. */
	uint16_t c = (uint16_t)(buf[36] << 8 | buf[37]); /* after the 20-byte IP header */
	word[0] = (uint8_t)(c >> 8);
	word[1] = (uint8_t)c;
	n = synack_tcp_build(buf, sizeof(buf), &ip, &s);
	assert_true(n > 0);
	assert_int_equal(buf[36], 0x00);
	assert_int_equal(buf[37], 0x00);
	struct synack_tcp_seg out;
	struct synack_ipv4 oip;
	assert_int_equal(synack_tcp_packet_parse(buf, n, &oip, &out), SYNACK_WIRE_OK);
	buf[36] = buf[37] = 0xff;
	assert_int_equal(synack_tcp_packet_parse(buf, n, &oip, &out), SYNACK_WIRE_OK);
	buf[37] = 0xfe;
	assert_int_equal(synack_tcp_packet_parse(buf, n, &oip, &out), SYNACK_WIRE_TCP_CSUM);
}

static void test_W02_icmp_checksum(void **state)
{
	(void)state;
	uint8_t buf[sizeof kat_ping];
	struct synack_icmp m;

	memcpy(buf, kat_ping, sizeof buf);
	assert_int_equal(synack_icmp_parse(buf + 20, 16, &m), SYNACK_WIRE_OK);
	for (size_t i = 20; i < sizeof buf; i++) {
		buf[i] ^= 0x01;
		assert_int_equal(synack_icmp_parse(buf + 20, 16, &m), SYNACK_WIRE_ICMP_CSUM);
		buf[i] ^= 0x01;
	}
}

/* ---- W01: encode and decode ---- */

static void test_W01_syn_known_answer_parse(void **state)
{
	(void)state;
	struct synack_ipv4 ip;
	struct synack_tcp_seg s;

	assert_int_equal(synack_tcp_packet_parse(kat_syn, sizeof kat_syn, &ip, &s), SYNACK_WIRE_OK);
	assert_int_equal(ip.src, IP_A);
	assert_int_equal(ip.dst, IP_B);
	assert_int_equal(ip.id, 0x4a2f);
	assert_int_equal(ip.ttl, 64);
	assert_int_equal(ip.tos, 0);
	assert_true(ip.df);
	assert_int_equal(ip.proto, SYNACK_IPPROTO_TCP);
	assert_int_equal(ip.hdr_len, 20);
	assert_int_equal(ip.total_len, 60);
	assert_int_equal(ip.payload_len, 40);
	assert_ptr_equal(ip.payload, kat_syn + 20);

	assert_int_equal(s.sport, 54321);
	assert_int_equal(s.dport, 80);
	assert_int_equal(s.seq, 0xfffffff0u);
	assert_int_equal(s.ack, 0);
	assert_int_equal(s.flags, SYNACK_TCP_SYN);
	assert_int_equal(s.res, 0);
	assert_int_equal(s.hdr_len, 40);
	assert_int_equal(s.window, 64240);
	assert_int_equal(s.csum, 0x28d4);
	assert_int_equal(s.urg_ptr, 0);
	assert_int_equal(s.opt.present,
	                 SYNACK_OPT_MSS | SYNACK_OPT_SACK_PERM | SYNACK_OPT_TS | SYNACK_OPT_WSCALE);
	assert_int_equal(s.opt.mss, 1460);
	assert_int_equal(s.opt.wscale, 7);
	assert_int_equal(s.opt.ts_val, 10107692);
	assert_int_equal(s.opt.ts_ecr, 0);
	assert_int_equal(s.opt.sack_count, 0);
	assert_int_equal(s.payload_len, 0);
	assert_ptr_equal(s.payload, kat_syn + 60);
	assert_int_equal(synack_tcp_seg_len(&s), 1);
}

static void test_W01_syn_known_answer_build(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct synack_ipv4 ip = {.src = IP_A, .dst = IP_B, .ttl = 64, .id = 0x4a2f, .df = true};
	struct synack_tcp_seg s = {
		.sport = 54321, .dport = 80, .seq = 0xfffffff0u, .flags = SYNACK_TCP_SYN, .window = 64240,
		.opt = {.present = SYNACK_OPT_MSS | SYNACK_OPT_SACK_PERM | SYNACK_OPT_TS | SYNACK_OPT_WSCALE,
		        .mss = 1460, .wscale = 7, .ts_val = 10107692},
	};

	memset(buf, 0xee, sizeof buf);
	assert_int_equal(synack_tcp_build(buf, sizeof buf, &ip, &s), sizeof kat_syn);
	assert_memory_equal(buf, kat_syn, sizeof kat_syn);
	assert_int_equal(buf[sizeof kat_syn], 0xee);
	/* Exactly enough room works; one byte less returns 0. */
	assert_int_equal(synack_tcp_build(buf, sizeof kat_syn, &ip, &s), sizeof kat_syn);
	assert_int_equal(synack_tcp_build(buf, sizeof kat_syn - 1, &ip, &s), 0);
}

static void test_W01_data_known_answer(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct synack_ipv4 ip = {.src = IP_B, .dst = IP_A, .ttl = 64, .id = 0xbeef, .df = true};
	struct synack_tcp_seg s = {
		.sport = 80, .dport = 54321, .seq = 5, .ack = 0xfffffff1u,
		.flags = SYNACK_TCP_PSH | SYNACK_TCP_ACK, .window = 502,
		.opt = {.present = SYNACK_OPT_TS, .ts_val = 10107712, .ts_ecr = 0x7f000001},
		.payload = (const uint8_t *)"hello\n", .payload_len = 6,
	};

	assert_int_equal(synack_tcp_build(buf, sizeof buf, &ip, &s), sizeof kat_data);
	assert_memory_equal(buf, kat_data, sizeof kat_data);

	struct synack_ipv4 pip;
	struct synack_tcp_seg p;
	assert_int_equal(synack_tcp_packet_parse(kat_data, sizeof kat_data, &pip, &p), SYNACK_WIRE_OK);
	assert_int_equal(p.flags, SYNACK_TCP_PSH | SYNACK_TCP_ACK);
	assert_int_equal(p.hdr_len, 32);
	assert_int_equal(p.opt.present, SYNACK_OPT_TS);
	assert_int_equal(p.opt.ts_ecr, 0x7f000001);
	assert_int_equal(p.payload_len, 6);
	assert_memory_equal(p.payload, "hello\n", 6);
	assert_int_equal(synack_tcp_seg_len(&p), 6);
}

/* Every combination of the eight flag bits and the four reserved bits
 * survives build then parse, along with every other header field. */
static void test_W01_tcp_roundtrip_all_flags(void **state)
{
	(void)state;
	uint8_t buf[128];
	static const uint8_t payload[3] = {1, 2, 3};

	for (unsigned f = 0; f < 256; f++) {
		for (unsigned r = 0; r < 16; r++) {
			struct synack_tcp_seg s = {
				.sport = 0xfedc, .dport = 0x0102, .seq = 0x89abcdefu + f, .ack = 0x01234567u + r,
				.flags = (uint8_t)f, .res = (uint8_t)r, .window = 0xa5a5, .urg_ptr = 0x5a5a,
				.payload = payload, .payload_len = sizeof payload,
			};
			struct synack_ipv4 ip;
			struct synack_tcp_seg p;
			size_t n = synack_tcp_build(buf, sizeof buf, &ip_ab, &s);

			assert_int_equal(n, 43);
			assert_int_equal(buf[33], f);
			assert_int_equal(buf[32], 0x50 | r);
			assert_int_equal(synack_tcp_packet_parse(buf, n, &ip, &p), SYNACK_WIRE_OK);
			assert_int_equal(p.flags, f);
			assert_int_equal(p.res, r);
			assert_int_equal(p.sport, 0xfedc);
			assert_int_equal(p.dport, 0x0102);
			assert_int_equal(p.seq, 0x89abcdefu + f);
			assert_int_equal(p.ack, 0x01234567u + r);
			assert_int_equal(p.window, 0xa5a5);
			assert_int_equal(p.urg_ptr, 0x5a5a);
			assert_int_equal(p.hdr_len, 20);
			assert_int_equal(p.opt.present, 0);
			assert_int_equal(p.payload_len, 3);
			assert_memory_equal(p.payload, payload, 3);
		}
	}
}

/* Every option kind we know, in one header, plus NOP and EOL. */
static void test_W01_options_every_kind(void **state)
{
	(void)state;
	static const uint8_t opts[40] = {
		2, 4, 0x05, 0x78,                              /* MSS 1400 */
		1,                                             /* NOP */
		3, 3, 14,                                      /* WSCALE 14 */
		4, 2,                                          /* SACK_PERM */
		8, 10, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe,     /* TS 1, 0xfffffffe */
		5, 18, 0, 0, 0, 10, 0, 0, 0, 20,               /* SACK {10:20} */
		0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 5,            /*      {0xfffffff0:5} */
		0, 0,                                          /* EOL, padding */
	};
	uint8_t buf[128];
	struct synack_tcp_seg s;
	size_t n = raw_packet(buf, opts, sizeof opts, "x");

	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_OK);
	assert_int_equal(s.opt.present, SYNACK_OPT_MSS | SYNACK_OPT_WSCALE | SYNACK_OPT_SACK_PERM |
	                                     SYNACK_OPT_TS | SYNACK_OPT_SACK);
	assert_int_equal(s.opt.mss, 1400);
	assert_int_equal(s.opt.wscale, 14);
	assert_int_equal(s.opt.ts_val, 1);
	assert_int_equal(s.opt.ts_ecr, 0xfffffffeu);
	assert_int_equal(s.opt.sack_count, 2);
	assert_int_equal(s.opt.sack[0].start, 10);
	assert_int_equal(s.opt.sack[0].end, 20);
	assert_int_equal(s.opt.sack[1].start, 0xfffffff0u);
	assert_int_equal(s.opt.sack[1].end, 5);
	assert_int_equal(s.hdr_len, 60);
	assert_int_equal(s.payload_len, 1);
	assert_int_equal(s.payload[0], 'x');

	/* Four SACK blocks, the most RFC 2018 allows in 40 bytes. */
	uint8_t four[36] = {1, 1, 5, 34};
	for (int i = 0; i < 32; i++)
		four[4 + i] = (uint8_t)(i + 1);
	n = raw_packet(buf, four, sizeof four, NULL);
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_OK);
	assert_int_equal(s.opt.present, SYNACK_OPT_SACK);
	assert_int_equal(s.opt.sack_count, 4);
	assert_int_equal(s.opt.sack[0].start, 0x01020304u);
	assert_int_equal(s.opt.sack[3].end, 0x1d1e1f20u);
}

static void test_W01_unknown_option_skipped(void **state)
{
	(void)state;
	static const uint8_t opts[20] = {
		30, 6, 0xaa, 0xbb, 0xcc, 0xdd, /* MPTCP-ish, skipped */
		34, 2,                         /* TFO cookie request, skipped */
		254, 4, 0x00, 0x01,            /* experimental, its data holds a 0 and a 1 */
		2, 4, 0x02, 0x18,              /* MSS 536 */
		0,                             /* EOL: the rest is never read as options */
		2, 0, 0xff,
	};
	uint8_t buf[128];
	struct synack_tcp_seg s;
	size_t n = raw_packet(buf, opts, sizeof opts, NULL);

	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_OK);
	assert_int_equal(s.opt.present, SYNACK_OPT_MSS);
	assert_int_equal(s.opt.mss, 536);
	/* An unknown kind with length 2 right up to the end of the header. */
	static const uint8_t tail[4] = {1, 1, 99, 2};
	n = raw_packet(buf, tail, sizeof tail, NULL);
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_OK);
	assert_int_equal(s.opt.present, 0);
}

static void check_opts_build(const struct synack_tcp_opts *o, const uint8_t *want, size_t want_len)
{
	uint8_t out[SYNACK_TCP_MAX_OPT_LEN + 8];

	memset(out, 0xee, sizeof out);
	assert_int_equal(synack_tcp_opts_build(out, o), want_len);
	if (want_len)
		assert_memory_equal(out, want, want_len);
	assert_int_equal(out[want_len], 0xee);
	assert_int_equal(out[SYNACK_TCP_MAX_OPT_LEN], 0xee);
}

/* Linux's layout for each combination a caller may ask for. */
static void test_W01_opts_build_layout(void **state)
{
	(void)state;
	struct synack_tcp_opts o = {0};

	check_opts_build(&o, NULL, 0);
	o = (struct synack_tcp_opts){.present = SYNACK_OPT_TS, .ts_val = 0x01020304, .ts_ecr = 0x05060708};
	check_opts_build(&o, (const uint8_t[]){1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8}, 12);
	o = (struct synack_tcp_opts){.present = SYNACK_OPT_SACK_PERM};
	check_opts_build(&o, (const uint8_t[]){1, 1, 4, 2}, 4);
	o = (struct synack_tcp_opts){.present = SYNACK_OPT_WSCALE, .wscale = 9};
	check_opts_build(&o, (const uint8_t[]){1, 3, 3, 9}, 4);
	o = (struct synack_tcp_opts){.present = SYNACK_OPT_MSS | SYNACK_OPT_SACK_PERM | SYNACK_OPT_WSCALE,
	                             .mss = 1460, .wscale = 7};
	check_opts_build(&o, (const uint8_t[]){2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7}, 12);
	o = (struct synack_tcp_opts){.present = SYNACK_OPT_SACK, .sack_count = 1, .sack = {{1, 2}}};
	check_opts_build(&o, (const uint8_t[]){1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 12);
	o.sack_count = 0; /* SACK bit without blocks: nothing to send */
	check_opts_build(&o, NULL, 0);
}

/* SACK blocks that do not fit in 40 bytes are dropped from the end. */
static void test_W01_opts_build_drops_sack_blocks(void **state)
{
	(void)state;
	struct synack_tcp_opts o = {.present = SYNACK_OPT_SACK, .sack_count = 4,
	                            .sack = {{1, 2}, {3, 4}, {5, 6}, {7, 8}}};
	uint8_t out[SYNACK_TCP_MAX_OPT_LEN];

	assert_int_equal(synack_tcp_opts_build(out, &o), 36); /* 4 blocks fit alone */
	o.sack_count = 200;                                   /* nonsense count is clamped */
	assert_int_equal(synack_tcp_opts_build(out, &o), 36);
	o.sack_count = 4;
	o.present |= SYNACK_OPT_TS;
	assert_int_equal(synack_tcp_opts_build(out, &o), 40); /* TS(12) + 3 blocks(28) */
	assert_int_equal(out[15], 26);
	assert_int_equal(out[39], 6);
	o.present |= SYNACK_OPT_MSS | SYNACK_OPT_WSCALE | SYNACK_OPT_SACK_PERM;
	assert_int_equal(synack_tcp_opts_build(out, &o), 40); /* 20 + 2 blocks(20) */
	assert_int_equal(out[22], 5);
	assert_int_equal(out[23], 18);

	/* What we build, we parse back. */
	uint8_t buf[128];
	struct synack_tcp_seg s = {.flags = SYNACK_TCP_ACK, .opt = o}, p;
	struct synack_ipv4 ip;
	size_t n = synack_tcp_build(buf, sizeof buf, &ip_ab, &s);
	assert_int_equal(n, 80);
	assert_int_equal(synack_tcp_packet_parse(buf, n, &ip, &p), SYNACK_WIRE_OK);
	assert_int_equal(p.opt.sack_count, 2);
	assert_int_equal(p.opt.sack[1].start, 3);
	assert_int_equal(p.opt.sack[1].end, 4);
}

/* Building in place over the received packet (payload aliases buf) works. */
static void test_W01_build_in_place(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct synack_ipv4 ip;
	struct synack_tcp_seg s, p;

	memcpy(buf, kat_data, sizeof kat_data);
	assert_int_equal(synack_tcp_packet_parse(buf, sizeof kat_data, &ip, &s), SYNACK_WIRE_OK);
	s.opt.present = 0; /* header shrinks by 12: payload moves down over it */
	size_t n = synack_tcp_build(buf, sizeof buf, &ip, &s);
	assert_int_equal(n, 46);
	assert_int_equal(synack_tcp_packet_parse(buf, n, &ip, &p), SYNACK_WIRE_OK);
	assert_memory_equal(p.payload, "hello\n", 6);
}

/* ---- W03: malformed input ---- */

static void test_W03_truncated_ip(void **state)
{
	(void)state;
	struct synack_ipv4 ip;
	uint8_t buf[64];

	for (size_t n = 0; n < 20; n++)
		assert_int_equal(synack_ipv4_parse(kat_syn, n, &ip), SYNACK_WIRE_IP_TRUNCATED);
	/* IHL 6 (24 bytes) with only 20 bytes present. */
	memcpy(buf, kat_syn, 20);
	buf[0] = 0x46;
	assert_int_equal(synack_ipv4_parse(buf, 20, &ip), SYNACK_WIRE_IP_TRUNCATED);
	buf[0] = 0x65;
	assert_int_equal(synack_ipv4_parse(buf, 20, &ip), SYNACK_WIRE_IP_VERSION);
	buf[0] = 0x44;
	assert_int_equal(synack_ipv4_parse(buf, 20, &ip), SYNACK_WIRE_IP_HDRLEN);
	buf[0] = 0x40;
	assert_int_equal(synack_ipv4_parse(buf, 20, &ip), SYNACK_WIRE_IP_HDRLEN);
}

static void test_W03_ip_total_length_lies(void **state)
{
	(void)state;
	uint8_t buf[80];
	struct synack_ipv4 ip;
	struct synack_tcp_seg s;

	/* Says 61 bytes, 60 arrived. */
	memcpy(buf, kat_syn, 60);
	buf[3] = 61;
	ref_fix_ip(buf);
	assert_int_equal(synack_ipv4_parse(buf, 60, &ip), SYNACK_WIRE_IP_TOTLEN);
	/* Says 19: less than its own header. */
	buf[3] = 19;
	ref_fix_ip(buf);
	assert_int_equal(synack_ipv4_parse(buf, 60, &ip), SYNACK_WIRE_IP_TOTLEN);
	/* Ethernet pads short frames: 60 bytes of packet then 6 of zeros. */
	memcpy(buf, kat_syn, 60);
	memset(buf + 60, 0, 6);
	assert_int_equal(synack_tcp_packet_parse(buf, 66, &ip, &s), SYNACK_WIRE_OK);
	assert_int_equal(ip.payload_len, 40);
	assert_int_equal(s.payload_len, 0);
	/* Total length 20: an empty payload is a valid IP packet, but no TCP. */
	buf[3] = 20;
	ref_fix_ip(buf);
	assert_int_equal(synack_ipv4_parse(buf, 60, &ip), SYNACK_WIRE_OK);
	assert_int_equal(ip.payload_len, 0);
	assert_int_equal(synack_tcp_packet_parse(buf, 60, &ip, &s), SYNACK_WIRE_TCP_TRUNCATED);
}

static void test_W03_fragment(void **state)
{
	(void)state;
	uint8_t buf[60];
	struct synack_ipv4 ip;
	static const uint8_t frag[][2] = {{0x20, 0x00}, {0x00, 0x01}, {0x1f, 0xff}, {0x60, 0x00}, {0x40, 0xb9}};

	for (size_t i = 0; i < sizeof frag / sizeof frag[0]; i++) {
		memcpy(buf, kat_syn, 60);
		buf[6] = frag[i][0];
		buf[7] = frag[i][1];
		ref_fix_ip(buf);
		assert_int_equal(synack_ipv4_parse(buf, 60, &ip), SYNACK_WIRE_IP_FRAGMENT);
	}
	/* DF alone, or no flags at all, is a whole datagram. */
	memcpy(buf, kat_syn, 60);
	buf[6] = 0;
	ref_fix_ip(buf);
	assert_int_equal(synack_ipv4_parse(buf, 60, &ip), SYNACK_WIRE_OK);
	assert_false(ip.df);
}

/* Makes a 20+optlen header carrying options, over a TCP SYN payload. */
static size_t ip_with_options(uint8_t *buf, const uint8_t *opts, size_t optlen)
{
	assert_int_equal(optlen % 4, 0);
	memcpy(buf, kat_syn, 20);
	memcpy(buf + 20, opts, optlen);
	memcpy(buf + 20 + optlen, kat_syn + 20, 40);
	buf[0] = (uint8_t)(0x40 | (20 + optlen) / 4);
	buf[3] = (uint8_t)(60 + optlen);
	ref_fix_ip(buf);
	return 60 + optlen;
}

static void test_W03_source_route(void **state)
{
	(void)state;
	uint8_t buf[120];
	struct synack_ipv4 ip;
	struct synack_tcp_seg s;
	static const uint8_t lsrr[8] = {1, 0x83, 7, 4, 1, 2, 3, 4};
	static const uint8_t ssrr[8] = {0x89, 7, 4, 1, 2, 3, 4, 0};
	static const uint8_t rr[8] = {7, 7, 4, 0, 0, 0, 0, 0};   /* record route: allowed */
	static const uint8_t nops[4] = {1, 1, 1, 0};
	static const uint8_t ts[12] = {0x44, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0};

	size_t n = ip_with_options(buf, lsrr, sizeof lsrr);
	assert_int_equal(synack_ipv4_parse(buf, n, &ip), SYNACK_WIRE_IP_OPTIONS);
	n = ip_with_options(buf, ssrr, sizeof ssrr);
	assert_int_equal(synack_ipv4_parse(buf, n, &ip), SYNACK_WIRE_IP_OPTIONS);

	n = ip_with_options(buf, rr, sizeof rr);
	assert_int_equal(synack_tcp_packet_parse(buf, n, &ip, &s), SYNACK_WIRE_OK);
	assert_int_equal(ip.hdr_len, 28);
	assert_int_equal(ip.payload_len, 40);
	assert_int_equal(s.opt.mss, 1460);
	n = ip_with_options(buf, nops, sizeof nops);
	assert_int_equal(synack_ipv4_parse(buf, n, &ip), SYNACK_WIRE_OK);
	n = ip_with_options(buf, ts, sizeof ts);
	assert_int_equal(synack_ipv4_parse(buf, n, &ip), SYNACK_WIRE_OK);
	/* After EOL nothing is read, even a source route. */
	static const uint8_t eol[8] = {0, 0x83, 7, 4, 1, 2, 3, 4};
	n = ip_with_options(buf, eol, sizeof eol);
	assert_int_equal(synack_ipv4_parse(buf, n, &ip), SYNACK_WIRE_OK);
}

static void test_W03_ip_options_malformed(void **state)
{
	(void)state;
	uint8_t buf[120];
	struct synack_ipv4 ip;
	static const uint8_t len1[4] = {7, 1, 0, 0};
	static const uint8_t len0[4] = {7, 0, 0, 0};
	static const uint8_t over[4] = {1, 7, 4, 0};  /* says 4, 3 left */
	static const uint8_t nolen[4] = {1, 1, 1, 7}; /* type with no length byte */

	size_t n = ip_with_options(buf, len1, sizeof len1);
	assert_int_equal(synack_ipv4_parse(buf, n, &ip), SYNACK_WIRE_IP_OPTIONS);
	n = ip_with_options(buf, len0, sizeof len0);
	assert_int_equal(synack_ipv4_parse(buf, n, &ip), SYNACK_WIRE_IP_OPTIONS);
	n = ip_with_options(buf, over, sizeof over);
	assert_int_equal(synack_ipv4_parse(buf, n, &ip), SYNACK_WIRE_IP_OPTIONS);
	n = ip_with_options(buf, nolen, sizeof nolen);
	assert_int_equal(synack_ipv4_parse(buf, n, &ip), SYNACK_WIRE_IP_OPTIONS);
	/* The same header as the whole packet, in a heap block of exactly 24
	 * bytes: the missing length byte must not be read from beyond it. */
	buf[3] = 24;
	ref_fix_ip(buf);
	uint8_t *p = malloc(24);
	assert_non_null(p);
	memcpy(p, buf, 24);
	assert_int_equal(synack_ipv4_parse(p, 24, &ip), SYNACK_WIRE_IP_OPTIONS);
	free(p);
}

static void test_W03_truncated_tcp(void **state)
{
	(void)state;
	struct synack_tcp_seg s;

	for (size_t n = 0; n < 20; n++)
		assert_int_equal(synack_tcp_parse(kat_syn + 20, n, IP_A, IP_B, false, &s),
		                 SYNACK_WIRE_TCP_TRUNCATED);
}

static void test_W03_doff_small(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct synack_tcp_seg s;

	for (uint8_t doff = 0; doff < 5; doff++) {
		size_t n = raw_packet(buf, NULL, 0, "data");
		buf[32] = (uint8_t)(doff << 4);
		ref_fix_tcp(buf + 20, n - 20, IP_A, IP_B);
		assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_DOFF_SMALL);
	}
}

static void test_W03_doff_past_end(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct synack_tcp_seg s;
	size_t n = raw_packet(buf, NULL, 0, "abc"); /* 23 bytes of TCP */

	buf[32] = 6 << 4; /* 24 > 23 */
	ref_fix_tcp(buf + 20, n - 20, IP_A, IP_B);
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_DOFF_LONG);
	buf[32] = 15 << 4;
	ref_fix_tcp(buf + 20, n - 20, IP_A, IP_B);
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_DOFF_LONG);
	/* Exactly to the end is fine: the payload becomes options (NOP EOL ...). */
	n = raw_packet(buf, NULL, 0, "\x01\x01\x01");
	buf[n++] = 0; /* 24 bytes of TCP */
	buf[3] = (uint8_t)n;
	ref_fix_ip(buf);
	buf[32] = 6 << 4;
	ref_fix_tcp(buf + 20, n - 20, IP_A, IP_B);
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_OK);
	assert_int_equal(s.payload_len, 0);
}

static void test_W03_opt_len_0_and_1(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct synack_tcp_seg s;
	static const uint8_t z[4] = {99, 0, 1, 1}, one[4] = {1, 2, 1, 1}, late[8] = {1, 1, 8, 10, 0, 0, 0, 0};
	static const uint8_t mss_one[4] = {2, 1, 0, 0}, unknown_one[4] = {99, 1, 1, 1};

	size_t n = raw_packet(buf, z, sizeof z, NULL);
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_OPT_LEN);
	n = raw_packet(buf, one, sizeof one, NULL);
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_OPT_LEN);
	n = raw_packet(buf, mss_one, sizeof mss_one, NULL);
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_OPT_LEN);
	n = raw_packet(buf, unknown_one, sizeof unknown_one, NULL);
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_OPT_LEN);
	/* TS whose length 10 runs past an 8-byte option area. */
	n = raw_packet(buf, late, sizeof late, NULL);
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_OPT_OVERRUN);
}

/* Known kinds with the wrong length are malformed, not skipped. */
static void test_W03_known_option_bad_length(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct synack_tcp_seg s;
	static const uint8_t cases[][12] = {
		{2, 3, 0, 1, 1, 1, 1, 1},       /* MSS len 3 */
		{2, 5, 0, 0, 0, 1, 1, 1},       /* MSS len 5 */
		{3, 4, 7, 0, 1, 1, 1, 1},       /* WSCALE len 4 */
		{3, 2, 1, 1},                   /* WSCALE len 2 */
		{4, 3, 0, 1},                   /* SACK_PERM len 3 */
		{5, 2, 1, 1},                   /* SACK with no block */
		{5, 9, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1}, /* SACK len 2+7 */
		{8, 8, 0, 0, 0, 1, 0, 0},       /* TS len 8 */
		{8, 11, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1},/* TS len 11 */
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = raw_packet(buf, cases[i], sizeof cases[i], NULL);
		assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_OPT_LEN);
	}
	/* SACK with 5 blocks does not fit in 40 bytes of options: it overruns. */
	uint8_t five[40] = {5, 42};
	size_t n = raw_packet(buf, five, sizeof five, NULL);
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_OPT_OVERRUN);
}

static void test_W03_opt_overrun(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct synack_tcp_seg s;
	static const uint8_t nolen[4] = {1, 1, 1, 2};  /* MSS kind is the last byte */
	static const uint8_t past[4] = {1, 1, 99, 3};  /* unknown, len 3 with 2 left */
	static const uint8_t mss[4] = {1, 1, 2, 4};    /* MSS len 4 with 2 left */

	size_t n = raw_packet(buf, nolen, sizeof nolen, "payload after");
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_OPT_OVERRUN);
	n = raw_packet(buf, past, sizeof past, "payload after");
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_OPT_OVERRUN);
	n = raw_packet(buf, mss, sizeof mss, "pl");
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_OPT_OVERRUN);
}

/* Structure is checked before the checksum, the checksum before options. */
static void test_W03_check_order(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct synack_tcp_seg s;
	static const uint8_t bad[4] = {2, 0, 0, 0};

	size_t n = raw_packet(buf, bad, sizeof bad, NULL);
	buf[40] ^= 0x80; /* kind 0x82, len 0: still malformed, and now the checksum is wrong */
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_CSUM);
	assert_int_equal(synack_tcp_parse(buf + 20, n - 20, IP_A, IP_B, false, &s), SYNACK_WIRE_TCP_OPT_LEN);
	buf[32] = 0x40; /* doff 4 beats the checksum */
	assert_int_equal(parse_raw_tcp(buf, n, &s), SYNACK_WIRE_TCP_DOFF_SMALL);
}

static void test_W03_non_tcp_packet(void **state)
{
	(void)state;
	struct synack_ipv4 ip;
	struct synack_tcp_seg s;

	assert_int_equal(synack_tcp_packet_parse(kat_ping, sizeof kat_ping, &ip, &s),
	                 SYNACK_WIRE_TCP_TRUNCATED);
	assert_int_equal(ip.proto, SYNACK_IPPROTO_ICMP);
}

/* Invariants of any successful parse of buf[0..len). */
static void check_tcp_sane(const uint8_t *tcp, size_t len, const struct synack_tcp_seg *s)
{
	assert_true(s->hdr_len >= 20 && s->hdr_len <= 60 && s->hdr_len % 4 == 0);
	assert_true(s->hdr_len <= len);
	assert_ptr_equal(s->payload, tcp + s->hdr_len);
	assert_int_equal(s->payload_len, len - s->hdr_len);
	assert_true(s->opt.sack_count <= SYNACK_TCP_MAX_SACK);
	assert_int_equal(s->opt.sack_count > 0, (s->opt.present & SYNACK_OPT_SACK) != 0);
	assert_int_equal(s->opt.present & ~0x1f, 0);
}

/* Parses a heap copy of exactly len bytes, so ASan sees any overread. */
static void parse_everything(const uint8_t *data, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	struct synack_ipv4 ip;
	struct synack_tcp_seg s;
	struct synack_icmp m;
	char line[200], tiny[7];

	assert_non_null(p);
	if (len)
		memcpy(p, data, len);
	enum synack_wire_err e = synack_tcp_packet_parse(p, len, &ip, &s);
	assert_true((unsigned)e < SYNACK_WIRE_ERR_COUNT);
	if (e == SYNACK_WIRE_OK) {
		assert_true(ip.hdr_len >= 20 && ip.total_len <= len);
		check_tcp_sane(ip.payload, ip.payload_len, &s);
	}
	for (int verify = 0; verify < 2; verify++) {
		e = synack_tcp_parse(p, len, IP_A, IP_B, verify, &s);
		assert_true((unsigned)e < SYNACK_WIRE_ERR_COUNT);
		if (e == SYNACK_WIRE_OK)
			check_tcp_sane(p, len, &s);
	}
	e = synack_icmp_parse(p, len, &m);
	assert_true(e == SYNACK_WIRE_OK || e == SYNACK_WIRE_ICMP_TRUNCATED || e == SYNACK_WIRE_ICMP_CSUM);
	if (e == SYNACK_WIRE_OK)
		assert_true(m.data == p + 8 && m.data_len == len - 8);
	synack_packet_format(p, len, line, sizeof line);
	assert_true(strlen(line) < sizeof line);
	synack_packet_format(p, len, tiny, sizeof tiny);
	assert_true(strlen(tiny) < sizeof tiny);
	free(p);
}

static void test_W03_every_truncation(void **state)
{
	(void)state;
	uint8_t buf[128];
	static const uint8_t opts[40] = {2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
	                                 1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4};
	size_t n = raw_packet(buf, opts, sizeof opts, "some payload");
	struct synack_ipv4 ip;
	struct synack_tcp_seg s;

	assert_int_equal(synack_tcp_packet_parse(buf, n, &ip, &s), SYNACK_WIRE_OK);
	const uint8_t *pkts[] = {kat_syn, kat_data, kat_ping, buf};
	const size_t lens[] = {sizeof kat_syn, sizeof kat_data, sizeof kat_ping, n};
	for (size_t k = 0; k < 4; k++) {
		for (size_t len = 0; len <= lens[k]; len++) {
			parse_everything(pkts[k], len);
			/* Short of total_len, IP always says so. */
			if (len >= 20 && len < lens[k])
				assert_int_equal(synack_ipv4_parse(pkts[k], len, &ip), SYNACK_WIRE_IP_TOTLEN);
			parse_everything(pkts[k] + 20, len > 20 ? len - 20 : 0);
		}
	}
}

/* Random bytes, random bytes behind a valid IPv4 header, and single-byte
 * mutations of a valid segment: no crash, no overread, sane results. */
static void test_W03_random_buffers(void **state)
{
	(void)state;
	uint64_t rng = 0x2545f4914f6cdd1dull;
	uint8_t buf[128];
	unsigned ok = 0;

	for (int i = 0; i < 4000; i++) {
		size_t len = (size_t)(xorshift64(&rng) % sizeof buf);
		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)xorshift64(&rng);
		parse_everything(buf, len);
		if (len < 40)
			continue;
		/* Valid IPv4 header with IHL 5, total_len = len, no fragment; the TCP
		 * data offset points at least at 20 so options get exercised. */
		buf[0] = 0x45;
		buf[2] = 0;
		buf[3] = (uint8_t)len;
		buf[6] = 0x40;
		buf[7] = 0;
		buf[9] = 6;
		buf[32] = (uint8_t)((5 + xorshift64(&rng) % 11) << 4);
		ref_fix_ip(buf);
		parse_everything(buf, len);
		ref_fix_tcp(buf + 20, len - 20, (uint32_t)buf[12] << 24 | (uint32_t)buf[13] << 16 |
		                                    (uint32_t)buf[14] << 8 | buf[15],
		            (uint32_t)buf[16] << 24 | (uint32_t)buf[17] << 16 | (uint32_t)buf[18] << 8 | buf[19]);
		struct synack_ipv4 ip;
		struct synack_tcp_seg s;
		if (synack_tcp_packet_parse(buf, len, &ip, &s) == SYNACK_WIRE_OK)
			ok++;
		parse_everything(buf, len);
	}
	for (int i = 0; i < 2000; i++) {
		memcpy(buf, kat_syn, sizeof kat_syn);
		buf[xorshift64(&rng) % sizeof kat_syn] = (uint8_t)xorshift64(&rng);
		parse_everything(buf, sizeof kat_syn);
	}
	assert_true(ok > 0); /* the random options were sometimes well formed */
}

/* ---- W04: sequence arithmetic ---- */

static void test_W04_seq_wrap(void **state)
{
	(void)state;
	const uint32_t isn = 0xfffffff0u; /* just below 2^32 */
	const uint32_t after = isn + 0x20; /* 0x10, past the wrap */

	assert_true(seq_lt(isn, after));
	assert_true(seq_leq(isn, after));
	assert_false(seq_gt(isn, after));
	assert_false(seq_geq(isn, after));
	assert_true(seq_gt(after, isn));
	assert_true(seq_geq(after, isn));
	assert_true(seq_leq(isn, isn) && seq_geq(isn, isn));
	assert_false(seq_lt(isn, isn) || seq_gt(isn, isn));
	assert_true(seq_lt(0xffffffffu, 0));
	assert_true(seq_gt(0, 0xffffffffu));
	assert_true(seq_lt(0x7fffffffu, 0x80000000u));
	assert_int_equal(seq_max(isn, after), after);
	assert_int_equal(seq_min(isn, after), isn);
	assert_int_equal(seq_max(after, isn), after);
	assert_int_equal(seq_min(after, isn), isn);

	/* Walk a connection's sequence space across the wrap one segment at a time. */
	uint32_t prev = isn;
	for (int i = 0; i < 100; i++) {
		uint32_t next = prev + 1460;
		assert_true(seq_lt(prev, next));
		assert_true(seq_gt(next, prev));
		assert_true(seq_between(prev, isn, next));
		assert_false(seq_between(next, isn, next));
		prev = next;
	}
}

static void test_W04_seq_between_and_window(void **state)
{
	(void)state;
	const uint32_t lo = 0xfffffff0u, hi = 0x10;

	assert_true(seq_between(lo, lo, hi));
	assert_true(seq_between(0xffffffffu, lo, hi));
	assert_true(seq_between(0, lo, hi));
	assert_true(seq_between(0xf, lo, hi));
	assert_false(seq_between(hi, lo, hi));
	assert_false(seq_between(lo - 1, lo, hi));
	assert_false(seq_between(lo, lo, lo)); /* empty interval */
	assert_true(seq_between(5, 0, 10));
	assert_false(seq_between(10, 0, 10));

	assert_true(seq_in_window(lo, lo, 0x20));
	assert_true(seq_in_window(0x1f - 0x10, lo, 0x20));
	assert_false(seq_in_window(0x10, lo, 0x20));
	assert_false(seq_in_window(lo - 1, lo, 0x20));
	assert_false(seq_in_window(lo, lo, 0)); /* zero window holds nothing */
	assert_true(seq_in_window(lo + 0xfffffffeu, lo, 0xffffffffu));
}

/* ---- ICMP ---- */

static void test_icmp_echo_known_answer(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct synack_ipv4 ip = {.src = IP_A, .dst = IP_B, .ttl = 64, .id = 1, .df = true, .proto = 99};
	struct synack_icmp m = {.type = SYNACK_ICMP_ECHO_REQUEST, .id = 0x1234, .seq = 1,
	                        .data = (const uint8_t *)"abcdefgh", .data_len = 8};

	assert_int_equal(synack_icmp_echo_build(buf, sizeof buf, &ip, &m), sizeof kat_ping);
	assert_memory_equal(buf, kat_ping, sizeof kat_ping);
	assert_int_equal(synack_icmp_echo_build(buf, sizeof kat_ping - 1, &ip, &m), 0);

	struct synack_ipv4 pip;
	struct synack_icmp p;
	assert_int_equal(synack_ipv4_parse(kat_ping, sizeof kat_ping, &pip), SYNACK_WIRE_OK);
	assert_int_equal(pip.proto, SYNACK_IPPROTO_ICMP);
	assert_int_equal(synack_icmp_parse(pip.payload, pip.payload_len, &p), SYNACK_WIRE_OK);
	assert_int_equal(p.type, SYNACK_ICMP_ECHO_REQUEST);
	assert_int_equal(p.code, 0);
	assert_int_equal(p.id, 0x1234);
	assert_int_equal(p.seq, 1);
	assert_int_equal(p.data_len, 8);
	assert_memory_equal(p.data, "abcdefgh", 8);
}

/* A reply built in place over its request (data aliases buf), odd length. */
static void test_icmp_echo_reply_in_place(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct synack_ipv4 ip, rip;
	struct synack_icmp m, r;

	memcpy(buf, kat_ping, sizeof kat_ping);
	assert_int_equal(synack_ipv4_parse(buf, sizeof kat_ping, &ip), SYNACK_WIRE_OK);
	assert_int_equal(synack_icmp_parse(ip.payload, ip.payload_len, &m), SYNACK_WIRE_OK);
	m.type = SYNACK_ICMP_ECHO_REPLY;
	m.data_len = 7;
	struct synack_ipv4 out = {.src = ip.dst, .dst = ip.src, .ttl = 64, .id = 2};
	size_t n = synack_icmp_echo_build(buf, sizeof buf, &out, &m);
	assert_int_equal(n, 35);
	assert_int_equal(ref_csum(buf + 20, 15), 0);
	assert_int_equal(synack_ipv4_parse(buf, n, &rip), SYNACK_WIRE_OK);
	assert_int_equal(rip.src, IP_B);
	assert_false(rip.df);
	assert_int_equal(synack_icmp_parse(rip.payload, rip.payload_len, &r), SYNACK_WIRE_OK);
	assert_int_equal(r.type, SYNACK_ICMP_ECHO_REPLY);
	assert_int_equal(r.id, 0x1234);
	assert_memory_equal(r.data, "abcdefg", 7);
}

static void test_W03_icmp_truncated(void **state)
{
	(void)state;
	struct synack_icmp m;

	for (size_t n = 0; n < 8; n++)
		assert_int_equal(synack_icmp_parse(kat_ping + 20, n, &m), SYNACK_WIRE_ICMP_TRUNCATED);
	/* The bare 8-byte header with its checksum fixed is a valid message. */
	uint8_t h[8] = {8, 0, 0, 0, 0, 1, 0, 2};
	uint16_t c = ref_csum(h, 8);
	h[2] = (uint8_t)(c >> 8);
	h[3] = (uint8_t)c;
	assert_int_equal(synack_icmp_parse(h, 8, &m), SYNACK_WIRE_OK);
	assert_int_equal(m.data_len, 0);
}

/* ---- text ---- */

static void test_format_packets(void **state)
{
	(void)state;
	char line[256];

	assert_string_equal(synack_packet_format(kat_syn, sizeof kat_syn, line, sizeof line),
	                    "10.0.0.1:54321 > 10.0.0.2:80 [S] seq 4294967280 win 64240 len 0 "
	                    "<mss 1460,sackOK,TS val 10107692 ecr 0,wscale 7>");
	assert_string_equal(synack_packet_format(kat_data, sizeof kat_data, line, sizeof line),
	                    "10.0.0.2:80 > 10.0.0.1:54321 [P.] seq 5 ack 4294967281 win 502 len 6 "
	                    "<TS val 10107712 ecr 2130706433>");
	assert_string_equal(synack_packet_format(kat_ping, sizeof kat_ping, line, sizeof line),
	                    "10.0.0.1 > 10.0.0.2 icmp echo request id 4660 seq 1 len 8");
	assert_string_equal(synack_packet_format(kat_ping, 10, line, sizeof line),
	                    "ip bad: ip-truncated len 10");

	uint8_t buf[64];
	memcpy(buf, kat_ping, sizeof kat_ping);
	buf[9] = 17;
	ref_fix_ip(buf);
	assert_string_equal(synack_packet_format(buf, sizeof kat_ping, line, sizeof line),
	                    "10.0.0.1 > 10.0.0.2 proto 17 len 16");
	memcpy(buf, kat_syn, sizeof kat_syn);
	buf[36] ^= 0xff; /* corrupt the TCP checksum: still shown, marked */
	assert_string_equal(synack_packet_format(buf, 40, line, sizeof line),
	                    "ip bad: ip-totlen len 40");
	const char *bad = synack_packet_format(buf, sizeof kat_syn, line, sizeof line);
	assert_non_null(strstr(bad, "[bad tcp csum]"));
}

static void test_format_flags_notation(void **state)
{
	(void)state;
	static const struct {
		uint8_t flags;
		const char *want;
	} cases[] = {
		{SYNACK_TCP_SYN, "[S]"},
		{SYNACK_TCP_SYN | SYNACK_TCP_ACK, "[S.]"},
		{SYNACK_TCP_ACK, "[.]"},
		{SYNACK_TCP_PSH | SYNACK_TCP_ACK, "[P.]"},
		{SYNACK_TCP_FIN | SYNACK_TCP_ACK, "[F.]"},
		{SYNACK_TCP_RST, "[R]"},
		{SYNACK_TCP_RST | SYNACK_TCP_ACK, "[R.]"},
		{SYNACK_TCP_SYN | SYNACK_TCP_ECE | SYNACK_TCP_CWR, "[SEW]"},
		{SYNACK_TCP_ACK | SYNACK_TCP_URG, "[.U]"},
		{SYNACK_TCP_FIN | SYNACK_TCP_PSH | SYNACK_TCP_ACK, "[FP.]"},
		{0, "[none]"},
	};
	uint8_t buf[64];
	char line[256], want[300];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct synack_tcp_seg s = {.sport = 1, .dport = 2, .seq = 3, .ack = 4, .window = 5,
		                           .urg_ptr = 6, .flags = cases[i].flags};
		size_t n = synack_tcp_build(buf, sizeof buf, &ip_ab, &s);
		snprintf(want, sizeof want, "10.0.0.1:1 > 10.0.0.2:2 %s seq 3%s win 5%s len 0", cases[i].want,
		         (cases[i].flags & SYNACK_TCP_ACK) ? " ack 4" : "",
		         (cases[i].flags & SYNACK_TCP_URG) ? " urg 6" : "");
		assert_string_equal(synack_packet_format(buf, n, line, sizeof line), want);
	}
}

/* Every output size from 0 to the full line: NUL-terminated, a prefix of
 * the full line, and not one byte written past cap. */
static void test_format_never_overflows(void **state)
{
	(void)state;
	char full[256], small[300];
	size_t flen = strlen(synack_packet_format(kat_syn, sizeof kat_syn, full, sizeof full));

	assert_true(flen > 50);
	for (size_t cap = 0; cap <= flen + 2; cap++) {
		memset(small, 'Z', sizeof small);
		synack_packet_format(kat_syn, sizeof kat_syn, small, cap);
		assert_int_equal(small[cap], 'Z');
		if (cap == 0)
			continue;
		size_t n = strlen(small);
		assert_int_equal(n, cap - 1 < flen ? cap - 1 : flen);
		assert_memory_equal(small, full, n);
	}
}

static void test_ip_format_parse(void **state)
{
	(void)state;
	char b[16];
	uint32_t a = 0;

	assert_string_equal(synack_ip_format(0, b), "0.0.0.0");
	assert_string_equal(synack_ip_format(0xffffffffu, b), "255.255.255.255");
	assert_string_equal(synack_ip_format(0xc0a8010au, b), "192.168.1.10");
	assert_string_equal(synack_ip_format(0x0a640009u, b), "10.100.0.9");
	assert_int_equal(synack_ip_parse("192.168.1.10", &a), 0);
	assert_int_equal(a, 0xc0a8010au);
	assert_int_equal(synack_ip_parse("255.255.255.255", &a), 0);
	assert_int_equal(a, 0xffffffffu);
	assert_int_equal(synack_ip_parse("0.0.0.0", &a), 0);
	assert_int_equal(a, 0);
	static const char *const bad[] = {"", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "256.1.1.1", "1..2.3",
	                                  "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "1.2.3.-4",
	                                  "1.2.3.0004", "1.2.3.1000", ".1.2.3"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		a = 0x5a5a5a5a;
		assert_int_equal(synack_ip_parse(bad[i], &a), -EINVAL);
		assert_int_equal(a, 0x5a5a5a5a);
	}
}

static void test_wire_strerror_names(void **state)
{
	(void)state;
	for (int i = 0; i < SYNACK_WIRE_ERR_COUNT; i++) {
		const char *n = synack_wire_strerror((enum synack_wire_err)i);
		assert_non_null(n);
		assert_string_not_equal(n, "unknown");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, synack_wire_strerror((enum synack_wire_err)j));
	}
	assert_string_equal(synack_wire_strerror(SYNACK_WIRE_TCP_OPT_LEN), "tcp-opt-len");
	assert_string_equal(synack_wire_strerror(SYNACK_WIRE_ERR_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_W01_syn_known_answer_parse),
		cmocka_unit_test(test_W01_syn_known_answer_build),
		cmocka_unit_test(test_W01_data_known_answer),
		cmocka_unit_test(test_W01_tcp_roundtrip_all_flags),
		cmocka_unit_test(test_W01_options_every_kind),
		cmocka_unit_test(test_W01_unknown_option_skipped),
		cmocka_unit_test(test_W01_opts_build_layout),
		cmocka_unit_test(test_W01_opts_build_drops_sack_blocks),
		cmocka_unit_test(test_W01_build_in_place),
		cmocka_unit_test(test_W02_rfc1071_example),
		cmocka_unit_test(test_W02_csum_matches_reference),
		cmocka_unit_test(test_W02_ip_checksum),
		cmocka_unit_test(test_W02_tcp_checksum_verified_and_rejected),
		cmocka_unit_test(test_W02_tcp_checksum_negative_zero),
		cmocka_unit_test(test_W02_icmp_checksum),
		cmocka_unit_test(test_W03_truncated_ip),
		cmocka_unit_test(test_W03_ip_total_length_lies),
		cmocka_unit_test(test_W03_fragment),
		cmocka_unit_test(test_W03_source_route),
		cmocka_unit_test(test_W03_ip_options_malformed),
		cmocka_unit_test(test_W03_truncated_tcp),
		cmocka_unit_test(test_W03_doff_small),
		cmocka_unit_test(test_W03_doff_past_end),
		cmocka_unit_test(test_W03_opt_len_0_and_1),
		cmocka_unit_test(test_W03_known_option_bad_length),
		cmocka_unit_test(test_W03_opt_overrun),
		cmocka_unit_test(test_W03_check_order),
		cmocka_unit_test(test_W03_non_tcp_packet),
		cmocka_unit_test(test_W03_icmp_truncated),
		cmocka_unit_test(test_W03_every_truncation),
		cmocka_unit_test(test_W03_random_buffers),
		cmocka_unit_test(test_W04_seq_wrap),
		cmocka_unit_test(test_W04_seq_between_and_window),
		cmocka_unit_test(test_icmp_echo_known_answer),
		cmocka_unit_test(test_icmp_echo_reply_in_place),
		cmocka_unit_test(test_format_packets),
		cmocka_unit_test(test_format_flags_notation),
		cmocka_unit_test(test_format_never_overflows),
		cmocka_unit_test(test_ip_format_parse),
		cmocka_unit_test(test_wire_strerror_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
