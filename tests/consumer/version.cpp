// zkrs from C++: the header compiles as C++ and both libraries link with the C++ driver.
#include <cstdio>
#include <cstring>

#include "zkrs.h"

int main() {
    // The library that runs must be the one the header belongs to.
    if (std::strcmp(zkrs_version(), ZKRS_VERSION_STRING) != 0) {
        std::fprintf(stderr, "header %s, library %s\n", ZKRS_VERSION_STRING, zkrs_version());
        return 1;
    }
    zkrs_config *cfg = nullptr;
    if (zkrs_config_new(&cfg) != ZKRS_RC_OK) return 1;
    zkrs_rc rc = zkrs_config_set(cfg, "no.such.key", "x");  // refused with a code, not an exception
    zkrs_config_free(cfg);
    std::printf("zkrs %s from C++: unknown key -> %s\n", zkrs_version(), zkrs_rc_name(rc));
    return rc == ZKRS_RC_UNKNOWN_CONFIG_KEY ? 0 : 1;
}
