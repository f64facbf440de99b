#!/bin/sh
# Installs what the tests need when it is missing: the oracle (Debian's librtmp 2.4 library,
# headers and tools) and the build/test tools. Uses apt-get (as root, or through sudo).
set -e
need=""
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in librtmp1 librtmp-dev rtmpdump pkg-config gcc make python3 binutils valgrind openssl; do
    have_pkg "$p" || need="$need $p"
done
[ -z "$need" ] && exit 0
echo "ensure-deps: installing$need"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "ensure-deps: need root to install$need"; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $need
