#ifndef IOVBED_REGISTRY_H
#define IOVBED_REGISTRY_H

#include <stddef.h>

/*
 * The tables of every plugin kind, generated at build time
 * (src/gen-registry.sh) from Makefile.am's ENGINE_FILES, TARGET_FILES,
 * BUFFER_FILES, ACTION_FILES, REGRESSION_FILES and DISTURBER_FILES: each row a file
 * defines is in its table, in the order of the list, then of the file.
 * Adding a plugin is its file and one line in one of those lists.
 */
struct engine_ops;
struct target_ops;
struct buffer_ops;
struct action_ops;
struct regression;
struct disturber;

extern const struct engine_ops *const engine_table[];
extern const size_t engine_count;
extern const struct target_ops *const target_table[];
extern const size_t target_count;
extern const struct buffer_ops *const buffer_table[];
extern const size_t buffer_count;
extern const struct action_ops *const action_table[];
extern const size_t action_count;
extern const struct regression *const regression_table[];
extern const size_t regression_count;
extern const struct disturber *const disturber_table[];
extern const size_t disturber_count;

#endif
