/* acct: process accounting on to the FUSE daemon's file "acct"; a child
 * named CHILD_COMM exits with ACCT_EXIT; the kernel appends its record
 * (__kernel_write: an ITER_KVEC direct write through FUSE). */
#include "fused.h"
#include "result.h"
#include "target_fuse.h"

#include <stdio.h>
#include <string.h>
#include <sys/acct.h>
#include <sys/prctl.h>
#include <unistd.h>

#define CHILD_COMM "iovbed-acct"
#define ACCT_EXIT 7
#define CHILD_WAIT_MS 10000
#define RECS_MAX (64 * 1024)

static int acct_path(struct target *t, char *path, size_t len, char *err)
{
	if (pathf(path, len, "%s/acct", fuse_mount(t)) < 0) {
		errf(err, "acct path");
		return -1;
	}
	return 0;
}

static int acct_run(struct target *t, struct kio_out *out, char *err)
{
	char path[PATH_MAX + 8];
	pid_t pid;
	int n, status = 0;

	if (fuse_command(t, "reset", err) < 0 || acct_path(t, path, sizeof(path), err) < 0)
		return -1;
	if (acct(path) < 0) {
		errf(err, "acct(%s)", path);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NAME, CHILD_COMM);
		_exit(ACCT_EXIT);
	}
	n = pid < 0 ? -1 : wait_child(pid, &status, CHILD_WAIT_MS, err);
	out->note = status;	/* the child's exit code is in its record too */
	if (pid < 0)
		errf(err, "fork");
	if (acct(NULL) < 0 && n == 0) {
		errf(err, "acct(NULL)");
		n = -1;
	}
	return n;
}

/* The child's record among n bytes of records: 0 found with its exit
 * code, 1 not (why in out). */
static int find_record(const char *recs, int n, struct kio_out *out)
{
	int i, found = 0;
	unsigned code = 0;

	for (i = 0; i + (int)sizeof(struct acct_v3) <= n; i += (int)sizeof(struct acct_v3)) {
		const struct acct_v3 *a = (const struct acct_v3 *)(recs + i);

		if (a->ac_version != 3) {
			sb_addf(out->diag, "kvec: acct record at %d has version %d, expected 3 (the "
				"kernel wrote wrong bytes)\n", i, a->ac_version);
			return 1;
		}
		if (!strncmp(a->ac_comm, CHILD_COMM, sizeof(a->ac_comm))) {
			/* the kernel records the exit code as a wait status */
			found = a->ac_exitcode == ACCT_EXIT << 8 ? 2 : 1;
			code = a->ac_exitcode;
		}
	}
	if (found == 2)
		return 0;
	sb_addf(out->diag, "kvec: no acct record of %s with exit code %d in %d bytes (%s %u)\n",
		CHILD_COMM, ACCT_EXIT, n, found ? "a record with exit code" : "no record of the child",
		code);
	return 1;
}

static int acct_verify(struct target *t, struct kio_out *out, char *err)
{
	static char recs[RECS_MAX];
	char path[PATH_MAX + 8], log[FUSED_LOG_MAX + 1];
	int n;

	if (acct_path(t, path, sizeof(path), err) < 0)
		return -1;
	n = read_file(path, recs, sizeof(recs), err);
	if (n < 0)
		return -1;
	if (find_record(recs, n, out)) {
		out->failed = CHK_DATA;
		return 1;
	}
	if (fuse_request_log(t, log, sizeof(log), err) < 0)
		return -1;
	if (!strstr(log, "WRITE acct ")) {
		sb_addf(out->diag, "kvec: the daemon saw no WRITE to acct; its log: %s\n",
			*log ? log : "(empty)");
		out->failed = CHK_REACHED;
		return 1;
	}
	sb_addf(out->diag, "kvec: %d bytes of acct records, %s's found; daemon log: %s", n,
		CHILD_COMM, log);
	return 0;
}

const struct kernel_io kio_acct = {
	.name = "acct",
	.buf = "kvec",
	.desc = "acct(2) to the file: the kernel appends a record at exit",
	.dir = DIR_WRITE,
	.flavour = kvec_flavour,
	.run = acct_run,
	.verify = acct_verify,
};
