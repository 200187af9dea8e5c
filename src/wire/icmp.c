/* ICMP messages (RFC 792): parse any type, build echo request/reply. */
#include <string.h>
#include <synack/wire.h>

#include "wire/bytes.h"

#define ICMP_HDR_LEN 8

/* RFC 792: type, code, checksum, then (for echo) identifier and sequence
 * number; the checksum covers the whole ICMP message. */
enum synack_wire_err synack_icmp_parse(const uint8_t *icmp, size_t len, struct synack_icmp *out)
{
	*out = (struct synack_icmp){0};
	if (len < ICMP_HDR_LEN)
		return SYNACK_WIRE_ICMP_TRUNCATED;
	if (synack_csum_fold(synack_csum_add(0, icmp, len)) != 0)
		return SYNACK_WIRE_ICMP_CSUM;

	out->type = icmp[0];
	out->code = icmp[1];
	out->id = get_be16(icmp + 4);
	out->seq = get_be16(icmp + 6);
	out->data = icmp + ICMP_HDR_LEN;
	out->data_len = len - ICMP_HDR_LEN;
	return SYNACK_WIRE_OK;
}

/* The echo data may alias buf (a reply built in place over its request), so
 * it is moved, not copied. */
size_t synack_icmp_echo_build(uint8_t *buf, size_t cap, const struct synack_ipv4 *ip,
                              const struct synack_icmp *icmp)
{
	if (icmp->data_len > 65535 - SYNACK_IPV4_HDR_LEN - ICMP_HDR_LEN)
		return 0;
	size_t icmp_len = ICMP_HDR_LEN + icmp->data_len;
	size_t total = SYNACK_IPV4_HDR_LEN + icmp_len;
	if (cap < total || (icmp->data_len > 0 && !icmp->data))
		return 0;

	uint8_t *m = buf + SYNACK_IPV4_HDR_LEN;
	if (icmp->data_len > 0)
		memmove(m + ICMP_HDR_LEN, icmp->data, icmp->data_len);
	m[0] = icmp->type;
	m[1] = icmp->code;
	put_be16(m + 2, 0);
	put_be16(m + 4, icmp->id);
	put_be16(m + 6, icmp->seq);
	put_be16(m + 2, synack_csum_fold(synack_csum_add(0, m, icmp_len)));

	struct synack_ipv4 h = *ip;
	h.proto = SYNACK_IPPROTO_ICMP;
	return synack_ipv4_build(buf, cap, &h, icmp_len) ? total : 0;
}
