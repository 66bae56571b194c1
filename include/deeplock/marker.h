/*
 * deeplock/marker.h - PEP 508 environment markers.
 *
 * A marker is a boolean expression over the variables of a Python
 * environment: `python_version >= "3.8" and sys_platform == "linux"`.  It is
 * parsed once into a compact, immutable tree (variables interned to small
 * integers, version literals pre-parsed) and then evaluated many times, so
 * the resolver can ask "does this dependency apply here?" cheaply.
 *
 * Besides the variables of PEP 508 the parser accepts the set-valued
 * `extras` and `dependency_groups` of PEP 751 (`"name" in extras`) and the
 * legacy dotted spellings packaging still accepts (`os.name`,
 * `sys.platform`, `platform.version`, `platform.machine`,
 * `platform.python_implementation`, `python_implementation`), which become
 * their modern names.
 *
 * Comparisons follow pypa/packaging: for the version-like variables
 * (python_version, python_full_version, implementation_version,
 * platform_release), when `<op><literal>` is a valid PEP 440 specifier and
 * the environment's value a valid version, the comparison is the
 * specifier's membership test with pre-releases allowed.  Otherwise `==`
 * and `!=` compare strings, `in` and `not in` test for a substring (or set
 * membership for `extras` and `dependency_groups`), and any other operator
 * is an evaluation error (an undefined comparison), never a silent false.
 * `extra` is compared by PEP 685 normal form.
 *
 * A NULL `const dl_marker *` stands for the always-true marker everywhere
 * in this API, so a requirement without a marker needs no special case.
 */
#ifndef DEEPLOCK_MARKER_H
#define DEEPLOCK_MARKER_H

#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The marker variables, interned.  The order is part of the ABI. */
typedef enum dl_marker_var {
	DL_MARKER_PYTHON_VERSION = 0,
	DL_MARKER_PYTHON_FULL_VERSION,
	DL_MARKER_OS_NAME,
	DL_MARKER_SYS_PLATFORM,
	DL_MARKER_PLATFORM_RELEASE,
	DL_MARKER_PLATFORM_SYSTEM,
	DL_MARKER_PLATFORM_VERSION,
	DL_MARKER_PLATFORM_MACHINE,
	DL_MARKER_PLATFORM_PYTHON_IMPLEMENTATION,
	DL_MARKER_IMPLEMENTATION_NAME,
	DL_MARKER_IMPLEMENTATION_VERSION,
	DL_MARKER_EXTRA,             /* one extra name (the set of active extras) */
	DL_MARKER_EXTRAS,            /* PEP 751: set of extras */
	DL_MARKER_DEPENDENCY_GROUPS, /* PEP 751: set of dependency groups */
	DL_MARKER_VAR_COUNT
} dl_marker_var;

/* The comparison operators. */
typedef enum dl_marker_op {
	DL_MARKER_OP_LT = 0, /* <  */
	DL_MARKER_OP_LE,     /* <= */
	DL_MARKER_OP_EQ,     /* == */
	DL_MARKER_OP_NE,     /* != */
	DL_MARKER_OP_GE,     /* >= */
	DL_MARKER_OP_GT,     /* >  */
	DL_MARKER_OP_COMPATIBLE, /* ~=  */
	DL_MARKER_OP_ARBITRARY,  /* === */
	DL_MARKER_OP_IN,     /* in */
	DL_MARKER_OP_NOT_IN, /* not in */
	DL_MARKER_OP_COUNT
} dl_marker_op;

/* The modern name of a variable ("python_version", ...).  Static; NULL for
 * an out-of-range value. */
const char *dl_marker_var_name(dl_marker_var var);

/* Look up a variable by any spelling the parser accepts, legacy aliases
 * included ("os.name" gives DL_MARKER_OS_NAME).  Returns the variable, or -1
 * when the name is unknown.  Exact, case-sensitive match, as in PEP 508. */
int dl_marker_var_lookup(const char *s, size_t len);

/* The spelling of an operator ("<=", "not in", ...).  Static. */
const char *dl_marker_op_name(dl_marker_op op);

typedef struct dl_marker dl_marker;

/*
 * Parse the marker [s, s+len) into *out (free with dl_marker_free).  The
 * whole slice must be one marker expression; spaces and tabs are allowed
 * around every token.  On failure returns DL_EPARSE with a message naming
 * the input, the 1-based column and what was expected there, DL_ELIMIT when
 * parentheses nest deeper than 64 levels or the input exceeds 64 KiB, or
 * DL_ENOMEM.  Does not evaluate anything, so a marker that names no missing
 * variable now may still fail to evaluate later.
 */
int dl_marker_parse(dl_marker **out, const char *s, size_t len);

/*
 * Parse the marker that starts at offset *pos of a larger text [s, s+len),
 * such as the part of a requirement after its ';'.  Parsing stops before
 * the first token that cannot continue the expression (trailing spaces and
 * tabs are consumed); *pos is advanced there on success and left alone on
 * failure.  Error messages read "invalid <kind> '<the whole text>': ... at
 * column N", with the column counted in the whole text, so a caller can
 * report the error against its own input.  It does not require the text to
 * end after the marker: the caller checks what follows.
 */
int dl_marker_parse_within(dl_marker **out, const char *s, size_t len, size_t *pos, const char *kind);

/* Release a marker.  NULL is ignored. */
void dl_marker_free(dl_marker *m);

/* A new always-true (dl_marker_true) or always-false (dl_marker_false)
 * marker, for the resolver's combinations.  Free with dl_marker_free. */
int dl_marker_true(dl_marker **out);
int dl_marker_false(dl_marker **out);

/* True when `m` is the trivial always-true marker (NULL included) or the
 * trivial always-false one.  They recognise the constants only: a marker
 * such as `python_version >= "0"` is not detected as always true. */
bool dl_marker_is_true(const dl_marker *m);
bool dl_marker_is_false(const dl_marker *m);

/* A deep copy of `m` into *out; NULL copies to the always-true marker. */
int dl_marker_clone(dl_marker **out, const dl_marker *m);

/*
 * Append the normal form of `m` to `out`, as pypa/packaging's str() writes
 * it: double-quoted literals (single quotes when the literal holds a double
 * quote), modern variable names, `extra` literals in PEP 685 normal form,
 * one space around operators and `and`/`or`, and parentheses only around an
 * `or` that is an operand of `and` (so `(a and b) or c` becomes
 * `a and b or c`, which packaging would leave with its parentheses).  The
 * always-true marker prints as the empty string, the always-false one as
 * `python_version < "0"`.  Returns 0 or the buffer's failure code.
 */
int dl_marker_format(const dl_marker *m, dl_buf *out);

/* The normal form as a new string (free with dl_free). */
int dl_marker_to_string(char **out, const dl_marker *m);

/* Structural equality: the same normal form.  No allocation. */
bool dl_marker_eq(const dl_marker *a, const dl_marker *b);

/* A hash consistent with dl_marker_eq (FNV-1a over the tree).  Not stable
 * across deeplock versions. */
uint64_t dl_marker_hash(const dl_marker *m);

/*
 * Build `a and b` (dl_marker_and) or `a or b` (dl_marker_or) into *out, for
 * the resolver.  Simplifies only trivially: true and false are absorbed,
 * nested operators of the same kind are flattened, and an operand equal to
 * an earlier one is dropped.  It does not detect contradictions
 * (`x == "1" and x == "2"`) or tautologies.  Either input may be NULL
 * (always true).  The inputs are not modified.
 */
int dl_marker_and(dl_marker **out, const dl_marker *a, const dl_marker *b);
int dl_marker_or(dl_marker **out, const dl_marker *a, const dl_marker *b);

/* True when the marker compares `var` anywhere.  dl_marker_mentions_extra
 * is the common question "does this depend on extras?" (`extra` or
 * `extras`). */
bool dl_marker_uses_var(const dl_marker *m, dl_marker_var var);
bool dl_marker_mentions_extra(const dl_marker *m);

/*
 * A read-only view of the parsed tree, for code that translates a marker
 * into another form (the environment regions of mregion.h).  Nodes are
 * numbered; dl_marker_root gives the top one (m must not be NULL: a NULL
 * marker is "true").  An AND or OR node lists its children's numbers; a
 * comparison gives its variable, operator, whether the variable was the
 * right operand (`"3.8" < python_version`), and its literal as written
 * (not NUL-terminated).  Everything borrowed from `m`.
 */
typedef enum dl_marker_node_kind {
	DL_MARKER_NODE_TRUE = 0,
	DL_MARKER_NODE_FALSE,
	DL_MARKER_NODE_AND,
	DL_MARKER_NODE_OR,
	DL_MARKER_NODE_CMP
} dl_marker_node_kind;

typedef struct dl_marker_node {
	dl_marker_node_kind kind;
	const uint32_t *kids; /* AND, OR */
	size_t nkids;
	dl_marker_var var;    /* CMP */
	dl_marker_op op;
	bool var_right;
	const char *literal;
	size_t literal_len;
} dl_marker_node;

uint32_t dl_marker_root(const dl_marker *m);
void dl_marker_node_get(const dl_marker *m, uint32_t idx, dl_marker_node *out);

/*
 * The environment a marker is evaluated in: one string per variable (unset
 * ones are missing, and a marker that compares them fails to evaluate), and
 * the sets of active extras and dependency groups (empty by default, which
 * is never an error: `extra == "x"` is then simply false, as in packaging's
 * default "metadata" context where extra is "").  Values are copied;
 * version-like ones are pre-parsed once here so that evaluation is cheap.
 */
typedef struct dl_marker_env dl_marker_env;

int dl_marker_env_new(dl_marker_env **out);
void dl_marker_env_free(dl_marker_env *env);

/* Set variable `var` to [value, value+len).  For DL_MARKER_EXTRA this
 * replaces the set of active extras by that one name ("" makes it empty);
 * for DL_MARKER_EXTRAS and DL_MARKER_DEPENDENCY_GROUPS it is refused with
 * DL_EINVAL (use the _add_ functions).  A python_full_version ending in '+'
 * (an untagged CPython build) gets "local" appended, as packaging does.
 * Does not validate values: an invalid version is compared as a string. */
int dl_marker_env_set(dl_marker_env *env, dl_marker_var var, const char *value, size_t len);

/* Like dl_marker_env_set, naming the variable by any accepted spelling;
 * DL_EINVAL naming it when it is unknown. */
int dl_marker_env_set_by_name(dl_marker_env *env, const char *name, size_t name_len,
                              const char *value, size_t len);

/* Forget variable `var` (it becomes missing; for the set-valued ones and
 * `extra`, the set becomes empty). */
void dl_marker_env_unset(dl_marker_env *env, dl_marker_var var);

/* The value of `var`, or NULL when it is missing.  Borrowed.  The
 * set-valued variables (and `extra`) always return NULL here. */
const char *dl_marker_env_get(const dl_marker_env *env, dl_marker_var var);

/* Add one name to the active extras / dependency groups.  Names are kept
 * in PEP 685 normal form; adding one twice has no effect.  Not validated as
 * names (an extra in a marker may be any string). */
int dl_marker_env_add_extra(dl_marker_env *env, const char *name, size_t len);
int dl_marker_env_add_group(dl_marker_env *env, const char *name, size_t len);

/*
 * Evaluate `m` in `env` into *out.  Returns 0, or: DL_ENOTFOUND naming the
 * variable when the marker compares one that `env` leaves unset (only when
 * that comparison is actually reached: `and`/`or` short-circuit left to
 * right); DL_EINVAL for an undefined comparison (`<` on values that are not
 * versions, `~=` on strings) naming the operands; DL_ENOMEM in the rare
 * cases that allocate: a version variable on the right of a comparison
 * (`"3.8" < python_version`, whose specifier is parsed from the
 * environment's value at each evaluation), and, in
 * dl_marker_evaluate_extras, an `in` test on an extra name longer than 127
 * bytes.  `extra` follows set semantics over the active extras S (S empty
 * behaves as {""}): `extra == "x"` is x in S, `extra != "x"` is x not in
 * S, and any other operator holds when it holds for some member -- which
 * for at most one active extra is exactly packaging's single-string
 * behaviour.
 */
int dl_marker_evaluate(const dl_marker *m, const dl_marker_env *env, bool *out);

/* As dl_marker_evaluate, with the active extras given here instead of the
 * environment's ([extras, extras+n), any spelling). */
int dl_marker_evaluate_extras(const dl_marker *m, const dl_marker_env *env,
                              const char *const *extras, size_t n, bool *out);

/* Three-valued result of a partial evaluation. */
typedef enum dl_marker_value {
	DL_MARKER_FALSE = 0,
	DL_MARKER_TRUE = 1,
	DL_MARKER_UNKNOWN = 2
} dl_marker_value;

/* Evaluate with the extras and dependency groups unknown: every comparison
 * of `extra`, `extras` or `dependency_groups` is UNKNOWN, and `and`/`or`
 * follow Kleene's three-valued logic, so the result is TRUE or FALSE exactly
 * when it holds for every possible set of extras.  Errors as for
 * dl_marker_evaluate. */
int dl_marker_evaluate_partial(const dl_marker *m, const dl_marker_env *env, dl_marker_value *out);

#ifdef __cplusplus
}
#endif
#endif
