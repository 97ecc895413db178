#ifndef ZG_CGIT2_SHIM_H
#define ZG_CGIT2_SHIM_H
#include <git2.h>

/* Macros and variadic functions Swift cannot import, wrapped as static inline functions. */
static inline int zg_git_libgit2_opts_int(int option, int value) {
    return git_libgit2_opts(option, value);
}
#endif
