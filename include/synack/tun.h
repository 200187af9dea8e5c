/* TUN driver: runs a stack on a Linux TUN device, so the kernel's own TCP/IP
 * stack and the programs above it (curl, python, ping, ss) are the peer.
 * Outside the core; it uses only the public API.
 *
 * The device carries bare IP packets (IFF_TUN | IFF_NO_PI).  The kernel side
 * of the link is the device's own address (for example 198.51.100.1/24 set
 * with `ip addr add` on tun0); the stack's address is config.addr (for
 * example 198.51.100.2), another address on that subnet.  Configuring the
 * kernel side (ip addr, ip link set up) is the caller's job.
 *
 * Time is CLOCK_MONOTONIC in microseconds (synack_tun_now), the `now` every
 * API call on the stack takes.
 *
 * Fault injection, since a namespace has no netem on a TUN device by
 * default: each packet in either direction is lost with probability `loss`
 * and held back `delay_ms` (FIFO, so delay alone never reorders), decided by
 * a seeded deterministic generator: the same seed makes the same sequence of
 * decisions.
 */
#ifndef SYNACK_TUN_H
#define SYNACK_TUN_H

#include <stddef.h>
#include <stdint.h>

#include "synack/synack.h"

#ifdef __cplusplus
extern "C" {
#endif

struct synack_tun;

struct synack_tun_opts {
	const char *ifname;     /* device name (at most 15 bytes); created if it does not exist */
	double loss;            /* probability in [0, 1) that a packet is dropped, each direction */
	uint32_t delay_ms;      /* extra one-way delay, each direction (0: none) */
	uint64_t seed;          /* seed of the loss generator */
	uint32_t queue_limit;   /* delayed packets held per direction; beyond, dropped (0: 10000) */
	const char *pcap_path;  /* if set, every packet the stack sends or receives is written here */
};

/* What the driver did with the packets it carried. */
struct synack_tun_stats {
	uint64_t rx_pkts;       /* packets read from the device */
	uint64_t rx_lost;       /* of those, dropped by fault injection */
	uint64_t tx_pkts;       /* packets the stack sent */
	uint64_t tx_lost;       /* of those, dropped by fault injection */
	uint64_t queue_drops;   /* dropped because the delay queue was full */
	uint64_t tx_errors;     /* writes to the device that failed */
};

/* The current time: CLOCK_MONOTONIC in microseconds. */
synack_time_t synack_tun_now(void);

/* Opens (or creates) the TUN device opts->ifname and creates a stack on it
 * with cfg and the caller's hooks.  The driver owns hooks.tx (the caller's
 * is ignored) and chains hooks.trace after its pcap writer; hooks.event and
 * hooks.ctx are passed on as given.  On failure returns NULL, *err (if not
 * NULL) gets a negative errno and msg (if not NULL) a one-line explanation,
 * for example "no permission to use /dev/net/tun (CAP_NET_ADMIN needed)". */
struct synack_tun *synack_tun_open(const struct synack_tun_opts *opts, const struct synack_config *cfg,
                                   const struct synack_hooks *hooks, int *err, char *msg, size_t msglen);

/* Closes the device (a device this driver created goes away with it),
 * drops packets still held back, closes the pcap and frees the stack.
 * Returns 0, or the pcap's first write error as a negative errno. */
int synack_tun_close(struct synack_tun *t);

struct synack_stack *synack_tun_stack(struct synack_tun *t);
const struct synack_tun_stats *synack_tun_get_stats(const struct synack_tun *t);
/* The device's name as the kernel gave it. */
const char *synack_tun_ifname(const struct synack_tun *t);

/* One turn of the event loop: waits until a packet arrives, a timer of the
 * stack is due, a held-back packet is due, or max_wait microseconds pass;
 * then feeds every packet read and every packet due to the stack or the
 * device, and runs the stack's timers.  Returns 0; -EINTR if a signal
 * interrupted the wait (nothing is lost: call again); or another negative
 * errno if the device failed (for example it was deleted). */
int synack_tun_step(struct synack_tun *t, synack_time_t max_wait);

#ifdef __cplusplus
}
#endif
#endif
