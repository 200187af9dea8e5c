#include <stddef.h>
#include <stdint.h>

#include "synack/counters.h"
#include "stack.h"

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

static uint64_t *counter_ptr(struct synack_counters *c, enum synack_counter_id id)
{
	switch (id) {
#define SYNACK_X_CASE(name, help)                                                                            \
	case SYNACK_CTR_##name:                                                                                \
		return &c->name;
		SYNACK_COUNTER_LIST(SYNACK_X_CASE)
#undef SYNACK_X_CASE
	default:
		return NULL;
	}
}

uint64_t synack_counter_value(const struct synack_counters *c, enum synack_counter_id id)
{
	const uint64_t *v = counter_ptr((struct synack_counters *)(uintptr_t)c, id);
	return v ? *v : 0;
}

void counter_inc(struct synack_counters *c, enum synack_counter_id id)
{
	uint64_t *v = counter_ptr(c, id);
	if (v)
		(*v)++;
}
