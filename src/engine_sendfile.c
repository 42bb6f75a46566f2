/* sendfile-out: sendfile(O_DIRECT file -> memfd), the memfd read into the
 * buffer. sendfile-in: the buffer written into a memfd, sendfile(memfd ->
 * O_DIRECT file). sendfile-tcp: sendfile(O_DIRECT file -> TCP socket on
 * 127.0.0.1), received into the buffer. do_splice_direct moves the data
 * through a pipe: the direct IO sees kernel pages. */
#include "engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

static int memfd(struct io_req *rq)
{
	int fd = memfd_create("iovbed-sendfile", MFD_CLOEXEC);

	if (fd < 0) {
		errf(rq->err, "memfd_create");
		rq->bed_error = 1;
	}
	return fd;
}

/* rq->len bytes: sendfile moves at most about 2 GiB and may stop short. */
static ssize_t send_all(int out, int in, off_t *off, struct io_req *rq, const char *what)
{
	size_t done = 0;
	ssize_t n;

	while (done < rq->len) {
		n = sendfile(out, in, off, rq->len - done);
		if (n < 0) {
			errf(rq->err, "sendfile(%s, %zu bytes)", what, rq->len - done);
			return -1;
		}
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

static ssize_t sendfile_out_run(struct io_req *rq)
{
	int m = memfd(rq);
	off_t off = rq->off;
	ssize_t n;

	if (m < 0)
		return -1;
	n = send_all(m, rq->fd, &off, rq, "O_DIRECT file -> memfd");
	if (n > 0 && pread(m, rq->buf, n, 0) != n) {
		errf(rq->err, "pread %zd bytes from the memfd", n);
		rq->bed_error = 1;
		n = -1;
	}
	close(m);
	return n;
}

/* sendfile writes at the output's file position, which all threads
 * sharing the descriptor move: a stress run's workers share the target's.
 * Seek and send under one lock, or another worker's seek puts the data
 * elsewhere (seed 13 on loop-nodio: a 512-byte write missing at its
 * offset, a sector of another offset's data at another). */
static pthread_mutex_t file_position = PTHREAD_MUTEX_INITIALIZER;

static ssize_t send_at(struct io_req *rq, int m)
{
	off_t in = 0;
	ssize_t n = -1;

	pthread_mutex_lock(&file_position);
	if (lseek(rq->fd, rq->off, SEEK_SET) != rq->off) {
		errf(rq->err, "lseek to %lld", (long long)rq->off);
		rq->bed_error = 1;
	} else {
		n = send_all(rq->fd, m, &in, rq, "memfd -> O_DIRECT file");
	}
	pthread_mutex_unlock(&file_position);
	return n;
}

static ssize_t sendfile_in_run(struct io_req *rq)
{
	int m = memfd(rq);
	ssize_t n = -1;

	if (m < 0)
		return -1;
	if (pwrite(m, rq->buf, rq->len, 0) != (ssize_t)rq->len) {
		errf(rq->err, "pwrite %zu bytes into the memfd", rq->len);
		rq->bed_error = 1;
	} else {
		n = send_at(rq, m);
	}
	close(m);
	return n;
}

struct receiver {
	int sock;
	char *buf;
	size_t len, got;
	int error;
};

static void *receive(void *arg)
{
	struct receiver *r = arg;
	ssize_t n;

	while (r->got < r->len) {
		n = recv(r->sock, r->buf + r->got, r->len - r->got, 0);
		if (n <= 0) {
			r->error = n < 0 ? errno : 0;
			/* the sender must not wait for a reader that is gone (a
			 * buffer unmapped under a stress run: EFAULT): closed with
			 * data unread, the socket resets the connection and the
			 * sender's sendfile fails (shutdown alone left it waiting
			 * for window space forever: a stress run hung in CI) */
			close(r->sock);
			r->sock = -1;
			break;
		}
		r->got += n;
	}
	return NULL;
}

/* A connected pair of TCP sockets over 127.0.0.1. */
static int tcp_pair(int *snd, int *rcv, struct io_req *rq)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*snd = *rcv = -1;
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &alen) < 0) {
		errf(rq->err, "listen on 127.0.0.1");
		goto fail;
	}
	*snd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*snd < 0 || connect(*snd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		errf(rq->err, "connect to 127.0.0.1:%d", ntohs(a.sin_port));
		goto fail;
	}
	*rcv = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (*rcv < 0) {
		errf(rq->err, "accept on 127.0.0.1");
		goto fail;
	}
	close(l);
	return 0;
fail:
	rq->bed_error = 1;
	if (l >= 0)
		close(l);
	if (*snd >= 0)
		close(*snd);
	return -1;
}

static ssize_t sendfile_tcp_run(struct io_req *rq)
{
	struct receiver r = { -1, rq->buf, rq->len, 0, 0 };
	off_t off = rq->off;
	pthread_t th;
	int snd;
	ssize_t n;

	if (tcp_pair(&snd, &r.sock, rq) < 0)
		return -1;
	if (pthread_create(&th, NULL, receive, &r)) {
		errf(rq->err, "pthread_create");
		rq->bed_error = 1;
		close(snd);
		close(r.sock);
		return -1;
	}
	n = send_all(snd, rq->fd, &off, rq, "O_DIRECT file -> TCP socket");
	shutdown(snd, SHUT_WR);
	pthread_join(th, NULL);
	close(snd);
	if (r.sock >= 0)
		close(r.sock);
	if (n < 0)
		return -1;
	if (r.got != (size_t)n) {
		errno = r.error;
		errf(rq->err, "sent %zd bytes over 127.0.0.1, received %zu", n, r.got);
		rq->bed_error = 1;
		return -1;
	}
	return n;
}

const struct engine_ops engine_sendfile_out = {
	.name = "sendfile-out",
	.desc = "sendfile(file -> memfd), read the memfd",
	.flags = ENG_READS | ENG_KERNEL_PAGES,
	.max_segs = 1,
	.flavour = splice_read_flavour,
	.flavour_buffered = splice_read_buffered_flavour,
	.run = sendfile_out_run,
};

const struct engine_ops engine_sendfile_in = {
	.name = "sendfile-in",
	.desc = "write a memfd, sendfile(memfd -> file)",
	.flags = ENG_WRITES | ENG_KERNEL_PAGES,
	.max_segs = 1,
	.flavour = splice_write_flavour,
	.run = sendfile_in_run,
};

const struct engine_ops engine_sendfile_tcp = {
	.name = "sendfile-tcp",
	.desc = "sendfile(file -> TCP socket on 127.0.0.1), recv",
	.flags = ENG_READS | ENG_KERNEL_PAGES,
	.max_segs = 1,
	.flavour = splice_read_flavour,
	.flavour_buffered = splice_read_buffered_flavour,
	.run = sendfile_tcp_run,
};
