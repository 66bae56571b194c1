/*
 * dltest.h - what the C tests share: cmocka, file reading, the location of
 * ../shared, and an allocator that fails on demand.
 */
#ifndef DLTEST_H
#define DLTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "deeplock/common.h"

/* Exit code that ctest reports as "skipped" (SKIP_RETURN_CODE). */
#define DLTEST_SKIP 77

/* The shared reference directory: $DL_SHARED_DIR, else the configured
 * default (../shared).  NULL when it does not exist. */
const char *dltest_shared_dir(void);

/* For conformance tests: return the shared directory, or print a visible
 * SKIPPED line naming what is missing and exit with DLTEST_SKIP. */
const char *dltest_require_shared(const char *what);

/* Read a whole file (binary) into a new NUL-terminated buffer; NULL and a
 * failed test when it cannot be read.  Free with free(). */
char *dltest_read_file(const char *path, size_t *len_out);

/* Join a directory and a relative path into a static-per-call buffer. */
const char *dltest_path(const char *dir, const char *rel);

/* Allocation failure injection.  After dltest_alloc_fail_at(n), allocation
 * number n (counting from 1 after the call) and every later one fail, until
 * dltest_alloc_reset().  dltest_alloc_live() counts live allocations made
 * through the hook, for leak checks. */
void dltest_alloc_install(void);
void dltest_alloc_fail_at(long n);
void dltest_alloc_reset(void);
long dltest_alloc_count(void);
long dltest_alloc_live(void);

/*
 * Run `fn` once with no failures to count its allocations, then once with
 * each allocation failing in turn.  `fn` returns 0 or a negative code; on a
 * failure it must return DL_ENOMEM (or the code it propagates) and leak
 * nothing.  Fails the test otherwise.
 */
void dltest_each_alloc_failure(int (*fn)(void *ctx), void *ctx);

/* Start tests/integration/faultserver.py with Debian's /usr/bin/python3 on
 * 127.0.0.1, after clearing proxy variables so nothing leaves loopback.
 * Returns its port, or -1.  Exits with DLTEST_SKIP (a visible skip) when
 * the interpreter is missing.  The server also exits by itself. */
int dltest_faultserver_start(void);
void dltest_faultserver_stop(void);

#endif
