/* pcap driver: writes IPv4 packets to a classic pcap file (link type
 * LINKTYPE_IPV4, 228) with the caller's (virtual or real) timestamps, so
 * Wireshark and tshark read every run.  Outside the core. */
#ifndef SYNACK_PCAP_H
#define SYNACK_PCAP_H

#include <stdint.h>
#include <stdio.h>

#include "synack/synack.h"

#ifdef __cplusplus
extern "C" {
#endif

struct synack_pcap;

/* Creates/truncates path and writes the file header.  NULL on error (errno set). */
struct synack_pcap *synack_pcap_open(const char *path);
/* Writes to an already open stream (e.g. open_memstream); the stream is not
 * closed by synack_pcap_close. */
struct synack_pcap *synack_pcap_open_stream(FILE *f);
/* Appends one record stamped ts (microseconds).  Returns 0 or -errno. */
int synack_pcap_write(struct synack_pcap *p, synack_time_t ts, const uint8_t *pkt, size_t len);
/* Flushes and closes (the file, if synack_pcap_open opened it). Returns 0 or -errno. */
int synack_pcap_close(struct synack_pcap *p);

/* A ready-made trace hook: records every PKT_IN and PKT_OUT of a stack.
 * Install with hooks.trace = synack_pcap_trace_hook, hooks.ctx = the pcap
 * (or call it from your own hook). */
void synack_pcap_trace_hook(void *pcap, const struct synack_trace *ev);

#ifdef __cplusplus
}
#endif
#endif
