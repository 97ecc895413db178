#ifndef ZG_STREAM_H
#define ZG_STREAM_H
/*
 * Deadlines for libgit2 network operations.
 *
 * libgit2 1.5 has no timeout option, and a server that accepts a connection and never
 * answers blocks its read forever. This registers libgit2's standard (plain socket)
 * stream, which every transport builds on (http, git://, the socket under TLS, and the
 * socket libssh2 reads for ssh), so that:
 *   - connect() waits at most until the operation's deadline;
 *   - a watchdog thread shuts down every socket of an operation whose deadline passed,
 *     which wakes any blocked read or poll, in libgit2 or libssh2, at once.
 * An operation brackets its libgit2 calls with zg_deadline_enter()/zg_deadline_leave() on
 * the thread that makes them.
 */
#include <stdint.h>

typedef struct zg_deadline zg_deadline;

/* A deadline timeout_ms from now (<= 0: none), armed with the watchdog. */
zg_deadline *zg_deadline_new(int64_t timeout_ms);
void zg_deadline_free(zg_deadline *deadline);
/* Sockets created on this thread from now on belong to the deadline. */
void zg_deadline_enter(zg_deadline *deadline);
void zg_deadline_leave(void);
/* 1 once the deadline has passed (the watchdog fired or the clock says so). */
int zg_deadline_expired(zg_deadline *deadline);
/* Expire now: mark and shut down the deadline's sockets (the watchdog's action). */
void zg_deadline_expire(zg_deadline *deadline);
/* How many sockets the deadline has opened so far (for tests and metrics). */
int zg_deadline_connections(zg_deadline *deadline);

/* Registers the stream with libgit2 (once; after git_libgit2_init). 0 on success. */
int zg_stream_register(void);

#endif
