#define _GNU_SOURCE
#include "zg_stream.h"

#include <git2.h>
#include <git2/sys/stream.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ZG_MAX_FDS 32

struct zg_deadline {
    int64_t at_ms;          /* CLOCK_MONOTONIC, 0 = none */
    int expired;
    int fds[ZG_MAX_FDS];
    int nfds;
    int connections;
    struct zg_deadline *next; /* in the watchdog's list */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static zg_deadline *armed = NULL;
static int watchdog_started = 0;
/* When the watchdog wakes next (CLOCK_MONOTONIC ms; 0: only when signalled). A deadline
 * later than that needs no signal: the watchdog looks at every armed deadline then. One
 * signal (a thread woken) per lookup cost ~5% of an unshared poll round. */
static int64_t planned_ms = 0;
static __thread zg_deadline *current = NULL;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Caller holds the lock. */
static void expire_locked(zg_deadline *d) {
    d->expired = 1;
    for (int i = 0; i < d->nfds; i++) shutdown(d->fds[i], SHUT_RDWR);
}

static void *watchdog(void *unused) {
    (void)unused;
    pthread_mutex_lock(&lock);
    for (;;) {
        int64_t now = now_ms(), next = 0;
        for (zg_deadline *d = armed; d; d = d->next) {
            if (d->expired || d->at_ms == 0) continue;
            if (d->at_ms <= now) expire_locked(d);
            else if (next == 0 || d->at_ms < next) next = d->at_ms;
        }
        planned_ms = next;
        if (next == 0) {
            pthread_cond_wait(&wake, &lock);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t wait = next - now;
            ts.tv_sec += wait / 1000;
            ts.tv_nsec += (wait % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) { ts.tv_sec += 1; ts.tv_nsec -= 1000000000; }
            pthread_cond_timedwait(&wake, &lock, &ts);
        }
    }
    return NULL;
}

zg_deadline *zg_deadline_new(int64_t timeout_ms) {
    zg_deadline *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    d->at_ms = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    pthread_mutex_lock(&lock);
    if (!watchdog_started) {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_destroy(&wake);
        pthread_cond_init(&wake, &attr);
        pthread_t thread;
        if (pthread_create(&thread, NULL, watchdog, NULL) == 0) {
            pthread_detach(thread);
            watchdog_started = 1;
        }
    }
    d->next = armed;
    armed = d;
    if (!watchdog_started || (d->at_ms != 0 && (planned_ms == 0 || d->at_ms < planned_ms))) {
        planned_ms = d->at_ms;
        pthread_cond_signal(&wake);
    }
    pthread_mutex_unlock(&lock);
    return d;
}

void zg_deadline_free(zg_deadline *d) {
    if (!d) return;
    pthread_mutex_lock(&lock);
    for (zg_deadline **p = &armed; *p; p = &(*p)->next) {
        if (*p == d) { *p = d->next; break; }
    }
    pthread_mutex_unlock(&lock);
    if (current == d) current = NULL;
    free(d);
}

void zg_deadline_enter(zg_deadline *d) { current = d; }
void zg_deadline_leave(void) { current = NULL; }

int zg_deadline_expired(zg_deadline *d) {
    if (!d) return 0;
    pthread_mutex_lock(&lock);
    int expired = d->expired || (d->at_ms != 0 && now_ms() >= d->at_ms);
    pthread_mutex_unlock(&lock);
    return expired;
}

void zg_deadline_expire(zg_deadline *d) {
    if (!d) return;
    pthread_mutex_lock(&lock);
    expire_locked(d);
    pthread_mutex_unlock(&lock);
}

int zg_deadline_connections(zg_deadline *d) {
    if (!d) return 0;
    pthread_mutex_lock(&lock);
    int n = d->connections;
    pthread_mutex_unlock(&lock);
    return n;
}

static void track(zg_deadline *d, int fd) {
    if (!d) return;
    pthread_mutex_lock(&lock);
    if (d->nfds < ZG_MAX_FDS) d->fds[d->nfds++] = fd;
    d->connections++;
    if (d->expired) shutdown(fd, SHUT_RDWR);
    pthread_mutex_unlock(&lock);
}

static void untrack(zg_deadline *d, int fd) {
    if (!d) return;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < d->nfds; i++) {
        if (d->fds[i] == fd) { d->fds[i] = d->fds[--d->nfds]; break; }
    }
    pthread_mutex_unlock(&lock);
}

/* Same first fields as libgit2's git_socket_stream: its ssh transport reads `s`. */
typedef struct {
    git_stream parent;
    char *host;
    char *port;
    int s;
    zg_deadline *deadline;
} zg_socket_stream;

static int timed_out_error(zg_socket_stream *st, const char *what) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s %s:%s: timed out (deadline passed)", what, st->host, st->port);
    git_error_set_str(GIT_ERROR_NET, msg);
    return -1;
}

static int zg_connect(git_stream *stream) {
    zg_socket_stream *st = (zg_socket_stream *)stream;
    struct addrinfo hints, *info = NULL, *p;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    int rc = getaddrinfo(st->host, st->port, &hints, &info);
    if (rc != 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "failed to resolve address for %s: %s", st->host, gai_strerror(rc));
        git_error_set_str(GIT_ERROR_NET, msg);
        return -1;
    }
    int last_errno = 0, timed_out = 0;
    for (p = info; p; p = p->ai_next) {
        int fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
        if (fd < 0) { last_errno = errno; continue; }
        track(st->deadline, fd);
        int flags = fcntl(fd, F_GETFL, 0);
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        int r = connect(fd, p->ai_addr, p->ai_addrlen);
        if (r < 0 && errno == EINPROGRESS) {
            for (;;) {
                int wait_ms = -1;
                if (st->deadline && st->deadline->at_ms) {
                    int64_t left = st->deadline->at_ms - now_ms();
                    wait_ms = left > 0 ? (int)left : 0;
                }
                struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                int pr = poll(&pfd, 1, wait_ms);
                if (pr < 0 && errno == EINTR) continue;
                if (pr == 0 || zg_deadline_expired(st->deadline)) { timed_out = 1; r = -1; break; }
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) { errno = err; r = -1; } else { r = 0; }
                break;
            }
        }
        if (r == 0) {
            fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            st->s = fd;
            freeaddrinfo(info);
            return 0;
        }
        last_errno = errno;
        untrack(st->deadline, fd);
        close(fd);
        if (timed_out) break;
    }
    freeaddrinfo(info);
    if (timed_out) return timed_out_error(st, "connecting to");
    char msg[512];
    snprintf(msg, sizeof msg, "failed to connect to %s:%s: %s", st->host, st->port, strerror(last_errno));
    git_error_set_str(GIT_ERROR_NET, msg);
    return -1;
}

static ssize_t zg_read(git_stream *stream, void *data, size_t len) {
    zg_socket_stream *st = (zg_socket_stream *)stream;
    for (;;) {
        ssize_t n = recv(st->s, data, len, 0);
        if (n >= 0) {
            if (n == 0 && zg_deadline_expired(st->deadline)) return timed_out_error(st, "reading from");
            return n;
        }
        if (errno == EINTR) continue;
        if (zg_deadline_expired(st->deadline)) return timed_out_error(st, "reading from");
        char msg[512];
        snprintf(msg, sizeof msg, "error receiving data from %s:%s: %s", st->host, st->port, strerror(errno));
        git_error_set_str(GIT_ERROR_NET, msg);
        return -1;
    }
}

static ssize_t zg_write(git_stream *stream, const char *data, size_t len, int flags) {
    zg_socket_stream *st = (zg_socket_stream *)stream;
    (void)flags;
    size_t written = 0;
    while (written < len) {
        ssize_t n = send(st->s, data + written, len - written, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (zg_deadline_expired(st->deadline)) return timed_out_error(st, "writing to");
            char msg[512];
            snprintf(msg, sizeof msg, "error sending data to %s:%s: %s", st->host, st->port, strerror(errno));
            git_error_set_str(GIT_ERROR_NET, msg);
            return -1;
        }
        written += (size_t)n;
    }
    return (ssize_t)written;
}

static int zg_close(git_stream *stream) {
    zg_socket_stream *st = (zg_socket_stream *)stream;
    if (st->s >= 0) {
        untrack(st->deadline, st->s);
        close(st->s);
        st->s = -1;
    }
    return 0;
}

static void zg_free(git_stream *stream) {
    zg_socket_stream *st = (zg_socket_stream *)stream;
    zg_close(stream);
    free(st->host);
    free(st->port);
    free(st);
}

static int zg_stream_new(git_stream **out, const char *host, const char *port) {
    zg_socket_stream *st = calloc(1, sizeof(*st));
    if (!st) return -1;
    st->host = strdup(host);
    st->port = strdup(port);
    st->s = -1;
    st->deadline = current;
    st->parent.version = GIT_STREAM_VERSION;
    st->parent.connect = zg_connect;
    st->parent.read = zg_read;
    st->parent.write = zg_write;
    st->parent.close = zg_close;
    st->parent.free = zg_free;
    *out = (git_stream *)st;
    return 0;
}

int zg_stream_register(void) {
    static git_stream_registration registration = {
        .version = GIT_STREAM_VERSION,
        .init = zg_stream_new,
        .wrap = NULL,
    };
    return git_stream_register(GIT_STREAM_STANDARD, &registration);
}
