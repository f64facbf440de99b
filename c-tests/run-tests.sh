#!/bin/sh
# Runs each test program on our library; any non-zero exit fails the suite.
# usage: run-tests.sh LIBDIR PROGRAM...
libdir=$(cd "$1" && pwd); shift
fail=0
for t in "$@"; do
    name=$(basename "$t")
    if out=$(LD_LIBRARY_PATH="$libdir" DIFF_SIDE=ours BAD_SERVER_RTMPDUMP="$(command -v rtmpdump)" "$t" 2>&1); then
        echo "PASS $name${out:+: $(echo "$out" | tail -n 1)}"
    else
        echo "FAIL $name"; echo "$out" | tail -n 20 | sed 's/^/    /'
        fail=1
    fi
done
exit $fail
