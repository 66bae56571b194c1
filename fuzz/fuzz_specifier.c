/*
 * fuzz_specifier.c - libFuzzer target for the PEP 440 specifier-set parser.
 *
 * Invariants, each checked with abort():
 *  - a failure is DL_EPARSE or DL_ELIMIT with a message naming the set;
 *  - a valid set prints to a normal form that parses back to an equal set
 *    (dl_specset_eq both ways, same hash) and prints identically;
 *  - membership: the set contains a version exactly when each specifier
 *    matches it; denying pre-releases only removes pre-releases; the
 *    default policy is "allow" for membership; the reparsed set agrees;
 *  - filter keeps only matching versions, in order, and keeps a
 *    pre-release under the default policy only when the set names one or
 *    no final matched;
 *  - membership of text agrees with membership of the parsed version.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/specifier.h"

static const char *const probe_text[] = {
	"0.dev0", "0",       "0.9",       "1.0.dev0",  "1.0a1",     "1.0b2.post1", "1.0rc1",        "1.0",
	"1.0+abc", "1.0.0",  "1.0.post1", "1.0.post1+x", "1.0.1",   "1.1",         "1.4.5",         "1.5",
	"2.0a1",  "2",       "2.0+x",     "10",        "1!1.0",     "1.2.3.4.5.6.7.8", "18446744073709551615",
};
#define NPROBES (sizeof(probe_text) / sizeof(probe_text[0]))
static dl_version probes[NPROBES];
static bool ready;

static void setup(void)
{
	for (size_t i = 0; i < NPROBES; i++) {
		if (dl_version_parse_into(&probes[i], probe_text[i], strlen(probe_text[i])) != 0)
			abort();
	}
	ready = true;
}

static char *print(const dl_specset *set)
{
	dl_buf b = DL_BUF_INIT;
	dl_buf_put(&b, "", 0);
	if (dl_specset_format(set, &b) != 0)
		abort();
	char *s = dl_buf_detach(&b, NULL);
	if (s == NULL)
		abort();
	return s;
}

static void check_membership(const dl_specset *set, const dl_specset *again)
{
	for (size_t i = 0; i < NPROBES; i++) {
		const dl_version *v = &probes[i];
		bool all = true;
		for (size_t k = 0; k < set->count; k++)
			all = all && dl_spec_matches(&set->specs[k], v);
		bool allow = dl_specset_contains(set, v, DL_PRERELEASES_ALLOW);
		bool deny = dl_specset_contains(set, v, DL_PRERELEASES_DENY);
		bool dflt = dl_specset_contains(set, v, DL_PRERELEASES_DEFAULT);
		if (allow != all || dflt != allow)
			abort();
		if (deny != (allow && !dl_version_is_prerelease(v)))
			abort();
		if (dl_specset_contains(again, v, DL_PRERELEASES_ALLOW) != allow)
			abort();
		if (dl_specset_contains_text(set, probe_text[i], strlen(probe_text[i]), DL_PRERELEASES_ALLOW) != allow)
			abort();
	}
	size_t keep[NPROBES];
	static const int policies[] = {DL_PRERELEASES_DEFAULT, DL_PRERELEASES_ALLOW, DL_PRERELEASES_DENY};
	bool names = dl_specset_names_prerelease(set);
	for (size_t p = 0; p < 3; p++) {
		size_t k = dl_specset_filter(set, probes, NPROBES, policies[p], keep);
		if (k > NPROBES)
			abort();
		bool any_final = false;
		for (size_t i = 0; i < NPROBES; i++)
			any_final = any_final || (dl_specset_contains(set, &probes[i], DL_PRERELEASES_DENY));
		for (size_t j = 0; j < k; j++) {
			if (keep[j] >= NPROBES || (j > 0 && keep[j] <= keep[j - 1]))
				abort();
			const dl_version *v = &probes[keep[j]];
			if (!dl_specset_contains(set, v, DL_PRERELEASES_ALLOW))
				abort();
			if (dl_version_is_prerelease(v) && policies[p] == DL_PRERELEASES_DENY)
				abort();
			if (dl_version_is_prerelease(v) && policies[p] == DL_PRERELEASES_DEFAULT && !names && any_final)
				abort();
		}
		if (set->count > 0) {
			size_t k1 = dl_spec_filter(&set->specs[0], probes, NPROBES, policies[p], keep);
			for (size_t j = 0; j < k1; j++) {
				if (!dl_spec_matches(&set->specs[0], &probes[keep[j]]))
					abort();
			}
		}
	}
	(void)dl_specset_admits_final(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready)
		setup();
	if (size > 4096)
		return 0;
	const char *s = (const char *)data;
	dl_specset *set = NULL;
	int rc = dl_specset_parse(&set, s, size);
	if (rc != 0) {
		const char *m = dl_error_last()->message;
		if ((rc != DL_EPARSE && rc != DL_ELIMIT) || set != NULL)
			abort();
		if (strstr(m, "invalid specifier") == NULL && strstr(m, "in specifier") == NULL)
			abort();
		return 0;
	}
	char *text = print(set);
	dl_specset *again = NULL;
	if (dl_specset_parse(&again, text, strlen(text)) != 0)
		abort();
	if (!dl_specset_eq(set, again) || !dl_specset_eq(again, set) || dl_specset_hash(set) != dl_specset_hash(again))
		abort();
	if (again->count != set->count)
		abort();
	char *text2 = print(again);
	if (strcmp(text, text2) != 0)
		abort();
	if (dl_specset_names_prerelease(set) != dl_specset_names_prerelease(again))
		abort();
	check_membership(set, again);
	dl_free(text);
	dl_free(text2);
	dl_specset_free(again);
	dl_specset_free(set);
	return 0;
}
