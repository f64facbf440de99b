#!/bin/bash
# Enhanced RTMP (E-RTMP) scenarios, on loopback:
#   1. connect captures (ertmp_peer.py capture takes the connect command of each client):
#      `fourCcList=hvc1,av01` (RTMP_SetupURL and RTMP_SetOpt, play and publish) gives the same
#      property bytes as FFmpeg 9's `-rtmp_enhanced_codecs hvc1,av01`; without an option the
#      connect body equals the system librtmp's byte for byte (play and publish); the other
#      options appear with the specification's AMF types; valgrind: set up, connect, close and
#      free leave nothing behind;
#   2. bad values: RTMP_SetupURL / RTMP_SetOpt return FALSE with an ERROR line;
#   3. play: a scripted server (ertmp_peer.py play) sends hand-made E-RTMP tags of every shape
#      and a NetConnection.Connect.ReconnectRequest in the middle; Debian's rtmpdump on our
#      library must write every enhanced tag unchanged (the table also shows the system
#      librtmp), log one INFO line for the request and go on to the end of the stream;
#   4. publish: Debian's curl -T and ertmp_publish.c (RTMP_Write in pieces of 1 byte to 4 KiB)
#      on our library send HEVC+AAC, AV1+Opus, VP9+FLAC, H.264+E-AC-3 and a multitrack FLV
#      (2 HEVC + 2 AAC streams: FFmpeg 9's flv muxer writes E-RTMP Multitrack tags itself, and
#      FFmpeg 9 receives them) made by FFmpeg 9 into FFmpeg 9's `-listen 1 -map 0 -c copy`:
#      every audio/video tag body it records equals FFmpeg's own `-c copy` remux of the file;
#   5. play from FFmpeg 9 as the server (`-c copy -f flv -listen 1`): Debian's rtmpdump on our
#      library writes every tag body of the remux (legacy tags that librtmp's RTMP_Read size
#      rule drops, H.264's 5-byte end of sequence, counted apart), the five files;
#   6. relay: FFmpeg 9 publishes the five files into node-media-server 4.x (tools/deps.sh pins
#      it; ertmp_nms.js runs it on 127.0.0.1 only, stopped by PID); two rtmpdump players, ours
#      and the system librtmp, record each stream; audio and video tag bodies, each kind in
#      order, equal the remux's.
#   The system librtmp's results are shown next to ours, never asserted.
# usage: c-tests/integration/ertmp.sh   (after `make lib`; FFmpeg 9 from `make deps`)
set -u
. "$(dirname "$0")/lib.sh"
begin_scenarios ertmp
require_packages ertmp
ffmpeg9="$top/build/tools/ffmpeg9"
peer="$top/c-tests/integration/ertmp_peer.py"
nms_dir="$top/build/tools/nms/node_modules/node-media-server"
fail=0
bad() { echo "FAIL $*"; fail=1; }

client="$work/ertmp_client"
cc -std=gnu99 -Wall -Wextra -Werror -I"$top/include" -o "$client" \
    "$top/c-tests/integration/ertmp_client.c" -L"$ours" -lrtmp || die "building ertmp_client"
check_loaded "$client"
check_loaded "$(command -v rtmpdump)"

# start_peer MODE ARGS...: starts ertmp_peer.py, sets $PEER_PID and $PEER_PORT.
start_peer() {
    rm -f "$work/port"
    python3 "$peer" "$@" --port-file "$work/port" > "$work/peer.log" 2>&1 &
    PEER_PID=$!; BG="$BG $PEER_PID"
    for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
    PEER_PORT=$(cat "$work/port" 2>/dev/null) || die "ertmp_peer.py did not start: $(cat "$work/peer.log")"
}

# ---------------------------------------------------------------------------------------------
echo "== connect captures"
mkdir -p "$work/cap"
start_peer capture --out "$work/cap" --count 9
url="rtmp://127.0.0.1:$PEER_PORT/app/stream"
vg="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99"
# 1 FFmpeg 9; 2-3 ours with the option (SetupURL publish, SetOpt play); 4-7 no option, ours
# and the system librtmp, play and publish; 8 every option and a conn= argument; 9 every
# option, publishing, under valgrind.
timeout 30 "$ffmpeg9" -nostdin -hide_banner -loglevel quiet -f lavfi -i testsrc=size=64x64:rate=5 \
    -t 1 -c:v libx264 -f flv -rtmp_enhanced_codecs hvc1,av01 "$url" > /dev/null 2>&1
run_client() { local lib=$1; shift; LD_LIBRARY_PATH=$lib timeout 20 "$client" "$@" >> "$work/client.out" 2>&1; }
run_client "$ours" -w "$url fourCcList=hvc1,av01"
run_client "$ours" -o fourCcList=hvc1,av01 "$url"
run_client "$ours" "$url"
run_client "$ref" "$url"
run_client "$ours" -w "$url"
run_client "$ref" -w "$url"
all="fourCcList=hvc1,av01,Opus,* videoFourCcInfoMap=*:4,hvc1:3 audioFourCcInfoMap=Opus:0x3 capsEx=6 conn=S:extra"
run_client "$ours" "$url $all"
# (without conn=: librtmp never frees the conn= arguments, nor do we, see compat.md)
LD_LIBRARY_PATH=$ours timeout 60 $vg "$client" -w "$url ${all% conn=*}" > "$work/vg.out" 2>&1
vg_rc=$?
await_or_interrupt "$PEER_PID"
cap="$work/cap/connect"
for k in 1 2 3 4 5 6 7 8 9; do [ -s "$cap.$k" ] || bad "no connect captured from client $k"; done
python3 "$peer" props "$cap".* > "$work/props" 2>&1 || bad "could not decode the connect commands: $(cat "$work/props")"
prop() { awk -v f="$cap.$1" -v n="$2" '$1 == f && $2 == n { print $3 }' "$work/props"; }
want=$(prop 1 fourCcList)
echo "FFmpeg 9 -rtmp_enhanced_codecs hvc1,av01: fourCcList $want"
for k in 2 3; do
    got=$(prop $k fourCcList)
    echo "librtmp-rs fourCcList=hvc1,av01 ($([ $k = 2 ] && echo 'RTMP_SetupURL, publish' || echo 'RTMP_SetOpt, play')): fourCcList $got"
    [ -n "$want" ] && [ "$got" = "$want" ] || bad "fourCcList bytes of client $k differ from FFmpeg's"
done
for pair in "4 5 play" "6 7 publish"; do
    set -- $pair
    if cmp -s "$cap.$1" "$cap.$2"; then
        echo "no option, $3: connect body identical to the system librtmp's ($(stat -c %s "$cap.$1") bytes)"
    else
        bad "no option, $3: connect body differs from the system librtmp's"
        xxd "$cap.$1" > "$work/a.hex"; xxd "$cap.$2" > "$work/b.hex"; diff "$work/a.hex" "$work/b.hex" | head -n 10
    fi
done
echo "every option (client 8):"
for n in fourCcList videoFourCcInfoMap audioFourCcInfoMap capsEx; do
    v=$(prop 8 $n); echo "  $n $v"
    [ -n "$v" ] || bad "client 8 sent no $n"
done
# The specification's AMF types, as encoded bytes (name length, name, value).
[ "$(prop 8 videoFourCcInfoMap)" = "0012766964656f466f75724363496e666f4d61700300012a004010000000000000000468766331004008000000000000000009" ] ||
    bad "videoFourCcInfoMap is not the object {*: 4, hvc1: 3}"
[ "$(prop 8 capsEx)" = "0006636170734578004018000000000000" ] || bad "capsEx is not the number 6"
# conn= still follows the object: the body ends with the string "extra".
[ "$(tail -c 8 "$cap.8" | xxd -p)" = "0200056578747261" ] || bad "the conn= argument does not follow the command object"
if [ "$vg_rc" = 0 ] && ! grep -q "==[0-9]*==" "$work/vg.out"; then
    echo "valgrind: every option set, connect, RTMP_Close, RTMP_Free: no leak, no error"
else
    bad "valgrind (rc $vg_rc): $(grep "==[0-9]*==" "$work/vg.out" | head -n 20)"
fi

# ---------------------------------------------------------------------------------------------
echo "== bad values"
printf '%-44s %-18s %-18s\n' "value" "RTMP_SetupURL" "RTMP_SetOpt"
for v in "fourCcList=hvc" "fourCcList=hvc1,,av01" "fourCcList=hvc1,av011" "fourCcList=" \
         "videoFourCcInfoMap=hvc1" "videoFourCcInfoMap=hvc1:8" "audioFourCcInfoMap=Opus:1,Opus:2" \
         "audioFourCcInfoMap=mp3:1" "capsEx=16" "capsEx=x"; do
    name=${v%%=*}
    LD_LIBRARY_PATH=$ours "$client" "rtmp://127.0.0.1:1/app/s $v" > "$work/bad1" 2>&1; r1=$?
    LD_LIBRARY_PATH=$ours "$client" -o "$v" "rtmp://127.0.0.1:1/app/s" > "$work/bad2" 2>&1; r2=$?
    e1=$(grep -c "^ERROR: $name: " "$work/bad1"); e2=$(grep -c "^ERROR: $name: " "$work/bad2")
    printf '%-44s %-18s %-18s\n' "$v" "FALSE (rc $r1)" "FALSE (rc $r2)"
    [ "$r1" = 3 ] && [ "$e1" = 1 ] || bad "$v through RTMP_SetupURL: rc $r1, $(cat "$work/bad1")"
    [ "$r2" = 4 ] && [ "$e2" = 1 ] || bad "$v through RTMP_SetOpt: rc $r2, $(cat "$work/bad2")"
done
grep -h "^ERROR" "$work/bad1" "$work/bad2" | sed 's/^/  e.g. /' | head -n 1
LD_LIBRARY_PATH=$ours timeout 60 $vg "$client" -o fourCcList=hvc1 -o capsEx=99 "rtmp://127.0.0.1:1/app/s" > "$work/vg2.out" 2>&1
[ $? = 4 ] && ! grep -q "==[0-9]*==" "$work/vg2.out" || bad "valgrind, a bad value after a good one: $(cat "$work/vg2.out")"

# ---------------------------------------------------------------------------------------------
echo "== play: hand-made E-RTMP tags and a reconnect request through rtmpdump"
for side in ours ref; do
    lib=$ours; [ $side = ref ] && lib=$ref
    start_peer play --sent "$work/sent.$side"
    LD_LIBRARY_PATH=$lib timeout 30 rtmpdump -r "rtmp://127.0.0.1:$PEER_PORT/app/stream" \
        -o "$work/play.$side.flv" > "$work/rtmpdump.$side.log" 2>&1
    echo $? > "$work/rtmpdump.$side.rc"
    await_or_interrupt "$PEER_PID"
    python3 "$peer" compare --sent "$work/sent.$side" --flv "$work/play.$side.flv" > "$work/cmp.$side" ||
        bad "comparison failed for $side"
done
printf '%-32s %6s  %-22s %-22s\n' "message sent (server -> rtmpdump)" "bytes" "librtmp-rs" "system librtmp 2.4"
paste -d'|' "$work/cmp.ours" "$work/cmp.ref" | while IFS='|' read -r n b o _ _ r; do
    printf '%-32s %6s  %-22s %-22s\n' "$n" "$b" "$o" "$r"
done
while IFS='|' read -r n _ o; do
    case "$n" in
        *legacy*) [ "$o" = missing ] || bad "$n: librtmp's legacy size rule should still drop it" ;;
        *) [ "$o" = identical ] || bad "$n did not arrive unchanged on our library" ;;
    esac
done < "$work/cmp.ours"
[ "$(cat "$work/rtmpdump.ours.rc")" = 0 ] || bad "rtmpdump on our library exited $(cat "$work/rtmpdump.ours.rc")"
n=$(grep -c "ReconnectRequest" "$work/rtmpdump.ours.log")
line=$(grep "ReconnectRequest" "$work/rtmpdump.ours.log")
echo "reconnect request, log lines on our library ($n): $line"
[ "$n" = 1 ] && case "$line" in "INFO: "*"rtmp://127.0.0.1:1/other"*) true ;; *) false ;; esac ||
    bad "expected one INFO line naming rtmp://127.0.0.1:1/other"
grep -q "Download complete" "$work/rtmpdump.ours.log" || bad "rtmpdump did not finish the stream after the reconnect request"
grep -q "duration *0.40" "$work/rtmpdump.ours.log" || bad "the @setDataFrame metadata was not taken for metadata"

# ---------------------------------------------------------------------------------------------
# The codec sets: FLV files made by FFmpeg 9 ($work/NAME.flv) and FFmpeg's own -c copy remux of
# each ($work/NAME.remux.flv), the reference every scenario below compares with. The multitrack
# file holds two HEVC and two AAC streams: FFmpeg 9's flv muxer writes the second of each as
# E-RTMP Multitrack tags (video PacketType 6, audio PacketType 5) by itself.
src="-f lavfi -i testsrc=size=160x120:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000"
mt_src="$src -f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=frequency=660:sample_rate=48000 -map 0 -map 1 -map 2 -map 3"
sets=""
for set in "hevc+aac|$src -c:v libx265 -preset ultrafast -x265-params log-level=error -c:a aac" \
           "av1+opus|$src -c:v libsvtav1 -preset 12 -svtav1-params log-level=0 -c:a libopus" \
           "vp9+flac|$src -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -c:a flac" \
           "h264+eac3|$src -c:v libx264 -preset ultrafast -c:a eac3" \
           "multitrack|$mt_src -pix_fmt yuv420p -c:v libx265 -preset ultrafast -x265-params log-level=error -c:a aac"; do
    name=${set%%|*}; enc=${set#*|}
    # shellcheck disable=SC2086
    "$ffmpeg9" -nostdin -hide_banner -loglevel error -y $enc -t 2 -f flv "$work/$name.flv" \
        > /dev/null 2>&1 || { bad "FFmpeg 9 could not make $name"; continue; }
    "$ffmpeg9" -nostdin -hide_banner -loglevel error -y -i "$work/$name.flv" -map 0 -c copy \
        -f flv "$work/$name.remux.flv" || { bad "FFmpeg 9 could not remux $name"; continue; }
    sets="$sets $name"
done
set -- $(python3 "$peer" multitrack "$work/multitrack.flv")
echo "multitrack file (FFmpeg 9 -f flv, 2 HEVC + 2 AAC streams): $1 Multitrack video tags, $2 Multitrack audio tags"
[ "${1:-0}" -gt 0 ] && [ "${2:-0}" -gt 0 ] || bad "FFmpeg 9 wrote no Multitrack tags"

# into_ffmpeg NAME SIDE PUBLISHER...: FFmpeg 9 -listen 1 -c copy (every stream) records what
# PUBLISHER sends on the library of SIDE (ours or ref); in its arguments FILE stands for
# $work/NAME.flv and URL for FFmpeg's address. Prints the comparison with the remux, prefixed
# with the publisher's exit code when not 0.
into_ffmpeg() {
    local name=$1 side=$2 lib=$ours port fp c_rc verdict a args=()
    shift 2
    [ "$side" = ref ] && lib=$ref
    port=$(free_port)
    for a in "$@"; do
        case "$a" in URL) a="rtmp://127.0.0.1:$port/live/key" ;; FILE) a="$work/$name.flv" ;; esac
        args+=("$a")
    done
    "$ffmpeg9" -nostdin -hide_banner -loglevel quiet -y -listen 1 -timeout 15 \
        -i "rtmp://127.0.0.1:$port/live/key" -map 0 -c copy -f flv "$work/$name.$side.in.flv" &
    fp=$!; BG="$BG $fp"
    for _ in $(seq 100); do port_listening "$port" && break; sleep 0.05; done
    LD_LIBRARY_PATH=$lib timeout 30 "${args[@]}" > "$work/$name.$side.pub.log" 2>&1
    c_rc=$?
    await_or_interrupt "$fp"
    verdict=$(python3 "$peer" sametags "$work/$name.remux.flv" "$work/$name.$side.in.flv")
    [ $c_rc = 0 ] || verdict="rc $c_rc, $verdict"
    echo "$verdict"
}

# publish_table TITLE PUBLISHER...: one row per codec set, on our library and the system one;
# ours must give identical tags (the system librtmp's column is shown, not asserted).
publish_table() {
    local title=$1 name row side verdict note
    shift
    echo "== publish: $title into FFmpeg 9 -listen 1 -c copy, tag bodies vs FFmpeg's own remux"
    printf '%-12s %-18s %-18s %s\n' "codecs" "librtmp-rs" "system librtmp 2.4" "peer"
    for name in $sets; do
        row=""
        for side in ours ref; do
            verdict=$(into_ffmpeg "$name" $side "$@")
            row="$row $(printf '%-18s' "$verdict")"
            [ $side = ours ] && case "$verdict" in identical*) ;; *)
                bad "$name published by $title on our library: $verdict $(head -c 300 "$work/$name.ours.pub.log")" ;; esac
        done
        note="FFmpeg 9"
        [ "$name" = multitrack ] && note="FFmpeg 9 (it muxes, receives and remuxes multitrack itself)"
        printf '%-12s%s %s\n' "$name" "$row" "$note"
    done
}

publish_table "curl -T (RTMP_Write)" curl -s -T FILE URL
pub="$work/ertmp_publish"
cc -std=gnu99 -Wall -Wextra -Werror -I"$top/include" -o "$pub" \
    "$top/c-tests/integration/ertmp_publish.c" -L"$ours" -lrtmp || die "building ertmp_publish"
check_loaded "$pub"
publish_table "ertmp_publish.c (RTMP_Write in pieces of 1 B to 4 KiB)" "$pub" FILE URL
grep -h "^pieces" "$work"/*.ours.pub.log | sed 's/^/  ertmp_publish on our library: /' | head -n 5

# ---------------------------------------------------------------------------------------------
echo "== play: rtmpdump from FFmpeg 9 -c copy -f flv -listen 1 (FFmpeg as the server), tag bodies vs the remux"
echo "   (legacy tags that librtmp's RTMP_Read drops by its size rule, e.g. H.264's 5-byte end of sequence, are counted apart)"
printf '%-12s %-34s %-34s\n' "codecs" "librtmp-rs" "system librtmp 2.4"
for name in $sets; do
    row=""
    for side in ours ref; do
        lib=$ours; [ $side = ref ] && lib=$ref
        port=$(free_port)
        "$ffmpeg9" -nostdin -hide_banner -loglevel quiet -i "$work/$name.flv" -map 0 -c copy \
            -f flv -listen 1 -timeout 15 "rtmp://127.0.0.1:$port/app/stream" &
        fp=$!; BG="$BG $fp"
        for _ in $(seq 100); do port_listening "$port" && break; sleep 0.05; done
        LD_LIBRARY_PATH=$lib timeout 30 rtmpdump -r "rtmp://127.0.0.1:$port/app/stream" \
            -o "$work/$name.$side.ff.flv" > "$work/$name.$side.ff.log" 2>&1
        r_rc=$?
        await_or_interrupt "$fp"
        verdict=$(python3 "$peer" sameplayed "$work/$name.remux.flv" "$work/$name.$side.ff.flv")
        [ $r_rc = 0 ] || verdict="rc $r_rc, $verdict"
        row="$row $(printf '%-34s' "$verdict")"
        [ $side = ours ] && case "$verdict" in identical*) ;; *)
            bad "$name played from FFmpeg 9 on our library: $verdict $(tail -n 3 "$work/$name.ours.ff.log")" ;; esac
    done
    printf '%-12s%s\n' "$name" "$row"
done

# ---------------------------------------------------------------------------------------------
# node-media-server 4.x (pinned by tools/deps.sh) relays: FFmpeg 9 publishes each file, two
# rtmpdump players (our library, the system one) that started first record the stream. A relay
# may interleave audio and video differently, so each kind is compared on its own, in order.
echo "== relay: FFmpeg 9 -> node-media-server $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$nms_dir/package.json") -> rtmpdump, tag bodies per kind vs the remux"
nms_port=$(free_port)
mkdir -p "$work/nms"
node "$top/c-tests/integration/ertmp_nms.js" "$nms_dir" "$nms_port" "$work/nms" > "$work/nms.log" 2>&1 &
NMS_PID=$!; BG="$BG $NMS_PID"
for _ in $(seq 100); do port_listening "$nms_port" && break; sleep 0.05; done
port_listening "$nms_port" || die "node-media-server did not start: $(tail -n 5 "$work/nms.log")"
printf '%-12s %-34s %-34s\n' "codecs" "librtmp-rs" "system librtmp 2.4"
for name in $sets; do
    key=${name//+/_}  # the relay takes only [A-Za-z0-9_-] in a stream name
    url="rtmp://127.0.0.1:$nms_port/live/$key"
    pids=""
    for side in ours ref; do
        lib=$ours; [ $side = ref ] && lib=$ref
        LD_LIBRARY_PATH=$lib timeout 30 rtmpdump -v -r "$url" -o "$work/$name.$side.nms.flv" \
            > "$work/$name.$side.nms.log" 2>&1 &
        pids="$pids $!"
    done
    BG="$BG $pids"
    # both players are in before the publisher starts
    for _ in $(seq 100); do
        [ "$(grep -c "start play /live/$key\$" "$work/nms.log")" -ge 2 ] && break; sleep 0.05
    done
    timeout 30 "$ffmpeg9" -nostdin -hide_banner -loglevel error -re -i "$work/$name.flv" -map 0 -c copy \
        -f flv "$url" > "$work/$name.nms.pub.log" 2>&1 || bad "FFmpeg 9 could not publish $name into node-media-server: $(tail -n 2 "$work/$name.nms.pub.log")"
    # the relay does not end a live play when the publisher leaves: the players are stopped
    # (rtmpdump writes its file on SIGINT) once nothing has come for a moment
    sleep 1
    for p in $pids; do kill -INT "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
    row=""
    for side in ours ref; do
        verdict=$(python3 "$peer" sametracks "$work/$name.remux.flv" "$work/$name.$side.nms.flv")
        row="$row $(printf '%-34s' "$verdict")"
        echo "$verdict" > "$work/$name.$side.nms.verdict"
    done
    printf '%-12s%s\n' "$name" "$row"
    case "$(cat "$work/$name.ours.nms.verdict")" in identical*) ;; *)
        bad "$name through node-media-server on our library: $(cat "$work/$name.ours.nms.verdict")" ;; esac
done
kill "$NMS_PID" 2>/dev/null; wait "$NMS_PID" 2>/dev/null

if [ $fail = 0 ]; then echo "PASS ertmp.sh"; else echo "FAIL ertmp.sh"; fi
exit $fail
