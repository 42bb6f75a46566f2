/* The unit tests of a build without CUnit (configure --without-cunit). */
#include <stdio.h>

int main(void)
{
	printf("1..0 # SKIP built without CUnit (configure --without-cunit)\n");
	return 0;
}
