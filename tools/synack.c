/* synack: one command, several subcommands. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"demo", cmd_demo, "a whole TCP lifecycle on the simulated network, drawn as a ladder (the main job)"},
	{"sim", cmd_sim, "the scenario catalogue: 'sim list', then 'sim NAME' draws a run and answers its question"},
	{"ping", cmd_ping, "two stacks ping each other across a lossy simulated link"},
	{"flood", cmd_flood, "a SYN flood against a listener, with and without SYN cookies"},
	{"serve", cmd_serve, "a server (echo, discard, http) on this stack over a TUN device; the kernel is the peer"},
	{"connect", cmd_connect, "one connection from this stack over a TUN device: send a file, receive to a file"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: synack COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'synack COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "synack: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
