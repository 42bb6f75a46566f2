/* Kernel versions: "6.18.44-fc", "6.1", "6.1.0-28-amd64". */
#include "kver.h"

#include <stdio.h>
#include <sys/utsname.h>

int kver_parse(const char *s, struct kver *v)
{
	int n;

	v->major = v->minor = v->patch = 0;
	n = sscanf(s, "%d.%d.%d", &v->major, &v->minor, &v->patch);
	if (n < 2 || v->major < 2 || v->minor < 0)
		return -1;
	return 0;
}

int kver_running(struct kver *v)
{
	struct utsname u;

	if (uname(&u) < 0)
		return -1;
	return kver_parse(u.release, v);
}

int kver_ge(const struct kver *v, int major, int minor)
{
	return v->major > major || (v->major == major && v->minor >= minor);
}
