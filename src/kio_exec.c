/* exec: the kernel reads the #! line of the FUSE daemon's "script" itself
 * (kernel_read into the exec buffer: an ITER_KVEC direct read through
 * FUSE). The line runs env -S sh -c 'exit 42': no user space reads the
 * file, so the exit status proves the kernel got the right bytes, and the
 * daemon's request log shows the request came. */
#include "fused.h"
#include "result.h"
#include "target_fuse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_WAIT_MS 10000

static int exec_run(struct target *t, struct kio_out *out, char *err)
{
	char script[PATH_MAX + 8];
	pid_t pid;

	if (fuse_command(t, "reset", err) < 0)
		return -1;
	if (pathf(script, sizeof(script), "%s/script", fuse_mount(t)) < 0) {
		errf(err, "script path");
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		errf(err, "fork");
		return -1;
	}
	if (pid == 0) {
		char *argv[] = { script, NULL }, *envp[] = { "PATH=/usr/bin:/bin", NULL };

		execve(script, argv, envp);
		_exit(127);
	}
	{
		int status, r = wait_child(pid, &status, CHILD_WAIT_MS, err);

		out->note = status;
		return r;
	}
}

static int exec_verify(struct target *t, struct kio_out *out, char *err)
{
	char log[FUSED_LOG_MAX + 1];

	int status = (int)out->note;

	if (!WIFEXITED(status) || WEXITSTATUS(status) != FUSED_SCRIPT_STATUS) {
		sb_addf(out->diag, "kvec: executing the script gave wait status %#x, expected exit "
			"%d (the #! line the kernel read was wrong, or the exec failed)\n",
			status, FUSED_SCRIPT_STATUS);
		out->failed = CHK_DATA;
		return 1;
	}
	if (fuse_request_log(t, log, sizeof(log), err) < 0)
		return -1;
	if (!strstr(log, "READ script off 0 ")) {
		sb_addf(out->diag, "kvec: the daemon saw no READ of script at offset 0 (the "
			"kernel's read of the #! line did not come through FUSE); its log: %s\n",
			*log ? log : "(empty)");
		out->failed = CHK_REACHED;
		return 1;
	}
	sb_addf(out->diag, "kvec: exit %d; daemon log: %s", FUSED_SCRIPT_STATUS, log);
	return 0;
}

const struct kernel_io kio_exec = {
	.name = "exec",
	.buf = "kvec",
	.desc = "execve of a #! script: the kernel reads its first line",
	.dir = DIR_READ,
	.flavour = kvec_flavour,
	.run = exec_run,
	.verify = exec_verify,
};
