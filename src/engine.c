/* The engine table and helpers shared by engines. */
#include "engine.h"

const struct engine_ops *const engine_table[] = {
	&engine_sync, &engine_vector, &engine_vector1,
	&engine_uring, &engine_uring_vec, &engine_uring_fixed,
	&engine_aio, &engine_aio_vec,
	&engine_splice_in, &engine_splice_out, &engine_vmsplice_in, &engine_vmsplice_gift,
	&engine_vmsplice_mod, &engine_sendfile_out, &engine_sendfile_in, &engine_sendfile_tcp,
	&engine_copy_range_out, &engine_copy_range_in,
	&engine_exec, &engine_acct, &engine_finit_module, &engine_discard,
	&engine_discard_answered,
	&engine_cow_vmsplice, &engine_dirty_pipe, &engine_uring_fork, &engine_dio_fork,
};
const size_t engine_count = sizeof(engine_table) / sizeof(engine_table[0]);

/* Unequal segments, so a misplaced segment cannot look right: the first
 * is one align unit, the rest share what is left. */
int iov_split(void *buf, size_t len, unsigned align, int max_segs, struct iovec *iov)
{
	size_t units = len / align, left = len;
	char *p = buf;
	int n = max_segs, i;

	if ((size_t)n > units)
		n = units;
	if (n < 1 || len % align)
		n = 1;
	for (i = 0; i < n; i++) {
		size_t sz;

		if (i == n - 1)
			sz = left;
		else if (i == 0)
			sz = align;
		else
			sz = (left / (n - i)) / align * align;
		iov[i].iov_base = p;
		iov[i].iov_len = sz;
		p += sz;
		left -= sz;
	}
	return n;
}
