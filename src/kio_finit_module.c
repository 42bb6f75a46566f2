/* finit-module: finit_module() on an O_DIRECT descriptor of the target's
 * file (pattern data, not a module). The kernel reads the whole file into
 * its own buffer (kernel_read_file: ITER_KVEC), then refuses it: ENOEXEC.
 * Any other result is reported. No pins may be taken. The file targets
 * with direct IO (iomap, FUSE, a handed-over directory) list it. */
#include "result.h"
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int finit_skip(int e, char *err)
{
	if (e == ENOSYS)
		snprintf(err, ERRLEN, "this kernel has no loadable modules (finit_module: ENOSYS)");
	else
		snprintf(err, ERRLEN, "module loading not permitted (finit_module: EPERM: no "
			 "CAP_SYS_MODULE, or kernel.modules_disabled = 1)");
	return 2;
}

static int finit_run(struct target *t, struct kio_out *out, char *err)
{
	int fd = open(t->path, O_RDONLY | O_DIRECT | O_CLOEXEC), e;
	long r;

	if (fd < 0) {
		errf(err, "open %s O_DIRECT", t->path);
		return -1;
	}
	r = syscall(SYS_finit_module, fd, "", 0);
	e = errno;
	close(fd);
	if (r == 0) {
		sb_addf(out->diag, "kvec: finit_module loaded %s, which holds no module\n", t->path);
		out->failed = CHK_IO;
		return 0;
	}
	if (e == ENOSYS || e == EPERM)
		return finit_skip(e, err);
	if (e == ENOEXEC) {
		sb_addf(out->diag, "kvec: finit_module read the file and refused it: ENOEXEC\n");
		return 0;
	}
	sb_addf(out->diag, "kvec: finit_module on %s failed with %s; ENOEXEC was due\n", t->path,
		strerror(e));
	out->failed = CHK_IO;
	out->errnum = e;
	return 0;
}

/* Measured on Debian's 6.1 (iovbed vm), gone on 6.18. */
static const struct known_bug finit_known[] = {
	{ "*/finit-module/kvec/read", PATH_IOMAP, CHK_IO, 0, EFAULT,
	  "iov_iter_get_pages() has no KVEC case: a kernel-buffer read with O_DIRECT "
	  "fails with EFAULT (iov_iter_extract_pages, used since the conversion, has one)", NULL },
	{ 0 },
};

const struct kernel_io kio_finit_module = {
	.name = "finit-module",
	.buf = "kvec",
	.desc = "finit_module() reads an O_DIRECT file into a kernel buffer",
	.dir = DIR_READ,
	.flavour = kvec_flavour,
	.run = finit_run,
	.known = finit_known,
};
