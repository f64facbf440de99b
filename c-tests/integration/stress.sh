#!/bin/bash
# Many connections at once and a bounded soak, in one process each, against nginx-rtmp
# (c-tests/integration/stress.c):
#   A. 32 threads, each with its own RTMP handle (12 play VOD with RTMP_Read, 12 publish with
#      RTMP_Write, 8 connect/close), for STRESS_SECONDS (20), while another thread keeps
#      changing the log level and the log callback: every session must succeed.
#   B. The same under ThreadSanitizer: the library rebuilt with -Zsanitizer=thread (stable
#      toolchain with RUSTC_BOOTSTRAP=1; the C shim with gcc -fsanitize=thread; rustc's TSan
#      runtime linked into the program). First the checker's self-test (the level written
#      straight into RTMP_debuglevel, unsynchronised: a race must be reported), then the run:
#      no report.
#   C. Soak: publish -> play loops for STRESS_SOAK_SECONDS (60; `make soak` runs 600), then
#      2,000 connect/close cycles: resident memory and open descriptors first / last / peak;
#      descriptors must end where they began and memory may not grow by more than 2 MiB.
# Prints one line per part; exits 1 on any failure.
# usage: c-tests/integration/stress.sh   (after `make lib`; KEEP=1 keeps the work directory)
set -u
. "$(dirname "$0")/lib.sh"
begin_scenarios stress
fail=0
seconds=${STRESS_SECONDS:-20}
soak=${STRESS_SOAK_SECONDS:-60}
clip="$top/c-tests/sessfuzz/data/clip.flv"
start_nginx "$work/ngx"
cp "$clip" "$work/ngx/vod/clip.flv"
url="rtmp://127.0.0.1:$PORT"
export STRESS_FLV="$clip"
cflags="-std=gnu99 -g -O1 -Wall -Wextra -Werror -I$top/include"

# A
cc $cflags -o "$work/stress" "$top/c-tests/integration/stress.c" -L"$ours" -lrtmp -lpthread \
    || die "stress.c does not build"
if out=$(LD_LIBRARY_PATH="$ours" timeout $((seconds + 60)) "$work/stress" threads "$url" "$seconds" 12 12 8 2>&1); then
    echo "PASS threads: $(echo "$out" | tail -n 1)"
else
    echo "FAIL threads: $(echo "$out" | tail -n 5)"; fail=1
fi

# B
tsan_lib="$work/tsan"
rt=$(ls "$(rustc --print sysroot)"/lib/rustlib/x86_64-unknown-linux-gnu/lib/librustc-*_rt.tsan.a 2>/dev/null | head -n 1)
if [ -z "$rt" ]; then
    echo "FAIL tsan: rustc's ThreadSanitizer runtime (librustc-*_rt.tsan.a) is missing"; fail=1
else
    mkdir -p "$tsan_lib"
    if ! (cd "$top" && RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zsanitizer=thread -Cunsafe-allow-abi-mismatch=sanitizer" \
            CFLAGS="-fsanitize=thread -O1 -g" CARGO_TARGET_DIR="$top/target/tsan" \
            cargo build --release --lib --target x86_64-unknown-linux-gnu --quiet) > "$work/tsan-build.log" 2>&1; then
        echo "FAIL tsan: the instrumented build failed: $(tail -n 5 "$work/tsan-build.log")"; fail=1
    else
        make -C "$top" --no-print-directory build/librtmp.map > /dev/null
        cc -shared -o "$tsan_lib/librtmp.so.1" -Wl,-soname,librtmp.so.1 \
            -Wl,--version-script="$top/build/librtmp.map" \
            -Wl,--whole-archive "$top/target/tsan/x86_64-unknown-linux-gnu/release/librtmp.a" \
            -Wl,--no-whole-archive -Wl,--gc-sections -lpthread -ldl -lm -lc
        cc $cflags -fsanitize=thread -c -o "$work/stress-tsan.o" "$top/c-tests/integration/stress.c"
        # The runtime lives in the program (exported for the library); the library is found
        # through the rpath, not LD_LIBRARY_PATH, which would also reach TSan's symbolizer
        # (llvm-symbolizer loads librtmp through libcurl).
        cc -rdynamic -o "$work/stress-tsan" "$work/stress-tsan.o" -Wl,--whole-archive "$rt" \
            -Wl,--no-whole-archive -L"$tsan_lib" -Wl,-rpath,"$tsan_lib" -lrtmp -lpthread -ldl -lm -lgcc_s
        races() { grep -c "WARNING: ThreadSanitizer" "$1"; }
        STRESS_RACY_LEVEL=1 TSAN_OPTIONS="halt_on_error=0 exitcode=0" timeout 120 \
            "$work/stress-tsan" threads "$url" 3 4 4 2 > /dev/null 2> "$work/tsan-self.log"
        self=$(races "$work/tsan-self.log")
        TSAN_OPTIONS="halt_on_error=0 exitcode=66" timeout $((seconds * 4 + 120)) \
            "$work/stress-tsan" threads "$url" "$seconds" 12 12 8 > "$work/tsan.out" 2> "$work/tsan.log"
        trc=$?
        n=$(races "$work/tsan.log")
        if [ "$self" -gt 0 ] && [ "$n" -eq 0 ] && [ "$trc" -eq 0 ]; then
            echo "PASS tsan: no data race reported; $(cat "$work/tsan.out") (self-test: the unsynchronised write to RTMP_debuglevel reported, $self report(s))"
        else
            echo "FAIL tsan: $n race report(s), exit $trc, self-test reports $self"
            grep -A 24 "WARNING: ThreadSanitizer" "$work/tsan.log" | head -n 60 | sed 's/^/    /'
            fail=1
        fi
    fi
fi

# C
if out=$(LD_LIBRARY_PATH="$ours" timeout $((soak + 300)) "$work/stress" soak "$url" "$soak" 2000 2>&1); then
    echo "PASS soak: $(echo "$out" | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
else
    echo "FAIL soak: $(echo "$out" | tail -n 5)"; fail=1
fi
exit $fail
