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
#   4. publish: Debian's curl -T (RTMP_Write) on our library sends HEVC+AAC, AV1+Opus, VP9+FLAC
#      and H.264+E-AC-3 FLV files made by FFmpeg 9 into FFmpeg 9's `-listen 1 -c copy`: every
#      audio/video tag body it records equals FFmpeg's own `-c copy` remux of the file.
# usage: c-tests/integration/ertmp.sh   (after `make lib`; FFmpeg 9 from `make deps`)
set -u
. "$(dirname "$0")/lib.sh"
begin_scenarios ertmp
require_packages ertmp
ffmpeg9="$top/build/tools/ffmpeg9"
peer="$top/c-tests/integration/ertmp_peer.py"
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
echo "== publish: curl -T (RTMP_Write) into FFmpeg 9 -listen 1 -c copy, tag bodies vs FFmpeg's own remux"
src="-f lavfi -i testsrc=size=160x120:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 2"
printf '%-16s %-14s %-14s\n' "codecs" "librtmp-rs" "system librtmp 2.4"
for set in "hevc+aac|-c:v libx265 -preset ultrafast -x265-params log-level=error -c:a aac" \
           "av1+opus|-c:v libsvtav1 -preset 12 -svtav1-params log-level=0 -c:a libopus" \
           "vp9+flac|-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -c:a flac" \
           "h264+eac3|-c:v libx264 -preset ultrafast -c:a eac3"; do
    name=${set%%|*}; enc=${set#*|}
    # shellcheck disable=SC2086
    "$ffmpeg9" -nostdin -hide_banner -loglevel error -y $src $enc -f flv "$work/$name.flv" \
        > /dev/null 2>&1 || { bad "FFmpeg 9 could not make $name"; continue; }
    "$ffmpeg9" -nostdin -hide_banner -loglevel error -y -i "$work/$name.flv" -c copy \
        -f flv "$work/$name.remux.flv" || bad "FFmpeg 9 could not remux $name"
    row=""
    for side in ours ref; do
        lib=$ours; [ $side = ref ] && lib=$ref
        port=$(free_port)
        "$ffmpeg9" -nostdin -hide_banner -loglevel quiet -y -listen 1 -timeout 15 \
            -i "rtmp://127.0.0.1:$port/live/key" -c copy -f flv "$work/$name.$side.flv" &
        fp=$!; BG="$BG $fp"
        for _ in $(seq 100); do port_listening "$port" && break; sleep 0.05; done
        LD_LIBRARY_PATH=$lib timeout 30 curl -s -T "$work/$name.flv" "rtmp://127.0.0.1:$port/live/key"
        c_rc=$?
        await_or_interrupt "$fp"
        verdict=$(python3 "$peer" sametags "$work/$name.remux.flv" "$work/$name.$side.flv")
        [ $c_rc = 0 ] || verdict="curl rc $c_rc, $verdict"
        row="$row $(printf '%-14s' "$verdict")"
        [ $side = ours ] && case "$verdict" in identical*) ;; *) bad "$name published through our library: $verdict" ;; esac
    done
    printf '%-16s%s\n' "$name" "$row"
done

if [ $fail = 0 ]; then echo "PASS ertmp.sh"; else echo "FAIL ertmp.sh"; fi
exit $fail
