#!/bin/bash
# Records the session fuzzer's fixtures from nginx-rtmp: the server's messages in a play session
# (Debian's rtmpdump on the system librtmp playing a 1-second H.264/AAC clip from the vod
# application) and in a publish session (fuzz_publish on the system librtmp into the live
# application). Writes c-tests/sessfuzz/data/{play,publish}.msgs and data/clip.flv.
#   usage: c-tests/sessfuzz/record.sh   (after `make lib`)
set -u
. "$(dirname "$0")/../integration/lib.sh"
here="$top/c-tests/sessfuzz"
data="$here/data"
mkdir -p "$data"
tmp=$(mktemp -d)
trap 'kill "$NGX_PID" 2>/dev/null; rm -rf "$tmp"' EXIT
start_nginx "$tmp/ngx"
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i testsrc=size=160x120:rate=10 \
    -f lavfi -i sine=frequency=440:sample_rate=22050 -t 1 -c:v libx264 -preset ultrafast -g 5 \
    -pix_fmt yuv420p -c:a aac -b:a 32k -f flv "$data/clip.flv" || die "ffmpeg"
cp "$data/clip.flv" "$tmp/ngx/vod/clip.flv"
refdir="$tmp/ref"; make_ref_dir "$refdir"
cc -std=gnu99 -Wall -I"$top/include" -o "$tmp/fuzz_publish" "$here/fuzz_publish.c" -L"$top/build/lib" -lrtmp
python3 "$here/record.py" --upstream "$PORT" --out "$data/play.msgs" -- \
    env LD_LIBRARY_PATH="$refdir" rtmpdump -q -r "rtmp://127.0.0.1:{port}/vod/clip.flv" -o "$tmp/out.flv"
python3 "$here/record.py" --upstream "$PORT" --out "$data/publish.msgs" -- \
    env LD_LIBRARY_PATH="$refdir" "$tmp/fuzz_publish" "rtmp://127.0.0.1:{port}/live/fuzz" "$data/clip.flv"
