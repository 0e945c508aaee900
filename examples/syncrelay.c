/* syncrelay: the sample sync engine synctrace traces (examples/README.md): a loopback relay
 * server, offline-first replica clients and a demo launcher, all one binary. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "synctrace/sdt.h"

#define NKEYS		64
#define MAX_CLIENTS	64

/*
 * The functions users trace. noclone as well as noinline: GCC may otherwise route calls to a
 * .constprop/.isra copy, and a uprobe on the real symbol would never fire.
 */
#ifdef __clang__
#define TRACEABLE __attribute__((noinline, used))
#else
#define TRACEABLE __attribute__((noinline, noclone, used))
#endif

/* Wire format: fixed-size structs in host byte order; both ends are this binary on loopback. */
enum { OP_PUSH = 1, OP_PULL = 2 };
enum { ST_OK = 0, ST_CONFLICT = 1 };

struct req {
	uint32_t op, client_id, key, pad;
	uint64_t value;
	uint64_t base_version;	/* push: the key's version the client last saw */
	uint64_t since_seq;	/* pull: the server sequence number the client last saw */
};

/*
 * Push: status, and the new version (OK) or the server's current one (CONFLICT).
 * Pull: count changes follow; seq is the server's head, the client's next since_seq.
 */
struct reply {
	uint32_t status, count;
	uint64_t version, seq;
};

struct change {
	uint32_t key, writer;
	uint64_t value, version;
};

static volatile sig_atomic_t stop;

/*
 * The USDT contract (include/synctrace/sdt.h), beside the plain functions: op_start/op_done
 * around a client's push and pull and the server's apply, conflict and the client's
 * connection state. This is the one file of the program that defines the semaphores.
 */
SYNCTRACE_SDT_DEFINE_SEMAPHORES

/*
 * A tracer pairs op_start with op_done by id alone, across processes, so ids are unique
 * host-wide: a client's carry its id in the high 32 bits (for client ids below 2^31) and its
 * own op count below; the server's set the top bit and count the pushes it handled.
 */
#define SERVER_OP_ID(n)	(1ull << 63 | (n))

/* The client connection's states, fired as synctrace:state("conn", value) on each change. */
enum conn_state { CONN_CONNECTING, CONN_SYNCING, CONN_RESOLVING, CONN_CLOSED };

/*
 * Ground truth for the tests, not part of adopting the contract: a probe is counted only
 * while its semaphore is up, i.e. while a tracer is attached and sees it fire. Exact when the
 * tracer attaches before the ops and detaches after. Server counts change under store.lock;
 * a client is one thread.
 */
struct usdt_op_count {
	uint64_t start, done, error;
};

static struct {
	struct usdt_op_count push, pull, apply;
	uint64_t conflict, state;
} usdt;

static void usdt_seen_start(struct usdt_op_count *c)
{
	if (SYNCTRACE_ENABLED(op_start))
		c->start++;
}

static void usdt_seen_done(struct usdt_op_count *c, long status)
{
	if (SYNCTRACE_ENABLED(op_done)) {
		c->done++;
		c->error += status != 0;
	}
}

/* Retries on EINTR so a stop signal never tears a message in half: the counts stay exact. */
static int read_full(int fd, void *buf, size_t len)
{
	for (char *p = buf; len;) {
		const ssize_t n = recv(fd, p, len, 0);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			p += n, len -= n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	for (const char *p = buf; len;) {
		const ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			p += n, len -= n;
	}
	return 0;
}

static void sleep_us(unsigned int us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = us % 1000000 * 1000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* xorshift64*: per-thread state, so no lock, and a client run is reproducible from --seed. */
static uint64_t rand64(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* A TCP socket on 127.0.0.1:port, listening or connected; -errno on failure. */
static int loopback_socket(int port, bool server)
{
	const struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	const struct sockaddr *sa = (const struct sockaddr *)&addr;
	const int one = 1;
	int fd, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	err = server ? bind(fd, sa, sizeof(addr)) ?: listen(fd, 64) : connect(fd, sa, sizeof(addr));
	if (err) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* ---- server ---------------------------------------------------------------------------- */

/*
 * One lock for the whole store: a push's version check and its durable write must be atomic,
 * and the contention is part of what the demo shows. Counters live under it, so they are exact.
 */
static struct {
	pthread_mutex_t lock;
	struct {
		uint64_t value, version;
		uint64_t seq;		/* store-wide sequence number of the last write */
		uint32_t writer;
	} e[NKEYS];
	uint64_t seq;
	uint64_t push, pull, apply, conflicts;
} store = { .lock = PTHREAD_MUTEX_INITIALIZER };

static __thread uint64_t server_rng;

/* Connection threads inside a request handler: the summary waits for them (relay_serve). */
static int handling;

/* serve --delay-us N: a slower disk on purpose, for regression gates (synctrace diff). */
static unsigned int apply_delay_us;

/*
 * Simulates a durable write (an fsync of a log record): 50-400 us, and about 1 in 200 takes
 * ~2 ms, so a latency histogram has a body and a tail; plus --delay-us. Called with
 * store.lock held.
 */
TRACEABLE uint64_t apply_change(uint32_t key, uint64_t value, uint32_t writer)
{
	const uint64_t r = rand64(&server_rng);

	sleep_us((r % 200 == 0 ? 2000 : 50 + (r >> 8) % 351) + apply_delay_us);
	store.e[key].value = value;
	store.e[key].seq = ++store.seq;
	store.e[key].writer = writer;
	store.apply++;
	return ++store.e[key].version;
}

/*
 * Conflict policy: first writer wins. A push with a stale base version is rejected and the
 * client re-pulls the winning value, so no write is lost or merged silently. The delay stands
 * in for logging the rejected write. Called with store.lock held.
 */
TRACEABLE uint64_t resolve_conflict(uint32_t key, uint64_t base_version, uint32_t writer)
{
	SYNCTRACE_CONFLICT("key", key);
	if (SYNCTRACE_ENABLED(conflict))
		usdt.conflict++;
	sleep_us(20 + rand64(&server_rng) % 61);
	store.conflicts++;
	return store.e[key].version;
}

TRACEABLE int relay_handle_push(int fd, const struct req *req)
{
	struct reply rep = { .status = ST_OK };
	uint64_t id;

	pthread_mutex_lock(&store.lock);
	store.push++;
	id = SERVER_OP_ID(store.push);
	SYNCTRACE_OP_START("apply", id);
	usdt_seen_start(&usdt.apply);
	if (req->base_version != store.e[req->key].version) {
		rep.status = ST_CONFLICT;
		rep.version = resolve_conflict(req->key, req->base_version, req->client_id);
	} else {
		rep.version = apply_change(req->key, req->value, req->client_id);
	}
	SYNCTRACE_OP_DONE("apply", id, rep.status);
	usdt_seen_done(&usdt.apply, rep.status);
	pthread_mutex_unlock(&store.lock);
	return write_full(fd, &rep, sizeof(rep));
}

/* Sends the latest state of each key written after since_seq: older versions collapse. */
TRACEABLE int relay_handle_pull(int fd, const struct req *req)
{
	struct {
		struct reply hdr;
		struct change ch[NKEYS];
	} rep = { .hdr.status = ST_OK };

	pthread_mutex_lock(&store.lock);
	store.pull++;
	rep.hdr.seq = store.seq;
	for (uint32_t k = 0; k < NKEYS; k++) {
		if (store.e[k].seq > req->since_seq)
			rep.ch[rep.hdr.count++] = (struct change){ k, store.e[k].writer,
				store.e[k].value, store.e[k].version };
	}
	pthread_mutex_unlock(&store.lock);
	return write_full(fd, &rep, sizeof(rep.hdr) + rep.hdr.count * sizeof(rep.ch[0]));
}

static void *serve_conn(void *arg)
{
	const int fd = (int)(intptr_t)arg;
	struct req req;
	int err = 0;

	server_rng = ((uint64_t)time(NULL) << 16 ^ (uint64_t)fd * 0x9e3779b97f4a7c15ull) | 1;
	/* EOF or a reset is a client going away: end quietly, it is not the server's failure. */
	while (!err && read_full(fd, &req, sizeof(req)) == 0) {
		__atomic_add_fetch(&handling, 1, __ATOMIC_SEQ_CST);
		if (req.op == OP_PUSH && req.key < NKEYS) {
			err = relay_handle_push(fd, &req);
		} else if (req.op == OP_PULL) {
			err = relay_handle_pull(fd, &req);
		} else {
			fprintf(stderr, "syncrelay: server: bad request (op %u, key %u) from client %u, dropping it\n",
				req.op, req.key, req.client_id);
			err = -EPROTO;
		}
		__atomic_sub_fetch(&handling, 1, __ATOMIC_SEQ_CST);
	}
	close(fd);
	return NULL;
}

static int relay_serve(int port)
{
	const int one = 1;
	int lfd, fd;
	pthread_t t;

	lfd = loopback_socket(port, true);
	if (lfd < 0) {
		fprintf(stderr, "syncrelay: server: cannot listen on 127.0.0.1:%d: %s (another server running? try another --port)\n",
			port, strerror(-lfd));
		return 1;
	}
	/* Poll with a timeout, not a blocking accept: the stop signal may land on any thread. */
	while (!stop) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (pthread_create(&t, NULL, serve_conn, (void *)(intptr_t)fd)) {
			fprintf(stderr, "syncrelay: server: cannot start a client thread, dropping the client\n");
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
	close(lfd);
	/*
	 * A handler whose reply is out (its client read it and is gone) may not have returned
	 * yet on a busy host: let it, so that every call the summary counts has returned, as a
	 * tracer that counts returns sees it. Bounded: a client still sending keeps one busy.
	 */
	for (int i = 0; i < 400 && __atomic_load_n(&handling, __ATOMIC_SEQ_CST); i++)
		sleep_us(5000);
	pthread_mutex_lock(&store.lock);
	fprintf(stderr, "{\"role\":\"server\",\"pid\":%d,\"push\":%lu,\"pull\":%lu,\"apply\":%lu,\"conflicts\":%lu,"
		"\"usdt\":{\"op_start:apply\":%lu,\"op_done:apply\":%lu,\"op_done:apply:error\":%lu,"
		"\"conflict\":%lu}}\n",
		getpid(), store.push, store.pull, store.apply, store.conflicts,
		usdt.apply.start, usdt.apply.done, usdt.apply.error, usdt.conflict);
	pthread_mutex_unlock(&store.lock);
	return 0;
}

/* ---- client: an offline-first replica --------------------------------------------------- */

struct replica {
	int fd;
	uint32_t id;
	uint64_t rng;
	uint64_t since;		/* the server sequence number of the last pull */
	struct {
		uint64_t value, version;
	} local[NKEYS];
	uint64_t push, pull, apply_remote, conflicts_seen;
	uint64_t ops;		/* pushes and pulls begun: the low half of their USDT ids */
	int state;		/* enum conn_state, -1 before the first */
};

/* Each op gets the next id, so a client's ids only grow; a push's is its mutation id. */
static uint64_t client_op_id(struct replica *r)
{
	return (uint64_t)r->id << 32 | (uint32_t)++r->ops;
}

/* Fires only on a change: setting the state it is already in is not a transition. */
static void conn_set_state(struct replica *r, enum conn_state st)
{
	if (r->state == (int)st)
		return;
	r->state = st;
	SYNCTRACE_STATE("conn", st);
	if (SYNCTRACE_ENABLED(state))
		usdt.state++;
}

/* A local store write: cheaper than the server's durable one, but not free. */
TRACEABLE void client_apply_remote(struct replica *r, const struct change *ch)
{
	sleep_us(10 + rand64(&r->rng) % 41);
	r->local[ch->key].value = ch->value;
	r->local[ch->key].version = ch->version;
	r->apply_remote++;
}

/* Returns 0 if the write was accepted, 1 on a conflict (the caller re-pulls), or -errno. */
TRACEABLE int client_push(struct replica *r, uint32_t key, uint64_t value)
{
	const struct req req = { .op = OP_PUSH, .client_id = r->id, .key = key, .value = value,
				 .base_version = r->local[key].version };
	const uint64_t id = client_op_id(r);
	struct reply rep;
	int err;

	SYNCTRACE_OP_START("push", id);
	usdt_seen_start(&usdt.push);
	err = write_full(r->fd, &req, sizeof(req)) ?: read_full(r->fd, &rep, sizeof(rep));
	if (err)
		goto done;
	r->push++;
	if (rep.status == ST_CONFLICT) {
		r->conflicts_seen++;
		err = 1;
		goto done;
	}
	r->local[key].value = value;
	r->local[key].version = rep.version;
done:
	/* Every op_start gets its op_done, a lost server included (status -errno). */
	SYNCTRACE_OP_DONE("push", id, err);
	usdt_seen_done(&usdt.push, err);
	return err;
}

TRACEABLE int client_pull(struct replica *r)
{
	const struct req req = { .op = OP_PULL, .client_id = r->id, .since_seq = r->since };
	const uint64_t id = client_op_id(r);
	struct reply hdr;
	struct change ch;
	int err;

	SYNCTRACE_OP_START("pull", id);
	usdt_seen_start(&usdt.pull);
	err = write_full(r->fd, &req, sizeof(req)) ?: read_full(r->fd, &hdr, sizeof(hdr));
	if (err)
		goto done;
	if (hdr.count > NKEYS) {
		err = -EPROTO;
		goto done;
	}
	for (uint32_t i = 0; i < hdr.count; i++) {
		err = read_full(r->fd, &ch, sizeof(ch));
		if (err)
			goto done;
		if (ch.key >= NKEYS) {
			err = -EPROTO;
			goto done;
		}
		/* Our own accepted pushes come back too; we already hold those. */
		if (ch.version > r->local[ch.key].version)
			client_apply_remote(r, &ch);
	}
	r->since = hdr.seq;
	r->pull++;
done:
	SYNCTRACE_OP_DONE("pull", id, err);
	usdt_seen_done(&usdt.pull, err);
	return err;
}

/* The server may still be starting (the demo launches everything at once): retry for ~2 s. */
static int connect_retry(int port)
{
	int fd = -ECONNREFUSED;

	for (int tries = 0; tries < 100 && !stop; tries++) {
		fd = loopback_socket(port, false);
		if (fd >= 0)
			break;
		sleep_us(20000);
	}
	return fd;
}

/* ops == 0 runs until SIGTERM/SIGINT; an operation in flight is always finished first. */
static int relay_client(int port, uint32_t id, long ops, uint32_t keys, uint64_t seed)
{
	static struct replica r;
	int err = 0;

	r.id = id;
	/* one stream per client: seed * K + id | 1 gave ids 2k and 2k+1 the same one */
	r.rng = ((seed + id) * 0x9e3779b97f4a7c15ull) | 1;
	r.state = -1;
	conn_set_state(&r, CONN_CONNECTING);
	r.fd = connect_retry(port);
	if (r.fd < 0) {
		conn_set_state(&r, CONN_CLOSED);
		if (!stop)
			fprintf(stderr, "syncrelay: client %u: cannot connect to 127.0.0.1:%d: %s (is the server running?)\n",
				id, port, strerror(-r.fd));
		return !stop;
	}
	conn_set_state(&r, CONN_SYNCING);
	for (long done = 0; (ops == 0 || done < ops) && !stop; done++) {
		const uint64_t x = rand64(&r.rng);

		if (x % 10 < 6) {	/* mostly pushes: 60 % push, 40 % pull */
			err = client_push(&r, (x >> 8) % keys, x >> 20);
			if (err == 1) {
				/* Lost a first-writer-wins race: re-pull the winning value. */
				conn_set_state(&r, CONN_RESOLVING);
				err = client_pull(&r);
				conn_set_state(&r, CONN_SYNCING);
			}
		} else {
			err = client_pull(&r);
		}
		if (err < 0) {
			fprintf(stderr, "syncrelay: client %u: lost the server: %s\n", id, strerror(-err));
			break;
		}
	}
	close(r.fd);
	conn_set_state(&r, CONN_CLOSED);
	fprintf(stderr, "{\"role\":\"client\",\"id\":%u,\"pid\":%d,\"push\":%lu,\"pull\":%lu,\"apply_remote\":%lu,\"conflicts_seen\":%lu,"
		"\"usdt\":{\"op_start:push\":%lu,\"op_done:push\":%lu,\"op_done:push:error\":%lu,"
		"\"op_start:pull\":%lu,\"op_done:pull\":%lu,\"op_done:pull:error\":%lu,\"state\":%lu}}\n",
		id, getpid(), r.push, r.pull, r.apply_remote, r.conflicts_seen,
		usdt.push.start, usdt.push.done, usdt.push.error,
		usdt.pull.start, usdt.pull.done, usdt.pull.error, usdt.state);
	return err < 0;
}

/* ---- demo launcher and command line ------------------------------------------------------ */

static struct env {
	const char *cmd;
	long port, id, ops, keys, seed, clients, seconds, delay_us;
} env = { .port = 17070, .id = -1, .keys = NKEYS, .clients = 3, .seconds = 10 };

static pid_t spawn(char *const argv[])
{
	const pid_t parent = getpid();
	const pid_t pid = fork();

	if (pid != 0)
		return pid;
	/*
	 * Own process group, so a terminal ^C reaches only the demo, which stops the clients
	 * before the server and the counts agree. PDEATHSIG cleans up if the demo is killed.
	 */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "syncrelay: demo: cannot exec /proc/self/exe: %s\n", strerror(errno));
	_exit(127);
}

/* Stops one child (unless it already exited, pid -1) and returns 1 unless it exited 0. */
static int stop_child(pid_t pid)
{
	int status;

	if (pid <= 0)
		return 1;
	kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int run_demo(char *argv0)
{
	char port[16], keys[16], delay[24], ids[MAX_CLIENTS][16];
	pid_t server, clients[MAX_CLIENTS], pid;
	int failed = 0;

	snprintf(port, sizeof(port), "%ld", env.port);
	snprintf(keys, sizeof(keys), "%ld", env.keys);
	snprintf(delay, sizeof(delay), "%ld", env.delay_us);
	server = spawn((char *[]){ argv0, "serve", "--port", port, "--delay-us", delay, NULL });
	for (long i = 0; i < env.clients; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%ld", i + 1);
		clients[i] = spawn((char *[]){ argv0, "client", "--port", port, "--id", ids[i],
					       "--keys", keys, NULL });
	}
	/* Tick rather than sleep once, to notice a child dying early (e.g. the port is taken). */
	for (long tick = 0; tick < env.seconds * 10 && !stop && !failed; tick++) {
		sleep_us(100000);
		pid = waitpid(-1, NULL, WNOHANG);
		if (pid <= 0)
			continue;
		fprintf(stderr, "syncrelay: demo: pid %d exited early, stopping the others\n", pid);
		failed = 1;
		server = server == pid ? -1 : server;
		for (long i = 0; i < env.clients; i++)
			clients[i] = clients[i] == pid ? -1 : clients[i];
	}
	/* Clients first: the server must still answer their last request, or counts disagree. */
	for (long i = 0; i < env.clients; i++)
		failed |= stop_child(clients[i]);
	failed |= stop_child(server);
	return failed;
}

static const char usage[] =
"usage: syncrelay serve  [--port P] [--delay-us N]\n"
"       syncrelay client [--port P] --id N [--ops K] [--keys M] [--seed S]\n"
"       syncrelay demo   [--port P] [--clients C] [--seconds S] [--delay-us N]\n"
"e.g.   syncrelay demo --port 17070 --clients 3 --seconds 5\n"
"--port defaults to 17070; a client without --ops runs until SIGTERM; --keys M (<= 64) limits\n"
"its writes to keys 0..M-1 (fewer, more conflicts); --delay-us N makes each apply_change N us\n"
"slower (a regression on purpose). Each process prints a one-line JSON\n"
"summary of its exact counts to stderr when it ends.\n";

static const struct {
	const char *name;
	long *val;
	long min, max;
} opts[] = {
	{ "--port", &env.port, 1, 65535 },
	{ "--id", &env.id, 0, UINT32_MAX },
	{ "--ops", &env.ops, 1, LONG_MAX },
	{ "--keys", &env.keys, 1, NKEYS },
	{ "--seed", &env.seed, 0, LONG_MAX },
	{ "--clients", &env.clients, 1, MAX_CLIENTS },
	{ "--seconds", &env.seconds, 1, 86400 },
	{ "--delay-us", &env.delay_us, 0, 1000000 },
};

/* Every option takes an integer value. Returns 0, or -EINVAL after saying what is wrong. */
static int parse_args(int argc, char **argv)
{
	const int nopts = sizeof(opts) / sizeof(opts[0]);
	char *end;
	int j;

	for (int i = 2; i < argc; i += 2) {
		for (j = 0; j < nopts && strcmp(argv[i], opts[j].name); j++)
			;
		if (j == nopts || i + 1 == argc) {
			fprintf(stderr, "syncrelay: unknown option or missing value: '%s'\n%s", argv[i], usage);
			return -EINVAL;
		}
		errno = 0;
		*opts[j].val = strtol(argv[i + 1], &end, 10);
		if (errno || *end || end == argv[i + 1] || *opts[j].val < opts[j].min ||
		    *opts[j].val > opts[j].max) {
			fprintf(stderr, "syncrelay: %s '%s': expected an integer in %ld..%ld\n",
				argv[i], argv[i + 1], opts[j].min, opts[j].max);
			return -EINVAL;
		}
	}
	return 0;
}

static void on_stop(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	/* No SA_RESTART: blocking calls return EINTR, and every loop then looks at stop. */
	const struct sigaction sa = { .sa_handler = on_stop };

	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	env.cmd = argv[1];
	if (parse_args(argc, argv))
		return 2;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	apply_delay_us = (unsigned int)env.delay_us;
	if (strcmp(env.cmd, "serve") == 0)
		return relay_serve(env.port);
	if (strcmp(env.cmd, "client") == 0) {
		if (env.id < 0) {
			fprintf(stderr, "syncrelay: client needs --id N (try: syncrelay client --id 1)\n");
			return 2;
		}
		return relay_client(env.port, env.id, env.ops, env.keys, env.seed);
	}
	if (strcmp(env.cmd, "demo") == 0)
		return run_demo(argv[0]);
	fprintf(stderr, "syncrelay: unknown command '%s'\n%s", env.cmd, usage);
	return 2;
}
