/* The run's swap file: fallocate, mkswap, swapon; swapoff and unlink. */
#include "swapfile.h"
#include "iovbed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/swap.h>
#include <unistd.h>

static int skip(int *state, char *err, const char *what, const char *path)
{
	errf(err, "%s %s", what, path);
	*state = SETUP_SKIP;
	return -1;
}

int swapfile_on(const char *path, long long bytes, int *state, char *err)
{
	char *argv[] = { "mkswap", (char *)path, NULL }, out[512];
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	*state = SETUP_BROKEN;
	if (fd < 0) {
		errf(err, "create %s", path);
		return -1;
	}
	/* swapon refuses a file with holes: its blocks must all exist */
	if (fallocate(fd, 0, 0, bytes) < 0) {
		close(fd);
		unlink(path);
		return skip(state, err, "fallocate (the scratch filesystem cannot hold a swap file)",
			    path);
	}
	close(fd);
	if (run_cmd(argv, out, sizeof(out), err) < 0) {
		unlink(path);
		return -1;
	}
	if (swapon(path, 0) < 0) {
		int e = errno;

		unlink(path);
		errno = e;
		if (e == ENOSYS)
			return skip(state, err, "swapon (no swap in this kernel: CONFIG_SWAP)", path);
		if (e == EINVAL)
			return skip(state, err, "swapon (the scratch filesystem cannot hold a "
				    "swap file)", path);
		errf(err, "swapon %s", path);
		return -1;
	}
	return 0;
}

void swapfile_off(const char *path)
{
	if (!*path)
		return;
	swapoff(path);
	unlink(path);
}

/* /proc/swaps escapes blanks and backslashes as \ooo. */
static void unescape(char *s)
{
	char *o = s;
	unsigned v;

	for (; *s; s++) {
		if (*s == '\\' && sscanf(s + 1, "%3o", &v) == 1) {
			*o++ = (char)v;
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

void swap_off_below(const char *dir, struct strbuf *log)
{
	char line[4096], path[4096];
	size_t n = strlen(dir);
	FILE *f = fopen("/proc/swaps", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%4095s", path) != 1 || *path != '/')
			continue;
		unescape(path);
		if (strncmp(path, dir, n) || path[n] != '/')
			continue;
		if (swapoff(path) == 0 && log)
			sb_addf(log, "reclaim: swapoff %s\n", path);
		unlink(path);
	}
	fclose(f);
}
