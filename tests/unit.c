/* CUnit runner of iovbed's unit tests. */
#include "unit.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int unit_tmpfile(char *out, size_t len, const void *data, size_t n)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int fd;

	snprintf(out, len, "%s/iovbed-unit-XXXXXX", dir);
	fd = mkstemp(out);
	if (fd < 0)
		return -1;
	if (n && write(fd, data, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(void)
{
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	if (unit_pattern_register() || unit_checks_register() || unit_matrix_register() ||
	    unit_fused_register() || unit_observe_register()) {
		fprintf(stderr, "unit: registering tests failed: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 99;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	printf("\n%u passed, %u failed\n", CU_get_number_of_tests_run() - CU_get_number_of_tests_failed(),
	       CU_get_number_of_tests_failed());
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
