#!/bin/bash
# The Debian packages of `make deb` (build/deb/), checked without installing them: nothing here
# changes the machine's packages (apt-get runs with --simulate; the packages are unpacked with
# dpkg -x into a scratch root under build/).
#   1. control fields (dpkg-deb --field) and control files (shlibs, symbols, trigger, md5sums)
#   2. contents (dpkg-deb --contents): the exact file list, owners and modes
#   3. lintian: no error (the warnings kept are listed in docs/packaging.md)
#   4. apt-get install --simulate: librtmp1 and librtmp-dev removed, nothing else
#   5. the unpacked library: SONAME, no debug sections, build ID = the dbgsym file's; gdb and
#      eu-unstrip/eu-addr2line find RTMP_Init's source line through the dbgsym tree only
#   6. a C program built with pkg-config against the unpacked -dev package (shared and static)
#   7. play.sh and publish.sh with RTMP_LIB_DIR at the unpacked library: Debian's rtmpdump,
#      rtmpgw, curl and python3-librtmp on it
# usage: c-tests/integration/deb.sh   (after `make deb`)
set -u
. "$(dirname "$0")/lib.sh"
"$deps_sh" check deb || die "prerequisites missing: run 'make deps'"

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
debs="$top/build/deb"
root="$top/build/deb-root"
version=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -SVersion)
sysver=$(dpkg-query -W -f='${Version}' "librtmp1:$arch" 2>/dev/null)
[ -n "$sysver" ] || die "Debian's librtmp1 is not installed (the test oracle): run 'make deps'"
fail=0
pass() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fail=1; }

deb_of() { # PACKAGE: its .deb, exactly one
    local f
    f=$(ls "$debs/$1_${version}_$arch.deb" 2>/dev/null)
    [ -f "$f" ] || die "no $debs/$1_${version}_$arch.deb: run 'make deb'"
    echo "$f"
}
rt=$(deb_of librtmp1-rs); dev=$(deb_of librtmp-rs-dev); dbg=$(deb_of librtmp1-rs-dbgsym)
[ "$(ls "$debs"/*.deb | wc -l)" = 3 ] || bad "build/deb holds other packages: $(ls "$debs")"

# --- 1. control fields
# field DEB NAME EXPECTED: the field's value equals EXPECTED
field() {
    local got
    got=$(dpkg-deb --field "$1" "$2")
    if [ "$got" = "$3" ]; then pass "$(basename "$1" | cut -d_ -f1) $2: $got"
    else bad "$(basename "$1") $2: '$got', expected '$3'"; fi
}
for d in "$rt" "$dev" "$dbg"; do field "$d" Version "$version"; field "$d" Architecture "$arch"; done
field "$rt" Package librtmp1-rs
field "$rt" Provides "librtmp1 (= $sysver)"
field "$rt" Conflicts librtmp1
field "$rt" Replaces librtmp1
field "$rt" Section libs
field "$rt" Multi-Arch same
# Depends: dpkg-shlibdeps's libc6 and libgcc-s1 (unwinding) with versions, nothing else
depends=$(dpkg-deb --field "$rt" Depends)
if printf '%s' "$depends" | grep -Eq '^libc6 \(>= [0-9.]+\), libgcc-s1 \(>= [0-9.]+\)$'; then
    pass "librtmp1-rs Depends: $depends"
else bad "librtmp1-rs Depends: '$depends'"; fi
field "$dev" Package librtmp-rs-dev
field "$dev" Provides "librtmp-dev (= $sysver)"
field "$dev" Conflicts librtmp-dev
field "$dev" Replaces librtmp-dev
field "$dev" Depends "librtmp1-rs (= $version)"
field "$dev" Section libdevel
field "$dbg" Package librtmp1-rs-dbgsym
field "$dbg" Depends "librtmp1-rs (= $version)"
field "$dbg" Section debug

ctrl=$(mktemp -d); trap 'rm -rf "$ctrl"' EXIT
dpkg-deb --control "$rt" "$ctrl/rt"
[ "$(cat "$ctrl/rt/shlibs")" = "librtmp 1 librtmp1-rs (>= ${version%-*})" ] &&
    pass "librtmp1-rs shlibs: $(cat "$ctrl/rt/shlibs")" || bad "librtmp1-rs shlibs: $(cat "$ctrl/rt/shlibs")"
[ "$(cat "$ctrl/rt/triggers")" = "activate-noawait ldconfig" ] &&
    pass "librtmp1-rs triggers: ldconfig" || bad "librtmp1-rs triggers: $(cat "$ctrl/rt/triggers")"
# symbols: the header, then exactly abi/symbols.txt's names at @Base
grep -v '^#' "$top/abi/symbols.txt" | cut -f1 | grep . | LC_ALL=C sort > "$ctrl/want.syms"
sed -n 's/^ \([^@ ]*\)@Base .*/\1/p' "$ctrl/rt/symbols" | LC_ALL=C sort > "$ctrl/got.syms"
if [ "$(head -n 1 "$ctrl/rt/symbols")" = "librtmp.so.1 librtmp1-rs #MINVER#" ] &&
    grep -qx '\* Build-Depends-Package: librtmp-rs-dev' "$ctrl/rt/symbols" &&
    cmp -s "$ctrl/want.syms" "$ctrl/got.syms"; then
    pass "librtmp1-rs symbols: librtmp.so.1, $(wc -l < "$ctrl/got.syms") names = abi/symbols.txt"
else bad "librtmp1-rs symbols file: $(diff "$ctrl/want.syms" "$ctrl/got.syms" | head -n 5 | tr '\n' ' ')"; fi
for d in "$rt" "$dev" "$dbg"; do
    n=$(basename "$d" | cut -d_ -f1)
    dpkg-deb --control "$d" "$ctrl/$n.c"
    [ -s "$ctrl/$n.c/md5sums" ] && pass "$n md5sums: $(wc -l < "$ctrl/$n.c/md5sums") files" || bad "$n: no md5sums"
done

# --- 2. contents: every regular file and link, with owner and mode
# contents DEB EXPECTED...: "mode owner path" of each non-directory entry, exactly
contents() {
    local d=$1 n got want
    n=$(basename "$d" | cut -d_ -f1); shift
    got=$(dpkg-deb --contents "$d" | awk '$1 !~ /^d/ { p = $6; if ($7 == "->") p = p " -> " $8; print $1, $2, p }' | LC_ALL=C sort)
    want=$(printf '%s\n' "$@" | LC_ALL=C sort)
    if [ "$got" = "$want" ]; then pass "$n contents: $(printf '%s\n' "$got" | awk '{ print $3 $4 $5 }' | tr '\n' ' ')"
    else bad "$n contents:"; diff <(echo "$want") <(echo "$got"); fi
    # every directory root-owned and 0755
    dpkg-deb --contents "$d" | awk '$1 ~ /^d/ && ($1 != "drwxr-xr-x" || $2 != "root/root") { bad = 1 } END { exit bad }' ||
        bad "$n: a directory is not root/root 0755"
}
docs() { echo "-rw-r--r-- root/root ./usr/share/doc/$1/copyright"; echo "-rw-r--r-- root/root ./usr/share/doc/$1/changelog.Debian.gz"; }
L=./usr/lib/$ma
id=$(dpkg-deb --field "$dbg" Build-Ids)
contents "$rt" "-rw-r--r-- root/root $L/librtmp.so.1" "$(docs librtmp1-rs)"
contents "$dev" "-rw-r--r-- root/root $L/librtmp.a" "lrwxrwxrwx root/root $L/librtmp.so -> librtmp.so.1" \
    "-rw-r--r-- root/root $L/pkgconfig/librtmp.pc" "$(docs librtmp-rs-dev)" \
    "$(for h in "$top"/include/librtmp/*.h; do echo "-rw-r--r-- root/root ./usr/include/librtmp/$(basename "$h")"; done)"
contents "$dbg" "-rw-r--r-- root/root ./usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug" "$(docs librtmp1-rs-dbgsym)"

# --- 3. lintian
lintian --pedantic "$rt" "$dev" "$dbg" > "$ctrl/lintian" 2>&1; lrc=$?
grep -v '^running with root privileges' "$ctrl/lintian" | sed 's/^/  lintian: /'
if [ $lrc -eq 0 ] && ! grep -q '^E:' "$ctrl/lintian"; then
    pass "lintian: no error ($(grep -c '^W:' "$ctrl/lintian") warnings, listed in docs/packaging.md)"
else bad "lintian: errors (exit $lrc)"; fi
# any warning not listed in docs/packaging.md fails: a new one has to be fixed or explained
while read -r tag; do
    grep -q "\`$tag\`" "$top/docs/packaging.md" || bad "lintian warning $tag is not explained in docs/packaging.md"
done < <(sed -n 's/^W: [^ ]* \([^ ]*\).*/\1/p' "$ctrl/lintian" | sort -u)

# --- 4. apt-get --simulate: the replacement, as apt would carry it out (changes nothing)
apt-get install --simulate "$rt" "$dev" "$dbg" > "$ctrl/apt" 2>&1; arc=$?
sed -n '/^The following\|^  \|^[0-9]* upgraded\|^Remv\|^Inst\|^Conf/p' "$ctrl/apt" | sed 's/^/  apt: /'
removed=$(sed -n 's/^Remv \([^ :]*\).*/\1/p' "$ctrl/apt" | LC_ALL=C sort | tr '\n' ' ')
installed=$(sed -n 's/^Inst \([^ :]*\).*/\1/p' "$ctrl/apt" | LC_ALL=C sort | tr '\n' ' ')
[ $arc -eq 0 ] || bad "apt-get --simulate exited $arc: $(tail -n 3 "$ctrl/apt")"
[ "$removed" = "librtmp-dev librtmp1 " ] && pass "apt --simulate removes exactly: $removed" ||
    bad "apt --simulate removes '$removed' (expected librtmp-dev librtmp1)"
[ "$installed" = "librtmp-rs-dev librtmp1-rs librtmp1-rs-dbgsym " ] && pass "apt --simulate installs: $installed" ||
    bad "apt --simulate installs '$installed'"
# the programs on librtmp stay (installed here, and neither removed nor changed by the simulation)
for p in rtmpdump libcurl4 gstreamer1.0-plugins-bad python3-librtmp $(dpkg-query -W -f='${Package}\n' 'libavformat[0-9]*' 2>/dev/null); do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || { bad "$p is not installed (make deps)"; continue; }
    if grep -Eq "^(Remv|Inst|Purg) $p[ :]" "$ctrl/apt"; then bad "apt --simulate touches $p"
    else pass "apt --simulate keeps $p ($(dpkg-query -W -f='${Version}' "$p"))"; fi
done
[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "librtmp1:$arch")" = "ii " ] || bad "librtmp1 is no longer installed"

# --- 5. the unpacked packages
rm -rf "$root"; mkdir -p "$root"
for d in "$rt" "$dev" "$dbg"; do dpkg -x "$d" "$root" || die "dpkg -x $d"; done
so="$root/usr/lib/$ma/librtmp.so.1"
debugfile="$root/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = librtmp.so.1 ] && pass "readelf: SONAME $soname" || bad "SONAME '$soname'"
sections=$(readelf -S -W "$so" | grep -o ' \.\(debug_[a-z_]*\|symtab\|strtab\|comment\)' | tr -d ' ' | tr '\n' ' ')
[ -z "$sections" ] && pass "readelf: no .debug_*, .symtab, .comment in librtmp.so.1 ($(stat -c %s "$so") bytes)" ||
    bad "librtmp.so.1 keeps $sections"
[ "$(nm -D --defined-only "$so" | awk '{ print $3 }' | LC_ALL=C sort)" = "$(cat "$ctrl/want.syms")" ] &&
    pass "nm -D: the $(wc -l < "$ctrl/want.syms") exports of abi/symbols.txt" || bad "the stripped library's exports differ"
lib_id=$(readelf -n "$so" | sed -n 's/^ *Build ID: *//p')
dbg_id=$(readelf -n "$debugfile" 2>/dev/null | sed -n 's/^ *Build ID: *//p')
[ -n "$lib_id" ] && [ "$lib_id" = "$dbg_id" ] && [ "$lib_id" = "$id" ] &&
    pass "build ID $lib_id: librtmp.so.1 = ${debugfile#"$root"} = Build-Ids" ||
    bad "build IDs: library '$lib_id', debug file '$dbg_id', Build-Ids '$id'"
readelf -S -W "$debugfile" | grep -q ' \.debug_line ' && readelf -S -W "$debugfile" | grep -q ' \.symtab ' &&
    pass "the .debug file has .debug_line and .symtab" || bad "the .debug file lacks .debug_line or .symtab"
# gdb: RTMP_Init's line through the dbgsym tree; without it (an empty debug directory) none
where_ok() { # "Line N of "FILE"": FILE:N is RTMP_Init's definition in the source tree
    local n f
    n=$(printf '%s' "$1" | sed -n 's/^Line \([0-9]*\) of "\([^"]*\)".*/\1/p')
    f=$(printf '%s' "$1" | sed -n 's/^Line \([0-9]*\) of "\([^"]*\)".*/\2/p')
    [ -n "$n" ] && [ -f "$top/${f#"$top"/}" ] && sed -n "${n}p" "$top/${f#"$top"/}" | grep -q 'fn RTMP_Init('
}
gdb_line() { gdb -nx -batch -ex "set debug-file-directory $1" -ex "file $so" -ex "info line RTMP_Init" 2>&1 | tail -n 1; }
with=$(gdb_line "$root/usr/lib/debug")
mkdir -p "$ctrl/nodebug"; without=$(gdb_line "$ctrl/nodebug")
if where_ok "$with"; then pass "gdb (debug-file-directory = the dbgsym tree): $(printf '%s' "$with" | cut -c1-60)"
else bad "gdb with the dbgsym tree: $with"; fi
case "$without" in "No line number information"*) pass "gdb without it: $(printf '%s' "$without" | cut -c1-60)" ;;
    *) bad "gdb found a line without the dbgsym tree: $without" ;; esac
# eu-unstrip puts the two halves back together (it checks they belong together); eu-addr2line
# reads the same line from the result
if eu-unstrip -o "$ctrl/joined.so" "$so" "$debugfile" 2> "$ctrl/unstrip.err"; then
    a=$(nm -D "$so" | awk '$3 == "RTMP_Init" { print $1 }')
    at=$(eu-addr2line -e "$ctrl/joined.so" "0x$a")
    f=${at%:*}; n=${at##*:}
    where_ok "Line $n of \"$f\"" && pass "eu-unstrip + eu-addr2line: RTMP_Init at ${at#"$top"/}" ||
        bad "eu-addr2line: RTMP_Init at '$at'"
else bad "eu-unstrip: $(cat "$ctrl/unstrip.err")"; fi

# --- 6. a C program against the unpacked -dev package, with pkg-config
pc() { PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_LIBDIR="$root/usr/lib/$ma/pkgconfig" pkg-config "$@" librtmp; }
flags=$(pc --cflags --libs)
want="-I$root/usr/include -L$root/usr/lib/$ma -lrtmp"
[ "$(echo $flags)" = "$want" ] && pass "pkg-config --cflags --libs: ${flags//$top\//}" || bad "pkg-config: '$flags', expected '$want'"
hello="$top/build/hello-deb"
# shellcheck disable=SC2046
if cc -Wall -Werror -o "$hello" "$top/examples/hello.c" $flags &&
    cc -M $(pc --cflags) "$top/examples/hello.c" | grep -q "$root/usr/include/librtmp/rtmp.h"; then
    got=$(loaded "$root/usr/lib/$ma" "$hello")
    out=$(LD_LIBRARY_PATH="$root/usr/lib/$ma" "$hello" 2>&1); hrc=$?
    if [ "$got" = "$so" ] && [ $hrc -eq 0 ] && printf '%s' "$out" | grep -q 'after RTMP_Init: chunk 128/128'; then
        pass "hello (shared, the package's headers) runs on ${got#"$top"/}: $(printf '%s' "$out" | head -n 1)"
    else bad "hello: loaded '$got', exit $hrc: $(printf '%s' "$out" | head -n 2)"; fi
else bad "hello does not build against the -dev package"; fi
# static: librtmp.a and pkg-config's Libs.private
static_libs=$(pc --static --libs | sed 's/-lrtmp\b/-l:librtmp.a/')
# shellcheck disable=SC2086
if cc -Wall -Werror -o "$hello-static" "$top/examples/hello.c" $(pc --cflags) $static_libs &&
    ! LD_TRACE_LOADED_OBJECTS=1 "$hello-static" | grep -q librtmp &&
    "$hello-static" | grep -q 'after RTMP_Init: chunk 128/128'; then
    pass "hello (static, librtmp.a + Libs.private) runs, no librtmp.so loaded"
else bad "hello against librtmp.a: $static_libs"; fi

# --- 7. Debian's programs on the unpacked library: the play and publish scenarios
sys_size=$(stat -c %s "$ref_lib")
echo "size: librtmp1-rs librtmp.so.1 $(stat -c %s "$so") bytes (stripped; $(size -A "$so" | awk '$1 == ".text" { print $2 }') bytes of .text) | librtmp1 $sysver librtmp.so.1 $sys_size bytes"
for s in play publish; do
    echo "--- $s.sh on ${so#"$top"/}"
    RTMP_LIB_DIR="$root/usr/lib/$ma" "$top/c-tests/integration/$s.sh" || bad "$s.sh on the packaged library"
done

[ $fail -eq 0 ] && echo "deb: all passed" || echo "deb: FAILED"
exit $fail
