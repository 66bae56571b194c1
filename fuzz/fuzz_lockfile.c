/*
 * fuzz_lockfile.c - libFuzzer target for the lock-file readers.  The first
 * byte picks the format (pylock, poetry, pdm, Pipfile.lock, uv, or
 * detection by content); the rest is the lock.  Beyond "no crash, no leak"
 * it checks the model's invariants: every package has a valid normalised
 * name, every hash is lower-case hex, has_sdist agrees with the file kinds,
 * and a failure leaves a positioned message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/lockfile.h"
#include "deeplock/name.h"

static void check(const dl_lockfile *lock)
{
	for (size_t i = 0; i < lock->n_packages; i++) {
		const dl_lockfile_package *p = &lock->packages[i];
		if (p->name == NULL || !dl_name_is_valid(p->name, strlen(p->name)))
			abort();
		if (!dl_name_eq(p->name, strlen(p->name), p->normalized_name, strlen(p->normalized_name)))
			abort();
		if (p->version_valid && p->version == NULL)
			abort();
		bool sdist = false, unknown = false;
		for (size_t j = 0; j < p->n_files; j++) {
			const dl_lockfile_file *f = &p->files[j];
			sdist |= f->kind == DL_LOCKFILE_FILE_SDIST || f->kind == DL_LOCKFILE_FILE_ARCHIVE;
			unknown |= f->kind == DL_LOCKFILE_FILE_UNKNOWN;
			for (size_t k = 0; k < f->n_hashes; k++) {
				const char *h = f->hashes[k].hex;
				if (h == NULL || f->hashes[k].algorithm == NULL)
					abort();
				for (; *h != '\0'; h++)
					if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f')))
						abort();
			}
		}
		dl_lockfile_tristate want = sdist ? DL_LOCKFILE_YES : unknown ? DL_LOCKFILE_UNKNOWN : DL_LOCKFILE_NO;
		if (p->has_sdist != want)
			abort();
		for (size_t j = 0; j < p->n_deps; j++)
			if (p->deps[j].name == NULL || p->deps[j].normalized_name == NULL)
				abort();
	}
	for (size_t i = 0; i < lock->n_indexes; i++)
		if (lock->indexes[i].url == NULL)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const dl_lockfile_format formats[] = {DL_LOCKFILE_PYLOCK, DL_LOCKFILE_POETRY,      DL_LOCKFILE_PDM,
	                                             DL_LOCKFILE_PIPFILE, DL_LOCKFILE_UV, DL_LOCKFILE_REQUIREMENTS};
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	unsigned pick = data[0] % 7;
	dl_lockfile_format fmt;
	if (pick == 6) {
		if (dl_lockfile_detect(NULL, text, len, &fmt) != 0)
			return 0;
	} else {
		fmt = formats[pick];
	}
	dl_lockfile *lock = NULL;
	int rc = dl_lockfile_parse(&lock, fmt, text, len, "fuzz.lock");
	if (rc == 0) {
		check(lock);
		dl_lockfile_free(lock);
	} else {
		if (lock != NULL)
			abort();
		const dl_error *e = dl_error_last();
		if (e->code != rc || strncmp(e->message, "fuzz.lock", 9) != 0)
			abort();
	}
	return 0;
}
