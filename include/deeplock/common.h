/*
 * deeplock/common.h - error codes, the stored error, the allocator hook and
 * the growable bounded buffer that every other module of libdeeplock uses.
 *
 * Conventions (see ../shared/STYLE.md): a library function returns 0 on
 * success or a negative DL_E* code on failure, and leaves a human-readable
 * message in a thread-local stored error that the caller reads with
 * dl_error_last().  The library never prints and never exits.  A `**out`
 * result belongs to the caller and is released with the matching _free
 * function; a returned `const` pointer is borrowed.
 */
#ifndef DEEPLOCK_COMMON_H
#define DEEPLOCK_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DL_VERSION_STRING "0.1.0"

/* Error codes: always negative, 0 is success. */
enum dl_error_code {
	DL_OK = 0,
	DL_ERROR = -1,       /* generic failure */
	DL_ENOMEM = -2,      /* allocation failed */
	DL_EPARSE = -3,      /* malformed input; message names the position */
	DL_EINVAL = -4,      /* invalid argument from the caller */
	DL_EIO = -5,         /* file or network I/O failed */
	DL_ENOTFOUND = -6,   /* the thing asked for does not exist */
	DL_ELIMIT = -7,      /* a size, depth or count limit was exceeded */
	DL_EUNSUPPORTED = -8 /* valid input that this version cannot handle */
};

#if defined(__GNUC__)
#define DL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define DL_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define DL_PRINTF(f, a)
#define DL_WARN_UNUSED
#endif

/* The stored error of the calling thread. */
typedef struct dl_error {
	int code;            /* the DL_E* code, DL_OK when none is set */
	const char *message; /* never NULL; "" when no error is set */
} dl_error;

/* Return the calling thread's last error.  Borrowed: valid until the next
 * library call on this thread that sets or clears an error. */
const dl_error *dl_error_last(void);

/* Store `code` with a printf-style message and return `code`, so that a
 * failing path can say `return dl_error_set(DL_EPARSE, "...")`.  Replaces any
 * previous error. */
int dl_error_set(int code, const char *fmt, ...) DL_PRINTF(2, 3);
int dl_error_setv(int code, const char *fmt, va_list ap) DL_PRINTF(2, 0);

/* Add context to the stored error on the way up: the message becomes
 * "<old message>\n  while <context>".  The code is kept.  Does nothing when no
 * error is stored.  Returns the stored code. */
int dl_error_context(const char *fmt, ...) DL_PRINTF(1, 2);

/* Forget the stored error. */
void dl_error_clear(void);

/* Name of an error code ("parse error", "out of memory", ...). Static. */
const char *dl_error_code_name(int code);

/*
 * Allocation.  Everything in libdeeplock allocates through these, so that a
 * test can install a hook that fails the Nth allocation (SQLite's
 * test_malloc) and check that every failure becomes a clean DL_ENOMEM.
 * They return NULL on failure without setting the stored error; callers set
 * DL_ENOMEM themselves (dl_error_oom() does it in one call).
 */
typedef struct dl_allocator {
	void *(*malloc_fn)(size_t size, void *ctx);
	void *(*realloc_fn)(void *ptr, size_t size, void *ctx);
	void (*free_fn)(void *ptr, void *ctx);
	void *ctx;
} dl_allocator;

/* Install `a` as the allocator of every thread, or restore the C library's
 * with NULL.  Not thread-safe: call it before any other library call. */
void dl_allocator_set(const dl_allocator *a);

void *dl_malloc(size_t size);
void *dl_calloc(size_t n, size_t size); /* overflow-checked, zeroed */
void *dl_realloc(void *ptr, size_t size);
/* Grow-or-fail for arrays: reallocates *ptr to hold n elements of `size`
 * bytes, overflow-checked.  On failure *ptr is untouched. */
int dl_realloc_array(void **ptr, size_t n, size_t size);
void dl_free(void *ptr);
char *dl_strndup(const char *s, size_t len); /* NUL-terminated copy */
char *dl_strdup(const char *s);
/* Set DL_ENOMEM as the stored error and return DL_ENOMEM. */
int dl_error_oom(void);

/*
 * Growable byte buffer with an explicit size cap (curl's dynbuf).  The
 * contents are always NUL-terminated once anything has been added.  A failed
 * append (no memory, or the cap would be exceeded) frees the contents and
 * makes every later append fail too, so a chain of appends needs one check.
 */
typedef struct dl_buf {
	char *ptr;
	size_t len;
	size_t cap;
	size_t max; /* most bytes it may hold; 0 means DL_BUF_DEFAULT_MAX */
	int failed; /* 0, or the DL_E* code of the first failed append */
} dl_buf;

#define DL_BUF_DEFAULT_MAX ((size_t)1 << 30)
#define DL_BUF_INIT {NULL, 0, 0, 0, 0}

void dl_buf_init(dl_buf *b, size_t max);
int dl_buf_put(dl_buf *b, const void *data, size_t len);
int dl_buf_puts(dl_buf *b, const char *s);
int dl_buf_putc(dl_buf *b, char c);
int dl_buf_printf(dl_buf *b, const char *fmt, ...) DL_PRINTF(2, 3);
int dl_buf_vprintf(dl_buf *b, const char *fmt, va_list ap) DL_PRINTF(2, 0);
/* The contents as a C string ("" when empty).  Borrowed. */
const char *dl_buf_cstr(const dl_buf *b);
void dl_buf_reset(dl_buf *b); /* empty it, keep the memory, clear failure */
/* Hand the contents to the caller (free with dl_free) and reset. Returns NULL
 * when a previous append failed; an empty buffer yields "". */
char *dl_buf_detach(dl_buf *b, size_t *len_out);
void dl_buf_free(dl_buf *b);

/*
 * Arena: many small allocations freed in one call (one per resolution, per
 * parsed document).  Blocks come from dl_malloc; pointers stay valid until
 * dl_arena_free.
 */
typedef struct dl_arena dl_arena;

int dl_arena_new(dl_arena **out);
void *dl_arena_alloc(dl_arena *a, size_t size); /* 16-byte aligned; NULL on OOM */
void *dl_arena_calloc(dl_arena *a, size_t n, size_t size);
char *dl_arena_strndup(dl_arena *a, const char *s, size_t len);
/* printf into the arena; NULL on OOM (stored error not set). */
char *dl_arena_printf(dl_arena *a, const char *fmt, ...) DL_PRINTF(2, 3);
size_t dl_arena_bytes(const dl_arena *a); /* bytes handed out so far */
void dl_arena_free(dl_arena *a);

/* ASCII-only character classes: safe on any `char`, never locale-dependent. */
static inline bool dl_isdigit(int c) { return c >= '0' && c <= '9'; }
static inline bool dl_isalpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static inline bool dl_isalnum(int c) { return dl_isdigit(c) || dl_isalpha(c); }
static inline bool dl_isspace(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static inline bool dl_isxdigit(int c) { return dl_isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static inline int dl_tolower(int c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }
static inline int dl_toupper(int c) { return (c >= 'a' && c <= 'z') ? c - ('a' - 'A') : c; }

/* Case-insensitive (ASCII) comparison of a slice with a C string. */
bool dl_slice_ieq(const char *s, size_t len, const char *lit);

#ifdef __cplusplus
}
#endif
#endif
