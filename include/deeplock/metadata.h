/*
 * deeplock/metadata.h - core metadata (METADATA, PKG-INFO; Metadata-Version
 * 1.0 to 2.5) and a wheel's WHEEL file.
 *
 * Both files are RFC 822-style headers as the core metadata specification
 * describes them, read with the rules of Python's email parser (compat32),
 * which is what every tool producing them is tested against:
 *   - the input is UTF-8 (validated; a leading byte order mark is skipped);
 *     lines end at "\n", "\r\n" or "\r"; a NUL byte is an error;
 *   - "Field-Name: value": the name is printable ASCII without ':' or space
 *     and is matched ASCII-case-insensitively; the value starts after the
 *     blanks that follow the colon;
 *   - a line starting with a space or a tab continues the previous field.
 *     Unfolding joins the lines with '\n' and removes each continuation
 *     line's indentation: the "       |" prefix (seven spaces and a pipe)
 *     of the legacy Description encoding, or else up to eight blanks (the
 *     indentation setuptools and distutils write).  The whole value is then
 *     stripped of surrounding white space;
 *   - the first empty line ends the headers; everything after it is the
 *     body, which from Metadata-Version 2.1 holds the Description.
 * Fields appear in the parsed result in file order, unknown ones included,
 * each with its 1-based line.  The struct also points at the fields the
 * later stages need (name, version, Requires-Python, Requires-Dist,
 * Provides-Extra, Dynamic); requirement strings stay raw, for the
 * requirement module to parse.
 */
#ifndef DEEPLOCK_METADATA_H
#define DEEPLOCK_METADATA_H

#include <jansson.h>

#include "deeplock/common.h"
#include "deeplock/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One header field.  Strings are NUL-terminated and borrowed from the
 * parsed document. */
typedef struct dl_metadata_field {
	const char *name;   /* as spelled in the file */
	const char *value;  /* unfolded and stripped (see the file comment) */
	size_t value_len;
	unsigned long line; /* 1-based line of the field name */
} dl_metadata_field;

/* The newest Metadata-Version this parser knows; newer 2.x minors are read
 * (the spec says tools should warn, not fail) and flagged. */
#define DL_METADATA_KNOWN_MAJOR 2
#define DL_METADATA_KNOWN_MINOR 5

#define DL_METADATA_DEFAULT_MAX_SIZE ((size_t)64 << 20)
#define DL_METADATA_DEFAULT_MAX_FIELDS 100000

#define DL_METADATA_OPTIONS_VERSION 1

typedef struct dl_metadata_options {
	unsigned int version; /* DL_METADATA_OPTIONS_VERSION */
	size_t max_size;      /* largest input accepted; 0 = DL_METADATA_DEFAULT_MAX_SIZE */
	size_t max_fields;    /* most header fields; 0 = DL_METADATA_DEFAULT_MAX_FIELDS */
	bool lenient;         /* accept a missing or invalid Metadata-Version, Name or
	                         Version (to inspect a broken file); syntax errors,
	                         bad UTF-8 and limits still fail */
} dl_metadata_options;

#define DL_METADATA_OPTIONS_INIT {DL_METADATA_OPTIONS_VERSION, 0, 0, false}

/*
 * A parsed core metadata document.  Everything it points to lives in the
 * document and is released by dl_metadata_free.  Pointers to fields that
 * are absent are NULL (arrays: count 0).  A single-use field that appears
 * more than once keeps its first value here (the repeats stay in `fields`),
 * except the four that decide resolution, whose repetition is an error.
 */
typedef struct dl_metadata {
	const char *metadata_version;   /* "2.1" */
	unsigned int mv_major, mv_minor;
	bool mv_newer;                  /* newer than DL_METADATA_KNOWN_* */
	const char *name;               /* as written */
	const char *normalized_name;    /* PEP 503 form */
	const char *version_text;       /* as written */
	dl_version version;             /* parsed; valid when version_valid */
	bool version_valid;             /* always true unless lenient */
	const char *requires_python;
	const char *summary;
	const char *description;        /* the body when it is not empty, else
	                                   the Description field */
	const char *description_content_type;
	const char *body;               /* after the blank line, verbatim; NULL when
	                                   the file has no blank line */
	size_t body_len;
	const char **requires_dist;     /* raw PEP 508 strings, file order */
	size_t n_requires_dist;
	const char **provides_extra;    /* as written */
	const char **provides_extra_normalized; /* PEP 685 form, same order */
	size_t n_provides_extra;
	const char **dynamic;           /* field names as written (PEP 643) */
	size_t n_dynamic;
	const dl_metadata_field *fields; /* every field, file order */
	size_t n_fields;
	dl_arena *arena;                /* private: owns all of the above */
} dl_metadata;

/*
 * Parse core metadata from [data, data+len) (not NUL-terminated).  `opts`
 * may be NULL for the defaults.  Checks, besides the syntax: Metadata-Version
 * is "X.Y" with X 1 or 2 (a later major is DL_EUNSUPPORTED); Name is a valid
 * project name; Version is a valid PEP 440 version; Metadata-Version, Name,
 * Version and Requires-Python appear at most once; Dynamic does not list
 * Name, Version or Metadata-Version (PEP 643); from Metadata-Version 2.3 on,
 * every Provides-Extra is a valid name (PEP 685).  On failure returns
 * DL_EPARSE (message "line L[, column C]: what was expected"), DL_ELIMIT,
 * DL_EUNSUPPORTED or DL_ENOMEM, and *out is untouched.  It does not parse
 * requirement strings, specifiers, URLs or e-mail addresses.
 */
int dl_metadata_parse(dl_metadata **out, const char *data, size_t len, const dl_metadata_options *opts);

void dl_metadata_free(dl_metadata *md);

/* First value of a field (name matched case-insensitively), or NULL. */
const char *dl_metadata_get(const dl_metadata *md, const char *field);

/* How many times a field appears. */
size_t dl_metadata_count(const dl_metadata *md, const char *field);

/* The n-th (0-based) value of a field, or NULL. */
const char *dl_metadata_get_nth(const dl_metadata *md, const char *field, size_t n);

/* True when `field` is listed in Dynamic (case-insensitively). */
bool dl_metadata_is_dynamic(const dl_metadata *md, const char *field);

/*
 * PEP 643 for an sdist's PKG-INFO: true when the value of `field` there is
 * guaranteed to be what a wheel built from the sdist will say, that is when
 * the Metadata-Version is 2.2 or later and the field is not listed in
 * Dynamic.  Says nothing about METADATA files of wheels (always final).
 */
bool dl_metadata_field_is_static(const dl_metadata *md, const char *field);

/* True for the fields the specification allows more than once
 * (Classifier, Requires-Dist, Project-URL, ...), case-insensitively. */
bool dl_metadata_field_is_multiple_use(const char *field);

/*
 * The PEP 566 JSON form of the document in a new jansson object (*out, the
 * caller's reference): keys are field names lower-cased with '-' turned into
 * '_', in order of first appearance; multiple-use fields are arrays of
 * strings; "keywords" is an array (split at commas when the value has any,
 * as the current spec writes them, else at white space as PEP 566 says);
 * a single-use field appearing twice keeps its first value; an unknown
 * field appearing twice becomes an array; "description" is the body when
 * it is not empty.  Returns 0 or DL_ENOMEM.
 */
int dl_metadata_to_json(json_t **out, const dl_metadata *md);

/*
 * Write the document back as headers (each field in file order, as
 * "Name: value", every '\n' inside a value followed by eight spaces), then,
 * when it has a body, an empty line and the body.  Parsing the result gives
 * the same fields, values and body.  Returns 0 or the buffer's code.
 */
int dl_metadata_write(const dl_metadata *md, dl_buf *out);

/* ------------------------------------------------------------------ */
/* WHEEL                                                               */

typedef struct dl_wheel_info {
	const char *wheel_version;   /* "1.0" */
	unsigned int wv_major, wv_minor;
	const char *generator;       /* NULL when absent */
	bool root_is_purelib;        /* false when absent */
	const char **tags;           /* Tag values as written, file order */
	size_t n_tags;
	const char *build;           /* NULL when absent */
	const dl_metadata_field *fields;
	size_t n_fields;
	dl_arena *arena;             /* private */
} dl_wheel_info;

/*
 * Parse a WHEEL file with the same header rules.  Wheel-Version is
 * required and must be "X.Y" with X 1 (a later major is DL_EUNSUPPORTED,
 * as the wheel spec requires installers to refuse it); Root-Is-Purelib,
 * when present, is "true" or "false" (case-insensitive); each Tag is a tag
 * triple (compressed sets accepted); Build starts with a digit.  Errors
 * and limits as dl_metadata_parse (`opts` may be NULL; `lenient` is
 * ignored).  It does not compare the tags with the wheel's file name.
 */
int dl_metadata_parse_wheel_file(dl_wheel_info **out, const char *data, size_t len, const dl_metadata_options *opts);

void dl_wheel_info_free(dl_wheel_info *wi);

#ifdef __cplusplus
}
#endif
#endif
