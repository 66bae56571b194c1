/*
 * version.c - PEP 440 version parsing, ordering and printing.
 *
 * Parsing is a cursor parser over the grammar of PEP 440's appendix (the
 * "permissive" regular expression that pip and packaging use): each optional
 * part is tried at the cursor and the cursor only moves when the part
 * matched, so no backtracking beyond one part is needed.
 *
 * Ordering compares a key of five parts, as packaging's _cmpkey does:
 *   epoch; release (trailing zeros ignored); pre (dev-of-final < a < b < rc
 *   < none); post (none < N); dev (N < none); local (none < segments).
 * The bound versions of version.h extend the first classes of that key
 * ("below every dev", "above every post", "above every local"), so the
 * comparator handles them without special cases elsewhere.
 *
 * The packed key (bit 63 set so that 0 means "not packed"):
 *   [62:48] release[0] (15 bits)  [47:36] release[1]  [35:24] release[2]
 *   [23:16] release[3]            [15:13] suffix kind  [12:0] suffix number
 * with kinds dev(0) < a(1) < b(2) < rc(3) < final(4) < post(5).  Only
 * versions with at most one suffix (X.devN, XaN, XbN, XrcN, X, X.postN),
 * epoch 0, no local label and no bound pack; release segments are counted
 * after dropping trailing zeros, so 1.0.0 packs like 1.
 */
#include <string.h>

#include "deeplock/version.h"

#define KIND_DEV 0
#define KIND_A 1
#define KIND_B 2
#define KIND_RC 3
#define KIND_FINAL 4
#define KIND_POST 5

/* ---- parsing ------------------------------------------------------------ */

typedef struct cursor {
	const char *s;
	size_t len;
	size_t pos;
} cursor;

static bool at_sep(const cursor *c)
{
	return c->pos < c->len && (c->s[c->pos] == '-' || c->s[c->pos] == '_' || c->s[c->pos] == '.');
}

/* Match a case-insensitive word at the cursor; advance on success. */
static bool take_word(cursor *c, const char *w)
{
	size_t n = strlen(w);
	if (c->len - c->pos < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (dl_tolower((unsigned char)c->s[c->pos + i]) != w[i])
			return false;
	}
	c->pos += n;
	return true;
}

/* Parse digits at the cursor into *out.  Returns 1 on success, 0 when no
 * digit is there, DL_ELIMIT when the number exceeds 64 bits. */
static int take_number(cursor *c, uint64_t *out)
{
	size_t start = c->pos;
	uint64_t n = 0;
	while (c->pos < c->len && dl_isdigit((unsigned char)c->s[c->pos])) {
		unsigned d = (unsigned)(c->s[c->pos] - '0');
		if (n > (UINT64_MAX - d) / 10) {
			return dl_error_set(DL_ELIMIT, "invalid version '%.*s': the number at column %zu is too large (deeplock limits version numbers to 64 bits)",
			                    (int)(c->len > 200 ? 200 : c->len), c->s, start + 1);
		}
		n = n * 10 + d;
		c->pos++;
	}
	if (c->pos == start)
		return 0;
	*out = n;
	return 1;
}

static int push_release(dl_version *v, uint64_t n, uint32_t *cap)
{
	if (v->nrelease < DL_VERSION_INLINE_RELEASE) {
		v->rel_inline[v->nrelease++] = n;
		return 0;
	}
	if (v->nrelease == DL_VERSION_INLINE_RELEASE) {
		uint64_t *h = dl_malloc(sizeof(uint64_t) * 16);
		if (h == NULL)
			return dl_error_oom();
		memcpy(h, v->rel_inline, sizeof(v->rel_inline));
		v->rel_heap = h;
		*cap = 16;
	} else if (v->nrelease == *cap) {
		if (*cap >= 1u << 20)
			return dl_error_set(DL_ELIMIT, "invalid version: more than %u release segments", *cap);
		void *p = v->rel_heap;
		int rc = dl_realloc_array(&p, (size_t)*cap * 2, sizeof(uint64_t));
		if (rc < 0)
			return rc;
		v->rel_heap = p;
		*cap *= 2;
	}
	v->rel_heap[v->nrelease++] = n;
	return 0;
}

static bool is_local_char(char ch)
{
	return dl_isalnum((unsigned char)ch);
}

/* Parse the local label after '+' and store its normal form: lower case,
 * '.' separators, numeric segments without leading zeros. */
static int take_local(cursor *c, dl_version *v)
{
	size_t start = c->pos;
	/* validate: [a-z0-9]+ ([-_.][a-z0-9]+)* */
	size_t i = c->pos;
	for (;;) {
		size_t seg = i;
		while (i < c->len && is_local_char(c->s[i]))
			i++;
		if (i == seg)
			return 0;
		if (i < c->len && (c->s[i] == '-' || c->s[i] == '_' || c->s[i] == '.') && i + 1 < c->len &&
		    is_local_char(c->s[i + 1])) {
			i++;
			continue;
		}
		break;
	}
	size_t n = i - start;
	if (n > UINT32_MAX / 2)
		return dl_error_set(DL_ELIMIT, "invalid version: local label too long");
	char *out = dl_malloc(n + 1);
	if (out == NULL)
		return dl_error_oom();
	size_t o = 0, p = start;
	while (p < i) {
		size_t seg = p;
		bool numeric = true;
		while (p < i && is_local_char(c->s[p])) {
			if (!dl_isdigit((unsigned char)c->s[p]))
				numeric = false;
			p++;
		}
		size_t from = seg;
		if (numeric) {
			while (from + 1 < p && c->s[from] == '0')
				from++;
		}
		for (size_t k = from; k < p; k++)
			out[o++] = (char)dl_tolower((unsigned char)c->s[k]);
		if (p < i) {
			out[o++] = '.';
			p++;
		}
	}
	out[o] = '\0';
	v->local = out;
	v->local_len = (uint32_t)o;
	c->pos = i;
	return 1;
}

static void compute_key(dl_version *v);

/* Length of a whitespace character at s[i] (scanning forwards), as Python's
 * str.strip() sees it: ASCII whitespace, the separators 0x1c-0x1f, and the
 * Unicode spaces in UTF-8 (NEL, NBSP, U+1680, U+2000-U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000).  0 when it is not whitespace. */
static size_t ws_len(const char *s, size_t i, size_t len)
{
	unsigned char c = (unsigned char)s[i];
	if (dl_isspace(c) || (c >= 0x1c && c <= 0x1f))
		return 1;
	if (c == 0xc2 && i + 1 < len && ((unsigned char)s[i + 1] == 0x85 || (unsigned char)s[i + 1] == 0xa0))
		return 2;
	if (i + 2 >= len)
		return 0;
	unsigned char c1 = (unsigned char)s[i + 1], c2 = (unsigned char)s[i + 2];
	if (c == 0xe1 && c1 == 0x9a && c2 == 0x80)
		return 3;
	if (c == 0xe2 && c1 == 0x80 && ((c2 >= 0x80 && c2 <= 0x8a) || c2 == 0xa8 || c2 == 0xa9 || c2 == 0xaf))
		return 3;
	if (c == 0xe2 && c1 == 0x81 && c2 == 0x9f)
		return 3;
	if (c == 0xe3 && c1 == 0x80 && c2 == 0x80)
		return 3;
	return 0;
}

/* The same, for the character that ends at s[end - 1]. */
static size_t ws_len_back(const char *s, size_t start, size_t end)
{
	for (size_t n = 1; n <= 3 && n <= end - start; n++) {
		size_t w = ws_len(s, end - n, end);
		if (w == n)
			return n;
	}
	return 0;
}

static int parse_error(const char *s, size_t len, size_t col, const char *what)
{
	return dl_error_set(DL_EPARSE, "invalid version '%.*s': %s at column %zu", (int)(len > 200 ? 200 : len), s, what,
	                    col + 1);
}

/* The grammar proper; `v` is zeroed with pre_kind NONE on entry. */
static int parse_parts(dl_version *v, const char *s, size_t len)
{
	cursor c = {s, len, 0};
	uint32_t cap = DL_VERSION_INLINE_RELEASE;
	int rc;
	size_t w;
	while (c.pos < c.len && (w = ws_len(c.s, c.pos, c.len)) > 0)
		c.pos += w;
	while (c.len > c.pos && (w = ws_len_back(c.s, c.pos, c.len)) > 0)
		c.len -= w;
	if (c.pos < c.len && (c.s[c.pos] == 'v' || c.s[c.pos] == 'V'))
		c.pos++;

	/* epoch and first release number */
	uint64_t n = 0;
	size_t start = c.pos;
	rc = take_number(&c, &n);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return parse_error(s, len, c.pos, c.pos >= c.len ? "expected a release number, found the end" : "expected a release number");
	if (c.pos < c.len && c.s[c.pos] == '!') {
		v->epoch = n;
		c.pos++;
		start = c.pos;
		rc = take_number(&c, &n);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return parse_error(s, len, c.pos, "expected a release number after the epoch");
	}
	(void)start;
	if ((rc = push_release(v, n, &cap)) < 0)
		return rc;
	while (c.pos + 1 < c.len && c.s[c.pos] == '.' && dl_isdigit((unsigned char)c.s[c.pos + 1])) {
		c.pos++;
		if ((rc = take_number(&c, &n)) < 0)
			return rc;
		if ((rc = push_release(v, n, &cap)) < 0)
			return rc;
	}

	/* pre-release: [-_.]? (alpha|a|beta|b|preview|pre|c|rc) [-_.]? N? */
	{
		cursor t = c;
		if (at_sep(&t))
			t.pos++;
		int kind = -1;
		if (take_word(&t, "alpha") || take_word(&t, "a"))
			kind = DL_VERSION_PRE_A;
		else if (take_word(&t, "beta") || take_word(&t, "b"))
			kind = DL_VERSION_PRE_B;
		else if (take_word(&t, "preview") || take_word(&t, "pre") || take_word(&t, "rc") || take_word(&t, "c"))
			kind = DL_VERSION_PRE_RC;
		if (kind >= 0) {
			cursor u = t;
			if (at_sep(&u))
				u.pos++;
			uint64_t num = 0;
			rc = take_number(&u, &num);
			if (rc < 0)
				return rc;
			if (rc == 1)
				t = u;
			v->pre_kind = (int8_t)kind;
			v->pre_num = num;
			c = t;
		}
	}

	/* post-release: -N | [-_.]? (post|rev|r) [-_.]? N? */
	{
		cursor t = c;
		uint64_t num = 0;
		bool found = false;
		if (t.pos < t.len && t.s[t.pos] == '-') {
			cursor u = t;
			u.pos++;
			rc = take_number(&u, &num);
			if (rc < 0)
				return rc;
			if (rc == 1) {
				found = true;
				t = u;
			}
		}
		if (!found) {
			t = c;
			if (at_sep(&t))
				t.pos++;
			if (take_word(&t, "post") || take_word(&t, "rev") || take_word(&t, "r")) {
				cursor u = t;
				if (at_sep(&u))
					u.pos++;
				rc = take_number(&u, &num);
				if (rc < 0)
					return rc;
				if (rc == 1)
					t = u;
				found = true;
			}
		}
		if (found) {
			v->has_post = true;
			v->post_num = num;
			c = t;
		}
	}

	/* dev release: [-_.]? dev [-_.]? N? */
	{
		cursor t = c;
		if (at_sep(&t))
			t.pos++;
		if (take_word(&t, "dev")) {
			cursor u = t;
			if (at_sep(&u))
				u.pos++;
			uint64_t num = 0;
			rc = take_number(&u, &num);
			if (rc < 0)
				return rc;
			if (rc == 1)
				t = u;
			v->has_dev = true;
			v->dev_num = num;
			c = t;
		}
	}

	/* local label */
	if (c.pos < c.len && c.s[c.pos] == '+') {
		c.pos++;
		rc = take_local(&c, v);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return parse_error(s, len, c.pos, "expected a local version label after '+'");
	}
	if (c.pos != c.len)
		return parse_error(s, len, c.pos, "unexpected character");
	return 0;
}

static void version_zero(dl_version *v)
{
	memset(v, 0, sizeof(*v));
	v->pre_kind = DL_VERSION_PRE_NONE;
}

int dl_version_parse_into(dl_version *v, const char *s, size_t len)
{
	version_zero(v);
	int rc = parse_parts(v, s, len);
	if (rc < 0) {
		dl_version_clear(v);
		return rc;
	}
	compute_key(v);
	return 0;
}

int dl_version_parse(dl_version **out, const char *s, size_t len)
{
	dl_version *v = dl_malloc(sizeof(*v));
	if (v == NULL)
		return dl_error_oom();
	int rc = dl_version_parse_into(v, s, len);
	if (rc < 0) {
		dl_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

bool dl_version_is_valid(const char *s, size_t len)
{
	/* Parse for real (so the rules live in one place), but keep the caller's
	 * stored error untouched. */
	dl_version v;
	dl_error saved = *dl_error_last();
	int code = saved.code;
	char *msg = code != DL_OK ? dl_strdup(saved.message) : NULL;
	int rc = dl_version_parse_into(&v, s, len);
	if (rc == 0)
		dl_version_clear(&v);
	if (code != DL_OK)
		dl_error_set(code, "%s", msg != NULL ? msg : dl_error_code_name(code));
	else
		dl_error_clear();
	dl_free(msg);
	return rc == 0;
}

void dl_version_clear(dl_version *v)
{
	if (v == NULL)
		return;
	dl_free(v->rel_heap);
	dl_free(v->local);
	version_zero(v);
}

void dl_version_free(dl_version *v)
{
	if (v == NULL)
		return;
	dl_version_clear(v);
	dl_free(v);
}

int dl_version_copy(dl_version *dst, const dl_version *src)
{
	*dst = *src;
	dst->rel_heap = NULL;
	dst->local = NULL;
	if (src->nrelease > DL_VERSION_INLINE_RELEASE) {
		dst->rel_heap = dl_malloc(sizeof(uint64_t) * src->nrelease);
		if (dst->rel_heap == NULL)
			goto oom;
		memcpy(dst->rel_heap, src->rel_heap, sizeof(uint64_t) * src->nrelease);
	}
	if (src->local != NULL) {
		dst->local = dl_strndup(src->local, src->local_len);
		if (dst->local == NULL)
			goto oom;
	}
	return 0;
oom:
	dl_free(dst->rel_heap);
	version_zero(dst);
	return dl_error_oom();
}

int dl_version_bound_copy(dl_version *dst, const dl_version *v, enum dl_version_bound bound)
{
	int rc = dl_version_copy(dst, v);
	if (rc < 0)
		return rc;
	dst->bound = (uint8_t)bound;
	if (bound != DL_VERSION_BOUND_NONE && bound != DL_VERSION_BOUND_LOCAL_MAX) {
		dl_free(dst->local);
		dst->local = NULL;
		dst->local_len = 0;
	}
	dst->key = 0;
	if (bound == DL_VERSION_BOUND_NONE)
		compute_key(dst);
	return 0;
}

/* ---- ordering ----------------------------------------------------------- */

/* Number of release segments once trailing zeros are dropped (at least 1). */
static uint32_t release_len(const dl_version *v)
{
	const uint64_t *r = dl_version_release(v);
	uint32_t n = v->nrelease;
	while (n > 1 && r[n - 1] == 0)
		n--;
	return n;
}

static void compute_key(dl_version *v)
{
	v->key = 0;
	if (v->epoch != 0 || v->local != NULL || v->bound != DL_VERSION_BOUND_NONE)
		return;
	uint32_t n = release_len(v);
	if (n > 4)
		return;
	const uint64_t *r = dl_version_release(v);
	static const unsigned width[4] = {15, 12, 12, 8};
	static const unsigned shift[4] = {48, 36, 24, 16};
	uint64_t key = (uint64_t)1 << 63;
	for (uint32_t i = 0; i < n; i++) {
		if (r[i] >= ((uint64_t)1 << width[i]))
			return;
		key |= r[i] << shift[i];
	}
	unsigned kind;
	uint64_t num = 0;
	bool pre = v->pre_kind != DL_VERSION_PRE_NONE;
	if (pre && !v->has_post && !v->has_dev) {
		kind = KIND_A + (unsigned)v->pre_kind;
		num = v->pre_num;
	} else if (!pre && v->has_post && !v->has_dev) {
		kind = KIND_POST;
		num = v->post_num;
	} else if (!pre && !v->has_post && v->has_dev) {
		kind = KIND_DEV;
		num = v->dev_num;
	} else if (!pre && !v->has_post && !v->has_dev) {
		kind = KIND_FINAL;
	} else {
		return;
	}
	if (num >= (1u << 13))
		return;
	v->key = key | ((uint64_t)kind << 13) | num;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* Classes of the comparison key; see the file comment. */
static int pre_class(const dl_version *v)
{
	bool pre = v->pre_kind != DL_VERSION_PRE_NONE;
	if (v->bound == DL_VERSION_BOUND_MIN && !pre && !v->has_post && !v->has_dev)
		return -2;
	if (!pre && !v->has_post && v->has_dev)
		return -1;
	if (pre)
		return v->pre_kind;
	return 3;
}

static int post_class(const dl_version *v)
{
	if (v->bound == DL_VERSION_BOUND_POST_MAX)
		return 1;
	return v->has_post ? 0 : -1;
}

static int dev_class(const dl_version *v)
{
	if (v->bound == DL_VERSION_BOUND_MIN)
		return -1;
	if (v->bound == DL_VERSION_BOUND_POST_MAX)
		return 1;
	return v->has_dev ? 0 : 1;
}

/* Compare two local labels in normal form, segment by segment: numbers by
 * value, words by bytes, words below numbers, a prefix below the longer. */
static int cmp_local(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0, j = 0;
	for (;;) {
		if (i >= alen || j >= blen)
			return (i < alen) - (j < blen);
		size_t ie = i, je = j;
		bool anum = true, bnum = true;
		while (ie < alen && a[ie] != '.') {
			if (!dl_isdigit((unsigned char)a[ie]))
				anum = false;
			ie++;
		}
		while (je < blen && b[je] != '.') {
			if (!dl_isdigit((unsigned char)b[je]))
				bnum = false;
			je++;
		}
		int c;
		if (anum != bnum) {
			c = anum ? 1 : -1;
		} else if (anum) {
			/* no leading zeros in normal form: longer is larger */
			c = (ie - i != je - j) ? ((ie - i) < (je - j) ? -1 : 1) : 0;
			if (c == 0) {
				int m = memcmp(a + i, b + j, ie - i);
				c = (m > 0) - (m < 0);
			}
		} else {
			size_t n = (ie - i) < (je - j) ? (ie - i) : (je - j);
			int m = memcmp(a + i, b + j, n);
			c = m != 0 ? (m > 0) - (m < 0) : ((ie - i) > (je - j)) - ((ie - i) < (je - j));
		}
		if (c != 0)
			return c;
		i = ie < alen ? ie + 1 : ie;
		j = je < blen ? je + 1 : je;
	}
}

int dl_version_cmp_full(const dl_version *a, const dl_version *b)
{
	int c = cmp_u64(a->epoch, b->epoch);
	if (c)
		return c;
	const uint64_t *ra = dl_version_release(a), *rb = dl_version_release(b);
	uint32_t n = a->nrelease > b->nrelease ? a->nrelease : b->nrelease;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t x = i < a->nrelease ? ra[i] : 0;
		uint64_t y = i < b->nrelease ? rb[i] : 0;
		if ((c = cmp_u64(x, y)) != 0)
			return c;
	}
	int pa = pre_class(a), pb = pre_class(b);
	if (pa != pb)
		return pa < pb ? -1 : 1;
	if (pa >= 0 && pa <= 2 && (c = cmp_u64(a->pre_num, b->pre_num)) != 0)
		return c;
	int qa = post_class(a), qb = post_class(b);
	if (qa != qb)
		return qa < qb ? -1 : 1;
	if (qa == 0 && (c = cmp_u64(a->post_num, b->post_num)) != 0)
		return c;
	int da = dev_class(a), db = dev_class(b);
	if (da != db)
		return da < db ? -1 : 1;
	if (da == 0 && (c = cmp_u64(a->dev_num, b->dev_num)) != 0)
		return c;
	/* local: none < label < LOCAL_MAX (POST_MAX is above every local too) */
	int la = a->bound == DL_VERSION_BOUND_LOCAL_MAX || a->bound == DL_VERSION_BOUND_POST_MAX ? 2 : a->local != NULL;
	int lb = b->bound == DL_VERSION_BOUND_LOCAL_MAX || b->bound == DL_VERSION_BOUND_POST_MAX ? 2 : b->local != NULL;
	if (la != lb)
		return la < lb ? -1 : 1;
	if (la == 1)
		return cmp_local(a->local, a->local_len, b->local, b->local_len);
	return 0;
}

int dl_version_cmp(const dl_version *a, const dl_version *b)
{
	if (a->key != 0 && b->key != 0)
		return cmp_u64(a->key, b->key);
	return dl_version_cmp_full(a, b);
}

uint64_t dl_version_hash(const dl_version *v)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ v->epoch;
	const uint64_t *r = dl_version_release(v);
	uint32_t n = release_len(v);
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ r[i]) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)(pre_class(v) + 8)) * 0x100000001b3ULL;
	h = (h ^ v->pre_num) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)(post_class(v) + 8)) * 0x100000001b3ULL;
	h = (h ^ v->post_num) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)(dev_class(v) + 8)) * 0x100000001b3ULL;
	h = (h ^ v->dev_num) * 0x100000001b3ULL;
	for (uint32_t i = 0; i < v->local_len; i++)
		h = (h ^ (unsigned char)v->local[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

/* ---- printing ----------------------------------------------------------- */

int dl_version_format_base(const dl_version *v, dl_buf *out)
{
	if (v->epoch != 0)
		dl_buf_printf(out, "%llu!", (unsigned long long)v->epoch);
	const uint64_t *r = dl_version_release(v);
	for (uint32_t i = 0; i < v->nrelease; i++)
		dl_buf_printf(out, i ? ".%llu" : "%llu", (unsigned long long)r[i]);
	return out->failed;
}

int dl_version_format_public(const dl_version *v, dl_buf *out)
{
	static const char *const pre_names[] = {"a", "b", "rc"};
	dl_version_format_base(v, out);
	if (v->pre_kind != DL_VERSION_PRE_NONE)
		dl_buf_printf(out, "%s%llu", pre_names[v->pre_kind], (unsigned long long)v->pre_num);
	if (v->has_post)
		dl_buf_printf(out, ".post%llu", (unsigned long long)v->post_num);
	if (v->has_dev)
		dl_buf_printf(out, ".dev%llu", (unsigned long long)v->dev_num);
	return out->failed;
}

int dl_version_format(const dl_version *v, dl_buf *out)
{
	dl_version_format_public(v, out);
	if (v->local != NULL) {
		dl_buf_putc(out, '+');
		dl_buf_put(out, v->local, v->local_len);
	}
	switch (v->bound) {
	case DL_VERSION_BOUND_MIN: dl_buf_puts(out, ".MIN"); break;
	case DL_VERSION_BOUND_LOCAL_MAX: dl_buf_puts(out, "+MAX"); break;
	case DL_VERSION_BOUND_POST_MAX: dl_buf_puts(out, ".post.MAX"); break;
	default: break;
	}
	return out->failed;
}
