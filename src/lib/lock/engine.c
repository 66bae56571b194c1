/*
 * engine.c - the build closure: resolve the runtime set, then the isolated
 * build environment of every package the policy expands, to a fixed point.
 *
 * Design.  A "set" is one resolution: the runtime set, or a build
 * environment.  Sets are processed from a work list: each package of a set
 * is classified (does a usable wheel exist? does it have an sdist? does the
 * policy expand it?), the sdists of all expanded packages of the set are
 * read in parallel through the client (never executed), and each one's
 * build requirements become a canonical requirement set.  Identical sets
 * share one environment (a table keyed by the sorted, normalised
 * requirement strings), so each distinct set is resolved once however many
 * packages need it, and the recursion ends: there are finitely many sets.
 *
 * The requirement set of a build is what a PEP 517 frontend installs:
 * [build-system].requires (or the PEP 518 fallback the sdist reader
 * reports), plus what the backend's get_requires_for_build_wheel hook is
 * known to add.  Known hooks (each a written-down rule with its source):
 *   - setuptools.build_meta[:__legacy__] adds setup_requires (setup.cfg or
 *     a literal setup.py argument; when they are computed, a note says the
 *     set may be incomplete) - setuptools' build_meta.py;
 *   - setuptools.build_meta before 70.1 also adds "wheel" (70.1.0 moved
 *     bdist_wheel into setuptools and dropped it) - setuptools' changelog
 *     for v70.1.0.  Which setuptools the environment gets is only known after
 *     resolving it, so such an environment is resolved, and when it pins
 *     setuptools < 70.1 the set grows by "wheel" and is resolved again, as
 *     a frontend would install in two steps.
 *
 * Cycles: package P is built in environment E, which contains Q, which is
 * built in an environment containing P.  The graph (package -> packages
 * expanded in its environment) is searched depth-first once the closure is
 * complete.  A cycle through a package that has a usable wheel is not a
 * problem for an installer (it takes the wheel), so it is a note; a cycle in
 * which every package must be built can never be installed, so it is an
 * error naming the cycle.
 */
#include <stdlib.h>
#include <string.h>

#include "deeplock/lock.h"
#include "deeplock/name.h"
#include "deeplock/requirement.h"
#include "deeplock/version.h"

typedef struct env env;

typedef struct pkg {
	const char *name, *version;
	const char *marker; /* a universal lock: where it is installed; NULL: everywhere */
	const dl_client_project *project;
	const char **required_by;
	size_t n_required_by;
	const char **deps;
	size_t n_deps;
	size_t sdist;    /* file index of the sdist, SIZE_MAX when none */
	bool wheel_ok;   /* a usable wheel exists for the target */
	bool builds;     /* an installer will build it: no usable wheel, or --no-binary */
	bool expand;     /* the policy expands its build environment */
	const char *reason;
	env *env;        /* where it builds, when expanded */
	struct set *set; /* the set it belongs to */
	/* DFS state for cycle search */
	int mark;
} pkg;

typedef struct set {
	env *owner;      /* NULL for the runtime set */
	pkg *pkgs;
	size_t n;
} set;

struct env {
	char *key;       /* the sorted requirement strings, '\n'-joined */
	char *key2;      /* the set before a hook added to it (see resolve_env); NULL */
	char *id;
	const char **reqs;
	size_t n_reqs;
	const char **builds;
	size_t n_builds;
	char *what;
	bool setuptools_backend;
	set s;
	bool resolved;
	env *next;
};

struct dl_lock_result {
	dl_arena *a;
	const dl_lock_opts *o;
	set runtime;
	env *envs;
	size_t n_envs;
	const char **notes;
	size_t n_notes, cap_notes;
	const char **cycles;
	size_t n_cycles;
	size_t fatal_cycle;
	dl_lock lock;
	dl_lock_report report;
};

static char *astrdup(dl_arena *a, const char *s)
{
	return s != NULL ? dl_arena_strndup(a, s, strlen(s)) : NULL;
}

static int add_note(dl_lock_result *r, const char *note)
{
	for (size_t i = 0; i < r->n_notes; i++)
		if (strcmp(r->notes[i], note) == 0)
			return 0;
	if (r->n_notes == r->cap_notes) {
		size_t cap = r->cap_notes ? r->cap_notes * 2 : 16;
		const char **n = dl_arena_calloc(r->a, cap, sizeof(*n));
		if (n == NULL)
			return dl_error_oom();
		if (r->n_notes > 0)
			memcpy(n, r->notes, r->n_notes * sizeof(*n));
		r->notes = n;
		r->cap_notes = cap;
	}
	char *c = astrdup(r->a, note);
	if (c == NULL)
		return dl_error_oom();
	r->notes[r->n_notes++] = c;
	return 0;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ------------------------------------------------------------------ */
/* Copying a resolution                                                 */

static const char **copy_strs(dl_arena *a, const char *const *s, size_t n)
{
	const char **v = dl_arena_calloc(a, n + 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((v[i] = astrdup(a, s[i])) == NULL)
			return NULL;
	return v;
}

/* Copy pins into set s; root requirers become `root` ("<project>" for the
 * runtime set, "build-env:ID" for an environment). */
static int take_pins(dl_lock_result *r, set *s, const dl_lock_pin *pins, size_t n, const char *root)
{
	s->pkgs = dl_arena_calloc(r->a, n + 1, sizeof(*s->pkgs));
	if (s->pkgs == NULL)
		return dl_error_oom();
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		pkg *p = &s->pkgs[i];
		p->name = astrdup(r->a, pins[i].name);
		p->version = astrdup(r->a, pins[i].version);
		p->marker = pins[i].marker != NULL ? astrdup(r->a, pins[i].marker) : NULL;
		p->project = pins[i].project;
		p->required_by = copy_strs(r->a, pins[i].required_by, pins[i].n_required_by);
		p->n_required_by = pins[i].n_required_by;
		p->deps = copy_strs(r->a, pins[i].dependencies, pins[i].n_dependencies);
		p->n_deps = pins[i].n_dependencies;
		p->sdist = SIZE_MAX;
		p->set = s;
		if (p->name == NULL || p->version == NULL || p->required_by == NULL || p->deps == NULL)
			return dl_error_oom();
		for (size_t k = 0; k < p->n_required_by; k++)
			if (strcmp(p->required_by[k], "<project>") == 0 && (p->required_by[k] = astrdup(r->a, root)) == NULL)
				return dl_error_oom();
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Classifying packages                                                 */

static bool same_version(const dl_client_file *f, const char *version)
{
	dl_version v;
	if (dl_version_parse_into(&v, version, strlen(version)) != 0) {
		dl_error_clear();
		return strcmp(f->version_text, version) == 0;
	}
	bool eq = dl_version_cmp(&v, &f->version) == 0;
	dl_version_clear(&v);
	return eq;
}

static void classify(dl_lock_result *r, pkg *p)
{
	const dl_lock_resolver *rv = r->o->resolver;
	bool nb = rv->no_binary != NULL && rv->no_binary(rv->ctx, p->name);
	for (size_t i = 0; p->project != NULL && i < p->project->n_files; i++) {
		const dl_client_file *f = &p->project->files[i];
		if (!same_version(f, p->version))
			continue;
		if (f->kind == DL_DIST_SDIST && p->sdist == SIZE_MAX)
			p->sdist = i;
		else if (f->kind == DL_DIST_WHEEL && !nb && rv->wheel_usable(rv->ctx, p->name, f))
			p->wheel_ok = true;
	}
	p->builds = !p->wheel_ok;
	p->reason = nb ? "--no-binary" : "no compatible wheel";
	switch (r->o->policy) {
	case DL_BUILD_NEEDED:
		p->expand = p->builds && p->sdist != SIZE_MAX;
		break;
	case DL_BUILD_ALL:
		p->expand = p->sdist != SIZE_MAX;
		break;
	case DL_BUILD_NONE:
		p->expand = false;
		break;
	}
	if (p->sdist != SIZE_MAX && !p->expand)
		r->report.not_expanded++;
}

/* ------------------------------------------------------------------ */
/* Reading sdists                                                       */

typedef struct wait_state {
	size_t outstanding;
	bool done;
	int rc;
	char *error;
} wait_state;

typedef struct meta_wait {
	wait_state *w;
	const dl_client_meta **slot;
} meta_wait;

static void on_meta(dl_client *c, const dl_client_meta *m, int rc, void *user)
{
	(void)c;
	meta_wait *mw = user;
	wait_state *w = mw->w;
	*mw->slot = m;
	if (rc != 0 && w->rc == 0) {
		w->rc = rc;
		w->error = dl_strdup(dl_error_last()->message);
	}
	if (--w->outstanding == 0)
		w->done = true;
}

/* The canonical form of one build requirement ("name[extras] spec; marker"). */
static char *canonical_req(dl_arena *a, const char *req, int *rc)
{
	dl_requirement *q = NULL;
	char *s = NULL;
	*rc = dl_requirement_parse(&q, req, strlen(req));
	if (*rc == 0)
		*rc = dl_requirement_to_string(&s, q);
	dl_requirement_free(q);
	char *out = *rc == 0 ? astrdup(a, s) : NULL;
	if (*rc == 0 && out == NULL)
		*rc = dl_error_oom();
	dl_free(s);
	return out;
}

/* ------------------------------------------------------------------ */
/* Environments                                                         */

static env *env_find(dl_lock_result *r, const char *key)
{
	for (env *e = r->envs; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0 || (e->key2 != NULL && strcmp(e->key2, key) == 0))
			return e;
	return NULL;
}

/* The environment for requirement set reqs[0..n) (canonical strings, any
 * order, duplicates allowed), made when new. */
static int env_for(dl_lock_result *r, const char **reqs, size_t n, bool setuptools_backend, env **out)
{
	const char **v = dl_arena_calloc(r->a, n + 1, sizeof(*v));
	if (v == NULL)
		return dl_error_oom();
	size_t k = 0;
	if (n > 0) {
		memcpy(v, reqs, n * sizeof(*v));
		qsort(v, n, sizeof(*v), cmp_cstr);
		for (size_t i = 0; i < n; i++)
			if (k == 0 || strcmp(v[i], v[k - 1]) != 0)
				v[k++] = v[i];
	}
	dl_buf key = DL_BUF_INIT;
	for (size_t i = 0; i < k; i++) {
		dl_buf_puts(&key, v[i]);
		dl_buf_putc(&key, '\n');
	}
	if (key.failed)
		return dl_error_oom();
	env *e = env_find(r, key.ptr != NULL ? key.ptr : "");
	if (e != NULL) {
		dl_buf_free(&key);
		*out = e;
		return 0;
	}
	e = dl_arena_calloc(r->a, 1, sizeof(*e));
	char *id = NULL;
	int rc = e == NULL ? dl_error_oom() : dl_lock_env_id(&id, v, k);
	if (rc == 0) {
		e->key = astrdup(r->a, key.ptr != NULL ? key.ptr : "");
		e->id = astrdup(r->a, id);
		e->reqs = v;
		e->n_reqs = k;
		e->setuptools_backend = setuptools_backend;
		e->s.owner = e;
		if (e->key == NULL || e->id == NULL)
			rc = dl_error_oom();
	}
	dl_free(id);
	dl_buf_free(&key);
	if (rc != 0)
		return rc;
	e->next = r->envs;
	r->envs = e;
	r->n_envs++;
	*out = e;
	return 0;
}

static int env_add_builder(dl_lock_result *r, env *e, const pkg *p)
{
	const char *b = p->name[0] == '<' ? p->name : dl_arena_printf(r->a, "%s==%s", p->name, p->version);
	const char **nb = dl_arena_calloc(r->a, e->n_builds + 1, sizeof(*nb));
	if (b == NULL || nb == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < e->n_builds; i++) {
		if (strcmp(e->builds[i], b) == 0)
			return 0;
		nb[i] = e->builds[i];
	}
	nb[e->n_builds++] = b;
	e->builds = nb;
	return 0;
}

/* Build requirements of an expanded package, from its sdist. */
static int build_reqs(dl_lock_result *r, pkg *p, const dl_client_meta *m, const char ***out, size_t *n, bool *st)
{
	const dl_sdist *sd = m->sdist;
	if (sd == NULL)
		return dl_error_set(DL_EPARSE, "%s %s: its sdist could not be read", p->name, p->version);
	size_t cap = sd->build_requires.count + sd->setup_requires.count + 1;
	const char **v = dl_arena_calloc(r->a, cap, sizeof(*v));
	if (v == NULL)
		return dl_error_oom();
	size_t k = 0;
	int rc = 0;
	for (size_t i = 0; i < sd->build_requires.count && rc == 0; i++)
		v[k++] = canonical_req(r->a, sd->build_requires.items[i].req, &rc);
	if (sd->setuptools_backend) {
		if (sd->setup_requires.dynamic != NULL) {
			char *note = dl_arena_printf(r->a, "%s %s: setup_requires cannot be known without running setup.py (%s); its "
			                           "build environment may be incomplete",
			                     p->name, p->version, sd->setup_requires.dynamic);
			rc = note == NULL ? dl_error_oom() : add_note(r, note);
		}
		for (size_t i = 0; i < sd->setup_requires.count && rc == 0; i++)
			v[k++] = canonical_req(r->a, sd->setup_requires.items[i].req, &rc);
	}
	for (size_t i = 0; i < sd->unknowable_count && rc == 0; i++) {
		if (strcmp(sd->unknowable[i], DL_SDIST_NOTE_SETUPTOOLS_WHEEL) == 0)
			continue; /* resolve_env applies that rule */
		char *note = dl_arena_printf(r->a, "%s %s: %s", p->name, p->version, sd->unknowable[i]);
		rc = note == NULL ? dl_error_oom() : add_note(r, note);
	}
	if (rc != 0) {
		dl_error_context("reading the build requirements of %s %s", p->name, p->version);
		return rc;
	}
	*out = v;
	*n = k;
	*st = sd->setuptools_backend;
	return 0;
}

/* Classify every package of s and start reading the sdists of those the
 * policy expands; *metas_out gets one answer slot per package, filled as
 * the answers arrive (w counts them down).  The contexts live in the
 * result's arena, so a lock that stops early leaks nothing. */
static int expand_begin(dl_lock_result *r, set *s, wait_state *w, const dl_client_meta ***metas_out)
{
	const dl_client_meta **metas = dl_arena_calloc(r->a, s->n + 1, sizeof(*metas));
	if (metas == NULL)
		return dl_error_oom();
	*metas_out = metas;
	for (size_t i = 0; i < s->n; i++) {
		pkg *p = &s->pkgs[i];
		classify(r, p);
		if (!p->expand)
			continue;
		meta_wait *mw = dl_arena_alloc(r->a, sizeof *mw);
		if (mw == NULL)
			return dl_error_oom();
		mw->w = w;
		mw->slot = &metas[i];
		w->outstanding++;
		int rc = dl_client_meta_get(r->o->client, p->project, p->sdist, on_meta, mw);
		if (rc != 0) {
			w->outstanding--;
			return rc;
		}
	}
	return 0;
}

/* Wait until every sdist read that w counts has been answered. */
static int expand_wait(dl_lock_result *r, wait_state *w)
{
	int rc = 0;
	/* done may be left over from an earlier moment when every read so far
	 * had been answered, before more were queued. */
	w->done = w->outstanding == 0;
	if (!w->done)
		rc = dl_client_wait(r->o->client, &w->done);
	if (rc == 0 && w->outstanding > 0)
		rc = dl_error_set(DL_ERROR, "the network engine stopped before every sdist was read");
	if (rc == 0 && w->rc != 0)
		rc = dl_error_set(w->rc, "%s", w->error != NULL ? w->error : "out of memory");
	dl_free(w->error);
	w->error = NULL;
	return rc;
}

/* After a failure rc, still wait for the reads already queued (their
 * contexts point into the caller's frame), keeping rc's message: callbacks
 * that run meanwhile may set or clear the stored error.  Returns rc. */
static int expand_abandon(dl_lock_result *r, wait_state *w, int rc)
{
	char *msg = dl_strdup(dl_error_last()->message);
	(void)expand_wait(r, w);
	if (msg == NULL)
		return dl_error_oom();
	dl_error_set(rc, "%s", msg);
	dl_free(msg);
	return rc;
}

/* Attach each expanded package of s to the environment of its build
 * requirements (made when new). */
static int expand_end(dl_lock_result *r, set *s, const dl_client_meta **metas)
{
	int rc = 0;
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		pkg *p = &s->pkgs[i];
		if (!p->expand)
			continue;
		const char **reqs = NULL;
		size_t n = 0;
		bool st = false;
		if ((rc = build_reqs(r, p, metas[i], &reqs, &n, &st)) != 0)
			break;
		if ((rc = env_for(r, reqs, n, st, &p->env)) != 0)
			break;
		if ((rc = env_add_builder(r, p->env, p)) != 0)
			break;
		if (p->env->what == NULL &&
		    (p->env->what = dl_arena_printf(r->a, "the build environment of %s %s", p->name, p->version)) == NULL)
			rc = dl_error_oom();
	}
	return rc;
}

/* One set on its own: classify, read its sdists in parallel, attach. */
static int expand_set(dl_lock_result *r, set *s)
{
	wait_state w = {0};
	const dl_client_meta **metas = NULL;
	int rc = expand_begin(r, s, &w, &metas);
	if (rc != 0)
		return expand_abandon(r, &w, rc);
	if ((rc = expand_wait(r, &w)) != 0)
		return rc;
	return expand_end(r, s, metas);
}

static const pkg *find_pin(const set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->pkgs[i].name, name) == 0)
			return &s->pkgs[i];
	return NULL;
}

/* setuptools older than 70.1 also asks for "wheel" (see the file comment). */
static bool wants_wheel(const set *s)
{
	const pkg *st = find_pin(s, "setuptools");
	if (st == NULL || find_pin(s, "wheel") != NULL)
		return false;
	dl_version v, cut;
	if (dl_version_parse_into(&v, st->version, strlen(st->version)) != 0) {
		dl_error_clear();
		return false;
	}
	bool older = dl_version_parse_into(&cut, "70.1", 4) == 0 && dl_version_cmp(&v, &cut) < 0;
	dl_version_clear(&v);
	dl_version_clear(&cut);
	return older;
}

/* Every set: the runtime set first, then each environment's.  The array
 * lives in the arena. */
static set **all_sets(dl_lock_result *r, size_t *n)
{
	set **v = dl_arena_calloc(r->a, r->n_envs + 2, sizeof(*v));
	if (v == NULL)
		return NULL;
	size_t k = 0;
	v[k++] = &r->runtime;
	for (env *e = r->envs; e != NULL; e = e->next)
		v[k++] = &e->s;
	*n = k;
	return v;
}

/* Environment `from` turned out to be `into` (a hook grew its set to
 * into's): every package built in `from` builds in `into`, and `from`
 * leaves the list; into also answers for from's original set. */
static int merge_env(dl_lock_result *r, env *from, env *into)
{
	int rc = 0;
	size_t ns = 0;
	set **sets = all_sets(r, &ns);
	if (sets == NULL)
		return dl_error_oom();
	for (size_t k = 0; k < ns && rc == 0; k++) {
		set *s = sets[k];
		for (size_t i = 0; i < s->n && rc == 0; i++) {
			if (s->pkgs[i].env == from) {
				s->pkgs[i].env = into;
				rc = env_add_builder(r, into, &s->pkgs[i]);
			}
		}
	}
	from->resolved = true;
	from->s.n = 0;
	for (env **pp = &r->envs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == from) {
			*pp = from->next;
			r->n_envs--;
			break;
		}
	}
	if (into->key2 == NULL)
		into->key2 = from->key;
	return rc;
}

static int resolve_env(dl_lock_result *r, env *e)
{
	const dl_lock_resolver *rv = r->o->resolver;
	const dl_lock_pin *pins = NULL;
	size_t n = 0;
	r->report.resolutions++;
	int rc = rv->resolve(rv->ctx, e->reqs, e->n_reqs, e->what, &pins, &n);
	if (rc != 0)
		return rc;
	char *root = dl_arena_printf(r->a, "build-env:%s", e->id);
	if (root == NULL)
		return dl_error_oom();
	if ((rc = take_pins(r, &e->s, pins, n, root)) != 0)
		return rc;
	if (e->setuptools_backend && wants_wheel(&e->s)) {
		/* Second step of the frontend: the hook asked for "wheel".  The
		 * environment is now the larger set; if that set already has an
		 * environment, this one merges into it. */
		const char **reqs = dl_arena_calloc(r->a, e->n_reqs + 2, sizeof(*reqs));
		if (reqs == NULL)
			return dl_error_oom();
		if (e->n_reqs > 0)
			memcpy(reqs, e->reqs, e->n_reqs * sizeof(*reqs));
		reqs[e->n_reqs] = "wheel";
		size_t nr = e->n_reqs + 1;
		qsort(reqs, nr, sizeof(*reqs), cmp_cstr);
		dl_buf key = DL_BUF_INIT;
		for (size_t i = 0; i < nr; i++) {
			dl_buf_puts(&key, reqs[i]);
			dl_buf_putc(&key, '\n');
		}
		char *nkey = key.failed ? NULL : astrdup(r->a, key.ptr);
		dl_buf_free(&key);
		if (nkey == NULL)
			return dl_error_oom();
		env *other = env_find(r, nkey);
		if (other != NULL && other != e)
			return merge_env(r, e, other);
		e->key2 = e->key;
		e->key = nkey;
		e->reqs = reqs;
		e->n_reqs = nr;
		r->report.resolutions++;
		if ((rc = rv->resolve(rv->ctx, e->reqs, e->n_reqs, e->what, &pins, &n)) != 0)
			return rc;
		char *id = NULL;
		if ((rc = dl_lock_env_id(&id, e->reqs, e->n_reqs)) != 0)
			return rc;
		e->id = astrdup(r->a, id);
		dl_free(id);
		if (e->id == NULL || (root = dl_arena_printf(r->a, "build-env:%s", e->id)) == NULL)
			return dl_error_oom();
		if ((rc = take_pins(r, &e->s, pins, n, root)) != 0)
			return rc;
	}
	e->resolved = true;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Cycles                                                               */

static int cycle_text(dl_lock_result *r, pkg **stack, size_t depth, size_t from, bool *fatal)
{
	dl_buf b = DL_BUF_INIT;
	*fatal = true;
	for (size_t i = from; i < depth; i++) {
		dl_buf_printf(&b, "%s==%s -> [build] ", stack[i]->name, stack[i]->version);
		if (stack[i]->wheel_ok)
			*fatal = false;
	}
	dl_buf_printf(&b, "%s==%s", stack[from]->name, stack[from]->version);
	char *s = b.failed ? NULL : astrdup(r->a, b.ptr);
	dl_buf_free(&b);
	if (s == NULL)
		return dl_error_oom();
	const char **c = dl_arena_calloc(r->a, r->n_cycles + 1, sizeof(*c));
	if (c == NULL)
		return dl_error_oom();
	if (r->n_cycles > 0)
		memcpy(c, r->cycles, r->n_cycles * sizeof(*c));
	c[r->n_cycles++] = s;
	r->cycles = c;
	return 0;
}

/* Depth-first over package -> packages expanded in its environment. */
static int dfs(dl_lock_result *r, pkg *p, pkg **stack, size_t depth, size_t max, int *fatal_rc)
{
	p->mark = 1;
	stack[depth] = p;
	int rc = 0;
	if (p->env != NULL) {
		for (size_t i = 0; i < p->env->s.n && rc == 0; i++) {
			pkg *q = &p->env->s.pkgs[i];
			if (!q->expand)
				continue;
			/* The same name==version anywhere on the stack closes a cycle. */
			size_t from = SIZE_MAX;
			for (size_t k = 0; k <= depth; k++)
				if (strcmp(stack[k]->name, q->name) == 0 && strcmp(stack[k]->version, q->version) == 0)
					from = k;
			if (from != SIZE_MAX) {
				bool fatal = false;
				rc = cycle_text(r, stack, depth + 1, from, &fatal);
				if (rc == 0 && fatal && *fatal_rc == 0) {
					*fatal_rc = DL_ENOTFOUND;
					r->fatal_cycle = r->n_cycles - 1;
				}
			} else if (q->mark == 0 && depth + 1 < max) {
				rc = dfs(r, q, stack, depth + 1, max, fatal_rc);
			}
		}
	}
	p->mark = 2;
	return rc;
}

static int find_cycles(dl_lock_result *r)
{
	size_t total = r->runtime.n;
	for (env *e = r->envs; e != NULL; e = e->next)
		total += e->s.n;
	pkg **stack = dl_calloc(total + 1, sizeof(*stack));
	if (stack == NULL)
		return dl_error_oom();
	int fatal = 0, rc = 0;
	for (size_t i = 0; i < r->runtime.n && rc == 0; i++)
		if (r->runtime.pkgs[i].expand && r->runtime.pkgs[i].mark == 0)
			rc = dfs(r, &r->runtime.pkgs[i], stack, 0, total + 1, &fatal);
	for (env *e = r->envs; e != NULL && rc == 0; e = e->next)
		for (size_t i = 0; i < e->s.n && rc == 0; i++)
			if (e->s.pkgs[i].expand && e->s.pkgs[i].mark == 0)
				rc = dfs(r, &e->s.pkgs[i], stack, 0, total + 1, &fatal);
	dl_free(stack);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < r->n_cycles; i++) {
		char *note = dl_arena_printf(r->a, "build cycle: %s", r->cycles[i]);
		if (note == NULL || add_note(r, note) != 0)
			return dl_error_oom();
	}
	if (fatal != 0)
		dl_error_set(fatal,
		             "build cycle: %s, and none of them has a usable wheel, so no installer can build any of them",
		             r->cycles[r->fatal_cycle]);
	return fatal;
}

/* ------------------------------------------------------------------ */
/* Paths for the report                                                 */

/* "<project> -> a==1 -> b==2" for package p of set s: follows the first
 * requirer up to the set's root, then, for an environment, continues from
 * the package whose build needs it. */
static int path_of(dl_lock_result *r, const pkg *p, dl_buf *out, int depth)
{
	if (depth > 64) {
		dl_buf_puts(out, "...");
		return 0;
	}
	const char *chain[256];
	size_t n = 0;
	const pkg *cur = p;
	const set *s = p->set;
	while (cur != NULL && n < sizeof chain / sizeof chain[0]) {
		chain[n++] = dl_arena_printf(r->a, "%s==%s", cur->name, cur->version);
		const pkg *next = NULL;
		for (size_t k = 0; k < cur->n_required_by && next == NULL; k++) {
			const char *by = cur->required_by[k];
			const char *eq = strstr(by, "==");
			if (eq == NULL)
				continue;
			for (size_t i = 0; i < s->n; i++) {
				const pkg *q = &s->pkgs[i];
				if (strlen(q->name) == (size_t)(eq - by) && strncmp(q->name, by, (size_t)(eq - by)) == 0 &&
				    strcmp(q->version, eq + 2) == 0) {
					next = q;
					break;
				}
			}
			/* Loops in the requirer graph end the walk. */
			for (size_t j = 0; next != NULL && j < n; j++)
				if (chain[j] != NULL && strcmp(chain[j], by) == 0)
					next = NULL;
		}
		cur = next;
	}
	if (s->owner == NULL) {
		dl_buf_puts(out, "<project>");
	} else {
		const env *e = s->owner;
		const pkg *builder = NULL;
		/* The first package, by name, that builds in this environment. */
		for (size_t i = 0; i < r->runtime.n && builder == NULL; i++)
			if (r->runtime.pkgs[i].env == e)
				builder = &r->runtime.pkgs[i];
		for (const env *f = r->envs; f != NULL && builder == NULL; f = f->next)
			for (size_t i = 0; i < f->s.n && builder == NULL; i++)
				if (f->s.pkgs[i].env == e && &f->s.pkgs[i] != p)
					builder = &f->s.pkgs[i];
		if (builder != NULL)
			path_of(r, builder, out, depth + 1);
		else
			dl_buf_puts(out, "<project build>");
		dl_buf_puts(out, " -> [build]");
	}
	while (n > 0)
		dl_buf_printf(out, " -> %s", chain[--n] != NULL ? chain[n] : "?");
	return out->failed ? out->failed : 0;
}

/* ------------------------------------------------------------------ */
/* The model                                                            */

static const char *strip_userinfo(dl_arena *a, const char *url)
{
	if (url == NULL)
		return NULL;
	const char *scheme = strstr(url, "://");
	if (scheme == NULL)
		return astrdup(a, url);
	const char *host = scheme + 3;
	const char *end = host + strcspn(host, "/?#");
	const char *at = NULL;
	for (const char *c = host; c < end; c++)
		if (*c == '@')
			at = c;
	if (at == NULL)
		return astrdup(a, url);
	return dl_arena_printf(a, "%.*s%s", (int)(host - url), url, at + 1);
}

static int lock_file(dl_lock_result *r, dl_lock_file *lf, const dl_client_file *f)
{
	lf->name = astrdup(r->a, f->file->filename);
	lf->url = strip_userinfo(r->a, f->file->url);
	lf->size = f->file->size;
	lf->upload_time = astrdup(r->a, f->file->upload_time);
	const dl_index_hash *h = dl_index_hashes_find(&f->file->hashes, DL_INDEX_SHA256);
	lf->sha256 = h != NULL ? astrdup(r->a, h->hex) : NULL;
	if (lf->name == NULL || lf->url == NULL)
		return dl_error_oom();
	if (h == NULL) {
		char *note = dl_arena_printf(r->a, "%s has no sha256 on its index; installers cannot verify it", lf->name);
		return note == NULL ? dl_error_oom() : add_note(r, note);
	}
	return 0;
}

static int model_pkgs(dl_lock_result *r, const set *s, const dl_lock_pkg **out, size_t *n_out)
{
	dl_lock_pkg *v = dl_arena_calloc(r->a, s->n + 1, sizeof(*v));
	if (v == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < s->n; i++) {
		const pkg *p = &s->pkgs[i];
		dl_lock_pkg *lp = &v[i];
		lp->name = p->name;
		lp->version = p->version;
		lp->marker = p->marker;
		lp->index = p->project != NULL ? strip_userinfo(r->a, p->project->index_url) : NULL;
		lp->dependencies = p->deps;
		lp->n_dependencies = p->n_deps;
		lp->required_by = p->required_by;
		lp->n_required_by = p->n_required_by;
		lp->builds_from_source = p->builds;
		lp->direct = p->project != NULL && p->project->direct;
		lp->build_env = p->env != NULL ? p->env->id : NULL;
		size_t nw = 0;
		for (size_t k = 0; p->project != NULL && k < p->project->n_files; k++) {
			const dl_client_file *f = &p->project->files[k];
			if (f->kind == DL_DIST_WHEEL && same_version(f, p->version))
				nw++;
		}
		dl_lock_file *wheels = dl_arena_calloc(r->a, nw + 1, sizeof(*wheels));
		if (wheels == NULL)
			return dl_error_oom();
		size_t w = 0;
		int rc = 0;
		for (size_t k = 0; p->project != NULL && k < p->project->n_files && rc == 0; k++) {
			const dl_client_file *f = &p->project->files[k];
			if (!same_version(f, p->version))
				continue;
			if (f->kind == DL_DIST_WHEEL) {
				rc = lock_file(r, &wheels[w++], f);
			} else if (k == p->sdist) {
				dl_lock_file *sd = dl_arena_calloc(r->a, 1, sizeof(*sd));
				rc = sd == NULL ? dl_error_oom() : lock_file(r, sd, f);
				lp->sdist = sd;
			}
			if (f->file->requires_python != NULL && lp->requires_python == NULL)
				lp->requires_python = astrdup(r->a, f->file->requires_python);
		}
		if (rc != 0)
			return rc;
		lp->wheels = wheels;
		lp->n_wheels = w;
	}
	*out = v;
	*n_out = s->n;
	return 0;
}

static int cmp_builder(const void *a, const void *b)
{
	const dl_lock_builder *x = a, *y = b;
	int r = strcmp(x->name, y->name);
	if (r == 0)
		r = strcmp(x->version, y->version);
	return r != 0 ? r : strcmp(x->path, y->path);
}

static int build_model(dl_lock_result *r)
{
	dl_lock *l = &r->lock;
	int rc = model_pkgs(r, &r->runtime, &l->packages, &l->n_packages);
	dl_lock_env *envs = dl_arena_calloc(r->a, r->n_envs + 1, sizeof(*envs));
	if (rc == 0 && envs == NULL)
		rc = dl_error_oom();
	size_t k = 0;
	for (env *e = r->envs; e != NULL && rc == 0; e = e->next, k++) {
		dl_lock_env *le = &envs[k];
		le->id = e->id;
		le->requires = e->reqs;
		le->n_requires = e->n_reqs;
		le->builds = e->builds;
		le->n_builds = e->n_builds;
		rc = model_pkgs(r, &e->s, &le->packages, &le->n_packages);
	}
	if (rc != 0)
		return rc;
	l->envs = envs;
	l->n_envs = r->n_envs;
	l->requires_python = r->o->requires_python;
	l->environments = r->o->environments;
	l->n_environments = r->o->n_environments;
	static const char *const policies[] = {"needed", "all", "none"};
	l->build_policy = policies[r->o->policy];
	if (r->n_notes > 1)
		qsort(r->notes, r->n_notes, sizeof(*r->notes), cmp_cstr);
	l->notes = r->notes;
	l->n_notes = r->n_notes;

	/* The report. */
	dl_lock_report *rep = &r->report;
	rep->runtime = r->runtime.n;
	rep->envs = r->n_envs;
	size_t total = r->runtime.n, nb = 0;
	for (env *e = r->envs; e != NULL; e = e->next)
		total += e->s.n;
	dl_lock_builder *b = dl_arena_calloc(r->a, total + 1, sizeof(*b));
	const char **only = dl_arena_calloc(r->a, total + 1, sizeof(*only));
	if (b == NULL || only == NULL)
		return dl_error_oom();
	size_t n_only = 0, ns = 0;
	set **sets = all_sets(r, &ns);
	if (sets == NULL)
		return dl_error_oom();
	for (size_t si = 0; si < ns && rc == 0; si++) {
		const set *s = sets[si];
		for (size_t i = 0; i < s->n && rc == 0; i++) {
			const pkg *p = &s->pkgs[i];
			if (si > 0 && find_pin(&r->runtime, p->name) == NULL)
				only[n_only++] = dl_arena_printf(r->a, "%s==%s", p->name, p->version);
			if (!p->builds)
				continue;
			dl_buf path = DL_BUF_INIT;
			rc = path_of(r, p, &path, 0);
			b[nb] = (dl_lock_builder){p->name, p->version, rc == 0 ? astrdup(r->a, path.ptr) : NULL,
			                          p->sdist == SIZE_MAX ? "no compatible wheel and no sdist" : p->reason};
			dl_buf_free(&path);
			if (rc == 0 && b[nb].path == NULL)
				rc = dl_error_oom();
			nb++;
		}
	}
	if (rc != 0)
		return rc;
	qsort(only, n_only, sizeof(*only), cmp_cstr);
	size_t distinct = 0;
	for (size_t i = 0; i < n_only; i++)
		if (only[i] != NULL && (i == 0 || only[i - 1] == NULL || strcmp(only[i], only[i - 1]) != 0))
			distinct++;
	rep->build_only = distinct;
	qsort(b, nb, sizeof(*b), cmp_builder);
	rep->builders = b;
	rep->n_builders = nb;
	rep->cycles = r->cycles;
	rep->n_cycles = r->n_cycles;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Running                                                              */

static void report_progress(dl_lock_result *r, const char *what, size_t packages)
{
	if (r->o->progress == NULL)
		return;
	dl_lock_progress pr = {r->report.resolutions, r->n_envs, 0, what, packages};
	for (env *e = r->envs; e != NULL; e = e->next)
		pr.envs_done += e->resolved;
	r->o->progress(r->o->progress_ctx, &pr);
}

int dl_lock_run(dl_lock_result **out, const dl_lock_opts *o)
{
	if (o == NULL || o->version != DL_LOCK_OPTS_VERSION || o->client == NULL || o->resolver == NULL ||
	    o->resolver->resolve == NULL || o->resolver->wheel_usable == NULL)
		return dl_error_set(DL_EINVAL, "dl_lock_run: incomplete options");
	dl_lock_result *r = dl_calloc(1, sizeof *r);
	if (r == NULL || dl_arena_new(&r->a) != 0) {
		dl_free(r);
		return dl_error_oom();
	}
	r->o = o;
	r->fatal_cycle = SIZE_MAX;
	const dl_lock_resolver *rv = o->resolver;
	const dl_lock_pin *pins = NULL;
	size_t n = 0;
	r->report.resolutions++;
	int rc = rv->resolve(rv->ctx, o->roots, o->n_roots, "the project", &pins, &n);
	if (rc == 0)
		rc = take_pins(r, &r->runtime, pins, n, "<project>");
	if (rc == 0)
		report_progress(r, "the project", r->runtime.n);
	if (rc == 0)
		rc = expand_set(r, &r->runtime);
	if (rc == 0 && o->n_project_build > 0) {
		/* The project's own build environment, when it is a package. */
		const char **reqs = dl_arena_calloc(r->a, o->n_project_build + 1, sizeof(*reqs));
		rc = reqs == NULL ? dl_error_oom() : 0;
		for (size_t i = 0; i < o->n_project_build && rc == 0; i++)
			reqs[i] = canonical_req(r->a, o->project_build[i], &rc);
		env *e = NULL;
		if (rc == 0)
			rc = env_for(r, reqs, o->n_project_build, false, &e);
		if (rc == 0 && e->what == NULL && (e->what = astrdup(r->a, "the project's own build environment")) == NULL)
			rc = dl_error_oom();
		if (rc == 0)
			rc = env_add_builder(r, e, &(pkg){.name = "<project>", .version = "build"});
	}
	/* Fixed point, in rounds: the environments not yet resolved are
	 * independent of each other, so the resolver is told about all of them
	 * first (it may fetch for all at once), and the sdists of each one are
	 * read while the next ones resolve; new environments wait for the next
	 * round.  Until none is new. */
	for (bool again = true; again && rc == 0;) {
		again = false;
		size_t n_round = 0;
		for (env *e = r->envs; e != NULL; e = e->next)
			n_round += !e->resolved;
		if (n_round == 0)
			break;
		env **round = dl_arena_calloc(r->a, n_round, sizeof(*round));
		const dl_client_meta ***metas = dl_arena_calloc(r->a, n_round, sizeof(*metas));
		if (round == NULL || metas == NULL) {
			rc = dl_error_oom();
			break;
		}
		n_round = 0;
		for (env *e = r->envs; e != NULL; e = e->next)
			if (!e->resolved)
				round[n_round++] = e;
		for (size_t k = 0; k < n_round && rv->hint != NULL; k++)
			rv->hint(rv->ctx, round[k]->reqs, round[k]->n_reqs);
		wait_state w = {0};
		for (size_t k = 0; k < n_round && rc == 0; k++) {
			env *e = round[k];
			if (e->resolved)
				continue; /* merged into another while this round ran */
			again = true;
			if ((rc = resolve_env(r, e)) == 0)
				report_progress(r, e->what, e->s.n);
			if (rc == 0 && e->s.n > 0)
				rc = expand_begin(r, &e->s, &w, &metas[k]);
		}
		rc = rc != 0 ? expand_abandon(r, &w, rc) : expand_wait(r, &w);
		for (size_t k = 0; k < n_round && rc == 0; k++)
			if (metas[k] != NULL && round[k]->s.n > 0)
				rc = expand_end(r, &round[k]->s, metas[k]);
	}
	if (rc == 0)
		rc = find_cycles(r);
	if (rc == 0)
		rc = build_model(r);
	if (rc != 0) {
		dl_lock_result_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void dl_lock_result_free(dl_lock_result *r)
{
	if (r == NULL)
		return;
	dl_arena_free(r->a);
	dl_free(r);
}

const dl_lock *dl_lock_result_lock(const dl_lock_result *r)
{
	return &r->lock;
}

const dl_lock_report *dl_lock_result_report(const dl_lock_result *r)
{
	return &r->report;
}
