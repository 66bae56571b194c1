/*
 * archive.c - a hardened, in-memory, read-only archive reader over
 * libarchive (see deeplock/archive.h for the rules it enforces).
 *
 * Design.  libarchive reads archives as a stream, so a dl_archive keeps the
 * archive's bytes (borrowed from the caller, or read once from a file) and
 * starts a fresh libarchive reader for every pass.  Opening makes one full
 * pass that checks every member and records a table of them (in an arena,
 * with a hash index on the normalised path); reading makes another pass
 * that stops as soon as the wanted members have been copied out.  The
 * bytes never change between passes, so the second pass sees exactly what
 * the first one checked.
 *
 * Data is never skipped with archive_read_data_skip: every member's data is
 * pulled block by block through pump(), which enforces the size, total and
 * ratio limits after each block.  Skipping a member of a compressed tar
 * costs the same decompression anyway, and this way a bomb is stopped in
 * the member that carries it.  The ratio compares the uncompressed bytes
 * produced (the top filter's output for a compressed tar, the members' data
 * for a zip, which compresses per member) with the raw bytes consumed.
 *
 * Only the gzip, bzip2 and xz filters and the tar and zip formats are
 * registered.  Zip is read through its central directory only (libarchive's
 * "seekable" zip reader), which is what Python's zipfile, and so pip and
 * installers, read; the streaming reader would trust local headers, which
 * can disagree with the directory, and would accept a zip whose directory
 * was cut off.  libarchive can fall back to running an external program for
 * a filter it was built without; registration then reports a warning, and
 * we refuse rather than run anything.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "deeplock/archive.h"

struct dl_archive {
	dl_arena *arena;
	const unsigned char *data;
	size_t len;
	unsigned char *owned; /* data read by dl_archive_open_file */
	char *name;
	dl_archive_limits lim;
	dl_archive_format format;
	dl_archive_compression compression;
	dl_archive_member *members;
	size_t count;
	size_t cap;
	uint32_t *index; /* open addressing: member index + 1, 0 = empty */
	size_t index_size;
	const char *topdir;
	size_t topdir_len;
};

/* State of one pass over the archive. */
struct pass {
	const dl_archive *ar;
	struct archive *a;
	uint64_t total; /* uncompressed data bytes pumped so far */
};

static const char *arname(const dl_archive *ar)
{
	return ar->name;
}

/* ------------------------------------------------------------------ */
/* Limits                                                               */

static int limits_resolve(dl_archive_limits *out, const dl_archive_limits *in)
{
	dl_archive_limits d = DL_ARCHIVE_LIMITS_INIT;
	if (in != NULL) {
		if (in->version != DL_ARCHIVE_LIMITS_VERSION)
			return dl_error_set(DL_EINVAL, "dl_archive_limits: version %u, expected %u", in->version,
			                    DL_ARCHIVE_LIMITS_VERSION);
		d = *in;
	}
	if (d.max_input == 0)
		d.max_input = DL_ARCHIVE_DEFAULT_MAX_INPUT;
	if (d.max_members == 0)
		d.max_members = DL_ARCHIVE_DEFAULT_MAX_MEMBERS;
	if (d.max_member_size == 0)
		d.max_member_size = DL_ARCHIVE_DEFAULT_MAX_MEMBER_SIZE;
	if (d.max_total_size == 0)
		d.max_total_size = DL_ARCHIVE_DEFAULT_MAX_TOTAL_SIZE;
	if (d.max_ratio == 0)
		d.max_ratio = DL_ARCHIVE_DEFAULT_MAX_RATIO;
	if (d.ratio_grace == 0)
		d.ratio_grace = DL_ARCHIVE_DEFAULT_RATIO_GRACE;
	if (d.max_path == 0)
		d.max_path = DL_ARCHIVE_DEFAULT_MAX_PATH;
	if (d.max_members > UINT32_MAX / 4)
		return dl_error_set(DL_EINVAL, "dl_archive_limits: max_members %zu is above %u", d.max_members,
		                    (unsigned)(UINT32_MAX / 4));
	*out = d;
	return 0;
}

/* ------------------------------------------------------------------ */
/* libarchive readers                                                   */

static int reader_open(struct pass *p, const dl_archive *ar)
{
	p->ar = ar;
	p->total = 0;
	p->a = archive_read_new();
	if (p->a == NULL)
		return dl_error_oom();
	/* Anything but ARCHIVE_OK means "not built in" (an external program
	 * would be run) or broken: refuse. */
	if (archive_read_support_filter_gzip(p->a) != ARCHIVE_OK ||
	    archive_read_support_filter_bzip2(p->a) != ARCHIVE_OK ||
	    archive_read_support_filter_xz(p->a) != ARCHIVE_OK ||
	    archive_read_support_format_tar(p->a) != ARCHIVE_OK ||
	    archive_read_support_format_zip_seekable(p->a) != ARCHIVE_OK) {
		dl_error_set(DL_EUNSUPPORTED,
		             "archive '%s': this libarchive lacks built-in gzip, bzip2, xz, tar or zip support (%s); "
		             "deeplock does not run external decompressors",
		             arname(ar), archive_error_string(p->a) ? archive_error_string(p->a) : "no detail");
		archive_read_free(p->a);
		p->a = NULL;
		return DL_EUNSUPPORTED;
	}
	if (archive_read_open_memory(p->a, ar->data, ar->len) != ARCHIVE_OK) {
		const char *why = archive_error_string(p->a);
		dl_error_set(DL_EPARSE, "archive '%s': not a tar or zip archive, or a damaged one (%s)", arname(ar),
		             why != NULL ? why : "unrecognised data");
		archive_read_free(p->a);
		p->a = NULL;
		return DL_EPARSE;
	}
	return 0;
}

static void reader_close(struct pass *p)
{
	if (p->a != NULL)
		archive_read_free(p->a);
	p->a = NULL;
}

static uint64_t filter_bytes(struct archive *a, int n)
{
	la_int64_t v = archive_filter_bytes(a, n);
	return v < 0 ? 0 : (uint64_t)v;
}

/* Check the total and ratio limits after more data was produced. */
static int check_totals(struct pass *p, const char *member)
{
	const dl_archive_limits *lim = &p->ar->lim;
	uint64_t produced = filter_bytes(p->a, 0);
	if (p->total > produced)
		produced = p->total;
	if (produced > lim->max_total_size)
		return dl_error_set(DL_ELIMIT,
		                    "archive '%s': member '%s': the archive expands to more than %llu bytes",
		                    arname(p->ar), member, (unsigned long long)lim->max_total_size);
	if (produced > lim->ratio_grace) {
		uint64_t raw = filter_bytes(p->a, -1);
		if (raw == 0)
			raw = 1;
		if (produced / raw >= lim->max_ratio)
			return dl_error_set(DL_ELIMIT,
			                    "archive '%s': member '%s': %llu bytes of data came from %llu compressed "
			                    "bytes, more than %u times as much (a decompression bomb?)",
			                    arname(p->ar), member, (unsigned long long)produced, (unsigned long long)raw,
			                    lim->max_ratio);
	}
	return 0;
}

static int data_error(struct pass *p, const char *member)
{
	const char *why = archive_error_string(p->a);
	return dl_error_set(DL_EPARSE, "archive '%s': member '%s': cannot read its data (%s)", arname(p->ar), member,
	                    why != NULL ? why : "damaged archive");
}

/*
 * Pull the current member's data through the limits: `cap` bytes at most
 * (DL_ELIMIT beyond, naming `member`), appended to `out` when it is not
 * NULL, discarded otherwise.  Holes of sparse tar members are appended as
 * zeros; they count against the limits like data.
 */
static int pump(struct pass *p, const char *member, dl_buf *out, uint64_t cap)
{
	static const char zeros[4096];
	uint64_t have = 0;
	for (;;) {
		const void *block;
		size_t size;
		la_int64_t off;
		int r = archive_read_data_block(p->a, &block, &size, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return data_error(p, member);
		if (off < 0 || (uint64_t)off < have)
			return dl_error_set(DL_EPARSE, "archive '%s': member '%s': data blocks out of order",
			                    arname(p->ar), member);
		uint64_t end;
		if (__builtin_add_overflow((uint64_t)off, (uint64_t)size, &end) || end > cap)
			return dl_error_set(DL_ELIMIT, "archive '%s': member '%s' is larger than %llu bytes",
			                    arname(p->ar), member, (unsigned long long)cap);
		if (out != NULL) {
			for (uint64_t gap = (uint64_t)off - have; gap > 0;) {
				size_t n = gap > sizeof(zeros) ? sizeof(zeros) : (size_t)gap;
				int rc = dl_buf_put(out, zeros, n);
				if (rc < 0)
					return rc;
				gap -= n;
			}
			int rc = dl_buf_put(out, block, size);
			if (rc < 0)
				return rc;
		}
		p->total += end - have;
		have = end;
		int rc = check_totals(p, member);
		if (rc < 0)
			return rc;
	}
}

/* ------------------------------------------------------------------ */
/* Names                                                                */

/* A name fit for a message, in `buf`: at most 200 bytes, control bytes as
 * '?'.  Returns buf. */
typedef struct qname {
	char s[256];
} qname;

static const char *quote_into(qname *q, const char *s)
{
	char *buf = q->s;
	size_t n = 0;
	for (size_t i = 0; s[i] != '\0' && n + 4 < sizeof(q->s); i++) {
		unsigned char c = (unsigned char)s[i];
		buf[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
		if (i >= 200) {
			buf[n++] = '.';
			buf[n++] = '.';
			buf[n++] = '.';
			break;
		}
	}
	buf[n] = '\0';
	return buf;
}

static bool is_drive(const char *s, size_t len)
{
	return len >= 2 && dl_isalpha((unsigned char)s[0]) && s[1] == ':';
}

/*
 * Normalise a stored member name into `out` (at least strlen(raw)+1 bytes):
 * drop "." and empty components and a trailing '/'.  Returns the length, or
 * a negative code with the error set.  `what` says what the name is
 * ("member" or "link target of member").
 */
static int normalize(const dl_archive *ar, const char *raw, char *out, size_t *out_len, const char *member)
{
	size_t rlen = strlen(raw);
	if (rlen == 0)
		return dl_error_set(DL_EUNSUPPORTED, "archive '%s': a member has an empty name", arname(ar));
	if (rlen > ar->lim.max_path)
		return dl_error_set(DL_ELIMIT, "archive '%s': member '%.100s...' has a name longer than %zu bytes",
		                    arname(ar), raw, ar->lim.max_path);
	const char *problem = NULL;
	for (size_t i = 0; i < rlen && problem == NULL; i++) {
		unsigned char c = (unsigned char)raw[i];
		if (c < 0x20 || c == 0x7f)
			problem = "a control character in its name";
		else if (c == '\\')
			problem = "a backslash in its name (a Windows path separator)";
	}
	if (problem == NULL && raw[0] == '/')
		problem = "an absolute path";
	if (problem == NULL && is_drive(raw, rlen))
		problem = "a path starting with a drive letter";
	size_t n = 0;
	for (size_t i = 0; i < rlen && problem == NULL;) {
		size_t j = i;
		while (j < rlen && raw[j] != '/')
			j++;
		size_t clen = j - i;
		if (clen == 2 && raw[i] == '.' && raw[i + 1] == '.') {
			problem = "a '..' component";
		} else if (clen > 0 && !(clen == 1 && raw[i] == '.')) {
			if (n > 0)
				out[n++] = '/';
			memcpy(out + n, raw + i, clen);
			n += clen;
		}
		i = j + 1;
	}
	if (problem != NULL) {
		qname q;
		if (member != NULL)
			return dl_error_set(DL_EUNSUPPORTED, "archive '%s': member '%s' is refused: its link target '%s' has %s",
			                    arname(ar), member, quote_into(&q, raw), problem);
		return dl_error_set(DL_EUNSUPPORTED, "archive '%s': member '%s' is refused: it has %s", arname(ar),
		                    quote_into(&q, raw), problem);
	}
	out[n] = '\0';
	*out_len = n;
	return 0;
}

/* Does a symbolic link at `path` with target `target` stay inside the root?
 * Lexical: each '..' must have a component to cancel. */
static bool symlink_stays_inside(const char *path, size_t path_len, const char *target)
{
	if (target[0] == '/' || is_drive(target, strlen(target)))
		return false;
	for (const char *t = target; *t != '\0'; t++) {
		if (*t == '\\')
			return false;
	}
	/* depth of the link's directory */
	size_t depth = 0;
	for (size_t i = 0; i < path_len; i++) {
		if (path[i] == '/')
			depth++;
	}
	size_t tlen = strlen(target);
	for (size_t i = 0; i < tlen;) {
		size_t j = i;
		while (j < tlen && target[j] != '/')
			j++;
		size_t clen = j - i;
		if (clen == 2 && target[i] == '.' && target[i + 1] == '.') {
			if (depth == 0)
				return false;
			depth--;
		} else if (clen > 0 && !(clen == 1 && target[i] == '.')) {
			depth++;
		}
		i = j + 1;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* The member table                                                     */

static uint64_t hash_path(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static int index_build(dl_archive *ar)
{
	size_t size = 16;
	while (size < ar->count * 2)
		size *= 2;
	ar->index = dl_calloc(size, sizeof(uint32_t));
	if (ar->index == NULL)
		return dl_error_oom();
	ar->index_size = size;
	for (size_t i = 0; i < ar->count; i++) {
		const dl_archive_member *m = &ar->members[i];
		size_t slot = (size_t)hash_path(m->path, m->path_len) & (size - 1);
		while (ar->index[slot] != 0) {
			const dl_archive_member *o = &ar->members[ar->index[slot] - 1];
			if (o->path_len == m->path_len && memcmp(o->path, m->path, m->path_len) == 0) {
				/* A directory listed twice is harmless; anything else is
				 * ambiguous. */
				if (o->type == DL_MEMBER_DIR && m->type == DL_MEMBER_DIR)
					goto next;
				qname q;
				return dl_error_set(DL_EUNSUPPORTED,
				                    "archive '%s': member '%s' is refused: it appears twice (entries %u and "
				                    "%zu), and which copy a tool extracts depends on the tool",
				                    arname(ar), quote_into(&q, m->path), ar->index[slot], i + 1);
			}
			slot = (slot + 1) & (size - 1);
		}
		ar->index[slot] = (uint32_t)(i + 1);
next:;
	}
	return 0;
}

const dl_archive_member *dl_archive_lookup(const dl_archive *ar, const char *path, size_t len)
{
	if (ar->index_size == 0)
		return NULL;
	size_t slot = (size_t)hash_path(path, len) & (ar->index_size - 1);
	while (ar->index[slot] != 0) {
		const dl_archive_member *m = &ar->members[ar->index[slot] - 1];
		if (m->path_len == len && memcmp(m->path, path, len) == 0)
			return m;
		slot = (slot + 1) & (ar->index_size - 1);
	}
	return NULL;
}

/* Refuse a member that lies below a symbolic link: extracting it would
 * write through the link. */
static int check_below_links(const dl_archive *ar)
{
	for (size_t i = 0; i < ar->count; i++) {
		const dl_archive_member *m = &ar->members[i];
		for (size_t k = 0; k < m->path_len; k++) {
			if (m->path[k] != '/')
				continue;
			const dl_archive_member *parent = dl_archive_lookup(ar, m->path, k);
			qname q;
			if (parent != NULL && parent->type == DL_MEMBER_SYMLINK)
				return dl_error_set(DL_EUNSUPPORTED,
				                    "archive '%s': member '%s' is refused: it lies below the symbolic link "
				                    "'%.*s'",
				                    arname(ar), quote_into(&q, m->path), (int)k, m->path);
		}
	}
	return 0;
}

static void find_topdir(dl_archive *ar)
{
	ar->topdir = NULL;
	ar->topdir_len = 0;
	if (ar->count == 0)
		return;
	const dl_archive_member *first = &ar->members[0];
	const char *slash = memchr(first->path, '/', first->path_len);
	size_t tlen = slash != NULL ? (size_t)(slash - first->path) : first->path_len;
	for (size_t i = 0; i < ar->count; i++) {
		const dl_archive_member *m = &ar->members[i];
		if (m->path_len < tlen || memcmp(m->path, first->path, tlen) != 0)
			return;
		if (m->path_len == tlen) {
			if (m->type != DL_MEMBER_DIR)
				return; /* a file at the top level */
		} else if (m->path[tlen] != '/') {
			return;
		}
	}
	ar->topdir = dl_arena_strndup(ar->arena, first->path, tlen);
	if (ar->topdir != NULL)
		ar->topdir_len = tlen;
}

static int add_member(dl_archive *ar, dl_archive_member **out)
{
	if (ar->count == ar->cap) {
		size_t ncap = ar->cap ? ar->cap * 2 : 64;
		if (dl_realloc_array((void **)&ar->members, ncap, sizeof(*ar->members)) < 0)
			return dl_error_oom();
		ar->cap = ncap;
	}
	*out = &ar->members[ar->count++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

static const char *entry_name(struct archive_entry *e)
{
	const char *s = archive_entry_pathname(e);
	if (s == NULL)
		s = archive_entry_pathname_utf8(e);
	return s;
}

/* Record one entry of the scanning pass and pump its data. */
static int scan_entry(dl_archive *ar, struct pass *p, struct archive_entry *e, size_t ordinal, char *scratch)
{
	const char *raw = entry_name(e);
	if (raw == NULL)
		return dl_error_set(DL_EUNSUPPORTED, "archive '%s': entry %zu has a name that cannot be read", arname(ar),
		                    ordinal);
	size_t nlen;
	int rc = normalize(ar, raw, scratch, &nlen, NULL);
	if (rc < 0)
		return rc;
	qname qs, ql;
	const char *shown = quote_into(&qs, scratch);
	if (archive_entry_is_encrypted(e))
		return dl_error_set(DL_EUNSUPPORTED, "archive '%s': member '%s' is encrypted", arname(ar), shown);

	dl_archive_member_type type;
	const char *link = NULL;
	const char *hard = archive_entry_hardlink(e);
	mode_t ft = archive_entry_filetype(e);
	if (hard != NULL) {
		type = DL_MEMBER_HARDLINK;
		link = hard;
	} else if (ft == AE_IFREG) {
		type = DL_MEMBER_FILE;
	} else if (ft == AE_IFDIR) {
		type = DL_MEMBER_DIR;
	} else if (ft == AE_IFLNK) {
		type = DL_MEMBER_SYMLINK;
		link = archive_entry_symlink(e);
		if (link == NULL)
			link = archive_entry_symlink_utf8(e);
		if (link == NULL || link[0] == '\0')
			return dl_error_set(DL_EUNSUPPORTED, "archive '%s': member '%s' is a symbolic link without a target",
			                    arname(ar), shown);
	} else {
		const char *kind = ft == AE_IFCHR ? "a character device" :
		                   ft == AE_IFBLK ? "a block device" :
		                   ft == AE_IFIFO ? "a FIFO" :
		                   ft == AE_IFSOCK ? "a socket" : "of an unknown type";
		return dl_error_set(DL_EUNSUPPORTED, "archive '%s': member '%s' is refused: it is %s", arname(ar), shown,
		                    kind);
	}

	if (type == DL_MEMBER_SYMLINK && !symlink_stays_inside(scratch, nlen, link))
		return dl_error_set(DL_EUNSUPPORTED,
		                    "archive '%s': member '%s' is refused: it is a symbolic link to '%s', outside the "
		                    "archive's root",
		                    arname(ar), shown, quote_into(&ql, link));
	if (type == DL_MEMBER_HARDLINK) {
		size_t hlen = strlen(link);
		char *tmp = dl_malloc(hlen + 1);
		if (tmp == NULL)
			return dl_error_oom();
		size_t tl;
		rc = normalize(ar, link, tmp, &tl, shown);
		dl_free(tmp);
		if (rc < 0)
			return rc;
	}

	la_int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
	if (declared < 0)
		declared = 0;
	if ((uint64_t)declared > ar->lim.max_member_size)
		return dl_error_set(DL_ELIMIT, "archive '%s': member '%s' declares %lld bytes, more than the %llu allowed",
		                    arname(ar), shown, (long long)declared, (unsigned long long)ar->lim.max_member_size);

	if (nlen > 0) {
		dl_archive_member *m = NULL;
		rc = add_member(ar, &m);
		if (rc < 0)
			return rc;
		m->path = dl_arena_strndup(ar->arena, scratch, nlen);
		m->link = link != NULL ? dl_arena_strndup(ar->arena, link, strlen(link)) : NULL;
		if (m->path == NULL || (link != NULL && m->link == NULL))
			return dl_error_oom();
		m->path_len = nlen;
		m->type = type;
		m->size = type == DL_MEMBER_FILE ? (uint64_t)declared : 0;
		m->mode = (unsigned)archive_entry_perm(e) & 0777u;
	}
	/* The data is pumped for every kind: a link or directory carrying
	 * data is odd, but its bytes still count against the limits. */
	return pump(p, shown, NULL, ar->lim.max_member_size);
}

static int scan(dl_archive *ar)
{
	struct pass p;
	int rc = reader_open(&p, ar);
	if (rc < 0)
		return rc;
	char *scratch = dl_malloc(ar->lim.max_path + 1);
	if (scratch == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	char prev[256] = "";
	for (size_t ordinal = 1;; ordinal++) {
		struct archive_entry *e;
		int r = archive_read_next_header(p.a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			const char *why = archive_error_string(p.a);
			if (prev[0] != '\0')
				rc = dl_error_set(DL_EPARSE, "archive '%s': damaged or truncated after member '%s' (%s)",
				                  arname(ar), prev, why != NULL ? why : "no detail");
			else
				rc = dl_error_set(DL_EPARSE, "archive '%s': damaged or truncated at its first member (%s)",
				                  arname(ar), why != NULL ? why : "no detail");
			goto done;
		}
		if (ordinal == 1) {
			ar->format = (archive_format(p.a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP ? DL_ARCHIVE_ZIP
			                                                                                    : DL_ARCHIVE_TAR;
			switch (archive_filter_code(p.a, 0)) {
			case ARCHIVE_FILTER_GZIP: ar->compression = DL_ARCHIVE_GZIP; break;
			case ARCHIVE_FILTER_BZIP2: ar->compression = DL_ARCHIVE_BZIP2; break;
			case ARCHIVE_FILTER_XZ: ar->compression = DL_ARCHIVE_XZ; break;
			default: ar->compression = DL_ARCHIVE_UNCOMPRESSED; break;
			}
		}
		if (ordinal > ar->lim.max_members) {
			rc = dl_error_set(DL_ELIMIT, "archive '%s': more than %zu members (stopped after '%s')", arname(ar),
			                  ar->lim.max_members, prev);
			goto done;
		}
		rc = scan_entry(ar, &p, e, ordinal, scratch);
		if (rc < 0)
			goto done;
		const char *name = entry_name(e);
		qname q;
		snprintf(prev, sizeof(prev), "%s", name != NULL ? quote_into(&q, name) : "?");
	}
	if (ar->format == 0)
		ar->format = (archive_format(p.a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP ? DL_ARCHIVE_ZIP
		                                                                                    : DL_ARCHIVE_TAR;
	/* An empty input is "not an archive" to us, not an empty archive. */
	if (ar->len == 0) {
		rc = dl_error_set(DL_EPARSE, "archive '%s': not a tar or zip archive (it is empty)", arname(ar));
		goto done;
	}
	rc = index_build(ar);
	if (rc < 0)
		goto done;
	rc = check_below_links(ar);
	if (rc < 0)
		goto done;
	find_topdir(ar);
	rc = 0;
done:
	dl_free(scratch);
	reader_close(&p);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Opening and closing                                                  */

static int archive_new(dl_archive **out, const char *name, const dl_archive_limits *limits)
{
	dl_archive *ar = dl_calloc(1, sizeof(*ar));
	if (ar == NULL)
		return dl_error_oom();
	int rc = limits_resolve(&ar->lim, limits);
	if (rc < 0) {
		dl_free(ar);
		return rc;
	}
	ar->name = dl_strdup(name != NULL ? name : "<memory>");
	if (ar->name == NULL || dl_arena_new(&ar->arena) < 0) {
		dl_free(ar->name);
		dl_free(ar);
		return dl_error_oom();
	}
	*out = ar;
	return 0;
}

int dl_archive_open_memory(dl_archive **out, const void *data, size_t len, const char *name,
                           const dl_archive_limits *limits)
{
	if (out == NULL || (data == NULL && len > 0))
		return dl_error_set(DL_EINVAL, "dl_archive_open_memory: NULL argument");
	dl_archive *ar;
	int rc = archive_new(&ar, name, limits);
	if (rc < 0)
		return rc;
	ar->data = data != NULL ? data : (const unsigned char *)"";
	ar->len = len;
	rc = scan(ar);
	if (rc < 0) {
		dl_archive_free(ar);
		return rc;
	}
	*out = ar;
	return 0;
}

int dl_archive_open_file(dl_archive **out, const char *path, const dl_archive_limits *limits)
{
	if (out == NULL || path == NULL)
		return dl_error_set(DL_EINVAL, "dl_archive_open_file: NULL argument");
	dl_archive *ar;
	int rc = archive_new(&ar, path, limits);
	if (rc < 0)
		return rc;
	dl_buf b;
	dl_buf_init(&b, ar->lim.max_input);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		char ebuf[128];
		const char *why = strerror_r(errno, ebuf, sizeof(ebuf));
		rc = dl_error_set(DL_EIO, "archive '%s': cannot open it (%s)", path, why);
		goto fail;
	}
	char chunk[65536];
	for (;;) {
		size_t n = fread(chunk, 1, sizeof(chunk), f);
		if (n > 0) {
			rc = dl_buf_put(&b, chunk, n);
			if (rc < 0) {
				fclose(f);
				if (rc == DL_ELIMIT)
					dl_error_set(DL_ELIMIT, "archive '%s': larger than %zu bytes", path, ar->lim.max_input);
				goto fail;
			}
		}
		if (n < sizeof(chunk)) {
			if (ferror(f)) {
				fclose(f);
				rc = dl_error_set(DL_EIO, "archive '%s': read error", path);
				goto fail;
			}
			break;
		}
	}
	fclose(f);
	size_t len = 0;
	ar->owned = (unsigned char *)dl_buf_detach(&b, &len);
	if (ar->owned == NULL) {
		rc = dl_error_oom();
		goto fail;
	}
	ar->data = ar->owned;
	ar->len = len;
	rc = scan(ar);
	if (rc < 0) {
		dl_archive_free(ar);
		return rc;
	}
	*out = ar;
	return 0;
fail:
	dl_buf_free(&b);
	dl_archive_free(ar);
	return rc;
}

void dl_archive_free(dl_archive *ar)
{
	if (ar == NULL)
		return;
	dl_arena_free(ar->arena);
	dl_free(ar->members);
	dl_free(ar->index);
	dl_free(ar->owned);
	dl_free(ar->name);
	dl_free(ar);
}

const char *dl_archive_name(const dl_archive *ar)
{
	return ar->name;
}

dl_archive_format dl_archive_get_format(const dl_archive *ar)
{
	return ar->format;
}

dl_archive_compression dl_archive_get_compression(const dl_archive *ar)
{
	return ar->compression;
}

size_t dl_archive_count(const dl_archive *ar)
{
	return ar->count;
}

const dl_archive_member *dl_archive_member_at(const dl_archive *ar, size_t i)
{
	return i < ar->count ? &ar->members[i] : NULL;
}

const char *dl_archive_topdir(const dl_archive *ar, size_t *len)
{
	if (len != NULL)
		*len = ar->topdir_len;
	return ar->topdir;
}

/* Glob match where '*' and '?' never match '/'. */
static bool glob_match(const char *pat, const char *s, size_t slen)
{
	size_t p = 0, i = 0;
	size_t star_p = (size_t)-1, star_i = 0;
	size_t plen = strlen(pat);
	while (i < slen) {
		if (p < plen && pat[p] == '*') {
			star_p = p++;
			star_i = i;
		} else if (p < plen && ((pat[p] == '?' && s[i] != '/') || pat[p] == s[i])) {
			p++;
			i++;
		} else if (star_p != (size_t)-1 && s[star_i] != '/') {
			/* let the last star eat one more character (never a '/') */
			p = star_p + 1;
			i = ++star_i;
		} else {
			return false;
		}
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

const dl_archive_member *dl_archive_find(const dl_archive *ar, const char *pattern)
{
	for (size_t i = 0; i < ar->count; i++) {
		if (glob_match(pattern, ar->members[i].path, ar->members[i].path_len))
			return &ar->members[i];
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Reading                                                              */

static int check_wanted(const dl_archive *ar, const char *path, uint64_t cap)
{
	qname q;
	const dl_archive_member *m = dl_archive_lookup(ar, path, strlen(path));
	if (m == NULL)
		return dl_error_set(DL_ENOTFOUND, "archive '%s': no member '%s'", arname(ar), quote_into(&q, path));
	if (m->type == DL_MEMBER_DIR)
		return dl_error_set(DL_EUNSUPPORTED, "archive '%s': member '%s' is a directory", arname(ar),
		                    quote_into(&q, path));
	if (m->type == DL_MEMBER_SYMLINK || m->type == DL_MEMBER_HARDLINK)
		return dl_error_set(DL_EUNSUPPORTED,
		                    "archive '%s': member '%s' is a %s link to '%s'; deeplock does not follow links",
		                    arname(ar), quote_into(&q, path), m->type == DL_MEMBER_SYMLINK ? "symbolic" : "hard",
		                    m->link);
	if (m->size > cap)
		return dl_error_set(DL_ELIMIT, "archive '%s': member '%s' is %llu bytes, more than the %llu allowed",
		                    arname(ar), quote_into(&q, path), (unsigned long long)m->size, (unsigned long long)cap);
	return 0;
}

int dl_archive_read_many(const dl_archive *ar, const char *const *paths, size_t n, dl_buf *outs, size_t max)
{
	uint64_t cap = ar->lim.max_member_size;
	if (max != 0 && (uint64_t)max < cap)
		cap = (uint64_t)max;
	for (size_t k = 0; k < n; k++) {
		int rc = check_wanted(ar, paths[k], cap);
		if (rc < 0)
			return rc;
	}
	if (n == 0)
		return 0;
	bool *done_flags = dl_calloc(n, sizeof(bool));
	char *scratch = dl_malloc(ar->lim.max_path + 1);
	struct pass p = {0};
	int rc = 0;
	if (done_flags == NULL || scratch == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	rc = reader_open(&p, ar);
	if (rc < 0)
		goto done;
	size_t remaining = n;
	while (remaining > 0) {
		struct archive_entry *e;
		int r = archive_read_next_header(p.a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			qname q;
			rc = dl_error_set(DL_EPARSE, "archive '%s': damaged while looking for '%s' (%s)", arname(ar),
			                  quote_into(&q, paths[0]), archive_error_string(p.a) ? archive_error_string(p.a) : "?");
			goto done;
		}
		const char *raw = entry_name(e);
		size_t nlen = 0;
		if (raw == NULL || normalize(ar, raw, scratch, &nlen, NULL) < 0) {
			/* The scan accepted every name; the bytes cannot have changed. */
			rc = dl_error_set(DL_EPARSE, "archive '%s': a member name changed between passes", arname(ar));
			goto done;
		}
		dl_buf *target = NULL;
		for (size_t k = 0; k < n; k++) {
			if (!done_flags[k] && strcmp(paths[k], scratch) == 0 && archive_entry_hardlink(e) == NULL &&
			    archive_entry_filetype(e) == AE_IFREG) {
				target = &outs[k];
				done_flags[k] = true;
				remaining--;
				break;
			}
		}
		qname q;
		rc = pump(&p, quote_into(&q, scratch), target, target != NULL ? cap : ar->lim.max_member_size);
		if (rc < 0)
			goto done;
	}
	if (remaining > 0) {
		for (size_t k = 0; k < n; k++) {
			if (!done_flags[k]) {
				qname q;
				rc = dl_error_set(DL_EPARSE, "archive '%s': member '%s' vanished between passes", arname(ar),
				                  quote_into(&q, paths[k]));
				goto done;
			}
		}
	}
	rc = 0;
done:
	reader_close(&p);
	dl_free(scratch);
	dl_free(done_flags);
	return rc;
}

int dl_archive_read(const dl_archive *ar, const char *path, dl_buf *out, size_t max)
{
	const char *paths[1] = {path};
	return dl_archive_read_many(ar, paths, 1, out, max);
}
