/* SipHash-2-4, written from the paper's specification (section 2). */
#include "base/siphash.h"

#include <string.h>

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

struct sipstate {
	uint64_t v0, v1, v2, v3;
};

static inline void sipround(struct sipstate *s)
{
	s->v0 += s->v1;
	s->v1 = rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl(s->v2, 32);
}

static inline void sip_init(struct sipstate *s, const struct siphash_key *key)
{
	s->v0 = key->k0 ^ 0x736f6d6570736575ULL; /* "somepseudorandomlygeneratedbytes" */
	s->v1 = key->k1 ^ 0x646f72616e646f6dULL;
	s->v2 = key->k0 ^ 0x6c7967656e657261ULL;
	s->v3 = key->k1 ^ 0x7465646279746573ULL;
}

/* Two compression rounds per 8-byte word (the "2" of 2-4). */
static inline void sip_word(struct sipstate *s, uint64_t m)
{
	s->v3 ^= m;
	sipround(s);
	sipround(s);
	s->v0 ^= m;
}

/* Four finalization rounds (the "4"). */
static inline uint64_t sip_final(struct sipstate *s)
{
	s->v2 ^= 0xff;
	sipround(s);
	sipround(s);
	sipround(s);
	sipround(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len)
{
	const uint8_t *p = data;
	struct sipstate s;
	sip_init(&s, key);
	size_t whole = len & ~(size_t)7;
	for (size_t i = 0; i < whole; i += 8)
		sip_word(&s, load_le64(p + i));
	/* Last word: remaining bytes, zero padded, length mod 256 in the top byte. */
	uint64_t last = (uint64_t)(len & 0xff) << 56;
	for (size_t i = 0; i < (len & 7); i++)
		last |= (uint64_t)p[whole + i] << (8 * i);
	sip_word(&s, last);
	return sip_final(&s);
}

uint64_t siphash24_u32x4(const struct siphash_key *key, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	struct sipstate s;
	sip_init(&s, key);
	sip_word(&s, (uint64_t)a | ((uint64_t)b << 32));
	sip_word(&s, (uint64_t)c | ((uint64_t)d << 32));
	sip_word(&s, (uint64_t)16 << 56);
	return sip_final(&s);
}
