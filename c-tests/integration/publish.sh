#!/bin/bash
# Publish-side integration scenarios: Debian's unchanged curl (linked to librtmp) uploads an FLV
# clip with `curl -T`, once on our build/lib/librtmp.so.1 and once on the system librtmp 2.4
# (control), into
#   1. a private nginx-rtmp on a free loopback port (curl --limit-rate: about 3x real time),
#      while ffmpeg (its native RTMP client) plays the live stream back and records it;
#   2. `ffmpeg -listen 1` (FFmpeg as the RTMP server) recording with -c copy, unpaced: every
#      frame must arrive (librtmp 2.4 loses the tail when it closes right after the last write);
#   3. as 2 with our library through LD_PRELOAD.
# Received packets are compared with the source per stream (payload md5 in order). Prints a
# table; exits 1 when our library misses a frame or a run fails.
# usage: c-tests/integration/publish.sh   (after `make lib`)
set -u
. "$(dirname "$0")/lib.sh"
begin_scenarios publish

start_nginx "$work/ngx"
clip="$work/clip.flv"
# 10 s, 250 video frames, ~5 MB (lossless H.264): big enough that the server acknowledges while
# the client publishes, so an unread Acknowledgement is in the client's receive queue when it
# closes (the shape that makes librtmp 2.4 lose the tail). FLV1/MP3 when libx264 is missing.
if ffmpeg -hide_banner -encoders 2>/dev/null | grep -q libx264; then
    vc="-c:v libx264 -preset ultrafast -qp 0 -g 25 -pix_fmt yuv420p"; ac="-c:a aac"
else
    vc="-c:v flv1 -q:v 1 -g 25"; ac="-c:a libmp3lame"
fi
# shellcheck disable=SC2086
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=640x360:rate=25 \
    -f lavfi -i sine=frequency=440:sample_rate=44100 -t 10 $vc $ac -f flv "$clip" \
    || die "ffmpeg could not make $clip"
fail=0
rows=()

curl_bin=$(command -v curl)
lo=$(loaded "$ours" "$curl_bin"); lr=$(loaded "$ref" "$curl_bin")
case "$lo" in "$ours"/*) ;; *) echo "FAIL curl loaded $lo instead of ours"; fail=1;; esac
case "$lr" in "$ref"/*) ;; *) echo "FAIL curl loaded $lr instead of the reference"; fail=1;; esac

# frames FILE: "video/audio" packet counts
frames() {
    local v a
    [ -s "$1" ] || { echo "0/0"; return; }
    v=$(ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" 2>/dev/null | head -n 1)
    a=$(ffprobe -v error -select_streams a -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" 2>/dev/null | head -n 1)
    echo "${v:-0}/${a:-0}"
}
# payloads FILE: codec type and md5 of every packet, in order, per stream type
payloads() { packet_hashes "$1" 2>/dev/null | awk -F'|' '{ print $1 "|" $4 }' | sort -s -t'|' -k1,1; }
src_frames=$(frames "$clip")
payloads "$clip" > "$work/src.pl"

# verdict OURS_FILE: PASS when every source packet arrived intact and in order
verdict() {
    payloads "$1" > "$work/got.pl"
    cmp -s "$work/got.pl" "$work/src.pl" && echo PASS || echo FAIL
}

# row NAME OURS_FILE RC_OURS REF_FILE RC_REF
row() {
    local name=$1 o=$2 rco=$3 r=$4 rcr=$5 v
    v=$(verdict "$o")
    [ "$rco" = 0 ] || v=FAIL
    [ "$v" = PASS ] || fail=1
    rows+=("$(printf '%-30s %-4s | ours rc=%-3s frames v/a %-9s | system rc=%-3s frames v/a %-9s | source %s' \
        "$name" "$v" "$rco" "$(frames "$o")" "$rcr" "$([ -n "$r" ] && frames "$r" || echo -)" "$src_frames")")
}

url="rtmp://127.0.0.1:$PORT"

# 1. curl -T into nginx-rtmp; ffmpeg subscribes first and records what nginx relays
for side in ours ref; do
    lib=$ours; [ $side = ref ] && lib=$ref
    ffmpeg -nostdin -hide_banner -loglevel error -rw_timeout 5000000 -i "$url/live/x$side" \
        -c copy -f flv -y "$work/ngx.$side.flv" > "$work/ngxrec.$side.log" 2>&1 &
    rec=$!; BG="$BG $rec"
    sleep 1
    # paced (~3x real time): unpaced, nginx drops inter frames for a subscriber whose queue is
    # full (its live relay, whichever library publishes); the unpaced case is scenario 2
    LD_LIBRARY_PATH=$lib timeout 60 curl -s -S --limit-rate 1500k -T "$clip" "$url/live/x$side" \
        > "$work/ngx.$side.log" 2>&1
    echo $? > "$work/ngx.$side.rc"
    # the recorder stops on its own when the publisher goes (nginx ends the stream)
    for _ in $(seq 150); do kill -0 "$rec" 2>/dev/null || break; sleep 0.1; done
    kill -INT "$rec" 2>/dev/null; wait "$rec" 2>/dev/null
done
row "curl -T -> nginx-rtmp (live)" "$work/ngx.ours.flv" "$(cat "$work/ngx.ours.rc")" \
    "$work/ngx.ref.flv" "$(cat "$work/ngx.ref.rc")"

# 2./3. curl -T into ffmpeg -listen 1, unpaced
listening() { grep -q "$(printf ':%04X 00000000:0000 0A' "$1")" /proc/net/tcp; }
listen_run() { # SIDE LIBDIR PRELOAD
    local side=$1 lib=$2 pre=$3 lport lpid
    lport=$(free_port)
    ffmpeg -nostdin -hide_banner -loglevel error -listen 1 -i "rtmp://127.0.0.1:$lport/app/x" \
        -c copy -f flv -y "$work/lis.$side.flv" > "$work/lis.$side.ffmpeg.log" 2>&1 &
    lpid=$!; BG="$BG $lpid"
    # wait for the listening socket without connecting (ffmpeg -listen 1 serves one client)
    for _ in $(seq 50); do listening "$lport" && break; sleep 0.1; done
    if [ -n "$pre" ]; then
        LD_PRELOAD=$pre timeout 60 curl -s -S -T "$clip" "rtmp://127.0.0.1:$lport/app/x" \
            > "$work/lis.$side.log" 2>&1
    else
        LD_LIBRARY_PATH=$lib timeout 60 curl -s -S -T "$clip" "rtmp://127.0.0.1:$lport/app/x" \
            > "$work/lis.$side.log" 2>&1
    fi
    echo $? > "$work/lis.$side.rc"
    for _ in $(seq 100); do kill -0 "$lpid" 2>/dev/null || break; sleep 0.1; done
    kill -INT "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null
}
listen_run ours "$ours" ""
listen_run ref "$ref" ""
listen_run pre "" "$ours/librtmp.so.1"
row "curl -T -> ffmpeg -listen" "$work/lis.ours.flv" "$(cat "$work/lis.ours.rc")" \
    "$work/lis.ref.flv" "$(cat "$work/lis.ref.rc")"
row "  same, LD_PRELOAD ours" "$work/lis.pre.flv" "$(cat "$work/lis.pre.rc")" \
    "$work/lis.ref.flv" "$(cat "$work/lis.ref.rc")"

printf '%s\n' "${rows[@]}"
[ $fail -eq 0 ] && echo "integration publish: all passed" || echo "integration publish: FAILED"
exit $fail
