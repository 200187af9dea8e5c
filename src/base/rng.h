/* The stack's only source of randomness: SipHash-2-4 in counter mode under a
 * key derived from the caller's seed.  Same seed, same stream: runs replay.
 * Unpredictable from outside as long as the seed is secret (a real driver
 * seeds from getrandom(); the core never reads the system). */
#ifndef SYNACK_BASE_RNG_H
#define SYNACK_BASE_RNG_H

#include <stdint.h>

#include "base/siphash.h"

struct rng {
	struct siphash_key key;
	uint64_t counter;
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint32_t rng_below(struct rng *r, uint32_t n);
/* A fresh 128-bit key (for ISN, cookie and hash secrets). */
struct siphash_key rng_key(struct rng *r);

#endif
