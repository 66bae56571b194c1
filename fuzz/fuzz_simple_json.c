/*
 * fuzz_simple_json.c - libFuzzer target for the PEP 691 JSON page parser; the checks are
 * in simple_page_check.h, shared with the other format's target.
 */
#define FORMAT DL_INDEX_JSON
#include "simple_page_check.h"
