/* Prints the size of the core structs: figures, never assertions. */
#include <stdio.h>

#include "base/wheel.h"
#include "stack.h"
#include "synack/wire.h"
#include "tcp/tcp.h"

int main(void)
{
	printf("%-32s %8s\n", "struct", "bytes");
	printf("%-32s %8zu\n", "synack_stack", sizeof(struct synack_stack));
	printf("%-32s %8zu\n", "  of which txbuf", sizeof(((struct synack_stack *)0)->txbuf));
	printf("%-32s %8zu\n", "  of which timing wheel", sizeof(struct wheel));
	printf("%-32s %8zu\n", "synack_counters", sizeof(struct synack_counters));
	printf("%-32s %8zu\n", "tcb (a connection, buffers apart)", sizeof(struct tcb));
	printf("%-32s %8zu\n", "tw_entry (a TIME_WAIT)", sizeof(struct tw_entry));
	printf("%-32s %8zu\n", "wheel_timer", sizeof(struct wheel_timer));
	printf("%-32s %8zu\n", "stack_timer", sizeof(struct stack_timer));
	printf("%-32s %8zu\n", "synack_tcp_seg (parsed segment)", sizeof(struct synack_tcp_seg));
	printf("%-32s %8zu\n", "synack_ipv4 (parsed header)", sizeof(struct synack_ipv4));
	return 0;
}
