/*
 * bench_resolve.c - the resolver on real PyPI dependency snapshots, with the
 * in-memory Python-rules provider (no index, no network).
 *
 * Usage: bench_resolve SHARED_DIR [RUNS [FILTER]]  (FILTER: only rows whose label contains it)
 * For every case of SHARED_DIR/data/resolvelib/case, and for each of the six
 * snapshots a large root set (every project named by that snapshot's cases:
 * their requested projects and every project of their expected solutions,
 * each asked for without a version constraint), it loads the universe,
 * resolves it RUNS times (default 7) and prints a Markdown table: median
 * time of one resolution, decisions, conflicts, pins, and the peak of the
 * library's live heap during one load + resolve (counted through the
 * allocator hook; jansson's JSON parse of the snapshot is not included).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "deeplock/common.h"
#include "deeplock/scenario.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A counting allocator: a size header before each block. */
static size_t live, peak;

static void *cm(size_t n, void *ctx)
{
	(void)ctx;
	size_t *p = malloc(n + 16);
	if (p == NULL)
		return NULL;
	*p = n;
	live += n;
	if (live > peak)
		peak = live;
	return (char *)p + 16;
}

static void cf(void *ptr, void *ctx)
{
	(void)ctx;
	if (ptr == NULL)
		return;
	size_t *p = (size_t *)((char *)ptr - 16);
	live -= *p;
	free(p);
}

static void *cr(void *ptr, size_t n, void *ctx)
{
	if (ptr == NULL)
		return cm(n, ctx);
	size_t *p = (size_t *)((char *)ptr - 16);
	size_t old = *p;
	size_t *q = realloc(p, n + 16);
	if (q == NULL)
		return NULL;
	*q = n;
	live = live - old + n;
	if (live > peak)
		peak = live;
	return (char *)q + 16;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(b);
		return NULL;
	}
	fclose(f);
	b[n] = '\0';
	*len = (size_t)n;
	return b;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Run one universe: returns 0 and prints a table row. */
static const char *filter;

static int run(const char *label, const char *index, size_t ilen, const char *cas, size_t clen, int runs)
{
	if (filter != NULL && strstr(label, filter) == NULL)
		return 0;
	double *t = calloc((size_t)runs, sizeof(double));
	size_t decisions = 0, conflicts = 0, pins = 0, mem = 0;
	int sat = -1;
	for (int r = 0; r < runs; r++) {
		live = peak = 0;
		dl_scenario *sc = NULL;
		if (dl_scenario_load_resolvelib(&sc, index, ilen, cas, clen, label, NULL) != 0) {
			fprintf(stderr, "%s: %s\n", label, dl_error_last()->message);
			free(t);
			return 1;
		}
		const dl_scenario_outcome *o = NULL;
		double t0 = now();
		int rc = dl_scenario_resolve(sc, &o);
		t[r] = now() - t0;
		if (rc != 0) {
			fprintf(stderr, "%s: %s\n", label, dl_error_last()->message);
			dl_scenario_free(sc);
			free(t);
			return 1;
		}
		dl_solver_stats st = dl_scenario_last_stats(sc);
		decisions = st.decisions;
		conflicts = st.conflicts;
		pins = o->n_packages;
		sat = o->satisfiable;
		dl_scenario_free(sc);
		if (peak > mem)
			mem = peak;
	}
	qsort(t, (size_t)runs, sizeof(double), cmp_double);
	printf("| %s | %.2f ms | %zu | %zu | %zu | %s | %.1f MiB |\n", label, t[runs / 2] * 1000, decisions, conflicts,
	       pins, sat ? "yes" : "no (explained)", (double)mem / (1 << 20));
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_resolve SHARED_DIR [RUNS]\n");
		return 2;
	}
	int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 7;
	if (runs < 1)
		runs = 1;
	filter = argc > 3 ? argv[3] : NULL;
	dl_allocator a = {cm, cr, cf, NULL};
	dl_allocator_set(&a);
	char dir[4096], path[8192];
	snprintf(dir, sizeof dir, "%s/data/resolvelib", argv[1]);
	snprintf(path, sizeof path, "%s/case", dir);
	DIR *d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "bench_resolve: cannot open %s\n", path);
		return 1;
	}
	char *names[64];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < 64)
		if (strstr(e->d_name, ".json") != NULL)
			names[n++] = strdup(e->d_name);
	closedir(d);
	for (size_t i = 0; i + 1 < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(names[i], names[j]) > 0) {
				char *x = names[i];
				names[i] = names[j];
				names[j] = x;
			}
	/* Roots per snapshot, gathered from its cases. */
	json_t *roots = json_object();
	printf("Median of %d runs of one resolution; memory is the peak live heap of the library during one load and "
	       "resolve.\n\n",
	       runs);
	printf("| case | resolve | decisions | conflicts | pins | satisfiable | peak memory |\n|---|---|---|---|---|---|---|\n");
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t clen = 0, ilen = 0;
		snprintf(path, sizeof path, "%s/case/%s", dir, names[i]);
		char *cas = slurp(path, &clen);
		json_t *cj = cas != NULL ? json_loadb(cas, clen, 0, NULL) : NULL;
		const char *idx = json_string_value(json_object_get(cj, "index"));
		if (idx == NULL) {
			fprintf(stderr, "bench_resolve: %s has no index\n", names[i]);
			return 1;
		}
		snprintf(path, sizeof path, "%s/index/%s.json", dir, idx);
		char *index = slurp(path, &ilen);
		if (index == NULL) {
			fprintf(stderr, "bench_resolve: cannot read %s\n", path);
			return 1;
		}
		rc = run(names[i], index, ilen, cas, clen, runs);
		if (strncmp(idx, "pypi-", 5) == 0) {
			json_t *set = json_object_get(roots, idx);
			if (set == NULL) {
				set = json_object();
				json_object_set_new(roots, idx, set);
			}
			json_t *req = json_object_get(cj, "requested");
			for (size_t k = 0; k < json_array_size(req); k++) {
				/* the project name of each request, no constraint */
				char buf[256];
				snprintf(buf, sizeof buf, "%s", json_string_value(json_array_get(req, k)));
				buf[strcspn(buf, " <>=!~;[(")] = '\0';
				json_object_set_new(set, buf, json_true());
			}
			const char *pn;
			json_t *pv;
			json_object_foreach(json_object_get(cj, "resolved"), pn, pv) json_object_set_new(set, pn, json_true());
		}
		json_decref(cj);
		free(index);
		free(cas);
		free(names[i]);
	}
	printf("\nLarge root sets: every project named by the snapshot's cases, unconstrained.\n\n");
	printf("| snapshot (roots) | resolve | decisions | conflicts | pins | satisfiable | peak memory |\n"
	       "|---|---|---|---|---|---|---|\n");
	const char *idx;
	json_t *set;
	json_object_foreach(roots, idx, set)
	{
		if (rc != 0)
			break;
		json_t *req = json_array();
		const char *pn;
		json_t *pv;
		json_object_foreach(set, pn, pv) json_array_append_new(req, json_string(pn));
		json_t *cj = json_pack("{s:o,s:{}}", "requested", req, "resolved");
		char *cas = json_dumps(cj, 0);
		size_t ilen = 0;
		snprintf(path, sizeof path, "%s/index/%s.json", dir, idx);
		char *index = slurp(path, &ilen);
		char label[256];
		snprintf(label, sizeof label, "%s (%zu)", idx + 5, json_object_size(set));
		rc = run(label, index, ilen, cas, strlen(cas), runs);
		free(cas);
		free(index);
		json_decref(cj);
	}
	json_decref(roots);
	dl_allocator_set(NULL);
	return rc;
}
