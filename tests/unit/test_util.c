/*
 * test_util.c - the stored error, the bounded buffer, the arena, names, and
 * the allocation-failure harness itself.
 */
#include <string.h>

#include "dltest.h"
#include "deeplock/name.h"
#include "deeplock/strpool.h"
#include <stdio.h>

static void test_error_context(void **state)
{
	(void)state;
	dl_error_clear();
	assert_int_equal(dl_error_last()->code, DL_OK);
	assert_string_equal(dl_error_last()->message, "");
	assert_int_equal(dl_error_set(DL_EPARSE, "bad thing at %d", 7), DL_EPARSE);
	assert_int_equal(dl_error_context("reading %s", "x.toml"), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "bad thing at 7\n  while reading x.toml");
	dl_error_clear();
	assert_int_equal(dl_error_context("ignored"), DL_OK);
}

static void test_buf_cap(void **state)
{
	(void)state;
	dl_buf b;
	dl_buf_init(&b, 8);
	assert_int_equal(dl_buf_puts(&b, "abcd"), 0);
	assert_int_equal(dl_buf_printf(&b, "%d", 123), 0);
	assert_string_equal(dl_buf_cstr(&b), "abcd123");
	assert_int_equal(dl_buf_puts(&b, "xy"), DL_ELIMIT);
	/* sticky: a later small append fails too, and the contents are gone */
	assert_int_equal(dl_buf_putc(&b, 'z'), DL_ELIMIT);
	assert_null(dl_buf_detach(&b, NULL));
	dl_buf_free(&b);
}

static void test_arena(void **state)
{
	(void)state;
	dl_arena *a = NULL;
	assert_int_equal(dl_arena_new(&a), 0);
	for (int i = 0; i < 10000; i++) {
		char *s = dl_arena_strndup(a, "hello", 5);
		assert_non_null(s);
		assert_string_equal(s, "hello");
		assert_int_equal((uintptr_t)s % 16, 0);
	}
	void *big = dl_arena_alloc(a, 5 * 1024 * 1024);
	assert_non_null(big);
	memset(big, 1, 5 * 1024 * 1024);
	assert_true(dl_arena_bytes(a) >= 10000 * 16 + 5 * 1024 * 1024);
	dl_arena_free(a);
}

static void test_names(void **state)
{
	(void)state;
	const char *in[] = {"Foo.Bar", "foo__bar", "FOO-_-bar", "foo", "a", "x1.2-b_C"};
	const char *want[] = {"foo-bar", "foo-bar", "foo-bar", "foo", "a", "x1-2-b-c"};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *out = NULL;
		assert_int_equal(dl_name_normalize(&out, in[i], strlen(in[i])), 0);
		assert_string_equal(out, want[i]);
		assert_true(dl_name_eq(in[i], strlen(in[i]), want[i], strlen(want[i])));
		dl_free(out);
	}
	const char *bad[] = {"", "-foo", "foo-", "fo o", "f\xc3\xa9", ".a"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = NULL;
		assert_int_equal(dl_name_normalize(&out, bad[i], strlen(bad[i])), DL_EPARSE);
		assert_null(out);
	}
	assert_false(dl_name_eq("foo", 3, "foo-bar", 7));
	assert_false(dl_name_eq("foo-bar", 7, "foo", 3));
}

struct build_ctx {
	int n;
};

/* A function that allocates several times and cleans up on each failure. */
static int build_things(void *ctx)
{
	struct build_ctx *c = ctx;
	dl_buf b = DL_BUF_INIT;
	dl_arena *a = NULL;
	int rc = dl_arena_new(&a);
	if (rc < 0)
		goto done;
	for (int i = 0; i < c->n; i++) {
		if (dl_arena_alloc(a, 3000) == NULL) {
			rc = dl_error_oom();
			goto done;
		}
		if ((rc = dl_buf_printf(&b, "item %d;", i)) < 0)
			goto done;
	}
done:
	dl_buf_free(&b);
	dl_arena_free(a);
	return rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	struct build_ctx c = {50};
	dltest_each_alloc_failure(build_things, &c);
}

static void test_strpool(void **state)
{
	(void)state;
	dl_strpool *p = NULL;
	assert_int_equal(dl_strpool_new(&p), 0);
	char name[32];
	dl_strid ids[5000];
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(name, sizeof(name), "pkg-%d", i);
		assert_int_equal(dl_strpool_intern(p, name, (size_t)n, &ids[i]), 0);
		assert_int_equal(ids[i], (dl_strid)(i + 1));
	}
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(name, sizeof(name), "pkg-%d", i);
		dl_strid again = 0;
		assert_int_equal(dl_strpool_intern(p, name, (size_t)n, &again), 0);
		assert_int_equal(again, ids[i]);
		assert_int_equal(dl_strpool_find(p, name, (size_t)n), ids[i]);
		assert_string_equal(dl_strpool_str(p, ids[i]), name);
		assert_int_equal(dl_strpool_len(p, ids[i]), (size_t)n);
	}
	assert_int_equal(dl_strpool_count(p), 5000);
	assert_int_equal(dl_strpool_find(p, "nope", 4), 0);
	assert_null(dl_strpool_str(p, 0));
	assert_null(dl_strpool_str(p, 5001));
	/* embedded NUL and empty strings are distinct keys */
	dl_strid a = 0, b = 0;
	assert_int_equal(dl_strpool_intern(p, "a\0b", 3, &a), 0);
	assert_int_equal(dl_strpool_intern(p, "", 0, &b), 0);
	assert_int_not_equal(a, b);
	assert_int_equal(dl_strpool_len(p, a), 3);
	dl_strpool_free(p);
	/* stable across runs: a fixed value */
	assert_true(dl_hash_bytes("deeplock", 8) == dl_hash_bytes("deeplock", 8));
	assert_true(dl_hash_bytes("a", 1) != dl_hash_bytes("b", 1));
}

static int intern_many(void *ctx)
{
	(void)ctx;
	dl_strpool *p = NULL;
	int rc = dl_strpool_new(&p);
	if (rc < 0)
		return rc;
	char name[32];
	for (int i = 0; i < 300 && rc == 0; i++) {
		int n = snprintf(name, sizeof(name), "name-%d", i % 200);
		dl_strid id;
		rc = dl_strpool_intern(p, name, (size_t)n, &id);
	}
	dl_strpool_free(p);
	return rc;
}

static void test_strpool_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(intern_many, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_context),
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_strpool),
		cmocka_unit_test(test_strpool_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
