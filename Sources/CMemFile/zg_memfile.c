#define _GNU_SOURCE
#include "zg_memfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/// Writes all `count` bytes; 0, or an errno.
static int write_all(int fd, const void *bytes, size_t count) {
    const char *at = bytes;
    size_t left = count;
    while (left > 0) {
        ssize_t n = write(fd, at, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return errno ? errno : EIO;
        at += n;
        left -= (size_t)n;
    }
    return 0;
}

int zg_memfile(const char *name, const void *bytes, size_t count) {
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -1;
    int failed = write_all(fd, bytes, count);
    if (!failed && fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW) != 0)
        failed = errno;
    if (failed) {
        close(fd);
        errno = failed;
        return -1;
    }
    return fd;
}

int zg_tmpfile(const char *directory, const void *bytes, size_t count) {
    // O_EXCL: the file can never be linked into the directory.
    int fd = open(directory, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    int failed = write_all(fd, bytes, count);
    int readOnly = -1;
    if (!failed) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        readOnly = open(path, O_RDONLY | O_CLOEXEC);
        if (readOnly < 0) failed = errno;
    }
    close(fd);
    if (failed) {
        errno = failed;
        return -1;
    }
    return readOnly;
}
