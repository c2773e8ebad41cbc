"""tcp_echo / c_libev: the reference server, bench/loadgen/echo_server_libev.c (plain C on
libev, non-blocking). Builds it if needed and execs it, so it keeps this process's pinning."""
import os

import cbuild

if __name__ == "__main__":
    binary = cbuild.ensure("loadgen/echo_server_libev.c", ["-lev"])
    os.execv(binary, [binary])
