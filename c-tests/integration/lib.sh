# Shared helpers of the integration scenarios (sourced). Each scenario starts its own nginx-rtmp
# on a free loopback port inside a private temporary directory and stops it by PID.

top=$(cd "$(dirname "$0")/../.." && pwd)
# the directory of our librtmp.so.1 under test: build/lib, or RTMP_LIB_DIR (deb.sh: the library
# extracted from the Debian package)
ours="${RTMP_LIB_DIR:-$top/build/lib}"
ref_lib=$(ls /usr/lib/x86_64-linux-gnu/librtmp.so.1 /usr/lib/librtmp.so.1 2>/dev/null | head -n 1)
# python3 $py_play URL OUT: python3-librtmp plays URL into the file OUT
py_play="$top/c-tests/integration/py_play.py"
py_publish="$top/c-tests/integration/py_publish.py"
# tools/deps.sh, found from this file (the benchmarks source it from c-tests/, where $top is wrong)
deps_sh="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tools/deps.sh"

die() { echo "FAIL $*"; exit 1; }

# require_integration_deps: fails, naming `make deps`, when nginx + the RTMP and stream modules,
# openssl, ffmpeg or the programs under test are missing (installs nothing).
require_integration_deps() {
    "$deps_sh" check integration || die "prerequisites missing: run 'make deps'"
}

# require_packages GROUP...: the same for tools/deps.sh's groups (e.g. bench).
require_packages() {
    "$deps_sh" check "$@" || die "prerequisites missing: run 'make deps'"
}

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# port_listening PORT: a socket listens on 127.0.0.1:PORT (checked without connecting, so nginx
# logs no connection, and a TLS terminator no failed handshake)
port_listening() {
    grep -q "$(printf '0100007F:%04X 00000000:0000 0A' "$1")" /proc/net/tcp
}

# start_nginx DIR [SERVER-DIRECTIVES [RTMP-DIRECTIVES]]: writes DIR/nginx.conf (vod root DIR/vod;
# the optional directives go into the rtmp server / rtmp blocks), starts nginx, sets $NGX_PID,
# $PORT.
start_nginx() {
    PORT=$(free_port)
    HPORT=$(free_port)
    write_nginx_conf "$@"
    run_nginx "$1" "$PORT"
}

# write_nginx_conf DIR [SERVER-DIRECTIVES [RTMP-DIRECTIVES [MAIN]]]: DIR/nginx.conf for nginx-rtmp
# on $PORT (applications live and vod, vod root DIR/vod; the optional directives go into the rtmp
# server / rtmp blocks) and an http server on $HPORT that answers 404. MAIN, more of the main
# context (another module's load_module and its block), goes right after the RTMP module's
# load_module.
write_nginx_conf() {
    local ngx=$1 user_line=""
    mkdir -p "$ngx/logs" "$ngx/tmp" "$ngx/vod"
    [ "$(id -u)" -eq 0 ] && user_line="user root;"
    cat > "$ngx/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
${4:-}
$user_line
daemon off;
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/logs/error.log info;
events { worker_connections 256; }
rtmp { ${3:-} server { listen 127.0.0.1:$PORT; chunk_size 4096; ${2:-}
  application live { live on; record off; }
  application vod { play $ngx/vod; } } }
http { access_log $ngx/logs/access.log; client_body_temp_path $ngx/tmp;
  proxy_temp_path $ngx/tmp; fastcgi_temp_path $ngx/tmp; uwsgi_temp_path $ngx/tmp;
  scgi_temp_path $ngx/tmp; server { listen 127.0.0.1:$HPORT; location / { return 404; } } }
CONF
}

# run_nginx DIR PORT...: starts nginx with DIR/nginx.conf (its stderr in DIR/logs/stderr.log), sets
# $NGX_PID and waits until every PORT listens.
run_nginx() {
    local ngx=$1 p i
    shift
    nginx -c "$ngx/nginx.conf" -p "$ngx/" -e "$ngx/logs/error.log" > "$ngx/logs/stderr.log" 2>&1 &
    NGX_PID=$!
    for p in "$@"; do
        i=0
        while ! port_listening "$p"; do
            i=$((i + 1))
            [ $i -gt 50 ] && die "nginx did not start: $(tail -n 5 "$ngx/logs/error.log" "$ngx/logs/stderr.log")"
            kill -0 "$NGX_PID" 2>/dev/null || die "nginx exited: $(tail -n 5 "$ngx/logs/error.log" "$ngx/logs/stderr.log")"
            sleep 0.1
        done
    done
}

stop_nginx() {
    [ -n "$NGX_PID" ] && kill "$NGX_PID" 2>/dev/null && wait "$NGX_PID" 2>/dev/null
    NGX_PID=""
}

# make_clip OUT SECONDS: an H.264/AAC FLV test clip (FLV1/MP3 when libx264 is missing).
make_clip() {
    if ffmpeg -hide_banner -encoders 2>/dev/null | grep -q libx264; then
        vc="-c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p"; ac="-c:a aac"
    else
        vc="-c:v flv1 -b:v 300k"; ac="-c:a libmp3lame"
    fi
    # shellcheck disable=SC2086
    ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=25 \
        -f lavfi -i sine=frequency=440:sample_rate=44100 -t "$2" $vc $ac -f flv "$1" \
        || die "ffmpeg could not make $1"
}

# make_lossless_clip OUT SIZE GOP: 10 s of lossless H.264 (testsrc2 at SIZE, 25 fps, a keyframe
# every GOP frames) + AAC, FLV (FLV1/MP3 at high quality when libx264 is missing).
make_lossless_clip() {
    if ffmpeg -hide_banner -encoders 2>/dev/null | grep -q libx264; then
        vc="-c:v libx264 -preset ultrafast -qp 0 -g $3 -pix_fmt yuv420p"; ac="-c:a aac -b:a 128k"
    else
        vc="-c:v flv1 -q:v 1 -g $3"; ac="-c:a libmp3lame -b:a 128k"
    fi
    # shellcheck disable=SC2086
    ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=$2:rate=25" \
        -f lavfi -i sine=frequency=440:sample_rate=44100 -t 10 $vc $ac -f flv "$1" \
        || die "ffmpeg could not make $1"
}

# ref_dir: a directory whose librtmp.so.1 is the system library (the control side).
make_ref_dir() {
    mkdir -p "$1"
    ln -sf "$ref_lib" "$1/librtmp.so.1"
}

# loaded LIBDIR PROGRAM: which librtmp the dynamic loader picks for PROGRAM.
loaded() {
    LD_LIBRARY_PATH="$1" LD_TRACE_LOADED_OBJECTS=1 "$2" 2>/dev/null | grep -o '/[^ ]*librtmp[^ ]*' | head -n 1
}

# check_loaded PROGRAM: PROGRAM loads our library from $ours and the system one from $ref; else
# prints a FAIL line and sets fail=1.
check_loaded() {
    local prog=$1 lo lr
    lo=$(loaded "$ours" "$prog"); lr=$(loaded "$ref" "$prog")
    case "$lo" in "$ours"/*) ;; *) echo "FAIL $prog loaded $lo instead of ours"; fail=1;; esac
    case "$lr" in "$ref"/*) ;; *) echo "FAIL $prog loaded $lr instead of the reference"; fail=1;; esac
}

# Payload hashes, one line per packet: codec type, pts, flags, md5 (stream indices are replaced
# by the codec type because ffprobe numbers streams in order of first appearance).
packet_hashes() {
    local map
    map=$(ffprobe -v error -show_entries stream=index,codec_type -of csv=p=0 "$1" | tr '\n' ' ')
    ffprobe -v error -show_packets -show_data_hash md5 -of compact=p=0:nk=1 \
        -show_entries packet=stream_index,pts,flags,data_hash "$1" |
        awk -F'|' -v map="$map" 'BEGIN { n = split(map, a, " "); for (i = 1; i <= n; i++) { split(a[i], kv, ","); t[kv[1]] = kv[2] } }
            { print t[$1] "|" $2 "|" $3 "|" $4 }'
}

# payloads FILE: the packet payload hashes, "codec_type|md5" sorted by codec type (packet order
# kept within a type): compares what arrived with a source whatever the interleaving.
payloads() { packet_hashes "$1" 2>/dev/null | awk -F'|' '{ print $1 "|" $4 }' | sort -s -t'|' -k1,1; }
# rc FILE: the exit code recorded in FILE, or "?"
rc() { cat "$1" 2>/dev/null || echo "?"; }

# begin_scenarios NAME: checks the prerequisites and that both libraries are there, makes the
# work directory ($work, with $ref holding the system library) and the cleanup trap that stops
# nginx and the background processes listed in $BG (KEEP=1 keeps $work).
begin_scenarios() {
    require_integration_deps
    [ -f "$ours/librtmp.so.1" ] || die "no $ours/librtmp.so.1: run 'make lib'"
    [ -n "$ref_lib" ] || die "the system librtmp (oracle) is missing: run 'make deps'"
    work=$(mktemp -d "/tmp/rtmp-$1.XXXXXX")
    ref="$work/ref"; make_ref_dir "$ref"
    NGX_PID=""; BG=""
    trap end_scenarios EXIT
}

end_scenarios() {
    for p in $BG; do kill "$p" 2>/dev/null; done
    stop_nginx
    if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}

# await_or_interrupt PID...: gives the processes 10 s to end by themselves, then SIGINT (a
# recorder writes a complete file on SIGINT) and reaps them.
await_or_interrupt() {
    local a p
    for _ in $(seq 100); do
        a=0; for p in "$@"; do kill -0 "$p" 2>/dev/null && a=1; done
        [ $a = 0 ] && break; sleep 0.1
    done
    for p in "$@"; do kill -INT "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
}

# build_asan_client OUT: c-tests/play_client.c built with AddressSanitizer + UBSan on our headers
# and build/lib (its LeakSanitizer also sees the library's malloc'd memory).
build_asan_client() {
    cc -std=gnu99 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
        -fno-omit-frame-pointer -fno-sanitize-recover=undefined -I"$top/include" -o "$1" \
        "$top/c-tests/play_client.c" -L"$ours" -lrtmp || die "building play_client with ASan"
}
# run_asan_client BASE URL: runs it on our library (Link.timeout 3, 30 s outer limit) -> BASE.log
# (stderr: the library's ERROR lines, any sanitizer report), BASE.out, BASE.rc. Sanitizer
# findings exit 98 (ASan, UBSan) or 97 (LeakSanitizer).
run_asan_client() {
    ASAN_OPTIONS=detect_leaks=1:exitcode=98 LSAN_OPTIONS=exitcode=97 UBSAN_OPTIONS=exitcode=98 \
        LD_LIBRARY_PATH="$ours" timeout 30 "$asan_client" "$2" 3 > "$1.out" 2> "$1.log"
    echo $? > "$1.rc"
}
# asan_row BASE NAME: "PASS|FAIL NAME asan(ours) ...": a clean failure is exit 1 or 2 with an
# ERROR line and no sanitizer report. Returns 1 on FAIL (callers run it in $(...)).
asan_row() {
    local r; r=$(cat "$1.rc" 2>/dev/null || echo "?")
    if { [ "$r" = 1 ] || [ "$r" = 2 ]; } && grep -q '^ERROR' "$1.log" &&
        ! grep -q -E 'Sanitizer|runtime error' "$1.log"; then
        printf 'PASS %-22s asan(ours) rc=%s, %s, no ASan/LSan/UBSan report\n' "$2" "$r" \
            "$(grep -m 1 '^ERROR' "$1.log" | cut -c1-70)"
    else
        printf 'FAIL %-22s asan(ours) rc=%s: %s\n' "$2" "$r" \
            "$(grep -m 3 -E 'Sanitizer|runtime error|^ERROR|SUMMARY' "$1.log" | tr '\n' ' ' | cut -c1-200)"
        return 1
    fi
}
