/*
 * fuzz_simple_html.c - libFuzzer target for the PEP 503 HTML page parser; the checks are
 * in simple_page_check.h, shared with the other format's target.
 */
#define FORMAT DL_INDEX_HTML
#include "simple_page_check.h"
