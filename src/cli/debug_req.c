/* debug_req.c - placeholder until the module lands; replaced by its owner. */
#include "cli.h"
int dl_cli_debug_requirement(int argc, char **argv) { (void)argc; (void)argv; dl_cli_error("debug requirement: not built yet"); return DL_EXIT_FAIL; }
int dl_cli_debug_marker(int argc, char **argv) { (void)argc; (void)argv; dl_cli_error("debug marker: not built yet"); return DL_EXIT_FAIL; }
