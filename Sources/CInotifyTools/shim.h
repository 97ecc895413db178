#ifndef ZG_CINOTIFYTOOLS_SHIM_H
#define ZG_CINOTIFYTOOLS_SHIM_H
/* inotifytools.h uses struct inotify_event without including its definition. */
#include <sys/inotify.h>
#include <inotifytools/inotifytools.h>
#endif
