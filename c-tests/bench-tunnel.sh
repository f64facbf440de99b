#!/bin/bash
# Tunnel benchmark: publish and play over rtmpt:// (HTTP tunnel) and rtmpe:// (encrypted), the same
# client program run alternately on our library and on the system librtmp 2.4 (LD_LIBRARY_PATH),
# ROUNDS rounds; prints medians and same-run ratios ours/ref. Cases:
#   rtmpt play          bench_session read of an FLV from nginx-rtmp's vod application through
#                       integration/rtmpt_gateway.py (a Python RTMPT gateway to nginx on loopback)
#   rtmpt publish N     bench_session write of the FLV into nginx's live application through the
#                       gateway, out chunk size N = 128 and 4096 (Set Chunk Size sent by the caller)
#   rtmpe play          bench_session read from bench_rtmpe_server.c (built and run on the system
#                       librtmp only: the fixed counterpart for both sides), which streams an FLV
#   rtmpe publish N     bench_session write into the same server (it reads and discards)
# Columns: MB/s and CPU-s/GB of the client process (bench_session's RESULT line: the whole read
# session; the publish data phase up to RTMP_Close); write calls per message (the client's
# write/writev/send/sendto/sendmsg on sockets, strace -f, over a separate untimed run with a
# shorter FLV, divided by its FLV tags: published, or received); HTTP requests per MB (rtmpt: the
# gateway's --stats POST count of that same untimed run, per MB of FLV).
# After every timed rtmpt run the script waits until nginx has logged the end of the session
# (the gateway relays at Python speed, so a publisher may finish long before its bytes reach
# nginx; a run never overlaps the previous one's backlog). The Python gateway is the bottleneck of
# the rtmpt cases: their MB/s are only good for same-run ratios.
# Every run's loaded library is checked (dladdr of RTMP_Read in bench_session). Timings never fail;
# set-up errors (nginx, the gateway, the server, the wrong library, a failed session) exit
# non-zero. When our library cannot do rtmpe:// yet ("not supported by this build"), its rtmpe
# columns are left out and the reference's are shown.
# usage: bench-tunnel.sh OUR_LIBDIR REF_LIBRARY [ROUNDS]   (ROUNDS: else $ROUNDS, else 3)
set -e
here=$(cd "$(dirname "$0")" && pwd)
# bench_args, build_bench_session, libdir, run_session; lib.sh's start_nginx, stop_nginx, die,
# free_port, port_listening, make_ref_dir, make_lossless_clip, require_integration_deps
# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"
bench_args "$@"
[ $# -ge 3 ] || rounds=${ROUNDS:-3}
command -v nginx >/dev/null && [ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] &&
    command -v ffmpeg >/dev/null || require_integration_deps
command -v strace >/dev/null || die "strace is missing (write-call counts): apt-get install strace"
gateway="$here/integration/rtmpt_gateway.py"
[ -f "$gateway" ] || die "no $gateway"

build_bench_session

work=$(mktemp -d /tmp/rtmp-bench-tunnel.XXXXXX)
NGX_PID="" BG=""
cleanup() {
    local p
    for p in $BG; do { kill "$p" && wait "$p"; } 2>/dev/null || true; done
    NGX_PID=""
    stop_nginx
    if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ref="$work/ref"
make_ref_dir "$ref"
: > "$work/results"

# The server for rtmpe://, on the system library (its headers if installed, else ours: the same
# ABI).
srv="$work/bench_rtmpe_server"
inc=""; [ -f /usr/include/librtmp/rtmp.h ] || inc="-I$here/../include"
# shellcheck disable=SC2086
${CC:-cc} -std=gnu99 -O2 -Wall $inc -o "$srv" "$here/bench_rtmpe_server.c" -L"$ref" -l:librtmp.so.1 \
    || die "cannot build bench_rtmpe_server"
got=$(loaded "$ref" "$srv")
[ "$got" = "$ref/librtmp.so.1" ] || die "bench_rtmpe_server would load '$got', not the system library"

# FLV helper: "count FILE" -> media tags (8, 9, 18) and their payload bytes; "cut IN OUT BYTES" ->
# OUT = IN's header and its first whole tags up to about BYTES.
cat > "$work/flv.py" <<'PY'
import sys
def tags(d):
    o = int.from_bytes(d[5:9], "big") + 4
    while o + 11 <= len(d):
        n = int.from_bytes(d[o + 1:o + 4], "big")
        if o + 11 + n + 4 > len(d):
            break
        yield o, d[o] & 0x1f, n
        o += 11 + n + 4
d = open(sys.argv[2], "rb").read()
if sys.argv[1] == "count":
    t = [n for _, ty, n in tags(d) if ty in (8, 9, 18)]
    print(len(t), sum(t))
else:
    end = int.from_bytes(d[5:9], "big") + 4
    for o, _, n in tags(d):
        end = o + 11 + n + 4
        if end >= int(sys.argv[4]):
            break
    open(sys.argv[3], "wb").write(d[:end])
PY
flv() { /usr/bin/python3 "$work/flv.py" "$@"; }

# The FLVs: 4 s of 1280x720 lossless H.264 + AAC (~7 MB, "clip": rtmpt, where the Python gateway
# is slow), looped 3 times (~21 MB, "big": rtmpe), and the first ~3 MB of the clip ("small": the
# untimed counting runs under strace).
ngx="$work/ngx"
mkdir -p "$ngx/vod"
clip="$ngx/vod/clip.flv" big="$work/big.flv" small="$ngx/vod/small.flv"
# (make_lossless_clip's encoding, 4 s instead of 10: the machine may be busy)
if ffmpeg -hide_banner -encoders 2>/dev/null | grep -q libx264; then
    vc="-c:v libx264 -preset ultrafast -qp 0 -g 50 -pix_fmt yuv420p"; ac="-c:a aac -b:a 128k"
else
    vc="-c:v flv1 -q:v 1 -g 50"; ac="-c:a libmp3lame -b:a 128k"
fi
# shellcheck disable=SC2086
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1280x720:rate=25" \
    -f lavfi -i sine=frequency=440:sample_rate=44100 -t 4 $vc $ac -f flv "$clip" \
    || die "ffmpeg could not make $clip"
ffmpeg -nostdin -hide_banner -loglevel error -y -stream_loop 2 -i "$clip" -c copy -f flv "$big" \
    || die "ffmpeg could not loop the clip"
flv cut "$clip" "$small" 3000000
read -r small_tags small_bytes < <(flv count "$small")
read -r big_tags big_bytes < <(flv count "$big")
read -r clip_tags clip_bytes < <(flv count "$clip")
[ "$small_tags" -gt 20 ] && [ "$big_tags" -gt 200 ] || die "unexpected FLVs ($small_tags / $big_tags tags)"

# nginx-rtmp (output queue larger than the file's message count, rtmp access log: one line per
# finished session with the bytes received), the timed gateway, and two rtmpe servers (big, small).
start_nginx "$ngx" "out_queue 8192;" "access_log $ngx/logs/rtmp-access.log;"
BG="$NGX_PID"
access="$ngx/logs/rtmp-access.log"

# start_gateway VAR [ARGS...]: starts rtmpt_gateway.py (unreachable sessions reaped after 3 s
# without requests, so a session whose client vanished still ends), sets VAR to its port and
# GW_PID to its PID.
start_gateway() {
    local var=$1 pf i=0
    shift
    pf=$(mktemp "$work/gw.XXXXXX"); rm -f "$pf"
    /usr/bin/python3 "$gateway" --upstream "127.0.0.1:$PORT" --idle-timeout 3 --port-file "$pf" "$@" \
        > "$pf.out" 2> "$pf.err" &
    GW_PID=$!
    BG="$BG $GW_PID"
    while [ ! -s "$pf" ]; do
        i=$((i + 1))
        [ $i -gt 200 ] && die "the RTMPT gateway did not start: $(head -c 600 "$pf.err")"
        kill -0 "$GW_PID" 2>/dev/null || die "the RTMPT gateway exited: $(head -c 600 "$pf.err")"
        sleep 0.05
    done
    printf -v "$var" '%s' "$(cat "$pf")"
}
stop_pid() {
    { kill "$1" && wait "$1"; } 2>/dev/null || true
    BG=$(echo " $BG " | sed "s/ $1 / /")
}

start_gateway GW

# start_server VAR FLV: bench_rtmpe_server on the system library, sets VAR to its port; its lines
# go to $work/srv-PORT.log
start_server() {
    local p i=0 pid
    p=$(free_port)
    LD_LIBRARY_PATH="$ref" "$srv" "$p" "$2" > "$work/srv-$p.log" 2> "$work/srv-$p.err" &
    pid=$!
    BG="$BG $pid"
    while ! port_listening "$p"; do
        i=$((i + 1))
        [ $i -gt 50 ] && die "bench_rtmpe_server did not start: $(head -c 600 "$work/srv-$p.err")"
        kill -0 "$pid" 2>/dev/null || die "bench_rtmpe_server exited: $(head -c 600 "$work/srv-$p.err")"
        sleep 0.1
    done
    printf -v "$1" '%s' "$p"
}
start_server SRV "$big"
start_server SRV_SMALL "$small"

# nginx_settle: waits until nginx has logged every rtmpt session started so far ($nginx_sessions)
# (at most 40 s; then a warning, and the count follows what was logged).
nginx_sessions=0
nginx_settle() {
    local i=0 n
    while :; do
        n=$(grep -c . "$access" 2>/dev/null || true)
        [ "${n:-0}" -ge "$nginx_sessions" ] && return 0
        i=$((i + 1))
        if [ $i -gt 400 ]; then
            echo "bench-tunnel: WARNING: nginx logged $n of $nginx_sessions sessions after 40 s" >&2
            nginx_sessions=$n
            return 0
        fi
        sleep 0.1
    done
}

# server_line PORT: sets $server_line to the rtmpe server's line for the connection that just ended
# (it prints it once the client has gone; waits up to 10 s)
server_line() {
    local i=0 log="$work/srv-$1.log"
    while [ "$(grep -c . "$log" || true)" -lt "$((srv_seen[$1] + 1))" ]; do
        i=$((i + 1))
        [ $i -gt 100 ] && die "bench_rtmpe_server on $1 printed nothing for the last connection"
        sleep 0.1
    done
    srv_seen[$1]=$((srv_seen[$1] + 1))
    server_line=$(sed -n "${srv_seen[$1]}p" "$log")
}
declare -A srv_seen=([$SRV]=0 [$SRV_SMALL]=0)

# timed SIDE PROTO CASE ARGS...: one bench_session run, its RESULT appended to results; then the
# server side is waited for / checked.
n=0
timed() {
    local side=$1 proto=$2 case=$3
    shift 3
    run_session "$side" "$@"
    echo "$side $proto $case $result" >> "$work/results"
    if [ "$proto" = rtmpt ]; then
        nginx_sessions=$((nginx_sessions + 1))
        nginx_settle
    else
        server_line "$SRV"
        echo "$side $proto $case SERVER $server_line" >> "$work/results"
    fi
}

# counted SIDE PROTO CASE ARGS...: the same under strace (socket writes) on the small FLV; rtmpt
# through a fresh gateway with --stats (its POST count); appends "SIDE PROTO CASE COUNT writes
# msgs posts mbytes".
counted() {
    local side=$1 proto=$2 case=$3 st="$work/strace.out" writes msgs posts="-" mb out="" stats
    shift 3
    WRAP="strace -f -qq -y -s 0 -e trace=write,writev,send,sendto,sendmsg -o $st"
    run_session "$side" "$@"
    WRAP=""
    writes=$(grep -Ec '^([0-9]+ +)?(write|writev|send|sendto|sendmsg)\([0-9]+<(socket|TCP|UDP)' "$st" || true)
    case "$1" in
        read) out=$3; read -r msgs mb < <(flv count "$out") ;;
        write) msgs=$small_tags; mb=$small_bytes ;;
    esac
    if [ "$proto" = rtmpt ]; then
        nginx_sessions=$((nginx_sessions + 1))
        nginx_settle
        sleep 0.3
        stats=$COUNT_STATS
        # POSTs, and the bytes the tunnel carried in the direction of the media (the reference
        # loses the tail of a publication: see the report)
        read -r posts mb < <(/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(sum(d["posts"].values()), d["bytes"]["client_to_server" if sys.argv[2] == "write" else "server_to_client"])' "$stats" "$1") \
            || die "no gateway statistics in $stats"
    else
        server_line "$SRV_SMALL"
        echo "$side $proto $case SERVER $server_line" >> "$work/results"
    fi
    echo "$side $proto $case COUNT $writes $msgs $posts $mb" >> "$work/results"
    [ -z "$out" ] || mv "$out" "$work/count-$proto-$side.flv"
}

# ---------------------------------------------------------------------------------------------
# Does our library do rtmpe:// yet? (One untimed play; any other failure is a set-up error.)
ours_rtmpe=1
if ! LD_LIBRARY_PATH="$ours" "$bin" read "rtmpe://127.0.0.1:$SRV_SMALL/vod/small" > "$work/probe" 2> "$work/err"; then
    grep -q "not supported" "$work/err" ||
        die "bench_session read rtmpe:// on ours failed: $(head -c 600 "$work/err")"
    ours_rtmpe=0
    echo "bench-tunnel: our library cannot do rtmpe:// yet ($(grep -m1 -o 'encryption.*' "$work/err")): rtmpe columns are the reference's only" >&2
fi
# (the server's line for the probe, if it got that far)
for i in $(seq 1 30); do
    [ "$(grep -c . "$work/srv-$SRV_SMALL.log" || true)" -ge 1 ] && break
    sleep 0.1
done
srv_seen[$SRV_SMALL]=$(grep -c . "$work/srv-$SRV_SMALL.log" || true)
sides_e="ours ref"; [ $ours_rtmpe -eq 1 ] || sides_e="ref"

# Counting runs (untimed; also the content check: both sides must receive the same FLV).
for side in ours ref; do
    COUNT_STATS="$work/stats-$side-play.json"
    start_gateway CGW --stats "$COUNT_STATS"
    counted "$side" rtmpt play read "rtmpt://127.0.0.1:$CGW/vod/small.flv" "$work/out.flv"
    stop_pid "$GW_PID"
    for c in 128 4096; do
        COUNT_STATS="$work/stats-$side-$c.json"
        start_gateway CGW --stats "$COUNT_STATS"
        counted "$side" rtmpt "publish$c" write "rtmpt://127.0.0.1:$CGW/live/count-$side-$c" "$small" "$c"
        stop_pid "$GW_PID"
    done
done
for side in $sides_e; do
    counted "$side" rtmpe play read "rtmpe://127.0.0.1:$SRV_SMALL/vod/small" "$work/out.flv"
    for c in 128 4096; do
        counted "$side" rtmpe "publish$c" write "rtmpe://127.0.0.1:$SRV_SMALL/live/count" "$small" "$c"
    done
done
same="identical"
for proto in rtmpt rtmpe; do
    for side in ours ref; do
        [ -f "$work/count-$proto-$side.flv" ] || continue
        cmp -s "$work/count-rtmpt-ref.flv" "$work/count-$proto-$side.flv" ||
            same="DIFFERENT ($proto $side vs rtmpt ref: $(cmp "$work/count-rtmpt-ref.flv" "$work/count-$proto-$side.flv" 2>&1 | head -n 1))"
    done
done

# Timed rounds, the two libraries alternating.
r=1
while [ $r -le "$rounds" ]; do
    if [ $((r % 2)) -eq 1 ]; then order="ours ref"; else order="ref ours"; fi
    for side in $order; do timed "$side" rtmpt play read "rtmpt://127.0.0.1:$GW/vod/clip.flv"; done
    for c in 128 4096; do
        for side in $order; do
            n=$((n + 1))
            timed "$side" rtmpt "publish$c" write "rtmpt://127.0.0.1:$GW/live/t$n-$side-$c" "$clip" "$c"
        done
    done
    for side in $order; do
        case " $sides_e " in *" $side "*) ;; *) continue ;; esac
        timed "$side" rtmpe play read "rtmpe://127.0.0.1:$SRV/vod/big"
    done
    for c in 128 4096; do
        for side in $order; do
            case " $sides_e " in *" $side "*) ;; *) continue ;; esac
            timed "$side" rtmpe "publish$c" write "rtmpe://127.0.0.1:$SRV/live/t" "$big" "$c"
        done
    done
    r=$((r + 1))
done

PYTHONPATH="$here" python3 -B - "$work/results" "$rounds" "$clip_bytes" "$clip_tags" "$big_bytes" \
    "$big_tags" "$small_bytes" "$small_tags" "$same" "$access" "$ngx/logs/error.log" "$ours_rtmpe" <<'EOF'
import os, re, statistics, sys
from bench_report import goal
(results, rounds, clip_bytes, clip_tags, big_bytes, big_tags, small_bytes, small_tags, same, access,
 errlog, ours_rtmpe) = sys.argv[1:13]
clip_bytes, clip_tags, big_bytes, big_tags = int(clip_bytes), int(clip_tags), int(big_bytes), int(big_tags)
small_bytes, small_tags = int(small_bytes), int(small_tags)
timed, count, server, lost = {}, {}, {}, []
for l in open(results):
    f = l.split()
    side, proto, case, kind = f[0], f[1], f[2], f[3]
    key = (proto, case, side)
    if kind == "RESULT":
        timed.setdefault(key, []).append((float(f[10]), float(f[11]), int(f[7])))
    elif kind == "COUNT":
        writes, msgs, posts, mb = int(f[4]), int(f[5]), f[6], int(f[7])
        count[key] = (writes / max(1, msgs), None if posts == "-" else int(posts) / (mb / 1e6))
        if posts != "-" and mb < small_bytes * 0.99:
            lost.append(f"{case} from {side}: the tunnel carried {mb / 1e6:.2f} of {small_bytes / 1e6:.2f} MB")
    elif kind == "SERVER":
        kv = dict(x.split("=", 1) for x in f[6:] if "=" in x)
        server.setdefault(key, []).append((int(kv.get("msgs", 0)), int(kv.get("bytes", 0)),
                                           kv.get("enc"), "incomplete" in l or "FAILED" in l))

med = lambda v, i: statistics.median(x[i] for x in v)
print(f"tunnel benchmark: medians of {rounds} alternating rounds, ours vs "
      f"{os.environ.get('REF_NAME', 'system librtmp 2.4')}; client process MB/s and CPU-s/GB")
print(f"  rtmpt: nginx-rtmp behind integration/rtmpt_gateway.py (Python: the bottleneck, so rtmpt "
      f"MB/s are only same-run ratios), {clip_bytes / 1e6:.1f} MB FLV, {clip_tags} tags")
print(f"  rtmpe: bench_rtmpe_server on the system librtmp, {big_bytes / 1e6:.1f} MB FLV, {big_tags} tags")
print(f"  writes/msg: socket write calls (strace) per FLV tag published/received, and HTTP req/MB "
      f"(gateway POSTs), from one untimed run each on a {small_bytes / 1e6:.1f} MB FLV ({small_tags} tags)")
hdr = (f"{'case':<19}{'MB/s ours':>10}{'ref':>8}{'x':>7}{'CPU-s/GB ours':>15}{'ref':>8}{'ratio':>7}"
       f"{'writes/msg ours':>17}{'ref':>7}{'HTTP req/MB ours':>18}{'ref':>7}")
print(hdr)
ratio = {}
fmt = lambda v, w, p: f"{v:>{w}.{p}f}" if v is not None else f"{'n/a':>{w}}"
for proto in ("rtmpt", "rtmpe"):
    for case in ("play", "publish128", "publish4096"):
        o, r = timed.get((proto, case, "ours")), timed.get((proto, case, "ref"))
        if not r:
            continue
        mo = med(o, 0) if o else None
        co = med(o, 1) if o else None
        mr, cr = med(r, 0), med(r, 1)
        x = mo / mr if o else None
        cx = co / cr if o else None
        if o:
            ratio[(proto, case)] = (x, cx)
        wo, ho = count.get((proto, case, "ours"), (None, None))
        wr, hr = count.get((proto, case, "ref"), (None, None))
        name = f"{proto} {case.replace('publish', 'publish ')}"
        print(f"{name:<19}{fmt(mo, 10, 1)}{mr:>8.1f}{fmt(x, 7, 2)}{fmt(co, 15, 3)}{cr:>8.3f}"
              f"{fmt(cx, 7, 2)}{fmt(wo, 17, 2)}{fmt(wr, 7, 2)}{fmt(ho, 18, 1)}{fmt(hr, 7, 1)}")
if ours_rtmpe != "1":
    print("(our library cannot do rtmpe:// yet: the rtmpe rows show the reference only)")

# sanity: what each side delivered
print(f"content check (untimed play of the {small_bytes / 1e6:.1f} MB FLV, rtmpt and rtmpe, both "
      f"libraries): {same}")
for (proto, case, side), v in sorted(timed.items()):
    if case == "play":
        got = {x[2] for x in v}
        want = clip_bytes if proto == "rtmpt" else big_bytes
        if any(g < want * 0.99 for g in got):
            print(f"WARNING: {proto} play on {side} received {sorted(got)} bytes (file: {want})")
for (proto, case, side), v in sorted(server.items()):
    bad = [x for x in v if x[3] or x[2] != "1" or
           (case.startswith("publish") and x[0] not in (big_tags, small_tags))]
    if bad:
        print(f"WARNING: rtmpe server, {case} on {side}: {len(bad)} of {len(v)} sessions short, "
              f"unencrypted or failed, e.g. msgs={bad[0][0]} bytes={bad[0][1]} enc={bad[0][2]}")
pub = []
for l in open(access):
    m = re.search(r'PUBLISH "live" "t\d+-(\w+)-(\d+)" "[^"]*" - (\d+) (\d+)', l)
    if m:
        pub.append((m.group(1), m.group(2), int(m.group(3))))
for side in ("ours", "ref"):
    for c in ("128", "4096"):
        got = [b for s, cc, b in pub if s == side and cc == c]
        short = [b for b in got if b < clip_bytes * 0.99]
        print(f"nginx, rtmpt publish {c} from {side}: {len(got)} sessions, received "
              f"{min(got, default=0) / 1e6:.2f}..{max(got, default=0) / 1e6:.2f} MB"
              + (f" (SHORT: {len(short)} below the {clip_bytes / 1e6:.2f} MB FLV)" if short else ""))
for x in lost:
    print(f"WARNING: untimed rtmpt {x} (HTTP req/MB is per MB carried)")
bad = [l.strip() for l in open(errlog) if re.search(r"\[(error|crit|alert|emerg)\]|too big", l)
       and "could not read flv tag header" not in l]
if bad:
    print(f"nginx error log: {len(bad)} problem lines, e.g. {bad[0][:200]}")

for (proto, case), (x, cx) in sorted(ratio.items()):
    want = 5 if (proto, case) == ("rtmpe", "publish128") else 1
    goal(f"{proto} {case} MB/s >= {want}x ref", x, x >= want)
for (proto, case), (x, cx) in sorted(ratio.items()):
    goal(f"{proto} {case} CPU-s/GB ratio <= 0.8", cx, cx <= 0.8)
if any(s == "ref" and b < clip_bytes * 0.99 for s, _, b in pub):
    print("note: the reference's rtmpt publish MB/s count bytes that never arrived: librtmp 2.4 "
          "does not read the tunnel's answers while publishing and closes with them unread, so the "
          "kernel resets the connection and the gateway loses the unread tail (SHORT above); ours "
          "reads every answer before closing, so its time includes the gateway's answers")
EOF
