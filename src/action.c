/* The in-flight actions: what each does, and to which cases it applies. */
#include "action.h"
#include "buffer.h"

#define R (1u << DIR_READ)
#define W (1u << DIR_WRITE)
#define ANON (1u << BACKING_ANON)
#define SHM ((1u << BACKING_MEMFD) | (1u << BACKING_FILE))
#define FILEB (1u << BACKING_FILE)

const struct action_spec action_table[] = {
	{ ACT_CLEAN, "clean", R, FILEB, 1, 0, 0,
	  "clean the destination pages while the read is held: dirty again after", NULL },
	{ ACT_CLEAN_AFTER, "clean-after", R, FILEB, 1, 1, 0,
	  "self-test: clean the pages after completion: the dirty check must fail", NULL },
	{ ACT_FORK, "fork", R, ANON, 0, 0, 0,
	  "fork while held, the parent writes the page: data in the parent, not the child", NULL },
	{ ACT_MUNMAP, "munmap", R, ANON | SHM, 0, 0, 0,
	  "unmap the buffer while held: the read completes; file pages still get the data", NULL },
	{ ACT_DONTNEED, "dontneed", R, ANON | SHM, 0, 0, 0,
	  "MADV_DONTNEED while held: anonymous pages read zero after, file pages the data", NULL },
	{ ACT_MPROTECT, "mprotect", R, ANON | SHM, 0, 0, 0,
	  "mprotect(PROT_READ) while held: the data still arrives", NULL },
	{ ACT_COMPACT, "compact", R, ANON, 0, 0, 0,
	  "compact memory while held: pinned pages must not move; data verified", NULL },
	{ ACT_MIGRATE, "move-pages", R, ANON, 0, 0, 0,
	  "move_pages to another node while held: data verified", NULL },
	{ ACT_ABORT, "abort", R | W, ANON, 0, 0, 1,
	  "abort the connection while held: the IO fails, pins balanced", NULL },
	{ ACT_KILL, "kill", R | W, ANON, 0, 0, 1,
	  "SIGKILL the daemon while held: the IO fails, pins balanced", NULL },
	{ ACT_EIO, "eio", R | W, ANON | SHM, 0, 0, 0,
	  "the request is answered with EIO: the caller sees EIO", NULL },
	{ ACT_SHORT, "short", R, ANON | SHM, 0, 0, 0,
	  "the read is answered 4096 bytes short: the caller sees the short count", NULL },
	{ ACT_DELAY, "delay", R | W, ANON | SHM, 0, 0, 0,
	  "the answer is delayed 300 ms: the IO completes normally", NULL },
	{ ACT_STUCK, "stuck", R, ANON, 0, 1, 0,
	  "self-test: the request is never answered: the case timeout must report it", NULL },
	{ ACT_MODIFY, "modify", W, ANON | SHM, 0, 0, 0,
	  "the caller changes the buffer while its direct write is in flight: no warning, "
	  "the server got the bytes of submission time", "O_DIRECT write from a buffer "
	  "changed in flight" },
};
const size_t action_count = sizeof(action_table) / sizeof(action_table[0]);

const struct action_spec *action_spec(enum action a)
{
	size_t i;

	for (i = 0; i < action_count; i++)
		if (action_table[i].a == a)
			return &action_table[i];
	return NULL;
}
