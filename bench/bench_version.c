/*
 * bench_version.c - PEP 440 throughput on real PyPI data.
 *
 * Usage: bench_version SHARED_DIR
 * Reads SHARED_DIR/conformance/pypi-samples/{version,specs}_sample.txt and
 * prints one line per metric:
 *   version_parse_per_sec N       parse + clear of each sample line (the
 *                                 real mix, invalid lines included)
 *   version_cmp_packed_per_sec N  dl_version_cmp on pairs of pre-parsed
 *                                 versions that both have a packed key
 *   version_cmp_full_per_sec N    dl_version_cmp_full on pairs of all
 *                                 valid versions
 *   specset_contains_per_sec N    dl_specset_contains (pre-releases
 *                                 allowed) of every valid version in every
 *                                 valid specifier set
 *   range_from_specset_per_sec N  dl_range_from_specset + clear per set
 *   range_contains_per_sec N      dl_range_contains, the same pairs as
 *                                 specset_contains
 * Each metric runs whole passes over its data for at least a second after
 * a warm-up pass.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deeplock/range.h"
#include "deeplock/specifier.h"
#include "deeplock/version.h"

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

/* Read a file's lines (without terminators) into `lines`; the text stays
 * in a buffer that is never freed (the process ends soon after). */
static size_t read_lines(const char *dir, const char *rel, struct line **out)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "bench_version: cannot open %s\n", path);
		exit(1);
	}
	size_t cap = 1 << 16, len = 0;
	char *text = malloc(cap);
	size_t n;
	while (text != NULL && (n = fread(text + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap)
			text = realloc(text, cap *= 2);
	}
	fclose(f);
	if (text == NULL)
		exit(1);
	text[len] = '\0';
	size_t nl = 0, lcap = 1024;
	struct line *lines = malloc(lcap * sizeof(*lines));
	for (char *p = text; *p != '\0';) {
		char *e = strchr(p, '\n');
		size_t l = e != NULL ? (size_t)(e - p) : strlen(p);
		if (nl == lcap)
			lines = realloc(lines, (lcap *= 2) * sizeof(*lines));
		lines[nl].s = p;
		lines[nl].len = l;
		nl++;
		p += l + (e != NULL);
	}
	*out = lines;
	return nl;
}

static volatile uint64_t sink;

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_version SHARED_DIR\n");
		return 2;
	}
	struct line *vl, *sl;
	size_t nvl = read_lines(argv[1], "conformance/pypi-samples/version_sample.txt", &vl);
	size_t nsl = read_lines(argv[1], "conformance/pypi-samples/specs_sample.txt", &sl);

	/* version_parse_per_sec */
	{
		uint64_t ops = 0, ok = 0;
		double t0 = now(), t;
		for (int pass = 0;; pass++) {
			for (size_t i = 0; i < nvl; i++) {
				dl_version v;
				if (dl_version_parse_into(&v, vl[i].s, vl[i].len) == 0) {
					ok++;
					dl_version_clear(&v);
				}
			}
			if (pass == 0) {
				t0 = now();
				ok = 0;
				continue;
			}
			ops += nvl;
			if ((t = now()) - t0 >= 1.0)
				break;
		}
		sink = ok;
		printf("version_parse_per_sec %.0f\n", (double)ops / (t - t0));
	}

	dl_version *all = calloc(nvl, sizeof(*all));
	size_t nall = 0;
	for (size_t i = 0; i < nvl; i++) {
		if (dl_version_parse_into(&all[nall], vl[i].s, vl[i].len) == 0)
			nall++;
	}
	dl_version *packed = calloc(nall, sizeof(*packed));
	size_t npacked = 0;
	for (size_t i = 0; i < nall; i++) {
		if (all[i].key != 0)
			packed[npacked++] = all[i]; /* shallow: read only */
	}

	/* version_cmp_packed_per_sec and version_cmp_full_per_sec: every pair */
	for (int full = 0; full < 2; full++) {
		const dl_version *vs = full ? all : packed;
		size_t nv = full ? nall : npacked;
		uint64_t ops = 0;
		int64_t acc = 0;
		double t0 = now(), t;
		for (int pass = 0;; pass++) {
			for (size_t i = 0; i < nv; i++) {
				const dl_version *a = &vs[i];
				if (full) {
					for (size_t j = 0; j < nv; j++)
						acc += dl_version_cmp_full(a, &vs[j]);
				} else {
					for (size_t j = 0; j < nv; j++)
						acc += dl_version_cmp(a, &vs[j]);
				}
			}
			if (pass == 0) {
				t0 = now();
				continue;
			}
			ops += (uint64_t)nv * nv;
			if ((t = now()) - t0 >= 1.0)
				break;
		}
		sink = (uint64_t)acc;
		printf("%s %.0f\n", full ? "version_cmp_full_per_sec" : "version_cmp_packed_per_sec",
		       (double)ops / (t - t0));
	}

	dl_specset **sets = calloc(nsl, sizeof(*sets));
	size_t nsets = 0;
	for (size_t i = 0; i < nsl; i++) {
		if (dl_specset_parse(&sets[nsets], sl[i].s, sl[i].len) == 0)
			nsets++;
	}

	/* specset_contains_per_sec */
	{
		uint64_t ops = 0, in = 0;
		double t0 = now(), t;
		for (int pass = 0;; pass++) {
			for (size_t i = 0; i < nsets; i++)
				for (size_t j = 0; j < nall; j++)
					in += dl_specset_contains(sets[i], &all[j], DL_PRERELEASES_ALLOW);
			if (pass == 0) {
				t0 = now();
				continue;
			}
			ops += (uint64_t)nsets * nall;
			if ((t = now()) - t0 >= 1.0)
				break;
		}
		sink = in;
		printf("specset_contains_per_sec %.0f\n", (double)ops / (t - t0));
	}

	/* range_from_specset_per_sec */
	{
		uint64_t ops = 0, nint = 0;
		double t0 = now(), t;
		for (int pass = 0;; pass++) {
			for (size_t i = 0; i < nsets; i++) {
				dl_range r;
				dl_range_init(&r);
				if (dl_range_from_specset(&r, sets[i]) != 0)
					return 1;
				nint += r.n;
				dl_range_clear(&r);
			}
			if (pass == 0) {
				t0 = now();
				continue;
			}
			ops += nsets;
			if ((t = now()) - t0 >= 1.0)
				break;
		}
		sink = nint;
		printf("range_from_specset_per_sec %.0f\n", (double)ops / (t - t0));
	}

	/* range_contains_per_sec */
	{
		dl_range *ranges = calloc(nsets, sizeof(*ranges));
		for (size_t i = 0; i < nsets; i++) {
			dl_range_init(&ranges[i]);
			if (dl_range_from_specset(&ranges[i], sets[i]) != 0)
				return 1;
		}
		uint64_t ops = 0, in = 0;
		double t0 = now(), t;
		for (int pass = 0;; pass++) {
			for (size_t i = 0; i < nsets; i++)
				for (size_t j = 0; j < nall; j++)
					in += dl_range_contains(&ranges[i], &all[j]);
			if (pass == 0) {
				t0 = now();
				continue;
			}
			ops += (uint64_t)nsets * nall;
			if ((t = now()) - t0 >= 1.0)
				break;
		}
		sink = in;
		printf("range_contains_per_sec %.0f\n", (double)ops / (t - t0));
		for (size_t i = 0; i < nsets; i++)
			dl_range_clear(&ranges[i]);
		free(ranges);
	}

	fprintf(stderr, "bench_version: %zu version lines (%zu valid, %zu packed), %zu of %zu specifier sets valid\n",
	        nvl, nall, npacked, nsets, nsl);
	for (size_t i = 0; i < nsets; i++)
		dl_specset_free(sets[i]);
	for (size_t i = 0; i < nall; i++)
		dl_version_clear(&all[i]);
	free(sets);
	free(packed);
	free(all);
	return 0;
}
