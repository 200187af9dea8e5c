/* Byte ring buffer over caller-provided memory: the send and receive buffers.
 *
 * The ring never allocates: the stack carves rings from a pool it allocates at
 * creation and hands each one its memory.  Any capacity from 0 to RING_CAP_MAX
 * works (not only powers of two).  Every copy is at most two memcpy calls (the
 * part before the wrap and the part after it).
 *
 * Offsets below are relative to the first unread byte (head), never absolute
 * positions in buf.  Bytes [0, len) are the committed stream.  Bytes [len, cap)
 * are free space; the receiver may park out-of-order data there with
 * ring_write_at and make it part of the stream with ring_commit once the gap
 * before it is filled (RFC 9293 3.10.7.4, SPEC D01).
 *
 * Because parked bytes are addressed relative to head, head is never reset
 * when the ring drains: a ring that reads empty may still hold parked data.
 *
 * Out-of-range arguments are clamped, never trusted: every function returns or
 * applies only what fits (see each one).  None of them fails otherwise.
 */
#ifndef SYNACK_TCP_RING_H
#define SYNACK_TCP_RING_H

#include <stdint.h>

#define RING_CAP_MAX (1u << 30) /* 1 GiB: the largest scaled window (RFC 7323 2.3) */

struct ring {
	uint8_t *buf;
	uint32_t cap;  /* bytes of buf; <= RING_CAP_MAX */
	uint32_t head; /* offset in buf of the first unread byte; < cap (0 if cap == 0) */
	uint32_t len;  /* committed bytes, starting at head; <= cap */
};

/* mem must hold cap bytes and outlive the ring; cap <= RING_CAP_MAX. */
void ring_init(struct ring *r, uint8_t *mem, uint32_t cap);

/* Committed bytes (readable). */
uint32_t ring_len(const struct ring *r);

/* Space left: cap - len.  The receive window a receiver may advertise. */
uint32_t ring_free(const struct ring *r);

/* Append up to n bytes at the end of the stream; returns the number written
 * (min(n, ring_free)).  Overwrites any parked bytes in that range. */
uint32_t ring_write(struct ring *r, const void *src, uint32_t n);

/* Consume up to n bytes into dst; returns the number read (min(n, len)). */
uint32_t ring_read(struct ring *r, void *dst, uint32_t n);

/* Copy stream bytes [off, off+n) into dst without consuming them; returns the
 * number copied, clamped to the committed stream (0 if off >= len).  The
 * sender builds segments and retransmissions from the send ring with it:
 * head holds the byte at SND.UNA, so off = seq - SND.UNA (once the SYN is
 * acknowledged). */
uint32_t ring_peek(const struct ring *r, uint32_t off, void *dst, uint32_t n);

/* Consume n bytes without copying: data the peer has ACKed.  Pass data bytes
 * only: an ACK's advance (SEG.ACK - SND.UNA) also counts the SYN and the FIN,
 * which hold no byte in the ring.  n is clamped to len as a safety net, which
 * covers the FIN (it follows all data) but not the SYN (it precedes it). */
void ring_drop(struct ring *r, uint32_t n);

/* Park n bytes at stream offset off, beyond the committed end (len <= off),
 * without changing len.  In the receive ring the committed bytes are those
 * the application has not read yet and their end is RCV.NXT, so out-of-order
 * data goes at off = ring_len + (seq - RCV.NXT); it fits when seq + n stays
 * within the advertised window RCV.NXT + ring_free.  Returns
 * the number written: 0 if off < len or off >= cap, else min(n, cap - off).
 * The bytes become readable only through ring_commit. */
uint32_t ring_write_at(struct ring *r, uint32_t off, const void *src, uint32_t n);

/* Extend len by n (clamped to ring_free) once the gap before parked bytes is
 * filled, e.g. with the distance reass_advance moved RCV.NXT beyond the
 * in-order data just written.  The ring does not track what was parked: the
 * caller (through struct reass) vouches that bytes [len, len+n) are valid. */
void ring_commit(struct ring *r, uint32_t n);

#endif
