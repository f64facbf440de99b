#!/bin/bash
# The session fuzzer (sessfuzz.py) on our library, and with the same seeds on the system
# librtmp for comparison.
#   c-tests/sessfuzz/run.sh [CASES [VALGRIND_EVERY [BOTH]]]
# CASES seeds from 0 (plus the regression seeds of regress.txt) on our library; any crash,
# hang, valgrind error, broken session reported as complete or failure without an error line
# fails. Every VALGRIND_EVERY-th seed runs under valgrind (0: none). BOTH=1 runs the same
# seeds on the system librtmp afterwards and prints its figures (never a failure: they are the
# comparison). `make check` runs 400 cases; `make sessfuzz` 5,000 on both libraries.
set -u
. "$(dirname "$0")/../integration/lib.sh"
cases=${1:-400}
vg_every=${2:-0}
both=${3:-0}
here="$top/c-tests/sessfuzz"
require_packages test
[ -f "$ours/librtmp.so.1" ] || die "no $ours/librtmp.so.1: run 'make lib'"
out="$top/build/sessfuzz"
mkdir -p "$out/ref" "$out/tmp"
make_ref_dir "$out/ref"
cflags="-std=gnu99 -g -O1 -Wall -Wextra -Werror -I$top/include"
cc $cflags -fsanitize=address -fno-omit-frame-pointer -o "$out/fuzz_publish-asan" "$here/fuzz_publish.c" \
    -L"$ours" -lrtmp || die "fuzz_publish does not build"
cc $cflags -o "$out/fuzz_publish" "$here/fuzz_publish.c" -L"$ours" -lrtmp || die "fuzz_publish does not build"
run() {
    python3 "$here/sessfuzz.py" run --lib "$1" --name "$2" --cases "$cases" --seeds "$here/regress.txt" \
        --valgrind-every "$vg_every" --publisher "$out/fuzz_publish-asan" \
        --plain-publisher "$out/fuzz_publish" --out "$out/$3.jsonl" --tmp "$out/tmp" $4
}
if run "$ours" "ours" ours --strict > "$out/ours.txt" 2>&1; then
    echo "PASS sessfuzz $(tail -n 1 "$out/ours.txt")"
    rc=0
else
    echo "FAIL sessfuzz (reproduce one case: python3 c-tests/sessfuzz/sessfuzz.py one --lib build/lib --publisher $out/fuzz_publish-asan SEED)"
    sed 's/^/    /' "$out/ours.txt"
    rc=1
fi
if [ "$both" = 1 ]; then
    run "$out/ref" "system librtmp" ref "" > "$out/ref.txt" 2>&1
    echo "     sessfuzz $(tail -n 1 "$out/ref.txt") (the same seeds; for comparison)"
fi
exit $rc
