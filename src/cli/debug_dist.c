/* debug_dist.c - placeholder until the module lands; replaced by its owner. */
#include "cli.h"
int dl_cli_debug_wheel_name(int argc, char **argv) { (void)argc; (void)argv; dl_cli_error("debug wheel_name: not built yet"); return DL_EXIT_FAIL; }
int dl_cli_debug_sdist_name(int argc, char **argv) { (void)argc; (void)argv; dl_cli_error("debug sdist_name: not built yet"); return DL_EXIT_FAIL; }
int dl_cli_debug_metadata(int argc, char **argv) { (void)argc; (void)argv; dl_cli_error("debug metadata: not built yet"); return DL_EXIT_FAIL; }
