#!/bin/sh
# AMF benchmark: our library vs the system librtmp 2.4, same binary, alternating runs.
# usage: bench-amf.sh [OUR_LIBDIR] [REF_LIBRARY] [ROUNDS] [ITERATIONS]
# Prints per operation: median ns/op of ours and of the reference, and the ratio ours/ref.
set -e
here=$(cd "$(dirname "$0")" && pwd)
ours=$(cd "${1:-$here/../build/lib}" && pwd)
ref_lib=${2:-/usr/lib/x86_64-linux-gnu/librtmp.so.1}
rounds=${3:-7}
iters=${4:-200000}
bin=$here/../build/c-tests/bench_amf
mkdir -p "$(dirname "$bin")"
cc -std=gnu99 -O2 -Wall -Wextra -I"$here/../include" -o "$bin" "$here/bench_amf.c" -L"$ours" -lrtmp
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/ref"
ln -s "$ref_lib" "$work/ref/librtmp.so.1"
i=0
while [ $i -lt "$rounds" ]; do
    LD_LIBRARY_PATH="$ours" "$bin" "$iters" >> "$work/ours.txt"
    LD_LIBRARY_PATH="$work/ref" "$bin" "$iters" >> "$work/ref.txt"
    i=$((i + 1))
done
median() { grep "^$1 " "$2" | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-18s %12s %12s %8s\n' "AMF op ($rounds rounds)" "ours ns/op" "ref ns/op" "ratio"
fail=0
for op in metadata_encode metadata_decode connect_encode connect_decode; do
    o=$(median $op "$work/ours.txt"); r=$(median $op "$work/ref.txt")
    ratio=$(awk -v o="$o" -v r="$r" 'BEGIN {printf "%.2f", o / r}')
    printf '%-18s %12s %12s %8s\n' "$op" "$o" "$r" "$ratio"
done
