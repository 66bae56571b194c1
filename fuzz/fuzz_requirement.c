/*
 * fuzz_requirement.c - libFuzzer target for the PEP 508 requirement parser.
 *
 * Invariants, each checked with abort(): parse -> print -> parse succeeds
 * and gives an equal requirement (dl_requirement_eq) with the same hash and
 * the same printed form; a clone is equal; the normalised name and extras
 * are in normal form (printing them through the name module changes
 * nothing).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/name.h"
#include "deeplock/requirement.h"

static char *print(const dl_requirement *r)
{
	char *s = NULL;
	if (dl_requirement_to_string(&s, r) != 0)
		abort();
	return s;
}

static void check_normal(const char *s)
{
	size_t n = strlen(s);
	char *copy = malloc(n + 1);
	if (copy == NULL)
		abort();
	dl_name_normalize_into(copy, s, n);
	if (strcmp(copy, s) != 0)
		abort();
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dl_requirement *r = NULL, *r2 = NULL, *r3 = NULL;
	if (dl_requirement_parse(&r, (const char *)data, size) != 0)
		return 0;
	check_normal(r->normalized_name);
	for (size_t i = 0; i < r->n_extras; i++) {
		check_normal(r->extras[i]);
		if (i > 0 && strcmp(r->extras[i - 1], r->extras[i]) >= 0)
			abort();
	}
	char *s1 = print(r);
	if (dl_requirement_parse(&r2, s1, strlen(s1)) != 0)
		abort();
	if (!dl_requirement_eq(r, r2) || dl_requirement_hash(r) != dl_requirement_hash(r2))
		abort();
	char *s2 = print(r2);
	if (strcmp(s1, s2) != 0)
		abort();
	if (dl_requirement_clone(&r3, r) != 0 || !dl_requirement_eq(r, r3))
		abort();
	dl_free(s1);
	dl_free(s2);
	dl_requirement_free(r);
	dl_requirement_free(r2);
	dl_requirement_free(r3);
	return 0;
}
