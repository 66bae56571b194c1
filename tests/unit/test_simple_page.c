/*
 * test_simple_page.c - the Simple API page parsers (include/deeplock/index.h)
 * on small hand-written pages with exact expectations: URL forms, <base>,
 * entities, hash fragments, yanking, both metadata spellings, JSON value
 * shapes, API versions, content types, error messages with positions,
 * credentials, limits, and every allocation failing in turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/index.h"
#include "dltest.h"

#define PAGE_URL "https://example.com/simple/pkg/"
#define SHA_A    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define MD5_C    "cccccccccccccccccccccccccccccccc"

static dl_index_page *html_ok(const char *html, const char *url)
{
	dl_index_page *page = NULL;
	int rc = dl_index_page_parse(&page, html, strlen(html), "text/html", url, NULL);
	if (rc != 0)
		fail_msg("parse failed (%d): %s", rc, dl_error_last()->message);
	return page;
}

static dl_index_page *json_ok(const char *json, const char *url)
{
	dl_index_page *page = NULL;
	int rc = dl_index_page_parse(&page, json, strlen(json), "application/vnd.pypi.simple.v1+json", url, NULL);
	if (rc != 0)
		fail_msg("parse failed (%d): %s", rc, dl_error_last()->message);
	return page;
}

static int html_err(const char *html, const char *url)
{
	dl_index_page *page = NULL;
	int rc = dl_index_page_parse(&page, html, strlen(html), "text/html", url, NULL);
	assert_null(page);
	assert_true(rc < 0);
	return rc;
}

static int json_err(const char *json, const char *url)
{
	dl_index_page *page = NULL;
	int rc = dl_index_page_parse(&page, json, strlen(json), "application/vnd.pypi.simple.v1+json", url, NULL);
	assert_null(page);
	assert_true(rc < 0);
	return rc;
}

/* True when some warning of the page contains `needle`. */
static bool has_warning(const char *const *w, size_t n, const char *needle)
{
	for (size_t i = 0; i < n; i++) {
		if (strstr(w[i], needle) != NULL)
			return true;
	}
	return false;
}

static const dl_index_file *file_named(const dl_index_page *p, const char *filename)
{
	for (size_t i = 0; i < p->file_count; i++) {
		if (strcmp(p->files[i].filename, filename) == 0)
			return &p->files[i];
	}
	fail_msg("no file %s", filename);
	return NULL;
}

static void test_relative_urls(void **state)
{
	(void)state;
	const char *html = "<!DOCTYPE html><html><body>\n"
	                   "<a href=\"pkg-1.0.tar.gz\">pkg-1.0.tar.gz</a>\n"
	                   "<a href=\"./pkg-1.1.tar.gz\">pkg-1.1.tar.gz</a>\n"
	                   "<a href=\"../../packages/pkg-1.2.tar.gz\">pkg-1.2.tar.gz</a>\n"
	                   "<a href=\"/files/x/../pkg-1.3.tar.gz\">pkg-1.3.tar.gz</a>\n"
	                   "<a href=\"//cdn.example.org/p/pkg-1.4.tar.gz\">pkg-1.4.tar.gz</a>\n"
	                   "<a href=\"https://other.example/d/pkg-1.5-py3-none-any.whl?x=1\">whl</a>\n"
	                   "<a href=\"pkg%201.6.tar.gz\">space</a>\n"
	                   "<a href=\"  pkg-1.7.tar.gz\n\">padded</a>\n"
	                   "<a href=\"pkg 1.8.tar.gz\">raw space</a>\n"
	                   "<a name=\"top\">no href: not a link</a>\n"
	                   "</body></html>\n";
	dl_index_page *p = html_ok(html, PAGE_URL);
	assert_int_equal(p->format, DL_INDEX_HTML);
	assert_int_equal(p->file_count, 9);
	static const char *const want[][2] = {
	    {"pkg-1.0.tar.gz", "https://example.com/simple/pkg/pkg-1.0.tar.gz"},
	    {"pkg-1.1.tar.gz", "https://example.com/simple/pkg/pkg-1.1.tar.gz"},
	    {"pkg-1.2.tar.gz", "https://example.com/packages/pkg-1.2.tar.gz"},
	    {"pkg-1.3.tar.gz", "https://example.com/files/pkg-1.3.tar.gz"},
	    {"pkg-1.4.tar.gz", "https://cdn.example.org/p/pkg-1.4.tar.gz"},
	    {"pkg-1.5-py3-none-any.whl", "https://other.example/d/pkg-1.5-py3-none-any.whl?x=1"},
	    {"pkg 1.6.tar.gz", "https://example.com/simple/pkg/pkg%201.6.tar.gz"},
	    {"pkg-1.7.tar.gz", "https://example.com/simple/pkg/pkg-1.7.tar.gz"},
	    {"pkg 1.8.tar.gz", "https://example.com/simple/pkg/pkg%201.8.tar.gz"},
	};
	for (size_t i = 0; i < 9; i++) {
		assert_string_equal(p->files[i].filename, want[i][0]);
		assert_string_equal(p->files[i].url, want[i][1]);
		assert_int_equal(p->files[i].hashes.count, 0);
		assert_null(p->files[i].requires_python);
		assert_false(p->files[i].yanked);
		assert_false(p->files[i].core_metadata.available);
		assert_int_equal(p->files[i].size, -1);
	}
	assert_int_equal(p->warning_count, 0);
	/* No <meta>: API 1.0; the name comes from the URL's last segment. */
	assert_int_equal(p->api_major, 1);
	assert_int_equal(p->api_minor, 0);
	assert_string_equal(p->name, "pkg");
	assert_string_equal(p->normalized, "pkg");
	dl_index_page_free(p);
}

static void test_skipped_links(void **state)
{
	(void)state;
	const char *html = "<html><body>\n"
	                   "<a href=\"javascript:alert(1)\">js</a>\n"
	                   "<a href=\"ftp://ftp.example/pkg-1.0.tar.gz\">ftp</a>\n"
	                   "<a href=\"../\">parent</a>\n"
	                   "<a href=\"%2e%2e\">dots</a>\n"
	                   "<a href=\"a%2Fb.tar.gz\">slash</a>\n"
	                   "<a href=\"http://bad host/x.tar.gz\">host</a>\n"
	                   "<a href=\"ok-1.0.tar.gz\">ok</a>\n"
	                   "</body></html>";
	dl_index_page *p = html_ok(html, PAGE_URL);
	assert_int_equal(p->file_count, 1);
	assert_string_equal(p->files[0].filename, "ok-1.0.tar.gz");
	assert_int_equal(p->warning_count, 6);
	assert_string_equal(
	    p->warnings[0],
	    "line 2: skipping link 'javascript:alert(1)': scheme 'javascript' is not http, https or file");
	assert_string_equal(
	    p->warnings[1],
	    "line 3: skipping link 'ftp://ftp.example/pkg-1.0.tar.gz': scheme 'ftp' is not http, https or file");
	assert_string_equal(p->warnings[2], "line 4: skipping file '': it is empty");
	assert_string_equal(p->warnings[3], "line 5: skipping file '..': it names a directory");
	assert_string_equal(p->warnings[4], "line 6: skipping file 'a/b.tar.gz': it holds a path separator");
	assert_true(strncmp(p->warnings[5], "line 7: skipping link 'http://bad host/x.tar.gz': ", 50) == 0);
	dl_index_page_free(p);
}

static void test_base_href(void **state)
{
	(void)state;
	const char *html =
	    "<html><head><base href=\"../../mirror/\"><base href=\"https://ignored.example/\"></head><body>\n"
	    "<a href=\"pkg-1.0.tar.gz\">a</a>\n"
	    "<a href=\"/abs/pkg-1.1.tar.gz\">b</a>\n"
	    "</body></html>";
	dl_index_page *p = html_ok(html, PAGE_URL);
	assert_int_equal(p->file_count, 2);
	assert_string_equal(p->files[0].url, "https://example.com/mirror/pkg-1.0.tar.gz");
	assert_string_equal(p->files[1].url, "https://example.com/abs/pkg-1.1.tar.gz");
	dl_index_page_free(p);

	/* A <base> after the links still applies (the document's base URL). */
	html = "<a href=\"pkg-2.0.tar.gz\">a</a><base href=\"https://mirror.example/m/\">";
	p = html_ok(html, PAGE_URL);
	assert_string_equal(p->files[0].url, "https://mirror.example/m/pkg-2.0.tar.gz");
	dl_index_page_free(p);

	/* An unusable base is ignored with a warning. */
	html = "<base href=\"javascript:void(0)\"><a href=\"pkg-2.0.tar.gz\">a</a>";
	p = html_ok(html, PAGE_URL);
	assert_string_equal(p->files[0].url, "https://example.com/simple/pkg/pkg-2.0.tar.gz");
	assert_int_equal(p->warning_count, 1);
	assert_true(has_warning(p->warnings, p->warning_count, "scheme 'javascript'"));
	dl_index_page_free(p);
}

static void test_entities(void **state)
{
	(void)state;
	const char *html =
	    "<a href=\"get?name=pkg-1.0.tar.gz&amp;v=1\" data-requires-python=\"&gt;=2.7,&lt;3&#62;\">a</a>\n"
	    "<a href=\"pkg-1.1.tar.gz\" data-requires-python=\">=3.6\" data-yanked=\"&quot;bad&quot; &amp; "
	    "&#x263A;\">b</a>\n"
	    "<a href=\"pkg-1.2.tar.gz\" data-requires-python=''>c</a>\n";
	dl_index_page *p = html_ok(html, PAGE_URL);
	assert_int_equal(p->file_count, 3);
	assert_string_equal(p->files[0].url, "https://example.com/simple/pkg/get?name=pkg-1.0.tar.gz&v=1");
	assert_string_equal(p->files[0].filename, "get");
	assert_string_equal(p->files[0].requires_python, ">=2.7,<3>");
	assert_string_equal(p->files[1].requires_python, ">=3.6");
	assert_string_equal(p->files[1].yanked_reason, "\"bad\" & \xE2\x98\xBA");
	assert_string_equal(p->files[2].requires_python, "");
	dl_index_page_free(p);
}

static void test_fragments(void **state)
{
	(void)state;
	const char *html = "<a href=\"a-1.tar.gz#sha256="
	                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	                   "\">1</a>\n"
	                   "<a href=\"b-1.tar.gz#md5=" MD5_C "\">2</a>\n"
	                   "<a href=\"c-1.tar.gz#blake2b=00ff&amp;egg=c\">3</a>\n"
	                   "<a href=\"d-1.tar.gz#sha256=" SHA_A "&amp;md5=" MD5_C "&amp;sha512=zz\">4</a>\n"
	                   "<a href=\"e-1.tar.gz#sha256=1234\">5</a>\n"
	                   "<a href=\"f-1.tar.gz#sha256=" SHA_A "&amp;sha256=" SHA_B "\">6</a>\n"
	                   "<a href=\"g-1.tar.gz#sha256=" SHA_A "&amp;sha256=" SHA_A "\">7</a>\n"
	                   "<a href=\"h-1.tar.gz#\">8</a>\n";
	dl_index_page *p = html_ok(html, PAGE_URL);
	assert_int_equal(p->file_count, 5);

	const dl_index_file *f = file_named(p, "a-1.tar.gz");
	assert_string_equal(f->url, "https://example.com/simple/pkg/a-1.tar.gz");
	assert_int_equal(f->hashes.count, 1);
	assert_int_equal(f->hashes.items[0].alg, DL_INDEX_SHA256);
	assert_string_equal(f->hashes.items[0].name, "sha256");
	assert_string_equal(f->hashes.items[0].hex, SHA_A); /* lower-cased */
	assert_false(f->hashes.items[0].weak);
	assert_ptr_equal(dl_index_hashes_best(&f->hashes), &f->hashes.items[0]);

	f = file_named(p, "b-1.tar.gz");
	assert_int_equal(f->hashes.count, 1);
	assert_string_equal(f->hashes.items[0].name, "md5");
	assert_true(f->hashes.items[0].weak);
	assert_null(dl_index_hashes_best(&f->hashes));
	assert_non_null(dl_index_hashes_find(&f->hashes, DL_INDEX_MD5));
	assert_null(dl_index_hashes_find(&f->hashes, DL_INDEX_SHA256));

	f = file_named(p, "c-1.tar.gz"); /* unknown algorithms: ignored */
	assert_int_equal(f->hashes.count, 0);
	assert_string_equal(f->url, "https://example.com/simple/pkg/c-1.tar.gz");

	f = file_named(p, "g-1.tar.gz"); /* the same hash twice is fine */
	assert_int_equal(f->hashes.count, 1);
	f = file_named(p, "h-1.tar.gz");
	assert_int_equal(f->hashes.count, 0);
	assert_string_equal(f->url, "https://example.com/simple/pkg/h-1.tar.gz");

	/* d: a bad sha512 value, e: too short, f: two different sha256. */
	assert_int_equal(p->warning_count, 3);
	assert_string_equal(p->warnings[0], "line 4: skipping file: its sha512 hash 'zz' has the wrong length");
	assert_string_equal(p->warnings[1], "line 5: skipping file: its sha256 hash '1234' has the wrong length");
	assert_string_equal(p->warnings[2], "line 6: skipping file: its sha256 hash '" SHA_B
	                                    "' contradicts another one given for the same file");
	dl_index_page_free(p);

	/* Several algorithms, sorted weakest first whatever the order given. */
	html = "<a href=\"d-1.tar.gz#sha256=" SHA_A "&amp;md5=" MD5_C "\">4</a>";
	p = html_ok(html, PAGE_URL);
	f = &p->files[0];
	assert_int_equal(f->hashes.count, 2);
	assert_int_equal(f->hashes.items[0].alg, DL_INDEX_MD5);
	assert_int_equal(f->hashes.items[1].alg, DL_INDEX_SHA256);
	assert_string_equal(dl_index_hashes_best(&f->hashes)->hex, SHA_A);
	dl_index_page_free(p);
}

static void test_yanked_html(void **state)
{
	(void)state;
	const char *html = "<a href=\"a-1.tar.gz\" data-yanked>a</a>\n"
	                   "<a href=\"b-1.tar.gz\" data-yanked=\"\">b</a>\n"
	                   "<a href=\"c-1.tar.gz\" data-yanked=\"broken build\">c</a>\n"
	                   "<a href=\"d-1.tar.gz\">d</a>\n";
	dl_index_page *p = html_ok(html, PAGE_URL);
	assert_int_equal(p->file_count, 4);
	assert_true(p->files[0].yanked);
	assert_null(p->files[0].yanked_reason);
	assert_true(p->files[1].yanked);
	assert_null(p->files[1].yanked_reason);
	assert_true(p->files[2].yanked);
	assert_string_equal(p->files[2].yanked_reason, "broken build");
	assert_false(p->files[3].yanked);
	assert_null(p->files[3].yanked_reason);
	dl_index_page_free(p);
}

static void test_metadata_html(void **state)
{
	(void)state;
	const char *html = "<a href=\"a-1-py3-none-any.whl\" data-core-metadata=\"true\">a</a>\n"
	                   "<a href=\"b-1-py3-none-any.whl\" data-dist-info-metadata=\"sha256=" SHA_A "\">b</a>\n"
	                   "<a href=\"c-1-py3-none-any.whl\" data-core-metadata=\"sha256=" SHA_B
	                   "\" data-dist-info-metadata=\"sha256=" SHA_A "\">c</a>\n"
	                   "<a href=\"d-1-py3-none-any.whl\" data-dist-info-metadata>d</a>\n"
	                   "<a href=\"e-1-py3-none-any.whl\" data-core-metadata=\"false\">e</a>\n"
	                   "<a href=\"f-1-py3-none-any.whl\" data-core-metadata=\"sha256=nothex\">f</a>\n"
	                   "<a href=\"g-1-py3-none-any.whl\" data-core-metadata=\"blake2b=00\">g</a>\n"
	                   "<a href=\"h-1-py3-none-any.whl\" data-gpg-sig=\"true\">h</a>\n";
	dl_index_page *p = html_ok(html, PAGE_URL);
	assert_int_equal(p->file_count, 8);
	const dl_index_core_metadata *m = &p->files[0].core_metadata;
	assert_true(m->available);
	assert_int_equal(m->hashes.count, 0);
	m = &p->files[1].core_metadata;
	assert_true(m->available);
	assert_int_equal(m->hashes.count, 1);
	assert_string_equal(m->hashes.items[0].hex, SHA_A);
	m = &p->files[2].core_metadata; /* PEP 714: the new spelling wins */
	assert_true(m->available);
	assert_string_equal(m->hashes.items[0].hex, SHA_B);
	assert_true(p->files[3].core_metadata.available);
	assert_false(p->files[4].core_metadata.available);
	assert_false(p->files[5].core_metadata.available); /* bad hash: fetch the file instead */
	assert_true(p->files[6].core_metadata.available);  /* unknown algorithm: nothing to check */
	assert_int_equal(p->files[6].core_metadata.hashes.count, 0);
	assert_false(p->files[0].gpg_sig);
	assert_true(p->files[7].gpg_sig);
	assert_int_equal(p->warning_count, 1);
	assert_string_equal(p->warnings[0], "line 6: skipping file: its sha256 hash 'nothex' has the wrong length");
	dl_index_page_free(p);
}

static void test_html_api_version(void **state)
{
	(void)state;
	dl_index_page *p =
	    html_ok("<meta name=\"pypi:repository-version\" content=\"1.1\"><a href=\"x-1.tar.gz\">x</a>", PAGE_URL);
	assert_int_equal(p->api_major, 1);
	assert_int_equal(p->api_minor, 1);
	assert_int_equal(p->warning_count, 0);
	dl_index_page_free(p);

	/* Not PEP 629: ignored. */
	p = html_ok("<meta name=\"api-version\" value=\"2\" /><a href=\"x-1.tar.gz\">x</a>", PAGE_URL);
	assert_int_equal(p->api_minor, 0);
	dl_index_page_free(p);

	p = html_ok("<a href=\"x-1.tar.gz\">x</a>\n<meta name=\"pypi:repository-version\" content=\" 1.17 \">",
	            PAGE_URL);
	assert_int_equal(p->api_minor, 17);
	assert_int_equal(p->file_count, 1);
	assert_int_equal(p->warning_count, 1);
	assert_string_equal(p->warnings[0],
	                    "the page uses Simple API version 1.17, newer than 1.4; fields added since are ignored");
	dl_index_page_free(p);

	int rc =
	    html_err("<html>\n<head><meta name=\"pypi:repository-version\" content=\"2.0\"></head></html>", PAGE_URL);
	assert_int_equal(rc, DL_EUNSUPPORTED);
	assert_string_equal(dl_error_last()->message, "index page https://example.com/simple/pkg/: line 2: the page "
	                                              "uses Simple API version 2.0; deeplock understands 1.x only");

	rc = html_err("<meta name=\"pypi:repository-version\" content=\"one\">", PAGE_URL);
	assert_int_equal(rc, DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "index page https://example.com/simple/pkg/: line 1: invalid API "
	                                              "version 'one' (expected MAJOR.MINOR, such as 1.0)");
}

static void test_pep708_792_html(void **state)
{
	(void)state;
	const char *html =
	    "<html><head>\n"
	    "<meta name=\"pypi:repository-version\" content=\"1.4\">\n"
	    "<meta name=\"pypi:tracks\" content=\"https://pypi.org/simple/pkg/\">\n"
	    "<meta name=\"pypi:alternate-locations\" content=\"https://a.example/simple/pkg/\">\n"
	    "<meta name=\"pypi:alternate-locations\" content=\"../other/pkg/\">\n"
	    "<meta name=\"pypi:project-status\" content=\"archived\">\n"
	    "<meta name=\"pypi:project-status-reason\" content=\"moved to pkg2\">\n"
	    "</head><body>\n"
	    "<a href=\"pkg-1.0.tar.gz\" data-provenance=\"pkg-1.0.tar.gz/provenance\">pkg-1.0.tar.gz</a>\n"
	    "</body></html>";
	dl_index_page *p = html_ok(html, PAGE_URL);
	assert_int_equal(p->api_minor, 4);
	assert_int_equal(p->track_count, 1);
	assert_string_equal(p->tracks[0], "https://pypi.org/simple/pkg/");
	assert_int_equal(p->alternate_location_count, 2);
	assert_string_equal(p->alternate_locations[0], "https://a.example/simple/pkg/");
	assert_string_equal(p->alternate_locations[1], "https://example.com/simple/other/pkg/");
	assert_string_equal(p->project_status, "archived");
	assert_string_equal(p->project_status_reason, "moved to pkg2");
	assert_string_equal(p->files[0].provenance, "https://example.com/simple/pkg/pkg-1.0.tar.gz/provenance");
	assert_false(p->has_versions);
	assert_int_equal(p->warning_count, 0);
	dl_index_page_free(p);
}

static void test_html_names(void **state)
{
	(void)state;
	dl_index_parse_opts opts = DL_INDEX_PARSE_OPTS_INIT;
	opts.project = "Foo_Bar";
	dl_index_page *p = NULL;
	const char *html = "<a href=\"x-1.tar.gz\">x</a>";
	assert_int_equal(dl_index_page_parse(&p, html, strlen(html), "text/html", PAGE_URL, &opts), 0);
	assert_string_equal(p->name, "Foo_Bar");
	assert_string_equal(p->normalized, "foo-bar");
	dl_index_page_free(p);

	p = html_ok(html, "file:///srv/index/Some.Project/index.html");
	assert_string_equal(p->name, "index.html"); /* a valid name, if an odd one */
	assert_string_equal(p->files[0].url, "file:///srv/index/Some.Project/x-1.tar.gz");
	dl_index_page_free(p);

	p = html_ok(html, "https://example.com/");
	assert_null(p->name);
	assert_null(p->normalized);
	dl_index_page_free(p);
}

static void test_empty_and_odd_html(void **state)
{
	(void)state;
	dl_index_page *p = html_ok("", PAGE_URL);
	assert_int_equal(p->file_count, 0);
	assert_int_equal(p->warning_count, 0);
	dl_index_page_free(p);
	p = html_ok(" \n\t", PAGE_URL);
	assert_int_equal(p->file_count, 0);
	dl_index_page_free(p);
	/* Unclosed tags, stray end tags, comments and scripts. */
	p = html_ok("<html><head><title>x<body><a href=a-1.tar.gz>a</a></b></a>"
	            "<!-- <a href=\"c-1.tar.gz\">c</a> -->"
	            "<script>var s = '<a href=\"d-1.tar.gz\">';</script>"
	            "<div><p><a href='e-1.tar.gz'>e",
	            PAGE_URL);
	assert_int_equal(p->file_count, 2);
	assert_string_equal(p->files[0].filename, "a-1.tar.gz");
	assert_string_equal(p->files[1].filename, "e-1.tar.gz");
	dl_index_page_free(p);
	/* A byte order mark is skipped; <meta charset> does not change UTF-8. */
	p = html_ok("\xEF\xBB\xBF<meta charset=\"iso-8859-1\"><a href=\"caf\xC3\xA9-1.tar.gz\">x</a>", PAGE_URL);
	assert_string_equal(p->files[0].filename, "caf\xC3\xA9-1.tar.gz");
	assert_string_equal(p->files[0].url, "https://example.com/simple/pkg/caf%c3%a9-1.tar.gz");
	dl_index_page_free(p);
}

static void test_bad_text(void **state)
{
	(void)state;
	int rc = html_err("<a href=\"x\">\n  caf\xE9</a>", PAGE_URL);
	assert_int_equal(rc, DL_EPARSE);
	assert_string_equal(
	    dl_error_last()->message,
	    "index page https://example.com/simple/pkg/: invalid UTF-8 at line 2, column 6 (byte 0xE9)");
	/* Overlong, surrogate, truncated. */
	assert_int_equal(html_err("\xC0\xAF", PAGE_URL), DL_EPARSE);
	assert_int_equal(html_err("\xED\xA0\x80", PAGE_URL), DL_EPARSE);
	assert_int_equal(html_err("ab\xE2\x98", PAGE_URL), DL_EPARSE);
	assert_string_equal(
	    dl_error_last()->message,
	    "index page https://example.com/simple/pkg/: invalid UTF-8 at line 1, column 3 (byte 0xE2)");

	dl_index_page *p = NULL;
	rc = dl_index_page_parse(&p, "<a>\0</a>", 8, "text/html", PAGE_URL, NULL);
	assert_int_equal(rc, DL_EPARSE);
	assert_string_equal(dl_error_last()->message,
	                    "index page https://example.com/simple/pkg/: NUL byte at line 1, column 4");

	rc = json_err("{\"meta\": {\"api-version\": \"1.0\"}, \"name\": \"\xFF\"}", PAGE_URL);
	assert_int_equal(rc, DL_EPARSE);
	assert_string_equal(
	    dl_error_last()->message,
	    "index page https://example.com/simple/pkg/: invalid UTF-8 at line 1, column 43 (byte 0xFF)");
}

static void test_content_types(void **state)
{
	(void)state;
	dl_index_format f;
	assert_int_equal(dl_index_format_from_content_type(&f, "text/html; charset=utf-8", PAGE_URL), 0);
	assert_int_equal(f, DL_INDEX_HTML);
	assert_int_equal(dl_index_format_from_content_type(&f, " Application/Vnd.PyPI.Simple.v1+HTML ", PAGE_URL), 0);
	assert_int_equal(f, DL_INDEX_HTML);
	assert_int_equal(dl_index_format_from_content_type(&f, "application/vnd.pypi.simple.v1+json", PAGE_URL), 0);
	assert_int_equal(f, DL_INDEX_JSON);

	assert_int_equal(dl_index_format_from_content_type(&f, "application/json", "https://u:p@example.com/simple/x/"),
	                 DL_EUNSUPPORTED);
	assert_string_equal(
	    dl_error_last()->message,
	    "index page https://****@example.com/simple/x/: unsupported content type 'application/json' "
	    "(expected application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html or text/html)");
	assert_int_equal(dl_index_format_from_content_type(&f, "application/vnd.pypi.simple.v2+json", PAGE_URL),
	                 DL_EUNSUPPORTED);
	assert_int_equal(dl_index_format_from_content_type(&f, NULL, PAGE_URL), DL_EINVAL);
	assert_string_equal(dl_error_last()->message,
	                    "index page https://example.com/simple/pkg/: the server gave no content type");

	dl_index_page *p = NULL;
	assert_int_equal(dl_index_page_parse(&p, "{}", 2, "text/plain", PAGE_URL, NULL), DL_EUNSUPPORTED);
	assert_null(p);
	/* Dispatch really follows the type: JSON text served as HTML has no links. */
	const char *json = "{\"meta\": {\"api-version\": \"1.0\"}, \"files\": [{\"filename\": \"a-1.tar.gz\", \"url\": "
	                   "\"a-1.tar.gz\"}]}";
	assert_int_equal(dl_index_page_parse(&p, json, strlen(json), "text/html", PAGE_URL, NULL), 0);
	assert_int_equal(p->format, DL_INDEX_HTML);
	assert_int_equal(p->file_count, 0);
	dl_index_page_free(p);
}

static void test_bad_urls(void **state)
{
	(void)state;
	dl_index_page *p = NULL;
	assert_int_equal(dl_index_page_parse(&p, "", 0, "text/html", "simple/pkg/", NULL), DL_EINVAL);
	assert_true(strncmp(dl_error_last()->message, "index page simple/pkg/: not an absolute URL", 43) == 0);
	assert_int_equal(dl_index_page_parse(&p, "", 0, "text/html", "ftp://example.com/simple/", NULL), DL_EINVAL);
	assert_string_equal(dl_error_last()->message,
	                    "index page ftp://example.com/simple/: the scheme is not http, https or file");
	assert_int_equal(dl_index_page_parse(&p, "", 0, "text/html", NULL, NULL), DL_EINVAL);
	dl_index_parse_opts bad = DL_INDEX_PARSE_OPTS_INIT;
	bad.version = 99;
	assert_int_equal(dl_index_page_parse(&p, "", 0, "text/html", PAGE_URL, &bad), DL_EINVAL);
	assert_null(p);
}

static void test_json_page(void **state)
{
	(void)state;
	const char *json =
	    "{\n"
	    "  \"meta\": {\"api-version\": \"1.4\", \"_last-serial\": 123},\n"
	    "  \"name\": \"My.Pkg\",\n"
	    "  \"versions\": [\"1.0\", \"2.0\"],\n"
	    "  \"tracks\": [\"https://pypi.org/simple/my-pkg/\"],\n"
	    "  \"alternate-locations\": [],\n"
	    "  \"project-status\": {\"status\": \"deprecated\", \"reason\": \"use other\"},\n"
	    "  \"files\": [\n"
	    "    {\"filename\": \"my.pkg-1.0.tar.gz\", \"url\": \"../../packages/my.pkg-1.0.tar.gz\",\n"
	    "     \"hashes\": {\"sha256\": \"" SHA_A "\", \"md5\": \"" MD5_C "\", \"blake2b_256\": \"00\"},\n"
	    "     \"requires-python\": \">=3.8\", \"yanked\": false, \"core-metadata\": false,\n"
	    "     \"size\": 1234, \"upload-time\": \"2024-01-02T03:04:05.000006Z\", \"gpg-sig\": true,\n"
	    "     \"provenance\": null, \"future-field\": {\"x\": 1}},\n"
	    "    {\"filename\": \"my_pkg-2.0-py3-none-any.whl\", \"url\": "
	    "\"https://files.example/my_pkg-2.0-py3-none-any.whl\",\n"
	    "     \"hashes\": {}, \"requires-python\": null, \"yanked\": \"security hole\",\n"
	    "     \"core-metadata\": {\"sha256\": \"" SHA_B "\"}, \"dist-info-metadata\": false,\n"
	    "     \"provenance\": \"https://files.example/my_pkg-2.0-py3-none-any.whl/provenance\"},\n"
	    "    {\"filename\": \"my_pkg-2.0.tar.gz\", \"url\": \"https://files.example/my_pkg-2.0.tar.gz#sha256=" SHA_A
	    "\",\n"
	    "     \"yanked\": true, \"dist-info-metadata\": true},\n"
	    "    {\"filename\": \"my_pkg-2.0.zip\", \"url\": \"https://files.example/my_pkg-2.0.zip\",\n"
	    "     \"yanked\": \"\", \"data-dist-info-metadata\": {\"sha256\": \"" SHA_A "\"}}\n"
	    "  ]\n"
	    "}\n";
	dl_index_page *p = json_ok(json, PAGE_URL);
	assert_int_equal(p->format, DL_INDEX_JSON);
	assert_int_equal(p->api_major, 1);
	assert_int_equal(p->api_minor, 4);
	assert_int_equal(p->last_serial, 123);
	assert_string_equal(p->name, "My.Pkg");
	assert_string_equal(p->normalized, "my-pkg");
	assert_true(p->has_versions);
	assert_int_equal(p->version_count, 2);
	assert_string_equal(p->versions[1], "2.0");
	assert_int_equal(p->track_count, 1);
	assert_int_equal(p->alternate_location_count, 0);
	assert_string_equal(p->project_status, "deprecated");
	assert_string_equal(p->project_status_reason, "use other");
	assert_int_equal(p->file_count, 4);
	assert_int_equal(p->warning_count, 0);

	const dl_index_file *f = &p->files[0];
	assert_string_equal(f->filename, "my.pkg-1.0.tar.gz");
	assert_string_equal(f->url, "https://example.com/packages/my.pkg-1.0.tar.gz");
	assert_int_equal(f->hashes.count, 2);
	assert_string_equal(f->hashes.items[0].hex, MD5_C);
	assert_string_equal(f->hashes.items[1].hex, SHA_A);
	assert_string_equal(f->requires_python, ">=3.8");
	assert_false(f->yanked);
	assert_false(f->core_metadata.available);
	assert_int_equal(f->size, 1234);
	assert_string_equal(f->upload_time, "2024-01-02T03:04:05.000006Z");
	assert_true(f->gpg_sig);
	assert_null(f->provenance);

	f = &p->files[1];
	assert_int_equal(f->hashes.count, 0);
	assert_null(f->requires_python);
	assert_true(f->yanked);
	assert_string_equal(f->yanked_reason, "security hole");
	assert_true(f->core_metadata.available); /* core-metadata wins over dist-info-metadata */
	assert_int_equal(f->core_metadata.hashes.count, 1);
	assert_string_equal(f->core_metadata.hashes.items[0].hex, SHA_B);
	assert_int_equal(f->size, -1);
	assert_null(f->upload_time);
	assert_false(f->gpg_sig);
	assert_string_equal(f->provenance, "https://files.example/my_pkg-2.0-py3-none-any.whl/provenance");

	f = &p->files[2]; /* a fragment hash counts; the URL loses it */
	assert_string_equal(f->url, "https://files.example/my_pkg-2.0.tar.gz");
	assert_int_equal(f->hashes.count, 1);
	assert_string_equal(f->hashes.items[0].hex, SHA_A);
	assert_true(f->yanked);
	assert_null(f->yanked_reason);
	assert_true(f->core_metadata.available);
	assert_int_equal(f->core_metadata.hashes.count, 0);

	f = &p->files[3];
	assert_true(f->yanked);
	assert_null(f->yanked_reason);
	assert_true(f->core_metadata.available);
	assert_string_equal(f->core_metadata.hashes.items[0].hex, SHA_A);
	dl_index_page_free(p);
}

static void test_json_skips(void **state)
{
	(void)state;
	const char *json = "{\"meta\": {\"api-version\": \"1.0\"}, \"name\": \"pkg\", \"files\": [\n"
	                   "{\"filename\": \"../evil.tar.gz\", \"url\": \"evil.tar.gz\"},\n"
	                   "{\"filename\": \"a.tar.gz\", \"url\": \"javascript:x\"},\n"
	                   "{\"filename\": \"b.tar.gz\", \"url\": \"b.tar.gz\", \"hashes\": {\"sha256\": \"xyz\"}},\n"
	                   "{\"filename\": \"c.tar.gz\", \"url\": \"c.tar.gz#sha256=" SHA_B
	                   "\", \"hashes\": {\"sha256\": \"" SHA_A "\"}},\n"
	                   "{\"filename\": \"d.tar.gz\", \"url\": \"d.tar.gz\", \"core-metadata\": {\"sha256\": "
	                   "\"short\"}, \"provenance\": \"data:x\"}\n"
	                   "]}";
	dl_index_page *p = json_ok(json, PAGE_URL);
	assert_int_equal(p->file_count, 1);
	assert_string_equal(p->files[0].filename, "d.tar.gz");
	assert_false(p->files[0].core_metadata.available);
	assert_null(p->files[0].provenance);
	assert_int_equal(p->warning_count, 6);
	assert_string_equal(p->warnings[0], "files[0]: skipping file '../evil.tar.gz': it holds a path separator");
	assert_string_equal(p->warnings[1],
	                    "files[1]: skipping link 'javascript:x': scheme 'javascript' is not http, https or file");
	assert_string_equal(p->warnings[2],
	                    "files[2].hashes: skipping file: its sha256 hash 'xyz' has the wrong length");
	assert_string_equal(p->warnings[3], "files[3]: skipping file: its sha256 hash '" SHA_B
	                                    "' contradicts another one given for the same file");
	assert_string_equal(p->warnings[4],
	                    "files[4].core-metadata: skipping file: its sha256 hash 'short' has the wrong length");
	assert_string_equal(p->warnings[5],
	                    "files[4]: skipping link 'data:x': scheme 'data' is not http, https or file");
	dl_index_page_free(p);
}

static void test_json_errors(void **state)
{
	(void)state;
	int rc = json_err("{\"meta\": {\"api-version\": \"1.0\"},\n \"files\": [,]}", PAGE_URL);
	assert_int_equal(rc, DL_EPARSE);
	assert_string_equal(
	    dl_error_last()->message,
	    "index page https://example.com/simple/pkg/: invalid JSON at line 2, column 12: unexpected token near ','");
	rc = json_err("{\"meta\": {\"api-version\": \"1.0\"}, \"files\": [], \"files\": []}", PAGE_URL);
	assert_int_equal(rc, DL_EPARSE);
	assert_non_null(strstr(dl_error_last()->message, "duplicate object key"));
	rc = json_err("", PAGE_URL);
	assert_int_equal(rc, DL_EPARSE);
	assert_non_null(strstr(dl_error_last()->message, "invalid JSON at line 1"));
	rc = json_err("[]", PAGE_URL);
	assert_string_equal(
	    dl_error_last()->message,
	    "index page https://example.com/simple/pkg/: expected a JSON object at the top, got an array");
	rc = json_err("{\"files\": []}", PAGE_URL);
	assert_int_equal(rc, DL_EPARSE);
	assert_string_equal(
	    dl_error_last()->message,
	    "index page https://example.com/simple/pkg/: meta: missing (expected an object with \"api-version\")");
	rc = json_err("{\"meta\": {\"api-version\": 1.0}, \"files\": []}", PAGE_URL);
	assert_string_equal(
	    dl_error_last()->message,
	    "index page https://example.com/simple/pkg/: meta.api-version: expected a string, got a number");
	rc = json_err("{\"meta\": {\"api-version\": \"1.0\"}}", PAGE_URL);
	assert_string_equal(dl_error_last()->message,
	                    "index page https://example.com/simple/pkg/: files: missing (expected an array)");
	rc = json_err("{\"meta\": {\"api-version\": \"1.0\"}, \"files\": [{\"filename\": \"a.tar.gz\", \"url\": "
	              "\"a.tar.gz\", \"yanked\": 1}]}",
	              PAGE_URL);
	assert_int_equal(rc, DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "index page https://example.com/simple/pkg/: files[0].yanked: "
	                                              "expected a boolean or a string, got an integer");
	rc = json_err("{\"meta\": {\"api-version\": \"1.0\"}, \"files\": [{\"filename\": \"a.tar.gz\"}]}", PAGE_URL);
	assert_string_equal(dl_error_last()->message,
	                    "index page https://example.com/simple/pkg/: files[0].url: missing (expected a string)");
	rc = json_err("{\"meta\": {\"api-version\": \"1.0\"}, \"files\": [{\"filename\": \"a.tar.gz\", \"url\": \"a\", "
	              "\"size\": -5}]}",
	              PAGE_URL);
	assert_string_equal(
	    dl_error_last()->message,
	    "index page https://example.com/simple/pkg/: files[0].size: expected a size in bytes, got -5");
	rc = json_err("{\"meta\": {\"api-version\": \"1.0\"}, \"files\": [{\"filename\": \"a\", \"url\": \"a\", "
	              "\"hashes\": {\"sha256\": 5}}]}",
	              PAGE_URL);
	assert_string_equal(
	    dl_error_last()->message,
	    "index page https://example.com/simple/pkg/: files[0].hashes.sha256: expected a string, got an integer");
	rc = json_err("{\"meta\": {\"api-version\": \"1.0\"}, \"files\": [], \"versions\": [\"1.0\", 2]}", PAGE_URL);
	assert_string_equal(
	    dl_error_last()->message,
	    "index page https://example.com/simple/pkg/: versions[1]: expected a string, got an integer");
	rc = json_err("{\"meta\": {\"api-version\": \"1.0\"}, \"files\": [7]}", PAGE_URL);
	assert_string_equal(dl_error_last()->message,
	                    "index page https://example.com/simple/pkg/: files[0]: expected an object, got an integer");
	/* A control character in a key is not copied into the message. */
	rc = json_err("{\"meta\": {\"api-version\": \"1.0\"}, \"files\": [{\"filename\": \"a\", \"url\": \"a\", "
	              "\"hashes\": {\"\\u001b[31m\": 5}}]}",
	              PAGE_URL);
	assert_string_equal(
	    dl_error_last()->message,
	    "index page https://example.com/simple/pkg/: files[0].hashes.?[31m: expected a string, got an integer");
}

static void test_json_api_version(void **state)
{
	(void)state;
	dl_index_page *p =
	    json_ok("{\"meta\": {\"api-version\": \"1.9\"}, \"name\": \"pkg\", \"files\": []}", PAGE_URL);
	assert_int_equal(p->api_minor, 9);
	assert_int_equal(p->warning_count, 1);
	assert_string_equal(p->warnings[0],
	                    "the page uses Simple API version 1.9, newer than 1.4; fields added since are ignored");
	dl_index_page_free(p);
	int rc = json_err("{\"meta\": {\"api-version\": \"2.0\"}, \"files\": 5}",
	                  "https://user:secret@example.com/simple/pkg/");
	assert_int_equal(rc, DL_EUNSUPPORTED);
	assert_string_equal(dl_error_last()->message,
	                    "index page https://****@example.com/simple/pkg/: meta.api-version: the page uses Simple "
	                    "API version 2.0; deeplock understands 1.x only");
	rc = json_err("{\"meta\": {\"api-version\": \"1\"}, \"files\": []}", PAGE_URL);
	assert_int_equal(rc, DL_EPARSE);
	rc = json_err("{\"meta\": {\"api-version\": \"1.x\"}, \"files\": []}", PAGE_URL);
	assert_int_equal(rc, DL_EPARSE);
}

static void test_json_names(void **state)
{
	(void)state;
	dl_index_parse_opts opts = DL_INDEX_PARSE_OPTS_INIT;
	opts.project = "other";
	dl_index_page *p = NULL;
	const char *json = "{\"meta\": {\"api-version\": \"1.0\"}, \"name\": \"Pkg\", \"files\": []}";
	assert_int_equal(
	    dl_index_page_parse(&p, json, strlen(json), "application/vnd.pypi.simple.v1+json", PAGE_URL, &opts), 0);
	assert_string_equal(p->name, "Pkg");
	assert_int_equal(p->warning_count, 1);
	assert_string_equal(p->warnings[0], "the page is for project 'Pkg', not 'other' as asked");
	dl_index_page_free(p);

	json = "{\"meta\": {\"api-version\": \"1.0\"}, \"name\": \"-bad-\", \"files\": []}";
	p = json_ok(json, PAGE_URL);
	assert_string_equal(p->name, "pkg"); /* from the URL */
	assert_string_equal(p->warnings[0], "the page's project name '-bad-' is not a valid name");
	dl_index_page_free(p);
}

static void test_credentials(void **state)
{
	(void)state;
	const char *url = "https://alice:s3cret@idx.example/simple/pkg/";
	const char *html =
	    "<a href=\"../../files/pkg-1.0.tar.gz\">a</a><a href=\"https://bob:pw@cdn.example/pkg-1.1.tar.gz\">b</a>"
	    "<a href=\"gopher://eve:pw@evil.example/\">c</a>";
	dl_index_page *p = html_ok(html, url);
	assert_string_equal(p->url, url);
	assert_string_equal(p->files[0].url, "https://alice:s3cret@idx.example/files/pkg-1.0.tar.gz");
	assert_string_equal(p->files[1].url, "https://bob:pw@cdn.example/pkg-1.1.tar.gz");
	assert_int_equal(p->warning_count, 1);
	assert_null(strstr(p->warnings[0], "pw"));
	dl_index_page_free(p);

	/* An empty userinfo in a quoted link (a fuzz finding: it looped). */
	p = html_ok("<a href=\"@jav%ascript:a\x1c/a\">x</a>", url);
	assert_int_equal(p->file_count, 0);
	assert_int_equal(p->warning_count, 1);
	assert_true(strncmp(p->warnings[0], "line 1: skipping link '****@jav%ascript:a?/a': ", 47) == 0);
	dl_index_page_free(p);
	p = html_ok("<a href=\"@x:y/\">x</a>", url);
	assert_int_equal(p->warning_count, 1);
	assert_string_equal(p->warnings[0], "line 1: skipping file '': it is empty");
	dl_index_page_free(p);

	html_err("\xFF", url);
	assert_string_equal(
	    dl_error_last()->message,
	    "index page https://****@idx.example/simple/pkg/: invalid UTF-8 at line 1, column 1 (byte 0xFF)");

	static const char *const cases[][2] = {
	    {"https://user:pass@host/x", "https://****@host/x"},
	    {"https://token@host", "https://****@host"},
	    {"https://host/path@x?a=b@c", "https://host/path@x?a=b@c"},
	    {"https://a@b:c@host:8080/p", "https://****@host:8080/p"},
	    {"user:pw@host/x", "****@host/x"},
	    {"//u:p@host/", "//****@host/"},
	    {"file:///srv/x", "file:///srv/x"},
	    {"", ""},
	    {"mailto:a@b", "****@b"},
	    {"https:u:p@h/x", "****@h/x"},
	    {"https://@host/", "https://****@host/"},
	    {"@x", "****@x"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;
		assert_int_equal(dl_index_url_redact(&out, cases[i][0]), 0);
		assert_string_equal(out, cases[i][1]);
		dl_free(out);
	}
}

static void test_url_resolve(void **state)
{
	(void)state;
	/* RFC 3986 section 5.4 examples (the ones that apply to http). */
	static const char *const cases[][2] = {
	    {"g", "http://a/b/c/g"},
	    {"./g", "http://a/b/c/g"},
	    {"g/", "http://a/b/c/g/"},
	    {"/g", "http://a/g"},
	    {"//g", "http://g/"},
	    {"?y", "http://a/b/c/d;p?y"},
	    {"g?y", "http://a/b/c/g?y"},
	    {"#s", "http://a/b/c/d;p?q"},
	    {"g#s", "http://a/b/c/g"},
	    {";x", "http://a/b/c/;x"},
	    {"", "http://a/b/c/d;p?q"},
	    {".", "http://a/b/c/"},
	    {"..", "http://a/b/"},
	    {"../g", "http://a/b/g"},
	    {"../..", "http://a/"},
	    {"../../../../g", "http://a/g"},
	    {"/./g", "http://a/g"},
	    {"/../g", "http://a/g"},
	    {"g.", "http://a/b/c/g."},
	    {"..g", "http://a/b/c/..g"},
	    {"./../g", "http://a/b/g"},
	    {"g/../h", "http://a/b/c/h"},
	    {"g;x=1/../y", "http://a/b/c/y"},
	    {"g?y/../x", "http://a/b/c/g?y/../x"},
	    {"HTTPS://Other/x", "https://Other/x"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;
		int rc = dl_index_url_resolve(&out, NULL, "http://a/b/c/d;p?q", cases[i][0], strlen(cases[i][0]));
		if (rc != 0)
			fail_msg("'%s': %s", cases[i][0], dl_error_last()->message);
		if (strcmp(out, cases[i][1]) != 0)
			fail_msg("'%s' resolved to '%s', expected '%s'", cases[i][0], out, cases[i][1]);
		dl_free(out);
	}
	char *out = NULL, *frag = NULL;
	assert_int_equal(dl_index_url_resolve(&out, &frag, "https://h/x/", "y#sha256=AB", 11), 0);
	assert_string_equal(out, "https://h/x/y");
	assert_string_equal(frag, "sha256=AB");
	dl_free(out);
	dl_free(frag);
	assert_int_equal(dl_index_url_resolve(&out, &frag, "https://h/x/", "y", 1), 0);
	assert_null(frag);
	dl_free(out);
	assert_int_equal(dl_index_url_resolve(&out, NULL, "https://h/x/", "gopher://h/", 11), DL_EUNSUPPORTED);
	assert_string_equal(dl_error_last()->message, "URL scheme 'gopher' is not http, https or file");
	assert_int_equal(dl_index_url_resolve(&out, NULL, "https://h/x/", "http://h:99999/", 15), DL_EPARSE);
	assert_int_equal(dl_index_url_resolve(&out, NULL, "relative/", "x", 1), DL_EPARSE);
	assert_int_equal(dl_index_url_resolve(&out, NULL, "https://u:p@h/", "x y", 3), 0);
	assert_string_equal(out, "https://u:p@h/x%20y");
	dl_free(out);
}

static void test_list_pages(void **state)
{
	(void)state;
	const char *html = "<!DOCTYPE html><html><body>\n"
	                   "<a href=\"/simple/frob/\">frob</a>\n"
	                   "<a href=\"holy-grail/\"> HolyGrail </a>\n"
	                   "<a href=\"bad/\">-not valid-</a>\n"
	                   "<a href=\"javascript:x\">js</a>\n"
	                   "</body></html>";
	dl_index_list *l = NULL;
	assert_int_equal(dl_index_list_parse(&l, html, strlen(html), "text/html", "https://example.com/simple/", NULL),
	                 0);
	assert_int_equal(l->project_count, 2);
	assert_string_equal(l->projects[0].name, "frob");
	assert_string_equal(l->projects[0].url, "https://example.com/simple/frob/");
	assert_string_equal(l->projects[1].name, "HolyGrail");
	assert_string_equal(l->projects[1].normalized, "holygrail");
	assert_string_equal(l->projects[1].url, "https://example.com/simple/holy-grail/");
	assert_int_equal(l->warning_count, 2);
	assert_string_equal(l->warnings[0], "line 4: skipping project '-not valid-': not a valid project name");
	dl_index_list_free(l);

	const char *json = "{\"meta\": {\"api-version\": \"1.1\", \"_last-serial\": 7}, \"projects\": "
	                   "[{\"name\": \"Frob\"}, {\"name\": \"Holy_Grail\", \"_last-serial\": 3}, {\"name\": \"\"}]}";
	assert_int_equal(dl_index_list_parse(&l, json, strlen(json), "application/vnd.pypi.simple.v1+json",
	                                     "https://example.com/simple", NULL),
	                 0);
	assert_int_equal(l->format, DL_INDEX_JSON);
	assert_int_equal(l->api_minor, 1);
	assert_int_equal(l->last_serial, 7);
	assert_int_equal(l->project_count, 2);
	assert_string_equal(l->projects[0].url, "https://example.com/simple/frob/");
	assert_string_equal(l->projects[1].normalized, "holy-grail");
	assert_string_equal(l->projects[1].url, "https://example.com/simple/holy-grail/");
	assert_int_equal(l->warning_count, 1);
	assert_string_equal(l->warnings[0], "projects[2]: skipping project '': not a valid project name");
	dl_index_list_free(l);

	l = NULL;
	assert_int_equal(dl_index_list_parse(&l, "{\"meta\": {\"api-version\": \"1.0\"}}", 32,
	                                     "application/vnd.pypi.simple.v1+json", "https://example.com/simple/",
	                                     NULL),
	                 DL_EPARSE);
	assert_string_equal(dl_error_last()->message,
	                    "index page https://example.com/simple/: projects: missing (expected an array)");
	assert_null(l);
}

static void test_limits(void **state)
{
	(void)state;
	dl_index_parse_opts opts = DL_INDEX_PARSE_OPTS_INIT;
	opts.max_files = 2;
	dl_index_page *p = NULL;
	const char *html = "<a href=a-1.tar.gz>a</a><a href=b-1.tar.gz>b</a>\n<a href=c-1.tar.gz>c</a>";
	assert_int_equal(dl_index_page_parse(&p, html, strlen(html), "text/html", PAGE_URL, &opts), DL_ELIMIT);
	assert_string_equal(dl_error_last()->message, "index page https://example.com/simple/pkg/: more than 2 files");
	const char *json = "{\"meta\": {\"api-version\": \"1.0\"}, \"files\": [1, 2, 3]}";
	assert_int_equal(
	    dl_index_page_parse(&p, json, strlen(json), "application/vnd.pypi.simple.v1+json", PAGE_URL, &opts),
	    DL_ELIMIT);
	assert_string_equal(dl_error_last()->message,
	                    "index page https://example.com/simple/pkg/: files: 3 entries, more than the limit of 2");

	opts.max_files = 0;
	opts.max_string = 16;
	html = "<a href=a-1.tar.gz>a</a>\n<a href=a-1.tar.gz "
	       "data-requires-python=\"&gt;=3.8,&lt;4,!=3.9.1,!=3.9.2\">b</a>";
	assert_int_equal(dl_index_page_parse(&p, html, strlen(html), "text/html", PAGE_URL, &opts), DL_ELIMIT);
	assert_string_equal(dl_error_last()->message,
	                    "index page https://example.com/simple/pkg/: line 2: attribute 'data-requires-python' is "
	                    "24 bytes long, more than the limit of 16");
	json = "{\"meta\": {\"api-version\": \"1.0\"}, \"files\": [{\"filename\": \"a-1.tar.gz\", \"url\": "
	       "\"a-1.tar.gz\", \"upload-time\": \"2024-01-01T00:00:00Z\"}]}";
	assert_int_equal(
	    dl_index_page_parse(&p, json, strlen(json), "application/vnd.pypi.simple.v1+json", PAGE_URL, &opts),
	    DL_ELIMIT);
	assert_string_equal(dl_error_last()->message, "index page https://example.com/simple/pkg/: files[0]: "
	                                              "upload-time is 20 bytes long, more than the limit of 16");
	assert_null(p);
}

static void test_warning_cap(void **state)
{
	(void)state;
	dl_buf b = DL_BUF_INIT;
	for (int i = 0; i < 150; i++)
		dl_buf_printf(&b, "<a href=\"javascript:%d\">x</a>\n", i);
	dl_buf_puts(&b, "<a href=\"ok-1.tar.gz\">ok</a>");
	dl_index_page *p = html_ok(dl_buf_cstr(&b), PAGE_URL);
	assert_int_equal(p->file_count, 1);
	assert_int_equal(p->warning_count, DL_INDEX_MAX_WARNINGS);
	assert_string_equal(p->warnings[DL_INDEX_MAX_WARNINGS - 1], "... and 51 more warnings");
	dl_index_page_free(p);
	dl_buf_free(&b);

	/* Untrusted text in warnings is cut short and has no control characters. */
	dl_buf_reset(&b);
	dl_buf_puts(&b, "<a href=\"javascript:\x1b[2J");
	for (int i = 0; i < 300; i++)
		dl_buf_putc(&b, 'x');
	dl_buf_puts(&b, "\">x</a>");
	p = html_ok(dl_buf_cstr(&b), PAGE_URL);
	assert_int_equal(p->warning_count, 1);
	assert_null(strchr(p->warnings[0], '\x1b'));
	assert_non_null(strstr(p->warnings[0], "javascript:?[2Jxxx"));
	assert_non_null(strstr(p->warnings[0], "xxx...'"));
	assert_true(strlen(p->warnings[0]) < 260);
	dl_index_page_free(p);
	dl_buf_free(&b);
}

/* ---- every allocation failing in turn ---- */

static const char alloc_html[] =
    "<!DOCTYPE html><html><head><meta name=\"pypi:repository-version\" content=\"1.9\">"
    "<base href=\"../mirror/\"><meta name=\"pypi:tracks\" content=\"https://pypi.org/simple/x/\">"
    "<meta name=\"pypi:project-status\" content=\"archived\"></head><body>\n"
    "<a href=\"x-1.0.tar.gz#sha256=" SHA_A "&amp;md5=" MD5_C
    "\" data-requires-python=\"&gt;=3\" data-yanked=\"why\">x</a>\n"
    "<a href=\"x-1.1-py3-none-any.whl\" data-core-metadata=\"sha256=" SHA_B "\" data-provenance=\"p\">x</a>\n"
    "<a href=\"javascript:x\">bad</a><a href=\"x-1.2.tar.gz#sha256=bad\">bad hash</a>\n"
    "</body></html>";

static const char alloc_json[] =
    "{\"meta\": {\"api-version\": \"1.9\", \"_last-serial\": 1}, \"name\": \"x\", \"versions\": [\"1.0\"],"
    " \"tracks\": [\"https://pypi.org/simple/x/\"], \"project-status\": {\"status\": \"active\", \"reason\": \"r\"},"
    " \"files\": [{\"filename\": \"x-1.0.tar.gz\", \"url\": \"x-1.0.tar.gz#md5=" MD5_C "\","
    " \"hashes\": {\"sha256\": \"" SHA_A "\"}, \"requires-python\": \">=3\", \"yanked\": \"why\","
    " \"core-metadata\": {\"sha256\": \"" SHA_B "\"}, \"size\": 5, \"upload-time\": \"t\", \"provenance\": \"p\"},"
    " {\"filename\": \"../x\", \"url\": \"x\"}]}";

static int alloc_html_page(void *ctx)
{
	(void)ctx;
	dl_index_page *p = NULL;
	int rc = dl_index_page_parse(&p, alloc_html, sizeof(alloc_html) - 1, "text/html",
	                             "https://u:p@example.com/simple/x/", NULL);
	if (rc == 0) {
		assert_int_equal(p->file_count, 2);
		assert_int_equal(p->warning_count, 3);
		dl_index_page_free(p);
	}
	return rc;
}

static int alloc_json_page(void *ctx)
{
	(void)ctx;
	dl_index_page *p = NULL;
	int rc = dl_index_page_parse(&p, alloc_json, sizeof(alloc_json) - 1, "application/vnd.pypi.simple.v1+json",
	                             "https://u:p@example.com/simple/x/", NULL);
	if (rc == 0) {
		assert_int_equal(p->file_count, 1);
		assert_int_equal(p->warning_count, 2);
		dl_index_page_free(p);
	}
	return rc;
}

static int alloc_lists(void *ctx)
{
	(void)ctx;
	static const char html[] = "<a href=\"a/\">a</a><a href=\"b/\">B_b</a><a href=\"c/\">-</a>";
	static const char json[] =
	    "{\"meta\": {\"api-version\": \"1.0\"}, \"projects\": [{\"name\": \"a\"}, {\"name\": \"-\"}]}";
	dl_index_list *l = NULL;
	int rc = dl_index_list_parse(&l, html, sizeof(html) - 1, "text/html", "https://example.com/simple/", NULL);
	if (rc != 0)
		return rc;
	assert_int_equal(l->project_count, 2);
	dl_index_list_free(l);
	rc = dl_index_list_parse(&l, json, sizeof(json) - 1, "application/vnd.pypi.simple.v1+json",
	                         "https://example.com/simple/", NULL);
	if (rc != 0)
		return rc;
	assert_int_equal(l->project_count, 1);
	dl_index_list_free(l);
	return 0;
}

static int alloc_errors(void *ctx)
{
	(void)ctx;
	/* Failing pages must also fail cleanly: the error wins or DL_ENOMEM. */
	dl_index_page *p = NULL;
	int rc = dl_index_page_parse(&p, "{\"meta\": 1}", 11, "application/vnd.pypi.simple.v1+json", PAGE_URL, NULL);
	if (rc == DL_ENOMEM)
		return rc;
	assert_int_equal(rc, DL_EPARSE);
	rc = dl_index_page_parse(&p, "x", 1, "application/json", PAGE_URL, NULL);
	if (rc == DL_ENOMEM)
		return rc;
	assert_int_equal(rc, DL_EUNSUPPORTED);
	char *out = NULL, *frag = NULL;
	rc = dl_index_url_resolve(&out, &frag, "https://u:p@h/a/", "../b#sha256=x", 13);
	if (rc != 0)
		return rc;
	dl_free(out);
	dl_free(frag);
	rc = dl_index_url_redact(&out, "https://u:p@h/");
	if (rc != 0)
		return rc;
	dl_free(out);
	return 0;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(alloc_html_page, NULL);
	dltest_each_alloc_failure(alloc_json_page, NULL);
	dltest_each_alloc_failure(alloc_lists, NULL);
	dltest_each_alloc_failure(alloc_errors, NULL);
}

/* ---- the cache's encoding of a parsed page (page_codec.c) ---- */

static const char CODEC_JSON[] =
    "{\"meta\": {\"api-version\": \"1.1\", \"_last-serial\": 42},"
    " \"name\": \"Pkg\", \"versions\": [\"1.0\", \"2.0\"],"
    " \"project-status\": {\"status\": \"deprecated\", \"reason\": \"use other\"},"
    " \"files\": ["
    "  {\"filename\": \"pkg-1.0.tar.gz\", \"url\": \"../../files/pkg-1.0.tar.gz\","
    "   \"hashes\": {\"sha256\": \"" SHA_A "\", \"md5\": \"" MD5_C "\"},"
    "   \"requires-python\": \">=3.8\", \"yanked\": \"broken\", \"size\": 1234,"
    "   \"upload-time\": \"2024-01-01T00:00:00Z\"},"
    "  {\"filename\": \"pkg-2.0-py3-none-any.whl\", \"url\": \"https://cdn.example/pkg-2.0-py3-none-any.whl\","
    "   \"hashes\": {\"sha256\": \"" SHA_B "\"}, \"core-metadata\": {\"sha256\": \"" SHA_A "\"},"
    "   \"gpg-sig\": true, \"size\": 99}"
    " ]}";

static void assert_same_hashes(const dl_index_hashes *a, const dl_index_hashes *b)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		assert_int_equal(a->items[i].alg, b->items[i].alg);
		assert_string_equal(a->items[i].name, b->items[i].name);
		assert_string_equal(a->items[i].hex, b->items[i].hex);
		assert_int_equal(a->items[i].weak, b->items[i].weak);
	}
}

static void assert_same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void test_codec_round_trip(void **state)
{
	(void)state;
	dl_index_page *p = json_ok(CODEC_JSON, PAGE_URL), *q = NULL;
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_index_page_encode(p, &b), 0);
	assert_int_equal(dl_index_page_decode(&q, b.ptr, b.len), 0);
	assert_int_equal(q->format, p->format);
	assert_same_str(q->url, p->url);
	assert_same_str(q->name, p->name);
	assert_same_str(q->normalized, p->normalized);
	assert_int_equal(q->api_major, p->api_major);
	assert_int_equal(q->api_minor, p->api_minor);
	assert_int_equal(q->has_versions, p->has_versions);
	assert_int_equal(q->version_count, 2);
	assert_string_equal(q->versions[1], "2.0");
	assert_same_str(q->project_status, p->project_status);
	assert_same_str(q->project_status_reason, p->project_status_reason);
	assert_int_equal(q->last_serial, 42);
	assert_int_equal(q->warning_count, p->warning_count);
	assert_int_equal(q->file_count, 2);
	for (size_t i = 0; i < 2; i++) {
		const dl_index_file *x = &p->files[i], *y = &q->files[i];
		assert_string_equal(y->filename, x->filename);
		assert_string_equal(y->url, x->url);
		assert_same_str(y->requires_python, x->requires_python);
		assert_int_equal(y->yanked, x->yanked);
		assert_same_str(y->yanked_reason, x->yanked_reason);
		assert_int_equal(y->core_metadata.available, x->core_metadata.available);
		assert_same_hashes(&y->hashes, &x->hashes);
		assert_same_hashes(&y->core_metadata.hashes, &x->core_metadata.hashes);
		assert_int_equal(y->size, x->size);
		assert_same_str(y->upload_time, x->upload_time);
		assert_int_equal(y->gpg_sig, x->gpg_sig);
		assert_same_str(y->provenance, x->provenance);
	}
	assert_string_equal(q->files[0].url, "https://example.com/files/pkg-1.0.tar.gz");
	assert_string_equal(q->files[0].yanked_reason, "broken");
	assert_true(q->files[1].gpg_sig && q->files[1].core_metadata.available);
	/* Every truncation, and trailing bytes, are rejected; no byte flip
	 * crashes or leaks (most are rejected, a few decode to another page). */
	for (size_t n = 0; n < b.len; n++) {
		dl_index_page *t = NULL;
		assert_int_equal(dl_index_page_decode(&t, b.ptr, n), DL_EPARSE);
		assert_null(t);
	}
	dl_buf_putc(&b, 'x');
	dl_index_page *t = NULL;
	assert_int_equal(dl_index_page_decode(&t, b.ptr, b.len), DL_EPARSE);
	assert_null(t);
	b.len--;
	for (size_t i = 0; i < b.len; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			b.ptr[i] = (char)(b.ptr[i] ^ (1u << bit));
			t = NULL;
			if (dl_index_page_decode(&t, b.ptr, b.len) == 0)
				dl_index_page_free(t);
			b.ptr[i] = (char)(b.ptr[i] ^ (1u << bit));
		}
	}
	dl_index_page_free(q);
	dl_index_page_free(p);
	dl_buf_free(&b);
}

static dl_buf codec_input;

static int codec_decode_once(void *ctx)
{
	(void)ctx;
	dl_index_page *q = NULL;
	int rc = dl_index_page_decode(&q, codec_input.ptr, codec_input.len);
	dl_index_page_free(q);
	return rc;
}

static int codec_encode_once(void *ctx)
{
	dl_buf b = DL_BUF_INIT;
	int rc = dl_index_page_encode(ctx, &b);
	dl_buf_free(&b);
	return rc;
}

static void test_codec_alloc_failures(void **state)
{
	(void)state;
	dl_index_page *p = json_ok(CODEC_JSON, PAGE_URL);
	dl_buf_init(&codec_input, 0);
	assert_int_equal(dl_index_page_encode(p, &codec_input), 0);
	dltest_each_alloc_failure(codec_decode_once, NULL);
	dltest_each_alloc_failure(codec_encode_once, p);
	dl_buf_free(&codec_input);
	dl_index_page_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_relative_urls),
	    cmocka_unit_test(test_codec_round_trip),
	    cmocka_unit_test(test_codec_alloc_failures),
	    cmocka_unit_test(test_skipped_links),
	    cmocka_unit_test(test_base_href),
	    cmocka_unit_test(test_entities),
	    cmocka_unit_test(test_fragments),
	    cmocka_unit_test(test_yanked_html),
	    cmocka_unit_test(test_metadata_html),
	    cmocka_unit_test(test_html_api_version),
	    cmocka_unit_test(test_pep708_792_html),
	    cmocka_unit_test(test_html_names),
	    cmocka_unit_test(test_empty_and_odd_html),
	    cmocka_unit_test(test_bad_text),
	    cmocka_unit_test(test_content_types),
	    cmocka_unit_test(test_bad_urls),
	    cmocka_unit_test(test_json_page),
	    cmocka_unit_test(test_json_skips),
	    cmocka_unit_test(test_json_errors),
	    cmocka_unit_test(test_json_api_version),
	    cmocka_unit_test(test_json_names),
	    cmocka_unit_test(test_credentials),
	    cmocka_unit_test(test_url_resolve),
	    cmocka_unit_test(test_list_pages),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_warning_cap),
	    cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
