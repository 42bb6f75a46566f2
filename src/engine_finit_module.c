/* finit-module: finit_module() on an O_DIRECT descriptor of the target's
 * file (pattern data, not a module). The kernel reads the whole file into
 * its own buffer (kernel_read_file: ITER_KVEC), then refuses it: ENOEXEC.
 * Any other result is reported. No pins may be taken. */
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int finit_run(const char *path, struct strbuf *diag, char *err)
{
	int fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	long r;

	if (fd < 0) {
		errf(err, "open %s O_DIRECT", path);
		return -1;
	}
	r = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	if (r == 0) {
		sb_addf(diag, "kvec: finit_module loaded %s, which holds no module\n", path);
		return 1;
	}
	switch (errno) {
	case ENOEXEC:
		sb_addf(diag, "kvec: finit_module read the file and refused it: ENOEXEC\n");
		return 0;
	case ENOSYS:
		snprintf(err, ERRLEN, "this kernel has no loadable modules (finit_module: ENOSYS)");
		return 2;
	case EPERM:
		snprintf(err, ERRLEN, "module loading not permitted (finit_module: EPERM: no "
			 "CAP_SYS_MODULE, or kernel.modules_disabled = 1)");
		return 2;
	default:
		sb_addf(diag, "kvec: finit_module on %s failed with %s; ENOEXEC was due\n", path,
			strerror(errno));
		return 1;
	}
}

const struct engine_ops engine_finit_module = {
	.name = "finit-module",
	.desc = "finit_module() reads an O_DIRECT file into a kernel buffer",
	.min_segs = 1,
	.max_segs = 1,
	.flavour = kvec_flavour,
	.kernel = 1,
	.kernel_dir = DIR_READ,
	.kernel_run = finit_run,
};
