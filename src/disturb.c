/* What disturbers share: the kernel's own counters of their effect. */
#include "disturb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "key value" lines of a /proc file (vmstat, stat): key's value, or -1. */
static long long keyed_value(const char *path, const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			v = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Field 10 of /proc/self/stat (after the command in parentheses). */
static long long self_minflt(void)
{
	char buf[1024], *p;
	unsigned long long v;

	if (read_file("/proc/self/stat", buf, sizeof(buf), NULL) < 0 || !(p = strrchr(buf, ')')))
		return -1;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %llu", &v) != 1)
		return -1;
	return v;
}

long long counter_read(const char *name)
{
	if (*name == '~')
		name++;
	if (!strncmp(name, "stat:", 5))
		return keyed_value("/proc/stat", name + 5);
	if (!strcmp(name, "self:minflt"))
		return self_minflt();
	return keyed_value("/proc/vmstat", name);
}

static int counters_read(struct counters *c, long long *out, char *err)
{
	int i;

	for (i = 0; i < c->n; i++) {
		out[i] = counter_read(c->names[i]);
		if (out[i] < 0) {
			if (err)
				snprintf(err, ERRLEN, "the kernel counter %s cannot be read",
					 c->names[i] + (c->names[i][0] == '~'));
			return -1;
		}
	}
	return 0;
}

int counters_start(struct counters *c, const char *const *names, char *err)
{
	memset(c, 0, sizeof(*c));
	c->names = names;
	while (names[c->n] && c->n < COUNTERS_MAX)
		c->n++;
	if (counters_read(c, c->before, err) < 0)
		return -1;
	memcpy(c->now, c->before, sizeof(c->now));
	return 0;
}

int counters_judge(const struct counters *c, struct strbuf *out)
{
	int i, ok = 1;

	for (i = 0; i < c->n; i++) {
		const char *name = c->names[i];
		long long d = c->now[i] - c->before[i];

		sb_addf(out, "%s%s %+lld", i ? ", " : "", name + (*name == '~'), d);
		if (*name != '~' && d <= 0)
			ok = 0;
	}
	return ok;
}

int counted_start(const char *const *names, size_t size, void **priv, char *err)
{
	*priv = calloc(1, size);
	if (!*priv) {
		errf(err, "calloc");
		return -1;
	}
	return counters_start(*priv, names, err);
}

int counted_effect(void *priv, struct strbuf *out)
{
	return counters_effect(priv, out);
}

void counted_stop(struct dist_env *de, void *priv)
{
	(void)de;
	free(priv);
}

int counters_effect(struct counters *c, struct strbuf *out)
{
	if (counters_read(c, c->now, NULL) < 0) {
		sb_addf(out, "its counters cannot be read");
		return 0;
	}
	return counters_judge(c, out);
}
