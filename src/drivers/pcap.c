/* pcap driver: classic libpcap format (not pcapng), one record per packet.
 *
 * File layout (all fields little-endian, as libpcap writes them on the hosts
 * we run on; we write the bytes explicitly so the file is the same on any
 * host and a replayed run compares byte for byte):
 *   global header: magic 0xa1b2c3d4 (microsecond stamps), version 2.4,
 *                  thiszone 0, sigfigs 0, snaplen 65535, network 228 (IPv4)
 *   per record:    ts_sec, ts_usec, incl_len, orig_len, then incl_len bytes
 */
#include "synack/pcap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_VERSION_MAJOR 2u
#define PCAP_VERSION_MINOR 4u
#define PCAP_SNAPLEN 65535u
#define PCAP_LINKTYPE_IPV4 228u

struct synack_pcap {
	FILE *f;
	bool owns_file; /* opened by synack_pcap_open: closed by synack_pcap_close */
	int err;        /* first write error (negative errno), reported by close */
};

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* fwrite does not always set errno (e.g. on a memstream); never report 0. */
static int write_all(struct synack_pcap *p, const void *buf, size_t len)
{
	if (len == 0)
		return 0;
	errno = 0;
	if (fwrite(buf, 1, len, p->f) != len) {
		int e = errno ? -errno : -EIO;
		if (p->err == 0)
			p->err = e;
		return e;
	}
	return 0;
}

static struct synack_pcap *pcap_start(FILE *f, bool owns_file)
{
	struct synack_pcap *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->f = f;
	p->owns_file = owns_file;

	uint8_t hdr[24];
	put_le32(hdr + 0, PCAP_MAGIC);
	put_le16(hdr + 4, PCAP_VERSION_MAJOR);
	put_le16(hdr + 6, PCAP_VERSION_MINOR);
	put_le32(hdr + 8, 0);  /* thiszone: stamps are already in "UTC" */
	put_le32(hdr + 12, 0); /* sigfigs: always 0 in practice */
	put_le32(hdr + 16, PCAP_SNAPLEN);
	put_le32(hdr + 20, PCAP_LINKTYPE_IPV4);
	int e = write_all(p, hdr, sizeof(hdr));
	if (e != 0) {
		free(p);
		errno = -e;
		return NULL;
	}
	return p;
}

struct synack_pcap *synack_pcap_open(const char *path)
{
	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		return NULL;
	struct synack_pcap *p = pcap_start(f, true);
	if (!p) {
		int saved = errno;
		fclose(f);
		errno = saved;
	}
	return p;
}

struct synack_pcap *synack_pcap_open_stream(FILE *f)
{
	if (!f) {
		errno = EINVAL;
		return NULL;
	}
	return pcap_start(f, false);
}

int synack_pcap_write(struct synack_pcap *p, synack_time_t ts, const uint8_t *pkt, size_t len)
{
	if (!p || (!pkt && len > 0))
		return -EINVAL;
	/* Longer than the snaplen cannot be an IPv4 packet, but keep the file
	 * valid anyway: store the first snaplen bytes, say how long it was. */
	size_t incl = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : len;
	uint32_t orig = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;

	uint8_t rec[16];
	put_le32(rec + 0, (uint32_t)(ts / 1000000u));
	put_le32(rec + 4, (uint32_t)(ts % 1000000u));
	put_le32(rec + 8, (uint32_t)incl);
	put_le32(rec + 12, orig);
	int e = write_all(p, rec, sizeof(rec));
	if (e == 0)
		e = write_all(p, pkt, incl);
	return e;
}

int synack_pcap_close(struct synack_pcap *p)
{
	if (!p)
		return -EINVAL;
	int e = p->err;
	errno = 0;
	if (fflush(p->f) != 0 && e == 0)
		e = errno ? -errno : -EIO;
	if (p->owns_file) {
		errno = 0;
		if (fclose(p->f) != 0 && e == 0)
			e = errno ? -errno : -EIO;
	}
	free(p);
	return e;
}

void synack_pcap_trace_hook(void *pcap, const struct synack_trace *ev)
{
	if (!pcap || !ev)
		return;
	if (ev->kind == SYNACK_TRACE_PKT_IN || ev->kind == SYNACK_TRACE_PKT_OUT)
		(void)synack_pcap_write(pcap, ev->now, ev->pkt, ev->len);
}
