/*
 * fuzz_metadata.c - core metadata and WHEEL files.
 *
 * Parses the input strictly and leniently as core metadata and as a WHEEL
 * file.  When a document parses: the JSON conversion succeeds and has the
 * name when there is one; the typed pointers agree with the field list;
 * writing the headers back and parsing the result gives the same fields,
 * values and body (and the strict parse still succeeds).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/metadata.h"

static void same(const dl_metadata *a, const dl_metadata *b)
{
	if (a->n_fields != b->n_fields)
		abort();
	for (size_t i = 0; i < a->n_fields; i++) {
		if (strcmp(a->fields[i].name, b->fields[i].name) != 0 || a->fields[i].value_len != b->fields[i].value_len ||
		    memcmp(a->fields[i].value, b->fields[i].value, a->fields[i].value_len) != 0)
			abort();
		if (strlen(a->fields[i].value) != a->fields[i].value_len)
			abort();
	}
	if ((a->body == NULL) != (b->body == NULL))
		abort();
	if (a->body != NULL && (a->body_len != b->body_len || memcmp(a->body, b->body, a->body_len) != 0))
		abort();
	if (a->n_requires_dist != b->n_requires_dist || a->n_provides_extra != b->n_provides_extra ||
	    a->n_dynamic != b->n_dynamic)
		abort();
}

static void check(const dl_metadata *md, const dl_metadata_options *opts)
{
	json_t *j = NULL;
	if (dl_metadata_to_json(&j, md) != 0 || !json_is_object(j))
		abort();
	if (md->name != NULL && dl_metadata_get(md, "Name") == md->name &&
	    !json_is_string(json_object_get(j, "name")))
		abort();
	json_decref(j);
	if (md->n_requires_dist != dl_metadata_count(md, "Requires-Dist"))
		abort();
	for (size_t i = 0; i < md->n_requires_dist; i++) {
		if (md->requires_dist[i] != dl_metadata_get_nth(md, "requires-dist", i))
			abort();
	}
	dl_buf b = DL_BUF_INIT;
	if (dl_metadata_write(md, &b) != 0)
		abort();
	dl_metadata *again = NULL;
	if (dl_metadata_parse(&again, b.ptr != NULL ? b.ptr : "", b.len, opts) != 0)
		abort();
	same(md, again);
	dl_metadata_free(again);
	dl_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	dl_metadata_options opts = DL_METADATA_OPTIONS_INIT;
	opts.max_size = 1 << 20;
	dl_metadata *md = NULL;
	if (dl_metadata_parse(&md, s, size, &opts) == 0) {
		if (md->name == NULL || md->version_text == NULL || !md->version_valid)
			abort();
		check(md, &opts);
		dl_metadata_free(md);
	} else if (md != NULL) {
		abort();
	}
	opts.lenient = true;
	md = NULL;
	if (dl_metadata_parse(&md, s, size, &opts) == 0) {
		check(md, &opts);
		dl_metadata_free(md);
	}
	dl_wheel_info *wi = NULL;
	if (dl_metadata_parse_wheel_file(&wi, s, size, &opts) == 0) {
		if (wi->wheel_version == NULL || wi->wv_major != 1)
			abort();
		dl_wheel_info_free(wi);
	}
	return 0;
}
