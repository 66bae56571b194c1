/*
 * bench_marker.c - PEP 508 throughput on real Requires-Dist lines.
 *
 * Usage: bench_marker SHARED_DIR
 * Reads SHARED_DIR/conformance/pypi-samples/dist_sample.txt and prints one
 * line per metric:
 *   requirement_parse_per_sec N   parse + free of each line, round-robin
 *   marker_parse_per_sec N        parse + free of each line's marker text
 *   marker_eval_per_sec N         evaluation of each parsed marker in a
 *                                 CPython 3.11 / Linux x86_64 environment
 * Each metric runs for about a second after a warm-up pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deeplock/marker.h"
#include "deeplock/requirement.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct line {
	const char *s;
	size_t len;
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_marker SHARED_DIR\n");
		return 2;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/conformance/pypi-samples/dist_sample.txt", argv[1]);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "bench_marker: cannot open %s\n", path);
		return 1;
	}
	static char text[1 << 20];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';

	struct line *lines = calloc(4096, sizeof(*lines));
	struct line *mlines = calloc(4096, sizeof(*mlines));
	size_t nl = 0, nml = 0;
	for (char *p = text; *p != '\0' && nl < 4096;) {
		char *e = strchr(p, '\n');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (len > 0) {
			lines[nl].s = p;
			lines[nl].len = len;
			nl++;
			const char *semi = memchr(p, ';', len);
			if (semi != NULL) {
				mlines[nml].s = semi + 1;
				mlines[nml].len = len - (size_t)(semi + 1 - p);
				nml++;
			}
		}
		if (e == NULL)
			break;
		p = e + 1;
	}

	dl_marker_env *env = NULL;
	static const char *const kv[][2] = {
		{"python_version", "3.11"},
		{"python_full_version", "3.11.4"},
		{"os_name", "posix"},
		{"sys_platform", "linux"},
		{"platform_release", "6.1.0"},
		{"platform_system", "Linux"},
		{"platform_version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)"},
		{"platform_machine", "x86_64"},
		{"platform_python_implementation", "CPython"},
		{"implementation_name", "cpython"},
		{"implementation_version", "3.11.4"},
	};
	if (dl_marker_env_new(&env) != 0)
		return 1;
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		dl_marker_env_set_by_name(env, kv[i][0], strlen(kv[i][0]), kv[i][1], strlen(kv[i][1]));

	/* parse everything once: the markers to evaluate */
	dl_requirement **reqs = calloc(nl, sizeof(*reqs));
	const dl_marker **markers = calloc(nl, sizeof(*markers));
	size_t nreq = 0, nmark = 0, invalid = 0;
	for (size_t i = 0; i < nl; i++) {
		if (dl_requirement_parse(&reqs[nreq], lines[i].s, lines[i].len) != 0) {
			invalid++;
			continue;
		}
		if (reqs[nreq]->marker != NULL)
			markers[nmark++] = reqs[nreq]->marker;
		nreq++;
	}
	fprintf(stderr, "# %zu lines, %zu valid requirements (%zu invalid), %zu markers\n", nl, nreq, invalid, nmark);

	/* requirement parsing */
	double t0 = now(), t;
	long ops = 0;
	do {
		for (size_t i = 0; i < nl; i++) {
			dl_requirement *r = NULL;
			if (dl_requirement_parse(&r, lines[i].s, lines[i].len) == 0)
				dl_requirement_free(r);
		}
		ops += (long)nl;
		t = now();
	} while (t - t0 < 1.0);
	printf("requirement_parse_per_sec %.0f\n", (double)ops / (t - t0));

	/* marker parsing */
	t0 = now();
	ops = 0;
	do {
		for (size_t i = 0; i < nml; i++) {
			dl_marker *m = NULL;
			if (dl_marker_parse(&m, mlines[i].s, mlines[i].len) == 0)
				dl_marker_free(m);
		}
		ops += (long)nml;
		t = now();
	} while (t - t0 < 1.0);
	printf("marker_parse_per_sec %.0f\n", (double)ops / (t - t0));

	/* marker evaluation */
	long errors = 0, trues = 0;
	t0 = now();
	ops = 0;
	do {
		for (int rep = 0; rep < 100; rep++) {
			for (size_t i = 0; i < nmark; i++) {
				bool v;
				if (dl_marker_evaluate(markers[i], env, &v) != 0)
					errors++;
				else
					trues += v;
			}
		}
		ops += 100 * (long)nmark;
		t = now();
	} while (t - t0 < 1.0);
	printf("marker_eval_per_sec %.0f\n", (double)ops / (t - t0));
	fprintf(stderr, "# evaluation: %ld true, %ld errors\n", trues, errors);

	for (size_t i = 0; i < nreq; i++)
		dl_requirement_free(reqs[i]);
	free(reqs);
	free(markers);
	free(lines);
	free(mlines);
	dl_marker_env_free(env);
	return 0;
}
