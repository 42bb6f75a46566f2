#ifndef IOVBED_UTIL_H
#define IOVBED_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A growing string for diagnostics. */
struct strbuf {
	char *s;
	size_t len, cap;
};
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
void sb_free(struct strbuf *sb);
const char *sb_str(const struct strbuf *sb);
/* s as a JSON string, quotes included. */
void sb_json_str(struct strbuf *sb, const char *s);

/* Error text for a failing call: "what: strerror". */
#define ERRLEN 512
void errf(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

uint64_t mix64(uint64_t x);
uint64_t unmix64(uint64_t x);
uint64_t hash_str(const char *s);
/* Is word one of the comma-separated words of list? */
int list_has(const char *list, const char *word);

/* snprintf for paths: -1 (ENAMETOOLONG) instead of a silent truncation. */
int pathf(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int write_file(const char *path, const char *s, char *err);
int read_file(const char *path, char *buf, size_t len, char *err);
/* read until len bytes, end of file or an error (-1 if nothing was read);
 * write all len bytes or -1. */
ssize_t read_full(int fd, void *buf, size_t len);
ssize_t write_full(int fd, const void *buf, size_t len);
/* Each line of a small file (or why it cannot be read) as "prefix: line". */
void sb_add_file(struct strbuf *out, const char *prefix, const char *path);
long long read_ll(const char *path, char *err);
int run_cmd(char *const argv[], char *out, size_t outlen, char *err);
/* ... its exit status (0..126), or -1 with err: it could not run or was
 * killed. */
int run_cmd_status(char *const argv[], char *out, size_t outlen, char *err);
int mkdir_p(const char *path, char *err);
int rm_rf(const char *path);
void fmt_size(char *out, size_t outlen, size_t n);
int parse_size(const char *s, size_t *out);
double now_sec(void);
/* SETUP_SKIP (as an int) with why: "built without LIB (configure
 * --without-FLAG)": a case that needs a library the build left out. */
int built_without(const char *lib, const char *flag, char *why);
/* Is there an executable of this name in $PATH (or /usr/sbin, /sbin)? */
int have_command(const char *name);
/* Unmount mnt, lazily if it is busy. */
void unmount(const char *mnt);
/* SIGTERM a child, reap it; SIGKILL if it has not gone within 3 s.
 * Returns 0 if SIGTERM ended it, 1 if it had to be killed. */
int stop_child(pid_t pid);
/* Wait for a child to end (SIGKILL it after ms): 0 with its wait status,
 * -1 with err if it had to be killed. */
int wait_child(pid_t pid, int *status, unsigned ms, char *err);
void sleep_ms(unsigned ms);
/* NUMA nodes online (1 if that cannot be read). */
int numa_nodes(void);

#endif
