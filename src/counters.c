#include <stddef.h>

#include "synack/counters.h"

static const char *const counter_names[SYNACK_COUNTER_COUNT] = {
#define SYNACK_X_NAME(name, help) #name,
	SYNACK_COUNTER_LIST(SYNACK_X_NAME)
#undef SYNACK_X_NAME
};

static const char *const counter_helps[SYNACK_COUNTER_COUNT] = {
#define SYNACK_X_HELP(name, help) help,
	SYNACK_COUNTER_LIST(SYNACK_X_HELP)
#undef SYNACK_X_HELP
};

const char *synack_counter_name(enum synack_counter_id id)
{
	if ((unsigned)id >= SYNACK_COUNTER_COUNT)
		return NULL;
	return counter_names[id];
}

const char *synack_counter_help(enum synack_counter_id id)
{
	if ((unsigned)id >= SYNACK_COUNTER_COUNT)
		return NULL;
	return counter_helps[id];
}

uint64_t synack_counter_value(const struct synack_counters *c, enum synack_counter_id id)
{
	if ((unsigned)id >= SYNACK_COUNTER_COUNT)
		return 0;
	/* The struct is SYNACK_COUNTER_COUNT uint64_t fields in list order. */
	_Static_assert(sizeof(struct synack_counters) == SYNACK_COUNTER_COUNT * sizeof(uint64_t),
	               "counters struct must be a plain array of uint64_t");
	const uint64_t *v = (const uint64_t *)(const void *)c;
	return v[id];
}
