#!/bin/sh
# `make demo`: shows the library working under real programs.
set -e
cd "$(dirname "$0")/.."
lib=$(pwd)/build/lib
out=build/demo
mkdir -p "$out"
tools/ensure-deps.sh

echo "== 1. a C program relinked against our headers and build/lib/librtmp.so.1"
cc -std=gnu99 -Wall -Wextra -Werror -Iinclude -o "$out/hello" examples/hello.c -L"$lib" -lrtmp
LD_LIBRARY_PATH="$lib" "$out/hello"
echo "   loaded: $(LD_LIBRARY_PATH="$lib" LD_TRACE_LOADED_OBJECTS=1 "$out/hello" | grep librtmp)"

echo
echo "== 2. Debian's rtmpdump, unchanged, with LD_PRELOAD of our library"
echo "   loaded: $(LD_PRELOAD="$lib/librtmp.so.1" LD_TRACE_LOADED_OBJECTS=1 rtmpdump | grep librtmp)"
LD_PRELOAD="$lib/librtmp.so.1" rtmpdump --help > "$out/help-ours.txt" 2>&1 || true
rtmpdump --help > "$out/help-ref.txt" 2>&1 || true
head -n 6 "$out/help-ours.txt" | sed 's/^/   | /'
if cmp -s "$out/help-ours.txt" "$out/help-ref.txt"; then
    echo "   rtmpdump --help: identical to the run on the system librtmp ($(wc -l < "$out/help-ours.txt") lines)"
else
    echo "   rtmpdump --help differs from the system librtmp"; exit 1
fi
# -q makes rtmpdump write RTMP_debuglevel (a copy relocation in its binary); our library must
# see that write and print nothing.
n=$(LD_PRELOAD="$lib/librtmp.so.1" rtmpdump -q --help 2>&1 | wc -c)
echo "   rtmpdump -q --help printed $n bytes (rtmpdump set RTMP_debuglevel=CRIT; our library honoured it)"
[ "$n" -eq 0 ]
echo
echo "demo: ok"
