#!/bin/sh
# Chunk layer benchmark: the same bench_chunk binary runs alternately on our library and on the
# system librtmp 2.4 (LD_LIBRARY_PATH), ROUNDS rounds; prints medians, ratios and (with strace)
# syscalls per message. Each run's loaded library is checked (dladdr of RTMP_SendPacket).
# usage: bench-chunk.sh OUR_LIBDIR REF_LIBRARY [ROUNDS]
set -e
ours=$(cd "$1" && pwd); ref_lib=$2; rounds=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../build/c-tests"
mkdir -p "$out"
bin="$out/bench_chunk"
${CC:-cc} -std=gnu99 -O2 -Wall -I"$here/../include" -o "$bin" "$here/bench_chunk.c" \
    -L"$ours" -lrtmp -lpthread -ldl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/ref"
ln -s "$ref_lib" "$work/ref/librtmp.so.1"

cases="send-mixed:128 send-mixed:4096 send-1m:128 send-1m:4096 read:128 read:4096"
run() { # side mode chunk
    if [ "$1" = ours ]; then dir=$ours; else dir=$work/ref; fi
    line=$(LD_LIBRARY_PATH="$dir" "$bin" "$2" "$3" | grep '^RESULT')
    case "$line" in *" $dir/"*) ;; *) echo "bench: $1 loaded the wrong library: $line" >&2; exit 1;; esac
    echo "$1 $line" >> "$work/results"
}
i=1
while [ $i -le "$rounds" ]; do
    for c in $cases; do
        m=${c%:*}; k=${c#*:}
        if [ $((i % 2)) -eq 1 ]; then run ours "$m" "$k"; run ref "$m" "$k"
        else run ref "$m" "$k"; run ours "$m" "$k"; fi
    done
    i=$((i + 1))
done

# syscalls per message (one run per side, strace -c on the benchmarked direction)
if command -v strace >/dev/null 2>&1; then
    for c in $cases; do
        m=${c%:*}; k=${c#*:}
        for side in ours ref; do
            if [ $side = ours ]; then dir=$ours; else dir=$work/ref; fi
            case $m in
                read) calls=recvfrom,recvmsg,readv; n=12000 ;;
                send-1m) calls=sendto,sendmsg,writev; n=100 ;;
                *) calls=sendto,sendmsg,writev; n=6000 ;;
            esac
            LD_LIBRARY_PATH="$dir" strace -f -qq -c -e trace=$calls -o "$work/st" "$bin" "$m" "$k" >/dev/null
            total=$(awk '$NF ~ /^(recvfrom|recvmsg|readv|sendto|sendmsg|writev)$/ { s += $4 } END { print s + 0 }' "$work/st")
            echo "SYSCALLS $side $m $k $(awk -v t="$total" -v n="$n" 'BEGIN { printf "%.2f", t / n }')" >> "$work/results"
        done
    done
fi

python3 - "$work/results" "$rounds" <<'EOF'
import os, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
res, sc = {}, {}
for r in rows:
    if r[0] == "SYSCALLS":
        sc[(r[1], r[2], r[3])] = r[4]
        continue
    side, _, mode, chunk = r[0], r[1], r[2], r[3]
    mbs, cpu, mps = float(r[5]), float(r[6]), float(r[7])
    res.setdefault((mode, chunk, side), []).append((mbs, cpu, mps))
print(f"chunk layer benchmark: medians of {sys.argv[2]} alternating rounds (ours vs {os.environ.get('REF_NAME', 'system librtmp 2.4')})")
print(f"{'case':<17}{'MB/s ours':>10}{'ref':>9}{'x':>7}{'CPU-s/GB ours':>15}{'ref':>8}{'ratio':>7}"
      f"{'msg/s ours':>12}{'ref':>9}{'x':>7}{'syscalls/msg ours':>19}{'ref':>8}")
for mode, chunk in [("send-mixed", "128"), ("send-mixed", "4096"), ("send-1m", "128"),
                    ("send-1m", "4096"), ("read", "128"), ("read", "4096")]:
    o, f = res.get((mode, chunk, "ours")), res.get((mode, chunk, "ref"))
    if not o or not f:
        continue
    med = lambda v, i: statistics.median(x[i] for x in v)
    mo, mr = med(o, 0), med(f, 0)
    co, cr = med(o, 1), med(f, 1)
    po, pr = med(o, 2), med(f, 2)
    print(f"{mode + '@' + chunk:<17}{mo:>10.0f}{mr:>9.0f}{mo / mr:>7.1f}{co:>15.3f}{cr:>8.3f}"
          f"{co / cr:>7.2f}{po:>12.0f}{pr:>9.0f}{po / pr:>7.1f}"
          f"{sc.get(('ours', mode, chunk), '-'):>19}{sc.get(('ref', mode, chunk), '-'):>8}")
EOF
