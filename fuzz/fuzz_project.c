/*
 * fuzz_project.c - the project reader on arbitrary bytes.
 *
 * The input is cut at its first two NUL bytes into pyproject.toml,
 * setup.cfg and setup.py of a project in "p" (a missing part is a missing
 * file); the whole input is also read as a requirements-file project.
 * Checks the model's invariants and the shape of errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/project.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct parts {
	const char *p[3];
	size_t n[3];
	const char *whole;
	size_t whole_n;
};

static int read_file(void *ctx, const char *path, dl_buf *out)
{
	const struct parts *P = ctx;
	static const char *const names[3] = {"p/pyproject.toml", "p/setup.cfg", "p/setup.py"};
	for (int i = 0; i < 3; i++)
		if (strcmp(path, names[i]) == 0 && P->p[i] != NULL)
			return dl_buf_put(out, P->p[i], P->n[i]) < 0 ? DL_ENOMEM : 0;
	if (strcmp(path, "r.txt") == 0)
		return dl_buf_put(out, P->whole, P->whole_n) < 0 ? DL_ENOMEM : 0;
	if (strcmp(path, "p/req.txt") == 0)
		return dl_buf_puts(out, "a\nb>=1 # c\n") < 0 ? DL_ENOMEM : 0;
	return dl_error_set(DL_ENOTFOUND, "%s: no such file", path);
}

static void check_list(const dl_project_list *l)
{
	if (l->dynamic != NULL && l->count != 0)
		abort();
	for (size_t i = 0; i < l->count; i++)
		if (l->items[i].req == NULL || l->items[i].text == NULL || l->items[i].file == NULL)
			abort();
	for (size_t i = 0; i < l->n_includes; i++)
		if (l->includes[i] == NULL || l->includes[i][0] == '\0')
			abort();
}

static void check(const dl_project *p)
{
	check_list(&p->runtime);
	check_list(&p->constraints);
	check_list(&p->build_requires);
	check_list(&p->setup_requires);
	for (size_t i = 0; i < p->n_extras; i++) {
		if (p->extras[i].name == NULL || p->extras[i].name[0] == '\0')
			abort();
		check_list(&p->extras[i]);
	}
	for (size_t i = 0; i < p->n_groups; i++) {
		if (p->groups[i].name == NULL || p->groups[i].name[0] == '\0')
			abort();
		for (size_t k = 0; k < i; k++)
			if (strcmp(p->groups[i].name, p->groups[k].name) == 0)
				abort();
		check_list(&p->groups[i]);
	}
	for (size_t i = 0; i < p->n_unknowable; i++)
		if (p->unknowable[i] == NULL || p->unknowable[i][0] == '\0')
			abort();
	if (p->name.value != NULL && p->name.dynamic != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parts P;
	memset(&P, 0, sizeof(P));
	P.whole = (const char *)data;
	P.whole_n = size;
	const char *s = (const char *)data, *end = s + size;
	for (int i = 0; i < 3 && s <= end; i++) {
		const char *z = memchr(s, '\0', (size_t)(end - s));
		P.p[i] = s;
		P.n[i] = z ? (size_t)(z - s) : (size_t)(end - s);
		if (z == NULL)
			break;
		s = z + 1;
	}
	dl_project_options o = DL_PROJECT_OPTIONS_INIT;
	o.read = read_file;
	o.read_ctx = &P;
	dl_project *p = NULL;
	int rc = dl_project_read_dir(&p, "p", &o);
	if (rc == 0) {
		if (p->build_backend.value == NULL)
			abort();
		check(p);
		dl_project_free(p);
	} else if (p != NULL || (rc != DL_EPARSE && rc != DL_ELIMIT && rc != DL_ENOMEM && rc != DL_ENOTFOUND)) {
		abort();
	} else if (rc == DL_EPARSE && strncmp(dl_error_last()->message, "p/", 2) != 0) {
		abort();
	}
	p = NULL;
	rc = dl_project_read_requirements(&p, "r.txt", &o);
	if (rc == 0) {
		check(p);
		if (p->reqfile == NULL)
			abort();
		dl_project_free(p);
	} else if (p != NULL) {
		abort();
	}
	return 0;
}
