/* Byte ring buffer: see ring.h for the contract. */
#include "tcp/ring.h"

#include <string.h>

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Position in buf of stream offset off (off <= cap).  head < cap and
 * cap <= 2^30, so head + off cannot overflow 32 bits. */
static uint32_t ring_pos(const struct ring *r, uint32_t off)
{
	uint32_t pos = r->head + off;
	return pos >= r->cap ? pos - r->cap : pos;
}

/* Copy n bytes into the ring at stream offset off: two pieces at most. */
static void ring_copy_in(struct ring *r, uint32_t off, const uint8_t *src, uint32_t n)
{
	if (n == 0)
		return;
	uint32_t pos = ring_pos(r, off);
	uint32_t first = min_u32(n, r->cap - pos);
	memcpy(r->buf + pos, src, first);
	if (n > first)
		memcpy(r->buf, src + first, n - first);
}

/* Copy n bytes out of the ring from stream offset off: two pieces at most. */
static void ring_copy_out(const struct ring *r, uint32_t off, uint8_t *dst, uint32_t n)
{
	if (n == 0)
		return;
	uint32_t pos = ring_pos(r, off);
	uint32_t first = min_u32(n, r->cap - pos);
	memcpy(dst, r->buf + pos, first);
	if (n > first)
		memcpy(dst + first, r->buf, n - first);
}

void ring_init(struct ring *r, uint8_t *mem, uint32_t cap)
{
	r->buf = mem;
	r->cap = min_u32(cap, RING_CAP_MAX);
	r->head = 0;
	r->len = 0;
}

uint32_t ring_len(const struct ring *r)
{
	return r->len;
}

uint32_t ring_free(const struct ring *r)
{
	return r->cap - r->len;
}

uint32_t ring_write(struct ring *r, const void *src, uint32_t n)
{
	n = min_u32(n, ring_free(r));
	ring_copy_in(r, r->len, src, n);
	r->len += n;
	return n;
}

uint32_t ring_peek(const struct ring *r, uint32_t off, void *dst, uint32_t n)
{
	if (off >= r->len)
		return 0;
	n = min_u32(n, r->len - off);
	ring_copy_out(r, off, dst, n);
	return n;
}

void ring_drop(struct ring *r, uint32_t n)
{
	n = min_u32(n, r->len);
	if (n == 0)
		return;
	/* head is not reset when the ring drains: parked bytes are addressed
	 * relative to it (ring.h). */
	r->head = ring_pos(r, n);
	r->len -= n;
}

uint32_t ring_read(struct ring *r, void *dst, uint32_t n)
{
	n = ring_peek(r, 0, dst, n);
	ring_drop(r, n);
	return n;
}

uint32_t ring_write_at(struct ring *r, uint32_t off, const void *src, uint32_t n)
{
	if (off < r->len || off >= r->cap)
		return 0;
	n = min_u32(n, r->cap - off);
	ring_copy_in(r, off, src, n);
	return n;
}

void ring_commit(struct ring *r, uint32_t n)
{
	r->len += min_u32(n, ring_free(r));
}
