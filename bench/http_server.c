// SPDX-License-Identifier: MIT
/*
 * The C server of bench/net_cost: the least work an HTTP/1.x keep-alive
 * server can do (one thread, epoll, read(), write(), a fixed 200 for every
 * request), so that beside the Node relay the load generator's rate shows
 * what synctrace adds to each read and write rather than to JavaScript.
 *
 *   http_server           listens on 127.0.0.1, an ephemeral port
 *
 * Prints {"port": P, "pid": PID} once listening; on SIGTERM or SIGINT prints
 * its own truth, {"requests": N, "connections": C}, and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 4096
#define BUF_SIZE 4096

static const char response[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			       "Connection: keep-alive\r\nContent-Length: 11\r\n\r\n{\"id\": 42}\n";

struct conn {
	char buf[BUF_SIZE];
	size_t len;
};

static struct conn *conns[MAX_FDS];
static volatile sig_atomic_t stop;
static unsigned long nr_requests, nr_connections;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void drop(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(conns[fd]);
	conns[fd] = NULL;
}

/* answer every whole request head in the buffer (keep-alive, pipelined);
 * requests have no body (GET): a head ends at the blank line */
static int serve(int fd, struct conn *c)
{
	char out[16 * sizeof(response)];
	size_t start = 0, n_out = 0;
	char *end;

	while ((end = memmem(c->buf + start, c->len - start, "\r\n\r\n", 4))) {
		start = (size_t)(end - c->buf) + 4;
		nr_requests++;
		if (n_out + sizeof(response) - 1 > sizeof(out)) {
			if (write(fd, out, n_out) != (ssize_t)n_out)
				return -1;
			n_out = 0;
		}
		memcpy(out + n_out, response, sizeof(response) - 1);
		n_out += sizeof(response) - 1;
	}
	memmove(c->buf, c->buf + start, c->len - start);
	c->len -= start;
	if (c->len == sizeof(c->buf))
		return -1;	/* a head longer than the buffer: not ours */
	if (n_out && write(fd, out, n_out) != (ssize_t)n_out)
		return -1;	/* loopback, small answers: a short write is an error */
	return 0;
}

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	struct epoll_event ev, evs[64];
	socklen_t len = sizeof(a);
	int l, ep, one = 1;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1024) ||
	    getsockname(l, (struct sockaddr *)&a, &len)) {
		perror("http_server: listen");
		return 1;
	}
	ep = epoll_create1(0);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = l };
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev)) {
		perror("http_server: epoll");
		return 1;
	}
	printf("{\"port\": %d, \"pid\": %d}\n", ntohs(a.sin_port), (int)getpid());
	fflush(stdout);

	while (!stop) {
		int n = epoll_wait(ep, evs, 64, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("http_server: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd, c;
			struct conn *cn;
			ssize_t r;

			if (fd == l) {
				while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					if (c >= MAX_FDS || !(conns[c] = calloc(1, sizeof(*conns[c])))) {
						close(c);
						continue;
					}
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
					nr_connections++;
				}
				continue;
			}
			cn = conns[fd];
			r = read(fd, cn->buf + cn->len, sizeof(cn->buf) - cn->len);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			cn->len += r > 0 ? (size_t)r : 0;
			if (r <= 0 || serve(fd, cn))
				drop(ep, fd);
		}
	}
	printf("{\"requests\": %lu, \"connections\": %lu}\n", nr_requests, nr_connections);
	return 0;
}
