/* Out-of-order reassembly bookkeeping for the receiver (RFC 9293 3.10.7.4,
 * SPEC D01): which byte ranges beyond RCV.NXT have arrived.
 *
 * The bytes themselves live in the receive ring; this module only records the
 * ranges, as at most REASS_MAX disjoint, non-adjacent intervals [start, end)
 * in sequence space, sorted in ascending sequence order.  All comparisons are
 * modulo 2^32 (SPEC W04), so every interval must lie within 2^31 of every
 * other and of RCV.NXT: true for any window up to the 1 GiB that window
 * scaling allows.
 *
 * Typical use, for a segment with data [seq, end) already trimmed to the
 * receive window [RCV.NXT, RCV.NXT + ring_free):
 *   end <= RCV.NXT:         a duplicate; ACK it, never reass_add it (when the
 *                           array is full it would evict a useful interval).
 *   seq <= RCV.NXT < end:   ring_write the bytes from RCV.NXT on; rcv_nxt = end;
 *                           new = reass_advance(q, rcv_nxt);
 *                           ring_commit(new - rcv_nxt); rcv_nxt = new.
 *   seq >  RCV.NXT:         ring_write_at(ring_len + (seq - rcv_nxt));
 *                           reass_add(q, seq, end); then ACK at once with
 *                           reass_sack_blocks (RFC 5681 4.2, RFC 2018 4).
 * (reass_add of a segment straddling RCV.NXT, then reass_advance, is equally
 * correct.)  A FIN is not tracked here: remember an out-of-order FIN's
 * sequence number and act on it when RCV.NXT reaches it (RFC 9293 3.10.7.4).
 */
#ifndef SYNACK_TCP_REASS_H
#define SYNACK_TCP_REASS_H

#include <stdbool.h>
#include <stdint.h>

#include "synack/wire.h"

#define REASS_MAX 8

struct reass {
	uint8_t count; /* valid entries in iv[] */
	uint32_t recent; /* start of the range added last (RFC 2018 4's first block) */
	struct {
		uint32_t start, end; /* [start, end), start != end */
	} iv[REASS_MAX];
};

void reass_init(struct reass *q);

/* Record that [start, end) is present (and the most recent arrival), merging it with every interval it
 * overlaps or touches.  An empty range (start == end) is a no-op.  Returns 0,
 * -EINVAL if end - start >= 2^31 (not a range a segment can carry), or
 * -ENOBUFS when all REASS_MAX slots are taken, the range merges with none of
 * them and it lies above the highest one: the caller drops the segment
 * (nstat TCPOFODrop) and the sender retransmits it.
 *
 * When full and the new range lies below the highest interval, the highest
 * interval is forgotten to make room, because data nearer RCV.NXT is what
 * lets the stream advance.  Its bytes stay in the ring but are no longer
 * tracked; if they were SACKed this is reneging, which RFC 2018 8 permits:
 * the sender keeps them until cumulatively ACKed and will retransmit them. */
int reass_add(struct reass *q, uint32_t start, uint32_t end);

/* Call after in-order data moved RCV.NXT to rcv_nxt.  Forgets intervals that
 * now lie wholly below rcv_nxt (end <= rcv_nxt); if an interval starts at or
 * before rcv_nxt the gap is filled: it is removed and its end returned (the
 * new RCV.NXT; ring_commit the difference).  Otherwise returns rcv_nxt.
 * Intervals are never adjacent, so one call is enough. */
uint32_t reass_advance(struct reass *q, uint32_t rcv_nxt);

bool reass_empty(const struct reass *q);

/* Bytes held out of order: the sum of the interval lengths. */
uint32_t reass_bytes(const struct reass *q);

/* Fill up to max SACK blocks (RFC 2018 4) and return how many.  The first is
 * the interval holding most_recent_start, the first sequence number of the
 * segment that just arrived (if no interval holds it, none is put first);
 * the rest follow in ascending sequence order, nearest RCV.NXT first, because
 * struct reass keeps no history of which blocks were reported recently.
 * With timestamps in use the option has room for 3 blocks, without for 4.
 * D-SACK (RFC 2883) for duplicates below RCV.NXT is the caller's business. */
uint8_t reass_sack_blocks(const struct reass *q, struct synack_sack_block *out,
			  uint8_t max, uint32_t most_recent_start);

#endif
