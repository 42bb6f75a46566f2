#ifndef IOVBED_KVER_H
#define IOVBED_KVER_H

struct kver {
	int major, minor, patch;
};

int kver_parse(const char *s, struct kver *v);
int kver_running(struct kver *v);
int kver_ge(const struct kver *v, int major, int minor);

#endif
