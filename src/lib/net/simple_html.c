/*
 * simple_html.c - PEP 503 HTML pages (with PEP 592, 629, 658/714, 708, 740
 * and 792 additions) read with libxml2's HTML parser.
 *
 * Index HTML in the wild is often not well-formed (unclosed <head>, stray
 * </a>), so the parser runs in recovery mode and the page is read from the
 * tree it builds, never with pattern matching: attribute quoting, entities
 * (&gt; &#62;), comments and <script> bodies are then handled the way a
 * browser would.  The parser never touches the network (HTML_PARSE_NONET;
 * the HTML parser loads no external entities or DTDs either), prints
 * nothing (NOERROR, NOWARNING), and ignores a <meta charset>: the page was
 * already checked to be UTF-8 and is parsed as such.
 *
 * Two passes over the tree: the first finds the API version (so that a page
 * of an unknown major version is refused before anything else) and the
 * first <base href>, which applies to every link wherever it stands; the
 * second reads the other <meta> tags and the anchors in document order.
 * The walk is iterative, so nesting depth cannot exhaust the stack.
 *
 * libxml2 allocates with the C library, not dl_malloc: its tree is
 * temporary and freed before returning, and everything kept is copied into
 * the page's arena.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "simple_page.h"

#define HTML_OPTIONS                                                                                                   \
	(HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NOBLANKS |     \
	 HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC)

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

/* xmlInitParser is not safe to race; every later parse may run on any
 * thread. */
static void xml_init(void)
{
	xmlInitParser();
}

static bool name_is(const xmlChar *name, const char *lit)
{
	return name != NULL && dl_slice_ieq((const char *)name, strlen((const char *)name), lit);
}

static bool is_element(const xmlNode *n, const char *lit)
{
	return n->type == XML_ELEMENT_NODE && name_is(n->name, lit);
}

/* Pre-order successor of `n` within its document, without recursion. */
static xmlNode *walk_next(xmlNode *n)
{
	if (n->type == XML_ELEMENT_NODE && n->children != NULL)
		return n->children;
	while (n != NULL) {
		if (n->next != NULL)
			return n->next;
		n = n->parent;
		if (n == NULL || n->type == XML_DOCUMENT_NODE || n->type == XML_HTML_DOCUMENT_NODE)
			return NULL;
	}
	return NULL;
}

/* An attribute's value: absent, present without a value (s == NULL), or a
 * string, borrowed from the tree when it is one text node. */
typedef struct attr {
	bool present;
	const char *s;
	size_t len;
	xmlChar *owned;
} attr;

static void attr_release(attr *a)
{
	if (a->owned != NULL)
		xmlFree(a->owned);
	a->owned = NULL;
}

static int get_attr(dl_simple_ctx *ctx, xmlNode *n, const char *name, const char *where, attr *out)
{
	memset(out, 0, sizeof(*out));
	xmlAttr *a;
	for (a = n->properties; a != NULL; a = a->next) {
		if (name_is(a->name, name))
			break;
	}
	if (a == NULL)
		return 0;
	out->present = true;
	if (a->children == NULL)
		return 0;
	if (a->children->type == XML_TEXT_NODE && a->children->next == NULL) {
		out->s = a->children->content != NULL ? (const char *)a->children->content : "";
	} else {
		out->owned = xmlNodeListGetString(n->doc, a->children, 1);
		if (out->owned == NULL)
			return dl_error_oom();
		out->s = (const char *)out->owned;
	}
	out->len = strlen(out->s);
	if (out->len > ctx->max_string) {
		attr_release(out);
		return dl_simple_fail(ctx, DL_ELIMIT,
		                      "%s: attribute '%s' is %zu bytes long, more than the limit of %zu", where, name,
		                      out->len, ctx->max_string);
	}
	return 0;
}

static void where_of(const xmlNode *n, char *buf, size_t cap)
{
	long line = xmlGetLineNo(n);
	if (line >= 65535)
		snprintf(buf, cap, "line %ld or later", line); /* libxml2 stores 16 bits */
	else if (line > 0)
		snprintf(buf, cap, "line %ld", line);
	else
		snprintf(buf, cap, "an element");
}

/* Parse [data, data+len) into *doc; NULL for a page with nothing in it
 * (pip's test index has a 0-byte page, which means no files). */
static int parse_doc(dl_simple_ctx *ctx, const char *data, size_t len, htmlDocPtr *doc)
{
	*doc = NULL;
	size_t i = 0;
	while (i < len && dl_isspace((unsigned char)data[i]))
		i++;
	if (i == len)
		return 0;
	pthread_once(&xml_once, xml_init);
	htmlParserCtxtPtr p = htmlNewParserCtxt();
	if (p == NULL)
		return dl_error_oom();
	int rc = 0;
	*doc = htmlCtxtReadMemory(p, data, (int)len, NULL, "UTF-8", HTML_OPTIONS);
	if (*doc == NULL) {
		const xmlError *e = &p->lastError;
		if (e->code == XML_ERR_NO_MEMORY)
			rc = dl_error_oom();
		else
			rc = dl_simple_fail(ctx, DL_EPARSE, "invalid HTML at line %d: %s", e->line,
			                    e->message != NULL ? e->message : "the parser gave up");
	}
	htmlFreeParserCtxt(p);
	return rc;
}

/* Trimmed view of an attribute value. */
static void trim(const char **s, size_t *len)
{
	while (*len > 0 && dl_isspace((unsigned char)(*s)[0])) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && dl_isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* First pass: PEP 629 version and the document's <base href>. */
static int read_head(dl_simple_ctx *ctx, htmlDocPtr doc)
{
	xmlNode *version = NULL, *base = NULL;
	for (xmlNode *n = doc->children; n != NULL; n = walk_next(n)) {
		if (version == NULL && is_element(n, "meta")) {
			attr name;
			int rc = get_attr(ctx, n, "name", "meta", &name);
			if (rc != 0)
				return rc;
			if (name.s != NULL && dl_slice_ieq(name.s, name.len, "pypi:repository-version"))
				version = n;
			attr_release(&name);
		} else if (base == NULL && is_element(n, "base")) {
			for (xmlAttr *a = n->properties; a != NULL; a = a->next) {
				if (name_is(a->name, "href"))
					base = n;
			}
		}
	}
	char where[48];
	int rc = 0;
	if (version != NULL) {
		attr content;
		where_of(version, where, sizeof(where));
		rc = get_attr(ctx, version, "content", where, &content);
		if (rc != 0)
			return rc;
		const char *s = content.s != NULL ? content.s : "";
		size_t len = content.len;
		trim(&s, &len);
		rc = dl_simple_api_version(ctx, s, len, where);
		attr_release(&content);
		if (rc != 0)
			return rc;
	}
	if (base != NULL) {
		attr href;
		where_of(base, where, sizeof(where));
		rc = get_attr(ctx, base, "href", where, &href);
		if (rc == 0 && href.s != NULL)
			rc = dl_simple_set_base(ctx, href.s, href.len, where);
		attr_release(&href);
	}
	return rc;
}

/* PEP 708 and PEP 792 <meta> tags. */
static int read_meta(dl_simple_ctx *ctx, xmlNode *n, const char *where)
{
	attr name, content;
	int rc = get_attr(ctx, n, "name", where, &name);
	if (rc != 0)
		return rc;
	rc = get_attr(ctx, n, "content", where, &content);
	if (rc != 0 || name.s == NULL || content.s == NULL)
		goto done;
	if (dl_slice_ieq(name.s, name.len, "pypi:tracks"))
		rc = dl_simple_push_url(ctx, &ctx->tracks, content.s, content.len, where);
	else if (dl_slice_ieq(name.s, name.len, "pypi:alternate-locations"))
		rc = dl_simple_push_url(ctx, &ctx->alternates, content.s, content.len, where);
	else if (dl_slice_ieq(name.s, name.len, "pypi:project-status") && ctx->status == NULL)
		rc = dl_simple_str(ctx, &ctx->status, content.s, content.len, "project status", where);
	else if (dl_slice_ieq(name.s, name.len, "pypi:project-status-reason") && ctx->status_reason == NULL)
		rc = dl_simple_str(ctx, &ctx->status_reason, content.s, content.len, "project status reason", where);
done:
	attr_release(&name);
	attr_release(&content);
	return rc;
}

/* One anchor of a project page.  Returns 0 (added or skipped) or an error. */
static int read_file_anchor(dl_simple_ctx *ctx, xmlNode *n, const char *where)
{
	enum { HREF, REQUIRES, YANKED, CORE, DIST, GPG, PROV, NATTR };
	static const char *const names[NATTR] = {
	    "href",         "data-requires-python", "data-yanked", "data-core-metadata", "data-dist-info-metadata",
	    "data-gpg-sig", "data-provenance",
	};
	attr at[NATTR];
	char *frag = NULL;
	int rc = 0;
	memset(at, 0, sizeof(at));
	for (int i = 0; i < NATTR && rc == 0; i++)
		rc = get_attr(ctx, n, names[i], where, &at[i]);
	if (rc != 0 || at[HREF].s == NULL)
		goto done; /* an anchor without href is not a link */

	dl_index_file f;
	memset(&f, 0, sizeof(f));
	f.size = -1;
	rc = dl_simple_resolve(ctx, at[HREF].s, at[HREF].len, where, &f.url, &frag, &f.filename);
	if (rc != 0)
		goto done;
	dl_simple_hashset hs = {{NULL}};
	if (frag != NULL && (rc = dl_simple_fragment_hashes(ctx, &hs, frag, where)) != 0)
		goto done;
	if ((rc = dl_simple_hashes_finish(ctx, &hs, &f.hashes)) != 0)
		goto done;
	if (at[REQUIRES].present &&
	    (rc = dl_simple_str(ctx, &f.requires_python, at[REQUIRES].s != NULL ? at[REQUIRES].s : "", at[REQUIRES].len,
	                        "data-requires-python", where)) != 0)
		goto done;
	if (at[YANKED].present) {
		f.yanked = true;
		if (at[YANKED].len > 0 && (rc = dl_simple_str(ctx, &f.yanked_reason, at[YANKED].s, at[YANKED].len,
		                                              "data-yanked", where)) != 0)
			goto done;
	}
	/* PEP 714: the new spelling wins when both are there. */
	const attr *meta = at[CORE].present ? &at[CORE] : at[DIST].present ? &at[DIST] : NULL;
	if (meta != NULL && (rc = dl_simple_metadata_attr(ctx, meta->s, &f.core_metadata, where)) != 0)
		goto done;
	f.gpg_sig = at[GPG].s != NULL && dl_slice_ieq(at[GPG].s, at[GPG].len, "true");
	if (at[PROV].s != NULL && at[PROV].len > 0) {
		rc = dl_simple_resolve(ctx, at[PROV].s, at[PROV].len, where, &f.provenance, NULL, NULL);
		if (rc == DL_SIMPLE_SKIP)
			rc = 0; /* the file stays; only its provenance link is dropped */
		if (rc != 0)
			goto done;
	}
	rc = dl_simple_push_file(ctx, &f);
done:
	for (int i = 0; i < NATTR; i++)
		attr_release(&at[i]);
	dl_free(frag);
	return rc == DL_SIMPLE_SKIP ? 0 : rc;
}

/* One anchor of the root page: its text names the project. */
static int read_project_anchor(dl_simple_ctx *ctx, xmlNode *n, const char *where)
{
	attr href;
	int rc = get_attr(ctx, n, "href", where, &href);
	if (rc != 0 || href.s == NULL) {
		attr_release(&href);
		return rc;
	}
	xmlChar *text = xmlNodeGetContent(n);
	if (text == NULL) {
		attr_release(&href);
		return dl_error_oom();
	}
	const char *s = (const char *)text;
	size_t len = strlen(s);
	trim(&s, &len);
	if (len > ctx->max_string) {
		rc = dl_simple_fail(ctx, DL_ELIMIT, "%s: link text is %zu bytes long, more than the limit of %zu",
		                    where, len, ctx->max_string);
	} else {
		const char *url = NULL;
		rc = dl_simple_resolve(ctx, href.s, href.len, where, &url, NULL, NULL);
		if (rc == 0)
			rc = dl_simple_push_project(ctx, s, len, url, where);
	}
	xmlFree(text);
	attr_release(&href);
	return rc == DL_SIMPLE_SKIP ? 0 : rc;
}

static int read_body(dl_simple_ctx *ctx, htmlDocPtr doc, bool list)
{
	char where[48];
	for (xmlNode *n = doc->children; n != NULL; n = walk_next(n)) {
		int rc = 0;
		if (is_element(n, "a")) {
			where_of(n, where, sizeof(where));
			rc = list ? read_project_anchor(ctx, n, where) : read_file_anchor(ctx, n, where);
		} else if (!list && is_element(n, "meta")) {
			where_of(n, where, sizeof(where));
			rc = read_meta(ctx, n, where);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int html_parse(dl_simple_ctx *ctx, const char *data, size_t len, bool list)
{
	htmlDocPtr doc;
	int rc = parse_doc(ctx, data, len, &doc);
	if (rc != 0 || doc == NULL)
		return rc;
	rc = read_head(ctx, doc);
	if (rc == 0)
		rc = read_body(ctx, doc, list);
	xmlFreeDoc(doc);
	return rc;
}

int dl_simple_html_page(dl_simple_ctx *ctx, const char *data, size_t len)
{
	return html_parse(ctx, data, len, false);
}

int dl_simple_html_list(dl_simple_ctx *ctx, const char *data, size_t len)
{
	return html_parse(ctx, data, len, true);
}
