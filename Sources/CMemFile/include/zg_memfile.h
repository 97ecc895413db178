#ifndef ZG_MEMFILE_H
#define ZG_MEMFILE_H

#include <stddef.h>

/// An unnamed file holding `count` bytes of `bytes`, close-on-exec: in `dir` (O_TMPFILE:
/// a file of that file system, never linked, its pages in the page cache) when `dir` is
/// not NULL and the file system supports it, else an anonymous memory file (memfd)
/// sealed against writes and size changes. Its descriptor, or -1 with errno set.
int zg_memfile(const char *dir, const char *name, const void *bytes, size_t count);

#endif
