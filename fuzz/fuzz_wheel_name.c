/*
 * fuzz_wheel_name.c - wheel file names and compressed tag sets.
 *
 * Parses the input as a wheel file name and as a bare tag set.  When a name
 * parses, its parts must reassemble to the input byte for byte, agree with
 * each other (normalised name, version text vs parsed version, build tag vs
 * number and suffix) and the tag set must match a supported-tag list
 * without error and with a rank inside the list.  A tag set that parses
 * must format back to the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/filename.h"
#include "deeplock/name.h"
#include "deeplock/tags.h"

static dl_tag_list *target_list(void)
{
	/* Built once: a rich list (many platforms, several ABIs). */
	static dl_tag_list *list;
	if (list == NULL) {
		dl_tag_target t = DL_TAG_TARGET_INIT;
		if (dl_tag_target_set(&t, "python", "3.11", 4) != 0 ||
		    dl_tag_target_set(&t, "platform", "manylinux_2_28_x86_64", 21) != 0 || dl_tag_list_new(&list, &t) != 0)
			abort();
	}
	return list;
}

static void check_tagset(const dl_tagset *set)
{
	size_t n = dl_tagset_count(set);
	if (n == 0 || n > DL_TAGSET_MAX_EXPANDED)
		abort();
	dl_tag t;
	if (dl_tagset_get(set, n - 1, &t) != 0 || dl_tagset_get(set, n, &t) != DL_EINVAL)
		abort();
	size_t rank = SIZE_MAX;
	int m = dl_tag_list_match(target_list(), set, &rank);
	if (m == 1) {
		if (rank >= dl_tag_list_count(target_list()))
			abort();
		/* The best rank is the minimum over the expansion. */
		long best = -1;
		for (size_t i = 0; i < n; i++) {
			dl_tagset_get(set, i, &t);
			long r = dl_tag_list_rank(target_list(), t.python, strlen(t.python), t.abi, strlen(t.abi), t.platform,
			                          strlen(t.platform));
			if (r >= 0 && (best < 0 || r < best))
				best = r;
		}
		if (best != (long)rank)
			abort();
	} else if (m != 0 || rank != SIZE_MAX) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	dl_tagset *set = NULL;
	if (dl_tagset_parse(&set, s, size) == 0) {
		dl_buf b = DL_BUF_INIT;
		if (dl_tagset_format(set, &b) != 0 || b.len != size || memcmp(b.ptr, s, size) != 0)
			abort();
		dl_buf_free(&b);
		check_tagset(set);
		dl_tagset_free(set);
	}

	dl_wheel_filename *w = NULL;
	if (dl_filename_parse_wheel(&w, s, size) != 0) {
		if (w != NULL)
			abort();
		return 0;
	}
	if (dl_filename_classify(s, size) != DL_DIST_WHEEL)
		abort();
	dl_buf b = DL_BUF_INIT;
	if (dl_wheel_filename_format(w, &b) != 0 || b.len != size || memcmp(b.ptr, s, size) != 0)
		abort();
	dl_buf_free(&b);

	size_t nlen = strlen(w->name);
	if (!dl_name_is_valid(w->name, nlen) || strchr(w->name, '-') != NULL || strstr(w->name, "__") != NULL)
		abort();
	char norm[DL_FILENAME_MAX + 1];
	dl_name_normalize_into(norm, w->name, nlen);
	if (strcmp(norm, w->normalized_name) != 0)
		abort();
	dl_version v;
	if (dl_version_parse_into(&v, w->version_text, strlen(w->version_text)) != 0)
		abort();
	if (dl_version_cmp(&v, &w->version) != 0)
		abort();
	dl_version_clear(&v);

	if ((w->build == NULL) != (w->build_suffix == NULL))
		abort();
	if (w->build != NULL) {
		size_t blen = strlen(w->build), slen = strlen(w->build_suffix);
		if (slen >= blen || strcmp(w->build + blen - slen, w->build_suffix) != 0)
			abort();
		uint64_t num = 0;
		for (size_t i = 0; i < blen - slen; i++) {
			if (w->build[i] < '0' || w->build[i] > '9')
				abort();
			num = num * 10 + (uint64_t)(w->build[i] - '0');
		}
		if (num != w->build_number || (slen > 0 && w->build_suffix[0] >= '0' && w->build_suffix[0] <= '9'))
			abort();
		if (dl_wheel_filename_build_cmp(w, w) != 0)
			abort();
	}
	check_tagset(w->tags);
	dl_wheel_filename_free(w);
	return 0;
}
