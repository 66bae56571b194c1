/*
 * fuzz_mregion.c - libFuzzer target for marker regions (mregion.h), which
 * universal resolution builds from every marker in an index's metadata.
 *
 * The input is a PEP 508 marker; inputs that do not parse are skipped.
 * Invariants, each checked with abort():
 *  - printing is exact or errs on the side of more: the region of the
 *    printed text contains the region (equal unless an opaque `~=`/`===`
 *    comparison had to be negated, which PEP 508 cannot say);
 *  - not(not r) == r, r and not r is empty, r or not r is full;
 *  - sound against evaluation: in a fixed, complete environment where the
 *    marker evaluates to true, that environment (a one-point region) meets
 *    the region;
 *  - dl_mregion_within keeps the part inside a base region;
 *  - the only failures are DL_ELIMIT (a region past its size cap), never
 *    another error or a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/mregion.h"

static dl_marker_env *env;
static dl_mregion *point, *base;

static const char *const KV[][2] = {
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

static void setup(void)
{
	if (dl_marker_env_new(&env) != 0)
		abort();
	for (size_t i = 0; i < sizeof(KV) / sizeof(KV[0]); i++) {
		if (dl_marker_env_set_by_name(env, KV[i][0], strlen(KV[i][0]), KV[i][1], strlen(KV[i][1])) != 0)
			abort();
	}
	if (dl_marker_env_add_extra(env, "test", 4) != 0)
		abort();
	/* the environment as a region: every variable pinned (python_version
	 * follows from python_full_version) */
	static const char pt[] =
		"python_full_version == '3.11.4' and os_name == 'posix' and sys_platform == 'linux' and "
		"platform_release == '6.1.0-13-amd64' and platform_system == 'Linux' and "
		"platform_version == '#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)' and "
		"platform_machine == 'x86_64' and platform_python_implementation == 'CPython' and "
		"implementation_name == 'cpython' and implementation_version == '3.11.4'";
	static const char bs[] = "python_full_version >= '3.9' and sys_platform != 'win32'";
	if (dl_mregion_parse(&point, pt, strlen(pt)) != 0 || dl_mregion_parse(&base, bs, strlen(bs)) != 0)
		abort();
}

/* A failed operation: only the size cap is allowed. */
static void allowed(int rc)
{
	if (rc != DL_ELIMIT)
		abort();
}

static void check(const dl_marker *m)
{
	static const char *const extras[] = {"test"};
	dl_mregion *r = NULL, *n = NULL, *nn = NULL, *both = NULL, *either = NULL, *back = NULL, *in = NULL;
	dl_mregion *a = NULL, *b = NULL;
	char *text = NULL;
	bool yes = false;
	int rc = dl_mregion_from_marker(&r, m, extras, 1);
	if (rc != 0) {
		allowed(rc);
		goto done;
	}
	/* printing */
	if ((rc = dl_mregion_to_string(&text, r)) != 0)
		abort();
	if ((rc = dl_mregion_parse(&back, text, strlen(text))) != 0) {
		allowed(rc);
		goto done;
	}
	if ((rc = dl_mregion_subset(r, back, &yes)) != 0) {
		allowed(rc);
		goto done;
	}
	if (!yes)
		abort();
	/* complement laws */
	if ((rc = dl_mregion_not(&n, r)) != 0 || (rc = dl_mregion_not(&nn, n)) != 0) {
		allowed(rc);
		goto done;
	}
	if ((rc = dl_mregion_eq(nn, r, &yes)) != 0) {
		allowed(rc);
		goto done;
	}
	if (!yes)
		abort();
	if ((rc = dl_mregion_and(&both, r, n)) != 0 || (rc = dl_mregion_or(&either, r, n)) != 0) {
		allowed(rc);
		goto done;
	}
	if (!dl_mregion_is_empty(both) || !dl_mregion_is_full(either))
		abort();
	/* soundness against evaluation */
	bool v = false;
	if (dl_marker_evaluate(m, env, &v) == 0 && v) {
		if ((rc = dl_mregion_disjoint(point, r, &yes)) != 0) {
			allowed(rc);
			goto done;
		}
		if (yes)
			abort();
	}
	/* within: the same inside the base */
	if ((rc = dl_mregion_within(&in, r, base)) != 0 || (rc = dl_mregion_and(&a, in, base)) != 0 ||
	    (rc = dl_mregion_and(&b, r, base)) != 0 || (rc = dl_mregion_eq(a, b, &yes)) != 0) {
		allowed(rc);
		goto done;
	}
	if (!yes)
		abort();
done:
	dl_free(text);
	dl_mregion_free(r);
	dl_mregion_free(n);
	dl_mregion_free(nn);
	dl_mregion_free(both);
	dl_mregion_free(either);
	dl_mregion_free(back);
	dl_mregion_free(in);
	dl_mregion_free(a);
	dl_mregion_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (env == NULL)
		setup();
	if (size > 4096)
		return 0;
	dl_marker *m = NULL;
	if (dl_marker_parse(&m, (const char *)data, size) != 0)
		return 0;
	check(m);
	dl_marker_free(m);
	return 0;
}
