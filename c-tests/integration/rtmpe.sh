#!/bin/bash
# RTMPE integration scenarios: Debian's unchanged rtmpdump (client) against c-tests/rtmpe_server.c
# (a small VOD server on the librtmp API: RTMP_Serve + RTMP_ReadPacket/SendPacket + AMF), each side
# on our build/lib/librtmp.so.1 or on the system librtmp 2.4, for the handshake types 6, 8, 9.
#   A. pairings client ours|system x server ours|system x type 6|8|9: the downloaded FLV must equal
#      the download over plain rtmp:// (bytes) and the source's tags (type, timestamp, payload md5;
#      rtmpdump drops the source's last tag on plain rtmp:// too); the S0 type the client saw
#      ("Type Answer" in its -V log) must be the type asked for. Forcing the type:
#      LIBRTMP_RTMPE_TYPE=6|8|9 on our side (client: the C0 sent, 6 also with C1[4] != 0x80;
#      server: the S0 answered). librtmp 2.4's client always sends C0=6 with C1[4]=0x80 and its
#      server then answers 8 and rejects C0=9: cells that cannot exist are "n.a.".
#   B. rtmpsrv (Debian's, on ours | on the system lib; port 1935, so in a private network
#      namespace) with an rtmpe:// rtmpdump client: what it prints about the connect and play (the
#      rtmpdump command line it builds: tcUrl, app, playpath ...) must be the same on both.
#   C. bad peers (c-tests/integration/rtmpe_peer.py as a hostile RTMPE server): DH key 0, 1, p-1,
#      p, wrong S1 digest, wrong S2 signature, S1/S2 truncated then closed, S1 truncated then a
#      stall. Ours must give up inside the handshake (nothing sent after it), exit non-zero
#      below 128, print an ERROR line, within rtmpdump's --timeout 3 (+ slack); two modes also
#      under valgrind (memory errors / definite leaks fail), and every mode with play_client.c
#      built with ASan + UBSan (a report fails). The system lib's result is shown.
# Exits 1 on any failure. About 1 minute.
# usage: c-tests/integration/rtmpe.sh   (after `make lib`; KEEP=1 keeps the work directory;
#        RTMPE_SERVER_OURS / RTMPE_SERVER_SYS: prebuilt servers, else built into the work dir)
set -u
. "$(dirname "$0")/lib.sh"
begin_scenarios rtmpe

peer="$top/c-tests/integration/rtmpe_peer.py"
fail=0
rows_a=() rows_b=() rows_c=() notes=()
# TIMING=1 prints the elapsed time at each stage (stderr)
stage() { [ -z "${TIMING:-}" ] || echo "[${SECONDS}s] $*" >&2; }
libof() { if [ "$1" = ours ]; then echo "$ours"; else echo "$ref"; fi; }
sz() { [ -f "$1" ] && stat -c %s "$1" || echo 0; }
h() { [ -s "$1" ] && md5sum < "$1" | cut -c1-10 || echo "-"; }
errline() { grep -m 1 '^ERROR' "$1" 2>/dev/null | cut -c1-80; }
# wait_port PORT PID: until PORT listens (PID must stay alive), at most 5 s
wait_port() {
    local i=0
    while ! port_listening "$1"; do
        i=$((i + 1)); [ $i -gt 50 ] && return 1
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
}
# flvtags FILE: one line per FLV tag: type timestamp md5(payload)
flvtags() {
    /usr/bin/python3 - "$1" <<'PY'
import hashlib, sys
d = open(sys.argv[1], "rb").read()
if d[:3] == b"FLV":
    o = int.from_bytes(d[5:9], "big") + 4
    while o + 11 <= len(d):
        n = int.from_bytes(d[o + 1:o + 4], "big")
        body = d[o + 11:o + 11 + n]
        if len(body) < n:
            break
        print(d[o] & 0x1f, int.from_bytes(d[o + 4:o + 7], "big") | d[o + 7] << 24, hashlib.md5(body).hexdigest())
        o += 11 + n + 4
PY
}

# ---------------------------------------------------------------------------------------------
# the server, built on each library from the same source
srv_ours=${RTMPE_SERVER_OURS:-$work/rtmpe_server.ours}
srv_sys=${RTMPE_SERVER_SYS:-$work/rtmpe_server.sys}
if [ -z "${RTMPE_SERVER_OURS:-}" ]; then
    cc -std=gnu99 -g -O1 -Wall -Wextra -Werror -I"$top/include" -o "$srv_ours" \
        "$top/c-tests/rtmpe_server.c" -L"$ours" -lrtmp || die "building rtmpe_server on our headers"
fi
if [ -z "${RTMPE_SERVER_SYS:-}" ]; then
    cc -std=gnu99 -g -O1 -Wall -Wextra -Werror -o "$srv_sys" "$top/c-tests/rtmpe_server.c" \
        -L"$ref" -l:librtmp.so.1 || die "building rtmpe_server on the system headers"
fi
srvbin() { if [ "$1" = ours ]; then echo "$srv_ours"; else echo "$srv_sys"; fi; }
check_loaded "$(command -v rtmpdump)"
check_loaded "$srv_ours"
check_loaded "$srv_sys"

src="$work/clip.flv"
make_clip "$src" 3
flvtags "$src" > "$work/src.tags"
src_n=$(wc -l < "$work/src.tags")

# run_cell TAG CLIENT SERVER SCHEME CLIENT_ENV SERVER_ENV: one server (one connection) on SERVER's
# library with SERVER_ENV, rtmpdump -V on CLIENT's with CLIENT_ENV (env assignments or "-"),
# SCHEME://127.0.0.1:PORT/app/clip -> $work/TAG.{flv,log,rc,srv}
run_cell() {
    local tag=$1 cl=$2 sv=$3 scheme=$4 cenv=$5 senv=$6 port spid
    [ "$cenv" = - ] && cenv=""
    [ "$senv" = - ] && senv=""
    port=$(free_port)
    # shellcheck disable=SC2086
    env LD_LIBRARY_PATH="$(libof "$sv")" $senv timeout 40 "$(srvbin "$sv")" "$port" "$src" 1 \
        > "$work/$tag.srv" 2> "$work/$tag.srverr" &
    spid=$!; BG="$BG $spid"
    if ! wait_port "$port" "$spid"; then
        echo 125 > "$work/$tag.rc"; echo "server did not start" > "$work/$tag.log"; return
    fi
    # shellcheck disable=SC2086
    env LD_LIBRARY_PATH="$(libof "$cl")" $cenv timeout 30 rtmpdump -V -r "$scheme://127.0.0.1:$port/app/clip" \
        -o "$work/$tag.flv" > "$work/$tag.log" 2>&1
    echo $? > "$work/$tag.rc"
    wait "$spid" 2>/dev/null
}

# plain rtmp:// baselines (what rtmpdump on each library downloads from the system-lib server)
for cl in ours ref; do
    run_cell "plain.$cl" "$cl" ref rtmp - -
    flvtags "$work/plain.$cl.flv" > "$work/plain.$cl.tags"
done
base_ok=1
for cl in ours ref; do
    n=$(wc -l < "$work/plain.$cl.tags")
    if [ "$n" -lt $((src_n - 1)) ] || ! head -n "$n" "$work/src.tags" | cmp -s - "$work/plain.$cl.tags"; then
        base_ok=0; fail=1
        rows_a+=("$(printf 'FAIL %-28s %s' "plain rtmp:// client=$cl" "tags differ from the source ($n/$src_n; rc=$(rc "$work/plain.$cl.rc")) [$(errline "$work/plain.$cl.log")]")")
    fi
done
[ $base_ok = 1 ] && cmp -s "$work/plain.ours.flv" "$work/plain.ref.flv" ||
    notes+=("plain rtmp:// downloads differ between the client libraries")
[ "$(wc -l < "$work/plain.ref.tags")" = "$src_n" ] ||
    notes+=("rtmpdump wrote $(wc -l < "$work/plain.ref.tags")/$src_n source tags over plain rtmp:// too (the last one is dropped by rtmpdump/librtmp 2.4 itself); the RTMPE cells must match that")

# ---------------------------------------------------------------------------------------------
# A. the pairings
stage "A pairings"
# cell_plan CLIENT SERVER TYPE: "CLIENT_ENV SERVER_ENV" or "n.a. REASON"
cell_plan() {
    local cl=$1 sv=$2 t=$3
    case "$cl.$sv" in
        ref.ref) [ "$t" = 8 ] && echo "- -" ||
            echo "n.a.: librtmp 2.4's client sends C0=6 + C1[4]=0x80, its server answers 8" ;;
        ours.ref) case $t in
            8) echo "- -" ;;
            6) echo "LIBRTMP_RTMPE_TYPE=6 -" ;;
            9) echo "n.a.: the reference server has no type 9" ;; esac ;;
        ref.ours) echo "- LIBRTMP_RTMPE_TYPE=$t" ;;
        ours.ours) echo "LIBRTMP_RTMPE_TYPE=$t LIBRTMP_RTMPE_TYPE=$t" ;;
    esac
}
for cl in ours ref; do
    for sv in ours ref; do
        for t in 6 8 9; do
            plan=$(cell_plan $cl $sv $t)
            name=$(printf 'client %-6s server %-6s type %s' "$cl" "$sv" "$t")
            case "$plan" in
                n.a.*) rows_a+=("$(printf '%-4s %-36s %s' n.a. "$name" "${plan#n.a.: }")"); continue ;;
            esac
            tag="e.$cl.$sv.$t"
            # shellcheck disable=SC2086
            run_cell "$tag" "$cl" "$sv" rtmpe $plan
            flvtags "$work/$tag.flv" > "$work/$tag.tags"
            r=$(rc "$work/$tag.rc")
            seen=$(grep -m 1 -o 'Type Answer *: *[0-9A-Fa-f]*' "$work/$tag.log" | grep -o '[0-9A-Fa-f]*$')
            [ -n "$seen" ] || seen=$(grep -o 'answered=[0-9A-F]*' "$work/$tag.srv" | cut -d= -f2)
            req=$(grep -o 'requested=[0-9A-F-]*' "$work/$tag.srv" | cut -d= -f2)
            d="$(sz "$work/$tag.flv") $(h "$work/$tag.flv") tags=$(wc -l < "$work/$tag.tags")/$src_n rc=$r C0=${req:--} S0=${seen:--}"
            v=PASS why=""
            { [ "$r" = 0 ] || [ "$r" = "$(rc "$work/plain.$cl.rc")" ]; } || { v=FAIL; why="$why exit code (plain: $(rc "$work/plain.$cl.rc"))"; }
            cmp -s "$work/$tag.flv" "$work/plain.$cl.flv" || { v=FAIL; why="$why bytes != plain download"; }
            cmp -s "$work/$tag.tags" "$work/plain.$cl.tags" || { v=FAIL; why="$why tags != source"; }
            [ "$((10#${seen:-0}))" = "$t" ] || { v=FAIL; why="$why answered type ${seen:-not logged} != $t"; }
            grep -q "handshake ok" "$work/$tag.srv" || { v=FAIL; why="$why server: $(grep -m 1 -o 'handshake [A-Za-z]*' "$work/$tag.srv")"; }
            [ $v = PASS ] || { fail=1; why=" [${why# }] [$(errline "$work/$tag.log")$(grep -m 1 -E 'ERROR' "$work/$tag.srverr" | cut -c1-60)]"; }
            rows_a+=("$(printf '%-4s %-36s %s%s' "$v" "$name" "$d" "$why")")
        done
    done
done

# ---------------------------------------------------------------------------------------------
stage "B rtmpsrv"
# B. rtmpsrv on each library with an rtmpe:// rtmpdump client (system lib and ours), in a private
#    network namespace; what rtmpsrv prints (stdout) must be the same on both libraries
rtmpsrv_rtmpe() { # SRVLIB CLIENTLIB DIR
    local dir=$3
    mkdir -p "$dir/stub"
    printf '#!/bin/sh\nn=0; while [ -e "$RTMPSRV_SPAWN_DIR/spawn.$n" ]; do n=$((n + 1)); done\nprintf "%%s\\n" "$@" > "$RTMPSRV_SPAWN_DIR/spawn.$n"\n' \
        > "$dir/stub/rtmpdump"
    chmod +x "$dir/stub/rtmpdump"
    cat > "$dir/session.sh" <<'SESSION'
set -u
srvlib=$1 clib=$2 dir=$3
ip link set lo up || exit 1
cd "$dir" || exit 1
rm -f srv.in; mkfifo srv.in; exec 9<>srv.in
PATH="$dir/stub:$PATH" RTMPSRV_SPAWN_DIR=$dir LD_LIBRARY_PATH=$srvlib rtmpsrv < srv.in > srv.out 2> srv.err &
spid=$!
trap 'kill "$spid" 2>/dev/null' EXIT TERM
for _ in $(seq 50); do
    grep -q ':078F 00000000:0000 0A' /proc/net/tcp && break
    kill -0 "$spid" 2>/dev/null || break
    sleep 0.1
done
LD_LIBRARY_PATH=$clib timeout 10 /usr/bin/rtmpdump -V -m 3 --timeout 3 \
    -r rtmpe://127.0.0.1:1935/vod/rtmpe-play -o rtmpdump.flv > rtmpdump.log 2>&1
echo $? > rtmpdump.rc
sleep 0.2
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
exec 9>&-
exit 0
SESSION
    timeout 40 unshare -n bash "$dir/session.sh" "$1" "$2" "$dir" > "$dir/session.log" 2>&1
}
if ! unshare -n sh -c 'ip link set lo up' >/dev/null 2>&1; then
    rows_b+=("SKIP rtmpsrv (no private network namespace: rtmpsrv binds the hard-coded port 1935)")
else
    # the four sessions at once, each in its own namespace
    spids=""
    for cl in ref ours; do
        for sv in ours ref; do
            rtmpsrv_rtmpe "$(libof $sv)" "$(libof $cl)" "$work/srv.$cl.$sv" & spids="$spids $!"; BG="$BG $!"
        done
    done
    for p in $spids; do wait "$p"; done
    for cl in ref ours; do
        o="$work/srv.$cl.ours" s="$work/srv.$cl.ref"
        line() { grep -m 1 'rtmpdump -r' "$1/srv.out" 2>/dev/null | cut -c1-100; }
        if [ -n "$(line "$s")" ] && cmp -s "$o/srv.out" "$s/srv.out"; then
            rows_b+=("$(printf 'PASS rtmpsrv <- rtmpe rtmpdump(%s): same on both libraries: %s' "$cl" "$(line "$o")...")")
        else
            fail=1
            rows_b+=("$(printf 'FAIL rtmpsrv <- rtmpe rtmpdump(%s): ours [%s] system [%s]' "$cl" \
                "$(line "$o")$(cat "$o/srv.err" "$o/rtmpdump.log" 2>/dev/null | grep -m 1 '^ERROR' | cut -c1-70)" \
                "$(line "$s")$(cat "$s/srv.err" "$s/rtmpdump.log" 2>/dev/null | grep -m 1 '^ERROR' | cut -c1-70)")")
            [ -s "$s/srv.out" ] && notes+=("rtmpsrv output (< system, > ours), client $cl:
$(diff "$s/srv.out" "$o/srv.out" | head -n 10)")
        fi
    done
fi

# ---------------------------------------------------------------------------------------------
stage "C bad peers"
# C. bad peers: every mode on both libraries at once (each its own port), then two under valgrind
modes="dh0 dh1 dhpm1 dhp digest1 digest2 s1trunc s2trunc s1stall"
# bad_run TAG SIDE MODE [WRAPPER...]: peer in MODE, rtmpdump on SIDE's library -> $work/bad.TAG.*
bad_run() {
    local tag=$1 side=$2 mode=$3 port ppid t0
    shift 3
    port=$(free_port)
    /usr/bin/python3 "$peer" "$port" --mode "$mode" --wait 15 > "$work/bad.$tag.peer" 2>&1 &
    ppid=$!; BG="$BG $ppid"
    wait_port "$port" "$ppid" || { echo 125 > "$work/bad.$tag.rc"; return; }
    t0=$(date +%s.%N)
    LD_LIBRARY_PATH=$(libof "$side") timeout 30 "$@" rtmpdump -m 10 --timeout 3 \
        -r "rtmpe://127.0.0.1:$port/app/x" -o "$work/bad.$tag.flv" > "$work/bad.$tag.log" 2>&1
    echo $? > "$work/bad.$tag.rc"
    awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f\n", a - b }' > "$work/bad.$tag.time"
    wait "$ppid" 2>/dev/null
}
# the system side (shown, not judged) all at once in the background; ours one mode after the
# other, so that its timings are not skewed by the load
bpids=""
for m in $modes; do
    bad_run "$m.ref" ref "$m" & bpids="$bpids $!"; BG="$BG $!"
done
for m in $modes; do
    bad_run "$m.ours" ours "$m"
done
for p in $bpids; do wait "$p"; done
stage "C valgrind"
vg_modes="dhpm1 s2trunc"
# rtmpdump's own leaks are not the library's: its malloc'd option strings, and the playpath that
# RTMP_ParseURL returns (the caller owns it and rtmpdump never frees it)
cat > "$work/rtmpdump.supp" <<'SUPP'
{
   rtmpdump-owns-the-ParseURL-playpath
   Memcheck:Leak
   match-leak-kinds: definite
   fun:malloc
   ...
   fun:RTMP_ParseURL
   obj:/usr/bin/rtmpdump
}
{
   rtmpdump-own-allocations
   Memcheck:Leak
   match-leak-kinds: definite
   fun:malloc
   obj:/usr/bin/rtmpdump
}
SUPP
bpids=""
for m in $vg_modes; do
    bad_run "$m.vg" ours "$m" valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite --suppressions="$work/rtmpdump.supp" \
        --log-file="$work/bad.$m.vg.valgrind" & bpids="$bpids $!"; BG="$BG $!"
done
for p in $bpids; do wait "$p"; done
stage "C asan"
# every mode once more against play_client built with ASan + UBSan on our library
asan_client="$work/play_client.asan"; build_asan_client "$asan_client"
asan_run() {
    local port ppid
    port=$(free_port)
    /usr/bin/python3 "$peer" "$port" --mode "$1" --wait 15 > "$work/bad.$1.asan.peer" 2>&1 &
    ppid=$!; BG="$BG $ppid"
    wait_port "$port" "$ppid" || { echo 125 > "$work/bad.$1.asan.rc"; return; }
    run_asan_client "$work/bad.$1.asan" "rtmpe://127.0.0.1:$port/app/x"
    wait "$ppid" 2>/dev/null
}
bpids=""
for m in $modes; do asan_run "$m" & bpids="$bpids $!"; BG="$BG $!"; done
for p in $bpids; do wait "$p"; done

# after_bytes TAG: bytes the client sent after the handshake (the peer's count; "-" unknown)
after_bytes() { grep -m 1 -o 'after the handshake: [0-9]*' "$work/bad.$1.peer" | grep -o '[0-9]*$' || echo "-"; }
bdesc() {
    local t=$1
    echo "rc=$(rc "$work/bad.$t.rc") $(cat "$work/bad.$t.time" 2>/dev/null)s sent-after=$(after_bytes "$t") [$(errline "$work/bad.$t.log")]"
}
clean=0
for m in $modes; do
    t="$m.ours" r=$(rc "$work/bad.$m.ours.rc") el=$(cat "$work/bad.$m.ours.time" 2>/dev/null || echo 99)
    v=PASS why=""
    { [ "$r" != 0 ] && [ "$r" != "?" ] && [ "$r" -lt 124 ]; } || { v=FAIL; why="$why exit code"; }
    grep -q '^ERROR' "$work/bad.$t.log" || { v=FAIL; why="$why no ERROR line"; }
    awk -v e="$el" 'BEGIN { exit !(e <= 6.5) }' || { v=FAIL; why="$why took ${el}s"; }
    [ "$(after_bytes "$t")" = 0 ] || { v=FAIL; why="$why did not stop in the handshake"; }
    grep -q '^C0 ' "$work/bad.$t.peer" || { v=FAIL; why="$why sent no C0+C1 (no RTMPE handshake attempted)"; }
    [ $v = PASS ] && clean=$((clean + 1)) || fail=1
    rows_c+=("$(printf '%-4s %-8s ours %-62s | system %s%s' "$v" "$m" "$(bdesc "$t")" "$(bdesc "$m.ref")" "${why:+ (${why# })}")")
done
for m in $vg_modes; do
    t="$m.vg" r=$(rc "$work/bad.$t.rc")
    lost=$(grep -h -E 'definitely lost|ERROR SUMMARY|Invalid' "$work/bad.$t.valgrind" 2>/dev/null | head -n 3 | tr '\n' ' ')
    if [ "$r" = 99 ] || [ "$r" -ge 124 ] 2>/dev/null || [ "$r" = 0 ] || ! grep -q '^C0 ' "$work/bad.$t.peer"; then
        grep -q '^C0 ' "$work/bad.$t.peer" || lost="no RTMPE handshake attempted [$(errline "$work/bad.$t.log")] $lost"
        fail=1
        rows_c+=("$(printf 'FAIL %-8s valgrind(ours) rc=%s %s' "$m" "$r" "${lost:-see $work/bad.$t.valgrind}")")
    else
        rows_c+=("$(printf 'PASS %-8s valgrind(ours) rc=%s, no memory error, no definite leak' "$m" "$r")")
    fi
done
for m in $modes; do
    row=$(asan_row "$work/bad.$m.asan" "$m") || fail=1
    rows_c+=("$row")
done

# ---------------------------------------------------------------------------------------------
echo "A. rtmpe pairings (rtmpdump client x rtmpe_server; ours = build/lib, system = $ref_lib)"
echo "   cell: size md5 tags=got/source rc C0=(server's 'Type Requested') S0=(client's 'Type Answer')"
printf '%s\n' "${rows_a[@]}"
echo "B. rtmpsrv (ours vs system) with an rtmpe:// rtmpdump client"
printf '%s\n' "${rows_b[@]}"
echo "C. bad RTMPE servers (rtmpe_peer.py), rtmpdump -m 10 --timeout 3; sent-after = bytes the client sent after the handshake"
printf '%s\n' "${rows_c[@]}"
echo "bad peers: $clean/$(echo $modes | wc -w) rejected cleanly on ours"
for n in "${notes[@]}"; do echo "note: $n"; done
[ $fail -eq 0 ] && echo "integration rtmpe: all passed" || echo "integration rtmpe: FAILED"
exit $fail
