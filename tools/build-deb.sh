#!/bin/bash
# Builds the Debian packages into build/deb/ from the release build (`make deb` runs it after
# `make lib`), with dpkg's own tools and no debhelper:
#   librtmp1-rs         /usr/lib/<multiarch>/librtmp.so.1, stripped; Provides/Conflicts/Replaces
#                       librtmp1 (the version Debian's librtmp1 has here); shlibs, symbols,
#                       the ldconfig trigger; Depends from dpkg-shlibdeps
#   librtmp-rs-dev      headers, librtmp.so, librtmp.a (debug info stripped), librtmp.pc with
#                       Debian's paths; Provides/Conflicts/Replaces librtmp-dev
#   librtmp1-rs-dbgsym  the library's debug info, /usr/lib/debug/.build-id/xx/yyyy.debug
# Each has /usr/share/doc/<package>/copyright (machine-readable, from LICENSE and the licences
# of the statically linked crates) and changelog.Debian.gz (packaging/debian/changelog).
# The layout comes from `make install DESTDIR=...`, split and stripped the way dh_strip does.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

die() { echo "build-deb: $*" >&2; exit 1; }

pkgdir=packaging/debian
out=build/deb
stage=$top/build/deb-stage
src=$stage/src                     # a source tree as dpkg-shlibdeps / dpkg-gencontrol expect it
tree=$stage/install                # make install DESTDIR
[ -f build/lib/librtmp.so.1 ] || die "no build/lib/librtmp.so.1: run 'make lib'"

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=usr/lib/$ma
version=$(dpkg-parsechangelog -l "$pkgdir/changelog" -SVersion)
upstream=${version%-*}
crate_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
[ "$upstream" = "$crate_version" ] ||
    die "packaging/debian/changelog is at $version, Cargo.toml at $crate_version: add a changelog entry"
# the timestamps inside the packages (dpkg-deb clamps to it): the changelog entry's date
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$pkgdir/changelog" -STimestamp)
export SOURCE_DATE_EPOCH

# The librtmp1 these packages stand for: the version installed here, else the one apt offers.
replaced=$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' "librtmp1:$arch" 2>/dev/null | sed -n 's/^ii *//p')
[ -n "$replaced" ] ||
    replaced=$(apt-cache show --no-all-versions "librtmp1:$arch" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
[ -n "$replaced" ] || die "cannot tell the version of Debian's librtmp1 (neither installed nor known to apt)"

rm -rf "$stage" "$out"
mkdir -p "$src/debian" "$out"
cp "$pkgdir/control" "$pkgdir/changelog" "$src/debian/"
make --no-print-directory install DESTDIR="$tree" PREFIX=/usr LIBDIR="/$libdir" INCDIR=/usr/include >/dev/null

rt=$stage/librtmp1-rs
dev=$stage/librtmp-rs-dev
dbg=$stage/librtmp1-rs-dbgsym

# --- librtmp.so.1: debug info to the dbgsym tree (named by build ID), the rest stripped
so=$tree/$libdir/librtmp.so.1
id=$(readelf -n "$so" | sed -n 's/^ *Build ID: *//p')
[ ${#id} -ge 4 ] || die "librtmp.so.1 has no build ID (link with -Wl,--build-id)"
debugfile=$dbg/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
install -d "$(dirname "$debugfile")" "$rt/$libdir"
objcopy --only-keep-debug --compress-debug-sections=zlib "$so" "$debugfile"
strip --remove-section=.comment --remove-section=.note --strip-unneeded -o "$rt/$libdir/librtmp.so.1" "$so"
objcopy --add-gnu-debuglink="$debugfile" "$rt/$libdir/librtmp.so.1"
chmod 644 "$rt/$libdir/librtmp.so.1" "$debugfile"

# --- development files: everything else make install put down
install -d "$dev/$libdir/pkgconfig" "$dev/usr/include/librtmp"
ln -s librtmp.so.1 "$dev/$libdir/librtmp.so"
strip --strip-debug --remove-section=.comment --remove-section=.note --enable-deterministic-archives \
    -o "$dev/$libdir/librtmp.a" "$tree/$libdir/librtmp.a"
install -m 644 "$tree/$libdir/pkgconfig/librtmp.pc" "$dev/$libdir/pkgconfig/"
install -m 644 "$tree"/usr/include/librtmp/*.h "$dev/usr/include/librtmp/"
chmod 644 "$dev/$libdir/librtmp.a"

# --- /usr/share/doc/<package>: copyright (Debian's machine-readable format) and changelog
copyright=$stage/copyright
{
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: librtmp-rs"
    echo "Upstream-Contact: $(sed -n 's/^Maintainer: //p' "$pkgdir/control")"
    echo "Source: $(sed -n 's/^Homepage: //p' "$pkgdir/control")"
    echo "Comment: librtmp.so.1 and librtmp.a also contain these Rust crates, linked"
    echo " statically (name, version, licence as the crate declares it):"
    cargo tree --offline --quiet -e normal --prefix none --format '{p} {l}' -p librtmp-rs |
        sed -e 's/ (\*)$//' -e 's/ ([^)]*)//' | grep -v '^librtmp-rs \|^rtmp-core ' | sort -u | sed 's/^/  /'
    echo
    echo "Files: *"
    echo "Copyright: $(sed -n 's/^Copyright (c) //p' LICENSE | head -n 1)"
    echo "License: Expat"
    echo
    echo "License: Expat"
    # LICENSE's text from its first paragraph, blank lines as " ."
    sed -n '/^Permission is hereby granted/,$p' LICENSE | sed -e 's/^$/./' -e 's/^/ /'
} > "$copyright"
grep -q '^  rustls ' "$copyright" || die "could not list the statically linked crates (cargo tree)"
for p in librtmp1-rs librtmp-rs-dev librtmp1-rs-dbgsym; do
    d=$stage/$p/usr/share/doc/$p
    install -d "$d"
    install -m 644 "$copyright" "$d/copyright"
    gzip -9n < "$pkgdir/changelog" > "$d/changelog.Debian.gz"
    chmod 644 "$d/changelog.Debian.gz"
    install -d "$stage/$p/DEBIAN"
done

# --- librtmp1-rs's control files: shlibs, symbols (checked against abi/symbols.txt), trigger
echo "librtmp 1 librtmp1-rs (>= $upstream)" > "$rt/DEBIAN/shlibs"
{
    echo "librtmp.so.1 librtmp1-rs #MINVER#"
    echo "* Build-Depends-Package: librtmp-rs-dev"
    grep -v '^#' abi/symbols.txt | cut -f1 | grep . | sort | sed "s/.*/ &@Base $upstream/"
} > "$src/debian/librtmp1-rs.symbols"
# -c4: fails when the library exports a name the template lacks or lacks one it lists
(cd "$src" && dpkg-gensymbols -q -c4 -plibrtmp1-rs -P"$rt" -v"$upstream" \
    -e"$rt/$libdir/librtmp.so.1" -Idebian/librtmp1-rs.symbols -O"$rt/DEBIAN/symbols") ||
    die "the library's exports differ from abi/symbols.txt"
echo "activate-noawait ldconfig" > "$rt/DEBIAN/triggers"
chmod 644 "$rt/DEBIAN"/*

# --- control files: Depends from dpkg-shlibdeps, the rest from packaging/debian/control
(cd "$src" && dpkg-shlibdeps -Tdebian/librtmp1-rs.substvars -e"$rt/$libdir/librtmp.so.1")
for p in librtmp1-rs librtmp-rs-dev librtmp1-rs-dbgsym; do
    extra=()
    [ "$p" = librtmp1-rs-dbgsym ] && extra=(-DBuild-Ids="$id")
    subst=$src/debian/$p.substvars
    touch "$subst"
    (cd "$src" && dpkg-gencontrol -p"$p" -P"$stage/$p" -T"$subst" -fdebian/files \
        -V"librtmp1:Version=$replaced" "${extra[@]}")
    (cd "$stage/$p" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
        xargs -0 md5sum > DEBIAN/md5sums)
    chmod 644 "$stage/$p/DEBIAN/md5sums"
    find "$stage/$p" -type d -exec chmod 755 {} +
    dpkg-deb --root-owner-group -Zxz --build "$stage/$p" "$out/" >/dev/null
done

echo "build-deb: in $out/ (replacing librtmp1 $replaced; build ID $id):"
for f in "$out"/*.deb; do
    printf '  %-48s %9s bytes\n' "$(basename "$f")" "$(stat -c %s "$f")"
done
