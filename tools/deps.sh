#!/bin/sh
# Prerequisites of the build, the tests, the demo and the benchmarks.
#
#   tools/deps.sh install          installs every missing Debian/Ubuntu package with apt-get (as
#                                  root, or through sudo); `make deps` runs this. The only place
#                                  in the repository that installs anything.
#   tools/deps.sh check GROUP...   installs nothing: exits 1 with the names of what is missing
#                                  and a pointer to `make deps`. GROUPs: build test integration
#                                  bench deb ertmp (`make check` checks build test integration
#                                  deb ertmp, `make demo` build integration, `make bench` build
#                                  test integration bench, `make deb` build deb).
#
# A Rust toolchain (cargo) is not a Debian package here: it is checked, never installed (rustup).
set -e

# The packages of each group. `test` holds the oracle (Debian's librtmp 2.4, its headers and
# tools) and the tools of the C tests; `integration` nginx-rtmp, the TLS terminator and the
# programs run on the library (GStreamer: gst-launch-1.0 and rtmpsrc, for readpath.sh).
pkgs_build="build-essential make gcc pkg-config python3 binutils ca-certificates"
pkgs_test="librtmp1 librtmp-dev rtmpdump valgrind zlib1g-dev openssl"
pkgs_integration="nginx libnginx-mod-rtmp libnginx-mod-stream openssl ffmpeg rtmpdump curl python3-librtmp python3-cryptography gstreamer1.0-tools gstreamer1.0-plugins-bad"
pkgs_bench="strace"
# `make deb` (dpkg-dev: dpkg-shlibdeps, dpkg-gencontrol, dpkg-gensymbols) and its checks: lintian,
# gdb and elfutils (eu-unstrip) read the split debug info, apt-get --simulate the replacement.
pkgs_deb="dpkg-dev lintian gdb elfutils apt"

pkgs_ertmp="python3-venv nodejs"

# Besides its Debian packages, the ertmp group needs FFmpeg 9 for the E-RTMP scenarios
# (ertmp.sh: Debian 12's FFmpeg 5.1 knows no -rtmp_enhanced_codecs): the static ffmpeg that
# PyPI's imageio-ffmpeg wheel bundles, pinned, installed by `install` into a venv under build/
# (python3-venv) and linked as build/tools/ffmpeg9; and node-media-server 4.x, pinned, the
# relay of ertmp.sh, installed by `install` with npm into build/tools/nms (run by Debian's
# nodejs; npm is Debian's `npm` package, installed when no npm is on the PATH: NodeSource's
# nodejs carries its own).
top=$(cd "$(dirname "$0")/.." && pwd)
pypi_pin="imageio-ffmpeg==0.8.1"
ffmpeg9="$top/build/tools/ffmpeg9"
ffmpeg9_version="9.0.2"
nms_version="4.4.3"
nms_dir="$top/build/tools/nms"
nms_pkg="$nms_dir/node_modules/node-media-server/package.json"

# nms_ok: node-media-server $nms_version is installed in $nms_dir.
nms_ok() { [ -f "$nms_pkg" ] && grep -q "\"version\": \"$nms_version\"" "$nms_pkg"; }

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# missing_pkgs PACKAGE...: prints the PACKAGEs that are not installed, each once.
missing_pkgs() {
    out=""
    for p in "$@"; do
        case " $out " in *" $p "*) continue ;; esac
        have_pkg "$p" || out="$out $p"
    done
    echo "$out"
}

group_pkgs() {
    case $1 in
        build) echo "$pkgs_build" ;;
        test) echo "$pkgs_test" ;;
        integration) echo "$pkgs_integration" ;;
        bench) echo "$pkgs_bench" ;;
        deb) echo "$pkgs_deb" ;;
        ertmp) echo "$pkgs_ertmp" ;;
        *) echo "deps.sh: unknown group '$1' (build test integration bench deb ertmp)" >&2; exit 2 ;;
    esac
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
install)
    # shellcheck disable=SC2086
    need=$(missing_pkgs $pkgs_build $pkgs_test $pkgs_integration $pkgs_bench $pkgs_deb $pkgs_ertmp)
    command -v npm >/dev/null || need="$need npm"
    if [ -n "$need" ]; then
        echo "deps: installing$need"
        if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
            echo "deps: need root (or sudo) to install$need" >&2; exit 1; fi
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq
        # shellcheck disable=SC2086
        $SUDO apt-get install -y -qq --no-install-recommends $need
    else
        echo "deps: every package is installed"
    fi
    if [ ! -x "$ffmpeg9" ]; then
        echo "deps: installing FFmpeg $ffmpeg9_version ($pypi_pin from PyPI) into $top/build/tools"
        rm -rf "$top/build/tools/venv"
        mkdir -p "$top/build/tools"
        /usr/bin/python3 -m venv "$top/build/tools/venv"
        "$top/build/tools/venv/bin/pip" install -q "$pypi_pin"
        exe=$("$top/build/tools/venv/bin/python" -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')
        ln -sf "$exe" "$ffmpeg9"
    fi
    "$ffmpeg9" -version | head -n 1 | grep -q "version n$ffmpeg9_version" ||
        { echo "deps: $ffmpeg9 is not FFmpeg $ffmpeg9_version" >&2; exit 1; }
    if ! nms_ok; then
        echo "deps: installing node-media-server $nms_version (npm) into $nms_dir"
        rm -rf "$nms_dir"
        mkdir -p "$nms_dir"
        npm install --prefix "$nms_dir" --no-audit --no-fund --loglevel=error "node-media-server@$nms_version"
        nms_ok || { echo "deps: node-media-server $nms_version did not install into $nms_dir" >&2; exit 1; }
    fi
    command -v cargo >/dev/null ||
        { echo "deps: no Rust toolchain (cargo); install one with rustup (https://rustup.rs)" >&2; exit 1; }
    ;;
check)
    [ $# -gt 0 ] || set -- build test integration bench deb ertmp
    all=""
    for g in "$@"; do all="$all $(group_pkgs "$g")"; done
    # shellcheck disable=SC2086
    need=$(missing_pkgs $all)
    nocargo=""
    command -v cargo >/dev/null || nocargo=" cargo (Rust toolchain, from rustup)"
    case " $* " in *" ertmp "*)
        [ -x "$ffmpeg9" ] || need="$need $pypi_pin (FFmpeg $ffmpeg9_version, $ffmpeg9)"
        nms_ok || need="$need node-media-server@$nms_version (npm, $nms_dir)" ;;
    esac
    if [ -n "$need$nocargo" ]; then
        echo "missing prerequisites ($*):$need$nocargo" >&2
        echo "run 'make deps' first (installs the packages with apt-get; a Rust toolchain comes from rustup)" >&2
        exit 1
    fi
    ;;
*)
    echo "usage: $0 install | check [build|test|integration|bench|deb|ertmp]..." >&2; exit 2 ;;
esac
