/*
 * specifier.c - PEP 440 specifiers: parsing, validation, membership.
 *
 * Each specifier keeps its operator, its parsed version and its text.  The
 * exclusive operators are evaluated against the same bound versions that
 * ranges use (`<V` is "below V.MIN" unless V is a pre-release, `>V` is
 * "above V.POST_MAX" unless V is a post- or dev release, when it is "above
 * V.LOCAL_MAX"), so that dl_spec_matches and dl_range_from_spec agree by
 * construction.  The pre-release policy is applied on top, as packaging
 * does; see specifier.h.
 */
#include <string.h>

#include "deeplock/range.h"
#include "deeplock/specifier.h"

static const char *const op_strings[] = {"~=", "==", "==", "!=", "!=", "<=", ">=", "<", ">", "==="};

const char *dl_spec_op_str(dl_spec_op op)
{
	return (unsigned)op < sizeof(op_strings) / sizeof(op_strings[0]) ? op_strings[op] : "?";
}

static void spec_clear(dl_spec *spec)
{
	dl_version_clear(&spec->version);
	dl_free(spec->text);
	spec->text = NULL;
}

void dl_specset_free(dl_specset *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->count; i++)
		spec_clear(&set->specs[i]);
	dl_free(set->specs);
	dl_free(set);
}

static int spec_error(const char *s, size_t len, size_t col, const char *what)
{
	return dl_error_set(DL_EPARSE, "invalid specifier '%.*s': %s at column %zu", (int)(len > 200 ? 200 : len), s, what,
	                    col + 1);
}

/* Parse one specifier from [s+a, s+b) (already trimmed); `s`/`len` is the
 * whole set for messages. */
static int parse_one(dl_spec *spec, const char *s, size_t len, size_t a, size_t b)
{
	memset(spec, 0, sizeof(*spec));
	spec->version.pre_kind = DL_VERSION_PRE_NONE;
	const char *p = s + a;
	size_t n = b - a;
	size_t oplen;
	if (n >= 3 && memcmp(p, "===", 3) == 0) {
		spec->op = DL_SPEC_ARBITRARY;
		oplen = 3;
	} else if (n >= 2 && memcmp(p, "~=", 2) == 0) {
		spec->op = DL_SPEC_COMPATIBLE;
		oplen = 2;
	} else if (n >= 2 && memcmp(p, "==", 2) == 0) {
		spec->op = DL_SPEC_EQ;
		oplen = 2;
	} else if (n >= 2 && memcmp(p, "!=", 2) == 0) {
		spec->op = DL_SPEC_NE;
		oplen = 2;
	} else if (n >= 2 && memcmp(p, "<=", 2) == 0) {
		spec->op = DL_SPEC_LE;
		oplen = 2;
	} else if (n >= 2 && memcmp(p, ">=", 2) == 0) {
		spec->op = DL_SPEC_GE;
		oplen = 2;
	} else if (n >= 1 && p[0] == '<') {
		spec->op = DL_SPEC_LT;
		oplen = 1;
	} else if (n >= 1 && p[0] == '>') {
		spec->op = DL_SPEC_GT;
		oplen = 1;
	} else {
		return spec_error(s, len, a, "expected an operator (~=, ==, !=, <=, >=, <, >, ===)");
	}
	size_t v0 = a + oplen;
	while (v0 < b && dl_isspace((unsigned char)s[v0]))
		v0++;
	if (v0 == b)
		return spec_error(s, len, v0, "expected a version after the operator");
	for (size_t i = v0; i < b; i++) {
		if (dl_isspace((unsigned char)s[i]))
			return spec_error(s, len, i, "unexpected space inside the version");
		/* `text` is a C string: a NUL would silently cut a `===` string */
		if (s[i] == '\0')
			return spec_error(s, len, i, "unexpected NUL byte inside the version");
	}
	spec->text = dl_strndup(s + v0, b - v0);
	if (spec->text == NULL)
		return dl_error_oom();
	if (spec->op == DL_SPEC_ARBITRARY) {
		/* Any string; remember a parse when it is a version.  Only running
		 * out of memory is an error here (dl_version_is_valid would hide
		 * it and leave a version string without its version). */
		int rc = dl_version_parse_into(&spec->version, s + v0, b - v0);
		if (rc == DL_ENOMEM)
			return rc;
		if (rc < 0)
			dl_error_clear();
		return 0;
	}
	size_t vend = b;
	bool wildcard = false;
	if (vend - v0 >= 2 && s[vend - 1] == '*' && s[vend - 2] == '.') {
		if (spec->op != DL_SPEC_EQ && spec->op != DL_SPEC_NE)
			return spec_error(s, len, vend - 2, "a '.*' wildcard is only allowed with == and !=");
		wildcard = true;
		vend -= 2;
	}
	int rc = dl_version_parse_into(&spec->version, s + v0, vend - v0);
	if (rc < 0) {
		dl_error_context("in specifier '%.*s'", (int)(len > 200 ? 200 : len), s);
		return rc;
	}
	const dl_version *v = &spec->version;
	if (wildcard) {
		if (v->pre_kind != DL_VERSION_PRE_NONE || v->has_post || v->has_dev || v->local != NULL)
			return spec_error(s, len, v0, "a '.*' wildcard may only follow release numbers");
		spec->op = spec->op == DL_SPEC_EQ ? DL_SPEC_EQ_PREFIX : DL_SPEC_NE_PREFIX;
	} else if (v->local != NULL && spec->op != DL_SPEC_EQ && spec->op != DL_SPEC_NE) {
		return spec_error(s, len, v0, "a local version label is only allowed with == and !=");
	}
	if (spec->op == DL_SPEC_COMPATIBLE && v->nrelease < 2)
		return spec_error(s, len, v0, "~= needs a version with at least two release numbers");
	return 0;
}

int dl_specset_parse(dl_specset **out, const char *s, size_t len)
{
	dl_specset *set = dl_calloc(1, sizeof(*set));
	if (set == NULL)
		return dl_error_oom();
	int rc = 0;
	size_t cap = 0;
	size_t i = 0;
	bool only_space = true;
	for (size_t k = 0; k < len; k++) {
		if (!dl_isspace((unsigned char)s[k]))
			only_space = false;
	}
	if (only_space)
		goto done;
	while (i <= len) {
		size_t j = i;
		while (j < len && s[j] != ',')
			j++;
		size_t a = i, b = j;
		while (a < b && dl_isspace((unsigned char)s[a]))
			a++;
		while (b > a && dl_isspace((unsigned char)s[b - 1]))
			b--;
		if (a == b) {
			/* packaging drops empty items (">=1,,<2", "==2.*,"), and
			 * real metadata has them */
			i = j + 1;
			continue;
		}
		if (set->count == cap) {
			size_t ncap = cap ? cap * 2 : 2;
			void *p = set->specs;
			if ((rc = dl_realloc_array(&p, ncap, sizeof(dl_spec))) < 0)
				goto done;
			set->specs = p;
			cap = ncap;
		}
		rc = parse_one(&set->specs[set->count], s, len, a, b);
		set->count++; /* counted even on failure so that it is freed */
		if (rc < 0)
			goto done;
		i = j + 1;
	}
done:
	if (rc < 0) {
		dl_specset_free(set);
		return rc;
	}
	*out = set;
	return 0;
}

/* ---- membership --------------------------------------------------------- */

/* Does the release of `v` (zero-padded) start with the release of `p`, in
 * the same epoch? */
static bool prefix_match(const dl_version *p, const dl_version *v)
{
	if (p->epoch != v->epoch)
		return false;
	const uint64_t *pr = dl_version_release(p), *vr = dl_version_release(v);
	for (uint32_t i = 0; i < p->nrelease; i++) {
		uint64_t x = i < v->nrelease ? vr[i] : 0;
		if (x != pr[i])
			return false;
	}
	return true;
}

/* Compare `v` without its local label to `w`. */
static int cmp_public(const dl_version *v, const dl_version *w)
{
	if (v->local == NULL)
		return dl_version_cmp(v, w);
	dl_version pub = *v;
	pub.local = NULL;
	pub.local_len = 0;
	return dl_version_cmp_full(&pub, w);
}

/* The bound that an exclusive operator compares against, built on the
 * stack: no allocation (the release is shared, the local label dropped). */
static dl_version bound_of(const dl_version *v, enum dl_version_bound bound)
{
	dl_version b = *v;
	b.local = NULL;
	b.local_len = 0;
	b.bound = (uint8_t)bound;
	b.key = 0;
	return b;
}

static bool arbitrary_match(const dl_spec *spec, const char *s, size_t len)
{
	size_t n = strlen(spec->text);
	return n == len && dl_slice_ieq(s, len, spec->text);
}

bool dl_spec_matches(const dl_spec *spec, const dl_version *v)
{
	const dl_version *w = &spec->version;
	switch (spec->op) {
	case DL_SPEC_EQ:
		return w->local != NULL ? dl_version_cmp(v, w) == 0 : cmp_public(v, w) == 0;
	case DL_SPEC_NE:
		return w->local != NULL ? dl_version_cmp(v, w) != 0 : cmp_public(v, w) != 0;
	case DL_SPEC_EQ_PREFIX:
		return prefix_match(w, v);
	case DL_SPEC_NE_PREFIX:
		return !prefix_match(w, v);
	case DL_SPEC_LE:
		return cmp_public(v, w) <= 0;
	case DL_SPEC_GE:
		return dl_version_cmp(v, w) >= 0;
	case DL_SPEC_LT: {
		if (dl_version_is_prerelease(w))
			return dl_version_cmp(v, w) < 0;
		dl_version b = bound_of(w, DL_VERSION_BOUND_MIN);
		return dl_version_cmp_full(v, &b) < 0;
	}
	case DL_SPEC_GT: {
		dl_version b = bound_of(w, w->has_post || w->has_dev ? DL_VERSION_BOUND_LOCAL_MAX : DL_VERSION_BOUND_POST_MAX);
		return dl_version_cmp_full(v, &b) > 0;
	}
	case DL_SPEC_COMPATIBLE: {
		if (dl_version_cmp(v, w) < 0)
			return false;
		dl_version p = *w;
		p.nrelease = w->nrelease - 1; /* drop the last release number */
		if (p.nrelease <= DL_VERSION_INLINE_RELEASE && w->nrelease > DL_VERSION_INLINE_RELEASE) {
			/* the prefix now fits inline: copy it there */
			memcpy(p.rel_inline, w->rel_heap, sizeof(uint64_t) * p.nrelease);
		}
		return prefix_match(&p, v);
	}
	case DL_SPEC_ARBITRARY: {
		if (w->nrelease == 0)
			return false;
		dl_buf b;
		dl_buf_init(&b, 4096);
		dl_version_format(v, &b);
		bool m = !b.failed && arbitrary_match(spec, b.ptr, b.len);
		dl_buf_free(&b);
		return m;
	}
	}
	return false;
}

static bool spec_names_prerelease(const dl_spec *spec)
{
	switch (spec->op) {
	case DL_SPEC_NE:
	case DL_SPEC_NE_PREFIX:
		return false;
	case DL_SPEC_ARBITRARY:
		return spec->version.nrelease > 0 && dl_version_is_prerelease(&spec->version);
	default:
		return dl_version_is_prerelease(&spec->version);
	}
}

bool dl_spec_contains(const dl_spec *spec, const dl_version *v, int prereleases)
{
	if (prereleases == DL_PRERELEASES_DENY && dl_version_is_prerelease(v))
		return false;
	return dl_spec_matches(spec, v);
}

bool dl_specset_names_prerelease(const dl_specset *set)
{
	for (size_t i = 0; i < set->count; i++) {
		if (spec_names_prerelease(&set->specs[i]))
			return true;
	}
	return false;
}

bool dl_specset_admits_final(const dl_specset *set)
{
	dl_range r;
	dl_range_init(&r);
	if (dl_range_from_specset(&r, set) < 0) {
		/* Out of memory: answer as if a final release matched, the
		 * conservative choice (pre-releases stay excluded). */
		dl_error_clear();
		return true;
	}
	bool has = dl_range_has_final(&r);
	dl_range_clear(&r);
	return has;
}

static bool all_match(const dl_specset *set, const dl_version *v)
{
	for (size_t i = 0; i < set->count; i++) {
		if (!dl_spec_matches(&set->specs[i], v))
			return false;
	}
	return true;
}

bool dl_specset_contains(const dl_specset *set, const dl_version *v, int prereleases)
{
	if (dl_version_is_prerelease(v) && prereleases == DL_PRERELEASES_DENY)
		return false;
	return all_match(set, v);
}

bool dl_specset_contains_text(const dl_specset *set, const char *s, size_t len, int prereleases)
{
	dl_version v;
	if (dl_version_is_valid(s, len) && dl_version_parse_into(&v, s, len) == 0) {
		bool m = dl_specset_contains(set, &v, prereleases);
		dl_version_clear(&v);
		return m;
	}
	if (set->count == 0)
		return false;
	for (size_t i = 0; i < set->count; i++) {
		if (set->specs[i].op != DL_SPEC_ARBITRARY || !arbitrary_match(&set->specs[i], s, len))
			return false;
	}
	return true;
}

/* packaging's filter: matching finals (and pre-releases when allowed); when
 * the policy is the default and only pre-releases matched, those. */
static size_t filter(const dl_specset *set, const dl_spec *one, const dl_version *in, size_t n, int prereleases,
                     bool allow, size_t *keep)
{
	size_t k = 0, npre = 0;
	for (size_t i = 0; i < n; i++) {
		bool m = one != NULL ? dl_spec_matches(one, &in[i]) : all_match(set, &in[i]);
		if (!m)
			continue;
		if (dl_version_is_prerelease(&in[i]) && !allow) {
			npre++;
			continue;
		}
		keep[k++] = i;
	}
	if (k == 0 && npre > 0 && prereleases == DL_PRERELEASES_DEFAULT) {
		for (size_t i = 0; i < n; i++) {
			bool m = one != NULL ? dl_spec_matches(one, &in[i]) : all_match(set, &in[i]);
			if (m)
				keep[k++] = i;
		}
	}
	return k;
}

size_t dl_specset_filter(const dl_specset *set, const dl_version *in, size_t n, int prereleases, size_t *keep)
{
	bool allow = prereleases == DL_PRERELEASES_ALLOW ||
	             (prereleases == DL_PRERELEASES_DEFAULT && dl_specset_names_prerelease(set));
	return filter(set, NULL, in, n, prereleases, allow, keep);
}

size_t dl_spec_filter(const dl_spec *spec, const dl_version *in, size_t n, int prereleases, size_t *keep)
{
	bool allow = prereleases == DL_PRERELEASES_ALLOW ||
	             (prereleases == DL_PRERELEASES_DEFAULT && spec_names_prerelease(spec));
	return filter(NULL, spec, in, n, prereleases, allow, keep);
}

/* ---- printing and equality ---------------------------------------------- */

int dl_spec_format(const dl_spec *spec, dl_buf *out)
{
	dl_buf_puts(out, dl_spec_op_str(spec->op));
	if (spec->op == DL_SPEC_ARBITRARY) {
		dl_buf_puts(out, spec->text);
		return out->failed;
	}
	dl_version_format(&spec->version, out);
	if (spec->op == DL_SPEC_EQ_PREFIX || spec->op == DL_SPEC_NE_PREFIX)
		dl_buf_puts(out, ".*");
	return out->failed;
}

int dl_specset_format(const dl_specset *set, dl_buf *out)
{
	for (size_t i = 0; i < set->count; i++) {
		if (i > 0)
			dl_buf_putc(out, ',');
		dl_spec_format(&set->specs[i], out);
	}
	return out->failed;
}

/* packaging compares specifiers by operator and canonical version with
 * trailing zeros stripped, except for ~= (whose length matters) and the
 * wildcards (whose prefix is literal). */
static bool release_exact(const dl_version *a, const dl_version *b)
{
	return a->nrelease == b->nrelease &&
	       memcmp(dl_version_release(a), dl_version_release(b), sizeof(uint64_t) * a->nrelease) == 0;
}

static bool spec_eq(const dl_spec *a, const dl_spec *b)
{
	if (a->op != b->op)
		return false;
	if (a->op == DL_SPEC_ARBITRARY)
		return strcmp(a->text, b->text) == 0;
	if (dl_version_cmp(&a->version, &b->version) != 0)
		return false;
	if (a->op == DL_SPEC_COMPATIBLE || a->op == DL_SPEC_EQ_PREFIX || a->op == DL_SPEC_NE_PREFIX)
		return release_exact(&a->version, &b->version);
	return true;
}

bool dl_specset_eq(const dl_specset *a, const dl_specset *b)
{
	/* Sets: every specifier of one is in the other, and vice versa. */
	for (int pass = 0; pass < 2; pass++) {
		const dl_specset *x = pass ? b : a, *y = pass ? a : b;
		for (size_t i = 0; i < x->count; i++) {
			bool found = false;
			for (size_t j = 0; j < y->count && !found; j++)
				found = spec_eq(&x->specs[i], &y->specs[j]);
			if (!found)
				return false;
		}
	}
	return true;
}

uint64_t dl_specset_hash(const dl_specset *set)
{
	/* Order-independent: a sum of per-specifier hashes. */
	uint64_t h = 0;
	for (size_t i = 0; i < set->count; i++) {
		const dl_spec *s = &set->specs[i];
		/* count each specifier once: ">=1,>=1" equals ">=1" */
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = spec_eq(&set->specs[j], s);
		if (seen)
			continue;
		uint64_t x = ((uint64_t)s->op + 1) * 0x9e3779b97f4a7c15ULL;
		if (s->op == DL_SPEC_ARBITRARY) {
			for (const char *p = s->text; *p; p++)
				x = (x ^ (unsigned char)*p) * 0x100000001b3ULL;
		} else {
			x ^= dl_version_hash(&s->version);
			if (s->op == DL_SPEC_COMPATIBLE || s->op == DL_SPEC_EQ_PREFIX || s->op == DL_SPEC_NE_PREFIX)
				x = (x ^ s->version.nrelease) * 0x100000001b3ULL;
		}
		h += x ^ (x >> 31);
	}
	return h;
}
