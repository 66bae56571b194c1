/*
 * fuzz_setuppy.c - the setup.py tokenizer and literal evaluator on
 * arbitrary bytes.
 *
 * Analyses the input and checks the result is well formed.  Then the
 * static values are written out as a new setup.py (Python string literals
 * with escapes) and analysed again, twice: the second and third
 * generations must be identical, which exercises the string decoder and
 * the evaluator against the writer (the first generation may differ
 * because setuptools' requirement splitting is not idempotent on trailing
 * spaces).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/sdist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const dl_setup_value *v)
{
	if (v->state == DL_SETUP_DYNAMIC && (v->reason == NULL || v->reason[0] == '\0'))
		abort();
	if (v->state == DL_SETUP_ABSENT && (v->reason != NULL || v->count != 0))
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
			if (v->extras[i].reqs[k] == NULL)
				abort();
		}
	}
}

static void check_args(const dl_setup_args *a)
{
	const dl_setup_value *all[] = {&a->name, &a->version, &a->python_requires, &a->install_requires,
	                               &a->setup_requires, &a->extras_require};
	for (size_t i = 0; i < 6; i++) {
		check_value(all[i]);
		if (a->whole_reason != NULL && all[i]->state != DL_SETUP_DYNAMIC)
			abort();
	}
}

static void py_str(dl_buf *out, const char *s)
{
	dl_buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			dl_buf_printf(out, "\\%c", *p);
		else if (*p == '\n')
			dl_buf_puts(out, "\\n");
		else if (*p < 0x20 || *p == 0x7f)
			dl_buf_printf(out, "\\x%02x", *p);
		else
			dl_buf_putc(out, (char)*p);
	}
	dl_buf_putc(out, '"');
}

static void py_list(dl_buf *out, const char *const *items, size_t n)
{
	dl_buf_putc(out, '[');
	for (size_t i = 0; i < n; i++) {
		py_str(out, items[i]);
		dl_buf_puts(out, ", ");
	}
	dl_buf_putc(out, ']');
}

/* A setup.py giving every static field of `a` as a literal. */
static void write_setup(dl_buf *out, const dl_setup_args *a)
{
	dl_buf_puts(out, "from setuptools import setup\nsetup(\n");
	const struct {
		const char *name;
		const dl_setup_value *v;
	} strs[] = {{"name", &a->name}, {"version", &a->version}, {"python_requires", &a->python_requires}};
	for (size_t i = 0; i < 3; i++) {
		if (strs[i].v->state != DL_SETUP_STATIC)
			continue;
		dl_buf_printf(out, "    %s=", strs[i].name);
		py_str(out, strs[i].v->str);
		dl_buf_puts(out, ",\n");
	}
	if (a->install_requires.state == DL_SETUP_STATIC) {
		dl_buf_puts(out, "    install_requires=");
		py_list(out, a->install_requires.list, a->install_requires.count);
		dl_buf_puts(out, ",\n");
	}
	if (a->setup_requires.state == DL_SETUP_STATIC) {
		dl_buf_puts(out, "    setup_requires=");
		py_list(out, a->setup_requires.list, a->setup_requires.count);
		dl_buf_puts(out, ",\n");
	}
	if (a->extras_require.state == DL_SETUP_STATIC) {
		dl_buf_puts(out, "    extras_require={\n");
		for (size_t i = 0; i < a->extras_require.extras_count; i++) {
			const dl_setup_extra *x = &a->extras_require.extras[i];
			dl_buf_puts(out, "        ");
			py_str(out, x->name);
			dl_buf_puts(out, ": ");
			py_list(out, x->reqs, x->count);
			dl_buf_puts(out, ",\n");
		}
		dl_buf_puts(out, "    },\n");
	}
	dl_buf_puts(out, ")\n");
}

static bool same_value(const dl_setup_value *a, const dl_setup_value *b)
{
	if (a->state != b->state)
		return false;
	if (a->state != DL_SETUP_STATIC)
		return true;
	if ((a->str == NULL) != (b->str == NULL) || (a->str != NULL && strcmp(a->str, b->str) != 0))
		return false;
	if (a->count != b->count || a->extras_count != b->extras_count)
		return false;
	for (size_t i = 0; i < a->count; i++) {
		if (strcmp(a->list[i], b->list[i]) != 0)
			return false;
	}
	for (size_t i = 0; i < a->extras_count; i++) {
		if (strcmp(a->extras[i].name, b->extras[i].name) != 0 || a->extras[i].count != b->extras[i].count)
			return false;
		for (size_t k = 0; k < a->extras[i].count; k++) {
			if (strcmp(a->extras[i].reqs[k], b->extras[i].reqs[k]) != 0)
				return false;
		}
	}
	return true;
}

static dl_setup_args *regenerate(const dl_setup_args *a)
{
	dl_buf text = DL_BUF_INIT;
	write_setup(&text, a);
	if (text.failed)
		abort();
	dl_setup_args *out = NULL;
	int rc = dl_setuppy_analyze(&out, dl_buf_cstr(&text), text.len, "regenerated.py");
	if (rc != 0)
		abort(); /* the writer only writes valid Python */
	dl_buf_free(&text);
	check_args(out);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dl_setup_args *args = NULL;
	int rc = dl_setuppy_analyze(&args, (const char *)data, size, "fuzz.py");
	if (rc < 0) {
		if (args != NULL || (rc != DL_EPARSE && rc != DL_ELIMIT && rc != DL_ENOMEM))
			abort();
		if (strncmp(dl_error_last()->message, "fuzz.py:", 8) != 0)
			abort();
		return 0;
	}
	check_args(args);
	if (args->whole_reason == NULL) {
		dl_setup_args *gen2 = regenerate(args);
		dl_setup_args *gen3 = regenerate(gen2);
		if (!same_value(&gen2->name, &gen3->name) || !same_value(&gen2->version, &gen3->version) ||
		    !same_value(&gen2->python_requires, &gen3->python_requires) ||
		    !same_value(&gen2->install_requires, &gen3->install_requires) ||
		    !same_value(&gen2->setup_requires, &gen3->setup_requires) ||
		    !same_value(&gen2->extras_require, &gen3->extras_require))
			abort();
		dl_setup_args_free(gen2);
		dl_setup_args_free(gen3);
	}
	dl_setup_args_free(args);
	return 0;
}
