/* synack serve: a server on our stack, on a TUN device, until SIGINT or
 * SIGTERM; then its counters.  SIGUSR1 prints the connection table.
 *
 * The apps are event driven: the stack's event hook marks a socket ready,
 * and after each turn of the driver every ready socket runs until it would
 * block (recv -EAGAIN, or send -EAGAIN with output pending, which waits for
 * the next writable event).  Nothing is buffered beyond one chunk per
 * connection: echo stops reading while its chunk is unsent, and HTTP makes
 * a /bytes/N body chunk by chunk as the send buffer drains. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "synack/wire.h"

#define PROG "synack serve"
#define BACKLOG 128
#define CHUNK 16384             /* one connection's output chunk (echo data, HTTP header or body) */
#define HTTP_MAX_REQUEST 8192   /* request line + headers */
#define HTTP_MAX_BYTES 1000000000000ull /* /bytes/N: at most 1 TB */
#define MAX_ROUNDS 8            /* passes over ready sockets per turn before the driver runs again */
#define MAX_WAIT SYNACK_MS(100) /* longest wait in the driver: how soon a signal is seen at worst */

enum app { APP_ECHO, APP_DISCARD, APP_HTTP };
static const char *const app_names[] = {"echo", "discard", "http"};

/* The /bytes/N body: byte i is PATTERN[i % 61], so a lost, repeated or
 * shifted byte shows in any check of the whole. */
static const char PATTERN[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678";
#define PATTERN_LEN 61

static const char PAGE[] = "<!DOCTYPE html>\n<html><head><title>synack</title></head>\n"
                           "<body><h1>synack</h1><p>Served by a userspace TCP/IP stack.</p></body></html>\n";

struct conn {
	uint8_t in[HTTP_MAX_REQUEST]; /* http: unparsed request bytes */
	size_t in_len;
	uint8_t out[CHUNK];           /* bytes to send, out[out_off..out_len) */
	size_t out_off, out_len;
	uint64_t body_left, body_off; /* http: the rest of a /bytes/N body, made as it drains */
	bool close_after;             /* http: close once the response is sent */
	bool eof;                     /* the peer sent FIN */
	uint64_t requests;
};

struct server {
	enum app app;
	struct synack_tun *tun;
	struct synack_stack *st;
	int lsock;
	uint32_t max;
	struct conn **conn;           /* by socket handle */
	int *ready;                   /* handles marked by the event hook, not yet run */
	int *batch;                   /* the round being run (ready handles move here) */
	bool *is_ready;
	uint32_t nready;
	uint64_t accepted, closed;
};

static void on_event(void *ctx, int sock, int events)
{
	(void)events;
	struct server *s = ctx;
	if (sock < 0 || (uint32_t)sock >= s->max || s->is_ready[sock])
		return;
	s->is_ready[sock] = true;
	s->ready[s->nready++] = sock;
}

static void conn_close(struct server *s, int sock)
{
	synack_close(s->st, sock, synack_tun_now());
	free(s->conn[sock]);
	s->conn[sock] = NULL;
	s->closed++;
}

/* Sends out[out_off..]; true once all of it is gone, false if it would block
 * (or the connection failed and was closed: *gone says so). */
static bool flush_out(struct server *s, int sock, struct conn *c, bool *gone)
{
	while (c->out_off < c->out_len) {
		ssize_t n = synack_send(s->st, sock, c->out + c->out_off, c->out_len - c->out_off, synack_tun_now());
		if (n == -EAGAIN)
			return false;
		if (n < 0) {
			conn_close(s, sock);
			*gone = true;
			return false;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return true;
}

/* ---- echo and discard ---- */

static void run_echo(struct server *s, int sock, struct conn *c)
{
	bool gone = false;
	for (;;) {
		if (!flush_out(s, sock, c, &gone))
			return; /* wait for POLLOUT; stop reading meanwhile (back pressure) */
		ssize_t n = synack_recv(s->st, sock, c->out, sizeof(c->out), synack_tun_now());
		if (n == -EAGAIN)
			return;
		if (n <= 0) { /* end of stream, all echoed: close (FIN); or an error */
			conn_close(s, sock);
			return;
		}
		c->out_len = (size_t)n;
	}
}

static void run_discard(struct server *s, int sock, struct conn *c)
{
	for (;;) {
		ssize_t n = synack_recv(s->st, sock, c->out, sizeof(c->out), synack_tun_now());
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			conn_close(s, sock);
			return;
		}
	}
}

/* ---- http ---- */

static void fill_pattern(uint8_t *dst, size_t len, uint64_t off)
{
	size_t pos = (size_t)(off % PATTERN_LEN);
	while (len > 0) {
		size_t k = PATTERN_LEN - pos < len ? PATTERN_LEN - pos : len;
		memcpy(dst, PATTERN + pos, k);
		dst += k;
		len -= k;
		pos = 0;
	}
}

/* The value of header `name` (case-insensitive) in head, copied to val. */
static bool header_value(const char *head, const char *name, char *val, size_t cap)
{
	size_t nl = strlen(name);
	for (const char *line = strstr(head, "\r\n"); line && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
		const char *h = line + 2;
		if (strncasecmp(h, name, nl) != 0 || h[nl] != ':')
			continue;
		h += nl + 1;
		while (*h == ' ' || *h == '\t')
			h++;
		size_t k = 0;
		while (h[k] && h[k] != '\r' && k + 1 < cap) {
			val[k] = h[k];
			k++;
		}
		val[k] = '\0';
		return true;
	}
	return false;
}

static bool contains_token(const char *val, const char *tok)
{
	size_t tl = strlen(tok);
	for (const char *p = val; *p; p++)
		if (strncasecmp(p, tok, tl) == 0)
			return true;
	return false;
}

/* Puts a response head in c->out, then the body: `body` (len bytes, which
 * fit the chunk) or, if body is NULL, a /bytes/N pattern body of len bytes
 * that run_http makes chunk by chunk. */
static void respond(struct conn *c, int status, const char *reason, const char *type, uint64_t len,
                    const char *body, bool head_only)
{
	int n = snprintf((char *)c->out, sizeof(c->out),
	                 "HTTP/1.1 %d %s\r\nServer: synack\r\nContent-Type: %s\r\nContent-Length: %llu\r\n"
	                 "Connection: %s\r\n\r\n",
	                 status, reason, type, (unsigned long long)len, c->close_after ? "close" : "keep-alive");
	c->out_off = 0;
	c->out_len = (size_t)n;
	if (head_only)
		return;
	if (body) {
		memcpy(c->out + c->out_len, body, (size_t)len);
		c->out_len += (size_t)len;
	} else {
		c->body_left = len;
		c->body_off = 0;
	}
}

/* Handles one request head (NUL-terminated, ending in CRLF CRLF). */
static void respond_text(struct conn *c, int status, const char *reason, const char *text, bool head_only)
{
	respond(c, status, reason, "text/plain", strlen(text), text, head_only);
}

static void http_request(struct conn *c, char *head)
{
	char method[16], target[256], version[16], conn_hdr[64];
	c->requests++;
	if (sscanf(head, "%15s %255s %15s", method, target, version) != 3 || strncmp(version, "HTTP/1.", 7) != 0) {
		c->close_after = true;
		respond_text(c, 400, "Bad Request", "bad request\n", false);
		return;
	}
	bool http10 = strcmp(version, "HTTP/1.0") == 0;
	bool have = header_value(head, "Connection", conn_hdr, sizeof(conn_hdr));
	/* HTTP/1.1 keeps the connection unless told to close; 1.0 closes unless
	 * asked to keep it (RFC 9112 9.3). */
	c->close_after = have ? contains_token(conn_hdr, "close") || (http10 && !contains_token(conn_hdr, "keep-alive"))
	                      : http10;
	bool head_only = strcmp(method, "HEAD") == 0;
	if (!head_only && strcmp(method, "GET") != 0) {
		c->close_after = true; /* a body we do not read may follow */
		respond_text(c, 405, "Method Not Allowed", "method not allowed\n", false);
		return;
	}
	uint64_t n;
	if (strcmp(target, "/") == 0)
		respond(c, 200, "OK", "text/html", sizeof(PAGE) - 1, PAGE, head_only);
	else if (strncmp(target, "/bytes/", 7) == 0 && cli_parse_u64(target + 7, HTTP_MAX_BYTES, &n))
		respond(c, 200, "OK", "application/octet-stream", n, NULL, head_only);
	else if (strncmp(target, "/bytes/", 7) == 0)
		respond_text(c, 400, "Bad Request", "/bytes/N: N from 0 to 10^12 bytes\n", head_only);
	else
		respond_text(c, 404, "Not Found", "not found\n", head_only);
}

/* Takes the next complete request head out of c->in, if there is one. */
static bool http_next_request(struct conn *c)
{
	for (size_t i = 0; i + 3 < c->in_len; i++) {
		if (memcmp(c->in + i, "\r\n\r\n", 4) != 0)
			continue;
		char head[HTTP_MAX_REQUEST + 1];
		memcpy(head, c->in, i + 4);
		head[i + 4] = '\0';
		memmove(c->in, c->in + i + 4, c->in_len - (i + 4));
		c->in_len -= i + 4;
		http_request(c, head);
		return true;
	}
	return false;
}

static void run_http(struct server *s, int sock, struct conn *c)
{
	bool gone = false;
	for (;;) {
		if (!flush_out(s, sock, c, &gone))
			return;
		if (c->body_left > 0) { /* the next chunk of a /bytes/N body */
			size_t k = c->body_left < CHUNK ? (size_t)c->body_left : CHUNK;
			fill_pattern(c->out, k, c->body_off);
			c->out_len = k;
			c->body_left -= k;
			c->body_off += k;
			continue;
		}
		if (c->close_after) { /* response sent: we close first */
			/* Read what already came (a request body we did not want,
			 * an over-long header): closing with unread data would
			 * send RST instead of FIN and could destroy the response
			 * before the client reads it (RFC 1122 4.2.2.13). */
			while (synack_recv(s->st, sock, c->in, sizeof(c->in), synack_tun_now()) > 0)
				;
			conn_close(s, sock);
			return;
		}
		if (http_next_request(c))
			continue;
		if (c->in_len == sizeof(c->in)) {
			c->in_len = 0;
			c->close_after = true;
			respond_text(c, 431, "Request Header Fields Too Large", "header too long\n", false);
			continue;
		}
		if (c->eof) { /* the client is done and every answer is out */
			conn_close(s, sock);
			return;
		}
		ssize_t n = synack_recv(s->st, sock, c->in + c->in_len, sizeof(c->in) - c->in_len, synack_tun_now());
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			conn_close(s, sock);
			return;
		}
		if (n == 0)
			c->eof = true;
		c->in_len += (size_t)n;
	}
}

/* ---- the loop ---- */

static void accept_all(struct server *s)
{
	for (;;) {
		int sock = synack_accept(s->st, s->lsock, NULL, NULL);
		if (sock < 0)
			return;
		if ((uint32_t)sock >= s->max || !(s->conn[sock] = calloc(1, sizeof(struct conn)))) {
			synack_close(s->st, sock, synack_tun_now());
			continue;
		}
		s->accepted++;
		on_event(s, sock, 0);
	}
}

static void run_socket(struct server *s, int sock)
{
	if (sock == s->lsock) {
		accept_all(s);
		return;
	}
	struct conn *c = s->conn[sock];
	if (!c)
		return; /* a handle we closed already */
	switch (s->app) {
	case APP_ECHO:
		run_echo(s, sock, c);
		break;
	case APP_DISCARD:
		run_discard(s, sock, c);
		break;
	case APP_HTTP:
		run_http(s, sock, c);
		break;
	}
}

/* Runs the ready sockets; a socket made ready again while running waits for
 * the next round, so one busy connection cannot starve the others. */
static void run_ready(struct server *s)
{
	int *batch = s->batch;
	for (int round = 0; round < MAX_ROUNDS && s->nready > 0; round++) {
		uint32_t n = s->nready;
		memcpy(batch, s->ready, sizeof(int) * n);
		s->nready = 0;
		for (uint32_t i = 0; i < n; i++)
			s->is_ready[batch[i]] = false;
		for (uint32_t i = 0; i < n; i++)
			run_socket(s, batch[i]);
	}
}

static int usage(FILE *f, int rc)
{
	fprintf(f,
	        "usage: synack serve --tun NAME --addr ADDR --port PORT --app echo|discard|http\n"
	        "                    [--pcap FILE] [--loss PCT] [--delay MS] [--seed N]\n"
	        "Runs a server on this stack, on a TUN device, until SIGINT or SIGTERM; then prints\n"
	        "the counters that are not zero.  SIGUSR1 prints the connection table (ss -tan).\n"
	        "The device's own address is the kernel's side of the link; configure it first:\n"
	        "  ip tuntap add dev tun0 mode tun\n"
	        "  ip addr add 198.51.100.1/24 dev tun0 && ip link set tun0 up\n"
	        "  synack serve --tun tun0 --addr 198.51.100.2 --port 8080 --app http\n"
	        "  curl http://198.51.100.2:8080/\n\n"
	        "  --port PORT    the port to listen on (1-65535)\n"
	        "  --app APP      echo: sends back what it receives, closes after the peer;\n"
	        "                 discard: reads and drops; http: HTTP/1.1 with keep-alive,\n"
	        "                 GET / (a page) and GET /bytes/N (N bytes: byte i is\n"
	        "                 \"%s\"[i %% %d])\n"
	        "%s",
	        PATTERN, PATTERN_LEN, cli_tun_help);
	return rc;
}

static int serve_loop(struct server *s)
{
	int rc = 0;
	while (!cli_stop) {
		int e = synack_tun_step(s->tun, s->nready > 0 ? 0 : MAX_WAIT);
		if (e < 0 && e != -EINTR) {
			fprintf(stderr, PROG ": the TUN device failed: %s (%s)\n", strerror(-e), cli_errno_name(-e));
			rc = CLI_EXIT_FAIL;
			break;
		}
		run_ready(s);
		if (cli_dump) {
			cli_dump = 0;
			printf("-- connections (SIGUSR1) --\n");
			cli_print_table(stdout, s->st, synack_tun_now());
		}
	}
	return rc;
}

/* Returns 0 to run, -1 after --help (exit 0), or an exit code. */
static int parse(int argc, char **argv, struct cli_tun_args *ta, uint16_t *port, int *app)
{
	for (int i = 1; i < argc; i++) {
		int k = cli_tun_option(PROG, ta, argc, argv, &i);
		if (k < 0)
			return CLI_EXIT_USAGE;
		if (k > 0)
			continue;
		const char *o = argv[i];
		if (!strcmp(o, "--help") || !strcmp(o, "-h"))
			return usage(stdout, 0) - 1;
		if (strcmp(o, "--port") != 0 && strcmp(o, "--app") != 0) {
			fprintf(stderr, PROG ": unknown option '%s' (try --help)\n", o);
			return CLI_EXIT_USAGE;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, PROG ": %s needs a value\n", o);
			return CLI_EXIT_USAGE;
		}
		const char *v = argv[++i];
		if (!strcmp(o, "--port") && !cli_parse_port(v, port)) {
			fprintf(stderr, PROG ": --port '%s' must be a number from 1 to 65535\n", v);
			return CLI_EXIT_USAGE;
		}
		if (!strcmp(o, "--app")) {
			for (*app = 2; *app >= 0 && strcmp(v, app_names[*app]) != 0; (*app)--)
				;
			if (*app < 0) {
				fprintf(stderr, PROG ": --app '%s': choose echo, discard or http\n", v);
				return CLI_EXIT_USAGE;
			}
		}
	}
	bool ok = cli_tun_complete(PROG, ta);
	if (*port == 0)
		fprintf(stderr, PROG ": --port PORT is required (try --help)\n");
	if (*app < 0)
		fprintf(stderr, PROG ": --app echo|discard|http is required (try --help)\n");
	return ok && *port != 0 && *app >= 0 ? 0 : CLI_EXIT_USAGE;
}

/* Listens, runs until a stop signal, prints what happened. */
static int run_server(struct server *s, const struct cli_tun_args *ta, uint16_t port)
{
	s->lsock = synack_socket(s->st);
	int e = s->lsock < 0 ? s->lsock : synack_bind(s->st, s->lsock, 0, port);
	if (e == 0)
		e = synack_listen(s->st, s->lsock, BACKLOG);
	if (e < 0) {
		fprintf(stderr, PROG ": cannot listen on port %u: %s (%s)\n", port, strerror(-e), cli_errno_name(-e));
		return CLI_EXIT_FAIL;
	}
	char a[16];
	printf(PROG ": %s on %s:%u via %s (pid %ld); SIGUSR1 prints connections, SIGINT/SIGTERM stops\n",
	       app_names[s->app], synack_ip_format(ta->addr, a), port, synack_tun_ifname(s->tun), (long)getpid());
	fflush(stdout);
	int rc = serve_loop(s);
	printf("-- stopping: %llu connections accepted, %llu closed by the app --\n", (unsigned long long)s->accepted,
	       (unsigned long long)s->closed);
	cli_print_table(stdout, s->st, synack_tun_now());
	cli_print_counters(stdout, s->tun);
	fflush(stdout);
	return rc;
}

int cmd_serve(int argc, char **argv)
{
	struct cli_tun_args ta = {0};
	uint16_t port = 0;
	int app = -1;
	int rc = parse(argc, argv, &ta, &port, &app);
	if (rc != 0)
		return rc < 0 ? 0 : rc;

	struct server s;
	memset(&s, 0, sizeof(s));
	s.app = (enum app)app;
	/* The tables are sized before the stack exists: the default pool size. */
	struct synack_config def;
	synack_config_default(&def);
	s.max = def.max_sockets;
	s.conn = calloc(s.max, sizeof(*s.conn));
	s.ready = calloc(s.max, sizeof(*s.ready));
	s.is_ready = calloc(s.max, sizeof(*s.is_ready));
	s.batch = calloc(s.max, sizeof(*s.batch));
	if (!s.conn || !s.ready || !s.is_ready || !s.batch) {
		fprintf(stderr, PROG ": out of memory\n");
		rc = CLI_EXIT_FAIL;
	} else {
		cli_signals_install();
		struct synack_hooks hooks = {.event = on_event, .ctx = &s};
		s.tun = cli_tun_open(PROG, &ta, &hooks);
		rc = s.tun ? 0 : CLI_EXIT_FAIL;
	}
	if (s.tun) {
		s.st = synack_tun_stack(s.tun);
		rc = run_server(&s, &ta, port);
		int pe = synack_tun_close(s.tun);
		if (pe < 0) {
			fprintf(stderr, PROG ": writing the pcap failed: %s\n", strerror(-pe));
			rc = CLI_EXIT_FAIL;
		}
	}
	for (uint32_t i = 0; s.conn && i < s.max; i++)
		free(s.conn[i]);
	free(s.conn);
	free(s.ready);
	free(s.is_ready);
	free(s.batch);
	return rc;
}
