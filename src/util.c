/* Small helpers: strings, files, commands, hashing. */
#include "util.h"
#include "iovbed.h"

#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = (sb->cap ? sb->cap * 2 : 256);
		char *s;

		while (cap < sb->len + n + 1)
			cap *= 2;
		s = realloc(sb->s, cap);
		if (!s)
			return;
		sb->s = s;
		sb->cap = cap;
	}
	vsnprintf(sb->s + sb->len, n + 1, fmt, ap);
	sb->len += n;
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

void sb_free(struct strbuf *sb)
{
	free(sb->s);
	sb->s = NULL;
	sb->len = sb->cap = 0;
}

const char *sb_str(const struct strbuf *sb)
{
	return sb->s ? sb->s : "";
}

void sb_json_str(struct strbuf *sb, const char *s)
{
	sb_addf(sb, "\"");
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			sb_addf(sb, "\\%c", c);
		else if (c < 0x20)
			sb_addf(sb, "\\u%04x", c);
		else
			sb_addf(sb, "%c", c);
	}
	sb_addf(sb, "\"");
}

void errf(char *err, const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	size_t n;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, ERRLEN, fmt, ap);
	va_end(ap);
	n = strlen(err);
	if (e && n + 3 < ERRLEN)
		snprintf(err + n, ERRLEN - n, ": %s", strerror(e));
	errno = e;
}

/* splitmix64's finaliser: a bijection on 64-bit words. */
uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t unxorshift(uint64_t x, unsigned s)
{
	uint64_t r = x;
	unsigned i;

	for (i = s; i < 64; i += s)
		r = x ^ (r >> s);
	return r;
}

/* The inverse of mix64: lets a found pattern word name its own offset. */
uint64_t unmix64(uint64_t x)
{
	x = unxorshift(x, 31);
	x *= 0x319642b2d24d8ec3ULL;	/* inverse of 0x94d049bb133111eb */
	x = unxorshift(x, 27);
	x *= 0x96de1b173f119089ULL;	/* inverse of 0xbf58476d1ce4e5b9 */
	x = unxorshift(x, 30);
	return x;
}

int list_has(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while (p && (p = strstr(p, word))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

int pathf(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int write_file(const char *path, const char *s, char *err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		errf(err, "open %s", path);
		return -1;
	}
	n = write(fd, s, strlen(s));
	if (n < 0) {
		errf(err, "write '%s' to %s", s, path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int read_file(const char *path, char *buf, size_t len, char *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		errf(err, "open %s", path);
		return -1;
	}
	n = read(fd, buf, len - 1);
	if (n < 0) {
		errf(err, "read %s", path);
		close(fd);
		return -1;
	}
	buf[n] = 0;
	close(fd);
	return (int)n;
}

void sb_add_file(struct strbuf *out, const char *prefix, const char *path)
{
	char buf[4096], err[ERRLEN], *p, *nl;

	if (read_file(path, buf, sizeof(buf), err) < 0) {
		sb_addf(out, "%s: %s\n", prefix, err);
		return;
	}
	for (p = buf; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		sb_addf(out, "%s: %s\n", prefix, p);
		if (!nl)
			break;
	}
}

long long read_ll(const char *path, char *err)
{
	char buf[64], *end;
	long long v;

	if (read_file(path, buf, sizeof(buf), err) < 0)
		return -1;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (end == buf) {
		errno = 0;
		errf(err, "%s: not a number: '%s'", path, buf);
		return -1;
	}
	return v;
}

/* Run a command, its stdout and stderr into out; 0 if it exited 0. */
int run_cmd_status(char *const argv[], char *out, size_t outlen, char *err)
{
	int pfd[2], status;
	size_t got = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		errf(err, "pipe");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		errf(err, "fork");
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		dup2(devnull, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char tmp[1024];
		ssize_t n = read(pfd[0], tmp, sizeof(tmp));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out && got + 1 < outlen) {
			size_t k = (size_t)n < outlen - 1 - got ? (size_t)n : outlen - 1 - got;

			memcpy(out + got, tmp, k);
			got += k;
		}
	}
	if (out && outlen)
		out[got] = 0;
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			errf(err, "waitpid %s", argv[0]);
			return -1;
		}
	errno = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		errf(err, "%s: not found or not executable", argv[0]);
		return -1;
	}
	if (!WIFEXITED(status)) {
		errf(err, "%s was killed by signal %d", argv[0], WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

int run_cmd(char *const argv[], char *out, size_t outlen, char *err)
{
	int st = run_cmd_status(argv, out, outlen, err);

	if (st <= 0)
		return st;
	errno = 0;
	errf(err, "%s exited with status %d%s%s", argv[0], st, out && *out ? ": " : "",
	     out ? out : "");
	return -1;
}

int mkdir_p(const char *path, char *err)
{
	char tmp[4096], *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST) {
			errf(err, "mkdir %s", tmp);
			return -1;
		}
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST) {
		errf(err, "mkdir %s", tmp);
		return -1;
	}
	return 0;
}

/* Remove a tree; never crosses into a mounted filesystem. */
int rm_rf(const char *path)
{
	struct stat st, sub;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char child[4096];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		if (lstat(child, &sub) == 0 && S_ISDIR(sub.st_mode) && sub.st_dev != st.st_dev) {
			ret = -1;	/* a mount point: leave it */
			continue;
		}
		if (rm_rf(child) < 0)
			ret = -1;
	}
	closedir(d);
	if (rmdir(path) < 0)
		ret = -1;
	return ret;
}

void fmt_size(char *out, size_t outlen, size_t n)
{
	if (n && n % (1024UL * 1024) == 0)
		snprintf(out, outlen, "%zum", n / (1024UL * 1024));
	else if (n && n % 1024 == 0)
		snprintf(out, outlen, "%zuk", n / 1024);
	else
		snprintf(out, outlen, "%zu", n);
}

/* "512", "4k", "64K", "1m", "4M": bytes. */
int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	{
		unsigned long long unit = 1;

		switch (*end) {
		case 'k': case 'K': unit = 1024; end++; break;
		case 'm': case 'M': unit = 1024 * 1024; end++; break;
		case 'g': case 'G': unit = 1024ULL * 1024 * 1024; end++; break;
		}
		if (*end || v > (unsigned long long)SIZE_MAX / unit)
			return -1;
		v *= unit;
	}
	*out = v;
	return 0;
}

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n <= 0)
			return n < 0 && !done ? -1 : (ssize_t)done;
		done += n;
	}
	return done;
}

ssize_t write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, (const char *)buf + done, len - done);
		if (n <= 0)
			return -1;
		done += n;
	}
	return done;
}

int have_command(const char *name)
{
	const char *env = getenv("PATH");
	char dirs[4096], *save = NULL, *d, p[PATH_MAX];

	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", env ? env : "/usr/bin:/bin");
	for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save))
		if (*d && snprintf(p, sizeof(p), "%s/%s", d, name) < (int)sizeof(p) &&
		    access(p, X_OK) == 0)
			return 1;
	return 0;
}

void unmount(const char *mnt)
{
	if (umount2(mnt, 0) < 0)
		umount2(mnt, MNT_DETACH);
}

/* Wait until the child has exited (or ms pass): a pidfd becomes readable
 * when it does, so the wait costs no polling. */
static void wait_exit(pid_t pid, int ms)
{
	struct pollfd p = { .events = POLLIN };

	p.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (p.fd < 0) {
		sleep_ms(ms);
		return;
	}
	while (poll(&p, 1, ms) < 0 && errno == EINTR)
		;
	close(p.fd);
}

int stop_child(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	wait_exit(pid, 3000);
	if (waitpid(pid, &status, WNOHANG) == pid)
		return 0;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 1;
}

int wait_child(pid_t pid, int *status, unsigned ms, char *err)
{
	unsigned waited = 0;

	while (waitpid(pid, status, WNOHANG) == 0) {
		if (waited >= ms) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			errno = ETIMEDOUT;
			errf(err, "child %d did not finish in %u ms", (int)pid, ms);
			return -1;
		}
		sleep_ms(5);
		waited += 5;
	}
	return 0;
}

int numa_nodes(void)
{
	char buf[256], *p = buf;
	int lo, hi, n = 0;
	FILE *f = fopen("/sys/devices/system/node/online", "re");

	if (!f)
		return 1;
	if (!fgets(buf, sizeof(buf), f))
		*buf = 0;
	fclose(f);
	while (*p) {
		if (sscanf(p, "%d-%d", &lo, &hi) == 2)
			n += hi - lo + 1;
		else if (sscanf(p, "%d", &lo) == 1)
			n++;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return n ? n : 1;
}

int built_without(const char *lib, const char *flag, char *why)
{
	snprintf(why, ERRLEN, "built without %s (configure --without-%s)", lib, flag);
	return SETUP_SKIP;
}
