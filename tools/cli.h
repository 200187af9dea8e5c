/* What the TUN subcommands (serve, connect) share: argument parsing with
 * clear errors, the TUN options, signals, and printing counters and the
 * ss-style connection table. */
#ifndef SYNACK_TOOLS_CLI_H
#define SYNACK_TOOLS_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/synack.h"
#include "synack/tun.h"

/* Exit codes: 0 success, 1 the run failed, 2 bad arguments. */
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* The options every TUN subcommand takes. */
struct cli_tun_args {
	const char *tun;      /* --tun NAME (required) */
	uint32_t addr;        /* --addr ADDR (required): the stack's own address */
	bool have_addr;
	const char *pcap;     /* --pcap FILE */
	double loss_pct;      /* --loss PCT, 0..90 */
	uint32_t delay_ms;    /* --delay MS */
	uint64_t seed;        /* --seed N */
	bool have_seed;
};

/* The help text for the options above, one per line. */
extern const char cli_tun_help[];

/* Looks at argv[*i]: if it is a TUN option, consumes it (and its value,
 * advancing *i) and returns 1; returns 0 if it is not one; on a bad or
 * missing value prints why (prefixed with prog) and returns -1. */
int cli_tun_option(const char *prog, struct cli_tun_args *a, int argc, char **argv, int *i);
/* Checks the required options are there; prints what is missing. */
bool cli_tun_complete(const char *prog, const struct cli_tun_args *a);
/* Opens the device and the stack on it (config defaults, a's address and
 * seed); prints why on failure and returns NULL. */
struct synack_tun *cli_tun_open(const char *prog, const struct cli_tun_args *a, const struct synack_hooks *hooks);

/* Strict parsers: the whole string must be a value in range. */
bool cli_parse_u64(const char *s, uint64_t max, uint64_t *out);
bool cli_parse_port(const char *s, uint16_t *out);
/* A unicast IPv4 address a host can use (not 0.0.0.0, 127/8, multicast or
 * reserved). */
bool cli_parse_host_addr(const char *s, uint32_t *out);
/* "198.51.100.1:8080". */
bool cli_parse_addr_port(const char *s, uint32_t *addr, uint16_t *port);

/* "ECONNREFUSED" for ECONNREFUSED (positive errno); "E?" if unknown. */
const char *cli_errno_name(int e);

/* SIGINT/SIGTERM set cli_stop; SIGUSR1 sets cli_dump.  Installed without
 * SA_RESTART, so a signal interrupts the driver's wait at once.  SIGPIPE
 * is ignored. */
extern volatile sig_atomic_t cli_stop, cli_dump;
void cli_signals_install(void);

/* Prints the counters that are not zero, then the driver's figures. */
void cli_print_counters(FILE *f, struct synack_tun *t);
/* Prints every connection the stack holds as `ss -tan` would: state,
 * Recv-Q, Send-Q, local and peer address, timer. */
void cli_print_table(FILE *f, const struct synack_stack *st, synack_time_t now);

#endif
