/* IPv4 header parse and build (RFC 791), dotted-quad text, error names. */
#include <errno.h>
#include <synack/wire.h>

#include "wire/bytes.h"

#define IPV4_FLAG_DF 0x4000
#define IPV4_FLAG_MF 0x2000
#define IPV4_FRAG_OFFSET_MASK 0x1fff

/* RFC 791 3.1 option types (copied flag included, as on the wire). */
#define IPOPT_EOL 0x00
#define IPOPT_NOP 0x01
#define IPOPT_LSRR 0x83
#define IPOPT_SSRR 0x89

static const char *const wire_err_names[SYNACK_WIRE_ERR_COUNT] = {
	[SYNACK_WIRE_OK] = "ok",
	[SYNACK_WIRE_IP_TRUNCATED] = "ip-truncated",
	[SYNACK_WIRE_IP_VERSION] = "ip-version",
	[SYNACK_WIRE_IP_HDRLEN] = "ip-hdrlen",
	[SYNACK_WIRE_IP_TOTLEN] = "ip-totlen",
	[SYNACK_WIRE_IP_CSUM] = "ip-csum",
	[SYNACK_WIRE_IP_FRAGMENT] = "ip-fragment",
	[SYNACK_WIRE_IP_OPTIONS] = "ip-options",
	[SYNACK_WIRE_TCP_TRUNCATED] = "tcp-truncated",
	[SYNACK_WIRE_TCP_DOFF_SMALL] = "tcp-doff-small",
	[SYNACK_WIRE_TCP_DOFF_LONG] = "tcp-doff-long",
	[SYNACK_WIRE_TCP_OPT_LEN] = "tcp-opt-len",
	[SYNACK_WIRE_TCP_OPT_OVERRUN] = "tcp-opt-overrun",
	[SYNACK_WIRE_TCP_CSUM] = "tcp-csum",
	[SYNACK_WIRE_ICMP_TRUNCATED] = "icmp-truncated",
	[SYNACK_WIRE_ICMP_CSUM] = "icmp-csum",
};

const char *synack_wire_strerror(enum synack_wire_err err)
{
	if ((unsigned)err >= SYNACK_WIRE_ERR_COUNT || !wire_err_names[err])
		return "unknown";
	return wire_err_names[err];
}

/* Walks the options (RFC 791 3.1): EOL ends the list, NOP is one byte, every
 * other option is type, length (>= 2, counting both), data.  Source routing
 * is refused as Linux does by default (accept_source_route = 0): a forged
 * route lets a blind attacker receive the replies (RFC 1122 3.3.5). */
static enum synack_wire_err ipv4_check_options(const uint8_t *opt, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t type = opt[i];

		if (type == IPOPT_EOL)
			break;
		if (type == IPOPT_NOP) {
			i++;
			continue;
		}
		if (type == IPOPT_LSRR || type == IPOPT_SSRR)
			return SYNACK_WIRE_IP_OPTIONS;
		if (i + 1 >= len || opt[i + 1] < 2 || opt[i + 1] > len - i)
			return SYNACK_WIRE_IP_OPTIONS;
		i += opt[i + 1];
	}
	return SYNACK_WIRE_OK;
}

/* Checks in the order Linux's ip_rcv_core() does: size, version, IHL, total
 * length, checksum; then what we refuse: fragments and bad options. */
enum synack_wire_err synack_ipv4_parse(const uint8_t *pkt, size_t len, struct synack_ipv4 *out)
{
	*out = (struct synack_ipv4){0};
	if (len < SYNACK_IPV4_HDR_LEN)
		return SYNACK_WIRE_IP_TRUNCATED;
	if (pkt[0] >> 4 != 4)
		return SYNACK_WIRE_IP_VERSION;

	size_t hdr_len = (size_t)(pkt[0] & 0x0f) * 4;
	if (hdr_len < SYNACK_IPV4_HDR_LEN)
		return SYNACK_WIRE_IP_HDRLEN;
	if (hdr_len > len)
		return SYNACK_WIRE_IP_TRUNCATED;

	uint16_t total_len = get_be16(pkt + 2);
	if (total_len < hdr_len || total_len > len)
		return SYNACK_WIRE_IP_TOTLEN;
	if (synack_csum_fold(synack_csum_add(0, pkt, hdr_len)) != 0)
		return SYNACK_WIRE_IP_CSUM;

	/* We do not reassemble (RFC 791 3.2 "Fragmentation and Reassembly"). */
	uint16_t frag = get_be16(pkt + 6);
	if ((frag & IPV4_FLAG_MF) || (frag & IPV4_FRAG_OFFSET_MASK))
		return SYNACK_WIRE_IP_FRAGMENT;
	enum synack_wire_err err = ipv4_check_options(pkt + SYNACK_IPV4_HDR_LEN,
	                                              hdr_len - SYNACK_IPV4_HDR_LEN);
	if (err != SYNACK_WIRE_OK)
		return err;

	out->tos = pkt[1];
	out->total_len = total_len;
	out->id = get_be16(pkt + 4);
	out->df = (frag & IPV4_FLAG_DF) != 0;
	out->ttl = pkt[8];
	out->proto = pkt[9];
	out->src = get_be32(pkt + 12);
	out->dst = get_be32(pkt + 16);
	out->hdr_len = (uint8_t)hdr_len;
	out->payload = pkt + hdr_len;
	out->payload_len = (uint16_t)(total_len - hdr_len); /* bytes past total_len: link padding */
	return SYNACK_WIRE_OK;
}

size_t synack_ipv4_build(uint8_t *buf, size_t cap, const struct synack_ipv4 *h, size_t payload_len)
{
	if (payload_len > 65535 - SYNACK_IPV4_HDR_LEN || cap < SYNACK_IPV4_HDR_LEN + payload_len)
		return 0;

	buf[0] = 0x45; /* version 4, IHL 5: we send no options */
	buf[1] = h->tos;
	put_be16(buf + 2, (uint16_t)(SYNACK_IPV4_HDR_LEN + payload_len));
	put_be16(buf + 4, h->id);
	put_be16(buf + 6, h->df ? IPV4_FLAG_DF : 0);
	buf[8] = h->ttl;
	buf[9] = h->proto;
	put_be16(buf + 10, 0);
	put_be32(buf + 12, h->src);
	put_be32(buf + 16, h->dst);
	put_be16(buf + 10, synack_csum_fold(synack_csum_add(0, buf, SYNACK_IPV4_HDR_LEN)));
	return SYNACK_IPV4_HDR_LEN;
}

char *synack_ip_format(uint32_t addr, char buf[16])
{
	char *p = buf;

	for (int shift = 24; shift >= 0; shift -= 8) {
		unsigned octet = (addr >> shift) & 0xffu;

		if (octet >= 100)
			*p++ = (char)('0' + octet / 100);
		if (octet >= 10)
			*p++ = (char)('0' + octet / 10 % 10);
		*p++ = (char)('0' + octet % 10);
		if (shift)
			*p++ = '.';
	}
	*p = '\0';
	return buf;
}

/* Strict dotted quad, as inet_pton(AF_INET): exactly four decimal octets of
 * 0..255, no leading zeros (they would read as octal to inet_aton), nothing
 * before or after. */
int synack_ip_parse(const char *s, uint32_t *out)
{
	uint32_t addr = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		int digits = 0;

		if (part > 0 && *s++ != '.')
			return -EINVAL;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			if (digits == 1 && v == 0)
				return -EINVAL;
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || v > 255)
			return -EINVAL;
		addr = addr << 8 | v;
	}
	if (*s != '\0')
		return -EINVAL;
	*out = addr;
	return 0;
}
