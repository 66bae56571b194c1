/*
 * debug_zip.c - `deeplock debug wheel-metadata`: a local wheel's METADATA
 * read the lazy way, through the same tail and range protocol that HTTP
 * Range requests drive, with pread standing in for the network.  It shows
 * (and lets the tests check) how few bytes the protocol reads.
 *
 *   deeplock debug wheel-metadata [--ranges] [--tail N] [--project NAME]
 *                                 [--version V] FILE.whl
 *     prints the METADATA text; with --ranges, JSON instead:
 *     {file, size, dist_info, member, ranges: [{offset, length, purpose}],
 *      requests, total_bytes, metadata}.
 *     --tail sets the first tail's size (default DL_ZIP_TAIL_INITIAL);
 *     --project and --version default to those of the wheel's file name
 *     (none when the name is not a wheel name).
 *
 * Exit status 1 for an unreadable file or a refused archive, 2 for usage
 * errors.  Only the library's public API is used.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "deeplock/common.h"
#include "deeplock/filename.h"
#include "deeplock/zipread.h"

#define METADATA_MAX ((size_t)16 << 20)
#define MAX_RANGES 16

typedef struct reader {
	int fd;
	const char *path;
	uint64_t size;
	struct {
		uint64_t offset, len;
		const char *purpose;
	} ranges[MAX_RANGES];
	size_t n;
	uint64_t total;
} reader;

/* Read [off, off+len) into a new buffer and record it. */
static unsigned char *read_range(reader *r, uint64_t off, uint64_t len, const char *purpose)
{
	if (len > ((uint64_t)1 << 30) || r->n == MAX_RANGES) {
		dl_cli_error("%s: refusing to read %" PRIu64 " bytes at offset %" PRIu64, r->path, len, off);
		return NULL;
	}
	unsigned char *buf = malloc(len ? (size_t)len : 1);
	if (buf == NULL) {
		dl_cli_error("out of memory");
		return NULL;
	}
	for (uint64_t done = 0; done < len;) {
		ssize_t got = pread(r->fd, buf + done, (size_t)(len - done), (off_t)(off + done));
		if (got <= 0) {
			dl_cli_error("%s: cannot read %" PRIu64 " bytes at offset %" PRIu64 ": %s", r->path, len, off,
			             got == 0 ? "unexpected end of file" : strerror(errno)); /* checksrc: allow the CLI reports errno once */
			free(buf);
			return NULL;
		}
		done += (uint64_t)got;
	}
	r->ranges[r->n].offset = off;
	r->ranges[r->n].len = len;
	r->ranges[r->n].purpose = purpose;
	r->n++;
	r->total += len;
	return buf;
}

static int print_ranges(const reader *r, const char *dist_info, size_t dlen, const char *member, const dl_buf *text)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", json_string(r->path));
	json_object_set_new(o, "size", json_integer((json_int_t)r->size));
	json_object_set_new(o, "dist_info", json_stringn(dist_info, dlen));
	json_object_set_new(o, "member", json_string(member));
	json_t *arr = json_array();
	for (size_t i = 0; i < r->n; i++) {
		json_t *x = json_object();
		json_object_set_new(x, "offset", json_integer((json_int_t)r->ranges[i].offset));
		json_object_set_new(x, "length", json_integer((json_int_t)r->ranges[i].len));
		json_object_set_new(x, "purpose", json_string(r->ranges[i].purpose));
		json_array_append_new(arr, x);
	}
	json_object_set_new(o, "ranges", arr);
	json_object_set_new(o, "requests", json_integer((json_int_t)r->n));
	json_object_set_new(o, "total_bytes", json_integer((json_int_t)r->total));
	json_t *md = json_stringn(text->ptr != NULL ? text->ptr : "", text->len);
	json_object_set_new(o, "metadata", md != NULL ? md : json_null());
	int rc = dl_cli_print_json(o);
	json_decref(o);
	return rc;
}

static int usage(FILE *f, int status)
{
	fprintf(f, "Usage: deeplock debug wheel-metadata [--ranges] [--tail N] [--project NAME] [--version V] FILE.whl\n");
	return status;
}

int dl_cli_debug_wheel_metadata(int argc, char **argv)
{
	bool want_ranges = false;
	uint64_t first_tail = DL_ZIP_TAIL_INITIAL;
	const char *project = NULL, *version = NULL, *path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return usage(stdout, DL_EXIT_OK);
		if (strcmp(a, "--ranges") == 0) {
			want_ranges = true;
		} else if ((strcmp(a, "--tail") == 0 || strcmp(a, "--project") == 0 || strcmp(a, "--version") == 0) && i + 1 < argc) {
			const char *v = argv[++i];
			if (a[2] == 't') {
				char *end = NULL;
				errno = 0;
				unsigned long long n = strtoull(v, &end, 10);
				if (errno != 0 || end == v || *end != '\0' || n == 0)
					return dl_cli_usage_error("debug wheel-metadata", "--tail wants a positive number of bytes, not '%s'", v);
				first_tail = n;
			} else if (a[2] == 'p') {
				project = v;
			} else {
				version = v;
			}
		} else if (a[0] == '-' && a[1] != '\0') {
			return dl_cli_usage_error("debug wheel-metadata", "unknown option '%s'", a);
		} else if (path == NULL) {
			path = a;
		} else {
			return dl_cli_usage_error("debug wheel-metadata", "one wheel at a time");
		}
	}
	if (path == NULL)
		return usage(stderr, DL_EXIT_USAGE);

	/* Project and version from the file name, as a resolver knows them. */
	const char *base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	dl_wheel_filename *wf = NULL;
	if (dl_filename_parse_wheel(&wf, base, strlen(base)) == 0) {
		if (project == NULL)
			project = wf->name;
		if (version == NULL)
			version = wf->version_text;
	}
	dl_error_clear();

	int status = DL_EXIT_FAIL;
	reader r = {.fd = -1, .path = path};
	unsigned char *tail = NULL, *member = NULL;
	dl_zipdir *dir = NULL;
	dl_buf text = DL_BUF_INIT;
	struct stat st;
	r.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0 || fstat(r.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		dl_cli_error("%s: cannot open as a regular file", path);
		goto done;
	}
	r.size = (uint64_t)st.st_size;

	/* The tail, then whatever the parser asks for in front of it. */
	uint64_t toff = r.size > first_tail ? r.size - first_tail : 0;
	tail = read_range(&r, toff, r.size - toff, "tail");
	if (tail == NULL)
		goto done;
	for (;;) {
		dl_zip_range need = {0, 0};
		int rc = dl_zipdir_parse(&dir, &need, tail, (size_t)(r.size - toff), toff, r.size, base, NULL);
		if (rc == 0)
			break;
		if (rc != DL_ZIP_NEED_MORE) {
			dl_cli_lib_error("reading the wheel's central directory");
			goto done;
		}
		unsigned char *front = read_range(&r, need.offset, toff - need.offset, "more of the tail");
		if (front == NULL)
			goto done;
		unsigned char *grown = realloc(front, (size_t)need.len);
		if (grown == NULL) {
			free(front);
			dl_cli_error("out of memory");
			goto done;
		}
		memcpy(grown + (toff - need.offset), tail, (size_t)(r.size - toff));
		free(tail);
		tail = grown;
		toff = need.offset;
	}

	const dl_zip_entry *e = NULL;
	if (dl_zipdir_find_wheel_metadata(&e, dir, project, version) != 0) {
		dl_cli_lib_error("finding the wheel's METADATA");
		goto done;
	}
	const char *dist_info = NULL;
	size_t dlen = 0;
	if (dl_zipdir_wheel_dist_info(&dist_info, &dlen, dir, project, version) != 0) {
		dl_cli_lib_error("finding the wheel's .dist-info");
		goto done;
	}

	/* The member: from the tail when it is there already, else its range. */
	dl_zip_range mr = dl_zipdir_member_range(dir, e);
	const unsigned char *win = NULL;
	uint64_t woff = 0, wlen = 0;
	if (mr.offset >= toff) {
		win = tail + (mr.offset - toff);
		woff = mr.offset;
		wlen = r.size - mr.offset;
	}
	for (int round = 0;; round++) {
		dl_zip_range need = {0, 0};
		int rc = win != NULL ? dl_zip_member_extract(&text, &need, dir, e, win, (size_t)wlen, woff, METADATA_MAX)
		                     : DL_ZIP_NEED_MORE;
		if (rc == 0)
			break;
		if (rc != DL_ZIP_NEED_MORE || round == 2) {
			dl_cli_lib_error("reading the wheel's METADATA");
			goto done;
		}
		if (win == NULL)
			need = mr;
		free(member);
		member = read_range(&r, need.offset, need.len, round == 0 && win == NULL ? "member" : "rest of the member");
		if (member == NULL)
			goto done;
		win = member;
		woff = need.offset;
		wlen = need.len;
	}

	if (want_ranges) {
		status = print_ranges(&r, dist_info, dlen, e->name, &text) == 0 ? DL_EXIT_OK : DL_EXIT_FAIL;
	} else {
		status = DL_EXIT_OK;
		if (text.len > 0 && fwrite(text.ptr, 1, text.len, stdout) != text.len)
			status = DL_EXIT_FAIL;
		if (fflush(stdout) != 0)
			status = DL_EXIT_FAIL;
	}
done:
	if (r.fd >= 0)
		close(r.fd);
	free(tail);
	free(member);
	dl_buf_free(&text);
	dl_zipdir_free(dir);
	dl_wheel_filename_free(wf);
	return status;
}
