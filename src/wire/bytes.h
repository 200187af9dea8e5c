/* Big-endian (network order) loads and stores for the wire module.
 *
 * Byte by byte, so they are alignment-safe and endian-independent; compilers
 * turn them into a single load/store plus byte swap.  Callers bound-check
 * before calling: these read or write exactly 2 or 4 bytes.
 */
#ifndef SYNACK_WIRE_BYTES_H
#define SYNACK_WIRE_BYTES_H

#include <stdint.h>

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
