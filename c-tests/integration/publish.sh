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
# closes (the shape that makes librtmp 2.4 lose the tail).
make_lossless_clip "$clip" 640x360 25
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

# via_nginx TAG SIDE COMMAND...: ffmpeg subscribes to live/TAG<side> and records $work/TAG.SIDE.flv
# while COMMAND (run on the side's library; the word @URL stands for the stream's URL) publishes
# into nginx-rtmp; its exit code goes to $work/TAG.SIDE.rc.
via_nginx() {
    local tag=$1 side=$2 lib=$ours rec a args=()
    shift 2
    [ "$side" = ref ] && lib=$ref
    ffmpeg -nostdin -hide_banner -loglevel error -rw_timeout 5000000 -i "$url/live/$tag$side" \
        -c copy -f flv -y "$work/$tag.$side.flv" > "$work/${tag}rec.$side.log" 2>&1 &
    rec=$!; BG="$BG $rec"
    sleep 1
    for a in "$@"; do args+=("${a//@URL/$url/live/$tag$side}"); done
    LD_LIBRARY_PATH=$lib timeout 60 "${args[@]}" > "$work/$tag.$side.log" 2>&1
    echo $? > "$work/$tag.$side.rc"
    # the recorder stops on its own when the publisher goes (nginx ends the stream)
    for _ in $(seq 150); do kill -0 "$rec" 2>/dev/null || break; sleep 0.1; done
    kill -INT "$rec" 2>/dev/null; wait "$rec" 2>/dev/null
}

# 1. curl -T into nginx-rtmp, paced (~3x real time): unpaced, nginx drops inter frames for a
#    subscriber whose queue is full (its live relay, whichever library publishes); the unpaced
#    case is scenario 2
for side in ours ref; do
    via_nginx ngx "$side" curl -s -S --limit-rate 1500k -T "$clip" @URL
done
row "curl -T -> nginx-rtmp (live)" "$work/ngx.ours.flv" "$(cat "$work/ngx.ours.rc")" \
    "$work/ngx.ref.flv" "$(cat "$work/ngx.ref.rc")"

# 2./3. curl -T into ffmpeg -listen 1, unpaced
listening() { grep -q "$(printf ':%04X 00000000:0000 0A' "$1")" /proc/net/tcp; }
listen_run() { # SIDE LIBDIR PRELOAD [CLIP [FFMPEG-INPUT-FLAGS]]
    local side=$1 lib=$2 pre=$3 src=${4:-$clip} lport lpid
    lport=$(free_port)
    # shellcheck disable=SC2086
    ffmpeg -nostdin -hide_banner -loglevel error ${5:-} -listen 1 -i "rtmp://127.0.0.1:$lport/app/x" \
        -c copy -f flv -y "$work/lis.$side.flv" > "$work/lis.$side.ffmpeg.log" 2>&1 &
    lpid=$!; BG="$BG $lpid"
    # wait for the listening socket without connecting (ffmpeg -listen 1 serves one client)
    for _ in $(seq 50); do listening "$lport" && break; sleep 0.1; done
    if [ -n "$pre" ]; then
        LD_PRELOAD=$pre timeout 60 curl -s -S -T "$src" "rtmp://127.0.0.1:$lport/app/x" \
            > "$work/lis.$side.log" 2>&1
    else
        LD_LIBRARY_PATH=$lib timeout 60 curl -s -S -T "$src" "rtmp://127.0.0.1:$lport/app/x" \
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

# 4. python3-librtmp publisher (cffi: RTMP_Write through its stream object) into nginx-rtmp,
#    paced like scenario 1, while ffmpeg plays the stream back and records it
for side in ours ref; do
    via_nginx py "$side" /usr/bin/python3 "$py_publish" @URL "$clip"
done
row "python3-librtmp -> nginx" "$work/py.ours.flv" "$(cat "$work/py.ours.rc")" \
    "$work/py.ref.flv" "$(cat "$work/py.ref.rc")"

# 5. timestamps past 0xFFFFFF ms (4h39m, extended timestamps on the wire): a 4 s clip whose
#    timestamps start at 16777000 ms, curl -T into ffmpeg -listen keeping the timestamps
#    (-copyts); every packet must arrive with the source's payload *and* timestamp.
ffmpeg -nostdin -hide_banner -loglevel error -y -i "$clip" -t 4 -c copy -output_ts_offset 16777 \
    -f flv "$work/late.flv" || die "ffmpeg late clip"
packet_hashes "$work/late.flv" | sort -s -t'|' -k1,1 > "$work/late.src"
for side in ours ref; do
    lib=$ours; [ $side = ref ] && lib=$ref
    listen_run "late$side" "$lib" "" "$work/late.flv" "-copyts"
done
late_row() {
    local f=$1 n
    [ -s "$f" ] || { echo "0 packets"; return; }
    packet_hashes "$f" | sort -s -t'|' -k1,1 > "$f.got"
    n=$(wc -l < "$f.got")
    if cmp -s "$f.got" "$work/late.src"; then echo "$n packets, pts from $(cut -d'|' -f2 "$f.got" | sort -n | head -n 1) ms: identical"
    else echo "$n packets: $(diff "$f.got" "$work/late.src" | grep -c '^[<>]') lines differ"; fi
}
lo=$(late_row "$work/lis.lateours.flv"); lr=$(late_row "$work/lis.lateref.flv")
v=PASS
case "$lo" in *identical) ;; *) v=FAIL; fail=1;; esac
[ "$(cat "$work/lis.lateours.rc")" = 0 ] || { v=FAIL; fail=1; }
rows+=("$(printf '%-30s %-4s | ours rc=%s %s | system rc=%s %s' "timestamps > 0xFFFFFF" "$v" \
    "$(cat "$work/lis.lateours.rc")" "$lo" "$(cat "$work/lis.lateref.rc")" "$lr")")

printf '%s\n' "${rows[@]}"
[ $fail -eq 0 ] && echo "integration publish: all passed" || echo "integration publish: FAILED"
exit $fail
