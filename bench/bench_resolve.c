/*
 * bench_resolve.c - the Python resolution layer and the PubGrub core on the
 * resolvelib PyPI snapshots, from an in-memory source.
 *
 * Usage: bench_resolve SHARED_DIR [REPEATS]   (default 5)
 *
 * Two kinds of case:
 *   case/<name>      every resolvelib case, its requested requirements as
 *                    the root (CPython 3.8 on Linux);
 *   all/<snapshot>   for each of the six PyPI snapshots, a large root set:
 *                    every project of the snapshot whose newest release
 *                    resolves on its own (found in an untimed pre-pass),
 *                    required by bare name all at once.  This is the
 *                    "all projects whose latest version resolves" choice:
 *                    it is much larger than any listed case (hundreds of
 *                    roots instead of a dozen) and exercises backtracking
 *                    across the whole snapshot.
 * Each line gives the median wall time and the median CPU time of the
 * thread over REPEATS resolutions (after one warm-up; on a shared machine
 * the CPU time is the steadier number), the decisions and conflicts, the pins, and the peak heap of one
 * resolution counted by an allocator installed through the dl allocator
 * hook (everything the resolver and solver allocate; the source, built
 * before, is not counted).  Loading the snapshot is not timed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "deeplock/pyresolve.h"
#include "deeplock/requirement.h"
#include "deeplock/resolvelib.h"

/* ---- a counting allocator ----------------------------------------------- */

static size_t live_bytes, peak_bytes;

typedef union hdr {
	size_t size;
	max_align_t align;
} hdr;

static void *count_malloc(size_t size, void *ctx)
{
	(void)ctx;
	hdr *h = malloc(sizeof(hdr) + size);
	if (h == NULL)
		return NULL;
	h->size = size;
	live_bytes += size;
	if (live_bytes > peak_bytes)
		peak_bytes = live_bytes;
	return h + 1;
}

static void count_free(void *p, void *ctx)
{
	(void)ctx;
	if (p == NULL)
		return;
	hdr *h = (hdr *)p - 1;
	live_bytes -= h->size;
	free(h);
}

static void *count_realloc(void *p, size_t size, void *ctx)
{
	if (p == NULL)
		return count_malloc(size, ctx);
	hdr *h = (hdr *)p - 1;
	size_t old = h->size;
	hdr *n = realloc(h, sizeof(hdr) + size);
	if (n == NULL)
		return NULL;
	n->size = size;
	live_bytes = live_bytes - old + size;
	if (live_bytes > peak_bytes)
		peak_bytes = live_bytes;
	return n + 1;
}

static const dl_allocator COUNTING = {count_malloc, count_realloc, count_free, NULL};

/* ---- helpers ------------------------------------------------------------ */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: steadier than wall time on a shared machine. */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "bench_resolve: cannot open %s\n", path);
		exit(1);
	}
	size_t cap = 1 << 20, n = 0, got;
	char *buf = malloc(cap);
	while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (buf == NULL)
		exit(1);
	*len = n;
	return buf;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_resolve: %s: %s\n", what, dl_error_last()->message);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static dl_py_target target;

/* One resolution of `reqs` over `ms`; the result is the caller's. */
static dl_py_result *resolve(dl_py_memsource *ms, dl_requirement **reqs, size_t n)
{
	dl_py_options o = DL_PY_OPTIONS_INIT;
	o.target = &target;
	o.requirements = (const dl_requirement *const *)reqs;
	o.nrequirements = n;
	dl_py_source src;
	dl_py_memsource_source(ms, &src);
	dl_py_result *r = NULL;
	if (dl_py_resolve(&r, &src, &o) != 0)
		die("resolving");
	return r;
}

/* The same roots resolved universally: for every environment with Python
 * 3.8 or later, forking where the snapshot's markers make requirements
 * differ. */
static dl_mregion *universe;

static dl_py_universal *resolve_universal(dl_py_memsource *ms, dl_requirement **reqs, size_t n)
{
	dl_py_options o = DL_PY_OPTIONS_INIT;
	o.target = &target;
	o.requirements = (const dl_requirement *const *)reqs;
	o.nrequirements = n;
	o.region = universe;
	dl_py_source src;
	dl_py_memsource_source(ms, &src);
	dl_py_universal *u = NULL;
	if (dl_py_resolve_universal(&u, &src, &o) != 0)
		die("resolving universally");
	return u;
}

/* One measured resolution, either kind, and what its line reports. */
typedef struct outcome {
	bool solved;
	size_t pins, decisions, conflicts;
	size_t conditional, forks, solves; /* universal only */
} outcome;

static outcome one(bool universal, dl_py_memsource *ms, dl_requirement **reqs, size_t n)
{
	outcome o = {0};
	if (universal) {
		dl_py_universal *u = resolve_universal(ms, reqs, n);
		o = (outcome){u->solved, u->npins, u->stats.decisions, u->stats.conflicts, 0, u->nforks, u->solves};
		for (size_t i = 0; i < u->npins; i++)
			o.conditional += u->pins[i].marker != NULL;
		dl_py_universal_free(u);
	} else {
		dl_py_result *r = resolve(ms, reqs, n);
		o = (outcome){r->solved, r->npins, r->stats.decisions, r->stats.conflicts, 0, 0, 0};
		dl_py_result_free(r);
	}
	return o;
}

/* Time `reqs` (median of `repeats` after a warm-up), then count one
 * resolution's peak heap (freed with the allocator that made it), and
 * print a line. */
static void measure(const char *label, bool universal, dl_py_memsource *ms, dl_requirement **reqs, size_t n,
                    int repeats)
{
	one(universal, ms, reqs, n); /* warm-up */
	double *t = calloc((size_t)repeats, sizeof(double)), *c = calloc((size_t)repeats, sizeof(double));
	for (int i = 0; i < repeats; i++) {
		double t0 = now(), c0 = cpu_now();
		one(universal, ms, reqs, n);
		t[i] = now() - t0;
		c[i] = cpu_now() - c0;
	}
	qsort(t, (size_t)repeats, sizeof(double), cmp_double);
	qsort(c, (size_t)repeats, sizeof(double), cmp_double);
	live_bytes = peak_bytes = 0;
	dl_allocator_set(&COUNTING);
	outcome o = one(universal, ms, reqs, n);
	size_t peak = peak_bytes;
	dl_allocator_set(NULL);
	if (universal)
		printf("%-34s roots %4zu  %-8s pins %4zu  (%zu with markers)  forks %zu  solves %zu  decisions %5zu  ",
		       label, n, o.solved ? "solved" : "conflict", o.pins, o.conditional, o.forks, o.solves, o.decisions);
	else
		printf("%-34s roots %4zu  %-8s pins %4zu  decisions %5zu  conflicts %4zu  ", label, n,
		       o.solved ? "solved" : "conflict", o.pins, o.decisions, o.conflicts);
	printf("wall %7.2f ms  cpu %7.2f ms  peak %6.2f MiB\n", t[repeats / 2] * 1e3, c[repeats / 2] * 1e3,
	       (double)peak / (1024.0 * 1024.0));
	free(t);
	free(c);
}

static void run(const char *label, dl_py_memsource *ms, dl_requirement **reqs, size_t n, int repeats)
{
	measure(label, false, ms, reqs, n, repeats);
}

static void run_universal(const char *label, dl_py_memsource *ms, dl_requirement **reqs, size_t n, int repeats)
{
	measure(label, true, ms, reqs, n, repeats);
}

/* The projects each snapshot's cases name (requested and resolved), the
 * root set the issue suggests; the same set bench/resolve_pip.py gives pip. */
static struct {
	char *index;
	char **names;
	size_t n;
} named[32];
static size_t nnamed;

static void add_named(const char *index, const char *name)
{
	size_t k = 0;
	while (k < nnamed && strcmp(named[k].index, index) != 0)
		k++;
	if (k == nnamed) {
		if (nnamed == sizeof(named) / sizeof(named[0]))
			die("too many snapshots");
		named[nnamed++].index = strdup(index);
	}
	for (size_t i = 0; i < named[k].n; i++) {
		if (strcmp(named[k].names[i], name) == 0)
			return;
	}
	named[k].names = realloc(named[k].names, (named[k].n + 1) * sizeof(char *));
	if (named[k].names == NULL)
		die("memory");
	named[k].names[named[k].n++] = strdup(name);
}

/* Snapshots loaded once. */
static struct {
	char *name;
	dl_py_memsource *ms;
} snaps[32];
static size_t nsnaps;

static dl_py_memsource *snapshot(const char *shared, const char *name)
{
	for (size_t i = 0; i < nsnaps; i++) {
		if (strcmp(snaps[i].name, name) == 0)
			return snaps[i].ms;
	}
	char path[8192];
	snprintf(path, sizeof(path), "%s/data/resolvelib/index/%s.json", shared, name);
	size_t len = 0;
	char *data = read_file(path, &len);
	dl_py_memsource *ms = NULL;
	if (dl_resolvelib_index_load(&ms, data, len, name) != 0)
		die(name);
	free(data);
	snaps[nsnaps].name = strdup(name);
	snaps[nsnaps].ms = ms;
	nsnaps++;
	return ms;
}

static char **list_json(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "bench_resolve: cannot open %s\n", dir);
		exit(1);
	}
	char **names = calloc(256, sizeof(char *));
	*n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && *n < 256) {
		size_t l = strlen(e->d_name);
		if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0)
			names[(*n)++] = strndup(e->d_name, l - 5);
	}
	closedir(d);
	qsort(names, *n, sizeof(char *), cmp_str);
	return names;
}

/* The newest release of a project (by version). */
static const dl_py_release *newest(const dl_py_project *p)
{
	const dl_py_release *best = NULL;
	for (size_t i = 0; i < p->nreleases; i++) {
		if (dl_version_is_prerelease(&p->releases[i].version))
			continue;
		if (best == NULL || dl_version_cmp(&p->releases[i].version, &best->version) > 0)
			best = &p->releases[i];
	}
	return best;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_resolve SHARED_DIR [REPEATS]\n");
		return 2;
	}
	const char *shared = argv[1];
	int repeats = 5;
	if (argc > 2) {
		char *end = NULL;
		long v = strtol(argv[2], &end, 10);
		if (end == argv[2] || *end != '\0' || v < 1 || v > 1000) {
			fprintf(stderr, "bench_resolve: REPEATS must be 1..1000\n");
			return 2;
		}
		repeats = (int)v;
	}
	if (dl_resolvelib_target(&target) != 0)
		die("target");
	static const char floor[] = "python_full_version >= '3.8'";
	if (dl_mregion_parse(&universe, floor, strlen(floor)) != 0)
		die("region");

	char dir[8192];
	snprintf(dir, sizeof(dir), "%s/data/resolvelib/case", shared);
	size_t ncases = 0;
	char **cases = list_json(dir, &ncases);
	for (size_t c = 0; c < ncases; c++) {
		char path[16384];
		snprintf(path, sizeof(path), "%s/%s.json", dir, cases[c]);
		size_t len = 0;
		char *data = read_file(path, &len);
		dl_resolvelib_case *rc = NULL;
		if (dl_resolvelib_case_load(&rc, data, len, cases[c]) != 0)
			die(cases[c]);
		free(data);
		dl_py_memsource *ms = snapshot(shared, rc->index);
		dl_requirement **reqs = calloc(rc->nrequested + 1, sizeof(*reqs));
		for (size_t i = 0; i < rc->nrequested; i++) {
			if (dl_requirement_parse(&reqs[i], rc->requested[i], strlen(rc->requested[i])) != 0)
				die(rc->requested[i]);
		}
		for (size_t i = 0; i < rc->nrequested; i++)
			add_named(rc->index, reqs[i]->normalized_name);
		for (size_t i = 0; i < rc->nresolved; i++)
			add_named(rc->index, rc->resolved[i].name);
		char label[256];
		snprintf(label, sizeof(label), "case/%s", cases[c]);
		run(label, ms, reqs, rc->nrequested, repeats);
		snprintf(label, sizeof(label), "case-universal/%s", cases[c]);
		run_universal(label, ms, reqs, rc->nrequested, repeats);
		for (size_t i = 0; i < rc->nrequested; i++)
			dl_requirement_free(reqs[i]);
		free(reqs);
		dl_resolvelib_case_free(rc);
		free(cases[c]);
	}
	free(cases);

	for (size_t k = 0; k < nnamed; k++) {
		if (strncmp(named[k].index, "pypi-", 5) != 0)
			continue;
		dl_py_memsource *ms = snapshot(shared, named[k].index);
		qsort(named[k].names, named[k].n, sizeof(char *), cmp_str);
		dl_requirement **reqs = calloc(named[k].n + 1, sizeof(*reqs));
		size_t n = 0;
		for (size_t i = 0; i < named[k].n; i++) {
			if (dl_py_memsource_project(ms, named[k].names[i]) != NULL &&
			    dl_requirement_parse(&reqs[n], named[k].names[i], strlen(named[k].names[i])) == 0)
				n++;
		}
		char label[256];
		snprintf(label, sizeof(label), "named/%s", named[k].index);
		run(label, ms, reqs, n, repeats);
		snprintf(label, sizeof(label), "named-universal/%s", named[k].index);
		run_universal(label, ms, reqs, n, repeats);
		for (size_t i = 0; i < n; i++)
			dl_requirement_free(reqs[i]);
		free(reqs);
	}
	for (size_t k = 0; k < nnamed; k++) {
		for (size_t i = 0; i < named[k].n; i++)
			free(named[k].names[i]);
		free(named[k].names);
		free(named[k].index);
	}

	snprintf(dir, sizeof(dir), "%s/data/resolvelib/index", shared);
	size_t nidx = 0;
	char **idx = list_json(dir, &nidx);
	for (size_t k = 0; k < nidx; k++) {
		if (strncmp(idx[k], "pypi-", 5) != 0) {
			free(idx[k]);
			continue;
		}
		dl_py_memsource *ms = snapshot(shared, idx[k]);
		size_t np = dl_py_memsource_count(ms), n = 0;
		dl_requirement **reqs = calloc(np + 1, sizeof(*reqs));
		for (size_t i = 0; i < np; i++) {
			const char *name = dl_py_memsource_name(ms, i);
			const dl_py_release *r = newest(dl_py_memsource_project(ms, name));
			if (r == NULL)
				continue;
			char text[512];
			snprintf(text, sizeof(text), "%s==%s", name, r->version_text);
			dl_requirement *pin = NULL;
			if (dl_requirement_parse(&pin, text, strlen(text)) != 0) {
				dl_error_clear();
				continue;
			}
			dl_py_result *res = resolve(ms, &pin, 1);
			bool ok = res->solved;
			dl_py_result_free(res);
			dl_requirement_free(pin);
			if (ok && dl_requirement_parse(&reqs[n], name, strlen(name)) == 0)
				n++;
		}
		char label[256];
		snprintf(label, sizeof(label), "all/%s", idx[k]);
		run(label, ms, reqs, n, repeats);
		snprintf(label, sizeof(label), "universal/%s", idx[k]);
		run_universal(label, ms, reqs, n, repeats);
		for (size_t i = 0; i < n; i++)
			dl_requirement_free(reqs[i]);
		free(reqs);
		free(idx[k]);
	}
	free(idx);
	for (size_t i = 0; i < nsnaps; i++) {
		dl_py_memsource_free(snaps[i].ms);
		free(snaps[i].name);
	}
	dl_py_target_clear(&target);
	dl_mregion_free(universe);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("process maxrss %.1f MiB (all six snapshots loaded)\n", (double)ru.ru_maxrss / 1024.0);
	return 0;
}
