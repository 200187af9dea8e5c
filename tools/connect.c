/* synack connect: one connection from our stack, on a TUN device: send a
 * file (or nothing), half-close, write everything received to a file, and
 * exit 0 once the close is clean (our FIN acknowledged and the peer's FIN
 * received), or non-zero with the errno's name (ECONNREFUSED, ETIMEDOUT,
 * ECONNRESET, ...). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "synack/wire.h"

#define PROG "synack connect"
#define CHUNK 65536
#define MAX_WAIT SYNACK_MS(100) /* longest wait in the driver: how soon a signal is seen at worst */
#define MAX_TIMEOUT_S 86400u

struct client {
	struct synack_tun *tun;
	struct synack_stack *st;
	int sock;
	FILE *in, *out;
	uint8_t buf[CHUNK];           /* file bytes not yet accepted by send */
	size_t buf_off, buf_len;
	uint8_t rbuf[CHUNK];          /* received bytes on their way to the file */
	bool in_eof, shut, peer_eof;
	uint64_t sent, received;
};

static int usage(FILE *f, int rc)
{
	fprintf(f,
	        "usage: synack connect --tun NAME --addr ADDR --peer HOST:PORT [--send FILE] [--out FILE]\n"
	        "                      [--timeout SEC] [--stats] [--pcap FILE] [--loss PCT] [--delay MS] [--seed N]\n"
	        "Connects from this stack, on a TUN device, to HOST:PORT; sends FILE (or nothing),\n"
	        "half-closes (shutdown SHUT_WR), writes everything received to the --out FILE (or\n"
	        "stdout), and exits 0 once both FINs are through; on failure it prints the error's\n"
	        "name (ECONNREFUSED, ETIMEDOUT, ECONNRESET, ...) and exits 1.  The device's own\n"
	        "address is the kernel's side of the link; configure it first, e.g.\n"
	        "  ip tuntap add dev tun0 mode tun\n"
	        "  ip addr add 198.51.100.1/24 dev tun0 && ip link set tun0 up\n"
	        "  synack connect --tun tun0 --addr 198.51.100.2 --peer 198.51.100.1:9000 --out got.bin\n\n"
	        "  --peer HOST:PORT  the server (dotted quad and port)\n"
	        "  --send FILE       the bytes to send ('-' for stdin; default: none)\n"
	        "  --out FILE        where the received bytes go ('-' or none: stdout)\n"
	        "  --timeout SEC     give up (ETIMEDOUT) after SEC seconds (default: only the\n"
	        "                    stack's own limits, e.g. 127 s of SYN retries)\n"
	        "  --stats           print the connection table and counters at the end (stderr)\n"
	        "%s",
	        cli_tun_help);
	return rc;
}

static int fail(struct client *c, int e, const char *what)
{
	fprintf(stderr, PROG ": %s%s%s (%s)\n", what ? what : "", what ? ": " : "", cli_errno_name(e), strerror(e));
	(void)c;
	return CLI_EXIT_FAIL;
}

/* Feeds the file to the socket; half-closes when it is all in.  Returns 0 or
 * a positive errno. */
static int pump_send(struct client *c)
{
	while (!c->shut) {
		if (c->buf_off == c->buf_len && !c->in_eof) {
			c->buf_off = 0;
			c->buf_len = c->in ? fread(c->buf, 1, sizeof(c->buf), c->in) : 0;
			if (c->buf_len == 0) {
				if (c->in && ferror(c->in))
					return EIO;
				c->in_eof = true;
			}
		}
		if (c->buf_off < c->buf_len) {
			ssize_t n = synack_send(c->st, c->sock, c->buf + c->buf_off, c->buf_len - c->buf_off,
			                        synack_tun_now());
			if (n == -EAGAIN)
				return 0;
			if (n < 0)
				return (int)-n;
			c->buf_off += (size_t)n;
			c->sent += (uint64_t)n;
			continue;
		}
		int e = synack_shutdown(c->st, c->sock, SYNACK_SHUT_WR, synack_tun_now());
		if (e < 0)
			return -e;
		c->shut = true;
	}
	return 0;
}

static int pump_recv(struct client *c)
{
	while (!c->peer_eof) {
		ssize_t n = synack_recv(c->st, c->sock, c->rbuf, sizeof(c->rbuf), synack_tun_now());
		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return (int)-n;
		if (n == 0) {
			c->peer_eof = true;
			break;
		}
		if (fwrite(c->rbuf, 1, (size_t)n, c->out) != (size_t)n)
			return errno ? errno : EIO;
		c->received += (uint64_t)n;
	}
	return 0;
}

/* One look at the socket after a turn of the driver.  Returns 0 to go on,
 * -1 when the close is complete, or a positive errno. */
static int run_socket(struct client *c)
{
	int ev = synack_sock_events(c->st, c->sock);
	if (ev < 0)
		return -ev;
	if (ev & SYNACK_POLLERR) {
		int e = 0;
		synack_getsockopt(c->st, c->sock, SYNACK_SO_ERROR, &e);
		return e ? e : EIO;
	}
	struct synack_sockinfo info;
	synack_sockinfo(c->st, c->sock, &info);
	if (info.state == SYNACK_SYN_SENT || info.state == SYNACK_SYN_RCVD)
		return 0;
	int e = pump_send(c);
	if (e == 0)
		e = pump_recv(c);
	if (e)
		return e;
	synack_sockinfo(c->st, c->sock, &info);
	/* Clean: our FIN is acknowledged (we are past FIN_WAIT/CLOSING/LAST_ACK)
	 * and the peer's FIN has been read. */
	if (c->shut && c->peer_eof && (info.state == SYNACK_TIME_WAIT || info.state == SYNACK_CLOSED))
		return -1;
	return 0;
}

/* The state our connection ended in: once it enters TIME_WAIT the handle
 * reads CLOSED and a compact TIME_WAIT entry (no handle) holds the 4-tuple. */
struct tw_probe {
	struct synack_sockinfo me;
	bool found;
};

static void tw_visit(void *ctx, int sock, const struct synack_sockinfo *i)
{
	struct tw_probe *p = ctx;
	if (sock < 0 && i->state == SYNACK_TIME_WAIT && i->lport == p->me.lport && i->rport == p->me.rport &&
	    i->raddr == p->me.raddr)
		p->found = true;
}

static int final_state(struct client *c, const struct synack_sockinfo *at_connect)
{
	struct synack_sockinfo info;
	if (c->sock < 0 || synack_sockinfo(c->st, c->sock, &info) != 0)
		return SYNACK_CLOSED;
	if (info.state != SYNACK_CLOSED)
		return info.state;
	struct tw_probe p = {.me = *at_connect, .found = false};
	synack_sock_foreach(c->st, tw_visit, &p);
	return p.found ? SYNACK_TIME_WAIT : SYNACK_CLOSED;
}

static int parse(int argc, char **argv, struct cli_tun_args *ta, uint32_t *peer, uint16_t *port,
                 const char **send_path, const char **out_path, uint64_t *timeout_s, bool *stats)
{
	bool have_peer = false;
	for (int i = 1; i < argc; i++) {
		int k = cli_tun_option(PROG, ta, argc, argv, &i);
		if (k < 0)
			return CLI_EXIT_USAGE;
		if (k > 0)
			continue;
		const char *o = argv[i];
		if (!strcmp(o, "--help") || !strcmp(o, "-h"))
			return usage(stdout, 0) - 1; /* -1: stop, exit 0 */
		if (!strcmp(o, "--stats")) {
			*stats = true;
			continue;
		}
		bool known = !strcmp(o, "--peer") || !strcmp(o, "--send") || !strcmp(o, "--out") || !strcmp(o, "--timeout");
		if (!known) {
			fprintf(stderr, PROG ": unknown option '%s' (try --help)\n", o);
			return CLI_EXIT_USAGE;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, PROG ": %s needs a value\n", o);
			return CLI_EXIT_USAGE;
		}
		const char *v = argv[++i];
		if (!strcmp(o, "--peer")) {
			if (!cli_parse_addr_port(v, peer, port)) {
				fprintf(stderr, PROG ": --peer '%s' must be HOST:PORT, HOST a unicast dotted quad, "
				                "PORT 1-65535\n", v);
				return CLI_EXIT_USAGE;
			}
			have_peer = true;
		} else if (!strcmp(o, "--send")) {
			*send_path = v;
		} else if (!strcmp(o, "--out")) {
			*out_path = v;
		} else if (!cli_parse_u64(v, MAX_TIMEOUT_S, timeout_s) || *timeout_s == 0) {
			fprintf(stderr, PROG ": --timeout '%s' must be seconds from 1 to %u\n", v, MAX_TIMEOUT_S);
			return CLI_EXIT_USAGE;
		}
	}
	bool ok = cli_tun_complete(PROG, ta);
	if (!have_peer)
		fprintf(stderr, PROG ": --peer HOST:PORT is required (try --help)\n");
	return ok && have_peer ? 0 : CLI_EXIT_USAGE;
}

static int open_files(struct client *c, const char *send_path, const char *out_path)
{
	if (send_path) {
		c->in = strcmp(send_path, "-") ? fopen(send_path, "rb") : stdin;
		if (!c->in) {
			fprintf(stderr, PROG ": --send %s: %s\n", send_path, strerror(errno));
			return CLI_EXIT_USAGE;
		}
	}
	c->out = out_path && strcmp(out_path, "-") ? fopen(out_path, "wb") : stdout;
	if (!c->out) {
		fprintf(stderr, PROG ": --out %s: %s\n", out_path, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int connect_loop(struct client *c, uint64_t timeout_s)
{
	synack_time_t deadline = timeout_s ? synack_tun_now() + SYNACK_SEC(timeout_s) : SYNACK_TIME_NEVER;
	for (;;) {
		if (cli_stop)
			return fail(c, EINTR, "interrupted");
		if (synack_tun_now() >= deadline)
			return fail(c, ETIMEDOUT, "--timeout reached");
		int e = synack_tun_step(c->tun, MAX_WAIT);
		if (e < 0 && e != -EINTR)
			return fail(c, -e, "the TUN device failed");
		if (cli_dump) {
			cli_dump = 0;
			cli_print_table(stderr, c->st, synack_tun_now());
		}
		e = run_socket(c);
		if (e == -1)
			return 0;
		if (e > 0)
			return fail(c, e, NULL);
	}
}

int cmd_connect(int argc, char **argv)
{
	struct cli_tun_args ta = {0};
	uint32_t peer = 0;
	uint16_t port = 0;
	const char *send_path = NULL, *out_path = NULL;
	uint64_t timeout_s = 0;
	bool stats = false;
	int rc = parse(argc, argv, &ta, &peer, &port, &send_path, &out_path, &timeout_s, &stats);
	if (rc != 0)
		return rc < 0 ? 0 : rc;

	struct client c;
	memset(&c, 0, sizeof(c));
	rc = open_files(&c, send_path, out_path);
	if (rc == 0) {
		cli_signals_install();
		c.tun = cli_tun_open(PROG, &ta, NULL);
		rc = c.tun ? 0 : CLI_EXIT_FAIL;
	}
	if (rc == 0) {
		c.st = synack_tun_stack(c.tun);
		c.sock = synack_socket(c.st);
		int e = c.sock < 0 ? c.sock : synack_connect(c.st, c.sock, peer, port, synack_tun_now());
		struct synack_sockinfo at_connect;
		memset(&at_connect, 0, sizeof(at_connect));
		if (c.sock >= 0)
			synack_sockinfo(c.st, c.sock, &at_connect);
		rc = e == -EINPROGRESS ? connect_loop(&c, timeout_s) : fail(&c, -e, "connect");
		int state = final_state(&c, &at_connect);
		if (rc == 0)
			fprintf(stderr, PROG ": sent %llu bytes, received %llu bytes, closed cleanly (%s)\n",
			        (unsigned long long)c.sent, (unsigned long long)c.received,
			        synack_state_name((enum synack_tcp_state)state));
		if (stats) {
			cli_print_table(stderr, c.st, synack_tun_now());
			cli_print_counters(stderr, c.tun);
		}
		if (c.sock >= 0)
			synack_close(c.st, c.sock, synack_tun_now());
		int pe = synack_tun_close(c.tun);
		if (pe < 0) {
			fprintf(stderr, PROG ": writing the pcap failed: %s\n", strerror(-pe));
			rc = CLI_EXIT_FAIL;
		}
	}
	if (c.in && c.in != stdin)
		fclose(c.in);
	if (c.out && (c.out == stdout ? fflush(c.out) : fclose(c.out)) != 0) {
		fprintf(stderr, PROG ": writing the received bytes failed: %s\n", strerror(errno));
		rc = CLI_EXIT_FAIL;
	}
	return rc;
}
