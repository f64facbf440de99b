#!/bin/bash
# Session benchmark against a private nginx-rtmp on loopback: the same programs run alternately
# on our library and on the system librtmp 2.4 (LD_LIBRARY_PATH), ROUNDS rounds; prints medians
# and ratios. Cases:
#   read        bench_session: RTMP_Read of a ~70 MB FLV from the vod application
#   rtmpdump    Debian's unchanged rtmpdump -q of the same file to /dev/null (whole process)
#   write       bench_session: RTMP_Write of the same FLV into the live application (no player),
#               with each library's default out chunk size (ours announces 4096, librtmp 128),
#               then at an equal 128, then at an equal 4096 (Set Chunk Size sent by the caller)
# Every run's loaded library is checked (dladdr of RTMP_Read in bench_session, the loader's
# choice for rtmpdump). Timings never fail; set-up errors (nginx, the wrong library, a failed
# connect or write) exit non-zero.
# usage: bench-session.sh OUR_LIBDIR REF_LIBRARY [ROUNDS]
set -e
here=$(cd "$(dirname "$0")" && pwd)
# bench_args, build_bench_session, libdir, run_session; lib.sh's start_nginx, stop_nginx, die,
# make_ref_dir, make_lossless_clip, loaded, require_integration_deps
# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"
bench_args "$@"
command -v nginx >/dev/null && [ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] &&
    command -v ffmpeg >/dev/null && command -v rtmpdump >/dev/null || require_integration_deps

build_bench_session

work=$(mktemp -d /tmp/rtmp-bench-session.XXXXXX)
NGX_PID=""
trap 'stop_nginx; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
ref="$work/ref"
make_ref_dir "$ref"

ngx="$work/ngx"
mkdir -p "$ngx/vod"

# The FLV: 10 s of 1280x720 lossless H.264 (testsrc2) + AAC, looped 4 times (~70 MB, ~2700 tags).
clip="$work/clip.flv"
flv="$ngx/vod/big.flv"
make_lossless_clip "$clip" 1280x720 50
ffmpeg -nostdin -hide_banner -loglevel error -y -stream_loop 3 -i "$clip" -c copy -f flv "$flv" \
    || die "ffmpeg could not loop the clip"
rm -f "$clip"
flv_size=$(stat -c %s "$flv")

# nginx-rtmp as in integration/lib.sh, plus: an output queue larger than the file's message
# count (with the default 256, nginx's FLV player silently drops the tags it cannot queue when the
# client reads slower than nginx reads the file, so the bytes delivered would depend on the
# client's speed), and an rtmp access log (bytes received per publisher).
start_nginx "$ngx" "out_queue 8192;" "access_log $ngx/logs/rtmp-access.log;"
vod="rtmp://127.0.0.1:$PORT/vod/big.flv"

# Children's wall and CPU time (wait4 rusage, microseconds) for rtmpdump.
cat > "$work/timed.py" <<'PY'
import os, sys, time
env = dict(os.environ, LD_LIBRARY_PATH=sys.argv[1])
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execvpe(sys.argv[2], sys.argv[2:], env)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - t0
print(os.waitstatus_to_exitcode(status), f"{wall:.6f}", f"{ru.ru_utime + ru.ru_stime:.6f}")
PY

# bench_session SIDE ARGS...: runs it, checks the library and appends "SIDE RESULT ..." to results.
session() {
    run_session "$@"
    echo "$1 $result" >> "$work/results"
}

# rtmpdump SIDE [OUTPUT]
dump() {
    local side=$1 dir res rc
    dir=$(libdir "$side")
    res=$(python3 "$work/timed.py" "$dir" rtmpdump -q -r "$vod" -o "${2:-/dev/null}" 2>"$work/err")
    rc=${res%% *}
    case $rc in
        0) ;;
        2) echo "bench-session: rtmpdump on $side reported an incomplete download" >&2 ;;
        *) die "rtmpdump on $side exited $rc: $(head -c 600 "$work/err")" ;;
    esac
    [ -n "$2" ] || echo "$side DUMP $res" >> "$work/results"
}

# Which library each side really loads (rtmpdump through the dynamic loader).
for side in ours ref; do
    dir=$(libdir "$side")
    got=$(loaded "$dir" "$(command -v rtmpdump)")
    case "$got" in "$dir/"*) ;; *) die "rtmpdump on $side would load '$got', not $dir/librtmp.so.1";; esac
done

# Content check (untimed): bench_session and rtmpdump on both libraries must receive the same FLV.
for side in ours ref; do
    session "$side" read "$vod" "$work/read-$side.flv"
    dump "$side" "$work/dump-$side.flv"
done
: > "$work/results"
same="identical"
for f in read-ref dump-ours dump-ref; do
    cmp -s "$work/read-ours.flv" "$work/$f.flv" || same="DIFFERENT (read-ours vs $f: $(cmp "$work/read-ours.flv" "$work/$f.flv" 2>&1 | head -n 1))"
done
read_bytes=$(stat -c %s "$work/read-ours.flv")
ref_bytes=$(stat -c %s "$work/read-ref.flv")
rm -f "$work"/read-*.flv "$work"/dump-*.flv

n=0
r=1
while [ $r -le "$rounds" ]; do
    if [ $((r % 2)) -eq 1 ]; then order="ours ref"; else order="ref ours"; fi
    for side in $order; do session "$side" read "$vod"; done
    for side in $order; do dump "$side"; done
    for cfg in default 128 4096; do
        for side in $order; do
            n=$((n + 1))
            session "$side" write "rtmp://127.0.0.1:$PORT/live/w$n-$side-$cfg" "$flv" "$cfg"
        done
    done
    r=$((r + 1))
done

# nginx's side of the publishing sessions: each stream's bytes received (the access log line is
# written when the session ends).
sleep 0.5
PYTHONPATH="$here" python3 -B - "$work/results" "$rounds" "$flv_size" "$read_bytes" "$ref_bytes" \
    "$same" "$ngx/logs/rtmp-access.log" "$ngx/logs/error.log" <<'EOF'
import os, statistics, sys
from bench_report import goal, nginx_report
results, rounds, flv_size, read_bytes, ref_bytes, same, access, errlog = sys.argv[1:9]
flv_size, read_bytes, ref_bytes = int(flv_size), int(read_bytes), int(ref_bytes)
res, dump, chunks, bytes_seen = {}, {}, {}, {}
for l in open(results):
    r = l.split()
    if r[1] == "DUMP":
        dump.setdefault(r[0], []).append((float(r[3]), float(r[4])))
        continue
    side, mode, cfg = r[0], r[2], r[3]
    nbytes, mbs, cpugb, chunk = int(r[5]), float(r[8]), float(r[9]), r[10]
    res.setdefault((mode, cfg, side), []).append((mbs, cpugb))
    chunks.setdefault((mode, cfg, side), set()).add(chunk)
    bytes_seen.setdefault((mode, side), set()).add(nbytes)

med = lambda v, i: statistics.median(x[i] for x in v)
print(f"session benchmark: nginx-rtmp on loopback, {flv_size / 1e6:.1f} MB FLV, medians of {rounds} "
      f"alternating rounds (ours vs {os.environ.get('REF_NAME', 'system librtmp 2.4')})")
print(f"{'case':<22}{'chunk ours/ref':>15}{'MB/s ours':>11}{'ref':>8}{'x':>7}"
      f"{'CPU-s/GB ours':>15}{'ref':>8}{'ratio':>7}")
names = {("read", "-"): "RTMP_Read vod", ("write", "default"): "RTMP_Write default",
         ("write", "128"): "RTMP_Write equal 128", ("write", "4096"): "RTMP_Write equal 4096"}
ratio = {}
for key, name in names.items():
    o, f = res.get(key + ("ours",)), res.get(key + ("ref",))
    if not o or not f:
        continue
    ch = lambda s: "/".join(sorted(chunks[key + (s,)]))
    label = f"{ch('ours')}/{ch('ref')}" + (" in" if key[0] == "read" else "")
    mo, mr, co, cr = med(o, 0), med(f, 0), med(o, 1), med(f, 1)
    ratio[key] = (mo / mr, co / cr)
    print(f"{name:<22}{label:>15}{mo:>11.0f}{mr:>8.0f}{mo / mr:>7.1f}{co:>15.3f}{cr:>8.3f}{co / cr:>7.2f}")
if dump.get("ours") and dump.get("ref"):
    o, f = dump["ours"], dump["ref"]
    print(f"{'rtmpdump -q vod':<22}{'wall s ours':>15}{'ref':>8}{'ratio':>7}{'CPU s ours':>13}{'ref':>8}{'ratio':>7}")
    wo, wr, co, cr = med(o, 0), med(f, 0), med(o, 1), med(f, 1)
    print(f"{'':<22}{wo:>15.3f}{wr:>8.3f}{wo / wr:>7.2f}{co:>13.3f}{cr:>8.3f}{co / cr:>7.2f}")

# sanity: what was delivered and accepted
print(f"received FLV (RTMP_Read, untimed check run): ours {read_bytes} bytes, ref {ref_bytes} bytes; "
      f"RTMP_Read and rtmpdump output on both libraries: {same}")
for side in ("ours", "ref"):
    seen = bytes_seen.get(("read", side), set())
    if seen != {read_bytes}:
        print(f"WARNING: timed RTMP_Read runs on {side} received {sorted(seen)} bytes")
nginx_report(access, errlog, sum(len(v) for k, v in res.items() if k[0] == "write"), flv_size)

if ("read", "-") in ratio:
    goal("RTMP_Read CPU-s/GB ratio <= 0.5", ratio[("read", "-")][1], ratio[("read", "-")][1] <= 0.5)
if ("write", "default") in ratio:
    goal("RTMP_Write MB/s >= 10x ref with our default chunk", ratio[("write", "default")][0],
         ratio[("write", "default")][0] >= 10)
if ("write", "128") in ratio:
    goal("RTMP_Write CPU-s/GB ratio <= 0.5 at equal chunk 128", ratio[("write", "128")][1],
         ratio[("write", "128")][1] <= 0.5)
EOF
