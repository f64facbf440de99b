#!/bin/bash
# RTMPS benchmark against a private nginx-rtmp on loopback behind nginx's stream module as a
# TLS 1.2-only terminator (the system librtmp's GnuTLS code fails on TLS 1.3, so both libraries
# are compared on 1.2 with the same negotiated cipher suite). The same program (bench_session)
# runs alternately on our library and on the system librtmp 2.4 (LD_LIBRARY_PATH), ROUNDS
# rounds; prints medians and ratios. Cases, all with rtmps:// URLs:
#   write 128    bench_session write FILE 128: RTMP_Write of a ~70 MB FLV into the live
#                application at an equal out chunk size of 128
#   write 4096   the same at an equal 4096
#   read vod     bench_session read: RTMP_Read of the same FLV from the vod application
# Per case: MB/s and CPU-seconds per GB (process user + sys) of the timed rounds, and, from one
# extra untimed run per library through a record-counting TCP proxy under strace: socket
# write calls per RTMP message (read vod: socket read calls per message) and TLS application-data
# records per message (write: client to server; read vod: server to client, i.e. nginx's, shown
# for reference). Messages = FLV tags (of the file written; of the FLV received). Also printed:
# the spread of CPU-s/GB over the rounds and nginx's worker CPU per run (when it is ~100% of the
# client's wall time, the server, not the client, sets the MB/s).
# BENCH_TLS_LOOPS=N (default 3): the FLV is a 10 s clip played 1+N times (~17.5 MB each); the
# whole script takes about a minute at 5 rounds on 2 cores.
# Our side checks the server certificate (integration/tls-lib.sh's throw-away CA, SSL_CERT_FILE;
# the terminator presents its EC P-256 server-ec.pem); the system librtmp checks nothing. Timings
# never fail; set-up errors (nginx, certificates, the wrong library, a failed connect or write)
# exit non-zero; a received FLV that differs between the libraries, short publishing sessions and
# nginx error lines are reported.
# Needs nginx + libnginx-mod-rtmp + libnginx-mod-stream, openssl, ffmpeg, python3, strace
# (`make deps` installs them; this script only checks).
# usage: bench-tls.sh OUR_LIBDIR REF_LIBRARY [ROUNDS]
set -e
here=$(cd "$(dirname "$0")" && pwd)
# bench_args, build_bench_session, libdir, run_session; lib.sh's stop_nginx, die, make_ref_dir,
# make_lossless_clip, require_integration_deps, require_packages
# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"
# make_certs, start_tls_nginx
# shellcheck source=integration/tls-lib.sh
. "$here/integration/tls-lib.sh"
bench_args "$@"
command -v nginx >/dev/null && [ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] &&
    [ -f /usr/lib/nginx/modules/ngx_stream_module.so ] && command -v openssl >/dev/null &&
    command -v ffmpeg >/dev/null || require_integration_deps
command -v strace >/dev/null || require_packages bench

build_bench_session

work=$(mktemp -d /tmp/rtmp-bench-tls.XXXXXX)
NGX_PID=""
PROXY_PID=""
cleanup() {
    [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && { wait "$PROXY_PID" 2>/dev/null || true; }
    PROXY_PID=""
    stop_nginx
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ref="$work/ref"
make_ref_dir "$ref"

# tls-lib.sh's throw-away CA and certificates (the terminator presents server-ec.pem: EC P-256,
# localhost + 127.0.0.1).
certs="$work/certs"
make_certs "$certs"

ngx="$work/ngx"
mkdir -p "$ngx/vod"

# The FLV: 10 s of 1280x720 lossless H.264 (testsrc2) + AAC, played 4 times (~70 MB, ~2700 tags),
# as in bench-session.sh (the timed CPU of a read is then ~50 ms; less makes the medians noisier).
clip="$work/clip.flv"
flv="$ngx/vod/big.flv"
make_lossless_clip "$clip" 1280x720 50
ffmpeg -nostdin -hide_banner -loglevel error -y -stream_loop "${BENCH_TLS_LOOPS:-3}" -i "$clip" -c copy -f flv "$flv" \
    || die "ffmpeg could not loop the clip"
rm -f "$clip"
flv_size=$(stat -c %s "$flv")

# flv_tags FILE: the number of tags in an FLV file
cat > "$work/flvtags.py" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
if d[:3] != b"FLV":
    sys.exit("not an FLV: " + sys.argv[1])
off = struct.unpack(">I", d[5:9])[0] + 4
n = 0
while off + 11 <= len(d):
    off += 11 + int.from_bytes(d[off + 1:off + 4], "big") + 4
    n += 1
print(n)
PY
flv_tags() { python3 "$work/flvtags.py" "$1" || die "cannot count the tags of $1"; }
src_tags=$(flv_tags "$flv")

# nginx: tls-lib.sh's nginx-rtmp on $PORT (with bench-session.sh's out_queue 8192 so the vod
# player never drops tags, and an rtmp access log) behind its TLS 1.2-only terminator, on $TLS_PORT.
CERTS=$certs SERVER_CERT=server-ec start_tls_nginx "$ngx" tls12 "out_queue 8192;" \
    "access_log $ngx/logs/rtmp-access.log;"
TLS_PORT=$TLS12_PORT
vod_path="vod/big.flv"
# nginx's one worker (TLS terminator and nginx-rtmp): its CPU time per run (schedstat, ns) shows
# when the server, not the client, sets the pace
NGX_WORKER=$(pgrep -P "$NGX_PID" | head -n 1)
[ -r "/proc/$NGX_WORKER/schedstat" ] || die "cannot find nginx's worker process"
ngx_ns() { cut -d' ' -f1 "/proc/$NGX_WORKER/schedstat"; }

# The record-counting proxy (untimed runs only): relays one loopback connection after another to
# the TLS terminator, parses the 5-byte TLS record headers in both directions, and appends per
# connection: c2s_bytes c2s_appdata_records c2s_records s2c_bytes s2c_appdata_records
# s2c_records version cipher_suite(hex, from the ServerHello) parse_errors
cat > "$work/proxy.py" <<'PY'
import os, socket, sys, threading
target, portfile, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]

class Records:
    def __init__(self):
        self.hdr, self.skip, self.body = b"", 0, None
        self.nbytes = self.app = self.total = self.bad = 0
        self.first = None          # the first record's body (the ServerHello, server side)
    def feed(self, d):
        self.nbytes += len(d)
        i, n = 0, len(d)
        while i < n and not self.bad:
            if self.skip:
                k = min(self.skip, n - i)
                if self.body is not None:
                    self.body += d[i:i + k]
                i += k
                self.skip -= k
                if not self.skip and self.body is not None:
                    self.first, self.body = self.body, None
                continue
            k = min(5 - len(self.hdr), n - i)
            self.hdr += d[i:i + k]
            i += k
            if len(self.hdr) == 5:
                t, major, ln = self.hdr[0], self.hdr[1], int.from_bytes(self.hdr[3:5], "big")
                if not 20 <= t <= 24 or major != 3 or ln > 18432:
                    self.bad = 1
                    break
                self.total += 1
                self.app += t == 23
                if self.total == 1:
                    self.body = b""
                self.skip, self.hdr = ln, b""
                if ln == 0 and self.body is not None:
                    self.first, self.body = self.body, None

def pump(src, dst, rec):
    try:
        while True:
            d = src.recv(262144)
            if not d:
                break
            rec.feed(d)
            dst.sendall(d)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def serve(c):
    s = socket.create_connection(("127.0.0.1", target))
    for x in (c, s):
        x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    up, down = Records(), Records()
    t = threading.Thread(target=pump, args=(c, s, up))
    t.start()
    pump(s, c, down)
    t.join()
    c.close()
    s.close()
    sh, ver, suite = down.first or b"", "-", "-"
    if len(sh) > 39 and sh[0] == 2:                       # ServerHello
        ver = sh[4:6].hex()
        sid = sh[38]
        suite = sh[39 + sid:41 + sid].hex()
    with open(log, "a") as f:
        f.write(f"{up.nbytes} {up.app} {up.total} {down.nbytes} {down.app} {down.total} "
                f"{ver} {suite} {up.bad + down.bad}\n")

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(8)
with open(portfile + ".tmp", "w") as f:
    f.write(str(ls.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = ls.accept()
    serve(c)
PY
: > "$work/proxy.log"
python3 "$work/proxy.py" "$TLS_PORT" "$work/proxy.port" "$work/proxy.log" &
PROXY_PID=$!
i=0
while [ ! -s "$work/proxy.port" ]; do
    i=$((i + 1)); [ $i -gt 50 ] && die "the counting proxy did not start"; sleep 0.1
done
PROXY_PORT=$(cat "$work/proxy.port")

# bench_session runs (bench-lib.sh's run_session): our side trusts the test CA through
# SSL_CERT_FILE only: an inherited SSL_CERT_DIR (e.g. /etc/ssl/certs) would add loading ~150 more
# CA files to every connect (some ms per process, ~15 % of a read's CPU here).
SESSION_ENV=(-u SSL_CERT_DIR SSL_CERT_FILE="$certs/ca.pem")
# session SIDE ARGS...: a timed run; appends "SIDE RESULT ... NGINX_WORKER_NS" to results.
session() {
    local side=$1 a
    shift
    a=$(ngx_ns)
    run_session "$side" "$@"
    echo "$side $result $(( $(ngx_ns) - a ))" >> "$work/results"
}

# counted SIDE CASE ARGS...: one untimed run through the counting proxy under strace; appends
# "SIDE CASE tags <strace socket counts> <proxy line>" to counts. TAGS: the messages of the case.
counted() {
    local side=$1 case=$2 tags=$3 before i
    shift 3
    before=$(wc -l < "$work/proxy.log")
    WRAP="strace -f -yy -s 0 -o $work/strace.log -e trace=read,readv,recvfrom,recvmsg,write,writev,sendto,sendmsg,sendmmsg" \
        run_session "$side" "$@"
    i=0
    while [ "$(wc -l < "$work/proxy.log")" -le "$before" ]; do
        i=$((i + 1)); [ $i -gt 100 ] && die "the counting proxy logged no connection for $side $case"
        sleep 0.05
    done
    # socket calls only (strace -yy names the descriptor's TCP endpoints)
    sc=$(awk '$2 ~ /^[a-z]+\([0-9]+<TCP/ { split($2, a, "("); n[a[1]]++ }
        END { w = n["write"] + n["writev"] + n["sendto"] + n["sendmsg"] + n["sendmmsg"];
              r = n["read"] + n["readv"] + n["recvfrom"] + n["recvmsg"];
              printf "%d %d write=%d,writev=%d,sendto=%d,sendmsg=%d read=%d,readv=%d,recvfrom=%d,recvmsg=%d",
                  w, r, n["write"], n["writev"], n["sendto"], n["sendmsg"], n["read"], n["readv"], n["recvfrom"], n["recvmsg"] }' \
        "$work/strace.log")
    echo "$side $case $tags $sc $(tail -n 1 "$work/proxy.log")" >> "$work/counts"
    rm -f "$work/strace.log"
}

vod="rtmps://127.0.0.1:$TLS_PORT/$vod_path"

# Content check (untimed): RTMP_Read over TLS on both libraries must receive the same FLV.
for side in ours ref; do
    run_session "$side" read "$vod" "$work/read-$side.flv"
done
same="identical"
cmp -s "$work/read-ours.flv" "$work/read-ref.flv" ||
    same="DIFFERENT ($(cmp "$work/read-ours.flv" "$work/read-ref.flv" 2>&1 | head -n 1))"
read_bytes=$(stat -c %s "$work/read-ours.flv")
ref_bytes=$(stat -c %s "$work/read-ref.flv")
read_tags=$(flv_tags "$work/read-ours.flv")
rm -f "$work"/read-*.flv

# Counting runs: once per library and case, through the proxy, under strace.
: > "$work/counts"
pvod="rtmps://127.0.0.1:$PROXY_PORT/$vod_path"
for side in ours ref; do
    counted "$side" write128 "$src_tags" write "rtmps://127.0.0.1:$PROXY_PORT/live/c-$side-128" "$flv" 128
    counted "$side" write4096 "$src_tags" write "rtmps://127.0.0.1:$PROXY_PORT/live/c-$side-4096" "$flv" 4096
    counted "$side" read "$read_tags" read "$pvod"
done
kill "$PROXY_PID" 2>/dev/null && { wait "$PROXY_PID" 2>/dev/null || true; }
PROXY_PID=""

: > "$work/results"
n=0
r=1
while [ $r -le "$rounds" ]; do
    if [ $((r % 2)) -eq 1 ]; then order="ours ref"; else order="ref ours"; fi
    for cfg in 128 4096; do
        for side in $order; do
            n=$((n + 1))
            session "$side" write "rtmps://127.0.0.1:$TLS_PORT/live/w$n-$side-$cfg" "$flv" "$cfg"
        done
    done
    for side in $order; do session "$side" read "$vod"; done
    r=$((r + 1))
done

sleep 0.5
PYTHONPATH="$here" python3 -B - "$work/results" "$work/counts" "$rounds" "$flv_size" "$src_tags" \
    "$read_bytes" "$ref_bytes" "$read_tags" "$same" "$ngx/logs/rtmp-access.log" "$ngx/logs/error.log" <<'EOF'
import os, statistics, sys
from bench_report import goal, nginx_report
(results, counts, rounds, flv_size, src_tags, read_bytes, ref_bytes, read_tags, same, access,
 errlog) = sys.argv[1:12]
flv_size, src_tags, read_bytes, ref_bytes = int(flv_size), int(src_tags), int(read_bytes), int(ref_bytes)
res, bytes_seen, chunks, ngx = {}, {}, {}, {}
for l in open(results):
    r = l.split()
    side, mode, cfg = r[0], r[2], r[3]
    nbytes, mbs, cpugb, chunk = int(r[5]), float(r[8]), float(r[9]), r[10]
    key = "read" if mode == "read" else "write" + cfg
    res.setdefault((key, side), []).append((mbs, cpugb))
    bytes_seen.setdefault((key, side), set()).add(nbytes)
    chunks.setdefault((key, side), set()).add(chunk)
    ngx.setdefault((key, side), []).append((int(r[11]) / 1e9, float(r[6])))
cnt = {}
for l in open(counts):
    r = l.split()
    side, key, tags, w, rd = r[0], r[1], int(r[2]), int(r[3]), int(r[4])
    c2s_b, c2s_app, c2s_tot, s2c_b, s2c_app, s2c_tot, ver, suite, bad = r[7:16]
    cnt[(key, side)] = dict(tags=tags, writes=w, reads=rd, detail=(r[5], r[6]),
                            c2s_app=int(c2s_app), s2c_app=int(s2c_app), c2s_b=int(c2s_b),
                            s2c_b=int(s2c_b), ver=ver, suite=suite, bad=int(bad))
suites = {"c02b": "ECDHE-ECDSA-AES128-GCM-SHA256", "c02c": "ECDHE-ECDSA-AES256-GCM-SHA384",
          "cca9": "ECDHE-ECDSA-CHACHA20-POLY1305", "c02f": "ECDHE-RSA-AES128-GCM-SHA256",
          "c030": "ECDHE-RSA-AES256-GCM-SHA384", "cca8": "ECDHE-RSA-CHACHA20-POLY1305"}
vers = {"0303": "TLS 1.2", "0304": "TLS 1.3"}

med = lambda v, i: statistics.median(x[i] for x in v)
print(f"RTMPS benchmark: nginx-rtmp behind nginx's stream TLS 1.2 terminator on loopback, "
      f"{flv_size / 1e6:.1f} MB FLV ({src_tags} tags), medians of {rounds} alternating rounds "
      f"(ours vs {os.environ.get('REF_NAME', 'system librtmp 2.4')})")
hdr = f"RTMPS (TLS 1.2, {rounds} rounds)"
print(f"{hdr:<28}{'ours MB/s':>10}{'ref MB/s':>10}{'ratio':>7} |{'ours CPU-s/GB':>14}"
      f"{'ref CPU-s/GB':>14}{'ratio':>7} |{'writes/msg ours':>16}{'ref':>7} |"
      f"{'records/msg ours':>17}{'ref':>7}")
names = {"write128": "write chunk 128", "write4096": "write chunk 4096", "read": "read vod (*)"}
ratio = {}
for key, name in names.items():
    o, f = res.get((key, "ours")), res.get((key, "ref"))
    if not o or not f:
        continue
    mo, mr, co, cr = med(o, 0), med(f, 0), med(o, 1), med(f, 1)
    ratio[key] = (mo / mr, co / cr)
    co_, cf_ = cnt.get((key, "ours")), cnt.get((key, "ref"))
    sys_col = rec_col = f"{'-':>16}{'-':>7}"
    if co_ and cf_:
        calls = "reads" if key == "read" else "writes"
        recs = "s2c_app" if key == "read" else "c2s_app"
        sys_col = f"{co_[calls] / co_['tags']:>16.2f}{cf_[calls] / cf_['tags']:>7.2f}"
        rec_col = f"{co_[recs] / co_['tags']:>17.2f}{cf_[recs] / cf_['tags']:>7.2f}"
    print(f"{name:<28}{mo:>10.1f}{mr:>10.1f}{mo / mr:>7.2f} |{co:>14.3f}{cr:>14.3f}{co / cr:>7.2f} |"
          f"{sys_col} |{rec_col}")
if ("write4096", "ours") in res and ("write128", "ref") in res:
    d = med(res[("write4096", "ours")], 0) / med(res[("write128", "ref")], 0)
    print(f"at each library's default chunk size (ours announces 4096, librtmp keeps 128): "
          f"write MB/s ours/ref {d:.1f}")
sp = []
for key, name in names.items():
    o, f = res.get((key, "ours")), res.get((key, "ref"))
    if o and f:
        sp.append(f"{name.split(' (')[0]} ours {min(x[1] for x in o):.2f}..{max(x[1] for x in o):.2f} "
                  f"ref {min(x[1] for x in f):.2f}..{max(x[1] for x in f):.2f}")
print("CPU-s/GB spread (min..max over the rounds): " + "; ".join(sp))
ng = []
for key, name in names.items():
    for side in ("ours", "ref"):
        v = ngx.get((key, side))
        if v:
            ng.append(f"{name.split(' (')[0]} {side} {med(v, 0):.3f} s "
                      f"({statistics.median(a / b for a, b in v) * 100:.0f}%)")
print("nginx worker CPU per run, median (% of the client's timed wall; ~100% = the server sets the pace):")
print("  " + "; ".join(ng[:2]) + "\n  " + "; ".join(ng[2:4]) + "\n  " + "; ".join(ng[4:]))
print("(*) read vod: the writes/msg column holds socket READ calls per message, records/msg the "
      "server's (nginx) records to the client; MB/s and CPU include connect + TLS handshake")
print(f"counts: one untimed run per library and case through a TLS-record-counting proxy, under "
      f"strace (which slows the client: read calls per message may come out lower than unobserved)")
for key, name in names.items():
    for side in ("ours", "ref"):
        c = cnt.get((key, side))
        if not c:
            continue
        print(f"  {name:<17} {side:<4} {vers.get(c['ver'], c['ver'])} {suites.get(c['suite'], c['suite'])}; "
              f"{c['tags']} msgs; socket {c['detail'][0]} {c['detail'][1]}; app-data records "
              f"c2s {c['c2s_app']} ({c['c2s_b'] / max(c['c2s_app'], 1):.0f} B/record) "
              f"s2c {c['s2c_app']}" + (" PARSE ERROR" if c["bad"] else ""))
suite_set = {(c["ver"], c["suite"]) for c in cnt.values()}
if len(suite_set) != 1:
    print(f"WARNING: the libraries negotiated different TLS versions/suites: {sorted(suite_set)}")

# sanity: what was delivered and accepted
print(f"received FLV (RTMP_Read over TLS, untimed check run): ours {read_bytes} bytes, ref {ref_bytes} "
      f"bytes, {read_tags} tags; both libraries: {same}")
for side in ("ours", "ref"):
    seen = bytes_seen.get(("read", side), set())
    if seen and seen != {read_bytes}:
        print(f"WARNING: timed RTMP_Read runs on {side} received {sorted(seen)} bytes")
nwrites = sum(len(v) for k, v in res.items() if k[0].startswith("write")) + \
    sum(1 for k in cnt if k[0].startswith("write"))
nginx_report(access, errlog, nwrites, flv_size)

if "write128" in ratio:
    goal("RTMPS RTMP_Write MB/s >= 10x ref at chunk 128", ratio["write128"][0], ratio["write128"][0] >= 10)
if "write4096" in ratio:
    goal("RTMPS RTMP_Write CPU-s/GB ratio <= 0.5 at chunk 4096", ratio["write4096"][1],
         ratio["write4096"][1] <= 0.5)
if "read" in ratio:
    goal("RTMPS RTMP_Read CPU-s/GB ratio <= 0.8", ratio["read"][1], ratio["read"][1] <= 0.8)
EOF
