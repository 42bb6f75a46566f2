/* The kernel's taint flags (Documentation/admin-guide/tainted-kernels.rst). */
#include "taint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	char letter;
	const char *what;
} flags[] = {
	{ 'P', "TAINT_PROPRIETARY_MODULE" },
	{ 'F', "TAINT_FORCED_MODULE" },
	{ 'S', "TAINT_CPU_OUT_OF_SPEC" },
	{ 'R', "TAINT_FORCED_RMMOD" },
	{ 'M', "TAINT_MACHINE_CHECK" },
	{ 'B', "TAINT_BAD_PAGE: a bad page was found" },
	{ 'U', "TAINT_USER" },
	{ 'D', "TAINT_DIE: an oops or BUG" },
	{ 'A', "TAINT_OVERRIDDEN_ACPI_TABLE" },
	{ 'W', "TAINT_WARN: a WARN fired" },
	{ 'C', "TAINT_CRAP: a staging driver" },
	{ 'I', "TAINT_FIRMWARE_WORKAROUND" },
	{ 'O', "TAINT_OOT_MODULE" },
	{ 'E', "TAINT_UNSIGNED_MODULE" },
	{ 'L', "TAINT_SOFTLOCKUP" },
	{ 'K', "TAINT_LIVEPATCH" },
	{ 'X', "TAINT_AUX" },
	{ 'T', "TAINT_RANDSTRUCT" },
	{ 'N', "TAINT_TEST" },
	{ 'J', "TAINT_FWCTL" },
};
#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

int taint_read(const char *path, unsigned long long *v, char *err)
{
	char buf[64], *end;

	if (read_file(path, buf, sizeof(buf), err) < 0)
		return -1;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || end == buf) {
		errno = 0;
		errf(err, "%s: not a number: '%s'", path, buf);
		return -1;
	}
	return 0;
}

void taint_names(unsigned long long v, char *out, size_t len)
{
	size_t i, n = 0;

	*out = 0;
	for (i = 0; i < 64 && n < len; i++) {
		if (!(v & (1ULL << i)))
			continue;
		if (i < NFLAGS)
			n += snprintf(out + n, len - n, "%s%c (%s)", n ? ", " : "", flags[i].letter,
				      flags[i].what);
		else
			n += snprintf(out + n, len - n, "%sbit %zu", n ? ", " : "", i);
	}
}

int check_taint(unsigned long long before, unsigned long long after, struct strbuf *why)
{
	unsigned long long fresh = after & ~before;
	char names[512];

	if (!fresh)
		return 0;
	taint_names(fresh, names, sizeof(names));
	sb_addf(why, "taint: the kernel became tainted during the case: %s "
		"(/proc/sys/kernel/tainted %llu -> %llu)\n", names, before, after);
	return 1;
}
