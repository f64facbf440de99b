#!/bin/sh
# Compares the dynamic symbols of our librtmp.so.1 with librtmp 2.4's export list:
# every defined global must be a librtmp export of the same kind (function/data) and, for data,
# the same size. Prints the coverage and fails on any extra, wrong-kind or mis-sized symbol.
# usage: check_symbols.sh build/lib/librtmp.so.1 abi/symbols.txt
set -eu
lib=$1
ref=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -v '^#' "$ref" | awk -F'\t' 'NF >= 2 { size = "-"; if ($2 == "data") { split($4, a, "size="); size = a[2] } print $1, $2, size }' | sort > "$tmp/ref"
# readelf --dyn-syms: Num Value Size Type Bind Vis Ndx Name
readelf --dyn-syms -W "$lib" | awk '$5 == "GLOBAL" || $5 == "WEAK" { if ($7 != "UND") { kind = ($4 == "FUNC") ? "func" : (($4 == "OBJECT") ? "data" : $4); size = (kind == "data") ? $3 : "-"; print $8, kind, size } }' | sed 's/@.*//' | sort > "$tmp/ours"

fail=0
total=$(wc -l < "$tmp/ref")
n=0
while read -r name kind size; do
    line=$(grep "^$name " "$tmp/ref" || true)
    if [ -z "$line" ]; then
        echo "EXTRA symbol not exported by librtmp 2.4: $name ($kind)"
        fail=1
    elif [ "$line" != "$name $kind $size" ]; then
        echo "MISMATCH: ours '$name $kind $size', librtmp '$line'"
        fail=1
    else
        n=$((n + 1))
    fi
done < "$tmp/ours"
echo "symbols: exported $n/$total"
if readelf -d "$lib" | grep -q 'SONAME.*\[librtmp.so.1\]'; then
    echo "symbols: SONAME librtmp.so.1"
else
    echo "SONAME is not librtmp.so.1"
    fail=1
fi
exit $fail
