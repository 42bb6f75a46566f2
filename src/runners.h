#ifndef IOVBED_RUNNERS_H
#define IOVBED_RUNNERS_H

#include "bed.h"
#include "matrix.h"
#include "result.h"

/* Run one case of any kind through its pipeline, under the pin lock; a
 * failure the kernel is known to have is marked (OUT_XFAIL). */
void run_case(struct bed *bed, const struct tcase *tc, struct result *res);

#endif
