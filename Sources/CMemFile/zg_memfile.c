#define _GNU_SOURCE
#include "zg_memfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int zg_memfile(const char *name, const void *bytes, size_t count) {
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -1;
    const char *at = bytes;
    size_t left = count;
    int failed = 0;
    while (left > 0 && !failed) {
        ssize_t n = write(fd, at, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            failed = errno ? errno : EIO;
            break;
        }
        at += n;
        left -= (size_t)n;
    }
    if (!failed && fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW) != 0)
        failed = errno;
    if (failed) {
        close(fd);
        errno = failed;
        return -1;
    }
    return fd;
}
