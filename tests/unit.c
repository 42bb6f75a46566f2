/* CUnit runner of iovbed's unit tests, speaking TAP: one line per test as
 * it finishes, with the failed assertions as diagnostics. */
#include "unit.h"

#include <CUnit/Basic.h>
#include <CUnit/TestRun.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned tap_n, tap_failed;

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

static void tap_result(const CU_pTest test, const CU_pSuite suite, const CU_pFailureRecord f)
{
	printf("%sok %u %s: %s\n", f ? "not " : "", ++tap_n, suite->pName, test->pName);
	tap_failed += f != NULL;
	for (CU_pFailureRecord r = f; r; r = r->pNext)
		printf("# %s:%u: %s\n", r->strFileName ? r->strFileName : "?", r->uiLineNumber,
		       r->strCondition ? r->strCondition : "?");
	fflush(stdout);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	if (unit_pattern_register() || unit_checks_register() || unit_matrix_register() ||
	    unit_fused_register() || unit_paths_register() || unit_observe_register() ||
	    unit_pins_register() || unit_stress_register()) {
		printf("Bail out! registering the unit tests failed: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 99;
	}
	printf("TAP version 13\n1..%u\n", CU_get_registry()->uiNumberOfTests);
	CU_set_test_complete_handler(tap_result);
	CU_run_all_tests();
	printf("# %u passed, %u failed\n", tap_n - tap_failed, tap_failed);
	CU_cleanup_registry();
	return tap_failed ? 1 : 0;
}
