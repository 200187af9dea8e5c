/* The subcommands of the synack command. */
#ifndef SYNACK_TOOLS_COMMANDS_H
#define SYNACK_TOOLS_COMMANDS_H

int cmd_demo(int argc, char **argv);
int cmd_ping(int argc, char **argv);
int cmd_flood(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_connect(int argc, char **argv);

#endif
