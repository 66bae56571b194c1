/* debug_toml.c - placeholder until the module lands; replaced by its owner. */
#include "cli.h"
int dl_cli_debug_toml_decode(int argc, char **argv) { (void)argc; (void)argv; dl_cli_error("debug toml_decode: not built yet"); return DL_EXIT_FAIL; }
int dl_cli_debug_toml_encode(int argc, char **argv) { (void)argc; (void)argv; dl_cli_error("debug toml_encode: not built yet"); return DL_EXIT_FAIL; }
