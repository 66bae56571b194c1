/*
 * deeplock/tags.h - wheel compatibility tags (PEP 425, PEP 427, PEP 600,
 * PEP 656, the macOS and Windows platform tags).
 *
 * A wheel declares the interpreters, ABIs and platforms it runs on as a
 * (possibly compressed) tag triple such as "py2.py3-none-any" or
 * "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64".  A lock file is
 * written for a *target* environment that need not be the machine deeplock
 * runs on, so the target is described explicitly (dl_tag_target) instead of
 * being read from a running interpreter.  From a target this module builds
 * the ordered list of tags it supports, in exactly the order that
 * packaging.tags.sys_tags() yields them for such an interpreter, and answers
 * "is this wheel compatible, and how good a match is it" with a few hash
 * look-ups, so a resolver can rank hundreds of wheels per release cheaply.
 *
 * Tags are compared ASCII-case-insensitively (packaging lower-cases every
 * part of a tag).  Platform strings given by a caller for a target are
 * normalised the way sysconfig platforms are ('-' and '.' become '_').
 */
#ifndef DEEPLOCK_TAGS_H
#define DEEPLOCK_TAGS_H

#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One tag triple.  The strings are borrowed from the object that handed the
 * tag out and are NUL-terminated. */
typedef struct dl_tag {
	const char *python;
	const char *abi;
	const char *platform;
} dl_tag;

/*
 * A compressed tag set, "py2.py3-none-any": each of the three components is
 * a '.'-separated list of alternatives and the set is their product.  The
 * alternatives keep the spelling of the input, so that a wheel file name can
 * be reassembled byte for byte; matching ignores ASCII case.
 */
typedef struct dl_tagset {
	const char **python; /* n_python alternatives, in input order */
	size_t n_python;
	const char **abi;
	size_t n_abi;
	const char **platform;
	size_t n_platform;
} dl_tagset;

/* Most alternatives a compressed tag set may expand to (the product of the
 * three component counts); more is DL_ELIMIT.  Real wheels have a handful. */
#define DL_TAGSET_MAX_EXPANDED 4096

/*
 * Parse a compressed tag set from [s, s+len): exactly three components
 * separated by '-', each a non-empty '.'-separated list of non-empty
 * alternatives made of ASCII letters, digits and '_'.  On success *out is a
 * new set (free with dl_tagset_free).  On failure returns DL_EPARSE with a
 * message naming the 1-based column and what was expected, DL_ELIMIT when
 * the set expands to more than DL_TAGSET_MAX_EXPANDED tags, or DL_ENOMEM.
 * It does not check that the alternatives are tags anybody uses.
 */
int dl_tagset_parse(dl_tagset **out, const char *s, size_t len);

/* Number of tag triples the set expands to (the product of its component
 * counts, duplicates included). */
size_t dl_tagset_count(const dl_tagset *set);

/* The i-th triple of the expansion, python-major then abi then platform
 * (packaging returns a frozenset; this order is the input's).  Returns
 * DL_EINVAL when i is out of range.  The strings are borrowed from `set`. */
int dl_tagset_get(const dl_tagset *set, size_t i, dl_tag *out);

/* Write the set back in compressed form ("py2.py3-none-any") to `out`,
 * spelled as parsed.  Returns 0 or the buffer's failure code. */
int dl_tagset_format(const dl_tagset *set, dl_buf *out);

void dl_tagset_free(dl_tagset *set);

/* ------------------------------------------------------------------ */
/* Targets                                                             */

typedef enum dl_tag_impl {
	DL_TAG_IMPL_CPYTHON = 0, /* "cp": cpXY-cpXY, abi3, none */
	DL_TAG_IMPL_PYPY,        /* "pp": ppXY-<abi>, none; "pp3-none-any" */
	DL_TAG_IMPL_OTHER        /* impl_name + XY, optional abi, none */
} dl_tag_impl;

typedef enum dl_tag_os {
	DL_TAG_OS_ANY = 0,    /* pure-Python wheels only: "*-none-any" */
	DL_TAG_OS_MANYLINUX,  /* glibc os_major.os_minor: manylinux_X_Y (PEP 600) + legacy aliases, linux_<arch> */
	DL_TAG_OS_MUSLLINUX,  /* musl os_major.os_minor: musllinux_X_Y (PEP 656), linux_<arch> */
	DL_TAG_OS_LINUX,      /* a Linux with neither: linux_<arch> only */
	DL_TAG_OS_MACOS,      /* macOS os_major.os_minor: macosx_X_Y_<format> */
	DL_TAG_OS_WINDOWS,    /* win_amd64, win32, win_arm64 */
	DL_TAG_OS_OTHER       /* exactly the platform tag in `platform` */
} dl_tag_os;

#define DL_TAG_TARGET_VERSION 1

/*
 * The environment a lock is resolved for.  A plain value: no allocation, no
 * _free.  Start from DL_TAG_TARGET_INIT (CPython 3.12, pure-Python only) and
 * set fields directly or through dl_tag_target_set.
 */
typedef struct dl_tag_target {
	unsigned int version; /* DL_TAG_TARGET_VERSION */
	dl_tag_impl impl;
	char impl_name[16];   /* DL_TAG_IMPL_OTHER: the tag prefix, e.g. "graalpy" */
	unsigned int py_major, py_minor;
	bool free_threaded;   /* CPython "t" ABI (3.13+): cp313t, and no abi3 */
	bool debug;           /* CPython "d" ABI: cp312d, which also loads cp312 */
	char abi[64];         /* explicit ABI tag replacing the derived one ("" = derive;
	                         PyPy derives pypyXY_pp73) */
	dl_tag_os os;
	unsigned int os_major, os_minor; /* glibc, musl or macOS version */
	char arch[32];        /* x86_64, aarch64, i686, arm64, amd64, ... (lower case) */
	char platform[96];    /* DL_TAG_OS_OTHER: the one platform tag */
} dl_tag_target;

#define DL_TAG_TARGET_INIT \
	{DL_TAG_TARGET_VERSION, DL_TAG_IMPL_CPYTHON, "", 3, 12, false, false, "", DL_TAG_OS_ANY, 0, 0, "", ""}

/* Largest major/minor number accepted for a Python, glibc, musl or macOS
 * version of a target; bounds the size of the supported-tag list. */
#define DL_TAG_TARGET_MAX_VERSION 255

/*
 * Set one property of a target from text, so that a command line
 * ("--target python=3.11") or a lock file can describe it.  Keys:
 *   python          "3.11", "3.13t" (free-threaded), "3.12d" (debug); a
 *                   micro version ("3.11.4") is accepted and ignored;
 *   implementation  "cp"/"cpython", "pp"/"pypy", or another tag prefix;
 *   abi             an explicit ABI tag ("" derives it again);
 *   platform        a platform tag, which sets os, versions and arch:
 *                   manylinux_2_17_x86_64, manylinux2014_aarch64,
 *                   musllinux_1_2_x86_64, macosx_14_0_arm64, win_amd64,
 *                   win32, linux_x86_64, any, or anything else (taken as
 *                   the single platform tag of an "other" OS);
 *   os              any, manylinux (or glibc), musllinux (or musl), linux,
 *                   macos (or macosx, darwin), windows (or win);
 *   glibc, musl, macos  "X.Y": sets that OS and its version;
 *   arch            the CPU architecture;
 *   free-threaded, debug  "true"/"false" (also 1/0, yes/no).
 * Keys are ASCII-case-insensitive and '_' may stand for '-'.  Values are
 * (pointer, length) slices; platform values are lower-cased and '-'/'.' are
 * folded to '_'.  Returns DL_EINVAL with a message naming the key and value
 * when either is not understood; the target is unchanged then.  It does not
 * check that the combination is coherent (see dl_tag_target_check).
 */
int dl_tag_target_set(dl_tag_target *t, const char *key, const char *value, size_t value_len);

/* Check that a target can produce a tag list: a known struct version,
 * versions within DL_TAG_TARGET_MAX_VERSION, a glibc/musl/macOS version
 * for those OSes, an arch for the OSes that need one, an impl_name for
 * DL_TAG_IMPL_OTHER, a platform for DL_TAG_OS_OTHER, and only tag
 * characters in the strings.  Returns 0 or DL_EINVAL naming the problem. */
int dl_tag_target_check(const dl_tag_target *t);

/* ------------------------------------------------------------------ */
/* Supported tags                                                      */

/* The ordered tags a target supports, indexed for fast look-up.
 * Immutable once built, so it may be shared between threads. */
typedef struct dl_tag_list dl_tag_list;

/*
 * Build the tags `t` supports, most preferred first, in the order of
 * packaging.tags.sys_tags() for that interpreter and platform:
 *   CPython: cpXY-<abis>-<plat> (cpXY[t][d], and cpXY[t] for a debug build),
 *            cpXY-abi3-<plat> (not free-threaded), cpXY-none-<plat>, then
 *            cp3(Y-1)..cp32-abi3-<plat>;
 *   PyPy/other: <interp>-<abi>-<plat>, <interp>-none-<plat>;
 * then the compatible tags: pyXY, py3, py3(Y-1)..py30 with -none-<plat>,
 * <interp>-none-any (cpXY, or pp3 for PyPy), and pyXY, py3, ... -none-any;
 * each "<plat>" running over the platform tags from the best down (for
 * Linux manylinux_X_Y down to 2_17, or 2_5 on x86_64/i686, with
 * manylinux2014/2010/1 right after 2_17/2_12/2_5; musllinux_X_Y down to
 * X_0; then linux_<arch>).  A DL_TAG_OS_ANY target has no platform tags, so
 * only "-none-any" tags.  Python < 3.8 gets the "m" (pymalloc) ABI flag; a
 * UCS-4 "u" flag (Python 2) must be given as an explicit abi.
 * Returns 0, DL_EINVAL (see dl_tag_target_check) or DL_ENOMEM.  It does not
 * probe the running machine.
 */
int dl_tag_list_new(dl_tag_list **out, const dl_tag_target *t);

void dl_tag_list_free(dl_tag_list *list);

size_t dl_tag_list_count(const dl_tag_list *list);

/* The tag of rank i (0 is the most preferred).  Returns DL_EINVAL when i is
 * out of range.  The strings are borrowed from `list`. */
int dl_tag_list_get(const dl_tag_list *list, size_t i, dl_tag *out);

/*
 * Rank of the best tag of `set` in `list`: returns 1 and stores the rank
 * (lower is better) in *rank when some triple of the set is supported, 0
 * when none is (and leaves *rank alone).  Case-insensitive; never
 * allocates and never fails.  This is the resolver's hot path: a few hash
 * look-ups per alternative, whatever the size of the list.
 */
int dl_tag_list_match(const dl_tag_list *list, const dl_tagset *set, size_t *rank);

/* Rank of one uncompressed triple given as three slices, or -1 when it is
 * not supported.  Case-insensitive, no allocation. */
long dl_tag_list_rank(const dl_tag_list *list, const char *python, size_t python_len, const char *abi,
                      size_t abi_len, const char *platform, size_t platform_len);

#ifdef __cplusplus
}
#endif
#endif
