#!/bin/bash
# `make demo`: shows the library working under real programs.
set -e
cd "$(dirname "$0")/.."
lib=$(pwd)/build/lib
out=build/demo
mkdir -p "$out"
tools/deps.sh check build integration

echo "== 1. a C program relinked against our headers and build/lib/librtmp.so.1"
cc -std=gnu99 -Wall -Wextra -Werror -Iinclude -o "$out/hello" examples/hello.c -L"$lib" -lrtmp
LD_LIBRARY_PATH="$lib" "$out/hello"
echo "   loaded: $(LD_LIBRARY_PATH="$lib" LD_TRACE_LOADED_OBJECTS=1 "$out/hello" | grep librtmp)"

echo
echo "== 2. Debian's rtmpdump, unchanged, with LD_PRELOAD of our library"
echo "   loaded: $(LD_PRELOAD="$lib/librtmp.so.1" LD_TRACE_LOADED_OBJECTS=1 rtmpdump | grep librtmp)"
LD_PRELOAD="$lib/librtmp.so.1" rtmpdump --help > "$out/help-ours.txt" 2>&1 || true
rtmpdump --help > "$out/help-ref.txt" 2>&1 || true
head -n 6 "$out/help-ours.txt" | sed 's/^/   | /'
if cmp -s "$out/help-ours.txt" "$out/help-ref.txt"; then
    echo "   rtmpdump --help: identical to the run on the system librtmp ($(wc -l < "$out/help-ours.txt") lines)"
else
    echo "   rtmpdump --help differs from the system librtmp"; exit 1
fi
# -q makes rtmpdump write RTMP_debuglevel (a copy relocation in its binary); our library must
# see that write and print nothing.
n=$(LD_PRELOAD="$lib/librtmp.so.1" rtmpdump -q --help 2>&1 | wc -c)
echo "   rtmpdump -q --help printed $n bytes (rtmpdump set RTMP_debuglevel=CRIT; our library honoured it)"
[ "$n" -eq 0 ]

echo
echo "== 3. publish and play through our library against a private nginx-rtmp (loopback)"
# shellcheck source=../c-tests/integration/lib.sh
. c-tests/integration/lib.sh
require_integration_deps
dwork=$(mktemp -d /tmp/rtmp-demo.XXXXXX)
NGX_PID=""
trap 'stop_nginx; rm -rf "$dwork"' EXIT
start_nginx "$dwork/ngx"
make_clip "$dwork/ngx/vod/clip.flv" 4
echo "   nginx-rtmp on 127.0.0.1:$PORT (pid $NGX_PID), clip: $(stat -c %s "$dwork/ngx/vod/clip.flv") bytes"
LD_LIBRARY_PATH="$lib" rtmpdump -q -r "rtmp://127.0.0.1:$PORT/vod/clip.flv" -o "$dwork/vod.flv" || true
echo "   rtmpdump (our library) downloaded $(stat -c %s "$dwork/vod.flv") bytes of the VOD clip:" \
     "$(ffprobe -v error -count_packets -show_entries stream=codec_type,nb_read_packets -of csv=p=0 "$dwork/vod.flv" | tr '\n' ' ')"
# live: rtmpdump (our library) subscribes, ffmpeg publishes the clip into nginx in real time
LD_LIBRARY_PATH="$lib" timeout 30 rtmpdump -q -v -r "rtmp://127.0.0.1:$PORT/live/demo" -o "$dwork/live.flv" &
sub=$!
sleep 1
ffmpeg -nostdin -loglevel error -re -i "$dwork/ngx/vod/clip.flv" -c copy -f flv "rtmp://127.0.0.1:$PORT/live/demo"
wait "$sub" || true
echo "   ffmpeg published the clip live; rtmpdump (our library) played back $(stat -c %s "$dwork/live.flv") bytes:" \
     "$(ffprobe -v error -count_packets -show_entries stream=codec_type,nb_read_packets -of csv=p=0 "$dwork/live.flv" | tr '\n' ' ')"
# publish with curl -T (Debian's curl, librtmp inside) into ffmpeg acting as the RTMP server
lport=$(free_port)
ffmpeg -nostdin -loglevel error -y -listen 1 -i "rtmp://127.0.0.1:$lport/app/demo" -c copy "$dwork/published.flv" 2> "$dwork/ffmpeg-listen.log" &
rec=$!
sleep 1 # (a probe connection would be taken for the publisher)
rc=0; LD_LIBRARY_PATH="$lib" curl -s -T "$dwork/ngx/vod/clip.flv" "rtmp://127.0.0.1:$lport/app/demo" || rc=$?
echo "   curl -T (our library) published the clip to ffmpeg -listen; curl exit $rc"
wait "$rec" || true
echo "   ffmpeg received:            $(ffprobe -v error -count_packets -show_entries stream=codec_type,nb_read_packets -of csv=p=0 "$dwork/published.flv" 2>/dev/null | tr '\n' ' ')"
echo "   source clip:                $(ffprobe -v error -count_packets -show_entries stream=codec_type,nb_read_packets -of csv=p=0 "$dwork/ngx/vod/clip.flv" | tr '\n' ' ')"

echo
echo "demo: ok"
