/* libFuzzer harness: arbitrary bytes into a stack's input.
 *
 * The first byte picks a mode.  Mode 0 feeds the rest raw, which mostly
 * exercises header validation.  Mode 1 first makes the bytes look like a
 * packet for this stack (IPv4 version/IHL, total length, destination, both
 * checksums fixed up) so the fuzzer reaches the protocol code behind the
 * checks.  Everything runs under ASan + UBSan.
 */
#include <stdint.h>
#include <string.h>

#include "synack/synack.h"
#include "synack/wire.h"

#define OUR_ADDR 0xc0000202u /* 192.0.2.2 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void tx_sink(void *ctx, const uint8_t *pkt, size_t len)
{
	(void)ctx;
	/* Everything we send must itself parse cleanly. */
	struct synack_ipv4 ip;
	if (synack_ipv4_parse(pkt, len, &ip) != SYNACK_WIRE_OK)
		__builtin_trap();
}

static size_t make_plausible(uint8_t *p, size_t n)
{
	if (n < 20)
		return n;
	size_t ihl = (size_t)(p[0] & 0x0f) * 4u;
	if (ihl < 20 || ihl > n)
		ihl = 20;
	p[0] = (uint8_t)(0x40 | (ihl / 4));
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	p[6] &= 0x40; /* no fragments */
	p[7] = 0;
	p[16] = 0xc0, p[17] = 0x00, p[18] = 0x02, p[19] = 0x02;
	p[10] = p[11] = 0;
	uint16_t c = synack_csum_fold(synack_csum_add(0, p, ihl));
	p[10] = (uint8_t)(c >> 8), p[11] = (uint8_t)c;
	uint32_t src = (uint32_t)p[12] << 24 | (uint32_t)p[13] << 16 | (uint32_t)p[14] << 8 | p[15];
	uint8_t *l4 = p + ihl;
	size_t l4len = n - ihl;
	if (p[9] == SYNACK_IPPROTO_TCP && l4len >= 18) {
		l4[16] = l4[17] = 0;
		uint32_t s = synack_csum_pseudo(src, OUR_ADDR, SYNACK_IPPROTO_TCP, (uint16_t)l4len);
		c = synack_csum_fold(synack_csum_add(s, l4, l4len));
		l4[16] = (uint8_t)(c >> 8), l4[17] = (uint8_t)c;
	} else if (p[9] == SYNACK_IPPROTO_ICMP && l4len >= 4) {
		l4[2] = l4[3] = 0;
		c = synack_csum_fold(synack_csum_add(0, l4, l4len));
		l4[2] = (uint8_t)(c >> 8), l4[3] = (uint8_t)c;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536];
	if (size < 1 || size - 1 > sizeof(buf) || size - 1 > 65535)
		return 0;
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.addr = OUR_ADDR;
	cfg.seed = 1;
	cfg.max_sockets = 8; /* small pools: each input builds a fresh stack */
	cfg.max_tw_buckets = 8;
	cfg.rmem = cfg.wmem = 4096;
	cfg.max_syn_backlog = 4; /* small: a few SYNs reach the cookie path */
	struct synack_hooks hooks = {.tx = tx_sink};
	struct synack_stack *st = synack_stack_new(&cfg, &hooks, NULL);
	if (!st)
		return 0;
	size_t n = size - 1;
	memcpy(buf, data + 1, n);
	if (data[0] & 1)
		n = make_plausible(buf, n);
	synack_input(st, buf, n, 1000);
	synack_poll(st, 2000000);
	synack_stack_free(st);
	return 0;
}
