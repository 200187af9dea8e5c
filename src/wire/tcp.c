/* TCP header and options (RFC 9293 3.1, 3.2; RFC 7323; RFC 2018). */
#include <string.h>
#include <synack/wire.h>

#include "wire/bytes.h"

/* RFC 9293 3.2, RFC 7323 2.2/3.2, RFC 2018 2/3: kinds and their lengths. */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TS 8
#define TCPOLEN_MSS 4
#define TCPOLEN_WSCALE 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_SACK_BASE 2
#define TCPOLEN_SACK_BLOCK 8
#define TCPOLEN_TS 10

/* Decodes one option of a known kind whose length byte l fits the header.
 * A known kind with the wrong length is malformed (RFC 9293 3.1: "MUST be
 * prepared to handle an illegal option length"); unknown kinds are skipped by
 * length (RFC 9293 3.1, RFC 1122 4.2.2.5). */
static enum synack_wire_err tcp_parse_option(const uint8_t *o, uint8_t l, struct synack_tcp_opts *opt)
{
	switch (o[0]) {
	case TCPOPT_MSS:
		if (l != TCPOLEN_MSS)
			return SYNACK_WIRE_TCP_OPT_LEN;
		opt->mss = get_be16(o + 2);
		opt->present |= SYNACK_OPT_MSS;
		break;
	case TCPOPT_WSCALE:
		if (l != TCPOLEN_WSCALE)
			return SYNACK_WIRE_TCP_OPT_LEN;
		opt->wscale = o[2];
		opt->present |= SYNACK_OPT_WSCALE;
		break;
	case TCPOPT_SACK_PERM:
		if (l != TCPOLEN_SACK_PERM)
			return SYNACK_WIRE_TCP_OPT_LEN;
		opt->present |= SYNACK_OPT_SACK_PERM;
		break;
	case TCPOPT_SACK: {
		unsigned n = (unsigned)(l - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_BLOCK;
		if ((l - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_BLOCK || n < 1 || n > SYNACK_TCP_MAX_SACK)
			return SYNACK_WIRE_TCP_OPT_LEN;
		for (unsigned i = 0; i < n; i++) {
			opt->sack[i].start = get_be32(o + 2 + 8 * i);
			opt->sack[i].end = get_be32(o + 6 + 8 * i);
		}
		opt->sack_count = (uint8_t)n;
		opt->present |= SYNACK_OPT_SACK;
		break;
	}
	case TCPOPT_TS:
		if (l != TCPOLEN_TS)
			return SYNACK_WIRE_TCP_OPT_LEN;
		opt->ts_val = get_be32(o + 2);
		opt->ts_ecr = get_be32(o + 6);
		opt->present |= SYNACK_OPT_TS;
		break;
	default:
		break;
	}
	return SYNACK_WIRE_OK;
}

/* Walks the option list (RFC 9293 3.1): EOL ends it, NOP is one byte, every
 * other kind is kind, length (counting both), data.  A repeated option
 * overwrites the earlier one. */
static enum synack_wire_err tcp_parse_options(const uint8_t *o, size_t len, struct synack_tcp_opts *opt)
{
	size_t i = 0;

	while (i < len) {
		if (o[i] == TCPOPT_EOL)
			break;
		if (o[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return SYNACK_WIRE_TCP_OPT_OVERRUN; /* no room for the length byte */
		uint8_t l = o[i + 1];
		if (l < 2)
			return SYNACK_WIRE_TCP_OPT_LEN; /* would never advance */
		if (l > len - i)
			return SYNACK_WIRE_TCP_OPT_OVERRUN;
		enum synack_wire_err err = tcp_parse_option(o + i, l, opt);
		if (err != SYNACK_WIRE_OK)
			return err;
		i += l;
	}
	return SYNACK_WIRE_OK;
}

/* Order of checks: structure (length, data offset) first, since the checksum
 * is meaningless over a segment we cannot delimit; then the checksum (RFC 9293
 * 3.1), so options are only decoded from bytes the sender really sent; then
 * the options.  A segment longer than 65535 bytes cannot be carried by IPv4:
 * its pseudo-header length cannot be expressed, so it fails TCP_CSUM. */
enum synack_wire_err synack_tcp_parse(const uint8_t *tcp, size_t len, uint32_t src, uint32_t dst,
                                      bool verify_csum, struct synack_tcp_seg *out)
{
	*out = (struct synack_tcp_seg){0};
	if (len < SYNACK_TCP_HDR_LEN)
		return SYNACK_WIRE_TCP_TRUNCATED;
	size_t hdr_len = (size_t)(tcp[12] >> 4) * 4;
	if (hdr_len < SYNACK_TCP_HDR_LEN)
		return SYNACK_WIRE_TCP_DOFF_SMALL;
	if (hdr_len > len)
		return SYNACK_WIRE_TCP_DOFF_LONG;
	if (verify_csum) {
		if (len > 65535)
			return SYNACK_WIRE_TCP_CSUM;
		uint32_t sum = synack_csum_pseudo(src, dst, SYNACK_IPPROTO_TCP, (uint16_t)len);
		if (synack_csum_fold(synack_csum_add(sum, tcp, len)) != 0)
			return SYNACK_WIRE_TCP_CSUM;
	}
	enum synack_wire_err err = tcp_parse_options(tcp + SYNACK_TCP_HDR_LEN,
	                                             hdr_len - SYNACK_TCP_HDR_LEN, &out->opt);
	if (err != SYNACK_WIRE_OK)
		return err;

	out->sport = get_be16(tcp);
	out->dport = get_be16(tcp + 2);
	out->seq = get_be32(tcp + 4);
	out->ack = get_be32(tcp + 8);
	out->res = tcp[12] & 0x0f; /* RFC 9293 3.1 "Rsrvd"; bit 0 is AE in RFC 9768 */
	out->flags = tcp[13];
	out->hdr_len = (uint8_t)hdr_len;
	out->window = get_be16(tcp + 14);
	out->csum = get_be16(tcp + 16);
	out->urg_ptr = get_be16(tcp + 18);
	out->payload = tcp + hdr_len;
	out->payload_len = (uint32_t)(len - hdr_len);
	return SYNACK_WIRE_OK;
}

/* Appends kind, length and count big-endian SACK blocks (RFC 2018 3), after
 * two NOPs for alignment, as Linux does. */
static size_t tcp_put_sack(uint8_t *p, const struct synack_tcp_opts *opt, unsigned n)
{
	p[0] = TCPOPT_NOP;
	p[1] = TCPOPT_NOP;
	p[2] = TCPOPT_SACK;
	p[3] = (uint8_t)(TCPOLEN_SACK_BASE + TCPOLEN_SACK_BLOCK * n);
	for (unsigned i = 0; i < n; i++) {
		put_be32(p + 4 + 8 * i, opt->sack[i].start);
		put_be32(p + 8 + 8 * i, opt->sack[i].end);
	}
	return 4 + TCPOLEN_SACK_BLOCK * n;
}

/* Linux's tcp_options_write() layout, every option 32-bit aligned:
 *   MSS                      02 04 mm mm
 *   SACK_PERM + TS           04 02 08 0a vvvv eeee    (TS alone: 01 01 08 0a ...)
 *   SACK_PERM without TS     01 01 04 02
 *   WSCALE                   01 03 03 ws
 *   SACK blocks              01 01 05 ll blocks...
 * A SYN with everything is 20 bytes; SACK blocks that do not fit in the
 * 40-byte option space are dropped from the end.  buf must hold 40 bytes. */
size_t synack_tcp_opts_build(uint8_t *buf, const struct synack_tcp_opts *opt)
{
	uint8_t *p = buf;
	bool sack_perm = opt->present & SYNACK_OPT_SACK_PERM;

	if (opt->present & SYNACK_OPT_MSS) {
		p[0] = TCPOPT_MSS;
		p[1] = TCPOLEN_MSS;
		put_be16(p + 2, opt->mss);
		p += 4;
	}
	if (opt->present & SYNACK_OPT_TS) {
		p[0] = sack_perm ? TCPOPT_SACK_PERM : TCPOPT_NOP;
		p[1] = sack_perm ? TCPOLEN_SACK_PERM : TCPOPT_NOP;
		p[2] = TCPOPT_TS;
		p[3] = TCPOLEN_TS;
		put_be32(p + 4, opt->ts_val);
		put_be32(p + 8, opt->ts_ecr);
		p += 12;
	} else if (sack_perm) {
		p[0] = TCPOPT_NOP;
		p[1] = TCPOPT_NOP;
		p[2] = TCPOPT_SACK_PERM;
		p[3] = TCPOLEN_SACK_PERM;
		p += 4;
	}
	if (opt->present & SYNACK_OPT_WSCALE) {
		p[0] = TCPOPT_NOP;
		p[1] = TCPOPT_WSCALE;
		p[2] = TCPOLEN_WSCALE;
		p[3] = opt->wscale;
		p += 4;
	}
	if (opt->present & SYNACK_OPT_SACK) {
		size_t room = SYNACK_TCP_MAX_OPT_LEN - (size_t)(p - buf);
		unsigned n = opt->sack_count < SYNACK_TCP_MAX_SACK ? opt->sack_count : SYNACK_TCP_MAX_SACK;
		if (room >= 4 && n > (room - 4) / TCPOLEN_SACK_BLOCK)
			n = (unsigned)((room - 4) / TCPOLEN_SACK_BLOCK);
		if (room >= 4 + TCPOLEN_SACK_BLOCK && n > 0)
			p += tcp_put_sack(p, opt, n);
	}
	return (size_t)(p - buf); /* every piece above is 4 bytes aligned: no padding needed */
}

/* Writes the 20-byte fixed header (RFC 9293 3.1) with a zero checksum. */
static void tcp_put_header(uint8_t *t, const struct synack_tcp_seg *seg, size_t hdr_len)
{
	put_be16(t, seg->sport);
	put_be16(t + 2, seg->dport);
	put_be32(t + 4, seg->seq);
	put_be32(t + 8, seg->ack);
	t[12] = (uint8_t)((hdr_len / 4) << 4 | (seg->res & 0x0f));
	t[13] = seg->flags;
	put_be16(t + 14, seg->window);
	put_be16(t + 16, 0);
	put_be16(t + 18, seg->urg_ptr);
}

/* The payload may alias buf (e.g. a segment rebuilt in place), so it is moved
 * before the header and options are written over the space in front of it. */
size_t synack_tcp_build(uint8_t *buf, size_t cap, const struct synack_ipv4 *ip,
                        const struct synack_tcp_seg *seg)
{
	uint8_t opts[SYNACK_TCP_MAX_OPT_LEN];
	size_t opt_len = synack_tcp_opts_build(opts, &seg->opt);
	size_t hdr_len = SYNACK_TCP_HDR_LEN + opt_len;

	if (seg->payload_len > 65535 - SYNACK_IPV4_HDR_LEN - hdr_len)
		return 0;
	size_t tcp_len = hdr_len + seg->payload_len;
	size_t total = SYNACK_IPV4_HDR_LEN + tcp_len;
	if (cap < total || (seg->payload_len > 0 && !seg->payload))
		return 0;

	uint8_t *t = buf + SYNACK_IPV4_HDR_LEN;
	if (seg->payload_len > 0)
		memmove(t + hdr_len, seg->payload, seg->payload_len);
	tcp_put_header(t, seg, hdr_len);
	memcpy(t + SYNACK_TCP_HDR_LEN, opts, opt_len);

	/* RFC 9293 3.1: the checksum covers pseudo-header, header and data. */
	uint32_t sum = synack_csum_pseudo(ip->src, ip->dst, SYNACK_IPPROTO_TCP, (uint16_t)tcp_len);
	put_be16(t + 16, synack_csum_fold(synack_csum_add(sum, t, tcp_len)));

	struct synack_ipv4 h = *ip;
	h.proto = SYNACK_IPPROTO_TCP;
	return synack_ipv4_build(buf, cap, &h, tcp_len) ? total : 0;
}

/* A packet that is valid IPv4 but not TCP has no TCP header to parse: it
 * yields TCP_TRUNCATED, with ip filled in so the caller can see ip->proto. */
enum synack_wire_err synack_tcp_packet_parse(const uint8_t *pkt, size_t len, struct synack_ipv4 *ip,
                                             struct synack_tcp_seg *seg)
{
	*seg = (struct synack_tcp_seg){0};
	enum synack_wire_err err = synack_ipv4_parse(pkt, len, ip);
	if (err != SYNACK_WIRE_OK)
		return err;
	if (ip->proto != SYNACK_IPPROTO_TCP)
		return SYNACK_WIRE_TCP_TRUNCATED;
	return synack_tcp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, true, seg);
}
