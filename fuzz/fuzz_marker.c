/*
 * fuzz_marker.c - libFuzzer target for the PEP 508 marker parser.
 *
 * Invariants, each checked with abort():
 *  - parse -> print -> parse -> print is a fixed point, and the reparsed
 *    marker is equal (dl_marker_eq) with the same hash;
 *  - evaluation in a fixed, complete environment never crashes, and the
 *    original and the reparsed marker give the same result or error code;
 *  - partial evaluation (extras unknown) agrees with every full evaluation
 *    that succeeds, for a few sets of extras;
 *  - the combinations: m and m, m or m have m's value and are idempotent,
 *    m and true == m,
 *    m and false == false, m or true == true; m and x / m or x evaluate to
 *    the boolean and / or of the parts when both evaluate, and print to a
 *    fixed point.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/marker.h"

static dl_marker_env *env;
static dl_marker *x; /* a fixed second operand */

static void setup(void)
{
	static const char *const kv[][2] = {
		{"python_version", "3.11"},
		{"python_full_version", "3.11.4"},
		{"os_name", "posix"},
		{"sys_platform", "linux"},
		{"platform_release", "6.1.0-13-amd64"},
		{"platform_system", "Linux"},
		{"platform_version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)"},
		{"platform_machine", "x86_64"},
		{"platform_python_implementation", "CPython"},
		{"implementation_name", "cpython"},
		{"implementation_version", "3.11.4"},
	};
	if (dl_marker_env_new(&env) != 0)
		abort();
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
		if (dl_marker_env_set_by_name(env, kv[i][0], strlen(kv[i][0]), kv[i][1], strlen(kv[i][1])) != 0)
			abort();
	}
	if (dl_marker_env_add_extra(env, "test", 4) != 0 || dl_marker_env_add_group(env, "dev", 3) != 0)
		abort();
	const char *xs = "os_name == 'posix' and python_version >= '3.8'";
	if (dl_marker_parse(&x, xs, strlen(xs)) != 0)
		abort();
}

static char *print(const dl_marker *m)
{
	char *s = NULL;
	if (dl_marker_to_string(&s, m) != 0)
		abort();
	return s;
}

static void check_partial(const dl_marker *m)
{
	dl_marker_value pv;
	if (dl_marker_evaluate_partial(m, env, &pv) != 0 || pv == DL_MARKER_UNKNOWN)
		return;
	static const char *const sets[][2] = {{"test", NULL}, {"a", "b"}, {"", NULL}, {"Test", "dev"}};
	static const size_t counts[] = {1, 2, 0, 2};
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		bool v;
		if (dl_marker_evaluate_extras(m, env, sets[i], counts[i], &v) == 0 && v != (pv == DL_MARKER_TRUE))
			abort();
	}
}

static void check_combine(const dl_marker *m, int rc, bool v)
{
	dl_marker *r = NULL, *r2 = NULL, *t = NULL, *f = NULL;
	for (int op = 0; op < 2; op++) {
		/* m op m drops duplicate operands (those of m itself too), so it
		 * need not be m; but it has m's value, and applying m again
		 * changes nothing */
		if ((op == 0 ? dl_marker_and(&r, m, m) : dl_marker_or(&r, m, m)) != 0)
			abort();
		if ((op == 0 ? dl_marker_and(&r2, r, m) : dl_marker_or(&r2, r, m)) != 0 || !dl_marker_eq(r, r2))
			abort();
		bool vr;
		int rcr = dl_marker_evaluate(r, env, &vr);
		if (rc == 0 && (rcr != 0 || vr != v))
			abort();
		dl_marker_free(r);
		dl_marker_free(r2);
	}
	if (dl_marker_true(&t) != 0 || dl_marker_false(&f) != 0)
		abort();
	if (dl_marker_and(&r, m, t) != 0 || !dl_marker_eq(r, m))
		abort();
	dl_marker_free(r);
	if (dl_marker_and(&r, f, m) != 0 || !dl_marker_is_false(r))
		abort();
	dl_marker_free(r);
	if (dl_marker_or(&r, m, t) != 0 || !dl_marker_is_true(r))
		abort();
	dl_marker_free(r);
	dl_marker_free(t);
	dl_marker_free(f);

	bool vx;
	if (dl_marker_evaluate(x, env, &vx) != 0)
		abort();
	for (int op = 0; op < 2; op++) {
		if ((op == 0 ? dl_marker_and(&r, m, x) : dl_marker_or(&r, m, x)) != 0)
			abort();
		bool vr;
		int rcr = dl_marker_evaluate(r, env, &vr);
		if (rc == 0) {
			if (rcr != 0 || vr != (op == 0 ? (v && vx) : (v || vx)))
				abort();
		}
		/* the combination prints to a fixed point */
		char *s1 = print(r);
		dl_marker *back = NULL;
		if (dl_marker_parse(&back, s1, strlen(s1)) != 0)
			abort();
		char *s2 = print(back);
		if (strcmp(s1, s2) != 0 || !dl_marker_eq(r, back))
			abort();
		dl_free(s1);
		dl_free(s2);
		dl_marker_free(back);
		dl_marker_free(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (env == NULL)
		setup();
	dl_marker *m = NULL, *m2 = NULL, *m3 = NULL;
	if (dl_marker_parse(&m, (const char *)data, size) != 0)
		return 0;
	char *s1 = print(m);
	if (dl_marker_parse(&m2, s1, strlen(s1)) != 0)
		abort();
	char *s2 = print(m2);
	if (strcmp(s1, s2) != 0)
		abort();
	if (!dl_marker_eq(m, m2) || dl_marker_hash(m) != dl_marker_hash(m2))
		abort();
	if (dl_marker_clone(&m3, m) != 0 || !dl_marker_eq(m, m3))
		abort();

	bool v1 = false, v2 = false;
	int rc1 = dl_marker_evaluate(m, env, &v1);
	int rc2 = dl_marker_evaluate(m2, env, &v2);
	if (rc1 != rc2 || (rc1 == 0 && v1 != v2))
		abort();
	if (rc1 != 0 && rc1 != DL_EINVAL && rc1 != DL_ENOTFOUND)
		abort();
	check_partial(m);
	check_combine(m, rc1, v1);

	dl_free(s1);
	dl_free(s2);
	dl_marker_free(m);
	dl_marker_free(m2);
	dl_marker_free(m3);
	return 0;
}
