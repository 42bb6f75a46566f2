/* The run's sleeping threads and their kernel stacks, for the report of a
 * hang (the watchdog's and a stuck disturber's). */
#include "stress.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

/* Every thread of the run, with its syscall and kernel stack: a stuck op
 * often waits for a lock (the mmap_lock) that another thread of the same
 * process holds, a disturber's or an io_uring worker's, and that holder
 * may be running (in the 6.1 guest a worker waited in a page fault while
 * every sleeping thread held nothing: the holder was one not listed). */
void threads_dump(struct strbuf *d)
{
	char path[300], state[256], what[300];
	struct dirent *de;
	DIR *dir = opendir("/proc/self/task");

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", de->d_name);
		if (read_file(path, state, sizeof(state), NULL) <= 0 || !strchr(state, ')'))
			continue;
		snprintf(what, sizeof(what), "thread %s", de->d_name);
		sb_addf(d, "%s: %.*s\n", what, (int)strcspn(state, "\n"), state);
		snprintf(path, sizeof(path), "/proc/self/task/%s/syscall", de->d_name);
		sb_add_file(d, what, path);
		snprintf(path, sizeof(path), "/proc/self/task/%s/stack", de->d_name);
		sb_add_file(d, what, path);
	}
	closedir(dir);
}
