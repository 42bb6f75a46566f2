#ifndef IOVBED_REPORT_JSON_H
#define IOVBED_REPORT_JSON_H

#include "report.h"

/* --json FILE: every case with its measurements, the targets as found,
 * the target x engine table and the times. */
int report_json_open(struct report *r, const struct bed *bed, const char *path, char *err);
void report_json_case(struct report *r, const struct bed *bed, const struct tcase *tc,
		      const struct result *res);
void report_json_close(struct report *r, const struct bed *bed, int interrupted);

#endif
