"""http_hello / c_libev: the reference server, bench/loadgen/http_server_libev.c (plain C on
libev + the system's llhttp). Builds it if needed and execs it, keeping this process's pinning."""
import os

import cbuild

LLHTTP = ["-I/usr/share/include/llhttp", "/usr/share/llhttp/llhttp.c",
          "/usr/share/llhttp/api.c", "/usr/share/llhttp/http.c", "-lev"]

if __name__ == "__main__":
    binary = cbuild.ensure("loadgen/http_server_libev.c", LLHTTP)
    os.execv(binary, [binary])
