/* RFC 9293 state names. */
#include "synack/synack.h"

const char *synack_state_name(enum synack_tcp_state s)
{
	static const char *const names[SYNACK_STATE_COUNT] = {
		"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
		"FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
	};
	if ((unsigned)s >= SYNACK_STATE_COUNT)
		return "?";
	return names[s];
}
