/* One-line packet summaries for logs and tools, in tcpdump's spirit:
 *   10.0.0.1:1234 > 10.0.0.2:80 [S.] seq 1 ack 2 win 65535 len 0 <mss 1460,sackOK,...>
 *   10.0.0.1 > 10.0.0.2 icmp echo request id 7 seq 1 len 56
 * Output is always NUL-terminated and truncated to cap. */
#include <stdarg.h>
#include <stdio.h>
#include <synack/wire.h>

struct out {
	char *buf;
	size_t cap, pos; /* pos <= cap - 1 once anything is written */
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void out_printf(struct out *o, const char *fmt, ...)
{
	if (o->pos + 1 >= o->cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->pos, o->cap - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->pos += (size_t)n;
	if (o->pos >= o->cap)
		o->pos = o->cap - 1; /* truncated; vsnprintf wrote the NUL */
}

/* tcpdump's letters in tcpdump's order: FIN SYN RST PSH ACK(.) URG ECE CWR. */
static void format_flags(struct out *o, uint8_t flags)
{
	static const struct {
		uint8_t bit;
		char c;
	} letters[] = {
		{SYNACK_TCP_FIN, 'F'}, {SYNACK_TCP_SYN, 'S'}, {SYNACK_TCP_RST, 'R'},
		{SYNACK_TCP_PSH, 'P'}, {SYNACK_TCP_ACK, '.'}, {SYNACK_TCP_URG, 'U'},
		{SYNACK_TCP_ECE, 'E'}, {SYNACK_TCP_CWR, 'W'},
	};
	char s[sizeof letters / sizeof letters[0] + 1];
	size_t n = 0;

	for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++)
		if (flags & letters[i].bit)
			s[n++] = letters[i].c;
	s[n] = '\0';
	out_printf(o, "[%s]", n ? s : "none");
}

static void format_options(struct out *o, const struct synack_tcp_opts *opt)
{
	const char *sep = "";

	if (!opt->present)
		return;
	out_printf(o, " <");
	if (opt->present & SYNACK_OPT_MSS) {
		out_printf(o, "%smss %u", sep, (unsigned)opt->mss);
		sep = ",";
	}
	if (opt->present & SYNACK_OPT_SACK_PERM) {
		out_printf(o, "%ssackOK", sep);
		sep = ",";
	}
	if (opt->present & SYNACK_OPT_TS) {
		out_printf(o, "%sTS val %lu ecr %lu", sep, (unsigned long)opt->ts_val,
		           (unsigned long)opt->ts_ecr);
		sep = ",";
	}
	if (opt->present & SYNACK_OPT_WSCALE) {
		out_printf(o, "%swscale %u", sep, (unsigned)opt->wscale);
		sep = ",";
	}
	if (opt->present & SYNACK_OPT_SACK) {
		out_printf(o, "%ssack %u", sep, (unsigned)opt->sack_count);
		for (unsigned i = 0; i < opt->sack_count && i < SYNACK_TCP_MAX_SACK; i++)
			out_printf(o, " {%lu:%lu}", (unsigned long)opt->sack[i].start,
			           (unsigned long)opt->sack[i].end);
	}
	out_printf(o, ">");
}

/* A segment with a bad checksum is still shown (tcpdump does too), marked. */
static void format_tcp(struct out *o, const struct synack_ipv4 *ip, const char *src, const char *dst)
{
	struct synack_tcp_seg s;
	enum synack_wire_err err =
	    synack_tcp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, true, &s);
	bool bad_csum = err == SYNACK_WIRE_TCP_CSUM;

	if (bad_csum)
		err = synack_tcp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, false, &s);
	if (err != SYNACK_WIRE_OK) {
		out_printf(o, "%s > %s tcp bad: %s len %u", src, dst, synack_wire_strerror(err),
		           (unsigned)ip->payload_len);
		return;
	}
	out_printf(o, "%s:%u > %s:%u ", src, (unsigned)s.sport, dst, (unsigned)s.dport);
	format_flags(o, s.flags);
	out_printf(o, " seq %lu", (unsigned long)s.seq);
	if (s.flags & SYNACK_TCP_ACK)
		out_printf(o, " ack %lu", (unsigned long)s.ack);
	out_printf(o, " win %u", (unsigned)s.window);
	if (s.flags & SYNACK_TCP_URG)
		out_printf(o, " urg %u", (unsigned)s.urg_ptr);
	out_printf(o, " len %lu", (unsigned long)s.payload_len);
	format_options(o, &s.opt);
	if (bad_csum)
		out_printf(o, " [bad tcp csum]");
}

static void format_icmp(struct out *o, const struct synack_ipv4 *ip, const char *src, const char *dst)
{
	struct synack_icmp m;
	enum synack_wire_err err = synack_icmp_parse(ip->payload, ip->payload_len, &m);

	if (err != SYNACK_WIRE_OK) {
		out_printf(o, "%s > %s icmp bad: %s len %u", src, dst, synack_wire_strerror(err),
		           (unsigned)ip->payload_len);
		return;
	}
	out_printf(o, "%s > %s icmp ", src, dst);
	if (m.type == SYNACK_ICMP_ECHO_REQUEST || m.type == SYNACK_ICMP_ECHO_REPLY)
		out_printf(o, "echo %s id %u seq %u", m.type ? "request" : "reply", (unsigned)m.id,
		           (unsigned)m.seq);
	else
		out_printf(o, "type %u code %u", (unsigned)m.type, (unsigned)m.code);
	out_printf(o, " len %lu", (unsigned long)m.data_len);
}

char *synack_packet_format(const uint8_t *pkt, size_t len, char *buf, size_t cap)
{
	struct out o = {buf, cap, 0};
	struct synack_ipv4 ip;
	char src[16], dst[16];

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	enum synack_wire_err err = synack_ipv4_parse(pkt, len, &ip);
	if (err != SYNACK_WIRE_OK) {
		out_printf(&o, "ip bad: %s len %lu", synack_wire_strerror(err), (unsigned long)len);
		return buf;
	}
	synack_ip_format(ip.src, src);
	synack_ip_format(ip.dst, dst);
	if (ip.proto == SYNACK_IPPROTO_TCP)
		format_tcp(&o, &ip, src, dst);
	else if (ip.proto == SYNACK_IPPROTO_ICMP)
		format_icmp(&o, &ip, src, dst);
	else
		out_printf(&o, "%s > %s proto %u len %u", src, dst, (unsigned)ip.proto,
		           (unsigned)ip.payload_len);
	return buf;
}
