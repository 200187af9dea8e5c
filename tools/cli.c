/* Shared by the TUN subcommands: see cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "synack/wire.h"

#define MAX_LOSS_PCT 90.0
#define MAX_DELAY_MS 10000u

const char cli_tun_help[] =
	"  --tun NAME     the TUN device (created if missing; needs CAP_NET_ADMIN)\n"
	"  --addr ADDR    this stack's IPv4 address, on the subnet of the device's own\n"
	"                 (kernel side) address, e.g. 198.51.100.2 with 198.51.100.1/24\n"
	"                 on the device\n"
	"  --pcap FILE    write every packet the stack sends or receives to FILE\n"
	"  --loss PCT     drop PCT percent of packets, each direction (0-90; default 0)\n"
	"  --delay MS     delay every packet MS milliseconds, each direction (0-10000)\n"
	"  --seed N       seed of the loss generator and the stack's secrets (default:\n"
	"                 loss seed 1, secrets from the clock)\n";

bool cli_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return false; /* no sign, no space, no empty string */
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

bool cli_parse_port(const char *s, uint16_t *out)
{
	uint64_t v;
	if (!cli_parse_u64(s, 65535, &v) || v == 0)
		return false;
	*out = (uint16_t)v;
	return true;
}

bool cli_parse_host_addr(const char *s, uint32_t *out)
{
	uint32_t a;
	if (!s || synack_ip_parse(s, &a) != 0)
		return false;
	uint8_t first = (uint8_t)(a >> 24);
	if (first == 0 || first == 127 || first >= 224)
		return false;
	*out = a;
	return true;
}

bool cli_parse_addr_port(const char *s, uint32_t *addr, uint16_t *port)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	if (!colon || colon == s || (size_t)(colon - s) >= 16)
		return false;
	char host[16];
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	return cli_parse_host_addr(host, addr) && cli_parse_port(colon + 1, port);
}

/* The errnos a network tool reports, by name (glibc's strerrorname_np is a
 * GNU extension). */
const char *cli_errno_name(int e)
{
	switch (e) {
#define N(x) \
	case x: \
		return #x;
		N(EPERM) N(ENOENT) N(EINTR) N(EIO) N(EBADF) N(EAGAIN) N(ENOMEM) N(EACCES) N(EFAULT) N(EBUSY)
		N(EEXIST) N(ENODEV) N(EINVAL) N(ENOSPC) N(EPIPE) N(ENOBUFS) N(EISCONN) N(ENOTCONN)
		N(ESHUTDOWN) N(ETIMEDOUT) N(ECONNREFUSED) N(ECONNRESET) N(ECONNABORTED) N(EHOSTUNREACH)
		N(ENETUNREACH) N(EADDRINUSE) N(EADDRNOTAVAIL) N(EINPROGRESS) N(EALREADY) N(EMSGSIZE)
		N(ENOPROTOOPT) N(EOPNOTSUPP)
#undef N
	default:
		return "E?";
	}
}

int cli_tun_option(const char *prog, struct cli_tun_args *a, int argc, char **argv, int *i)
{
	const char *opt = argv[*i];
	static const char *const names[] = {"--tun", "--addr", "--pcap", "--loss", "--delay", "--seed"};
	size_t k = 0;
	while (k < sizeof(names) / sizeof(names[0]) && strcmp(opt, names[k]) != 0)
		k++;
	if (k == sizeof(names) / sizeof(names[0]))
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "%s: %s needs a value\n", prog, opt);
		return -1;
	}
	const char *v = argv[++*i];
	uint64_t n;
	switch (k) {
	case 0:
		a->tun = v;
		return 1;
	case 1:
		if (!cli_parse_host_addr(v, &a->addr)) {
			fprintf(stderr, "%s: --addr '%s' is not a usable IPv4 address (dotted quad, unicast)\n", prog, v);
			return -1;
		}
		a->have_addr = true;
		return 1;
	case 2:
		a->pcap = v;
		return 1;
	case 3: {
		char *end;
		errno = 0;
		double pct = strtod(v, &end);
		if (errno || end == v || *end != '\0' || !(pct >= 0 && pct <= MAX_LOSS_PCT)) {
			fprintf(stderr, "%s: --loss '%s' must be a percentage from 0 to %.0f\n", prog, v, MAX_LOSS_PCT);
			return -1;
		}
		a->loss_pct = pct;
		return 1;
	}
	case 4:
		if (!cli_parse_u64(v, MAX_DELAY_MS, &n)) {
			fprintf(stderr, "%s: --delay '%s' must be milliseconds from 0 to %u\n", prog, v, MAX_DELAY_MS);
			return -1;
		}
		a->delay_ms = (uint32_t)n;
		return 1;
	default:
		if (!cli_parse_u64(v, UINT64_MAX, &a->seed)) {
			fprintf(stderr, "%s: --seed '%s' must be a non-negative integer\n", prog, v);
			return -1;
		}
		a->have_seed = true;
		return 1;
	}
}

bool cli_tun_complete(const char *prog, const struct cli_tun_args *a)
{
	if (!a->tun)
		fprintf(stderr, "%s: --tun NAME is required (try --help)\n", prog);
	if (!a->have_addr)
		fprintf(stderr, "%s: --addr ADDR is required (try --help)\n", prog);
	return a->tun && a->have_addr;
}

struct synack_tun *cli_tun_open(const char *prog, const struct cli_tun_args *a, const struct synack_hooks *hooks)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.addr = a->addr;
	if (a->have_seed) {
		cfg.seed = a->seed;
	} else {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		cfg.seed = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	}
	struct synack_tun_opts o = {
		.ifname = a->tun,
		.loss = a->loss_pct / 100.0,
		.delay_ms = a->delay_ms,
		.seed = a->have_seed ? a->seed : 1,
		.pcap_path = a->pcap,
	};
	int err = 0;
	char msg[256];
	msg[0] = '\0';
	struct synack_tun *t = synack_tun_open(&o, &cfg, hooks, &err, msg, sizeof(msg));
	if (!t)
		fprintf(stderr, "%s: %s (%s)\n", prog, msg[0] ? msg : strerror(-err), cli_errno_name(-err));
	return t;
}

volatile sig_atomic_t cli_stop, cli_dump;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		cli_dump = 1;
	else
		cli_stop = 1;
}

void cli_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: poll returns EINTR and the loop looks at the flags */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

void cli_print_counters(FILE *f, struct synack_tun *t)
{
	const struct synack_counters *c = synack_get_counters(synack_tun_stack(t));
	fprintf(f, "counters (non-zero):\n");
	for (int id = 0; id < SYNACK_COUNTER_COUNT; id++) {
		uint64_t v = synack_counter_value(c, (enum synack_counter_id)id);
		if (v)
			fprintf(f, "  %-30s %llu\n", synack_counter_name((enum synack_counter_id)id),
			        (unsigned long long)v);
	}
	const struct synack_tun_stats *s = synack_tun_get_stats(t);
	fprintf(f, "driver: %llu packets in (%llu lost on purpose), %llu out (%llu lost on purpose), "
	           "%llu dropped by a full delay queue, %llu write errors\n",
	        (unsigned long long)s->rx_pkts, (unsigned long long)s->rx_lost, (unsigned long long)s->tx_pkts,
	        (unsigned long long)s->tx_lost, (unsigned long long)s->queue_drops, (unsigned long long)s->tx_errors);
	/* What the kernel could not queue for us: a TUN device holds at most
	 * txqueuelen packets (500 by default) that the reader has not read. */
	char path[96];
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_dropped", synack_tun_ifname(t));
	FILE *sf = fopen(path, "r");
	unsigned long long dropped;
	if (sf && fscanf(sf, "%llu", &dropped) == 1)
		fprintf(f, "kernel: %llu packets to us dropped at %s's queue (txqueuelen) since the device was made\n",
		        dropped, synack_tun_ifname(t));
	if (sf)
		fclose(sf);
}

struct table_ctx {
	FILE *f;
	synack_time_t now;
};

static void format_endpoint(char *buf, size_t cap, uint32_t addr, uint16_t port)
{
	char a[16];
	if (port == 0)
		snprintf(buf, cap, "*:*");
	else
		snprintf(buf, cap, "%s:%u", synack_ip_format(addr, a), port);
}

static void print_row(void *ctx, int sock, const struct synack_sockinfo *in)
{
	(void)sock;
	struct table_ctx *tc = ctx;
	char local[24], peer[24], timer[40];
	format_endpoint(local, sizeof(local), in->laddr, in->lport);
	format_endpoint(peer, sizeof(peer), in->raddr, in->rport);
	if (in->state == SYNACK_LISTEN)
		snprintf(peer, sizeof(peer), "*:*");
	if (in->timer_at == UINT64_MAX) {
		snprintf(timer, sizeof(timer), "-");
	} else {
		/* Which timer, as ss names them: TIME_WAIT's 2MSL, an orphaned
		 * FIN_WAIT_2's fin_timeout, or the retransmission/probe timer. */
		const char *kind = in->state == SYNACK_TIME_WAIT    ? "timewait"
		                   : in->state == SYNACK_FIN_WAIT_2 ? "fin_timeout"
		                                                    : "on";
		double left = in->timer_at > tc->now ? (double)(in->timer_at - tc->now) / 1e6 : 0.0;
		snprintf(timer, sizeof(timer), "%s,%.3fs", kind, left);
	}
	fprintf(tc->f, "%-12s %7u %7u  %-21s  %-21s  %s\n", synack_state_name((enum synack_tcp_state)in->state),
	        in->recv_q, in->send_q, local, peer, timer);
}

void cli_print_table(FILE *f, const struct synack_stack *st, synack_time_t now)
{
	struct table_ctx tc = {.f = f, .now = now};
	fprintf(f, "%-12s %7s %7s  %-21s  %-21s  %s\n", "State", "Recv-Q", "Send-Q", "Local Address:Port",
	        "Peer Address:Port", "Timer");
	size_t n = synack_sock_foreach(st, print_row, &tc);
	fprintf(f, "(%zu connection%s)\n", n, n == 1 ? "" : "s");
	fflush(f);
}
