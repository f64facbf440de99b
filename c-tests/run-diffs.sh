#!/bin/sh
# Differential tests: each program runs once on our library and once on the system librtmp 2.4
# (through LD_LIBRARY_PATH, so the same binary loads one or the other); exit codes, stdout and
# stderr must be identical. The program learns its side from DIFF_SIDE (ours|ref) so it can
# skip inputs that crash the reference.
# usage: run-diffs.sh OUR_LIBDIR REF_LIBRARY PROGRAM...
ours=$(cd "$1" && pwd); ref_lib=$2; shift 2
if [ ! -f "$ref_lib" ]; then
    echo "run-diffs: the system librtmp (oracle) is missing: run 'make deps'"; exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/ref"
ln -s "$ref_lib" "$work/ref/librtmp.so.1"
fail=0
for t in "$@"; do
    name=$(basename "$t")
    LD_LIBRARY_PATH="$ours" DIFF_SIDE=ours "$t" > "$work/ours.out" 2> "$work/ours.err"; rc_o=$?
    LD_LIBRARY_PATH="$work/ref" DIFF_SIDE=ref "$t" > "$work/ref.out" 2> "$work/ref.err"; rc_r=$?
    # prove each side loaded the library it should have
    lo=$(LD_LIBRARY_PATH="$ours" LD_TRACE_LOADED_OBJECTS=1 "$t" | grep librtmp)
    lr=$(LD_LIBRARY_PATH="$work/ref" LD_TRACE_LOADED_OBJECTS=1 "$t" | grep librtmp)
    case "$lo" in *"$ours"*) ;; *) echo "FAIL $name: ours loaded: $lo"; fail=1; continue;; esac
    case "$lr" in *"$work/ref"*) ;; *) echo "FAIL $name: ref loaded: $lr"; fail=1; continue;; esac
    if [ $rc_o -ne $rc_r ]; then
        echo "FAIL $name: exit ours=$rc_o ref=$rc_r"; fail=1
    elif ! cmp -s "$work/ours.out" "$work/ref.out"; then
        echo "FAIL $name: stdout differs"; diff "$work/ref.out" "$work/ours.out" | cut -c1-160 | head -n 20; fail=1
    elif ! cmp -s "$work/ours.err" "$work/ref.err"; then
        echo "FAIL $name: stderr differs"; diff "$work/ref.err" "$work/ours.err" | cut -c1-160 | head -n 20; fail=1
    else
        cases=$(grep -c . "$work/ours.out")
        echo "PASS $name (identical on both libraries; $cases stdout lines, $(grep -c . "$work/ours.err") stderr lines)"
    fi
done
exit $fail
