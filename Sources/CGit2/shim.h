#ifndef ZG_CGIT2_SHIM_H
#define ZG_CGIT2_SHIM_H
#include <git2.h>
#include <git2/sys/stream.h>

/* git_libgit2_opts is variadic: one wrapper per argument shape used. */
static inline int zg_git_opts_int(int option, int value) {
    return git_libgit2_opts(option, value);
}
static inline int zg_git_opts_search_path(int level, const char *path) {
    return git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, path);
}
static inline int zg_git_opts_cert_locations(const char *file, const char *path) {
    return git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, path);
}
static inline int zg_git_opts_user_agent(const char *agent) {
    return git_libgit2_opts(GIT_OPT_SET_USER_AGENT, agent);
}
#endif
