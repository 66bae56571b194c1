/*
 * deeplock/filename.h - distribution file names: wheels (PEP 427, PEP 491
 * and the binary distribution format spec), source distributions (PEP 625
 * and the legacy forms pip accepts), and a classifier for everything else an
 * index lists.
 *
 * An index page gives file names before anything is downloaded, so the
 * resolver decides from the name alone which files are candidates: which
 * project and version a file holds, and for a wheel which tags it claims.
 * Both parsers keep the text of every part as written (so a name can be
 * reassembled byte for byte) next to its parsed form.
 *
 * Sdist names and hyphens.  A legacy sdist name is "{name}-{version}.ext"
 * where the name itself may contain '-' ("foo-bar-1.0.tar.gz"), and a PEP
 * 440 version may contain '-' too ("1.0-1" is 1.0.post1).  The split is
 * therefore ambiguous without knowing the project:
 *   - with an expected project name, the name part is the shortest prefix
 *     ending before a '-' that equals the project after PEP 503
 *     normalisation (pip's rule), and the rest must be a valid version;
 *   - without one, the split is at the LAST '-' that is followed by a valid
 *     PEP 440 version and preceded by a valid project name (packaging's
 *     rpartition, extended to skip a trailing part that is not a version).
 * The second rule misreads names whose version contains '-': 
 * "foo-1.0-1.tar.gz" yields project "foo-1.0" version "1", not "foo"
 * "1.0-1", and "foo-2-1.0.tar.gz" yields "foo-2" "1.0" (which is right
 * only if the project is "foo-2").  PEP 625 names ("foo_bar-1.0.tar.gz")
 * have no '-' in the name and are never ambiguous.  Callers that know the
 * project (the index page they read the name from) should pass it.
 */
#ifndef DEEPLOCK_FILENAME_H
#define DEEPLOCK_FILENAME_H

#include "deeplock/common.h"
#include "deeplock/tags.h"
#include "deeplock/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest file name either parser accepts (DL_ELIMIT beyond). */
#define DL_FILENAME_MAX 1024

typedef enum dl_dist_kind {
	DL_DIST_OTHER = 0,   /* not a distribution file deeplock knows of */
	DL_DIST_WHEEL,       /* ends with ".whl" */
	DL_DIST_SDIST,       /* .tar.gz .tgz .zip .tar.bz2 .tbz .tar.xz .txz .tar */
	DL_DIST_UNSUPPORTED  /* a distribution format deeplock does not install:
	                        .egg .exe .msi .rpm .dmg .deb */
} dl_dist_kind;

/*
 * Classify a file name by its extension alone: no other part is checked,
 * so a DL_DIST_WHEEL or DL_DIST_SDIST name may still fail to parse.  The
 * wheel extension must be lower case (as pip and packaging require); sdist
 * and unsupported extensions are matched ASCII-case-insensitively (pip
 * lower-cases them).  Never fails, never allocates.
 */
dl_dist_kind dl_filename_classify(const char *s, size_t len);

/* "wheel", "sdist", "unsupported" or "other".  Static. */
const char *dl_dist_kind_name(dl_dist_kind kind);

/*
 * Write the escaped form of a project name used in wheel and PEP 625 sdist
 * file names (runs of '-', '_' and '.' become one '_', ASCII lower case) to
 * a new string *out (free with dl_free).  Fails with DL_EPARSE when
 * [s, s+len) is not a valid project name, or DL_ENOMEM.
 */
int dl_filename_escape_name(char **out, const char *s, size_t len);

/* ------------------------------------------------------------------ */
/* Wheels                                                              */

/* A parsed wheel file name.  Every string is NUL-terminated and owned by
 * the struct; free the whole with dl_wheel_filename_free. */
typedef struct dl_wheel_filename {
	char *name;            /* distribution part as written ("typing_extensions") */
	char *normalized_name; /* PEP 503 form ("typing-extensions") */
	char *version_text;    /* version part as written */
	dl_version version;    /* parsed version */
	char *build;           /* build tag as written, NULL when absent */
	uint64_t build_number; /* its leading digits (0 when absent) */
	char *build_suffix;    /* what follows the digits ("" when none, NULL when no build) */
	dl_tagset *tags;       /* the compressed tag set */
} dl_wheel_filename;

/*
 * Parse the wheel file name [s, s+len) (a file name, not a path):
 *   {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl
 * The name must be a valid project name without '-' or "__" (PEP 427's
 * escaping), the version a valid PEP 440 version, the build tag (when
 * present) a digit followed by letters, digits, '_' or '.', each tag
 * component a '.'-separated list of letters, digits and '_'.  Every byte
 * must be printable ASCII.  On success *out is a new struct.  On failure
 * returns DL_EPARSE with a message quoting the name and giving the 1-based
 * column of the problem and what was expected, DL_ELIMIT for names longer
 * than DL_FILENAME_MAX, numbers beyond 64 bits or too many tags, or
 * DL_ENOMEM.  It does not check that the tags are ones anybody uses.
 */
int dl_filename_parse_wheel(dl_wheel_filename **out, const char *s, size_t len);

void dl_wheel_filename_free(dl_wheel_filename *w);

/* Reassemble the file name from its parts; equals the parsed input. */
int dl_wheel_filename_format(const dl_wheel_filename *w, dl_buf *out);

/* Order two wheels of one release by build tag as installers do: no build
 * tag first, then by build number, then by the rest of the tag (byte
 * order).  Negative, 0 or positive like strcmp. */
int dl_wheel_filename_build_cmp(const dl_wheel_filename *a, const dl_wheel_filename *b);

/* ------------------------------------------------------------------ */
/* Source distributions                                                */

typedef enum dl_sdist_format {
	DL_SDIST_TAR_GZ = 0, /* .tar.gz, .tgz */
	DL_SDIST_ZIP,        /* .zip */
	DL_SDIST_TAR_BZ2,    /* .tar.bz2, .tbz */
	DL_SDIST_TAR_XZ,     /* .tar.xz, .txz */
	DL_SDIST_TAR         /* .tar */
} dl_sdist_format;

/* "tar.gz", "zip", "tar.bz2", "tar.xz" or "tar".  Static. */
const char *dl_sdist_format_name(dl_sdist_format format);

typedef struct dl_sdist_filename {
	char *name;            /* project part as written */
	char *normalized_name; /* PEP 503 form */
	char *version_text;    /* version part as written */
	dl_version version;
	char *extension;       /* as written, with its leading '.' (".tar.gz") */
	dl_sdist_format format;
	bool pep625;           /* a PEP 625 name: ".tar.gz", the escaped project
	                          name and the canonical version */
} dl_sdist_filename;

/*
 * Parse the sdist file name [s, s+len): "{name}-{version}{ext}" with one of
 * the extensions of DL_DIST_SDIST (case-insensitive).  `project` (may be
 * NULL) is the project the file is expected to belong to; see the file
 * comment for how the name/version split is made with and without it.
 * On success *out is a new struct.  On failure returns DL_EPARSE with a
 * message quoting the name, the 1-based column and what was expected
 * (including "does not belong to project X" when the expected project is
 * not a prefix), DL_ELIMIT or DL_ENOMEM.  It does not look inside the
 * archive, and accepts a legacy name that PEP 625 would not.
 */
int dl_filename_parse_sdist(dl_sdist_filename **out, const char *s, size_t len, const char *project,
                            size_t project_len);

void dl_sdist_filename_free(dl_sdist_filename *sd);

/* Reassemble the file name; equals the parsed input. */
int dl_sdist_filename_format(const dl_sdist_filename *sd, dl_buf *out);

#ifdef __cplusplus
}
#endif
#endif
