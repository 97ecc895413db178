#ifndef ZG_CYAML_SHIM_H
#define ZG_CYAML_SHIM_H
#include <yaml.h>
#endif
