/* synack wire format: IPv4, ICMP echo and TCP headers, bytes <-> structs.
 *
 * Parsing never trusts a length it has not checked against the buffer: every
 * malformed input yields a distinct error code (the stack counts each under its
 * own counter) and never reads outside [pkt, pkt+len).  Building writes into a
 * caller's buffer and returns the number of bytes written, or 0 when the buffer
 * is too small.  All multi-byte fields in these structs are in host byte order.
 */
#ifndef SYNACK_WIRE_H
#define SYNACK_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SYNACK_IPPROTO_ICMP 1
#define SYNACK_IPPROTO_TCP 6

#define SYNACK_IPV4_HDR_LEN 20 /* we build headers without options */
#define SYNACK_TCP_HDR_LEN 20
#define SYNACK_TCP_MAX_OPT_LEN 40

/* Why a packet was rejected.  0 is success. */
enum synack_wire_err {
	SYNACK_WIRE_OK = 0,
	SYNACK_WIRE_IP_TRUNCATED,    /* shorter than 20 bytes or than its IHL */
	SYNACK_WIRE_IP_VERSION,      /* version != 4 */
	SYNACK_WIRE_IP_HDRLEN,       /* IHL < 5 */
	SYNACK_WIRE_IP_TOTLEN,       /* total length < IHL*4 or > bytes received */
	SYNACK_WIRE_IP_CSUM,         /* header checksum wrong */
	SYNACK_WIRE_IP_FRAGMENT,     /* MF set or fragment offset != 0: no reassembly */
	SYNACK_WIRE_IP_OPTIONS,      /* malformed options, or source routing (dropped as Linux does) */
	SYNACK_WIRE_TCP_TRUNCATED,   /* fewer than 20 bytes of TCP header */
	SYNACK_WIRE_TCP_DOFF_SMALL,  /* data offset < 5 */
	SYNACK_WIRE_TCP_DOFF_LONG,   /* data offset points past the segment */
	SYNACK_WIRE_TCP_OPT_LEN,     /* option length 0 or 1 */
	SYNACK_WIRE_TCP_OPT_OVERRUN, /* option runs past the header */
	SYNACK_WIRE_TCP_CSUM,        /* checksum over pseudo-header wrong */
	SYNACK_WIRE_ICMP_TRUNCATED,  /* fewer than 8 bytes */
	SYNACK_WIRE_ICMP_CSUM,       /* checksum wrong */
	SYNACK_WIRE_ERR_COUNT
};

/* A short stable name for an error code ("ip-truncated", ...). */
const char *synack_wire_strerror(enum synack_wire_err err);

/* ---- Internet checksum (RFC 1071) ---- */

/* Adds data to a running 32-bit one's-complement sum.  Odd lengths are padded
 * with a zero byte, so only the last chunk of a sum may have odd length. */
uint32_t synack_csum_add(uint32_t sum, const void *data, size_t len);
/* Folds a running sum and complements it: the value to put in a header. */
uint16_t synack_csum_fold(uint32_t sum);
/* Sum of the IPv4 pseudo-header for TCP/UDP (src, dst, proto, length). */
uint32_t synack_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* ---- IPv4 ---- */

struct synack_ipv4 {
	uint32_t src, dst;     /* host byte order */
	uint16_t id;
	uint16_t total_len;    /* header + payload, as in the header */
	uint8_t proto;
	uint8_t ttl;
	uint8_t tos;
	uint8_t hdr_len;       /* bytes, 20..60 (parse only; builds use 20) */
	bool df;               /* don't fragment */
	const uint8_t *payload;
	uint16_t payload_len;  /* total_len - hdr_len; trailing link padding excluded */
};

/* Parses and validates an IPv4 header (version, IHL, total length, checksum,
 * fragments, options).  Options are validated and skipped; source-route
 * options are rejected.  Bytes past total_len (link padding) are ignored. */
enum synack_wire_err synack_ipv4_parse(const uint8_t *pkt, size_t len, struct synack_ipv4 *out);

/* Writes a 20-byte IPv4 header at buf for a payload of payload_len bytes that
 * the caller has placed (or will place) at buf+20, with the header checksum.
 * Uses src, dst, proto, ttl, tos, id and df from h.  Returns 20, or 0 if the
 * total would exceed cap or 65535. */
size_t synack_ipv4_build(uint8_t *buf, size_t cap, const struct synack_ipv4 *h, size_t payload_len);

/* ---- ICMP echo ---- */

#define SYNACK_ICMP_ECHO_REPLY 0
#define SYNACK_ICMP_ECHO_REQUEST 8

struct synack_icmp {
	uint8_t type, code;
	uint16_t id, seq;      /* meaningful for echo request/reply */
	const uint8_t *data;
	size_t data_len;
};

/* Parses an ICMP message (the IPv4 payload); verifies its checksum. */
enum synack_wire_err synack_icmp_parse(const uint8_t *icmp, size_t len, struct synack_icmp *out);
/* Builds a whole IPv4 packet carrying an ICMP echo request or reply.
 * ip supplies addresses/ttl/id; returns total length or 0 if cap is too small. */
size_t synack_icmp_echo_build(uint8_t *buf, size_t cap, const struct synack_ipv4 *ip,
                              const struct synack_icmp *icmp);

/* ---- TCP ---- */

#define SYNACK_TCP_FIN 0x01
#define SYNACK_TCP_SYN 0x02
#define SYNACK_TCP_RST 0x04
#define SYNACK_TCP_PSH 0x08
#define SYNACK_TCP_ACK 0x10
#define SYNACK_TCP_URG 0x20
#define SYNACK_TCP_ECE 0x40
#define SYNACK_TCP_CWR 0x80

/* Which options a segment carries (synack_tcp_opts.present). */
#define SYNACK_OPT_MSS 0x01
#define SYNACK_OPT_WSCALE 0x02
#define SYNACK_OPT_SACK_PERM 0x04
#define SYNACK_OPT_SACK 0x08
#define SYNACK_OPT_TS 0x10

#define SYNACK_TCP_MAX_SACK 4

struct synack_sack_block {
	uint32_t start, end; /* [start, end) in sequence space */
};

struct synack_tcp_opts {
	uint8_t present;     /* SYNACK_OPT_* bits */
	uint8_t wscale;      /* as sent (parse does not clamp; RFC 7323 says clamp to 14 on use) */
	uint8_t sack_count;  /* number of valid entries in sack[] */
	uint16_t mss;
	uint32_t ts_val, ts_ecr;
	struct synack_sack_block sack[SYNACK_TCP_MAX_SACK];
};

/* One TCP segment as a value: parse yields it, build consumes it. */
struct synack_tcp_seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;       /* SYNACK_TCP_* : all eight flag bits, ECE/CWR included */
	uint8_t res;         /* the 4 reserved bits (incl. AE/NS), preserved as received */
	uint8_t hdr_len;     /* bytes (parse only; build computes it) */
	uint16_t window;     /* as on the wire, unscaled */
	uint16_t urg_ptr;
	uint16_t csum;       /* as received (parse only) */
	struct synack_tcp_opts opt;
	const uint8_t *payload;
	uint32_t payload_len;
};

/* SEG.LEN of RFC 9293: payload plus one for SYN and one for FIN. */
static inline uint32_t synack_tcp_seg_len(const struct synack_tcp_seg *s)
{
	return s->payload_len + ((s->flags & SYNACK_TCP_SYN) ? 1u : 0u) +
	       ((s->flags & SYNACK_TCP_FIN) ? 1u : 0u);
}

/* Parses a TCP segment (the IPv4 payload).  src/dst are the IPv4 addresses
 * for the pseudo-header checksum, verified when verify_csum is true.
 * Unknown options are skipped by their length; a SACK option with a length
 * that is not 2+8n is malformed (OPT_LEN). */
enum synack_wire_err synack_tcp_parse(const uint8_t *tcp, size_t len, uint32_t src, uint32_t dst,
                                      bool verify_csum, struct synack_tcp_seg *out);

/* Writes the options in opt.present in the canonical order Linux uses
 * (MSS, SACK-permitted+timestamps packed as NOP NOP TS / SACK_PERM TS, window
 * scale, SACK blocks), padded with NOPs to a multiple of 4.  Returns bytes
 * written (<= 40), or 0 if nothing present; options that do not fit in 40
 * bytes are dropped from the end (SACK blocks first). */
size_t synack_tcp_opts_build(uint8_t *buf, const struct synack_tcp_opts *opt);

/* Builds a whole IPv4 packet carrying seg (header, options, payload copied
 * from seg->payload) with both checksums.  ip supplies addresses, ttl, id.
 * Returns total length, or 0 if cap is too small. */
size_t synack_tcp_build(uint8_t *buf, size_t cap, const struct synack_ipv4 *ip,
                        const struct synack_tcp_seg *seg);

/* Parses a whole IPv4 packet expected to carry TCP, into both structs: a
 * convenience for tools and tests.  Verifies both checksums. */
enum synack_wire_err synack_tcp_packet_parse(const uint8_t *pkt, size_t len, struct synack_ipv4 *ip,
                                             struct synack_tcp_seg *seg);

/* Formats a one-line human summary of a packet ("10.0.0.1:1234 > 10.0.0.2:80
 * [S.] seq 1 ack 2 win 65535 len 0 <mss 1460,...>") into buf; returns buf. */
char *synack_packet_format(const uint8_t *pkt, size_t len, char *buf, size_t cap);

/* Formats an address in dotted quad; buf must hold 16 bytes. */
char *synack_ip_format(uint32_t addr, char buf[16]);
/* Parses dotted quad into host byte order; returns 0 or -EINVAL. */
int synack_ip_parse(const char *s, uint32_t *out);

#ifdef __cplusplus
}
#endif
#endif
