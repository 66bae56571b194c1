/*
 * fuzz_pylock_read.c - deeplock's pylock.toml reader (dl_lock_read_pylock),
 * which export, tree, why, --check and re-locking run on lock files that
 * arrive in pull requests.  Invariants: no crash or leak; on success the
 * model writes back as a document that reads again to the same bytes (the
 * writer sorts, so the second write is the fixed point); on failure the
 * stored error names the input.
 */
#include <stdlib.h>
#include <string.h>

#include "deeplock/lock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dl_lock_doc *d = NULL;
	int rc = dl_lock_read_pylock(&d, (const char *)data, size, "fuzz.toml");
	if (rc != 0) {
		if (d != NULL || dl_error_last()->code != rc)
			abort();
		return 0;
	}
	dl_buf a = DL_BUF_INIT, b = DL_BUF_INIT;
	int wa = dl_lock_write_pylock(dl_lock_doc_lock(d), &a);
	if (wa == 0) {
		dl_lock_doc *d2 = NULL;
		if (dl_lock_read_pylock(&d2, a.ptr, a.len, "again.toml") != 0)
			abort(); /* what the writer wrote must read */
		if (dl_lock_write_pylock(dl_lock_doc_lock(d2), &b) != 0)
			abort();
		if (a.len != b.len || memcmp(a.ptr, b.ptr, a.len) != 0)
			abort();
		dl_lock_doc_free(d2);
	}
	dl_buf_free(&a);
	dl_buf_free(&b);
	dl_lock_doc_free(d);
	return 0;
}
