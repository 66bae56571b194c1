/* debug_version.c - placeholder until the module lands; replaced by its owner. */
#include "cli.h"
int dl_cli_debug_version(int argc, char **argv) { (void)argc; (void)argv; dl_cli_error("debug version: not built yet"); return DL_EXIT_FAIL; }
int dl_cli_debug_specifier(int argc, char **argv) { (void)argc; (void)argv; dl_cli_error("debug specifier: not built yet"); return DL_EXIT_FAIL; }
int dl_cli_debug_range(int argc, char **argv) { (void)argc; (void)argv; dl_cli_error("debug range: not built yet"); return DL_EXIT_FAIL; }
