/*
 * debug_version.c - `deeplock debug version`, `debug specifier` and `debug
 * range`: the PEP 440 parsers and the version-range algebra on the command
 * line, with JSON output, so that tests and users can see what deeplock
 * makes of a version or a specifier set.
 *
 *   deeplock debug version V...
 *     {"versions": [per input {input, valid, canonical, epoch, release, pre,
 *     post, dev, local, public, base_version, is_prerelease, is_devrelease,
 *     is_postrelease} or {input, valid: false, error}], "sorted": [canonical
 *     strings of the valid inputs, ascending in PEP 440 order]}.  Inputs that
 *     compare equal ("1.0", "1.0.0") keep their input order.  Exit 1 when
 *     any input is invalid.
 *
 *   deeplock debug specifier SPEC [VERSION...] [--prereleases=POLICY]
 *     {input, valid, normalized, names_prerelease, range, contains:
 *     [{version, contained}]}, or {input, valid: false, error}.  A VERSION
 *     that does not parse can still match `===`; it is reported with
 *     "valid": false and its error, and makes the exit status 1.
 *
 *   deeplock debug range SPEC [--and SPEC]... [--or SPEC]... [--not]
 *     The options apply left to right to the range built so far:
 *     {range, intervals: [{lower, lower_inclusive, upper, upper_inclusive}],
 *     empty, full, has_final}; an unbounded end is null.  Bound versions
 *     print with their suffix (".MIN", "+MAX", ".post.MAX").
 *
 * Version numbers above 2^63-1 do not fit jansson's integers and are
 * printed as decimal strings.  Only the library's public API is used.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "deeplock/common.h"
#include "deeplock/range.h"
#include "deeplock/specifier.h"
#include "deeplock/version.h"

/* A JSON string of `s`; bytes that are not UTF-8 become '?' rather than
 * losing the whole string. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	if (j != NULL)
		return j;
	size_t n = strlen(s);
	char *copy = malloc(n + 1);
	if (copy == NULL)
		return json_null();
	for (size_t i = 0; i <= n; i++)
		copy[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
	j = json_string(copy);
	free(copy);
	return j != NULL ? j : json_null();
}

/* A version number as a JSON integer, or as a decimal string when it is
 * beyond what jansson's signed integers hold. */
static json_t *jnum(uint64_t n)
{
	if (n <= (uint64_t)INT64_MAX)
		return json_integer((json_int_t)n);
	char text[24];
	snprintf(text, sizeof(text), "%" PRIu64, n);
	return json_string(text);
}

/* The output of one of the version formatters as a JSON string. */
static json_t *jformat(int (*fmt)(const dl_version *, dl_buf *), const dl_version *v)
{
	dl_buf b = DL_BUF_INIT;
	dl_buf_put(&b, "", 0);
	fmt(v, &b);
	json_t *j = b.failed ? json_null() : jstr(dl_buf_cstr(&b));
	dl_buf_free(&b);
	return j;
}

static bool is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* ---- debug version ------------------------------------------------------ */

static void version_help(FILE *out)
{
	fprintf(out,
	        "Usage: deeplock debug version V...\n"
	        "\n"
	        "Parse each PEP 440 version and print JSON:\n"
	        "  {\"versions\": [{input, valid, canonical, epoch, release, pre, post, dev, local,\n"
	        "                 public, base_version, is_prerelease, is_devrelease, is_postrelease}\n"
	        "                or {input, valid: false, error}],\n"
	        "   \"sorted\": [canonical forms of the valid inputs, ascending]}\n"
	        "Exit status 1 when any input is invalid.\n");
}

static json_t *version_json(const char *input, const dl_version *v)
{
	static const char *const pre_names[] = {"a", "b", "rc"};
	json_t *o = json_object();
	json_object_set_new(o, "input", jstr(input));
	json_object_set_new(o, "valid", json_true());
	json_object_set_new(o, "canonical", jformat(dl_version_format, v));
	json_object_set_new(o, "epoch", jnum(v->epoch));
	json_t *rel = json_array();
	const uint64_t *r = dl_version_release(v);
	for (uint32_t i = 0; i < v->nrelease; i++)
		json_array_append_new(rel, jnum(r[i]));
	json_object_set_new(o, "release", rel);
	if (v->pre_kind != DL_VERSION_PRE_NONE) {
		json_t *pre = json_array();
		json_array_append_new(pre, json_string(pre_names[v->pre_kind]));
		json_array_append_new(pre, jnum(v->pre_num));
		json_object_set_new(o, "pre", pre);
	} else {
		json_object_set_new(o, "pre", json_null());
	}
	json_object_set_new(o, "post", v->has_post ? jnum(v->post_num) : json_null());
	json_object_set_new(o, "dev", v->has_dev ? jnum(v->dev_num) : json_null());
	json_object_set_new(o, "local", v->local != NULL ? jstr(v->local) : json_null());
	json_object_set_new(o, "public", jformat(dl_version_format_public, v));
	json_object_set_new(o, "base_version", jformat(dl_version_format_base, v));
	json_object_set_new(o, "is_prerelease", json_boolean(dl_version_is_prerelease(v)));
	json_object_set_new(o, "is_devrelease", json_boolean(dl_version_is_devrelease(v)));
	json_object_set_new(o, "is_postrelease", json_boolean(dl_version_is_postrelease(v)));
	return o;
}

typedef struct parsed_version {
	dl_version v;
	int index; /* position among the inputs, to keep the sort stable */
} parsed_version;

static int cmp_parsed(const void *pa, const void *pb)
{
	const parsed_version *a = pa, *b = pb;
	int c = dl_version_cmp(&a->v, &b->v);
	if (c != 0)
		return c;
	return (a->index > b->index) - (a->index < b->index);
}

int dl_cli_debug_version(int argc, char **argv)
{
	if (argc < 2) {
		version_help(stderr);
		return DL_EXIT_USAGE;
	}
	if (is_help(argv[1])) {
		version_help(stdout);
		return DL_EXIT_OK;
	}
	parsed_version *ok = calloc((size_t)argc, sizeof(*ok));
	if (ok == NULL) {
		dl_cli_error("out of memory");
		return DL_EXIT_FAIL;
	}
	size_t nok = 0;
	int status = DL_EXIT_OK;
	json_t *versions = json_array();
	for (int i = 1; i < argc; i++) {
		dl_version *v = &ok[nok].v;
		if (dl_version_parse_into(v, argv[i], strlen(argv[i])) == 0) {
			json_array_append_new(versions, version_json(argv[i], v));
			ok[nok++].index = i;
			continue;
		}
		json_t *o = json_object();
		json_object_set_new(o, "input", jstr(argv[i]));
		json_object_set_new(o, "valid", json_false());
		json_object_set_new(o, "error", jstr(dl_error_last()->message));
		json_array_append_new(versions, o);
		status = DL_EXIT_FAIL;
	}
	qsort(ok, nok, sizeof(*ok), cmp_parsed);
	json_t *sorted = json_array();
	for (size_t i = 0; i < nok; i++) {
		json_array_append_new(sorted, jformat(dl_version_format, &ok[i].v));
		dl_version_clear(&ok[i].v);
	}
	free(ok);
	json_t *top = json_object();
	json_object_set_new(top, "versions", versions);
	json_object_set_new(top, "sorted", sorted);
	int rc = dl_cli_print_json(top);
	json_decref(top);
	return rc != 0 ? rc : status;
}

/* ---- debug specifier ---------------------------------------------------- */

static void specifier_help(FILE *out)
{
	fprintf(out,
	        "Usage: deeplock debug specifier SPEC [VERSION...] [--prereleases=allow|deny|default]\n"
	        "\n"
	        "Parse a PEP 440 specifier set and test each VERSION against it; print JSON:\n"
	        "  {input, valid, normalized, names_prerelease, range, contains: [{version, contained}]}\n"
	        "or {input, valid: false, error}.  The pre-release policy is that of membership\n"
	        "(the default admits pre-releases the operators admit; deny refuses them).\n"
	        "Exit status 1 when the set or a version is invalid.\n");
}

/* Print a range's text form into a JSON string. */
static json_t *range_text(const dl_range *r)
{
	dl_buf b = DL_BUF_INIT;
	dl_buf_put(&b, "", 0);
	dl_range_format(r, &b);
	json_t *j = b.failed ? json_null() : jstr(dl_buf_cstr(&b));
	dl_buf_free(&b);
	return j;
}

/* Parse a specifier set, or print {input, valid: false, error} and return
 * NULL. */
static dl_specset *parse_or_report(const char *input)
{
	dl_specset *set = NULL;
	if (dl_specset_parse(&set, input, strlen(input)) == 0)
		return set;
	json_t *o = json_object();
	json_object_set_new(o, "input", jstr(input));
	json_object_set_new(o, "valid", json_false());
	json_object_set_new(o, "error", jstr(dl_error_last()->message));
	dl_cli_print_json(o);
	json_decref(o);
	return NULL;
}

int dl_cli_debug_specifier(int argc, char **argv)
{
	int policy = DL_PRERELEASES_DEFAULT;
	const char *spec = NULL;
	int nver = 0;
	char **vers = calloc((size_t)argc, sizeof(*vers));
	if (vers == NULL) {
		dl_cli_error("out of memory");
		return DL_EXIT_FAIL;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (is_help(a)) {
			specifier_help(stdout);
			free(vers);
			return DL_EXIT_OK;
		}
		if (strncmp(a, "--prereleases=", 14) == 0) {
			const char *p = a + 14;
			if (strcmp(p, "allow") == 0) {
				policy = DL_PRERELEASES_ALLOW;
			} else if (strcmp(p, "deny") == 0) {
				policy = DL_PRERELEASES_DENY;
			} else if (strcmp(p, "default") == 0) {
				policy = DL_PRERELEASES_DEFAULT;
			} else {
				free(vers);
				return dl_cli_usage_error("debug specifier", "--prereleases takes allow, deny or default, not '%s'", p);
			}
		} else if (a[0] == '-' && a[1] == '-') {
			free(vers);
			return dl_cli_usage_error("debug specifier", "unknown option '%s'", a);
		} else if (spec == NULL) {
			spec = a;
		} else {
			vers[nver++] = argv[i];
		}
	}
	if (spec == NULL) {
		free(vers);
		specifier_help(stderr);
		return DL_EXIT_USAGE;
	}
	dl_specset *set = parse_or_report(spec);
	if (set == NULL) {
		free(vers);
		return DL_EXIT_FAIL;
	}
	int status = DL_EXIT_OK;
	json_t *o = json_object();
	json_object_set_new(o, "input", jstr(spec));
	json_object_set_new(o, "valid", json_true());
	dl_buf b = DL_BUF_INIT;
	dl_buf_put(&b, "", 0);
	dl_specset_format(set, &b);
	json_object_set_new(o, "normalized", jstr(dl_buf_cstr(&b)));
	dl_buf_free(&b);
	json_object_set_new(o, "names_prerelease", json_boolean(dl_specset_names_prerelease(set)));
	dl_range r;
	dl_range_init(&r);
	if (dl_range_from_specset(&r, set) == 0) {
		json_object_set_new(o, "range", range_text(&r));
	} else {
		dl_cli_lib_error("building the range");
		status = DL_EXIT_FAIL;
	}
	dl_range_clear(&r);
	json_t *contains = json_array();
	for (int i = 0; i < nver; i++) {
		json_t *c = json_object();
		json_object_set_new(c, "version", jstr(vers[i]));
		dl_version v;
		if (dl_version_parse_into(&v, vers[i], strlen(vers[i])) == 0) {
			json_object_set_new(c, "contained", json_boolean(dl_specset_contains(set, &v, policy)));
			dl_version_clear(&v);
		} else {
			/* only `===` can match a string that is not a version */
			json_object_set_new(c, "valid", json_false());
			json_object_set_new(c, "error", jstr(dl_error_last()->message));
			json_object_set_new(c, "contained",
			                    json_boolean(dl_specset_contains_text(set, vers[i], strlen(vers[i]), policy)));
			status = DL_EXIT_FAIL;
		}
		json_array_append_new(contains, c);
	}
	json_object_set_new(o, "contains", contains);
	int rc = dl_cli_print_json(o);
	json_decref(o);
	dl_specset_free(set);
	free(vers);
	return rc != 0 ? rc : status;
}

/* ---- debug range -------------------------------------------------------- */

static void range_help(FILE *out)
{
	fprintf(out,
	        "Usage: deeplock debug range SPEC [--and SPEC]... [--or SPEC]... [--not]\n"
	        "\n"
	        "Turn a PEP 440 specifier set into a version range and combine it, left to right,\n"
	        "with the ranges of further sets (--and: intersection, --or: union) and with its\n"
	        "complement (--not).  Prints JSON:\n"
	        "  {range, intervals: [{lower, lower_inclusive, upper, upper_inclusive}],\n"
	        "   empty, full, has_final}\n"
	        "where an unbounded end is null.  Exit status 1 when a set is invalid.\n");
}

/* The range of a set given on the command line; 0, or DL_EXIT_FAIL after
 * printing why. */
static int range_of(dl_range *out, const char *input)
{
	dl_specset *set = parse_or_report(input);
	if (set == NULL)
		return DL_EXIT_FAIL;
	int rc = dl_range_from_specset(out, set);
	dl_specset_free(set);
	if (rc < 0) {
		dl_cli_lib_error("building the range");
		return DL_EXIT_FAIL;
	}
	return 0;
}

static json_t *range_json(const dl_range *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "range", range_text(r));
	json_t *ivs = json_array();
	for (size_t i = 0; i < r->n; i++) {
		const dl_interval *iv = &r->iv[i];
		json_t *j = json_object();
		bool lo = iv->lo_kind != DL_BOUND_UNBOUNDED, hi = iv->hi_kind != DL_BOUND_UNBOUNDED;
		json_object_set_new(j, "lower", lo ? jformat(dl_version_format, &iv->lo) : json_null());
		json_object_set_new(j, "lower_inclusive", lo ? json_boolean(iv->lo_kind == DL_BOUND_INCLUSIVE) : json_null());
		json_object_set_new(j, "upper", hi ? jformat(dl_version_format, &iv->hi) : json_null());
		json_object_set_new(j, "upper_inclusive", hi ? json_boolean(iv->hi_kind == DL_BOUND_INCLUSIVE) : json_null());
		json_array_append_new(ivs, j);
	}
	json_object_set_new(o, "intervals", ivs);
	json_object_set_new(o, "empty", json_boolean(dl_range_is_empty(r)));
	json_object_set_new(o, "full", json_boolean(dl_range_is_full(r)));
	json_object_set_new(o, "has_final", json_boolean(dl_range_has_final(r)));
	return o;
}

int dl_cli_debug_range(int argc, char **argv)
{
	if (argc < 2) {
		range_help(stderr);
		return DL_EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			range_help(stdout);
			return DL_EXIT_OK;
		}
	}
	if (strncmp(argv[1], "--", 2) == 0)
		return dl_cli_usage_error("debug range", "the first argument is a specifier set, not '%s'", argv[1]);
	dl_range acc, one, next;
	dl_range_init(&acc);
	dl_range_init(&one);
	dl_range_init(&next);
	int status = range_of(&acc, argv[1]);
	for (int i = 2; status == DL_EXIT_OK && i < argc; i++) {
		const char *a = argv[i];
		int rc;
		if (strcmp(a, "--not") == 0) {
			rc = dl_range_complement(&next, &acc);
		} else if (strcmp(a, "--and") == 0 || strcmp(a, "--or") == 0) {
			if (i + 1 >= argc) {
				status = dl_cli_usage_error("debug range", "%s needs a specifier set", a);
				break;
			}
			if ((status = range_of(&one, argv[++i])) != DL_EXIT_OK)
				break;
			rc = a[2] == 'a' ? dl_range_intersect(&next, &acc, &one) : dl_range_union(&next, &acc, &one);
		} else {
			status = dl_cli_usage_error("debug range", "unexpected argument '%s'", a);
			break;
		}
		if (rc < 0) {
			dl_cli_lib_error("combining ranges");
			status = DL_EXIT_FAIL;
			break;
		}
		dl_range swap = acc;
		acc = next;
		next = swap;
	}
	if (status == DL_EXIT_OK) {
		json_t *o = range_json(&acc);
		status = dl_cli_print_json(o);
		json_decref(o);
	}
	dl_range_clear(&acc);
	dl_range_clear(&one);
	dl_range_clear(&next);
	return status;
}
