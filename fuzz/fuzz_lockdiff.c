/*
 * fuzz_lockdiff.c - libFuzzer target for the lock diff.  The first byte
 * picks each side's format (low nibble old, high nibble new: pylock,
 * poetry, pdm, Pipfile.lock, uv, or detection by content); the rest holds
 * the two locks separated by the first "\n%%\n" (without one, both sides
 * are the whole rest).  Beyond "no crash, no leak" it checks the result's
 * invariants: the counts add up to the entries, entries are sorted by kind,
 * every field a kind promises is there, and a lock diffed against itself
 * has no changes at all.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/lockdiff.h"

static void check(const dl_lockdiff *d)
{
	size_t total = 0;
	for (int k = 0; k < DL_LOCKDIFF_KIND_COUNT; k++)
		total += d->counts[k];
	if (total != d->n_entries)
		abort();
	for (size_t i = 0; i < d->n_entries; i++) {
		const dl_lockdiff_entry *e = &d->entries[i];
		if ((unsigned)e->kind >= DL_LOCKDIFF_KIND_COUNT || (i > 0 && e->kind < d->entries[i - 1].kind))
			abort();
		bool env_entry = e->kind == DL_LOCKDIFF_BUILD_ENV_ADDED || e->kind == DL_LOCKDIFF_BUILD_ENV_REMOVED;
		if (env_entry ? (e->env == NULL || e->name != NULL) : e->name == NULL)
			abort();
		if (dl_lockdiff_kind_is_build(e->kind) && e->reason == NULL)
			abort();
		if (e->kind == DL_LOCKDIFF_HASH_CHANGED && e->n_files == 0)
			abort();
		for (size_t f = 0; f < e->n_files; f++)
			if (e->files[f].algorithm == NULL || (e->files[f].old_hash == NULL && e->files[f].new_hash == NULL &&
			                                      e->files[f].name == NULL))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const dl_lockfile_format formats[] = {DL_LOCKFILE_PYLOCK, DL_LOCKFILE_POETRY, DL_LOCKFILE_PDM,
	                                             DL_LOCKFILE_PIPFILE, DL_LOCKFILE_UV, DL_LOCKFILE_UNKNOWN_FORMAT};
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	const char *a = text, *b = text;
	size_t alen = len, blen = len;
	for (size_t i = 0; i + 4 <= len; i++) {
		if (memcmp(text + i, "\n%%\n", 4) == 0) {
			alen = i + 1;
			b = text + i + 4;
			blen = len - i - 4;
			break;
		}
	}
	dl_lockdiff_input o = {a, alen, "old", NULL, formats[(data[0] & 15) % 6]};
	dl_lockdiff_input n = {b, blen, "new", NULL, formats[(data[0] >> 4) % 6]};
	dl_lockdiff *d = NULL;
	if (dl_lockdiff_compute(&d, &o, &n) == 0) {
		check(d);
		dl_lockdiff_free(d);
	}
	/* Each side against itself. */
	for (int s = 0; s < 2; s++) {
		const dl_lockdiff_input *in = s == 0 ? &o : &n;
		if (dl_lockdiff_compute(&d, in, in) == 0) {
			check(d);
			if (d->n_entries != 0)
				abort();
			dl_lockdiff_free(d);
		}
	}
	return 0;
}
