/*
 * fuzz_setupcfg.c - the setup.cfg reader on arbitrary bytes.
 *
 * Parses, checks the invariants of the parsed model, writes the sections
 * back out as INI text (each value's first line on the key's line, later
 * lines indented) and checks that parsing that text gives the same keys and
 * raw values; then runs the setuptools extraction with an in-memory file
 * table and checks its results are well formed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/sdist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int read_file(void *ctx, const char *path, dl_buf *out)
{
	(void)ctx;
	if (strcmp(path, "requirements.txt") == 0)
		return dl_buf_puts(out, "a\n# c\nb; python_version < '3'\n");
	return dl_error_set(DL_ENOTFOUND, "no %s", path);
}

static void check_value(const dl_setup_value *v)
{
	if (v->state == DL_SETUP_DYNAMIC && (v->reason == NULL || v->reason[0] == '\0'))
		abort();
	if (v->state != DL_SETUP_STATIC)
		return;
	for (size_t i = 0; i < v->count; i++) {
		if (v->list[i] == NULL || v->list[i][0] == '\0')
			abort();
	}
	for (size_t i = 0; i < v->extras_count; i++) {
		if (v->extras[i].name == NULL)
			abort();
		for (size_t k = 0; k < v->extras[i].count; k++) {
			if (v->extras[i].reqs[k] == NULL || v->extras[i].reqs[k][0] == '\0')
				abort();
		}
	}
}

/* Write own options back as INI text; false when a key cannot be written
 * unambiguously (it would read back as a section header). */
static bool write_back(const dl_setupcfg *cfg, dl_buf *out)
{
	for (size_t s = 0; s < dl_setupcfg_section_count(cfg); s++) {
		size_t nlen;
		const char *name = dl_setupcfg_section_name(cfg, s, &nlen);
		dl_buf_putc(out, '[');
		dl_buf_put(out, name, nlen);
		dl_buf_puts(out, "]\n");
		for (size_t i = 0; i < dl_setupcfg_option_count(cfg, s); i++) {
			const dl_setupcfg_option *o = dl_setupcfg_option_at(cfg, s, i);
			if (o->inherited)
				continue;
			if (o->key[0] == '[')
				return false;
			dl_buf_put(out, o->key, o->key_len);
			dl_buf_puts(out, " = ");
			for (size_t k = 0; k < o->raw_len; k++) {
				dl_buf_putc(out, o->raw[k]);
				if (o->raw[k] == '\n')
					dl_buf_puts(out, "    ");
			}
			dl_buf_putc(out, '\n');
		}
	}
	return out->failed == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dl_setupcfg *cfg = NULL;
	int rc = dl_setupcfg_parse(&cfg, (const char *)data, size, "fuzz.cfg");
	if (rc < 0) {
		if (cfg != NULL || (rc != DL_EPARSE && rc != DL_ELIMIT && rc != DL_ENOMEM))
			abort();
		if (rc == DL_EPARSE && strncmp(dl_error_last()->message, "fuzz.cfg:", 9) != 0)
			abort();
		return 0;
	}
	bool has_default = false;
	for (size_t s = 0; s < dl_setupcfg_section_count(cfg); s++) {
		size_t nlen = 0;
		const char *name = dl_setupcfg_section_name(cfg, s, &nlen);
		if (name == NULL || nlen == 0 || (nlen == 7 && memcmp(name, "DEFAULT", 7) == 0))
			abort();
		for (size_t i = 0; i < dl_setupcfg_option_count(cfg, s); i++) {
			const dl_setupcfg_option *o = dl_setupcfg_option_at(cfg, s, i);
			if (o->key_len == 0)
				abort();
			if ((o->value == NULL) == (o->error == NULL))
				abort();
			if (o->raw_len > 0 && o->raw[o->raw_len - 1] == '\n')
				abort();
			if (memchr(o->raw, '%', o->raw_len) == NULL &&
			    (o->value_len != o->raw_len || memcmp(o->value, o->raw, o->raw_len) != 0))
				abort();
			if (o->inherited)
				has_default = true;
			/* lookups take C strings: only names and keys without NUL */
			if (strlen(name) == nlen && strlen(o->key) == o->key_len) {
				const dl_setupcfg_option *g = dl_setupcfg_get(cfg, name, o->key);
				if (g == NULL || strcmp(g->key, o->key) != 0)
					abort();
			}
		}
	}
	/* Round trip (without [DEFAULT], which only shows through sections). */
	dl_buf text = DL_BUF_INIT;
	if (!has_default && write_back(cfg, &text)) {
		dl_setupcfg *again = NULL;
		if (dl_setupcfg_parse(&again, dl_buf_cstr(&text), text.len, "again.cfg") != 0)
			abort();
		if (dl_setupcfg_section_count(again) != dl_setupcfg_section_count(cfg))
			abort();
		for (size_t s = 0; s < dl_setupcfg_section_count(cfg); s++) {
			size_t l1, l2;
			const char *n1 = dl_setupcfg_section_name(cfg, s, &l1), *n2 = dl_setupcfg_section_name(again, s, &l2);
			if (l1 != l2 || memcmp(n1, n2, l1) != 0)
				abort();
			if (dl_setupcfg_option_count(cfg, s) != dl_setupcfg_option_count(again, s))
				abort();
			for (size_t i = 0; i < dl_setupcfg_option_count(cfg, s); i++) {
				const dl_setupcfg_option *a = dl_setupcfg_option_at(cfg, s, i);
				const dl_setupcfg_option *b = dl_setupcfg_option_at(again, s, i);
				if (a->key_len != b->key_len || memcmp(a->key, b->key, a->key_len) != 0 || a->raw_len != b->raw_len ||
				    memcmp(a->raw, b->raw, a->raw_len) != 0)
					abort();
			}
		}
		dl_setupcfg_free(again);
	}
	dl_buf_free(&text);

	dl_setup_args *args = NULL;
	rc = dl_setupcfg_extract(&args, cfg, read_file, NULL);
	if (rc == 0) {
		check_value(&args->name);
		check_value(&args->version);
		check_value(&args->python_requires);
		check_value(&args->install_requires);
		check_value(&args->setup_requires);
		check_value(&args->extras_require);
		dl_setup_args_free(args);
	} else if (rc != DL_ENOMEM) {
		abort();
	}
	dl_setupcfg_free(cfg);
	return 0;
}
