/* synack sim: the scenario catalogue on the simulated network.  `list`
 * names every scenario with the SPEC rows it answers and its question;
 * `synack sim NAME` plays one and prints its ladder diagram and the answer,
 * and can write the diagram as SVG and the packets as a pcap. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "scenarios.h"
#include "synack/pcap.h"

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: synack sim list\n"
	           "       synack sim NAME [--seed N] [--svg FILE] [--pcap FILE] [--absolute]\n"
	           "Plays a named scenario on the simulated network (client 192.0.2.1, server 192.0.2.2,\n"
	           "10 ms apart, virtual time) and prints its ladder diagram and what the run shows.\n"
	           "'synack sim list' names them all.  --svg writes the diagram as an SVG image,\n"
	           "--pcap the client's packets; --absolute shows raw sequence numbers instead of\n"
	           "numbers relative to each side's ISN; the same --seed (default 1) replays the\n"
	           "same run byte for byte.\n");
	return rc;
}

static int list(void)
{
	size_t wn = 0, wi = 0;
	for (size_t i = 0; i < scenario_count(); i++) {
		const struct scenario *s = scenario_at(i);
		wn = strlen(s->name) > wn ? strlen(s->name) : wn;
		wi = strlen(s->ids) > wi ? strlen(s->ids) : wi;
	}
	for (size_t i = 0; i < scenario_count(); i++) {
		const struct scenario *s = scenario_at(i);
		printf("%-*s  %-*s  %s", (int)wn, s->name, (int)wi, s->ids, s->question);
		if (s->alias)
			printf(" (also: %s)", s->alias);
		putchar('\n');
	}
	return 0;
}

static int write_svg(const struct scenario_run *r, const char *path, bool absolute)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 1;
	}
	int rc = scenario_print_svg(r, f, absolute);
	if (fclose(f) != 0 || rc != 0) {
		fprintf(stderr, "synack sim: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

int cmd_sim(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, 2);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return usage(stdout, 0);
	if (!strcmp(argv[1], "list"))
		return argc == 2 ? list() : usage(stderr, 2);
	const struct scenario *s = scenario_find(argv[1]);
	if (!s) {
		fprintf(stderr, "synack sim: no scenario '%s' ('synack sim list' names them)\n", argv[1]);
		return 2;
	}
	const char *svg = NULL, *pcap_path = NULL;
	bool absolute = false;
	struct scenario_params p = {.seed = 1};
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			char *end;
			p.seed = strtoull(argv[++i], &end, 0);
			if (*end || p.seed == 0) {
				fprintf(stderr, "synack sim: --seed takes a positive integer\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--svg") && i + 1 < argc) {
			svg = argv[++i];
		} else if (!strcmp(argv[i], "--pcap") && i + 1 < argc) {
			pcap_path = argv[++i];
		} else if (!strcmp(argv[i], "--absolute")) {
			absolute = true;
		} else {
			return usage(stderr, 2);
		}
	}
	if (pcap_path && !(p.pcap = synack_pcap_open(pcap_path))) {
		perror(pcap_path);
		return 1;
	}
	struct scenario_run r;
	int rc = scenario_play(s, &p, &r);
	int status = 0;
	if (r.lad) {
		scenario_print_text(&r, stdout, absolute);
		if (svg)
			status |= write_svg(&r, svg, absolute);
	}
	if (rc != 0) {
		fprintf(stderr, "synack sim %s: the run did not go as the scenario expects: %s\n", s->name,
		        r.error[0] ? r.error : strerror(-rc));
		status = 1;
	}
	scenario_run_free(&r);
	if (p.pcap && synack_pcap_close(p.pcap) != 0) {
		fprintf(stderr, "synack sim: cannot write %s\n", pcap_path);
		status = 1;
	}
	return status;
}
