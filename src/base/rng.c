#include "base/rng.h"

/* splitmix64 spreads a small seed (0, 1, 2 ...) over the whole key space. */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	uint64_t x = seed;
	r->key.k0 = splitmix64(&x);
	r->key.k1 = splitmix64(&x);
	r->counter = 0;
}

uint64_t rng_next(struct rng *r)
{
	uint64_t c = r->counter++;
	return siphash24_u32x4(&r->key, (uint32_t)c, (uint32_t)(c >> 32), 0x72616e64u /* "rand" */, 0);
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
	/* Lemire's multiply-shift with rejection of the biased low zone. */
	uint64_t m = (uint64_t)(uint32_t)rng_next(r) * n;
	uint32_t low = (uint32_t)m;
	if (low < n) {
		uint32_t threshold = (uint32_t)-n % n;
		while (low < threshold) {
			m = (uint64_t)(uint32_t)rng_next(r) * n;
			low = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

struct siphash_key rng_key(struct rng *r)
{
	struct siphash_key k;
	k.k0 = rng_next(r);
	k.k1 = rng_next(r);
	return k;
}
