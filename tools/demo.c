/* The demo, the README's main job: one whole TCP lifecycle between two
 * stacks on the simulated network (open, a request and a reply, the
 * four-way close, TIME_WAIT), drawn as a ladder diagram and written to a
 * pcap.  It is the catalogue's "lifecycle" scenario (scenarios/close.c)
 * with a lossy link on request.  Deterministic: the same seed prints the
 * same run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "scenarios.h"
#include "synack/pcap.h"

static int usage(const char *arg)
{
	printf("usage: synack demo [--seed N] [--pcap FILE] [--svg FILE] [--loss PCT] [--absolute]\n"
	       "Plays one TCP lifecycle between a client (192.0.2.1) and a server (192.0.2.2) on the\n"
	       "simulated network (10 ms each way): the three-way handshake, a request and a reply,\n"
	       "the four-way close and TIME_WAIT.  Prints the ladder diagram and writes FILE\n"
	       "(demo.pcap), and the diagram as SVG with --svg.  --loss drops that share of segments\n"
	       "each way; --absolute shows raw sequence numbers instead of numbers relative to each\n"
	       "side's ISN.  'synack sim list' names the other scenarios.\n");
	return arg && strcmp(arg, "--help") ? 2 : 0;
}

int cmd_demo(int argc, char **argv)
{
	const char *pcap_path = "demo.pcap", *svg_path = NULL;
	struct scenario_params p = {.seed = 1};
	bool absolute = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pcap") && i + 1 < argc)
			pcap_path = argv[++i];
		else if (!strcmp(argv[i], "--svg") && i + 1 < argc)
			svg_path = argv[++i];
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			p.seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--loss") && i + 1 < argc)
			p.loss = strtod(argv[++i], NULL) / 100.0;
		else if (!strcmp(argv[i], "--absolute"))
			absolute = true;
		else
			return usage(argv[i]);
	}
	if (!(p.loss >= 0 && p.loss <= 0.9)) {
		fprintf(stderr, "synack demo: --loss must be between 0 and 90\n");
		return 2;
	}
	if (!(p.pcap = synack_pcap_open(pcap_path))) {
		perror(pcap_path);
		return 1;
	}
	struct scenario_run r;
	int rc = scenario_play(scenario_find("lifecycle"), &p, &r);
	char caption[SCENARIO_ANSWER_MAX + 256];
	snprintf(caption, sizeof caption, "%s The client's capture is in %s.", r.answer, pcap_path);
	struct synack_ladder_opts o = {
	    .title = "synack demo: one TCP connection, from the three-way handshake to TIME_WAIT",
	    .absolute = absolute,
	    .caption = caption,
	};
	int status = 0;
	if (r.lad) {
		synack_ladder_render_text(r.lad, stdout, &o);
		FILE *f = svg_path ? fopen(svg_path, "w") : NULL;
		if (svg_path && (!f || synack_ladder_render_svg(r.lad, f, &o) != 0 || fclose(f) != 0)) {
			fprintf(stderr, "synack demo: cannot write %s\n", svg_path);
			status = 1;
		}
	}
	if (rc != 0) {
		fprintf(stderr, "synack demo: %s\n", r.error);
		status = 1;
	}
	scenario_run_free(&r);
	if (synack_pcap_close(p.pcap) != 0) {
		fprintf(stderr, "synack demo: cannot write %s\n", pcap_path);
		status = 1;
	}
	return status;
}
