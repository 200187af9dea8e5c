/* Out-of-order reassembly bookkeeping: see reass.h for the contract.
 *
 * Invariant: iv[0..count) are non-empty, sorted, and separated by at least one
 * missing byte (iv[k].end < iv[k+1].start, modulo 2^32).  Since starts and ends
 * both ascend, the intervals a new range touches are one contiguous run. */
#include "tcp/reass.h"

#include <errno.h>
#include <string.h>

#include "wire/seq.h"

void reass_init(struct reass *q)
{
	memset(q, 0, sizeof(*q));
}

/* Remove iv[from .. from+n) by sliding the tail down. */
static void reass_remove(struct reass *q, uint8_t from, uint8_t n)
{
	memmove(&q->iv[from], &q->iv[from + n], (size_t)(q->count - from - n) * sizeof(q->iv[0]));
	q->count = (uint8_t)(q->count - n);
}

/* Open a slot at index at by sliding the tail up (count < REASS_MAX). */
static void reass_insert(struct reass *q, uint8_t at, uint32_t start, uint32_t end)
{
	memmove(&q->iv[at + 1], &q->iv[at], (size_t)(q->count - at) * sizeof(q->iv[0]));
	q->iv[at].start = start;
	q->iv[at].end = end;
	q->count++;
}

int reass_add(struct reass *q, uint32_t start, uint32_t end)
{
	if (start == end)
		return 0;
	if (end - start >= UINT32_C(1) << 31)
		return -EINVAL;

	/* lo: first interval that ends at or after start (overlaps or touches
	 * from the left); hi: first interval from lo that starts after end. */
	uint8_t lo = 0;
	while (lo < q->count && seq_lt(q->iv[lo].end, start))
		lo++;
	uint8_t hi = lo;
	while (hi < q->count && seq_leq(q->iv[hi].start, end))
		hi++;

	if (hi > lo) {
		/* Merge the run iv[lo..hi) and the new range into iv[lo]. */
		q->iv[lo].start = seq_min(start, q->iv[lo].start);
		q->iv[lo].end = seq_max(end, q->iv[hi - 1].end);
		reass_remove(q, (uint8_t)(lo + 1), (uint8_t)(hi - lo - 1));
		q->recent = start;
		return 0;
	}
	if (q->count == REASS_MAX) {
		/* Full: keep what is nearest RCV.NXT (reass.h). */
		if (lo == q->count)
			return -ENOBUFS;
		q->count--; /* forget the highest interval */
	}
	reass_insert(q, lo, start, end);
	q->recent = start;
	return 0;
}

uint32_t reass_advance(struct reass *q, uint32_t rcv_nxt)
{
	uint8_t k = 0;
	while (k < q->count && seq_leq(q->iv[k].end, rcv_nxt))
		k++; /* already delivered in order: duplicates of stream data */
	if (k < q->count && seq_leq(q->iv[k].start, rcv_nxt)) {
		rcv_nxt = q->iv[k].end; /* the gap before it is filled */
		k++;
	}
	reass_remove(q, 0, k);
	return rcv_nxt;
}

bool reass_empty(const struct reass *q)
{
	return q->count == 0;
}

uint32_t reass_bytes(const struct reass *q)
{
	uint32_t sum = 0;
	for (uint8_t k = 0; k < q->count; k++)
		sum += q->iv[k].end - q->iv[k].start;
	return sum;
}

uint8_t reass_sack_blocks(const struct reass *q, struct synack_sack_block *out,
			  uint8_t max, uint32_t most_recent_start)
{
	uint8_t n = 0;
	uint8_t first = q->count; /* none */

	/* RFC 2018 4: the first block holds the most recently received segment. */
	for (uint8_t k = 0; k < q->count; k++) {
		if (seq_between(most_recent_start, q->iv[k].start, q->iv[k].end)) {
			first = k;
			break;
		}
	}
	if (first < q->count && n < max) {
		out[n].start = q->iv[first].start;
		out[n].end = q->iv[first].end;
		n++;
	}
	for (uint8_t k = 0; k < q->count && n < max; k++) {
		if (k == first)
			continue;
		out[n].start = q->iv[k].start;
		out[n].end = q->iv[k].end;
		n++;
	}
	return n;
}
