/*
 * interp.c - the target of `--python PATH|NAME`: ask a Python interpreter
 * for its version and platform, as uv and pip-compile do for the
 * interpreter they run against.
 *
 * The interpreter runs isolated (-I: no PYTHON* variables, no user site,
 * no current directory on sys.path) and without site (-S: no .pth files,
 * so no installed package's code), and runs only the standard library
 * lines below.  Its answer is one line, "IMPLEMENTATION X.Y.Z PLATFORM",
 * checked strictly before it is used: an interpreter is input too.
 *
 * The platform tag is the most specific one the interpreter's wheels may
 * carry: manylinux_X_Y_ARCH from the C library glibc reports, macosx_X_Y_ARCH
 * from the macOS version, win_amd64 and friends from sysconfig.  A Linux
 * without glibc (musl) gets linux_ARCH: only pure-Python wheels and sdists
 * then, which is what pip does without a musllinux tag; say --python-platform
 * musllinux_1_2_x86_64 to do better.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char probe[] =
	"import os, platform, sys\n"
	"m = platform.machine().lower()\n"
	"if sys.platform.startswith('linux'):\n"
	"    try:\n"
	"        g = os.confstr('CS_GNU_LIBC_VERSION').split()[1].split('.')\n"
	"        tag = 'manylinux_%d_%d_%s' % (int(g[0]), int(g[1]), m)\n"
	"    except Exception:\n"
	"        tag = 'linux_' + m\n"
	"elif sys.platform == 'darwin':\n"
	"    r = [int(x) for x in (platform.mac_ver()[0] + '.0').split('.')[:2]]\n"
	"    tag = 'macosx_%d_%d_%s' % (r[0], 0 if r[0] >= 11 else r[1], m)\n"
	"else:\n"
	"    import sysconfig\n"
	"    tag = sysconfig.get_platform().replace('-', '_').replace('.', '_')\n"
	"v = sys.version_info\n"
	"print(sys.implementation.name, '%d.%d.%d' % (v[0], v[1], v[2]), tag)\n";

bool dl_cli_is_interpreter(const char *python)
{
	/* "3", "3.11", "3.11.4" are versions; anything else names a program. */
	if (python[0] < '0' || python[0] > '9')
		return true;
	for (const char *c = python; *c; c++)
		if ((*c < '0' || *c > '9') && *c != '.')
			return true;
	return false;
}

static bool token_ok(const char *s, size_t n, const char *extra)
{
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr(extra, c) != NULL;
		if (!ok || c == '\0')
			return false;
	}
	return true;
}

int dl_cli_probe_python(const char *exe, char version[static 64], char platform[static 64])
{
	char *argv[] = {(char *)exe, "-I", "-S", "-c", (char *)probe, NULL};
	char *out = NULL;
	size_t len = 0;
	int status = 0;
	int err = dl_cli_capture(argv, 4096, &out, &len, &status);
	if (err != 0) {
		char eb[128];
		dl_cli_error("--python %s: %s", exe,
		             err == ENOENT ? "no such interpreter (give a path, a name on PATH, or a version X.Y[.Z])"
		             : err == EFBIG ? "the interpreter's answer is too long to be ours"
		                            : strerror_r(err, eb, sizeof eb));
		return DL_EXIT_FAIL;
	}
	int rc = DL_EXIT_FAIL;
	if (status != 0) {
		dl_cli_error("--python %s: the interpreter exited with status %d when asked its version", exe, status);
		goto done;
	}
	/* "cpython 3.11.2 manylinux_2_36_x86_64\n" */
	const char *f[3];
	size_t n[3];
	const char *p = out;
	for (int i = 0; i < 3; i++) {
		f[i] = p;
		while (*p != '\0' && *p != ' ' && *p != '\n')
			p++;
		n[i] = (size_t)(p - f[i]);
		if (*p != (i < 2 ? ' ' : '\n')) {
			dl_cli_error("--python %s: not a Python 3 interpreter (unexpected answer)", exe);
			goto done;
		}
		p++;
	}
	if (*p != '\0' || !token_ok(f[0], n[0], "_") || !token_ok(f[1], n[1], ".") || !token_ok(f[2], n[2], "_")) {
		dl_cli_error("--python %s: not a Python 3 interpreter (unexpected answer)", exe);
		goto done;
	}
	if (n[0] != 7 || memcmp(f[0], "cpython", 7) != 0) {
		dl_cli_error("--python %s: a %.*s interpreter; deeplock targets CPython only", exe, (int)n[0], f[0]);
		goto done;
	}
	memcpy(version, f[1], n[1]);
	version[n[1]] = '\0';
	memcpy(platform, f[2], n[2]);
	platform[n[2]] = '\0';
	rc = 0;
done:
	dl_free(out);
	return rc;
}
