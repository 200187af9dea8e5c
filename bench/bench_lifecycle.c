/* Full TCP connection lifecycles per second: synack (two stacks in one
 * process over an in-memory link) against the Linux kernel on 127.0.0.1, on
 * one core, doing the same work in lock-step.  Prints figures, never asserts
 * on time.
 *
 * One lifecycle: socket + connect, server accept, client sends 1 byte, server
 * reads it and sends 1 byte back, client reads it, both close, and the
 * packets are pumped until nothing is left in flight.
 *
 * synack: each stack's tx hook copies the packet into a preallocated ring of
 * packet slots (no malloc per packet); a loop hands queued packets to the
 * other stack with synack_input.  Virtual time advances 1 ms per lifecycle and
 * msl_ms is 1000, so TIME_WAIT (2*MSL = 2 s of virtual time) holds about 2000
 * entries at any moment and its timers fire (through synack_poll) within the
 * measured run.  After the last lifecycle the clock jumps past 2*MSL and the
 * remaining TIME_WAIT entries expire inside the measured interval too, so
 * every counted lifecycle is fully gone when the clock stops.
 *
 * Linux: one thread, non-blocking sockets, lock-step (poll only as a bounded
 * fallback when a call would block).
 */
#define _GNU_SOURCE /* accept4, SOCK_NONBLOCK */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "synack/synack.h"
#include "tcp/tcp.h"

#define RUN_SECONDS 2.0
#define SYNACK_MAX_LIFECYCLES 200000u
#define LINUX_MAX_LIFECYCLES 400000u
#define CHECK_LIFECYCLES 5000u

#define CLIENT_ADDR 0x0a000001u /* 10.0.0.1 */
#define SERVER_ADDR 0x0a000002u /* 10.0.0.2 */
#define SERVER_PORT 80
#define MSL_MS 1000u       /* the throughput runs' MSL: TIME_WAIT lasts 2 s */
#define MSL_SHORT_MS 100u  /* [B] again with 10x fewer TIME_WAIT entries held */
#define STEP_US 1000u /* virtual time per lifecycle */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------------ */
/* The in-memory link: one FIFO of packet slots per direction.          */

#define SLOT_BYTES 2048
#define QSLOTS 64 /* power of two */
#define PUMP_MAX 256 /* packets one pump may move before we call it a loop */

struct pktq {
	uint32_t head, tail;
	uint64_t pushed, dropped;
	uint16_t len[QSLOTS];
	uint8_t buf[QSLOTS][SLOT_BYTES];
};

static void q_tx(void *ctx, const uint8_t *pkt, size_t len)
{
	struct pktq *q = ctx;
	if (q->tail - q->head == QSLOTS || len > SLOT_BYTES) {
		q->dropped++;
		return;
	}
	uint32_t i = q->tail & (QSLOTS - 1);
	memcpy(q->buf[i], pkt, len);
	q->len[i] = (uint16_t)len;
	q->tail++;
	q->pushed++;
}

/* Per-state census kept by the trace hook in the checked run only. */
struct census {
	long state[SYNACK_STATE_COUNT];
	long bad_drops;
};

static void census_trace(void *ctx, const struct synack_trace *ev)
{
	struct census *c = ctx;
	if (ev->kind == SYNACK_TRACE_STATE) {
		/* A passive child's trace starts at LISTEN (as the RFC's
		 * diagram does) and a reset child returns to LISTEN before it
		 * is freed: LISTEN counts as "no connection" here, and the
		 * listener itself is never counted. */
		if (ev->old_state != SYNACK_CLOSED && ev->old_state != SYNACK_LISTEN)
			c->state[ev->old_state]--;
		if (ev->new_state != SYNACK_CLOSED && ev->new_state != SYNACK_LISTEN)
			c->state[ev->new_state]++;
	} else if (ev->kind == SYNACK_TRACE_DROP) {
		c->bad_drops++;
	}
}

struct pair {
	struct synack_stack *cli, *srv;
	struct pktq *to_srv, *to_cli; /* to_srv: filled by the client's tx hook */
	struct census ccen, scen;     /* checked run: the trace hooks' context */
	int lsock;
	synack_time_t now;
};

/* The tx hook has one ctx; in the checked run that ctx must also reach the
 * census, so the checked run uses these wrappers. */
struct traced {
	struct pktq *q;
	struct census *c;
};

static void traced_tx(void *ctx, const uint8_t *pkt, size_t len)
{
	q_tx(((struct traced *)ctx)->q, pkt, len);
}

static void traced_trace(void *ctx, const struct synack_trace *ev)
{
	census_trace(((struct traced *)ctx)->c, ev);
}

static struct traced g_traced[2];

static void pair_config(struct synack_config *cfg, uint32_t addr, uint64_t seed, uint32_t msl_ms)
{
	synack_config_default(cfg);
	cfg->addr = addr;
	cfg->seed = seed;
	cfg->max_sockets = 65536;
	cfg->rmem = 4096;
	cfg->wmem = 4096;
	cfg->msl_ms = msl_ms;
	cfg->ip_local_port_range[0] = 1024;
	cfg->ip_local_port_range[1] = 65535;
}

static int pair_init(struct pair *p, bool traced, uint32_t msl_ms)
{
	memset(p, 0, sizeof(*p));
	p->to_srv = calloc(1, sizeof(struct pktq));
	p->to_cli = calloc(1, sizeof(struct pktq));
	if (!p->to_srv || !p->to_cli)
		return -ENOMEM;
	struct synack_config cc, sc;
	pair_config(&cc, CLIENT_ADDR, 1, msl_ms);
	pair_config(&sc, SERVER_ADDR, 2, msl_ms);
	struct synack_hooks ch = {.tx = q_tx, .ctx = p->to_srv};
	struct synack_hooks sh = {.tx = q_tx, .ctx = p->to_cli};
	if (traced) {
		g_traced[0] = (struct traced){p->to_srv, &p->ccen};
		g_traced[1] = (struct traced){p->to_cli, &p->scen};
		ch = (struct synack_hooks){.tx = traced_tx, .trace = traced_trace, .ctx = &g_traced[0]};
		sh = (struct synack_hooks){.tx = traced_tx, .trace = traced_trace, .ctx = &g_traced[1]};
	}
	int err = 0;
	p->cli = synack_stack_new(&cc, &ch, &err);
	if (!p->cli)
		return err;
	p->srv = synack_stack_new(&sc, &sh, &err);
	if (!p->srv)
		return err;
	p->now = SYNACK_SEC(1);
	p->lsock = synack_socket(p->srv);
	if (p->lsock < 0)
		return p->lsock;
	int e = synack_bind(p->srv, p->lsock, 0, SERVER_PORT);
	if (e == 0)
		e = synack_listen(p->srv, p->lsock, 128);
	return e;
}

static void pair_free(struct pair *p)
{
	synack_stack_free(p->cli);
	synack_stack_free(p->srv);
	free(p->to_srv);
	free(p->to_cli);
}

/* Delivers queued packets until both directions are empty.  Returns the
 * number moved, or -1 if it did not settle within PUMP_MAX packets. */
static int pump(struct pair *p)
{
	for (int n = 0; n < PUMP_MAX; n++) {
		struct pktq *q;
		struct synack_stack *dst;
		if (p->to_srv->head != p->to_srv->tail) {
			q = p->to_srv;
			dst = p->srv;
		} else if (p->to_cli->head != p->to_cli->tail) {
			q = p->to_cli;
			dst = p->cli;
		} else {
			return n;
		}
		uint32_t i = q->head & (QSLOTS - 1);
		synack_input(dst, q->buf[i], q->len[i], p->now);
		q->head++; /* only now: the slot stays valid during input */
	}
	return -1;
}

static void poll_if_due(struct synack_stack *st, synack_time_t now)
{
	if (synack_next_timeout(st) <= now)
		synack_poll(st, now);
}

enum lc_step {
	LC_SOCKET,
	LC_CONNECT,
	LC_HANDSHAKE,
	LC_ACCEPT,
	LC_CLIENT_SEND,
	LC_SERVER_RECV,
	LC_SERVER_SEND,
	LC_CLIENT_RECV,
	LC_FIRST_CLOSE,
	LC_SECOND_CLOSE,
	LC_DONE
};

static const char *const lc_step_name[] = {
	"socket()", "connect()", "handshake (client not writable)", "accept()", "client send()",
	"server recv()", "server send()", "client recv()", "first close() + pump", "second close() + pump",
	"done"};

struct lc_fail {
	enum lc_step step;
	long value; /* the call's return value */
	int cstate, sstate; /* sockinfo states at the failure (-1 unknown) */
};

static int sock_state(struct synack_stack *st, int sock)
{
	struct synack_sockinfo si;
	if (sock < 0 || synack_sockinfo(st, sock, &si) != 0)
		return -1;
	return si.state;
}

/* One lifecycle at p->now.  server_first: the server closes first (and so
 * holds TIME_WAIT); otherwise the client does.  Returns LC_DONE or the step
 * that failed (details in *f). */
static enum lc_step lifecycle(struct pair *p, bool server_first, struct lc_fail *f)
{
	uint8_t b = 'x';
	int c = -1, s = -1;
	long r = 0;
	enum lc_step step = LC_SOCKET;

	poll_if_due(p->cli, p->now);
	poll_if_due(p->srv, p->now);
	if (pump(p) < 0)
		goto fail;

	c = synack_socket(p->cli);
	if ((r = c) < 0)
		goto fail;
	step = LC_CONNECT;
	if ((r = synack_connect(p->cli, c, SERVER_ADDR, SERVER_PORT, p->now)) != -EINPROGRESS)
		goto fail;
	step = LC_HANDSHAKE;
	if ((r = pump(p)) < 0 || !((r = synack_sock_events(p->cli, c)) & SYNACK_POLLOUT))
		goto fail;
	step = LC_ACCEPT;
	s = synack_accept(p->srv, p->lsock, NULL, NULL);
	if ((r = s) < 0)
		goto fail;
	step = LC_CLIENT_SEND;
	if ((r = synack_send(p->cli, c, &b, 1, p->now)) != 1 || (r = pump(p)) < 0)
		goto fail;
	step = LC_SERVER_RECV;
	if ((r = synack_recv(p->srv, s, &b, 1, p->now)) != 1)
		goto fail;
	step = LC_SERVER_SEND;
	if ((r = synack_send(p->srv, s, &b, 1, p->now)) != 1 || (r = pump(p)) < 0)
		goto fail;
	step = LC_CLIENT_RECV;
	if ((r = synack_recv(p->cli, c, &b, 1, p->now)) != 1)
		goto fail;
	step = LC_FIRST_CLOSE;
	struct synack_stack *first = server_first ? p->srv : p->cli;
	struct synack_stack *second = server_first ? p->cli : p->srv;
	int *fsock = server_first ? &s : &c, *ssock = server_first ? &c : &s;
	if ((r = synack_close(first, *fsock, p->now)) != 0)
		goto fail;
	*fsock = -1;
	if ((r = pump(p)) < 0)
		goto fail;
	step = LC_SECOND_CLOSE;
	if ((r = synack_close(second, *ssock, p->now)) != 0)
		goto fail;
	*ssock = -1;
	if ((r = pump(p)) < 0)
		goto fail;
	return LC_DONE;
fail:
	f->step = step;
	f->value = r;
	f->cstate = sock_state(p->cli, c);
	f->sstate = sock_state(p->srv, s);
	return step;
}

/* Census by synack_sock_foreach (public API). */
struct tally {
	size_t n;
	size_t state[SYNACK_STATE_COUNT];
};

static void tally_visit(void *ctx, int sock, const struct synack_sockinfo *info)
{
	(void)sock;
	struct tally *t = ctx;
	t->n++;
	if (info->state >= 0 && info->state < SYNACK_STATE_COUNT)
		t->state[info->state]++;
}

static void print_tally(const char *who, const struct tally *t)
{
	printf("%s %zu held", who, t->n);
	for (int i = 0; i < SYNACK_STATE_COUNT; i++)
		if (t->state[i])
			printf(", %s %zu", synack_state_name((enum synack_tcp_state)i), t->state[i]);
	printf("\n");
}

struct synack_result {
	bool ok;
	uint64_t done;        /* lifecycles completed */
	double secs;          /* wall time incl. the final TIME_WAIT drain */
	double pkts_per_lc;
	double ns_per_pkt;
	size_t tw_live_peak;  /* TIME_WAIT entries held when the last lifecycle finished */
};

static const char *describe_fail(const struct lc_fail *f, char *buf, size_t n)
{
	const char *cs = f->cstate < 0 ? "gone" : synack_state_name((enum synack_tcp_state)f->cstate);
	const char *ss = f->sstate < 0 ? "gone" : synack_state_name((enum synack_tcp_state)f->sstate);
	snprintf(buf, n, "stopped at step '%s' (returned %ld); client socket %s, server socket %s",
	         lc_step_name[f->step], f->value, cs, ss);
	return buf;
}

/* Pushes the clock past every TIME_WAIT and FIN_WAIT_2 deadline, then
 * follows synack_next_timeout() as a driver would: TIME_WAIT entries expire
 * at most TW_EXPIRE_BATCH per tick, so a crowd due at once takes a few. */
static void drain(struct pair *p)
{
	p->now += SYNACK_MS(2u * synack_get_config(p->cli)->msl_ms) + SYNACK_SEC(61);
	for (int i = 0; i < 100000; i++) {
		synack_time_t tc = synack_next_timeout(p->cli), ts = synack_next_timeout(p->srv);
		synack_time_t t = tc < ts ? tc : ts;
		if (t == SYNACK_TIME_NEVER)
			break;
		if (t > p->now)
			p->now = t;
		poll_if_due(p->cli, p->now);
		poll_if_due(p->srv, p->now);
		if (pump(p) < 0)
			break;
	}
}

/* Untimed: every lifecycle checked with a trace-hook census, so a
 * connection that does not finish (other than in TIME_WAIT) is caught at the
 * lifecycle that left it behind. */
static bool synack_checked_run(bool server_first, uint32_t msl_ms)
{
	struct pair p;
	int e = pair_init(&p, true, msl_ms);
	if (e) {
		printf("  checked run: setup failed (%d)\n", e);
		pair_free(&p);
		return false;
	}
	bool ok = true;
	uint32_t i;
	for (i = 0; i < CHECK_LIFECYCLES && ok; i++) {
		struct lc_fail f;
		if (lifecycle(&p, server_first, &f) != LC_DONE) {
			char buf[200];
			printf("  checked run: lifecycle %u %s\n", i, describe_fail(&f, buf, sizeof(buf)));
			ok = false;
			break;
		}
		for (int sidx = 0; sidx < SYNACK_STATE_COUNT; sidx++) {
			long cn = p.ccen.state[sidx], sn = p.scen.state[sidx];
			if (sidx == SYNACK_TIME_WAIT)
				continue;
			if (cn != 0 || sn != 0) {
				printf("  checked run: after lifecycle %u, %s: client holds %ld, server %ld\n", i,
				       synack_state_name((enum synack_tcp_state)sidx), cn, sn);
				ok = false;
			}
		}
		p.now += STEP_US;
	}
	drain(&p);
	long ctw = p.ccen.state[SYNACK_TIME_WAIT], stw = p.scen.state[SYNACK_TIME_WAIT];
	const struct synack_counters *cc = synack_get_counters(p.cli), *sc = synack_get_counters(p.srv);
	uint64_t tw = server_first ? sc->TcpExtTW : cc->TcpExtTW;
	if (ok && (ctw != 0 || stw != 0 || tw != i || p.ccen.bad_drops || p.scen.bad_drops)) {
		printf("  checked run: after the drain TIME_WAIT left: client %ld server %ld; TcpExtTW %llu of %u;"
		       " drops %ld/%ld\n",
		       ctw, stw, (unsigned long long)tw, i, p.ccen.bad_drops, p.scen.bad_drops);
		ok = false;
	}
	if (ok)
		printf("  checked run: %u lifecycles, each verified by state census (all states back to zero but "
		       "TIME_WAIT on the %s; every TIME_WAIT expired by its timer)\n",
		       i, server_first ? "server" : "client");
	pair_free(&p);
	return ok;
}

static struct synack_result synack_timed_run(bool server_first, uint32_t msl_ms)
{
	struct synack_result res = {0};
	struct pair p;
	int e = pair_init(&p, false, msl_ms);
	if (e) {
		printf("  setup failed (%d)\n", e);
		pair_free(&p);
		return res;
	}
	/* Warm the pools and caches a little (not counted). */
	struct lc_fail f;
	bool ok = true;
	for (int i = 0; i < 1000 && ok; i++) {
		ok = lifecycle(&p, server_first, &f) == LC_DONE;
		p.now += STEP_US;
	}
	drain(&p);
	uint64_t pk0 = p.to_srv->pushed + p.to_cli->pushed, pkc0 = p.to_srv->pushed;
	uint64_t tw0 = server_first ? synack_get_counters(p.srv)->TcpExtTW : synack_get_counters(p.cli)->TcpExtTW;

	double t0 = now_s(), t1 = t0;
	uint64_t n = 0;
	while (ok && n < SYNACK_MAX_LIFECYCLES) {
		if (lifecycle(&p, server_first, &f) != LC_DONE) {
			ok = false;
			break;
		}
		n++;
		p.now += STEP_US;
		if ((n & 255) == 0 && now_s() - t0 > RUN_SECONDS)
			break;
	}
	struct tally ct = {0}, stt = {0};
	double tpause = now_s();
	synack_sock_foreach(p.cli, tally_visit, &ct);
	synack_sock_foreach(p.srv, tally_visit, &stt);
	double tresume = now_s();
	drain(&p);
	t1 = now_s() - (tresume - tpause); /* the census above is not part of the work */

	if (!ok) {
		char buf[200];
		printf("  FAILED: lifecycle %llu of the timed run %s\n", (unsigned long long)n,
		       describe_fail(&f, buf, sizeof(buf)));
	}
	res.done = n;
	res.secs = t1 - t0;
	res.tw_live_peak = ct.state[SYNACK_TIME_WAIT] + stt.state[SYNACK_TIME_WAIT];
	uint64_t pk = p.to_srv->pushed + p.to_cli->pushed - pk0;
	res.pkts_per_lc = n ? (double)pk / (double)n : 0;
	res.ns_per_pkt = pk ? res.secs * 1e9 / (double)pk : 0;

	const struct synack_counters *cc = synack_get_counters(p.cli), *sc = synack_get_counters(p.srv);
	uint64_t tw = (server_first ? sc->TcpExtTW : cc->TcpExtTW) - tw0;
	struct tally ce = {0}, se = {0};
	synack_sock_foreach(p.cli, tally_visit, &ce);
	synack_sock_foreach(p.srv, tally_visit, &se);
	printf("  timed run: %llu lifecycles in %.3f s; %.2f packets each (client->server %.2f); "
	       "TIME_WAIT held at the end of the loop: %zu\n",
	       (unsigned long long)n, res.secs, res.pkts_per_lc,
	       n ? (double)(p.to_srv->pushed - pkc0) / (double)n : 0.0, res.tw_live_peak);
	printf("  after the drain: ");
	print_tally("client", &ce);
	printf("                   ");
	print_tally("server", &se);
	printf("  counters: TcpExtTW +%llu, retransmissions %llu/%llu, RSTs out %llu/%llu, link drops %llu/%llu\n",
	       (unsigned long long)tw, (unsigned long long)cc->TcpRetransSegs,
	       (unsigned long long)sc->TcpRetransSegs, (unsigned long long)cc->TcpOutRsts,
	       (unsigned long long)sc->TcpOutRsts, (unsigned long long)p.to_srv->dropped,
	       (unsigned long long)p.to_cli->dropped);
	res.ok = ok && ce.n == 0 && se.n == 1 && tw == n;
	if (ok && !res.ok)
		printf("  NOTE: the end state is not clean (see above)\n");
	pair_free(&p);
	return res;
}

/* ------------------------------------------------------------------ */
/* Linux on 127.0.0.1.                                                  */

struct linux_result {
	bool ok;
	uint64_t done;
	double secs;
	uint64_t polls;      /* times a call would have blocked and we polled */
	double segs_per_lc;  /* /proc/net/snmp Tcp OutSegs delta (system-wide) */
	long tw_before, tw_after;
	char err[160];
};

/* Reads a Tcp: field of /proc/net/snmp, or -1. */
static long long snmp_tcp(const char *field)
{
	FILE *fp = fopen("/proc/net/snmp", "r");
	if (!fp)
		return -1;
	char hdr[1024], val[1024];
	long long out = -1;
	while (fgets(hdr, sizeof(hdr), fp)) {
		if (strncmp(hdr, "Tcp:", 4) != 0)
			continue;
		if (!fgets(val, sizeof(val), fp))
			break;
		char *hs = NULL, *vs = NULL;
		char *h = strtok_r(hdr, " \n", &hs);
		char *v = strtok_r(val, " \n", &vs);
		while (h && v) {
			if (strcmp(h, field) == 0) {
				out = atoll(v);
				break;
			}
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
		}
		break;
	}
	fclose(fp);
	return out;
}

/* TIME_WAIT sockets the kernel holds (/proc/net/sockstat "tw"), or -1. */
static long sockstat_tw(void)
{
	FILE *fp = fopen("/proc/net/sockstat", "r");
	if (!fp)
		return -1;
	char line[512];
	long tw = -1;
	while (fgets(line, sizeof(line), fp)) {
		char *p = strstr(line, "TCP:");
		char *q = p ? strstr(p, " tw ") : NULL;
		if (q) {
			tw = atol(q + 4);
			break;
		}
	}
	fclose(fp);
	return tw;
}

static int wait_fd(int fd, short ev, uint64_t *polls)
{
	struct pollfd pfd = {.fd = fd, .events = ev};
	(*polls)++;
	return poll(&pfd, 1, 1000) == 1 ? 0 : -1;
}

/* Retries a non-blocking read or write of one byte, bounded. */
static int io1(int fd, bool wr, uint64_t *polls)
{
	char b = 'x';
	for (int tries = 0; tries < 3; tries++) {
		ssize_t r = wr ? write(fd, &b, 1) : read(fd, &b, 1);
		if (r == 1)
			return 0;
		if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return -1;
		if (wait_fd(fd, wr ? POLLOUT : POLLIN, polls) != 0)
			return -1;
	}
	return -1;
}

static const char *linux_lifecycle(int lfd, const struct sockaddr_in *sa, bool rst, uint64_t *polls)
{
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c < 0)
		return "socket()";
	if (rst) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		if (setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) != 0) {
			close(c);
			return "setsockopt(SO_LINGER)";
		}
	}
	if (connect(c, (const struct sockaddr *)sa, sizeof(*sa)) != 0 && errno != EINPROGRESS) {
		close(c);
		return "connect()";
	}
	int s = -1;
	for (int tries = 0; tries < 3 && s < 0; tries++) {
		s = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (s < 0 && (errno != EAGAIN || wait_fd(lfd, POLLIN, polls) != 0))
			break;
	}
	if (s < 0) {
		close(c);
		return "accept4()";
	}
	const char *err = NULL;
	if (io1(c, true, polls))
		err = "client write()";
	else if (io1(s, false, polls))
		err = "server read()";
	else if (io1(s, true, polls))
		err = "server write()";
	else if (io1(c, false, polls))
		err = "client read()";
	if (rst) {
		close(c); /* SO_LINGER {1, 0}: RST, no TIME_WAIT anywhere */
		close(s);
	} else {
		close(s); /* server closes first: the TIME_WAIT lands on the server */
		close(c);
	}
	return err;
}

static struct linux_result linux_run(bool rst)
{
	struct linux_result res = {0};
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 128) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0) {
		snprintf(res.err, sizeof(res.err), "listener setup: %s", strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return res;
	}
	uint64_t polls = 0;
	for (int i = 0; i < 1000; i++) /* warm-up */
		if (linux_lifecycle(lfd, &sa, rst, &polls))
			break;
	polls = 0;
	res.tw_before = sockstat_tw();
	long long segs0 = snmp_tcp("OutSegs");
	double t0 = now_s();
	uint64_t n = 0;
	res.ok = true;
	while (n < LINUX_MAX_LIFECYCLES) {
		int saved;
		const char *e = linux_lifecycle(lfd, &sa, rst, &polls);
		if (e) {
			saved = errno;
			snprintf(res.err, sizeof(res.err), "lifecycle %llu: %s: %s", (unsigned long long)n, e,
			         strerror(saved));
			res.ok = false;
			break;
		}
		n++;
		if ((n & 255) == 0 && now_s() - t0 > RUN_SECONDS)
			break;
	}
	res.secs = now_s() - t0;
	long long segs1 = snmp_tcp("OutSegs");
	res.tw_after = sockstat_tw();
	res.done = n;
	res.polls = polls;
	res.segs_per_lc = (segs0 >= 0 && segs1 >= 0 && n) ? (double)(segs1 - segs0) / (double)n : -1;
	close(lfd);
	return res;
}

/* ------------------------------------------------------------------ */

static double rate(uint64_t n, double secs)
{
	return secs > 0 ? (double)n / secs : 0;
}

int main(void)
{
	struct synack_config cfg;
	pair_config(&cfg, CLIENT_ADDR, 1, MSL_MS);
	printf("bench_lifecycle: full TCP lifecycles per second on one core (figures, not assertions)\n");
	printf("lifecycle = socket+connect, accept, client sends 1 byte, server reads it and sends 1 byte back,\n"
	       "            client reads it, both close, packets pumped until nothing is in flight\n\n");

	printf("== sizes ==\n");
	printf("  sizeof(struct tcb)            %6zu bytes (one per connection and listener)\n", sizeof(struct tcb));
	printf("  sizeof(struct tw_entry)       %6zu bytes (one per TIME_WAIT; the tcb and buffers are freed)\n",
	       sizeof(struct tw_entry));
	printf("  sizeof(struct synack_stack)   %6zu bytes (of which txbuf %zu)\n", sizeof(struct synack_stack),
	       sizeof(((struct synack_stack *)0)->txbuf));
	printf("  per-connection buffers        %6u bytes (rmem %u + wmem %u, this bench's config)\n",
	       cfg.rmem + cfg.wmem, cfg.rmem, cfg.wmem);
	printf("  per-connection total          %6zu bytes (tcb + buffers); the default config's buffers are %u\n",
	       sizeof(struct tcb) + cfg.rmem + cfg.wmem, 131072u + 131072u);
	printf("  pool reserved per stack       %6.1f MiB for max_sockets %u (calloc: untouched pages cost no RAM)\n\n",
	       (double)cfg.max_sockets * ((double)sizeof(struct tcb) + cfg.rmem + cfg.wmem) / 1048576.0,
	       cfg.max_sockets);

	printf("== synack: two stacks in one process over an in-memory link ==\n");
	printf("config: max_sockets %u, rmem %u, wmem %u, msl_ms %u (TIME_WAIT = 2*MSL = %u ms),\n"
	       "        ip_local_port_range %u-%u; virtual clock +%u us per lifecycle, so about %u TIME_WAIT\n"
	       "        entries are live at once and expire by timer during the run; after the last lifecycle\n"
	       "        the clock jumps past 2*MSL and the rest expire inside the measured interval.\n",
	       cfg.max_sockets, cfg.rmem, cfg.wmem, cfg.msl_ms, 2 * cfg.msl_ms, cfg.ip_local_port_range[0],
	       cfg.ip_local_port_range[1], STEP_US, 2 * cfg.msl_ms * 1000 / STEP_US);
	printf("\n[A] client closes first: TIME_WAIT on the client (the usual active closer)\n");
	bool chk_a = synack_checked_run(false, MSL_MS);
	struct synack_result sa = synack_timed_run(false, MSL_MS);
	printf("\n[B] server closes first: TIME_WAIT on the server\n");
	bool chk_b = synack_checked_run(true, MSL_MS);
	struct synack_result sb = synack_timed_run(true, MSL_MS);
	printf("\n[B100] as [B] with msl_ms %u: about %u TIME_WAIT entries live instead of %u (does [B]'s cost\n"
	       "       depend on how many connections the server holds on its port?)\n",
	       MSL_SHORT_MS, 2 * MSL_SHORT_MS * 1000 / STEP_US, 2 * MSL_MS * 1000 / STEP_US);
	struct synack_result sb100 = synack_timed_run(true, MSL_SHORT_MS);

	printf("\n== Linux kernel, 127.0.0.1, one thread, non-blocking sockets in lock-step ==\n");
	printf("[a] SO_LINGER {1, 0} on the client, client closes first: RST, no TIME_WAIT\n");
	struct linux_result la = linux_run(true);
	printf("  %llu lifecycles in %.3f s; %.2f TCP segments each (system-wide OutSegs); polls needed %llu%s%s\n",
	       (unsigned long long)la.done, la.secs, la.segs_per_lc, (unsigned long long)la.polls,
	       la.ok ? "" : "; FAILED: ", la.err);
	printf("[b] normal close, server closes first: TIME_WAIT (60 s, fixed in Linux) lands on the server, so\n"
	       "    the client's ephemeral ports never run out; a reused client port meets the server's TIME_WAIT\n"
	       "    entry, which Linux lets a new SYN take over (timestamps)\n");
	struct linux_result lb = linux_run(false);
	printf("  %llu lifecycles in %.3f s; %.2f TCP segments each (system-wide OutSegs); polls needed %llu; "
	       "kernel TIME_WAIT (system-wide, earlier runs' too) %ld -> %ld%s%s\n",
	       (unsigned long long)lb.done, lb.secs, lb.segs_per_lc, (unsigned long long)lb.polls, lb.tw_before,
	       lb.tw_after, lb.ok ? "" : "; FAILED: ", lb.err);

	double ra = rate(sa.done, sa.secs), rb = rate(sb.done, sb.secs);
	double rla = rate(la.done, la.secs), rlb = rate(lb.done, lb.secs);
	double rb100 = rate(sb100.done, sb100.secs);
	printf("\n== summary (lifecycles per second, one core) ==\n");
	printf("%-46s %10s %8s %7s %6s %10s %7s %7s\n", "workload (synack row vs Linux row)", "synack/s", "pkts/lc",
	       "ns/pkt", "TW", "Linux/s", "segs/lc", "ratio");
	printf("%-46s %10.0f %8.2f %7.1f %6zu %10.0f %7.2f %6.2fx\n", "[B] server closes first, msl 1 s vs [b]", rb,
	       sb.pkts_per_lc, sb.ns_per_pkt, sb.tw_live_peak, rlb, lb.segs_per_lc, rlb > 0 ? rb / rlb : 0);
	printf("%-46s %10.0f %8.2f %7.1f %6zu %10.0f %7.2f %6.2fx\n", "[B100] server closes first, msl 0.1 s vs [b]",
	       rb100, sb100.pkts_per_lc, sb100.ns_per_pkt, sb100.tw_live_peak, rlb, lb.segs_per_lc,
	       rlb > 0 ? rb100 / rlb : 0);
	printf("%-46s %10.0f %8.2f %7.1f %6zu %10.0f %7.2f %6.2fx\n", "[A] client closes first, msl 1 s vs [a] RST", ra,
	       sa.pkts_per_lc, sa.ns_per_pkt, sa.tw_live_peak, rla, la.segs_per_lc, rla > 0 ? ra / rla : 0);
	printf("  TW: synack TIME_WAIT entries held when the timed loop ended.  Linux keeps its TIME_WAIT 60 s.\n");
	printf("  [A] is a graceful close with TIME_WAIT on the client; [a] aborts with RST and keeps no\n"
	       "  TIME_WAIT, as a client would against Linux's fixed 60 s: not the same packets, shown for scale.\n");
	printf("  [B] vs [B100]: if [B] is much slower, the server's cost grows with the connections it holds\n"
	       "  on its listening port (every one sits there in TIME_WAIT).\n");
	printf("  synack: %.0f ns per lifecycle [A], %.0f ns [B], %.0f ns [B100]; Linux: %.0f ns [a], %.0f ns [b]\n",
	       ra > 0 ? 1e9 / ra : 0, rb > 0 ? 1e9 / rb : 0, rb100 > 0 ? 1e9 / rb100 : 0, rla > 0 ? 1e9 / rla : 0,
	       rlb > 0 ? 1e9 / rlb : 0);
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("  peak RSS of this process: %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
	printf("  checks: synack [A] %s, [B] %s, [B100] %s; Linux [a] %s, [b] %s\n",
	       chk_a && sa.ok ? "clean" : "NOT CLEAN (see above)", chk_b && sb.ok ? "clean" : "NOT CLEAN (see above)",
	       sb100.ok ? "clean" : "NOT CLEAN (see above)", la.ok ? "ok" : "FAILED", lb.ok ? "ok" : "FAILED");
	return 0;
}
