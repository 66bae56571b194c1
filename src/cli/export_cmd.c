/*
 * export_cmd.c - commands that read a written lock: export, tree, why and
 * graph.
 *
 * The lock is read back into the model (dl_lock_read_pylock), so these
 * commands work on any deeplock pylock.toml without an index.  The graph
 * they walk has two kinds of edge: runtime edges (a package's
 * `dependencies`, within one set: the runtime set or one build
 * environment), and build edges (a package built from source -> the
 * packages its build environment was resolved for, i.e. those whose
 * required-by names "build-env:ID").  Walks keep the current path, so a
 * cycle (a build cycle is legitimate under --build-deps all) ends a branch
 * instead of looping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "deeplock/fs.h"
#include "deeplock/lock.h"

#define LOCK_MAX ((size_t)256 << 20)
#define MAX_PATHS 200
#define MAX_DEPTH 64

static dl_lock_doc *load(const char *path)
{
	size_t len = 0;
	char *data = dl_cli_read_input(path, LOCK_MAX, &len);
	if (data == NULL)
		return NULL;
	dl_lock_doc *d = NULL;
	int rc = dl_lock_read_pylock(&d, data, len, path);
	free(data);
	if (rc != 0) {
		dl_cli_lib_error(NULL);
		return NULL;
	}
	return d;
}

/* ------------------------------------------------------------------ */
/* The graph                                                            */

typedef struct node {
	const dl_lock_pkg *p;
	size_t set; /* 0 runtime, i = envs[i-1] */
} node;

static const dl_lock_pkg *set_pkgs(const dl_lock *l, size_t set, size_t *n)
{
	if (set == 0) {
		*n = l->n_packages;
		return l->packages;
	}
	*n = l->envs[set - 1].n_packages;
	return l->envs[set - 1].packages;
}

static size_t env_set(const dl_lock *l, const char *id)
{
	for (size_t i = 0; i < l->n_envs; i++)
		if (strcmp(l->envs[i].id, id) == 0)
			return i + 1;
	return 0;
}

static bool required_by(const dl_lock_pkg *p, const char *who)
{
	for (size_t i = 0; i < p->n_required_by; i++)
		if (strcmp(p->required_by[i], who) == 0)
			return true;
	return false;
}

/* The roots of a set: required by "<project>" (runtime) or by the env. */
static size_t roots_of(const dl_lock *l, size_t set, node *out, size_t cap)
{
	size_t n = 0, np = 0;
	const dl_lock_pkg *pk = set_pkgs(l, set, &np);
	char who[512];
	if (set == 0)
		snprintf(who, sizeof who, "<project>");
	else
		snprintf(who, sizeof who, "build-env:%s", l->envs[set - 1].id);
	for (size_t i = 0; i < np && n < cap; i++)
		if (required_by(&pk[i], who))
			out[n++] = (node){&pk[i], set};
	return n;
}

/* Children of a node: its dependencies in its set, then (build edges) the
 * roots of its build environment.  *build_from says where the build
 * children start. */
static size_t children(const dl_lock *l, node n, node *out, size_t cap, size_t *build_from)
{
	size_t k = 0, np = 0;
	const dl_lock_pkg *pk = set_pkgs(l, n.set, &np);
	/* A dependency is a name: when the set holds several versions of it
	 * (a universal lock, several targets), the children are the versions
	 * that name this package as a requirer; without such a record, the
	 * first version. */
	char me[512];
	snprintf(me, sizeof me, "%s==%s", n.p->name, n.p->version);
	for (size_t d = 0; d < n.p->n_dependencies && k < cap; d++) {
		size_t first = SIZE_MAX, hits = 0;
		for (size_t i = 0; i < np && k < cap; i++) {
			if (strcmp(pk[i].name, n.p->dependencies[d]) != 0)
				continue;
			if (first == SIZE_MAX)
				first = i;
			if (required_by(&pk[i], me)) {
				out[k++] = (node){&pk[i], n.set};
				hits++;
			}
		}
		if (hits == 0 && first != SIZE_MAX && k < cap)
			out[k++] = (node){&pk[first], n.set};
	}
	*build_from = k;
	if (n.p->build_env != NULL) {
		size_t s = env_set(l, n.p->build_env);
		if (s != 0)
			k += roots_of(l, s, out + k, cap - k);
	}
	return k;
}

static bool on_stack(node *stack, size_t depth, node n)
{
	for (size_t i = 0; i < depth; i++)
		if (stack[i].p == n.p)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* tree                                                                 */

/* One line for n (depth >= 1: the project is the unprinted depth 0), then
 * its children with the prefix grown by one level. */
static void print_tree(const dl_lock *l, node n, node *stack, size_t depth, char *prefix, size_t plen, bool last,
                       bool build)
{
	printf("%s%s%s%s %s", prefix, last ? "`-- " : "|-- ", build ? "[build] " : "", n.p->name, n.p->version);
	if (n.p->marker != NULL)
		printf("  (where %s)", n.p->marker);
	if (n.p->build_env != NULL)
		printf("  (built from source in %s)", n.p->build_env);
	else if (n.p->builds_from_source)
		printf("  (built from source)");
	if (on_stack(stack, depth, n) || depth >= MAX_DEPTH) {
		printf(" (*)\n");
		return;
	}
	printf("\n");
	stack[depth] = n;
	node kids[512];
	size_t bf = 0, nk = children(l, n, kids, 512, &bf);
	memcpy(prefix + plen, last ? "    " : "|   ", 5);
	for (size_t i = 0; i < nk; i++)
		print_tree(l, kids[i], stack, depth + 1, prefix, plen + 4, i + 1 == nk, i >= bf);
	prefix[plen] = '\0';
}

static void print_inverted(const dl_lock *l, const char *name)
{
	/* For each matching package, every chain of requirers up to a root. */
	for (size_t s = 0; s <= l->n_envs; s++) {
		size_t np = 0;
		const dl_lock_pkg *pk = set_pkgs(l, s, &np);
		for (size_t i = 0; i < np; i++) {
			if (name != NULL && strcmp(pk[i].name, name) != 0)
				continue;
			printf("%s %s%s%s\n", pk[i].name, pk[i].version, s == 0 ? "" : "  in build environment ",
			       s == 0 ? "" : l->envs[s - 1].id);
			for (size_t k = 0; k < pk[i].n_required_by; k++)
				printf("`-- required by %s\n", pk[i].required_by[k]);
		}
	}
}

/* ------------------------------------------------------------------ */
/* why                                                                  */

typedef struct why_state {
	const dl_lock *l;
	const char *target;
	size_t found;
	bool truncated;
} why_state;

static void why_walk(why_state *w, node n, node *stack, size_t depth, bool *build_edge)
{
	if (w->found >= MAX_PATHS) {
		w->truncated = true;
		return;
	}
	if (on_stack(stack, depth, n) || depth >= MAX_DEPTH)
		return;
	stack[depth] = n;
	if (strcmp(n.p->name, w->target) == 0) {
		printf("<project>");
		for (size_t i = 0; i <= depth; i++) {
			if (build_edge[i])
				printf(" -> [build in %s]", w->l->envs[stack[i].set - 1].id);
			printf(" -> %s==%s", stack[i].p->name, stack[i].p->version);
		}
		printf("\n");
		w->found++;
	}
	node kids[512];
	size_t bf = 0, nk = children(w->l, n, kids, 512, &bf);
	for (size_t i = 0; i < nk; i++) {
		build_edge[depth + 1] = i >= bf;
		why_walk(w, kids[i], stack, depth + 1, build_edge);
	}
}

/* ------------------------------------------------------------------ */
/* graph                                                                */

static void dot_id(const dl_lock *l, node n)
{
	printf("\"%s%s%s==%s\"", n.set == 0 ? "" : l->envs[n.set - 1].id, n.set == 0 ? "" : "/", n.p->name,
	       n.p->version);
}

static void print_dot(const dl_lock *l)
{
	printf("digraph deeplock {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
	printf("  \"<project>\" [shape=doubleoctagon];\n");
	for (size_t s = 0; s <= l->n_envs; s++) {
		size_t np = 0;
		const dl_lock_pkg *pk = set_pkgs(l, s, &np);
		if (s > 0)
			printf("  subgraph \"cluster_%zu\" {\n    label=\"build environment %s\";\n    style=dashed;\n", s,
			       l->envs[s - 1].id);
		for (size_t i = 0; i < np; i++) {
			printf("    ");
			dot_id(l, (node){&pk[i], s});
			printf(" [label=\"%s\\n%s\"%s];\n", pk[i].name, pk[i].version,
			       pk[i].builds_from_source ? ", color=red, penwidth=2" : "");
		}
		if (s > 0)
			printf("  }\n");
	}
	node roots[512];
	size_t nr = roots_of(l, 0, roots, 512);
	for (size_t i = 0; i < nr; i++) {
		printf("  \"<project>\" -> ");
		dot_id(l, roots[i]);
		printf(";\n");
	}
	for (size_t s = 0; s <= l->n_envs; s++) {
		size_t np = 0;
		const dl_lock_pkg *pk = set_pkgs(l, s, &np);
		for (size_t i = 0; i < np; i++) {
			node kids[512];
			size_t bf = 0, nk = children(l, (node){&pk[i], s}, kids, 512, &bf);
			for (size_t k = 0; k < nk; k++) {
				printf("  ");
				dot_id(l, (node){&pk[i], s});
				printf(" -> ");
				dot_id(l, kids[k]);
				printf("%s;\n", k >= bf ? " [style=dashed, color=red, label=\"build\"]" : "");
			}
		}
	}
	printf("}\n");
}

/* ------------------------------------------------------------------ */
/* Commands                                                             */

static int common_args(const char *cmd, int argc, char **argv, int *i, const char **lockpath)
{
	const char *a = argv[*i];
	if ((strcmp(a, "--lock") == 0 || strcmp(a, "-l") == 0) && *i + 1 < argc) {
		*lockpath = argv[++*i];
		return 1;
	}
	if (a[0] == '-' && a[1] != '\0') {
		dl_cli_usage_error(cmd, "unknown option '%s'", a);
		return -1;
	}
	return 0;
}

int dl_cli_export(int argc, char **argv)
{
	const char *lockpath = "pylock.toml", *format = "requirements", *env = NULL, *output = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0) {
			printf("Usage: deeplock export [--lock pylock.toml] [--format requirements|build-constraints|pylock]\n"
			       "                       [--build-env ID] [-o FILE]\n\n"
			       "  requirements       runtime packages (or --build-env's) for pip install --require-hashes -r\n"
			       "  build-constraints  every build environment's pins, for pip/uv --build-constraint\n"
			       "  pylock             --build-env ID as a standalone PEP 751 lock\n");
			return DL_EXIT_OK;
		} else if (strcmp(a, "--format") == 0 && i + 1 < argc) {
			format = argv[++i];
		} else if (strcmp(a, "--build-env") == 0 && i + 1 < argc) {
			env = argv[++i];
		} else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) {
			output = argv[++i];
		} else {
			int k = common_args("export", argc, argv, &i, &lockpath);
			if (k < 0)
				return DL_EXIT_USAGE;
			if (k == 0)
				return dl_cli_usage_error("export", "unexpected argument '%s'", a);
		}
	}
	if (strcmp(format, "requirements") != 0 && strcmp(format, "build-constraints") != 0 &&
	    strcmp(format, "pylock") != 0)
		return dl_cli_usage_error("export", "--format is requirements, build-constraints or pylock, not '%s'", format);
	if (strcmp(format, "pylock") == 0 && env == NULL)
		return dl_cli_usage_error("export", "--format pylock needs --build-env ID (the runtime set is pylock.toml itself)");
	dl_lock_doc *d = load(lockpath);
	if (d == NULL)
		return DL_EXIT_FAIL;
	const dl_lock *l = dl_lock_doc_lock(d);
	dl_buf out = DL_BUF_INIT;
	int rc;
	size_t conflicts = 0;
	if (strcmp(format, "requirements") == 0)
		rc = dl_lock_export_requirements(l, env, &out);
	else if (strcmp(format, "pylock") == 0)
		rc = dl_lock_write_env_pylock(l, env, &out);
	else
		rc = dl_lock_export_build_constraints(l, &out, &conflicts);
	if (rc == 0 && output != NULL)
		rc = dl_fs_write_atomic(output, out.ptr != NULL ? out.ptr : "", out.len, 0644);
	else if (rc == 0 && out.len > 0 && fwrite(out.ptr, 1, out.len, stdout) != out.len)
		rc = DL_EIO;
	if (rc != 0)
		dl_cli_lib_error("export");
	if (rc == 0 && conflicts > 0)
		fprintf(stderr,
		        "deeplock: warning: %zu package%s pinned to different versions by different build environments; "
		        "a flat constraints file cannot express that, so %s left unpinned (see the comments); export "
		        "each environment with --build-env ID --format pylock instead\n",
		        conflicts, conflicts == 1 ? " is" : "s are", conflicts == 1 ? "it is" : "they are");
	dl_buf_free(&out);
	dl_lock_doc_free(d);
	return rc == 0 ? DL_EXIT_OK : DL_EXIT_FAIL;
}

int dl_cli_tree(int argc, char **argv)
{
	const char *lockpath = "pylock.toml", *invert = NULL;
	bool inverted = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			printf("Usage: deeplock tree [--lock pylock.toml] [--invert [NAME]]\n\n"
			       "Print the locked packages as a tree from the project: runtime edges, and\n"
			       "[build] edges into the build environment of each package built from source.\n"
			       "(*) marks a package already shown above it on the same branch (a cycle).\n"
			       "--invert shows, for each package (or NAME), who requires it.\n");
			return DL_EXIT_OK;
		} else if (strcmp(argv[i], "--invert") == 0) {
			inverted = true;
			if (i + 1 < argc && argv[i + 1][0] != '-')
				invert = argv[++i];
		} else {
			int k = common_args("tree", argc, argv, &i, &lockpath);
			if (k < 0)
				return DL_EXIT_USAGE;
			if (k == 0)
				return dl_cli_usage_error("tree", "unexpected argument '%s'", argv[i]);
		}
	}
	dl_lock_doc *d = load(lockpath);
	if (d == NULL)
		return DL_EXIT_FAIL;
	const dl_lock *l = dl_lock_doc_lock(d);
	if (inverted) {
		print_inverted(l, invert);
	} else {
		printf("<project>\n");
		node roots[512], stack[MAX_DEPTH + 2];
		size_t nr = roots_of(l, 0, roots, 512);
		char prefix[MAX_DEPTH * 4 + 16] = "";
		stack[0] = (node){NULL, 0};
		for (size_t i = 0; i < nr; i++)
			print_tree(l, roots[i], stack, 1, prefix, 0, i + 1 == nr, false);
	}
	dl_lock_doc_free(d);
	return DL_EXIT_OK;
}

int dl_cli_why(int argc, char **argv)
{
	const char *lockpath = "pylock.toml", *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			printf("Usage: deeplock why NAME [--lock pylock.toml]\n\n"
			       "Print every path from the project to NAME, through runtime requirements and\n"
			       "through build environments ([build in ID]).\n");
			return DL_EXIT_OK;
		}
		int k = common_args("why", argc, argv, &i, &lockpath);
		if (k < 0)
			return DL_EXIT_USAGE;
		if (k == 0 && name == NULL)
			name = argv[i];
		else if (k == 0)
			return dl_cli_usage_error("why", "unexpected argument '%s'", argv[i]);
	}
	if (name == NULL)
		return dl_cli_usage_error("why", "name a package");
	dl_lock_doc *d = load(lockpath);
	if (d == NULL)
		return DL_EXIT_FAIL;
	const dl_lock *l = dl_lock_doc_lock(d);
	char norm[256];
	size_t n = strlen(name);
	if (n >= sizeof norm) {
		dl_lock_doc_free(d);
		return dl_cli_usage_error("why", "name too long");
	}
	/* PEP 503 normal form without pulling in the library's helper twice. */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (c == '-' || c == '_' || c == '.') {
			if (k > 0 && norm[k - 1] == '-')
				continue;
			c = '-';
		}
		norm[k++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	norm[k] = '\0';
	why_state w = {l, norm, 0, false};
	node roots[512], stack[MAX_DEPTH + 1];
	bool build_edge[MAX_DEPTH + 2] = {false};
	size_t nr = roots_of(l, 0, roots, 512);
	for (size_t i = 0; i < nr; i++)
		why_walk(&w, roots[i], stack, 0, build_edge);
	int status = DL_EXIT_OK;
	if (w.found == 0) {
		dl_cli_error("%s is not in %s", name, lockpath);
		status = DL_EXIT_FAIL;
	} else if (w.truncated) {
		fprintf(stderr, "(stopped after %d paths)\n", MAX_PATHS);
	}
	dl_lock_doc_free(d);
	return status;
}

int dl_cli_graph(int argc, char **argv)
{
	const char *lockpath = "pylock.toml", *format = "dot";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			printf("Usage: deeplock graph [--lock pylock.toml] [--format dot]\n\n"
			       "Print the lock as a Graphviz graph: each build environment is a dashed\n"
			       "cluster, build edges are dashed and red, packages built from source are red.\n"
			       "Render with: deeplock graph | dot -Tsvg > lock.svg\n");
			return DL_EXIT_OK;
		} else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			format = argv[++i];
		} else {
			int k = common_args("graph", argc, argv, &i, &lockpath);
			if (k < 0)
				return DL_EXIT_USAGE;
			if (k == 0)
				return dl_cli_usage_error("graph", "unexpected argument '%s'", argv[i]);
		}
	}
	if (strcmp(format, "dot") != 0)
		return dl_cli_usage_error("graph", "--format is dot, not '%s'", format);
	dl_lock_doc *d = load(lockpath);
	if (d == NULL)
		return DL_EXIT_FAIL;
	print_dot(dl_lock_doc_lock(d));
	dl_lock_doc_free(d);
	return DL_EXIT_OK;
}
