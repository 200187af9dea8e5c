/* The scenario catalogue as a whole (SPEC F04, F05): every scenario plays
 * as written under several seeds; the same seed prints the same bytes,
 * text and SVG; names, aliases and the SPEC rows they answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "catalogue.h"

static void test_F05_every_scenario_plays_under_several_seeds(void **state)
{
	(void)state;
	const uint64_t seeds[] = {1, 2, 3, 1000003};
	for (size_t i = 0; i < scenario_count(); i++)
		for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
			struct scenario_run *r = cat_play_seed(scenario_at(i)->name, seeds[k]);
			assert_true(r->answer[0] != '\0');
			assert_int_equal(synack_ladder_unrecorded(r->lad), 0);
			assert_true(scenario_seg_count(r) > 0);
			cat_done(r);
		}
}

/* Plays and renders name twice under one seed; the bytes must match. */
static void same_bytes(const char *name, uint64_t seed, bool svg, bool absolute)
{
	struct scenario_run *a = cat_play_seed(name, seed), *b = cat_play_seed(name, seed);
	char *x = cat_render(a, svg, absolute), *y = cat_render(b, svg, absolute);
	if (strcmp(x, y) != 0)
		fprintf(stdout, "%s (seed %llu, %s) differs between two runs\n", name, (unsigned long long)seed,
		        svg ? "svg" : "text");
	assert_string_equal(x, y);
	free(x);
	free(y);
	cat_done(a);
	cat_done(b);
}

static void test_F05_same_seed_same_bytes(void **state)
{
	(void)state;
	for (size_t i = 0; i < scenario_count(); i++) {
		const char *name = scenario_at(i)->name;
		same_bytes(name, 1, false, false);
		same_bytes(name, 1, true, false);
		same_bytes(name, 5, false, true);
	}
	/* And a different seed draws different ISNs. */
	struct scenario_run *a = cat_play_seed("q01-handshake", 1), *b = cat_play_seed("q01-handshake", 2);
	char *x = cat_render(a, false, true), *y = cat_render(b, false, true);
	assert_string_not_equal(x, y);
	free(x);
	free(y);
	cat_done(a);
	cat_done(b);
}

static void test_F05_names_ids_and_aliases(void **state)
{
	(void)state;
	assert_true(scenario_count() >= 29);
	assert_null(scenario_at(scenario_count()));
	assert_null(scenario_find("no-such-scenario"));
	assert_null(scenario_find(NULL));
	for (size_t i = 0; i < scenario_count(); i++) {
		const struct scenario *s = scenario_at(i);
		assert_non_null(s->play);
		assert_true(s->ids[0] && s->question[0]);
		assert_ptr_equal(scenario_find(s->name), s);
		if (s->alias)
			assert_ptr_equal(scenario_find(s->alias), s);
		for (size_t j = 0; j < i; j++) {
			const struct scenario *t = scenario_at(j);
			assert_string_not_equal(s->name, t->name);
			if (s->alias && t->alias)
				assert_string_not_equal(s->alias, t->alias);
		}
	}
	/* Every question of SPEC.md, Q01-Q17, has a scenario naming it. */
	for (int q = 1; q <= 17; q++) {
		char id[8];
		snprintf(id, sizeof id, "Q%02d", q);
		bool found = false;
		for (size_t i = 0; i < scenario_count(); i++)
			found = found || strstr(scenario_at(i)->ids, id) != NULL;
		if (!found)
			fprintf(stdout, "no scenario answers %s\n", id);
		assert_true(found);
	}
	/* Every named lifecycle behaviour plays by its own name. */
	static const char *const behaviours[] = {"simultaneous-open", "simultaneous-close", "half-close",
	                                         "old-duplicate-syn", "lost-third-ack",     "lost-last-ack",
	                                         "rst-closed-port",   "challenge-ack",      "lifecycle"};
	for (size_t k = 0; k < sizeof behaviours / sizeof behaviours[0]; k++)
		assert_non_null(scenario_find(behaviours[k]));
}

/* The text and SVG say the same things: every state change and segment is
 * drawn, lost segments look lost, the answer is the caption. */
static void test_F04_text_and_svg_of_every_scenario(void **state)
{
	(void)state;
	for (size_t i = 0; i < scenario_count(); i++) {
		struct scenario_run *r = cat_play(scenario_at(i)->name);
		char *text = cat_render(r, false, false), *svg = cat_render(r, true, false);
		size_t lost = 0;
		for (size_t k = 0; k < synack_ladder_count(r->lad); k++)
			lost += synack_ladder_get(r->lad, k)->lost;
		assert_int_equal(cat_count(text, " LOST"), lost);
		assert_int_equal(cat_count(svg, "class=\"arrowlost\""), lost);
		assert_int_equal(cat_count(svg, "class=\"x\""), lost);
		assert_int_equal(cat_count(svg, "<circle "), synack_ladder_state_count(r->lad));
		assert_int_equal(cat_count(svg, "<textPath "), synack_ladder_count(r->lad) + cat_count(svg, "id=\"o"));
		assert_true(cat_starts(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "));
		assert_true(cat_ends(svg, "</svg>\n"));
		assert_non_null(strstr(svg, scenario_at(i)->name));
		/* The first words of the answer close both renderings. */
		char head[40];
		snprintf(head, sizeof head, "%.30s", r->answer);
		if (!strpbrk(head, "\"<>&'"))
			assert_non_null(strstr(svg, head));
		assert_non_null(strstr(text, head));
		free(text);
		free(svg);
		cat_done(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_F05_every_scenario_plays_under_several_seeds),
		cmocka_unit_test(test_F05_same_seed_same_bytes),
		cmocka_unit_test(test_F05_names_ids_and_aliases),
		cmocka_unit_test(test_F04_text_and_svg_of_every_scenario),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
