/* SVG rendering of a ladder (SPEC F04): the diagram the textbooks draw
 * (RFC 9293 3.5 figures, Stevens' TCP/IP Illustrated), as a self-contained
 * image a browser shows.
 *
 * Layout.  Time runs down the page, but not to scale: a run spans
 * milliseconds and a minute of TIME_WAIT alike.  Every event (a segment
 * sent, a state change, a note line) takes one row, in (time, recording
 * order); every instant at which a segment arrives gets a thinner row of its
 * own, placed before whatever happened at that instant, since the arrival
 * caused it.  A segment's arrow runs from its sending row on the sender's
 * lifeline to its arrival row on the receiver's, so crossing segments
 * (simultaneous open and close) cross on the page.  Where the clock jumps by
 * a second or more between rows the lifelines are dashed.
 *
 * Labels follow their arrows with <textPath>, so the only coordinates this
 * file computes are integers: the same model always gives the same bytes.
 *
 * Outside the core: uses only the public API (synack/ladder.h).
 */
#include "synack/ladder.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"
#include "wrap.h"

#define SVG_W 1000
#define X_TIME 14          /* time labels, left-aligned */
#define X_LEFT 250         /* left lifeline */
#define X_RIGHT 840        /* right lifeline */
#define ROW_H 24           /* an event row */
#define ARRIVE_H 12        /* an arrival row */
#define NOTE_LINE_H 15     /* a note's second and later lines */
#define GAP_H 30           /* extra space where the clock jumps */
#define GAP_US 1000000u    /* ... by this much or more */
#define NOTE_COLS 80       /* note lines wrap here (11 px monospace) */
#define CAPTION_COLS 120   /* caption lines wrap here (13 px sans-serif) */
#define CHAR_W10 66        /* an 11 px monospace glyph is about 6.6 px wide */
#define LOST_PCT 55        /* a lost arrow stops this far across */

enum row_kind { ROW_ARRIVE, ROW_SEG, ROW_STATE, ROW_NOTE };

struct row {
	synack_time_t t;
	uint32_t order;
	enum row_kind kind;
	uint32_t sub;        /* a note's line number */
	size_t idx;          /* seg, state or note index */
	const char *text;    /* a note line ... */
	int len;             /* ... and its length */
	int y0, y;           /* top and centre of the row, filled by layout */
	bool gap_before;     /* the clock jumped GAP_US or more since the row above */
};

struct rows {
	struct row *r;
	size_t n, cap;
};

static int rows_add(struct rows *rs, struct row r)
{
	if (rs->n == rs->cap) {
		size_t c = rs->cap ? rs->cap * 2 : 64;
		struct row *p = realloc(rs->r, c * sizeof(*p));
		if (!p)
			return -ENOMEM;
		rs->r = p;
		rs->cap = c;
	}
	rs->r[rs->n++] = r;
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if ((x->kind == ROW_ARRIVE) != (y->kind == ROW_ARRIVE))
		return x->kind == ROW_ARRIVE ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->sub < y->sub ? -1 : x->sub > y->sub;
}

static bool in_window(synack_time_t t, const struct synack_ladder_opts *o)
{
	return t >= o->from && (o->until == 0 || t <= o->until);
}

/* Splits text into lines of at most cols characters at spaces (or at '\n');
 * calls back with each line.  Returns the number of lines. */
typedef int (*line_fn)(void *ctx, const char *p, int len, uint32_t i);
static int wrap_lines(const char *text, size_t cols, line_fn fn, void *ctx)
{
	const char *p = text;
	uint32_t i = 0;
	do {
		size_t take = wrap_take(p, cols);
		if (fn(ctx, p, (int)take, i++) != 0)
			return -ENOMEM;
		p += take;
		if (*p == ' ')
			while (*p == ' ')
				p++;
		else if (*p == '\n')
			p++;
	} while (*p);
	return (int)i;
}

struct note_ctx {
	struct rows *rs;
	const struct synack_ladder_note *n;
};

static int add_note_line(void *ctx, const char *p, int len, uint32_t i)
{
	struct note_ctx *c = ctx;
	return rows_add(c->rs, (struct row){.t = c->n->time, .order = c->n->order, .kind = ROW_NOTE, .sub = i,
	                                    .text = p, .len = len});
}

/* Every row in the window, sorted, arrival rows merged per instant. */
static int collect(const struct synack_ladder *l, const struct synack_ladder_opts *o, struct rows *rs)
{
	for (size_t i = 0; i < synack_ladder_count(l); i++) {
		const struct synack_ladder_seg *s = synack_ladder_get(l, i);
		if (!in_window(s->time, o))
			continue;
		if (rows_add(rs, (struct row){.t = s->time, .order = s->order, .kind = ROW_SEG, .idx = i}) != 0)
			return -ENOMEM;
		if (!s->lost && s->arrive != SYNACK_TIME_NEVER && in_window(s->arrive, o) &&
		    rows_add(rs, (struct row){.t = s->arrive, .kind = ROW_ARRIVE}) != 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < synack_ladder_state_count(l); i++) {
		const struct synack_ladder_state *s = synack_ladder_state_get(l, i);
		if (in_window(s->time, o) &&
		    rows_add(rs, (struct row){.t = s->time, .order = s->order, .kind = ROW_STATE, .idx = i}) != 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < synack_ladder_note_count(l); i++) {
		const struct synack_ladder_note *n = synack_ladder_note_get(l, i);
		struct note_ctx c = {rs, n};
		if (in_window(n->time, o) && wrap_lines(n->text, NOTE_COLS, add_note_line, &c) < 0)
			return -ENOMEM;
	}
	if (rs->n)
		qsort(rs->r, rs->n, sizeof(*rs->r), row_cmp);
	size_t k = 0;
	for (size_t i = 0; i < rs->n; i++) {
		if (k > 0 && rs->r[i].kind == ROW_ARRIVE && rs->r[k - 1].kind == ROW_ARRIVE &&
		    rs->r[k - 1].t == rs->r[i].t)
			continue;
		rs->r[k++] = rs->r[i];
	}
	rs->n = k;
	return 0;
}

/* Gives every row its y; returns the y below the last one. */
static int layout(struct rows *rs, int top)
{
	int y = top;
	for (size_t i = 0; i < rs->n; i++) {
		struct row *r = &rs->r[i];
		if (i > 0 && r->t - rs->r[i - 1].t >= GAP_US) {
			r->gap_before = true;
			y += GAP_H;
		}
		int h = r->kind == ROW_ARRIVE ? ARRIVE_H : r->kind == ROW_NOTE && r->sub > 0 ? NOTE_LINE_H : ROW_H;
		r->y0 = y;
		r->y = y + h / 2;
		y += h;
	}
	return y;
}

/* The y of the arrival row at time t (rows are sorted), or -1. */
static int arrival_y(const struct rows *rs, synack_time_t t)
{
	size_t lo = 0, hi = rs->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rs->r[mid].t < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < rs->n && rs->r[lo].t == t && rs->r[lo].kind == ROW_ARRIVE ? rs->r[lo].y : -1;
}

/* ------------------------------------------------------------------ */
/* Output. */

/* Text content or attribute value with XML's five specials escaped;
 * control characters (not allowed in XML 1.0) become '?'. */
static void xml_text(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default: fputc(c < 0x20 && c != '\t' ? '?' : c, out); break;
		}
	}
}

static void xml_str(FILE *out, const char *s)
{
	xml_text(out, s, strlen(s));
}

static void time_text(char *buf, size_t cap, synack_time_t t)
{
	snprintf(buf, cap, "%" PRIu64 ".%03us", t / 1000000u, (unsigned)(t % 1000000u / 1000u));
}

/* Fill colour of a state's box: the phase it belongs to. */
static const char *state_fill(enum synack_tcp_state s)
{
	switch (s) {
	case SYNACK_LISTEN: return "#dce9fb";
	case SYNACK_SYN_SENT:
	case SYNACK_SYN_RCVD: return "#fff1c2";
	case SYNACK_ESTABLISHED: return "#d3f0d3";
	case SYNACK_FIN_WAIT_1:
	case SYNACK_FIN_WAIT_2:
	case SYNACK_CLOSING:
	case SYNACK_TIME_WAIT: return "#fbdcc8";
	case SYNACK_CLOSE_WAIT:
	case SYNACK_LAST_ACK: return "#eedcf5";
	default: return "#e6e6e6";
	}
}

static int text_w(size_t chars)
{
	return (int)((chars * CHAR_W10 + 9) / 10);
}

static void svg_head(FILE *out, int height, const struct synack_ladder_opts *o)
{
	fprintf(out,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
	        "version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
	        SVG_W, height, SVG_W, height);
	fputs("<title>", out);
	xml_str(out, o->title ? o->title : "TCP ladder diagram");
	fputs("</title>\n", out);
	fputs("<defs>\n"
	      "<style type=\"text/css\">\n"
	      "text{font-family:'DejaVu Sans Mono',Menlo,Consolas,'Liberation Mono',monospace;font-size:11px;"
	      "fill:#1a1a1a;white-space:pre}\n"
	      ".title{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;font-size:15px;font-weight:bold}\n"
	      ".col{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;font-size:14px;font-weight:bold;"
	      "text-anchor:middle}\n"
	      ".sub{fill:#555;text-anchor:middle}\n"
	      ".time{fill:#444}\n"
	      ".gap{fill:#888;font-style:italic}\n"
	      ".opt{fill:#555;font-size:10px}\n"
	      ".lost{fill:#c62828}\n"
	      ".odd{fill:#b35c00}\n"
	      ".state{font-weight:bold;text-anchor:middle}\n"
	      ".note{fill:#2a4d7a;font-style:italic}\n"
	      ".seg,.opt,.note{paint-order:stroke;stroke:#ffffff;stroke-width:3px;stroke-linejoin:round}\n"
	      ".cap{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;font-size:13px}\n"
	      ".legend{fill:#666;font-size:10px}\n"
	      ".life{stroke:#333;stroke-width:2}\n"
	      ".lifegap{stroke:#999;stroke-width:2;stroke-dasharray:3 4}\n"
	      ".arrow{stroke:#1a1a1a;stroke-width:1.4;fill:none}\n"
	      ".arrowodd{stroke:#b35c00;stroke-width:1.4;fill:none}\n"
	      ".arrowlost{stroke:#c62828;stroke-width:1.4;stroke-dasharray:7 4;fill:none}\n"
	      ".arrowflight{stroke:#888;stroke-width:1.4;stroke-dasharray:2 3;fill:none}\n"
	      ".x{stroke:#c62828;stroke-width:2.2}\n"
	      "</style>\n"
	      "<marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" "
	      "markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto\">"
	      "<path d=\"M0,1 L10,5 L0,9 z\" fill=\"#1a1a1a\"/></marker>\n"
	      "<marker id=\"headodd\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" "
	      "markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto\">"
	      "<path d=\"M0,1 L10,5 L0,9 z\" fill=\"#b35c00\"/></marker>\n"
	      "</defs>\n",
	      out);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", SVG_W, height);
}

static int title_line(void *ctx, const char *p, int len, uint32_t i)
{
	FILE *out = ctx;
	fprintf(out, "<text class=\"title\" x=\"%d\" y=\"%u\">", X_TIME, 24u + 20u * i);
	xml_text(out, p, (size_t)len);
	fputs("</text>\n", out);
	return 0;
}

static int count_line(void *ctx, const char *p, int len, uint32_t i)
{
	(void)ctx, (void)p, (void)len, (void)i;
	return 0;
}

/* Title, column labels, addresses and ISNs; returns the y of the first row. */
static int svg_header(FILE *out, const struct synack_ladder *l, const struct synack_ladder_opts *o, bool draw)
{
	int y = 0;
	if (o->title) {
		int n = wrap_lines(o->title, 110, draw ? title_line : count_line, out);
		y = 24 + 20 * (n > 0 ? n - 1 : 0) + 14;
	}
	y += 24;
	const int x[2] = {X_LEFT, X_RIGHT};
	if (draw)
		for (int c = 0; c < 2; c++) {
			fprintf(out, "<text class=\"col\" x=\"%d\" y=\"%d\">", x[c], y);
			xml_str(out, synack_ladder_label(l, c));
			fputs("</text>\n", out);
		}
	char addr[2][24] = {"", ""};
	for (int c = 0; c < 2; c++)
		for (size_t i = 0; i < synack_ladder_count(l); i++) {
			const struct synack_ladder_seg *s = synack_ladder_get(l, i);
			if (s->from_col == c && !s->malformed) {
				synack_ip_format(s->src, addr[c]);
				break;
			}
		}
	uint32_t isn[2];
	bool known[2];
	char isn_text[2][24] = {"", ""};
	if (!o->absolute && synack_ladder_single_isns(l, isn, known))
		for (int c = 0; c < 2; c++)
			if (known[c])
				snprintf(isn_text[c], sizeof isn_text[c], "ISN %" PRIu32, isn[c]);
	char(*lines[2])[24] = {addr, isn_text};
	for (int k = 0; k < 2; k++) {
		if (!lines[k][0][0] && !lines[k][1][0])
			continue;
		y += 15;
		for (int c = 0; draw && c < 2; c++) {
			fprintf(out, "<text class=\"sub\" x=\"%d\" y=\"%d\">", x[c], y);
			xml_str(out, lines[k][c]);
			fputs("</text>\n", out);
		}
	}
	return y + 12;
}

/* The lifelines from top to bottom, dashed across the clock's jumps. */
static void svg_lifelines(FILE *out, const struct rows *rs, int top, int bottom)
{
	const int x[2] = {X_LEFT, X_RIGHT};
	int from = top;
	for (size_t i = 0; i <= rs->n; i++) {
		bool gap = i < rs->n && rs->r[i].gap_before;
		if (i < rs->n && !gap)
			continue;
		int to = i < rs->n ? rs->r[i].y0 - GAP_H : bottom;
		for (int c = 0; c < 2; c++)
			fprintf(out, "<line class=\"life\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", x[c], from, x[c], to);
		if (!gap)
			break;
		from = to + GAP_H;
		for (int c = 0; c < 2; c++)
			fprintf(out, "<line class=\"lifegap\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", x[c], to, x[c],
			        from);
		char dt[32];
		time_text(dt, sizeof dt, rs->r[i].t - rs->r[i - 1].t);
		fprintf(out, "<text class=\"gap\" x=\"%d\" y=\"%d\">(%s later)</text>\n", X_TIME, to + GAP_H / 2 + 4, dt);
	}
}

static void svg_seg(FILE *out, const struct synack_ladder *l, const struct rows *rs, const struct row *r,
                    const struct synack_ladder_opts *o)
{
	const struct synack_ladder_seg *s = synack_ladder_get(l, r->idx);
	int xs = s->from_col == 0 ? X_LEFT : X_RIGHT, xr = s->from_col == 0 ? X_RIGHT : X_LEFT;
	int ys = r->y, yr = ys + ROW_H;
	const char *line_class = "arrow", *text_class = "", *marker = "head";
	if (s->lost) {
		line_class = "arrowlost";
		text_class = " lost";
	} else if (s->arrive != SYNACK_TIME_NEVER && (yr = arrival_y(rs, s->arrive)) >= 0) {
		if (yr <= ys)
			yr = ys + ARRIVE_H; /* delivered at the instant it was sent */
		if (s->corrupted || s->malformed) {
			line_class = "arrowodd";
			text_class = " odd";
			marker = "headodd";
		}
	} else {
		yr = ys + ROW_H; /* its arrival is outside the window or was never seen */
		line_class = "arrowflight";
		marker = NULL;
	}
	if (s->lost) {
		int xm = xs + (xr - xs) * LOST_PCT / 100, ym = ys + (yr - ys) * LOST_PCT / 100;
		fprintf(out, "<line class=\"%s\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", line_class, xs, ys, xm, ym);
		fprintf(out, "<path class=\"x\" d=\"M%d,%d L%d,%d M%d,%d L%d,%d\"/>\n", xm - 6, ym - 6, xm + 6, ym + 6,
		        xm - 6, ym + 6, xm + 6, ym - 6);
		int tx = s->from_col == 0 ? xm + 12 : xm - 12;
		fprintf(out, "<text class=\"lost\" x=\"%d\" y=\"%d\"%s>lost</text>\n", tx, ym + 4,
		        s->from_col == 0 ? "" : " text-anchor=\"end\"");
	} else {
		fprintf(out, "<line class=\"%s\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"", line_class, xs, ys, xr, yr);
		if (marker)
			fprintf(out, " marker-end=\"url(#%s)\"", marker);
		fputs("/>\n", out);
	}
	/* The label rides on a path parallel to the arrow, drawn left to right
	 * so text is never upside down, starting at the sender's end. */
	char main[160], opts[96];
	synack_ladder_seg_label(s, o->absolute, o->ports, main, sizeof main, opts, sizeof opts);
	int xl = X_LEFT, yl = s->from_col == 0 ? ys : yr, xrr = X_RIGHT, yrr = s->from_col == 0 ? yr : ys;
	const char *anchor = s->from_col == 0 ? "start" : "end";
	const char *offset = s->from_col == 0 ? "2.5%" : "97.5%";
	fprintf(out, "<path id=\"s%zu\" d=\"M%d,%d L%d,%d\" fill=\"none\"/>\n", r->idx, xl, yl - 5, xrr, yrr - 5);
	fprintf(out,
	        "<text class=\"seg%s\" text-anchor=\"%s\"><textPath xlink:href=\"#s%zu\" href=\"#s%zu\" "
	        "startOffset=\"%s\">",
	        text_class, anchor, r->idx, r->idx, offset);
	xml_str(out, main);
	fputs("</textPath></text>\n", out);
	if (opts[0]) {
		fprintf(out, "<path id=\"o%zu\" d=\"M%d,%d L%d,%d\" fill=\"none\"/>\n", r->idx, xl, yl + 13, xrr, yrr + 13);
		fprintf(out,
		        "<text class=\"opt%s\" text-anchor=\"%s\"><textPath xlink:href=\"#o%zu\" href=\"#o%zu\" "
		        "startOffset=\"%s\">",
		        text_class, anchor, r->idx, r->idx, offset);
		xml_str(out, opts);
		fputs("</textPath></text>\n", out);
	}
}

static void svg_state(FILE *out, const struct synack_ladder *l, const struct row *r)
{
	const struct synack_ladder_state *s = synack_ladder_state_get(l, r->idx);
	const char *name = synack_state_name(s->new_state);
	int w = text_w(strlen(name)) + 12, h = 17;
	int x = s->col == 0 ? X_LEFT - 10 - w : X_RIGHT + 10, lx = s->col == 0 ? X_LEFT : X_RIGHT;
	const char *fill = state_fill(s->new_state);
	fprintf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\" stroke=\"#333\"/>\n", lx, r->y, fill);
	fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\" fill=\"%s\" stroke=\"#777\"/>\n", x,
	        r->y - h / 2 - 1, w, h, fill);
	fprintf(out, "<text class=\"state\" x=\"%d\" y=\"%d\">%s</text>\n", x + w / 2, r->y + 4, name);
}

static void svg_note(FILE *out, const struct row *r)
{
	fprintf(out, "<text class=\"note\" x=\"%d\" y=\"%d\" xml:space=\"preserve\">", X_LEFT + 16, r->y + 4);
	xml_text(out, r->text, (size_t)r->len);
	fputs("</text>\n", out);
}

struct caption_ctx {
	FILE *out;
	int y;
};

static int caption_line(void *ctx, const char *p, int len, uint32_t i)
{
	struct caption_ctx *c = ctx;
	if (c->out) {
		fprintf(c->out, "<text class=\"cap\" x=\"%d\" y=\"%d\">", X_TIME, c->y + 17 * (int)i);
		xml_text(c->out, p, (size_t)len);
		fputs("</text>\n", c->out);
	}
	return 0;
}

int synack_ladder_render_svg(const struct synack_ladder *l, FILE *out, const struct synack_ladder_opts *opts)
{
	static const struct synack_ladder_opts defaults;
	if (!l || !out)
		return -EINVAL;
	const struct synack_ladder_opts *o = opts ? opts : &defaults;
	struct rows rs = {0};
	if (collect(l, o, &rs) != 0) {
		free(rs.r);
		return -ENOMEM;
	}
	int top = svg_header(out, l, o, false);
	int bottom = layout(&rs, top + 6) + 10;
	int legend_y = bottom + 20;
	int caption_y = legend_y + 26, caption_lines = 0;
	if (o->caption) {
		struct caption_ctx c = {NULL, 0};
		caption_lines = wrap_lines(o->caption, CAPTION_COLS, caption_line, &c);
	}
	int height = caption_y + 17 * caption_lines + 8;

	svg_head(out, height, o);
	svg_header(out, l, o, true);
	svg_lifelines(out, &rs, top, bottom);
	synack_time_t last_t = SYNACK_TIME_NEVER;
	for (size_t i = 0; i < rs.n; i++) {
		const struct row *r = &rs.r[i];
		if (r->t != last_t) {
			char t[32];
			time_text(t, sizeof t, r->t);
			fprintf(out, "<text class=\"time\" x=\"%d\" y=\"%d\">%s</text>\n", X_TIME, r->y + 4, t);
			last_t = r->t;
		}
		switch (r->kind) {
		case ROW_SEG: svg_seg(out, l, &rs, r, o); break;
		case ROW_STATE: svg_state(out, l, r); break;
		case ROW_NOTE: svg_note(out, r); break;
		case ROW_ARRIVE: break;
		}
	}
	fprintf(out,
	        "<text class=\"legend\" x=\"%d\" y=\"%d\">time: virtual seconds since the run began;  "
	        "seq/ack %s;  len: payload bytes;  win: window as sent;  red dashed, X: lost</text>\n",
	        X_TIME, legend_y, o->absolute ? "as on the wire" : "relative to each side's ISN");
	if (synack_ladder_unrecorded(l))
		fprintf(out, "<text class=\"lost\" x=\"%d\" y=\"%d\">(%zu events not recorded: out of memory)</text>\n",
		        X_LEFT, legend_y + 13, synack_ladder_unrecorded(l));
	if (o->caption) {
		struct caption_ctx c = {out, caption_y};
		wrap_lines(o->caption, CAPTION_COLS, caption_line, &c);
	}
	fputs("</svg>\n", out);
	free(rs.r);
	return ferror(out) ? -EIO : 0;
}
