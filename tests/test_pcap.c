/* The pcap driver, checked by an independent reader: every kind of packet we
 * build with the wire API is written to a pcap file, then tshark decodes it
 * and each decoded field must equal what was built, with no malformed packet
 * and no bad checksum.  A deliberately broken file proves tshark's checks can
 * fail.  tshark is required: without it this test fails, it never skips. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "synack/pcap.h"
#include "synack/synack.h"
#include "synack/wire.h"

#define CLIENT 0x0a000001u /* 10.0.0.1 */
#define SERVER 0xc0000202u /* 192.0.2.2 */
#define CPORT 40001
#define SPORT 80

/* ---- the file format itself ---- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_pcap_header_and_record_layout(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	assert_non_null(f);
	struct synack_pcap *p = synack_pcap_open_stream(f);
	assert_non_null(p);
	const uint8_t pkt[5] = {1, 2, 3, 4, 5};
	assert_int_equal(synack_pcap_write(p, 1234567890, pkt, sizeof(pkt)), 0);
	assert_int_equal(synack_pcap_write(p, SYNACK_SEC(4000000000u) + 999999, pkt, 0), 0);
	assert_int_equal(synack_pcap_close(p), 0);
	assert_int_equal(fclose(f), 0); /* the stream is ours to close */

	const uint8_t *b = (const uint8_t *)buf;
	assert_int_equal(size, 24 + 16 + 5 + 16);
	const uint8_t magic[4] = {0xd4, 0xc3, 0xb2, 0xa1}; /* 0xa1b2c3d4, little-endian */
	assert_memory_equal(b, magic, 4);
	assert_int_equal(b[4] | b[5] << 8, 2);   /* version 2.4 */
	assert_int_equal(b[6] | b[7] << 8, 4);
	assert_int_equal(le32(b + 8), 0);        /* thiszone */
	assert_int_equal(le32(b + 12), 0);       /* sigfigs */
	assert_int_equal(le32(b + 16), 65535);   /* snaplen */
	assert_int_equal(le32(b + 20), 228);     /* LINKTYPE_IPV4 */
	assert_int_equal(le32(b + 24), 1234);    /* seconds */
	assert_int_equal(le32(b + 28), 567890);  /* microseconds */
	assert_int_equal(le32(b + 32), 5);       /* incl_len */
	assert_int_equal(le32(b + 36), 5);       /* orig_len */
	assert_memory_equal(b + 40, pkt, 5);
	assert_int_equal(le32(b + 45), 4000000000u);
	assert_int_equal(le32(b + 49), 999999);
	assert_int_equal(le32(b + 53), 0);
	free(buf);
}

static void test_pcap_trace_hook_records_only_packets(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	assert_non_null(f);
	struct synack_pcap *p = synack_pcap_open_stream(f);
	assert_non_null(p);
	const uint8_t pkt[3] = {9, 8, 7};
	struct synack_trace ev = {.now = SYNACK_MS(1500), .pkt = pkt, .len = sizeof(pkt)};
	const enum synack_trace_kind kinds[] = {SYNACK_TRACE_PKT_IN, SYNACK_TRACE_DROP, SYNACK_TRACE_PKT_OUT,
	                                        SYNACK_TRACE_ECHO_REPLY};
	for (size_t i = 0; i < 4; i++) {
		ev.kind = kinds[i];
		synack_pcap_trace_hook(p, &ev);
	}
	assert_int_equal(synack_pcap_close(p), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(size, 24 + 2 * (16 + 3)); /* PKT_IN and PKT_OUT only */
	const uint8_t *b = (const uint8_t *)buf;
	assert_int_equal(le32(b + 24), 1);
	assert_int_equal(le32(b + 28), 500000);
	free(buf);
}

static void test_pcap_open_errors(void **state)
{
	(void)state;
	errno = 0;
	assert_null(synack_pcap_open("/nonexistent-dir/x/y.pcap"));
	assert_int_equal(errno, ENOENT);
	assert_null(synack_pcap_open_stream(NULL));
	assert_int_equal(synack_pcap_close(NULL), -EINVAL);

	/* A file we open is created, written and closed by us. */
	const char *path = SYNACK_BUILD_DIR "/test_pcap_open.pcap";
	struct synack_pcap *p = synack_pcap_open(path);
	assert_non_null(p);
	assert_int_equal(synack_pcap_write(p, 0, (const uint8_t *)"ab", 2), 0);
	assert_int_equal(synack_pcap_close(p), 0);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	assert_int_equal(ftell(f), 24 + 16 + 2);
	fclose(f);
	remove(path);
}

/* ---- what we build ---- */

/* One TCP segment to build, and so to expect back from tshark. */
struct tcp_case {
	const char *name;
	bool reply; /* server -> client */
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t window, urg_ptr;
	struct synack_tcp_opts opt;
	uint16_t payload_len;
};

#define OPT_SYN (SYNACK_OPT_MSS | SYNACK_OPT_SACK_PERM | SYNACK_OPT_TS | SYNACK_OPT_WSCALE)
#define S(a, b) {(a), (b)}

static const struct tcp_case tcp_cases[] = {
	{"syn", false, SYNACK_TCP_SYN, 1000, 0, 64240, 0,
	 {.present = OPT_SYN, .mss = 1460, .wscale = 7, .ts_val = 0x01020304u, .ts_ecr = 0}, 0},
	{"syn-ack", true, SYNACK_TCP_SYN | SYNACK_TCP_ACK, 5000, 1001, 65160, 0,
	 {.present = OPT_SYN, .mss = 1400, .wscale = 9, .ts_val = 777, .ts_ecr = 0x01020304u}, 0},
	{"ack-psh-data", false, SYNACK_TCP_ACK | SYNACK_TCP_PSH, 1001, 5001, 502, 0,
	 {.present = SYNACK_OPT_TS, .ts_val = 0x01020400u, .ts_ecr = 777}, 100},
	{"fin-ack", false, SYNACK_TCP_FIN | SYNACK_TCP_ACK, 1101, 5001, 502, 0,
	 {.present = SYNACK_OPT_TS, .ts_val = 0x01020401u, .ts_ecr = 778}, 0},
	{"rst", false, SYNACK_TCP_RST, 1102, 0, 0, 0, {0}, 0},
	{"rst-ack", true, SYNACK_TCP_RST | SYNACK_TCP_ACK, 0, 1001, 0, 0, {0}, 0},
	{"urg", false, SYNACK_TCP_ACK | SYNACK_TCP_URG | SYNACK_TCP_PSH, 1001, 5001, 502, 5, {0}, 10},
	{"syn-ece-cwr", false, SYNACK_TCP_SYN | SYNACK_TCP_ECE | SYNACK_TCP_CWR, 3000, 0, 64240, 0,
	 {.present = SYNACK_OPT_MSS, .mss = 536}, 0},
	{"syn-ack-ece", true, SYNACK_TCP_SYN | SYNACK_TCP_ACK | SYNACK_TCP_ECE, 9000, 3001, 65535, 0,
	 {.present = SYNACK_OPT_MSS, .mss = 1460}, 0},
	{"ack-ece", false, SYNACK_TCP_ACK | SYNACK_TCP_ECE, 3001, 9001, 1000, 0, {0}, 0},
	{"ack-cwr-data", true, SYNACK_TCP_ACK | SYNACK_TCP_CWR, 9001, 3001, 1000, 0, {0}, 20},
	{"sack1", false, SYNACK_TCP_ACK, 1001, 5001, 502, 0,
	 {.present = SYNACK_OPT_SACK, .sack_count = 1, .sack = {S(6001, 7001)}}, 0},
	{"sack2", false, SYNACK_TCP_ACK, 1001, 5001, 502, 0,
	 {.present = SYNACK_OPT_SACK, .sack_count = 2, .sack = {S(8001, 9001), S(6001, 7001)}}, 0},
	{"sack3", false, SYNACK_TCP_ACK, 1001, 5001, 502, 0,
	 {.present = SYNACK_OPT_SACK, .sack_count = 3, .sack = {S(10001, 11001), S(8001, 9001), S(6001, 7001)}}, 0},
	{"sack4", false, SYNACK_TCP_ACK, 1001, 5001, 502, 0,
	 {.present = SYNACK_OPT_SACK, .sack_count = 4,
	  .sack = {S(12001, 13001), S(10001, 11001), S(8001, 9001), S(6001, 7001)}}, 0},
	{"sack1-ts", false, SYNACK_TCP_ACK, 1001, 5001, 502, 0,
	 {.present = SYNACK_OPT_SACK | SYNACK_OPT_TS, .ts_val = 1, .ts_ecr = 2, .sack_count = 1,
	  .sack = {S(6001, 7001)}}, 0},
	{"sack2-ts", false, SYNACK_TCP_ACK, 1001, 5001, 502, 0,
	 {.present = SYNACK_OPT_SACK | SYNACK_OPT_TS, .ts_val = 3, .ts_ecr = 4, .sack_count = 2,
	  .sack = {S(8001, 9001), S(6001, 7001)}}, 0},
	{"sack3-ts", false, SYNACK_TCP_ACK, 1001, 5001, 502, 0,
	 {.present = SYNACK_OPT_SACK | SYNACK_OPT_TS, .ts_val = 5, .ts_ecr = 6, .sack_count = 3,
	  .sack = {S(10001, 11001), S(8001, 9001), S(6001, 7001)}}, 0},
	/* 10 bytes of timestamps leave room for 3 blocks: the 4th is dropped. */
	{"sack4-ts", false, SYNACK_TCP_ACK, 1001, 5001, 502, 0,
	 {.present = SYNACK_OPT_SACK | SYNACK_OPT_TS, .ts_val = 7, .ts_ecr = 8, .sack_count = 4,
	  .sack = {S(12001, 13001), S(10001, 11001), S(8001, 9001), S(6001, 7001)}}, 0},
	/* Sequence space wraps inside the segment and inside the SACK block. */
	{"seq-wrap", false, SYNACK_TCP_ACK | SYNACK_TCP_PSH, 0xfffffff0u, 0xffffffffu, 4000, 0,
	 {.present = SYNACK_OPT_SACK | SYNACK_OPT_TS, .ts_val = 0xfffffffeu, .ts_ecr = 0xffffffffu,
	  .sack_count = 1, .sack = {S(0xfffffff8u, 0x00000010u)}}, 32},
};

#define N_TCP (sizeof(tcp_cases) / sizeof(tcp_cases[0]))

/* One ICMP echo to build. */
struct icmp_case {
	bool reply;
	uint16_t id, seq, data_len;
};

static const struct icmp_case icmp_cases[] = {
	{false, 0x1234, 1, 56},
	{true, 0x1234, 1, 56},
	{false, 7, 65535, 0},
};

#define N_ICMP (sizeof(icmp_cases) / sizeof(icmp_cases[0]))

static uint8_t payload_byte(size_t i)
{
	return (uint8_t)('a' + i % 26);
}

static size_t build_tcp(uint8_t *buf, size_t cap, const struct tcp_case *c, uint16_t ip_id)
{
	uint8_t payload[256];
	assert_true(c->payload_len <= sizeof(payload));
	for (size_t i = 0; i < c->payload_len; i++)
		payload[i] = payload_byte(i);
	struct synack_ipv4 ip = {.src = c->reply ? SERVER : CLIENT, .dst = c->reply ? CLIENT : SERVER,
	                         .ttl = 64, .id = ip_id, .df = true};
	struct synack_tcp_seg seg = {
		.sport = c->reply ? SPORT : CPORT, .dport = c->reply ? CPORT : SPORT,
		.seq = c->seq, .ack = c->ack, .flags = c->flags, .window = c->window,
		.urg_ptr = c->urg_ptr, .opt = c->opt, .payload = payload, .payload_len = c->payload_len,
	};
	size_t n = synack_tcp_build(buf, cap, &ip, &seg);
	assert_true(n >= 40);
	return n;
}

static size_t build_icmp(uint8_t *buf, size_t cap, const struct icmp_case *c, uint16_t ip_id)
{
	uint8_t data[256];
	for (size_t i = 0; i < c->data_len; i++)
		data[i] = payload_byte(i);
	struct synack_ipv4 ip = {.src = c->reply ? SERVER : CLIENT, .dst = c->reply ? CLIENT : SERVER,
	                         .ttl = 64, .id = ip_id};
	struct synack_icmp m = {.type = c->reply ? SYNACK_ICMP_ECHO_REPLY : SYNACK_ICMP_ECHO_REQUEST,
	                        .id = c->id, .seq = c->seq, .data = data, .data_len = c->data_len};
	size_t n = synack_icmp_echo_build(buf, cap, &ip, &m);
	assert_int_equal(n, 28u + c->data_len);
	return n;
}

/* Writes every TCP case, then every ICMP case, 1 ms apart. */
static void write_good_file(const char *path)
{
	struct synack_pcap *p = synack_pcap_open(path);
	assert_non_null(p);
	uint8_t buf[1500];
	synack_time_t t = SYNACK_SEC(1);
	for (size_t i = 0; i < N_TCP; i++, t += SYNACK_MS(1)) {
		size_t n = build_tcp(buf, sizeof(buf), &tcp_cases[i], (uint16_t)(100 + i));
		assert_int_equal(synack_pcap_write(p, t, buf, n), 0);
	}
	for (size_t i = 0; i < N_ICMP; i++, t += SYNACK_MS(1)) {
		size_t n = build_icmp(buf, sizeof(buf), &icmp_cases[i], (uint16_t)(200 + i));
		assert_int_equal(synack_pcap_write(p, t, buf, n), 0);
	}
	assert_int_equal(synack_pcap_close(p), 0);
}

/* ---- what tshark reads back ---- */

#define TSHARK_OPTS                                                                                \
	"-n -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -o tcp.relative_sequence_numbers:FALSE"

/* The fields decoded for each packet, in this order (one line per packet). */
#define TSHARK_FIELDS                                                                              \
	"-e ip.src -e ip.dst -e ip.len -e tcp.srcport -e tcp.dstport -e tcp.hdr_len -e tcp.flags "     \
	"-e tcp.seq -e tcp.ack -e tcp.window_size_value -e tcp.urgent_pointer -e tcp.options.mss_val " \
	"-e tcp.options.wscale.shift -e tcp.options.sack_perm -e tcp.options.timestamp.tsval "         \
	"-e tcp.options.timestamp.tsecr -e tcp.options.sack_le -e tcp.options.sack_re -e tcp.len "     \
	"-e icmp.type -e icmp.ident -e icmp.seq"

/* A packet tshark should call broken: malformed, any expert error (a bad
 * checksum is one), or a checksum it verified and found bad. */
#define TSHARK_BAD_FILTER                                                                          \
	"_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == \"Bad\" || "            \
	"tcp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\""

static void require_tshark(void)
{
	/* The test command installs tshark; its absence is a failure, not a skip. */
	int rc = system("tshark -v >/dev/null 2>&1");
	if (rc != 0)
		fail_msg("tshark is not installed or does not run (exit %d): install it "
		         "(apt-get install tshark) -- this test needs an independent decoder",
		         rc);
}

/* Runs tshark on path with extra arguments; returns its whole stdout
 * (malloc'd).  stderr (the "running as root" warning) is discarded. */
static char *tshark(const char *path, const char *args)
{
	char cmd[2048];
	int n = snprintf(cmd, sizeof(cmd), "tshark -r '%s' " TSHARK_OPTS " %s 2>/dev/null", path, args);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t cap = 4096, len = 0;
	char *out = malloc(cap);
	assert_non_null(out);
	size_t got;
	while ((got = fread(out + len, 1, cap - len - 1, p)) > 0) {
		len += got;
		if (cap - len - 1 == 0) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
	}
	out[len] = '\0';
	int rc = pclose(p);
	if (rc != 0)
		fail_msg("tshark failed (status %d): %s", rc, cmd);
	return out;
}

static void dotted(char *buf, size_t cap, uint32_t a)
{
	snprintf(buf, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

/* "v" when present, "" when the option is absent (tshark prints nothing). */
static const char *opt_u(char *buf, size_t cap, bool present, uint32_t v)
{
	if (!present)
		return "";
	snprintf(buf, cap, "%u", v);
	return buf;
}

/* The line tshark must print for a TCP case we built as `len` bytes. */
static void expect_tcp(char *out, size_t cap, const struct tcp_case *c, size_t len)
{
	const struct synack_tcp_opts *o = &c->opt;
	char src[16], dst[16], mss[12], ws[12], tsv[12], tse[12], le[128] = "", re[128] = "";
	dotted(src, sizeof(src), c->reply ? SERVER : CLIENT);
	dotted(dst, sizeof(dst), c->reply ? CLIENT : SERVER);
	bool ts = o->present & SYNACK_OPT_TS;
	unsigned nsack = (o->present & SYNACK_OPT_SACK) ? o->sack_count : 0;
	if (ts && nsack > 3)
		nsack = 3; /* 40 bytes of options: timestamps leave room for three blocks */
	for (unsigned i = 0; i < nsack; i++) {
		size_t l = strlen(le), r = strlen(re);
		snprintf(le + l, sizeof(le) - l, "%s%u", i ? ";" : "", o->sack[i].start);
		snprintf(re + r, sizeof(re) - r, "%s%u", i ? ";" : "", o->sack[i].end);
	}
	snprintf(out, cap, "%s,%s,%zu,%u,%u,%zu,0x%04x,%u,%u,%u,%u,%s,%s,%s,%s,%s,%s,%s,%u,,,", src, dst, len,
	         c->reply ? SPORT : CPORT, c->reply ? CPORT : SPORT, len - 20 - c->payload_len, c->flags,
	         c->seq, c->ack, c->window, c->urg_ptr,
	         opt_u(mss, sizeof(mss), o->present & SYNACK_OPT_MSS, o->mss),
	         opt_u(ws, sizeof(ws), o->present & SYNACK_OPT_WSCALE, o->wscale),
	         (o->present & SYNACK_OPT_SACK_PERM) ? "0402" : "", /* the option's raw bytes */
	         opt_u(tsv, sizeof(tsv), ts, o->ts_val), opt_u(tse, sizeof(tse), ts, o->ts_ecr), le, re,
	         c->payload_len);
}

static void expect_icmp(char *out, size_t cap, const struct icmp_case *c, size_t len)
{
	char src[16], dst[16];
	dotted(src, sizeof(src), c->reply ? SERVER : CLIENT);
	dotted(dst, sizeof(dst), c->reply ? CLIENT : SERVER);
	snprintf(out, cap, "%s,%s,%zu,,,,,,,,,,,,,,,,,%u,%u,%u", src, dst, len,
	         c->reply ? SYNACK_ICMP_ECHO_REPLY : SYNACK_ICMP_ECHO_REQUEST, c->id, c->seq);
}

/* Splits off the next line of *s (NULL at the end). */
static char *next_line(char **s)
{
	if (!*s || !**s)
		return NULL;
	char *line = *s, *nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*s = nl + 1;
	} else {
		*s = NULL;
	}
	return line;
}

static void test_F03_pcap_tshark_decodes_every_field(void **state)
{
	(void)state;
	require_tshark();
	const char *path = SYNACK_BUILD_DIR "/test_pcap_good.pcap";
	write_good_file(path);
	char *out = tshark(path, "-T fields -E separator=, -E 'aggregator=;' " TSHARK_FIELDS);
	char *rest = out, *line, want[512];
	uint8_t buf[1500];
	for (size_t i = 0; i < N_TCP + N_ICMP; i++) {
		line = next_line(&rest);
		if (!line)
			fail_msg("tshark printed %zu packets, we wrote %zu", i, N_TCP + N_ICMP);
		if (i < N_TCP) {
			size_t n = build_tcp(buf, sizeof(buf), &tcp_cases[i], 0);
			expect_tcp(want, sizeof(want), &tcp_cases[i], n);
		} else {
			size_t n = build_icmp(buf, sizeof(buf), &icmp_cases[i - N_TCP], 0);
			expect_icmp(want, sizeof(want), &icmp_cases[i - N_TCP], n);
		}
		if (strcmp(line, want) != 0)
			fail_msg("packet %zu (%s):\n  tshark: %s\n  built:  %s", i + 1,
			         i < N_TCP ? tcp_cases[i].name : "icmp", line, want);
	}
	assert_null(next_line(&rest));
	free(out);
}

/* Frame numbers tshark calls broken, one per line. */
static char *tshark_bad_frames(const char *path)
{
	return tshark(path, "-Y '" TSHARK_BAD_FILTER "' -T fields -e frame.number");
}

static void test_pcap_tshark_finds_nothing_wrong(void **state)
{
	(void)state;
	require_tshark();
	const char *path = SYNACK_BUILD_DIR "/test_pcap_good.pcap";
	write_good_file(path);
	char *bad = tshark_bad_frames(path);
	if (bad[0] != '\0')
		fail_msg("tshark reports malformed packets or bad checksums in frames:\n%s", bad);
	free(bad);
	/* The filter ran over every packet (a typo would match nothing, too). */
	char *all = tshark(path, "-T fields -e frame.number");
	size_t lines = 0;
	for (const char *s = all; *s; s++)
		lines += *s == '\n';
	assert_int_equal(lines, N_TCP + N_ICMP);
	free(all);
}

/* The negative control: one packet of each kind of damage between good ones
 * must each be reported, proving the check above can fail. */
static void test_pcap_tshark_catches_bad_packets(void **state)
{
	(void)state;
	require_tshark();
	const char *path = SYNACK_BUILD_DIR "/test_pcap_bad.pcap";
	struct synack_pcap *p = synack_pcap_open(path);
	assert_non_null(p);
	uint8_t buf[1500];
	size_t n = build_tcp(buf, sizeof(buf), &tcp_cases[0], 1);
	assert_int_equal(synack_pcap_write(p, 1, buf, n), 0);  /* 1: good */
	buf[20 + 16] ^= 0x40;                                   /* TCP checksum */
	assert_int_equal(synack_pcap_write(p, 2, buf, n), 0);  /* 2: bad */
	n = build_tcp(buf, sizeof(buf), &tcp_cases[2], 2);
	buf[10] ^= 0x01;                                        /* IPv4 header checksum */
	assert_int_equal(synack_pcap_write(p, 3, buf, n), 0);  /* 3: bad */
	n = build_icmp(buf, sizeof(buf), &icmp_cases[0], 3);
	buf[20 + 2] ^= 0x80;                                    /* ICMP checksum */
	assert_int_equal(synack_pcap_write(p, 4, buf, n), 0);  /* 4: bad */
	/* 5: an IPv4 packet claiming TCP that carries 8 bytes of it. */
	struct synack_ipv4 ip = {.src = CLIENT, .dst = SERVER, .ttl = 64, .proto = SYNACK_IPPROTO_TCP};
	assert_int_equal(synack_ipv4_build(buf, sizeof(buf), &ip, 8), 20);
	memset(buf + 20, 0x11, 8);
	assert_int_equal(synack_pcap_write(p, 5, buf, 28), 0);
	n = build_icmp(buf, sizeof(buf), &icmp_cases[1], 4);
	assert_int_equal(synack_pcap_write(p, 6, buf, n), 0);  /* 6: good */
	assert_int_equal(synack_pcap_close(p), 0);

	char *bad = tshark_bad_frames(path);
	assert_string_equal(bad, "2\n3\n4\n5\n");
	free(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_header_and_record_layout),
		cmocka_unit_test(test_pcap_trace_hook_records_only_packets),
		cmocka_unit_test(test_pcap_open_errors),
		cmocka_unit_test(test_F03_pcap_tshark_decodes_every_field),
		cmocka_unit_test(test_pcap_tshark_finds_nothing_wrong),
		cmocka_unit_test(test_pcap_tshark_catches_bad_packets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
