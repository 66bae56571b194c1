/*
 * fuzz_reqfile.c - the requirements-file reader on arbitrary bytes.
 *
 * The input is the top file "fuzz.txt"; the in-memory reader also offers
 * it again as "self.txt" and "sub/again.txt" (so includes, relative names
 * and cycles are reached) and a small fixed file as "inc.txt".  Checks the
 * invariants of every entry, option and warning, and the shape of errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/reqfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const char *data;
	size_t size;
};

static int read_file(void *ctx, const char *path, dl_buf *out)
{
	const struct input *in = ctx;
	if (strcmp(path, "self.txt") == 0 || strcmp(path, "sub/again.txt") == 0 || strcmp(path, "fuzz.txt") == 0)
		return dl_buf_put(out, in->data, in->size) < 0 ? DL_ENOMEM : 0;
	if (strcmp(path, "inc.txt") == 0 || strcmp(path, "sub/inc.txt") == 0)
		return dl_buf_puts(out, "six==1 --hash=sha256:00\n-c c.txt\n") < 0 ? DL_ENOMEM : 0;
	if (strcmp(path, "c.txt") == 0 || strcmp(path, "sub/c.txt") == 0)
		return dl_buf_puts(out, "idna<3\n") < 0 ? DL_ENOMEM : 0;
	return dl_error_set(DL_ENOTFOUND, "%s: no such file", path);
}

static const char *env(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "A") == 0)
		return "1.0";
	if (strcmp(name, "B") == 0)
		return "--pre";
	if (strcmp(name, "C") == 0)
		return "${A}";
	return NULL;
}

static void check_list(const char *const *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == NULL)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {(const char *)data, size};
	dl_reqfile_options o = DL_REQFILE_OPTIONS_INIT;
	o.read = read_file;
	o.read_ctx = &in;
	o.env = env;
	o.max_depth = 6;
	dl_reqfile *rf = NULL;
	int rc = dl_reqfile_parse(&rf, (const char *)data, size, "fuzz.txt", &o);
	if (rc != 0) {
		if (rf != NULL || (rc != DL_EPARSE && rc != DL_ELIMIT && rc != DL_ENOMEM && rc != DL_ENOTFOUND))
			abort();
		const char *m = dl_error_last()->message;
		if (rc == DL_EPARSE && strncmp(m, "fuzz.txt:", 9) != 0 && strncmp(m, "self.txt:", 9) != 0 &&
		    strncmp(m, "sub/", 4) != 0 && strncmp(m, "inc.txt:", 8) != 0)
			abort();
		return 0;
	}
	if (rf->n_files < 1 || strcmp(rf->files[0], "fuzz.txt") != 0)
		abort();
	for (size_t i = 0; i < rf->n_entries; i++) {
		const dl_reqfile_entry *e = &rf->entries[i];
		if (e->file == NULL || e->line == 0 || e->column == 0 || e->text == NULL || e->text[0] == '\0')
			abort();
		if (e->form == DL_REQFILE_FORM_PEP508 && (e->req == NULL || e->location != NULL))
			abort();
		if (e->form != DL_REQFILE_FORM_PEP508 && e->location == NULL)
			abort();
		if (e->req != NULL && (e->name != e->req->name || e->marker != e->req->marker))
			abort();
		if (e->req == NULL && e->name != NULL)
			abort();
		if (e->kind == DL_REQFILE_EDITABLE && (e->n_hashes != 0 || e->n_global_options != 0))
			abort();
		for (size_t k = 0; k < e->n_hashes; k++)
			if (strncmp(e->hashes[k], "sha", 3) != 0 || strchr(e->hashes[k], ':') == NULL)
				abort();
		for (size_t k = 0; k < e->n_config_settings; k++)
			if (strchr(e->config_settings[k], '=') == NULL)
				abort();
		check_list(e->extras, e->n_extras);
		check_list(e->via, e->n_via);
		check_list(e->global_options, e->n_global_options);
	}
	for (size_t i = 0; i < rf->n_options; i++) {
		const dl_reqfile_option *op = &rf->options[i];
		bool flag = op->opt == DL_REQFILE_OPT_NO_INDEX || op->opt == DL_REQFILE_OPT_PRE ||
		            op->opt == DL_REQFILE_OPT_PREFER_BINARY || op->opt == DL_REQFILE_OPT_REQUIRE_HASHES;
		if (flag != (op->value == NULL) || op->line == 0 || op->column == 0 ||
		    strcmp(dl_reqfile_opt_name(op->opt), "unknown") == 0)
			abort();
	}
	for (size_t i = 0; i < rf->n_warnings; i++)
		if (rf->warnings[i].message == NULL || rf->warnings[i].line == 0)
			abort();
	dl_reqfile_free(rf);
	return 0;
}
