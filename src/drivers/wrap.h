/* Word wrapping shared by the ladder's text and SVG renderers. */
#ifndef SYNACK_DRIVERS_WRAP_H
#define SYNACK_DRIVERS_WRAP_H

#include <stddef.h>
#include <string.h>

/* The length of the next line of p, at most cols wide: up to its newline,
 * else up to the last space that fits, else cols (a longer word is cut). */
static inline size_t wrap_take(const char *p, size_t cols)
{
	size_t len = strcspn(p, "\n");
	if (len <= cols)
		return len;
	size_t take = cols;
	while (take > 0 && p[take] != ' ')
		take--;
	return take ? take : cols;
}

#endif
