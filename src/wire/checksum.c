/* The Internet checksum (RFC 1071): a 16-bit one's-complement sum.
 *
 * The running sum is kept in the big-endian reading of the data (as if every
 * 16-bit word were loaded with ntohs), so synack_csum_fold() yields the value
 * in host order, ready to be stored big-endian into a header.
 */
#include <synack/wire.h>

/* Bytes summed between folds of the 64-bit accumulator: 2^30 bytes are 2^28
 * 32-bit words of at most 2^32 - 1 each, below 2^60, so the accumulator (which
 * also holds the previous fold, < 2^33) can never overflow. */
#define CSUM_BLOCK ((size_t)1 << 30)

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* End-around carry (RFC 1071 section 2(A)) from 64 to 32 bits.  It keeps the
 * value modulo 2^32 - 1 and hence modulo 2^16 - 1, since 2^32 - 1 =
 * (2^16 - 1)(2^16 + 1): summing 32-bit words folds to the same 16-bit sum as
 * summing the 16-bit words one by one (RFC 1071 section 2(B), "parallel
 * summation"). */
static uint64_t fold64(uint64_t acc)
{
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return acc;
}

/* Sums n bytes (n <= CSUM_BLOCK) as big-endian 32-bit words, then the tail. */
static uint64_t sum_block(uint64_t acc, const uint8_t *p, size_t n)
{
	while (n >= 16) {
		acc += load_be32(p);
		acc += load_be32(p + 4);
		acc += load_be32(p + 8);
		acc += load_be32(p + 12);
		p += 16;
		n -= 16;
	}
	while (n >= 4) {
		acc += load_be32(p);
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		acc += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		n -= 2;
	}
	if (n == 1)
		acc += (uint32_t)p[0] << 8; /* odd length: pad with a zero byte (RFC 1071 4.1) */
	return acc;
}

uint32_t synack_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;

	while (len > CSUM_BLOCK) {
		acc = fold64(sum_block(acc, p, CSUM_BLOCK));
		p += CSUM_BLOCK;
		len -= CSUM_BLOCK;
	}
	return (uint32_t)fold64(sum_block(acc, p, len));
}

uint16_t synack_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* RFC 9293 3.1: the pseudo-header is src, dst, zero, PTCL, TCP length. */
uint32_t synack_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	return (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) + proto + (uint32_t)len;
}
