/*
 * fuzz_toml.c - libFuzzer target for the TOML reader and writer.
 *
 * Any input: the parser either fails with a positioned DL_EPARSE/DL_ELIMIT
 * message naming the source, or succeeds.  On success the invariants are:
 * the writer accepts the tree; its output parses back to an equal tree;
 * writing that tree gives the same bytes again (the writer is a function of
 * the tree); and the path of every value leads back to that value.  Any
 * violation aborts.  Deterministic and leak-free (the replay test runs it
 * under ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walk at most this many values, so one input stays fast. */
#define WALK_BUDGET 2000

static void check_paths(const dl_toml_value *root, const dl_toml_value *v, int *budget)
{
	if (--*budget < 0)
		return;
	dl_buf b = DL_BUF_INIT;
	if (dl_toml_value_path(&b, v) != 0)
		abort();
	/* get_path takes keys without escapes, so only escape-free paths go back */
	if (memchr(dl_buf_cstr(&b), '\\', b.len) == NULL && strlen(dl_buf_cstr(&b)) == b.len) {
		if (dl_toml_get_path(root, dl_buf_cstr(&b)) != v)
			abort();
	}
	dl_buf_free(&b);
	/* the checked accessors' messages on a mismatch */
	dl_toml_type other = dl_toml_value_type(v) == DL_TOML_STRING ? DL_TOML_INTEGER : DL_TOML_STRING;
	if (dl_toml_expect(v, other) != DL_EPARSE || dl_toml_expect(v, dl_toml_value_type(v)) != 0)
		abort();
	size_t n = dl_toml_array_len(v);
	for (size_t i = 0; i < n; i++)
		check_paths(root, dl_toml_array_at(v, i), budget);
	n = dl_toml_table_len(v);
	for (size_t i = 0; i < n; i++) {
		const char *key;
		size_t keylen;
		const dl_toml_value *item = dl_toml_table_at(v, i, &key, &keylen);
		if (dl_toml_table_getn(v, key, keylen) != item)
			abort();
		check_paths(root, item, budget);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dl_toml_doc *doc = NULL, *again = NULL;
	int rc = dl_toml_parse(&doc, (const char *)data, size, "fuzz", NULL);
	if (rc != 0) {
		const char *msg = dl_error_last()->message;
		if ((rc != DL_EPARSE && rc != DL_ELIMIT) || strncmp(msg, "fuzz:", 5) != 0 || doc != NULL)
			abort();
		return 0;
	}
	const dl_toml_value *root = dl_toml_doc_root(doc);
	dl_buf out = DL_BUF_INIT, out2 = DL_BUF_INIT;
	if (dl_toml_write(&out, root) != 0)
		abort();
	if (dl_toml_parse(&again, out.ptr != NULL ? out.ptr : "", out.len, "written", NULL) != 0)
		abort();
	if (!dl_toml_value_equal(root, dl_toml_doc_root(again)) || !dl_toml_value_equal(dl_toml_doc_root(again), root))
		abort();
	if (dl_toml_write(&out2, dl_toml_doc_root(again)) != 0 || out.len != out2.len ||
	    (out.len != 0 && memcmp(out.ptr, out2.ptr, out.len) != 0))
		abort();
	int budget = WALK_BUDGET;
	check_paths(root, root, &budget);
	dl_buf_free(&out);
	dl_buf_free(&out2);
	dl_toml_doc_free(again);
	dl_toml_doc_free(doc);
	return 0;
}
