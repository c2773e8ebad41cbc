#!/usr/bin/env bash
# tools/install_system_deps.sh: installs the Debian packages idiokit needs to
# build and test, and only those that are missing.  `apt-get update` runs once,
# and only when something is missing.  Needs root (or password-less sudo).
set -euo pipefail

# libev-dev, libc-ares-dev, node-llhttp: what _core builds against.
# dnsmasq-base, wrk, curl, openssl: real peers for the DNS/HTTP/TLS tests.
# gcc, make, pkg-config: the toolchain.
# libssl-dev: the TLS benchmark's C server and load generator (bench/loadgen/tls_*).
# python3-dbg (python3.11-dbg), python3-venv: make test-refcount; valgrind: make test-valgrind.
# prosody, ngircd, haproxy: real XMPP and IRC servers and a load balancer for the tests.
# iproute2: the README example's test runs it in a network namespace of its own.
packages=(libev-dev libc-ares-dev node-llhttp dnsmasq-base wrk curl openssl gcc make pkg-config
          libssl-dev python3-dbg python3-venv valgrind prosody ngircd haproxy iproute2)

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "system packages: not a Debian-like system; make sure these (or their equivalents) are installed: ${packages[*]}"
    exit 0
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "system packages: all present"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        echo "system packages missing: ${missing[*]}" >&2
        echo "run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

echo "system packages: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
installable=()
for p in "${missing[@]}"; do
    if apt-cache show "$p" >/dev/null 2>&1; then
        installable+=("$p")
    elif [ "$p" = node-llhttp ] && apt-cache show libllhttp-dev >/dev/null 2>&1; then
        installable+=(libllhttp-dev)    # newer releases ship llhttp as a library
    else
        echo "system packages: $p is not available from apt here; skipping it" >&2
    fi
done
[ ${#installable[@]} -eq 0 ] || \
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${installable[@]}" </dev/null
