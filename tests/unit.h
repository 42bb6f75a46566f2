#ifndef IOVBED_UNIT_H
#define IOVBED_UNIT_H

#include <CUnit/CUnit.h>

/* Each file registers its suites. */
int unit_pattern_register(void);
int unit_checks_register(void);
int unit_matrix_register(void);
int unit_fused_register(void);
int unit_paths_register(void);
int unit_observe_register(void);
int unit_pins_register(void);
int unit_stress_register(void);

/* A scratch file for fakes (vmstat, pagemap, kmsg): path written to out. */
int unit_tmpfile(char *out, size_t len, const void *data, size_t n);

#define ADD_TEST(suite, fn) \
	do { if (!CU_add_test(suite, #fn, fn)) return -1; } while (0)

#endif
