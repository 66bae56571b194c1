/*
 * tags.c - wheel compatibility tags: compressed tag sets, target
 * descriptions, and the ordered list of tags a target supports.
 *
 * The supported-tag list reproduces packaging.tags.sys_tags() for a target
 * that is described rather than probed (deeplock locks for environments
 * other than its own).  It is built in two steps: first the platform tags,
 * best first (the order of packaging's _manylinux/_musllinux/mac_platforms
 * generators), then the interpreter/ABI product over them.  Every distinct
 * string is interned to a small integer id, and every tag becomes an id
 * triple; two open-addressing hash tables (strings by case-folded bytes,
 * triples by packed ids) make a compatibility query a few look-ups per
 * alternative, without allocating, however long the list is.  Duplicate
 * tags (a target whose single platform is "any", say) keep their first,
 * best rank only, which is what a first-match search over packaging's list
 * gives.
 *
 * A tag list is immutable after dl_tag_list_new and lives in one arena.
 */
#include <stdio.h>
#include <string.h>

#include "deeplock/tags.h"

/* ------------------------------------------------------------------ */
/* Compressed tag sets                                                 */

static bool tag_char_ok(unsigned char c)
{
	return dl_isalnum(c) || c == '_';
}

static const char *const component_names[3] = {"python", "abi", "platform"};

static int tagset_error(const char *s, size_t len, size_t col, const char *what)
{
	return dl_error_set(DL_EPARSE, "invalid tag set '%.*s': %s at column %zu", (int)(len > 200 ? 200 : len), s, what,
	                    col);
}

int dl_tagset_parse(dl_tagset **out, const char *s, size_t len)
{
	size_t counts[3] = {1, 1, 1};
	int comp = 0;
	size_t part_start = 0;
	/* One pass validates and counts, so the allocation is exact. */
	for (size_t i = 0; i <= len; i++) {
		bool end = i == len;
		unsigned char c = end ? 0 : (unsigned char)s[i];
		if (end || c == '-' || c == '.') {
			if (i == part_start) {
				char what[96];
				snprintf(what, sizeof(what), "empty %s tag", component_names[comp]);
				return tagset_error(s, len, i + 1, what);
			}
			if (c == '-') {
				if (comp == 2)
					return tagset_error(s, len, i + 1,
					                    "too many '-': expected exactly python-abi-platform");
				comp++;
			} else if (c == '.') {
				counts[comp]++;
			}
			part_start = i + 1;
			continue;
		}
		if (!tag_char_ok(c)) {
			char what[96];
			if (c >= 0x21 && c < 0x7f)
				snprintf(what, sizeof(what), "unexpected character '%c' (tags have letters, digits and '_')",
				         (char)c);
			else
				snprintf(what, sizeof(what),
				         "unexpected byte 0x%02x (tags have letters, digits and '_')", (unsigned)c);
			return tagset_error(s, len, i + 1, what);
		}
	}
	if (comp != 2)
		return tagset_error(s, len, len + 1, "missing '-': expected python-abi-platform");
	size_t product = counts[0];
	if (__builtin_mul_overflow(product, counts[1], &product) ||
	    __builtin_mul_overflow(product, counts[2], &product) || product > DL_TAGSET_MAX_EXPANDED)
		return dl_error_set(DL_ELIMIT, "tag set '%.*s...' expands to more than %d tags", (int)(len > 60 ? 60 : len),
		                    s, DL_TAGSET_MAX_EXPANDED);

	/* Layout: the struct, then the pointer arrays, then the characters
	 * (each separator becomes a NUL). */
	size_t nptr = counts[0] + counts[1] + counts[2];
	size_t total, ptr_bytes, chars;
	if (__builtin_mul_overflow(nptr, sizeof(char *), &ptr_bytes) ||
	    __builtin_add_overflow(sizeof(dl_tagset), ptr_bytes, &total) || __builtin_add_overflow(len, (size_t)1, &chars) ||
	    __builtin_add_overflow(total, chars, &total))
		return dl_error_set(DL_ELIMIT, "tag set too large");
	unsigned char *mem = dl_malloc(total);
	if (mem == NULL)
		return dl_error_oom();
	dl_tagset *set = (dl_tagset *)mem;
	const char **ptrs = (const char **)(mem + sizeof(dl_tagset));
	char *text = (char *)(mem + sizeof(dl_tagset) + ptr_bytes);
	memcpy(text, s, len);
	text[len] = '\0';
	set->python = ptrs;
	set->abi = ptrs + counts[0];
	set->platform = ptrs + counts[0] + counts[1];
	set->n_python = set->n_abi = set->n_platform = 0;
	size_t *nfill[3] = {&set->n_python, &set->n_abi, &set->n_platform};
	const char **arrays[3] = {set->python, set->abi, set->platform};
	comp = 0;
	part_start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || text[i] == '-' || text[i] == '.') {
			bool dash = i < len && text[i] == '-';
			arrays[comp][(*nfill[comp])++] = text + part_start;
			text[i] = '\0';
			part_start = i + 1;
			if (dash)
				comp++;
		}
	}
	*out = set;
	return 0;
}

size_t dl_tagset_count(const dl_tagset *set)
{
	return set->n_python * set->n_abi * set->n_platform;
}

int dl_tagset_get(const dl_tagset *set, size_t i, dl_tag *out)
{
	if (i >= dl_tagset_count(set))
		return dl_error_set(DL_EINVAL, "tag index %zu out of range (the set has %zu tags)", i, dl_tagset_count(set));
	size_t per_python = set->n_abi * set->n_platform;
	out->python = set->python[i / per_python];
	i %= per_python;
	out->abi = set->abi[i / set->n_platform];
	out->platform = set->platform[i % set->n_platform];
	return 0;
}

static int format_component(dl_buf *out, const char *const *parts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			dl_buf_putc(out, '.');
		dl_buf_puts(out, parts[i]);
	}
	return out->failed;
}

int dl_tagset_format(const dl_tagset *set, dl_buf *out)
{
	format_component(out, set->python, set->n_python);
	dl_buf_putc(out, '-');
	format_component(out, set->abi, set->n_abi);
	dl_buf_putc(out, '-');
	return format_component(out, set->platform, set->n_platform);
}

void dl_tagset_free(dl_tagset *set)
{
	dl_free(set);
}

/* ------------------------------------------------------------------ */
/* Targets                                                             */

/* Copy a normalised (lower case, '-' and '.' folded to '_' when `fold`)
 * value into a fixed field; false when it does not fit or has a character
 * no tag may hold. */
static bool set_field(char *dst, size_t cap, const char *v, size_t len, bool fold)
{
	if (len >= cap)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (fold && (c == '-' || c == '.'))
			c = '_';
		if (!tag_char_ok(c))
			return false;
		dst[i] = (char)dl_tolower(c);
	}
	dst[len] = '\0';
	return true;
}

/* Parse "X" or "X.Y" (decimal, each at most DL_TAG_TARGET_MAX_VERSION) at
 * the start of [s, s+len); returns the characters used, 0 on failure. */
static size_t parse_xy(const char *s, size_t len, unsigned *major, unsigned *minor, bool need_minor)
{
	size_t i = 0;
	unsigned v[2] = {0, 0};
	for (int k = 0; k < 2; k++) {
		size_t start = i;
		while (i < len && dl_isdigit((unsigned char)s[i])) {
			v[k] = v[k] * 10 + (unsigned)(s[i] - '0');
			if (v[k] > DL_TAG_TARGET_MAX_VERSION)
				return 0;
			i++;
		}
		if (i == start)
			return 0;
		if (k == 0) {
			if (i < len && (s[i] == '.' || s[i] == '_')) {
				i++;
			} else {
				if (need_minor)
					return 0;
				break;
			}
		}
	}
	*major = v[0];
	*minor = v[1];
	return i;
}

static bool parse_bool(const char *v, size_t len, bool *out)
{
	if (dl_slice_ieq(v, len, "true") || dl_slice_ieq(v, len, "1") || dl_slice_ieq(v, len, "yes")) {
		*out = true;
		return true;
	}
	if (dl_slice_ieq(v, len, "false") || dl_slice_ieq(v, len, "0") || dl_slice_ieq(v, len, "no")) {
		*out = false;
		return true;
	}
	return false;
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

/* Parse a normalised platform tag into the OS part of a target. */
static bool set_platform(dl_tag_target *t, const char *p, size_t len)
{
	unsigned major, minor;
	size_t n;
	static const struct {
		const char *prefix;
		unsigned major, minor;
	} legacy[] = {{"manylinux2014_", 2, 17}, {"manylinux2010_", 2, 12}, {"manylinux1_", 2, 5}};
	if (len == 3 && memcmp(p, "any", 3) == 0) {
		t->os = DL_TAG_OS_ANY;
		return true;
	}
	for (size_t k = 0; k < sizeof(legacy) / sizeof(legacy[0]); k++) {
		if (starts_with(p, len, legacy[k].prefix)) {
			size_t pl = strlen(legacy[k].prefix);
			if (!set_field(t->arch, sizeof(t->arch), p + pl, len - pl, false) || len == pl)
				return false;
			t->os = DL_TAG_OS_MANYLINUX;
			t->os_major = legacy[k].major;
			t->os_minor = legacy[k].minor;
			return true;
		}
	}
	const struct {
		const char *prefix;
		dl_tag_os os;
	} versioned[] = {{"manylinux_", DL_TAG_OS_MANYLINUX}, {"musllinux_", DL_TAG_OS_MUSLLINUX},
	                 {"macosx_", DL_TAG_OS_MACOS}};
	for (size_t k = 0; k < sizeof(versioned) / sizeof(versioned[0]); k++) {
		if (!starts_with(p, len, versioned[k].prefix))
			continue;
		size_t pl = strlen(versioned[k].prefix);
		n = parse_xy(p + pl, len - pl, &major, &minor, true);
		if (n == 0 || pl + n >= len || p[pl + n] != '_' || pl + n + 1 == len)
			return false;
		if (!set_field(t->arch, sizeof(t->arch), p + pl + n + 1, len - pl - n - 1, false))
			return false;
		t->os = versioned[k].os;
		t->os_major = major;
		t->os_minor = minor;
		return true;
	}
	if (len == 5 && memcmp(p, "win32", 5) == 0) {
		t->os = DL_TAG_OS_WINDOWS;
		set_field(t->arch, sizeof(t->arch), "x86", 3, false);
		return true;
	}
	if (starts_with(p, len, "win_") && len > 4) {
		if (!set_field(t->arch, sizeof(t->arch), p + 4, len - 4, false))
			return false;
		t->os = DL_TAG_OS_WINDOWS;
		return true;
	}
	if (starts_with(p, len, "linux_") && len > 6) {
		if (!set_field(t->arch, sizeof(t->arch), p + 6, len - 6, false))
			return false;
		t->os = DL_TAG_OS_LINUX;
		return true;
	}
	if (!set_field(t->platform, sizeof(t->platform), p, len, false))
		return false;
	t->os = DL_TAG_OS_OTHER;
	return true;
}

/* Compare a key with a literal, ASCII-case-insensitively and with '_'
 * standing for '-'. */
static bool key_is(const char *key, const char *lit)
{
	size_t i = 0;
	for (; key[i] != '\0' && lit[i] != '\0'; i++) {
		int a = dl_tolower((unsigned char)key[i]);
		if (a == '_')
			a = '-';
		if (a != lit[i])
			return false;
	}
	return key[i] == '\0' && lit[i] == '\0';
}

int dl_tag_target_set(dl_tag_target *t, const char *key, const char *value, size_t len)
{
	dl_tag_target nt = *t;
	bool ok = false;
	unsigned major, minor;
	if (key_is(key, "python") || key_is(key, "python-version")) {
		size_t n = parse_xy(value, len, &major, &minor, true);
		if (n > 0) {
			nt.py_major = major;
			nt.py_minor = minor;
			nt.free_threaded = false;
			nt.debug = false;
			ok = true;
			/* A micro version ("3.11.4") says nothing tags care about. */
			if (n + 1 < len && value[n] == '.' && dl_isdigit((unsigned char)value[n + 1])) {
				n++;
				while (n < len && dl_isdigit((unsigned char)value[n]))
					n++;
			}
			for (; n < len && ok; n++) {
				if (value[n] == 't' && !nt.free_threaded && !nt.debug)
					nt.free_threaded = true;
				else if (value[n] == 'd' && !nt.debug)
					nt.debug = true;
				else
					ok = false;
			}
		}
	} else if (key_is(key, "implementation") || key_is(key, "impl")) {
		if (dl_slice_ieq(value, len, "cp") || dl_slice_ieq(value, len, "cpython")) {
			nt.impl = DL_TAG_IMPL_CPYTHON;
			ok = true;
		} else if (dl_slice_ieq(value, len, "pp") || dl_slice_ieq(value, len, "pypy")) {
			nt.impl = DL_TAG_IMPL_PYPY;
			ok = true;
		} else if (len > 0 && set_field(nt.impl_name, sizeof(nt.impl_name), value, len, false)) {
			nt.impl = DL_TAG_IMPL_OTHER;
			ok = true;
		}
	} else if (key_is(key, "abi")) {
		ok = set_field(nt.abi, sizeof(nt.abi), value, len, true);
	} else if (key_is(key, "platform")) {
		char norm[sizeof(nt.platform)];
		ok = len > 0 && set_field(norm, sizeof(norm), value, len, true) && set_platform(&nt, norm, len);
	} else if (key_is(key, "os")) {
		static const struct {
			const char *name;
			dl_tag_os os;
		} oses[] = {{"any", DL_TAG_OS_ANY},         {"manylinux", DL_TAG_OS_MANYLINUX}, {"glibc", DL_TAG_OS_MANYLINUX},
		            {"musllinux", DL_TAG_OS_MUSLLINUX}, {"musl", DL_TAG_OS_MUSLLINUX},     {"linux", DL_TAG_OS_LINUX},
		            {"macos", DL_TAG_OS_MACOS},     {"macosx", DL_TAG_OS_MACOS},        {"darwin", DL_TAG_OS_MACOS},
		            {"windows", DL_TAG_OS_WINDOWS}, {"win", DL_TAG_OS_WINDOWS}};
		for (size_t k = 0; k < sizeof(oses) / sizeof(oses[0]); k++) {
			if (dl_slice_ieq(value, len, oses[k].name)) {
				nt.os = oses[k].os;
				ok = true;
			}
		}
	} else if (key_is(key, "glibc") || key_is(key, "musl") || key_is(key, "macos")) {
		if (parse_xy(value, len, &major, &minor, false) == len && len > 0) {
			nt.os = key_is(key, "glibc") ? DL_TAG_OS_MANYLINUX
			        : key_is(key, "musl") ? DL_TAG_OS_MUSLLINUX
			                              : DL_TAG_OS_MACOS;
			nt.os_major = major;
			nt.os_minor = minor;
			ok = true;
		}
	} else if (key_is(key, "arch")) {
		ok = len > 0 && set_field(nt.arch, sizeof(nt.arch), value, len, true);
	} else if (key_is(key, "free-threaded")) {
		ok = parse_bool(value, len, &nt.free_threaded);
	} else if (key_is(key, "debug")) {
		ok = parse_bool(value, len, &nt.debug);
	} else {
		return dl_error_set(DL_EINVAL,
		                    "unknown target key '%s' (known: python, implementation, abi, platform, os, glibc, "
		                    "musl, macos, arch, free-threaded, debug)",
		                    key);
	}
	if (!ok)
		return dl_error_set(DL_EINVAL, "invalid value '%.*s' for target key '%s'", (int)(len > 100 ? 100 : len), value,
		                    key);
	*t = nt;
	return 0;
}

int dl_tag_target_check(const dl_tag_target *t)
{
	if (t->version != DL_TAG_TARGET_VERSION)
		return dl_error_set(DL_EINVAL, "tag target has version %u, expected %d (start from DL_TAG_TARGET_INIT)",
		                    t->version, DL_TAG_TARGET_VERSION);
	if (t->py_major == 0 || t->py_major > DL_TAG_TARGET_MAX_VERSION || t->py_minor > DL_TAG_TARGET_MAX_VERSION)
		return dl_error_set(DL_EINVAL, "tag target: Python version %u.%u out of range", t->py_major, t->py_minor);
	if (t->os_major > DL_TAG_TARGET_MAX_VERSION || t->os_minor > DL_TAG_TARGET_MAX_VERSION)
		return dl_error_set(DL_EINVAL, "tag target: OS version %u.%u out of range", t->os_major, t->os_minor);
	if (t->impl == DL_TAG_IMPL_OTHER && t->impl_name[0] == '\0')
		return dl_error_set(DL_EINVAL, "tag target: an 'other' implementation needs its tag prefix (impl_name)");
	if ((unsigned)t->impl > DL_TAG_IMPL_OTHER || (unsigned)t->os > DL_TAG_OS_OTHER)
		return dl_error_set(DL_EINVAL, "tag target: unknown implementation or OS kind");
	if (t->os == DL_TAG_OS_OTHER && t->platform[0] == '\0')
		return dl_error_set(DL_EINVAL, "tag target: an 'other' OS needs its platform tag");
	if ((t->os == DL_TAG_OS_MANYLINUX || t->os == DL_TAG_OS_MUSLLINUX || t->os == DL_TAG_OS_MACOS) &&
	    t->os_major == 0)
		return dl_error_set(DL_EINVAL, "tag target: this OS needs its version (e.g. glibc=2.28, musl=1.2, macos=14.0)");
	if (t->os != DL_TAG_OS_ANY && t->os != DL_TAG_OS_OTHER && t->arch[0] == '\0')
		return dl_error_set(DL_EINVAL, "tag target: this OS needs an arch (e.g. arch=x86_64)");
	/* The strings end up in tags: they must be tag characters. */
	const char *fields[4] = {t->impl_name, t->abi, t->arch, t->platform};
	size_t caps[4] = {sizeof(t->impl_name), sizeof(t->abi), sizeof(t->arch), sizeof(t->platform)};
	for (int k = 0; k < 4; k++) {
		size_t n = strnlen(fields[k], caps[k]);
		if (n == caps[k])
			return dl_error_set(DL_EINVAL, "tag target: a string field is not NUL-terminated");
		for (size_t i = 0; i < n; i++) {
			if (!tag_char_ok((unsigned char)fields[k][i]))
				return dl_error_set(DL_EINVAL, "tag target: '%s' has a character tags cannot hold", fields[k]);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The supported-tag list                                              */

struct tag_ids {
	uint32_t python, abi, platform;
};

struct dl_tag_list {
	dl_arena *arena;
	char **strs; /* interned strings, lower case */
	size_t n_strs, cap_strs;
	uint32_t *str_slots; /* id + 1, 0 = empty */
	size_t str_mask;
	struct tag_ids *tags; /* in rank order, duplicates dropped */
	size_t n_tags, cap_tags;
	uint32_t *tag_slots; /* rank + 1, 0 = empty */
	size_t tag_mask;
};

static uint64_t hash_fold(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603u;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)dl_tolower((unsigned char)s[i]);
		h *= 1099511628211u;
	}
	return h;
}

static uint64_t hash_ids(uint32_t a, uint32_t b, uint32_t c)
{
	uint64_t h = ((uint64_t)a << 42) ^ ((uint64_t)b << 21) ^ (uint64_t)c;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	return h;
}

/* Id of a string in the list, case-insensitively; -1 when absent. */
static long str_lookup(const dl_tag_list *l, const char *s, size_t len)
{
	if (l->str_slots == NULL)
		return -1;
	for (size_t i = hash_fold(s, len) & l->str_mask;; i = (i + 1) & l->str_mask) {
		uint32_t v = l->str_slots[i];
		if (v == 0)
			return -1;
		const char *cand = l->strs[v - 1];
		if (dl_slice_ieq(s, len, cand))
			return (long)(v - 1);
	}
}

static long tag_lookup(const dl_tag_list *l, uint32_t a, uint32_t b, uint32_t c)
{
	if (l->tag_slots == NULL)
		return -1;
	for (size_t i = hash_ids(a, b, c) & l->tag_mask;; i = (i + 1) & l->tag_mask) {
		uint32_t v = l->tag_slots[i];
		if (v == 0)
			return -1;
		const struct tag_ids *t = &l->tags[v - 1];
		if (t->python == a && t->abi == b && t->platform == c)
			return (long)(v - 1);
	}
}

static size_t table_size(size_t n)
{
	size_t cap = 16;
	while (cap < n * 2)
		cap *= 2;
	return cap;
}

/* Rebuild the string hash table for the current strings (building is
 * incremental: interning looks strings up as it goes). */
static int str_rehash(dl_tag_list *l, size_t want)
{
	size_t cap = table_size(want);
	uint32_t *slots = dl_arena_calloc(l->arena, cap, sizeof(uint32_t));
	if (slots == NULL)
		return dl_error_oom();
	l->str_slots = slots;
	l->str_mask = cap - 1;
	for (size_t id = 0; id < l->n_strs; id++) {
		size_t i = hash_fold(l->strs[id], strlen(l->strs[id])) & l->str_mask;
		while (slots[i] != 0)
			i = (i + 1) & l->str_mask;
		slots[i] = (uint32_t)id + 1;
	}
	return 0;
}

/* Intern the NUL-terminated, lower-case string `s`; its id in *id. */
static int intern(dl_tag_list *l, const char *s, uint32_t *id)
{
	size_t len = strlen(s);
	long found = str_lookup(l, s, len);
	if (found >= 0) {
		*id = (uint32_t)found;
		return 0;
	}
	if (l->n_strs == l->cap_strs) {
		size_t ncap = l->cap_strs ? l->cap_strs * 2 : 64;
		char **n = dl_arena_alloc(l->arena, ncap * sizeof(char *));
		if (n == NULL)
			return dl_error_oom();
		if (l->n_strs > 0)
			memcpy(n, l->strs, l->n_strs * sizeof(char *));
		l->strs = n;
		l->cap_strs = ncap;
	}
	char *copy = dl_arena_strndup(l->arena, s, len);
	if (copy == NULL)
		return dl_error_oom();
	l->strs[l->n_strs++] = copy;
	if (l->str_slots == NULL || l->n_strs * 2 > l->str_mask + 1) {
		int rc = str_rehash(l, l->n_strs * 2);
		if (rc < 0)
			return rc;
	} else {
		size_t i = hash_fold(copy, len) & l->str_mask;
		while (l->str_slots[i] != 0)
			i = (i + 1) & l->str_mask;
		l->str_slots[i] = (uint32_t)(l->n_strs);
	}
	*id = (uint32_t)(l->n_strs - 1);
	return 0;
}

/* A growable list of string ids (platforms, interpreters, ABIs). */
struct idvec {
	uint32_t *v;
	size_t n, cap;
};

static int idvec_push(dl_tag_list *l, struct idvec *vec, const char *s)
{
	uint32_t id;
	int rc = intern(l, s, &id);
	if (rc < 0)
		return rc;
	if (vec->n == vec->cap) {
		size_t ncap = vec->cap ? vec->cap * 2 : 32;
		uint32_t *n = dl_arena_alloc(l->arena, ncap * sizeof(uint32_t));
		if (n == NULL)
			return dl_error_oom();
		if (vec->n > 0)
			memcpy(n, vec->v, vec->n * sizeof(uint32_t));
		vec->v = n;
		vec->cap = ncap;
	}
	vec->v[vec->n++] = id;
	return 0;
}

static int idvec_pushf(dl_tag_list *l, struct idvec *vec, const char *fmt, ...) DL_PRINTF(3, 4);

static int idvec_pushf(dl_tag_list *l, struct idvec *vec, const char *fmt, ...)
{
	char tmp[160];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return dl_error_set(DL_EINVAL, "tag too long");
	return idvec_push(l, vec, tmp);
}

/* Append a tag unless it is already listed (the first rank wins). */
static int add_tag(dl_tag_list *l, uint32_t a, uint32_t b, uint32_t c)
{
	if (tag_lookup(l, a, b, c) >= 0)
		return 0;
	if (l->n_tags == l->cap_tags) {
		size_t ncap = l->cap_tags ? l->cap_tags * 2 : 256;
		struct tag_ids *n = dl_arena_alloc(l->arena, ncap * sizeof(*n));
		if (n == NULL)
			return dl_error_oom();
		if (l->n_tags > 0)
			memcpy(n, l->tags, l->n_tags * sizeof(*n));
		l->tags = n;
		l->cap_tags = ncap;
	}
	l->tags[l->n_tags++] = (struct tag_ids){a, b, c};
	if (l->tag_slots == NULL || l->n_tags * 2 > l->tag_mask + 1) {
		size_t cap = table_size(l->n_tags * 2);
		uint32_t *slots = dl_arena_calloc(l->arena, cap, sizeof(uint32_t));
		if (slots == NULL)
			return dl_error_oom();
		l->tag_slots = slots;
		l->tag_mask = cap - 1;
		for (size_t r = 0; r < l->n_tags; r++) {
			const struct tag_ids *t = &l->tags[r];
			size_t i = hash_ids(t->python, t->abi, t->platform) & l->tag_mask;
			while (slots[i] != 0)
				i = (i + 1) & l->tag_mask;
			slots[i] = (uint32_t)r + 1;
		}
	} else {
		size_t i = hash_ids(a, b, c) & l->tag_mask;
		while (l->tag_slots[i] != 0)
			i = (i + 1) & l->tag_mask;
		l->tag_slots[i] = (uint32_t)l->n_tags;
	}
	return 0;
}

/* Every (interp, abi) with every platform, in platform order. */
static int add_product(dl_tag_list *l, uint32_t interp, uint32_t abi, const struct idvec *plats)
{
	for (size_t i = 0; i < plats->n; i++) {
		int rc = add_tag(l, interp, abi, plats->v[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* packaging's _manylinux.platform_tags: the architectures for which any
 * manylinux tag is produced (armv7l assumes a hard-float ABI). */
static bool manylinux_arch(const char *arch)
{
	static const char *const archs[] = {"x86_64", "i686",   "aarch64", "armv7l",     "ppc64",
	                                    "ppc64le", "s390x", "riscv64", "loongarch64"};
	for (size_t i = 0; i < sizeof(archs) / sizeof(archs[0]); i++) {
		if (strcmp(arch, archs[i]) == 0)
			return true;
	}
	return false;
}

static int manylinux_platforms(dl_tag_list *l, struct idvec *plats, const dl_tag_target *t)
{
	if (!manylinux_arch(t->arch))
		return 0;
	bool x86 = strcmp(t->arch, "x86_64") == 0 || strcmp(t->arch, "i686") == 0;
	/* The oldest glibc 2 with a tag: 2.5 on x86, 2.17 elsewhere. */
	int oldest_minor = x86 ? 5 : 17;
	for (int major = (int)t->os_major; major >= 2; major--) {
		/* Across glibc majors compatibility is assumed, with 50 minors
		 * (packaging's _LAST_GLIBC_MINOR default) below the current. */
		int top = major == (int)t->os_major ? (int)t->os_minor : 50;
		int bottom = major == 2 ? oldest_minor : 0;
		for (int minor = top; minor >= bottom; minor--) {
			int rc = idvec_pushf(l, plats, "manylinux_%d_%d_%s", major, minor, t->arch);
			if (rc == 0 && major == 2 && minor == 17)
				rc = idvec_pushf(l, plats, "manylinux2014_%s", t->arch);
			if (rc == 0 && major == 2 && minor == 12)
				rc = idvec_pushf(l, plats, "manylinux2010_%s", t->arch);
			if (rc == 0 && major == 2 && minor == 5)
				rc = idvec_pushf(l, plats, "manylinux1_%s", t->arch);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* packaging's _mac_binary_formats: the fat/universal formats that contain
 * `arch` at macOS major.minor, best first; none when the arch did not exist. */
static size_t mac_formats(unsigned major, unsigned minor, const char *arch, const char **out)
{
	size_t n = 0;
	bool before_10_4 = major == 10 && minor < 4;
	out[n++] = arch;
	if (strcmp(arch, "x86_64") == 0) {
		if (before_10_4)
			return 0;
		out[n++] = "intel";
		out[n++] = "fat64";
		out[n++] = "fat32";
	} else if (strcmp(arch, "i386") == 0) {
		if (before_10_4)
			return 0;
		out[n++] = "intel";
		out[n++] = "fat32";
		out[n++] = "fat";
	} else if (strcmp(arch, "ppc64") == 0) {
		if (major > 10 || (major == 10 && minor > 5) || before_10_4)
			return 0;
		out[n++] = "fat64";
	} else if (strcmp(arch, "ppc") == 0) {
		if (major > 10 || (major == 10 && minor > 6))
			return 0;
		out[n++] = "fat32";
		out[n++] = "fat";
	}
	if (strcmp(arch, "arm64") == 0 || strcmp(arch, "x86_64") == 0)
		out[n++] = "universal2";
	if (strcmp(arch, "x86_64") == 0 || strcmp(arch, "i386") == 0 || strcmp(arch, "ppc64") == 0 ||
	    strcmp(arch, "ppc") == 0 || strcmp(arch, "intel") == 0)
		out[n++] = "universal";
	return n;
}

static int mac_version_platforms(dl_tag_list *l, struct idvec *plats, unsigned major, unsigned minor,
                                 const char *arch)
{
	const char *formats[8];
	size_t n = mac_formats(major, minor, arch, formats);
	for (size_t i = 0; i < n; i++) {
		int rc = idvec_pushf(l, plats, "macosx_%u_%u_%s", major, minor, formats[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int mac_platforms(dl_tag_list *l, struct idvec *plats, const dl_tag_target *t)
{
	int rc = 0;
	unsigned major = t->os_major;
	if (major == 10) {
		/* Before macOS 11 each release bumped the minor version. */
		for (int minor = (int)t->os_minor; minor >= 0 && rc == 0; minor--)
			rc = mac_version_platforms(l, plats, 10, (unsigned)minor, t->arch);
	} else if (major >= 11) {
		/* From 11 on each release bumps the major version; x86_64 runs
		 * every older binary, arm64 only universal2 ones (which can
		 * declare a 10.x version for their x86_64 half). */
		for (unsigned m = major; m > 10 && rc == 0; m--)
			rc = mac_version_platforms(l, plats, m, 0, t->arch);
		for (int minor = 16; minor > 3 && rc == 0; minor--) {
			if (strcmp(t->arch, "x86_64") == 0)
				rc = mac_version_platforms(l, plats, 10, (unsigned)minor, t->arch);
			else
				rc = idvec_pushf(l, plats, "macosx_10_%d_universal2", minor);
		}
	}
	return rc;
}

static int windows_platforms(dl_tag_list *l, struct idvec *plats, const dl_tag_target *t)
{
	const char *a = t->arch;
	if (strcmp(a, "x86") == 0 || strcmp(a, "win32") == 0 || strcmp(a, "i386") == 0 || strcmp(a, "i686") == 0)
		return idvec_push(l, plats, "win32");
	if (strcmp(a, "amd64") == 0 || strcmp(a, "x86_64") == 0)
		return idvec_push(l, plats, "win_amd64");
	if (strcmp(a, "arm64") == 0 || strcmp(a, "aarch64") == 0)
		return idvec_push(l, plats, "win_arm64");
	return idvec_pushf(l, plats, "win_%s", a);
}

static int platforms_for(dl_tag_list *l, struct idvec *plats, const dl_tag_target *t)
{
	int rc = 0;
	switch (t->os) {
	case DL_TAG_OS_ANY:
		break;
	case DL_TAG_OS_MANYLINUX:
		rc = manylinux_platforms(l, plats, t);
		if (rc == 0)
			rc = idvec_pushf(l, plats, "linux_%s", t->arch);
		break;
	case DL_TAG_OS_MUSLLINUX:
		for (int minor = (int)t->os_minor; minor >= 0 && rc == 0; minor--)
			rc = idvec_pushf(l, plats, "musllinux_%u_%d_%s", t->os_major, minor, t->arch);
		if (rc == 0)
			rc = idvec_pushf(l, plats, "linux_%s", t->arch);
		break;
	case DL_TAG_OS_LINUX:
		rc = idvec_pushf(l, plats, "linux_%s", t->arch);
		break;
	case DL_TAG_OS_MACOS:
		rc = mac_platforms(l, plats, t);
		break;
	case DL_TAG_OS_WINDOWS:
		rc = windows_platforms(l, plats, t);
		break;
	case DL_TAG_OS_OTHER:
		rc = idvec_push(l, plats, t->platform);
		break;
	}
	return rc;
}

static int cpython_tags(dl_tag_list *l, const dl_tag_target *t, const struct idvec *plats, uint32_t interp)
{
	unsigned M = t->py_major, m = t->py_minor;
	bool abi3 = (M > 3 || (M == 3 && m >= 2)) && !t->free_threaded;
	int rc = 0;
	struct idvec abis = {0};
	if (t->abi[0] != '\0') {
		rc = idvec_push(l, &abis, t->abi);
	} else {
		const char *thr = t->free_threaded ? "t" : "";
		bool old = M < 3 || (M == 3 && m < 8);
		rc = idvec_pushf(l, &abis, "cp%u%u%s%s%s", M, m, thr, t->debug ? "d" : "", old ? "m" : "");
		/* A debug build also loads normal extension modules (3.8+). */
		if (rc == 0 && t->debug && !old)
			rc = idvec_pushf(l, &abis, "cp%u%u%s", M, m, thr);
	}
	uint32_t id_abi3, id_none;
	if (rc == 0)
		rc = intern(l, "abi3", &id_abi3);
	if (rc == 0)
		rc = intern(l, "none", &id_none);
	for (size_t i = 0; i < abis.n && rc == 0; i++) {
		if (abis.v[i] == id_abi3 || abis.v[i] == id_none)
			continue; /* listed at their normal places below */
		rc = add_product(l, interp, abis.v[i], plats);
	}
	if (rc == 0 && abi3)
		rc = add_product(l, interp, id_abi3, plats);
	if (rc == 0)
		rc = add_product(l, interp, id_none, plats);
	if (abi3) {
		for (int minor = (int)m - 1; minor > 1 && rc == 0; minor--) {
			struct idvec one = {0};
			rc = idvec_pushf(l, &one, "cp%u%d", M, minor);
			if (rc == 0)
				rc = add_product(l, one.v[0], id_abi3, plats);
		}
	}
	return rc;
}

static int generic_tags(dl_tag_list *l, const dl_tag_target *t, const struct idvec *plats, uint32_t interp)
{
	int rc = 0;
	uint32_t id_none, id_abi;
	rc = intern(l, "none", &id_none);
	char pypy_abi[64];
	const char *abi = t->abi;
	if (abi[0] == '\0' && t->impl == DL_TAG_IMPL_PYPY) {
		/* Every PyPy 7.3.x, which is all of the current ones. */
		snprintf(pypy_abi, sizeof(pypy_abi), "pypy%u%u_pp73", t->py_major, t->py_minor);
		abi = pypy_abi;
	}
	if (rc == 0 && abi[0] != '\0') {
		rc = intern(l, abi, &id_abi);
		if (rc == 0 && id_abi != id_none)
			rc = add_product(l, interp, id_abi, plats);
	}
	if (rc == 0)
		rc = add_product(l, interp, id_none, plats);
	return rc;
}

/* packaging's compatible_tags: pyXY, pyX, pyX(Y-1)..pyX0 on every platform,
 * then <interp>-none-any, then the same Python range on "any". */
static int compatible_tags(dl_tag_list *l, const dl_tag_target *t, const struct idvec *plats, const char *interp)
{
	struct idvec pys = {0};
	int rc = idvec_pushf(l, &pys, "py%u%u", t->py_major, t->py_minor);
	if (rc == 0)
		rc = idvec_pushf(l, &pys, "py%u", t->py_major);
	for (int minor = (int)t->py_minor - 1; minor >= 0 && rc == 0; minor--)
		rc = idvec_pushf(l, &pys, "py%u%d", t->py_major, minor);
	uint32_t id_none, id_any;
	if (rc == 0)
		rc = intern(l, "none", &id_none);
	if (rc == 0)
		rc = intern(l, "any", &id_any);
	for (size_t i = 0; i < pys.n && rc == 0; i++)
		rc = add_product(l, pys.v[i], id_none, plats);
	if (rc == 0 && interp != NULL) {
		uint32_t id_interp;
		rc = intern(l, interp, &id_interp);
		if (rc == 0)
			rc = add_tag(l, id_interp, id_none, id_any);
	}
	for (size_t i = 0; i < pys.n && rc == 0; i++)
		rc = add_tag(l, pys.v[i], id_none, id_any);
	return rc;
}

int dl_tag_list_new(dl_tag_list **out, const dl_tag_target *t)
{
	int rc = dl_tag_target_check(t);
	if (rc < 0)
		return rc;
	dl_arena *arena = NULL;
	rc = dl_arena_new(&arena);
	if (rc < 0)
		return rc;
	dl_tag_list *l = dl_arena_calloc(arena, 1, sizeof(*l));
	if (l == NULL) {
		dl_arena_free(arena);
		return dl_error_oom();
	}
	l->arena = arena;
	struct idvec plats = {0};
	rc = platforms_for(l, &plats, t);

	char interp[48];
	const char *compat_interp = NULL;
	if (t->impl == DL_TAG_IMPL_CPYTHON)
		snprintf(interp, sizeof(interp), "cp%u%u", t->py_major, t->py_minor);
	else if (t->impl == DL_TAG_IMPL_PYPY)
		snprintf(interp, sizeof(interp), "pp%u%u", t->py_major, t->py_minor);
	else
		snprintf(interp, sizeof(interp), "%s%u%u", t->impl_name, t->py_major, t->py_minor);
	uint32_t id_interp = 0;
	if (rc == 0)
		rc = intern(l, interp, &id_interp);
	if (rc == 0) {
		if (t->impl == DL_TAG_IMPL_CPYTHON) {
			rc = cpython_tags(l, t, &plats, id_interp);
			compat_interp = interp;
		} else {
			rc = generic_tags(l, t, &plats, id_interp);
			compat_interp = t->impl == DL_TAG_IMPL_PYPY ? "pp3" : NULL;
		}
	}
	if (rc == 0) {
		char pp3[16];
		snprintf(pp3, sizeof(pp3), "pp%u", t->py_major);
		rc = compatible_tags(l, t, &plats, t->impl == DL_TAG_IMPL_PYPY ? pp3 : compat_interp);
	}
	if (rc < 0) {
		dl_arena_free(arena);
		return rc;
	}
	*out = l;
	return 0;
}

void dl_tag_list_free(dl_tag_list *list)
{
	if (list != NULL)
		dl_arena_free(list->arena);
}

size_t dl_tag_list_count(const dl_tag_list *list)
{
	return list->n_tags;
}

int dl_tag_list_get(const dl_tag_list *list, size_t i, dl_tag *out)
{
	if (i >= list->n_tags)
		return dl_error_set(DL_EINVAL, "tag rank %zu out of range (the list has %zu tags)", i, list->n_tags);
	const struct tag_ids *t = &list->tags[i];
	out->python = list->strs[t->python];
	out->abi = list->strs[t->abi];
	out->platform = list->strs[t->platform];
	return 0;
}

long dl_tag_list_rank(const dl_tag_list *list, const char *python, size_t python_len, const char *abi,
                      size_t abi_len, const char *platform, size_t platform_len)
{
	long a = str_lookup(list, python, python_len);
	if (a < 0)
		return -1;
	long b = str_lookup(list, abi, abi_len);
	if (b < 0)
		return -1;
	long c = str_lookup(list, platform, platform_len);
	if (c < 0)
		return -1;
	return tag_lookup(list, (uint32_t)a, (uint32_t)b, (uint32_t)c);
}

int dl_tag_list_match(const dl_tag_list *list, const dl_tagset *set, size_t *rank)
{
	long best = -1;
	/* The set expands to at most DL_TAGSET_MAX_EXPANDED triples, so the
	 * nested look-ups are bounded; unknown alternatives prune early. */
	for (size_t i = 0; i < set->n_python; i++) {
		long a = str_lookup(list, set->python[i], strlen(set->python[i]));
		if (a < 0)
			continue;
		for (size_t j = 0; j < set->n_abi; j++) {
			long b = str_lookup(list, set->abi[j], strlen(set->abi[j]));
			if (b < 0)
				continue;
			for (size_t k = 0; k < set->n_platform; k++) {
				long c = str_lookup(list, set->platform[k], strlen(set->platform[k]));
				if (c < 0)
					continue;
				long r = tag_lookup(list, (uint32_t)a, (uint32_t)b, (uint32_t)c);
				if (r >= 0 && (best < 0 || r < best))
					best = r;
			}
		}
	}
	if (best < 0)
		return 0;
	*rank = (size_t)best;
	return 1;
}
