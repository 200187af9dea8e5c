/* SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012).
 * A keyed PRF: the ISN (RFC 6528), SYN cookies, port selection and the
 * connection hash all use it with per-stack secrets, so an attacker who does
 * not know the key can neither predict outputs nor aim at one hash bucket. */
#ifndef SYNACK_BASE_SIPHASH_H
#define SYNACK_BASE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t k0, k1; /* the 128-bit key as two little-endian words */
};

/* SipHash-2-4 of data[0..len) under key. */
uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);

/* SipHash-2-4 of exactly four 32-bit words (a 4-tuple plus one word),
 * serialized little-endian: the hot-path form, no buffer needed. */
uint64_t siphash24_u32x4(const struct siphash_key *key, uint32_t a, uint32_t b, uint32_t c, uint32_t d);

#endif
