#define _GNU_SOURCE
#include "zg_memfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static int fill(int fd, const void *bytes, size_t count) {
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

int zg_memfile(const char *dir, const char *name, const void *bytes, size_t count) {
    int fd = -1;
    int sealable = 0;
    if (dir != NULL) fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        sealable = 1;
    }
    if (fd < 0) return -1;
    int failed = fill(fd, bytes, count);
    if (!failed && sealable &&
        fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW) != 0)
        failed = errno;
    if (failed) {
        close(fd);
        errno = failed;
        return -1;
    }
    return fd;
}
