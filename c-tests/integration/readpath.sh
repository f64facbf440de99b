#!/bin/bash
# Read path for poll-driven consumers: programs that wait for their socket to become readable
# before each RTMP_Read (curl) must get every byte and see the end of the stream without waiting
# on bytes the library already holds. nginx-rtmp runs with its default configuration (no `ping`),
# clients connect through tail_relay.py, which timestamps the server's last byte; no client gets
# a time limit of its own (only an outer `timeout` of 15 s as a safety net).
#   A. VOD (an FLV and an MP4 source, and a lossless FLV whose keyframes are bigger than
#      curl's 16 KiB buffer): curl on our library (LD_LIBRARY_PATH and LD_PRELOAD) must
#      exit 0 with exactly the bytes rtmpdump downloads (rtmpdump on the system librtmp: the
#      oracle), within 2 s of the server's last byte. The system librtmp is shown beside it.
#   B. live: ffmpeg publishes the clip (-re) into nginx's live application while curl plays it
#      (started first); when the publisher stops, curl on ours must exit 0 within 2 s of the
#      server's last byte with every packet of the source.
#   C. GStreamer's rtmpsrc (RTMP_Read in a blocking loop; it reconnects when it finds the handle
#      closed before a read): the VOD rows and the live row with rtmpsrc ! filesink.
# Prints the table; exits 1 on any failure of ours. About 40 seconds.
# usage: c-tests/integration/readpath.sh   (after `make lib`; KEEP=1 keeps the work directory)
set -u
. "$(dirname "$0")/lib.sh"
begin_scenarios readpath
fail=0
rows=()
check_loaded "$(command -v curl)"
pre=$(LD_PRELOAD="$ours/librtmp.so.1" LD_TRACE_LOADED_OBJECTS=1 curl 2>/dev/null | grep -o '/[^ ]*librtmp[^ ]*' | head -n 1)
case "$pre" in "$ours"/*) ;; *) echo "FAIL LD_PRELOAD loaded $pre"; fail=1;; esac
relay_py="$top/c-tests/integration/tail_relay.py"
have_gst=0
command -v gst-launch-1.0 > /dev/null && gst-inspect-1.0 rtmpsrc > /dev/null 2>&1 && have_gst=1

start_nginx "$work/ngx"
vod="$work/ngx/vod"
make_clip "$vod/clip.flv" 3
ffmpeg -nostdin -hide_banner -loglevel error -i "$vod/clip.flv" -c copy -movflags +faststart \
    "$vod/clip.mp4" || die "ffmpeg mp4"
url="rtmp://127.0.0.1:$PORT"
make_lossless_clip "$vod/big.flv" 640x360 25
# src S: the file of source S (flv, mp4: the 3-second clip; big: 10 s of lossless video whose
# keyframes are far bigger than curl's 16 KiB buffer, so tags are handed out over several calls)
src() { case $1 in big) echo big.flv ;; *) echo "clip.$1" ;; esac; }
for s in flv mp4 big; do
    LD_LIBRARY_PATH=$ref timeout 30 rtmpdump -q -r "$url/vod/$(src $s)" -o "$work/dump.$s.flv" \
        > /dev/null 2>&1
    [ -s "$work/dump.$s.flv" ] || die "rtmpdump (system librtmp) could not download $(src $s)"
done
src_pl="$work/src.pl"; payloads "$vod/clip.flv" > "$src_pl"

# relay TAG: a tail_relay.py in front of nginx for one client (its port in $work/relay.TAG.port)
relay() {
    local pf="$work/relay.$1.port" i=0
    /usr/bin/python3 "$relay_py" --upstream "$PORT" --port-file "$pf" --log "$work/relay.$1.log" \
        2> "$work/relay.$1.err" &
    BG="$BG $!"
    while [ ! -s "$pf" ]; do
        i=$((i + 1)); [ $i -gt 100 ] && die "tail_relay did not start: $(cat "$work/relay.$1.err")"
        sleep 0.05
    done
}
# client TAG MODE PROG PATH: runs PROG (curl | gst) through the relay of TAG (started first) on
# MODE's library (ours, preload, ref) for rtmp://relay/PATH -> $work/TAG.{flv,rc,end}
client() {
    local tag=$1 mode=$2 prog=$3 path=$4 env=() RP
    RP=$(cat "$work/relay.$tag.port")
    case $mode in
        ours) env=(LD_LIBRARY_PATH="$ours") ;;
        preload) env=(LD_PRELOAD="$ours/librtmp.so.1") ;;
        ref) env=(LD_LIBRARY_PATH="$ref") ;;
    esac
    if [ "$prog" = curl ]; then
        env "${env[@]}" timeout 15 curl -s -o "$work/$tag.flv" "rtmp://127.0.0.1:$RP/$path" \
            > "$work/$tag.log" 2>&1
    else
        env "${env[@]}" timeout 15 gst-launch-1.0 -q rtmpsrc "location=rtmp://127.0.0.1:$RP/$path" \
            ! filesink "location=$work/$tag.flv" > "$work/$tag.log" 2>&1
    fi
    echo $? > "$work/$tag.rc"
    date +%s.%N > "$work/$tag.end"
}
# gap TAG: seconds from the server's last byte to the client's exit ("-" when unknown)
gap() {
    local last
    last=$(grep -o 'last_s2c=[0-9.]*' "$work/relay.$1.log" 2>/dev/null | tail -n 1 | cut -d= -f2)
    [ -n "$last" ] && [ -s "$work/$1.end" ] || { echo "-"; return; }
    awk -v a="$(cat "$work/$1.end")" -v b="$last" 'BEGIN { printf "%.2f", a - b }'
}
within2() { [ "$1" != "-" ] && awk -v g="$1" 'BEGIN { exit !(g <= 2.0) }'; }
desc() { # TAG ORACLE: "rc=N SIZE =dump|prefix N%|differs, G s after the last byte"
    local f="$work/$1.flv" n m what
    n=$(stat -c %s "$f" 2>/dev/null || echo 0); m=$(stat -c %s "$2")
    if cmp -s "$f" "$2"; then what="= rtmpdump"
    elif [ "$n" -gt 0 ] && cmp -s -n "$n" "$f" "$2"; then what="prefix $((n * 100 / m))%"
    elif [ "$n" -gt $((2 * m)) ]; then what="(the stream played again and again)"
    else what="differs"; fi
    echo "rc=$(rc "$work/$1.rc") $n bytes $what, $(gap "$1") s after the server's last byte"
}

# A / C (VOD): the system library's runs hang until the outer timeout, so everything at once
for s in flv mp4 big; do
    for mode in ours preload ref; do
        relay "vod.$s.$mode"; client "vod.$s.$mode" "$mode" curl "vod/$(src $s)" & BG="$BG $!"
    done
    if [ $have_gst = 1 ] && [ $s != big ]; then
        for mode in ours ref; do
            relay "gvod.$s.$mode"; client "gvod.$s.$mode" "$mode" gst "vod/clip.$s" & BG="$BG $!"
        done
    fi
done

# B (live): the players first, then the publisher
for mode in ours preload ref; do relay "live.$mode"; client "live.$mode" "$mode" curl "live/s" & BG="$BG $!"; done
if [ $have_gst = 1 ]; then
    for mode in ours ref; do relay "glive.$mode"; client "glive.$mode" "$mode" gst "live/s" & BG="$BG $!"; done
fi
sleep 1.5
ffmpeg -nostdin -hide_banner -loglevel error -re -i "$vod/clip.flv" -c copy -f flv "$url/live/s" \
    > "$work/pub.log" 2>&1 || { echo "FAIL the live publisher (ffmpeg): $(tail -n 2 "$work/pub.log")"; fail=1; }
# the relays run until the end (killed by the cleanup trap); wait for the clients only
for t in vod.flv.ours vod.flv.preload vod.flv.ref vod.mp4.ours vod.mp4.preload vod.mp4.ref \
    vod.big.ours vod.big.preload vod.big.ref \
    live.ours live.preload live.ref gvod.flv.ours gvod.flv.ref gvod.mp4.ours gvod.mp4.ref glive.ours glive.ref; do
    case $t in g*) [ $have_gst = 1 ] || continue ;; esac
    i=0; while [ ! -s "$work/$t.end" ] && [ $i -lt 400 ]; do sleep 0.1; i=$((i + 1)); done
done

# rows
vod_row() { # NAME TAG-OURS ORACLE TAG-REF
    local v=PASS g; g=$(gap "$2")
    { [ "$(rc "$work/$2.rc")" = 0 ] && cmp -s "$work/$2.flv" "$3" && within2 "$g"; } || { v=FAIL; fail=1; }
    rows+=("$(printf '%-4s %-26s ours %-62s | system %s' "$v" "$1" "$(desc "$2" "$3")" "$(desc "$4" "$3")")")
}
live_row() { # NAME TAG-OURS TAG-REF
    local v=PASS g got; g=$(gap "$2")
    payloads "$work/$2.flv" > "$work/$2.pl"
    got="$(wc -l < "$work/$2.pl")/$(wc -l < "$src_pl") packets"
    cmp -s "$work/$2.pl" "$src_pl" && got="$got = source" || got="$got, not the source's"
    { [ "$(rc "$work/$2.rc")" = 0 ] && cmp -s "$work/$2.pl" "$src_pl" && within2 "$g"; } || { v=FAIL; fail=1; }
    local r="-"
    [ -n "$3" ] && r="rc=$(rc "$work/$3.rc") $(stat -c %s "$work/$3.flv" 2>/dev/null || echo 0) bytes, $(gap "$3") s after the server's last byte"
    rows+=("$(printf '%-4s %-26s ours rc=%s %s, %s s after the server'"'"'s last byte | system %s' \
        "$v" "$1" "$(rc "$work/$2.rc")" "$got" "$g" "$r")")
}
for s in flv mp4 big; do
    vod_row "curl vod $(src $s)" "vod.$s.ours" "$work/dump.$s.flv" "vod.$s.ref"
    vod_row "curl vod $(src $s) LD_PRELOAD" "vod.$s.preload" "$work/dump.$s.flv" "vod.$s.ref"
done
live_row "curl live (publisher stops)" live.ours live.ref
live_row "curl live LD_PRELOAD" live.preload ""
if [ $have_gst = 1 ]; then
    for s in flv mp4; do
        vod_row "gst rtmpsrc vod clip.$s" "gvod.$s.ours" "$work/dump.$s.flv" "gvod.$s.ref"
    done
    live_row "gst rtmpsrc live" glive.ours glive.ref
else
    rows+=("FAIL gst rtmpsrc: gst-launch-1.0 or the rtmp plugin of gstreamer1.0-plugins-bad is missing (make deps)")
    fail=1
fi

echo "Read path for poll-driven consumers (nginx-rtmp default configuration, no client time limit;"
echo "  oracle: rtmpdump on the system librtmp; 'after the server's last byte': client exit - last byte relayed)"
printf '%s\n' "${rows[@]}"
[ $fail -eq 0 ] && echo "integration readpath: all passed" || echo "integration readpath: FAILED"
exit $fail
