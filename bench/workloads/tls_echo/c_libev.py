"""tls_echo / c_libev: the reference server, bench/loadgen/tls_echo_server_libev.c (plain C
on libev + OpenSSL, non-blocking). Builds it if needed and execs it with the certificate,
so it keeps this process's pinning."""
import os

import benchutil
import cbuild

if __name__ == "__main__":
    cert, key = benchutil.load_sibling(__file__, "_common.py")["cert_files"]()
    binary = cbuild.ensure("loadgen/tls_echo_server_libev.c", ["-lev", "-lssl", "-lcrypto"])
    os.execv(binary, [binary, cert, key])
