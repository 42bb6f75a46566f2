/* Kernel log check: no warnings, BUGs, bad pages or filesystem errors. */
#include "kmsg.h"
#include "taint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int kmsg_open(struct kmsg *k, const char *path, char *err)
{
	k->taint_path = TAINT_PATH;	/* the unit tests point it at a fake */
	k->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0) {
		errf(err, "open %s", path);
		return -1;
	}
	return 0;
}

void kmsg_close(struct kmsg *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

void kmsg_mark(struct kmsg *k)
{
	/* /dev/kmsg seeks to the end of the log; a regular file (tests) too. */
	lseek(k->fd, 0, SEEK_END);
	k->taint_err = taint_read(k->taint_path, &k->taint, NULL) < 0;
}

int kmsg_taint_since_mark(struct kmsg *k, struct strbuf *why, char *err)
{
	unsigned long long now;

	if (k->taint_err) {
		errno = 0;
		errf(err, "%s could not be read at the start of the case", k->taint_path);
		return -1;
	}
	if (taint_read(k->taint_path, &now, err) < 0)
		return -1;
	return check_taint(k->taint, now, why);
}

static const char *const bad_words[] = {
	"WARNING:", "BUG:", "BUG ", "Oops", "bad page", "Bad page",
	"general protection fault", "kernel BUG", "Call Trace:",
	"UBSAN:", "KASAN:", "KFENCE:", "list_add corruption", "list_del corruption",
	"page dumped because", "EXT4-fs error", "EXT4-fs warning",
	"BTRFS error", "BTRFS critical", "Corruption", "metadata I/O error",
	"I/O error", "Buffer I/O error", "does not have buffers attached",
	"csum failed", "hung_task", "blocked for more than", "soft lockup",
	"rcu_sched detected stall", "rcu: INFO",
};

int kmsg_line_bad(const char *msg)
{
	size_t i;

	for (i = 0; i < sizeof(bad_words) / sizeof(bad_words[0]); i++)
		if (strstr(msg, bad_words[i]))
			return 1;
	return 0;
}

/* What a report of an injected IO error may never say. */
static const char *const never_injected[] = {
	"WARNING:", "BUG", "Oops", "bad page", "Bad page", "general protection fault",
	"Call Trace:", "UBSAN:", "KASAN:", "KFENCE:", "corruption", "Corruption",
	"page dumped because", "EXT4-fs error", "metadata I/O error", "csum failed",
	"does not have buffers attached", "hung_task", "blocked for more than", "soft lockup",
	"rcu", "critical",
};

int kmsg_line_injected(const char *msg, const char *dev)
{
	char name[40], forms[4][64];
	size_t i;

	if (!dev || !*dev)
		return 0;
	snprintf(name, sizeof(name), "%s", strncmp(dev, "/dev/", 5) ? dev : dev + 5);
	for (i = 0; i < sizeof(never_injected) / sizeof(never_injected[0]); i++)
		if (strstr(msg, never_injected[i]))
			return 0;
	if (!strstr(msg, "error") && !strstr(msg, "errs:"))
		return 0;
	/* a device error count: only reads, writes and flushes failed, no
	 * checksum nor generation went wrong */
	if (strstr(msg, "errs:") && !strstr(msg, "corrupt 0, gen 0"))
		return 0;
	snprintf(forms[0], sizeof(forms[0]), "dev %s,", name);
	snprintf(forms[1], sizeof(forms[1]), "dev %s ", name);
	snprintf(forms[2], sizeof(forms[2]), "(device %s)", name);
	snprintf(forms[3], sizeof(forms[3]), "/dev/%s ", name);
	for (i = 0; i < 4; i++)
		if (strstr(msg, forms[i]))
			return 1;
	return 0;
}

/* One record: "prio,seq,usec,flags[,more];message\n" plus continuation
 * lines starting with a space (key=value dictionary). */
static int record(const char *rec, struct strbuf *bad, struct strbuf *all)
{
	const char *msg = strchr(rec, ';');
	const char *end;
	int len;

	msg = msg ? msg + 1 : rec;
	end = strchr(msg, '\n');
	len = end ? (int)(end - msg) : (int)strlen(msg);
	if (all)
		sb_addf(all, "%.*s\n", len, msg);
	{
		char line[1024];

		snprintf(line, sizeof(line), "%.*s", len, msg);
		if (!kmsg_line_bad(line))
			return 0;
	}
	if (bad)
		sb_addf(bad, "%.*s\n", len, msg);
	return 1;
}

int kmsg_collect(struct kmsg *k, struct strbuf *bad, struct strbuf *all)
{
	char buf[8192 + 1];
	int nbad = 0;
	struct strbuf pending = { 0 };

	for (;;) {
		ssize_t n = read(k->fd, buf, sizeof(buf) - 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten: go on from the next */
		if (n < 0 && errno != EAGAIN) {
			sb_free(&pending);
			return -1;
		}
		if (n <= 0)
			break;
		buf[n] = 0;
		/* /dev/kmsg gives one record per read; a file gives many lines. */
		sb_addf(&pending, "%s", buf);
	}
	if (pending.s) {
		char *line = pending.s, *nl;

		while (*line) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			if (*line && *line != ' ')
				nbad += record(line, bad, all);
			if (!nl)
				break;
			line = nl + 1;
		}
	}
	sb_free(&pending);
	return nbad;
}
