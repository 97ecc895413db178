#ifndef ZG_MEMFILE_H
#define ZG_MEMFILE_H

#include <stddef.h>

/// An anonymous memory file (memfd) named `name`, holding `count` bytes of `bytes`, sealed
/// against writes and size changes, close-on-exec: its descriptor, or -1 with errno set.
int zg_memfile(const char *name, const void *bytes, size_t count);

/// An unnamed file in `directory` (O_TMPFILE, never linked: it goes with its last
/// descriptor) holding `count` bytes of `bytes`, written in one call (the page cache then
/// keeps it in large folios where the file system can): a read-only, close-on-exec
/// descriptor, or -1 with errno set (EOPNOTSUPP where the file system has no O_TMPFILE).
int zg_tmpfile(const char *directory, const void *bytes, size_t count);

#endif
