#ifndef ZG_MEMFILE_H
#define ZG_MEMFILE_H

#include <stddef.h>

/// An anonymous memory file (memfd) named `name`, holding `count` bytes of `bytes`, sealed
/// against writes and size changes, close-on-exec: its descriptor, or -1 with errno set.
int zg_memfile(const char *name, const void *bytes, size_t count);

#endif
