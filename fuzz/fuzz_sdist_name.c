/*
 * fuzz_sdist_name.c - sdist file names.
 *
 * Parses the input as an sdist file name without an expected project, and
 * again with the first line of the input as the expected project and the
 * rest as the name.  A parsed name must reassemble to the input, its parts
 * must be consistent (a valid project name, a version text that parses to
 * the same version, an extension that classifies as an sdist), and parsing
 * again with the found project must give the same split.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/filename.h"
#include "deeplock/name.h"

static void check(const dl_sdist_filename *sd, const char *s, size_t size)
{
	dl_buf b = DL_BUF_INIT;
	if (dl_sdist_filename_format(sd, &b) != 0 || b.len != size || memcmp(b.ptr, s, size) != 0)
		abort();
	dl_buf_free(&b);
	if (dl_filename_classify(s, size) != DL_DIST_SDIST)
		abort();
	size_t nlen = strlen(sd->name);
	if (!dl_name_is_valid(sd->name, nlen))
		abort();
	char norm[DL_FILENAME_MAX + 1];
	dl_name_normalize_into(norm, sd->name, nlen);
	if (strcmp(norm, sd->normalized_name) != 0)
		abort();
	dl_version v;
	if (dl_version_parse_into(&v, sd->version_text, strlen(sd->version_text)) != 0)
		abort();
	if (dl_version_cmp(&v, &sd->version) != 0)
		abort();
	dl_version_clear(&v);
	if (dl_filename_classify(sd->extension, strlen(sd->extension)) != DL_DIST_SDIST)
		abort();
	if (sd->pep625 && (sd->format != DL_SDIST_TAR_GZ || strchr(sd->name, '-') != NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	dl_sdist_filename *sd = NULL;
	if (dl_filename_parse_sdist(&sd, s, size, NULL, 0) == 0) {
		check(sd, s, size);
		dl_sdist_filename *again = NULL;
		if (dl_filename_parse_sdist(&again, s, size, sd->name, strlen(sd->name)) != 0)
			abort();
		if (strcmp(again->name, sd->name) != 0 || strcmp(again->version_text, sd->version_text) != 0)
			abort();
		dl_sdist_filename_free(again);
		dl_sdist_filename_free(sd);
	} else if (sd != NULL) {
		abort();
	}

	const char *nl = memchr(s, '\n', size);
	if (nl != NULL) {
		size_t plen = (size_t)(nl - s);
		const char *rest = nl + 1;
		size_t rlen = size - plen - 1;
		int rc = dl_filename_parse_sdist(&sd, rest, rlen, s, plen);
		if (rc == 0) {
			check(sd, rest, rlen);
			if (!dl_name_eq(sd->name, strlen(sd->name), s, plen))
				abort();
			dl_sdist_filename_free(sd);
		} else if (rc != DL_EPARSE && rc != DL_EINVAL && rc != DL_ELIMIT) {
			abort();
		}
	}
	return 0;
}
