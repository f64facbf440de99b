# Shared parts of the session benchmarks bench-session.sh and bench-tls.sh (sourced; $here is
# c-tests/): integration/lib.sh's helpers, the arguments, building bench_session and running it on
# either library. Their python3 reports import bench_report.py (PYTHONPATH=$here).

# shellcheck source=integration/lib.sh
. "$here/integration/lib.sh"

# bench_args OUR_LIBDIR REF_LIBRARY [ROUNDS]: sets $ours, $ref_lib and $rounds (default 5); exits 2
# on a usage error, 1 when a library is missing.
bench_args() {
    [ $# -ge 2 ] || { echo "usage: $0 OUR_LIBDIR REF_LIBRARY [ROUNDS]" >&2; exit 2; }
    ours=$(cd "$1" && pwd); ref_lib=$2; rounds=${3:-5}
    [ -f "$ours/librtmp.so.1" ] || die "no $ours/librtmp.so.1: run 'make lib'"
    [ -n "$ref_lib" ] && [ -f "$ref_lib" ] || die "the system librtmp '$ref_lib' is missing: run 'make deps'"
}

# build_bench_session: builds build/c-tests/bench_session ($bin) against $ours.
build_bench_session() {
    local out="$here/../build/c-tests"
    mkdir -p "$out"
    bin="$out/bench_session"
    ${CC:-cc} -std=gnu99 -O2 -Wall -I"$here/../include" -o "$bin" "$here/bench_session.c" \
        -L"$ours" -lrtmp -ldl || die "cannot build bench_session"
}

# libdir SIDE: the directory whose librtmp.so.1 SIDE (ours or ref) runs on
libdir() { if [ "$1" = ours ]; then echo "$ours"; else echo "$ref"; fi; }

# run_session SIDE ARGS...: bench_session ARGS on SIDE's library, with the environment assignments
# of the array SESSION_ENV and $WRAP (if set) in front of the command; checks which library it
# loaded and sets $result to its RESULT line. Its stderr goes to $work/err.
SESSION_ENV=()
run_session() {
    local side=$1 dir line rc=0
    shift
    dir=$(libdir "$side")
    # shellcheck disable=SC2086
    line=$(env "${SESSION_ENV[@]}" LD_LIBRARY_PATH="$dir" ${WRAP:-} "$bin" "$@" 2>"$work/err") || rc=$?
    [ $rc -eq 0 ] || die "bench_session $* on $side exited $rc: $(head -c 600 "$work/err")"
    line=$(printf '%s\n' "$line" | grep '^RESULT') || die "bench_session $* on $side printed no result"
    case "$line" in *" $dir/"*) ;; *) die "bench_session on $side loaded the wrong library: $line";; esac
    result=$line
}
