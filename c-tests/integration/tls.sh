#!/bin/bash
# RTMPS integration scenarios: Debian's unchanged rtmpdump / curl / python3-librtmp / rtmpsrv over
# TLS, each run once on our build/lib/librtmp.so.1 and once on the system librtmp 2.4 (control).
# nginx-rtmp serves plain RTMP on a free loopback port; nginx's stream module terminates TLS in
# front of it (one port TLSv1.2 only, one TLSv1.3 only, one with a certificate for another name,
# one with an expired certificate), all with certificates of a throw-away CA (tls-lib.sh).
#   A. scenarios, ours | system: over TLS 1.2 both must work and agree byte for byte (and with the
#      same run over plain rtmp://); over TLS 1.3 ours must work, the system librtmp is known to
#      fail there (its result is shown, not judged). rtmpsrv as a TLS server runs in a private
#      network namespace (port 1935 is hard-coded).
#   B. certificate verification, ours only: trusted (SSL_CERT_FILE, SSL_CERT_DIR, by address, by
#      name, TLS 1.3), the SNI sent, unknown issuer, wrong name, expired, the system trust store,
#      checking turned off by LIBRTMP_TLS_VERIFY=0 or the URL option tlsVerify=0, and a server
#      that does not speak TLS (must time out, not hang).
# Prints two tables (and notes); exits 1 on any failure. About 1 minute.
# usage: c-tests/integration/tls.sh   (after `make lib`; KEEP=1 keeps the work directory)
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tls-lib.sh"
begin_scenarios tls

certs="$work/certs"
make_certs "$certs"
CERTS=$certs start_tls_nginx "$work/ngx"
vod="$work/ngx/vod"
make_clip "$vod/clip.flv" 5
src="$vod/clip.flv"

# the terminators offer what they should (checked with openssl s_client, not with a librtmp)
for pv in "$TLS12_PORT:TLSv1.2:server" "$TLS13_PORT:TLSv1.3:server" "$WRONG_PORT:TLSv1.3:wrong" \
    "$EXPIRED_PORT:TLSv1.3:expired"; do
    IFS=: read -r p v c <<< "$pv"
    got=$(tls_probe "$p")
    case "$got" in "$v "*"($c)"*) ;; *) die "TLS terminator on port $p offers '$got', expected $v and $c.pem";; esac
done

# our side trusts the test CA through the standard variable; GnuTLS-librtmp checks nothing
export SSL_CERT_FILE="$certs/ca.pem"
unset SSL_CERT_DIR LIBRTMP_TLS_VERIFY

declare -A base=([plain]="rtmp://127.0.0.1:$PORT" [tls12]="rtmps://127.0.0.1:$TLS12_PORT"
    [tls13]="rtmps://127.0.0.1:$TLS13_PORT")
declare -A tname=([tls12]="tls1.2" [tls13]="tls1.3")
fail=0
rows_a=() rows_b=() notes=()

# TIMING=1 prints the elapsed time at each stage (stderr)
stage() { [ -z "${TIMING:-}" ] || echo "[${SECONDS}s] $*" >&2; }
libof() { if [ "$1" = ours ]; then echo "$ours"; else echo "$ref"; fi; }
h() { [ -s "$1" ] && md5sum < "$1" | cut -c1-12 || echo "-"; }
sz() { [ -f "$1" ] && stat -c %s "$1" || echo 0; }
# fsum FILE RCFILE: "size md5 rc=N", or just "rc=N" when nothing was written
fsum() { if [ -s "$1" ]; then echo "$(sz "$1") $(h "$1") rc=$(rc "$2")"; else echo "rc=$(rc "$2")"; fi; }
npk() { [ -s "$1" ] && packet_hashes "$1" 2>/dev/null | wc -l || echo 0; }
# first error-looking line of a log (librtmp's ERROR lines, curl's and python's last words)
errline() {
    grep -m 1 -E '^(ERROR|curl: \(|[A-Za-z.]*(Error|Exception):)' "$1" 2>/dev/null | cut -c1-90
}
# desc KIND SIDE T GOOD: "size md5 rc=N" of the run $work/KIND.SIDE.T.*, then GOOD when
# KIND_ok SIDE T passes, else the first error line of its log
desc() {
    local b="$work/$1.$2.$3" d
    d=$(fsum "$b.flv" "$b.rc")
    if [ "$("$1_ok" "$2" "$3")" = 1 ]; then d="$d $4"; else d="$d [$(errline "$b.log")]"; fi
    echo "$d"
}
# packets_ok FILE: every packet of FILE equals the source's packet at the same position (and
# there is at least one)
packets_ok() {
    packet_hashes "$1" > "$work/pk.o" 2>/dev/null
    packet_hashes "$src" | head -n "$(wc -l < "$work/pk.o")" > "$work/pk.s"
    [ -s "$work/pk.o" ] && cmp -s "$work/pk.o" "$work/pk.s"
}
payloads "$src" > "$work/src.pl"
src_n=$(wc -l < "$work/src.pl")
all_arrived() { payloads "$1" > "$work/got.pl"; cmp -s "$work/got.pl" "$work/src.pl"; }

# row_a NAME KIND OURS_OK SYS_OK SAME OURS_DESC SYS_DESC: the verdict of a table A row.
# KIND tls12 and srv (rtmpsrv): ours and system must work and agree (SAME); tls13: ours must
# work, the system's result is information (librtmp 2.4 + GnuTLS fails there).
row_a() {
    local name=$1 t=$2 ook=$3 sok=$4 same=$5 od=$6 sd=$7 v=PASS
    case "$t" in
        tls12|srv) { [ "$ook" = 1 ] && [ "$sok" = 1 ] && [ "$same" = 1 ]; } || v=FAIL ;;
        tls13) [ "$ook" = 1 ] || v=FAIL
               if [ "$sok" = 1 ]; then sd="$sd (works)"; else sd="fails (expected): $sd"; fi ;;
    esac
    [ $v = PASS ] || fail=1
    rows_a+=("$(printf '%-4s %-40s ours %s | system %s' "$v" "$name" "$od" "$sd")")
}
row_b() {
    local v=$1 name=$2 d=$3
    [ "$v" = PASS ] || fail=1
    rows_b+=("$(printf '%-4s verify %-32s %s' "$v" "$name" "$d")")
}
# tls_rows KIND NAME [SAME]: the table A rows "NAME tls1.2" and "NAME tls1.3" from KIND_ok SIDE T
# and KIND_desc SIDE T; the sides agree when their $work/KIND.SIDE.T.flv are equal (SAME=1: always)
tls_rows() {
    local t same
    for t in tls12 tls13; do
        same=${3:-0}; cmp -s "$work/$1.ours.$t.flv" "$work/$1.ref.$t.flv" && same=1
        row_a "$2 ${tname[$t]}" $t "$("$1_ok" ours $t)" "$("$1_ok" ref $t)" "$same" \
            "$("$1_desc" ours $t)" "$("$1_desc" ref $t)"
    done
}

# which library each side loads (proved once per program)
check_loaded "$(command -v rtmpdump)"
check_loaded "$(command -v curl)"
check_loaded "$(command -v rtmpsrv)"

# ---------------------------------------------------------------------------------------------
# A1. rtmpdump VOD: plain, TLS 1.2, TLS 1.3, on both libraries
stage "A1 vod"
for side in ours ref; do
    for t in plain tls12 tls13; do
        LD_LIBRARY_PATH=$(libof $side) timeout 30 rtmpdump -r "${base[$t]}/vod/clip.flv" \
            -o "$work/vod.$side.$t.flv" > "$work/vod.$side.$t.log" 2>&1
        echo $? > "$work/vod.$side.$t.rc"
    done
done
packets_ok "$work/vod.ours.plain.flv" || notes+=("rtmpdump vod over plain rtmp:// (ours): packets differ from the source")
# vod_ok SIDE T: the TLS download equals the side's plain one (bytes, exit code), packets = source
vod_ok() {
    local f="$work/vod.$1.$2.flv" p="$work/vod.$1.plain.flv"
    [ -s "$f" ] && cmp -s "$f" "$p" && [ "$(rc "$work/vod.$1.$2.rc")" = "$(rc "$work/vod.$1.plain.rc")" ] &&
        packets_ok "$f" && echo 1 || echo 0
}
vod_desc() { desc vod "$1" "$2" "=plain"; }
for t in tls12 tls13; do
    same=0; cmp -s "$work/vod.ours.$t.flv" "$work/vod.ref.$t.flv" && same=1
    if [ $t = tls12 ] && ! cmp -s "$work/vod.ours.$t.log" "$work/vod.ref.$t.log"; then
        same=0
        notes+=("rtmpdump vod ${tname[$t]}: stderr differs (< system, > ours):
$(diff "$work/vod.ref.$t.log" "$work/vod.ours.$t.log" | head -n 12)")
    fi
    extra=""; [ "$(vod_ok ours $t)" = 1 ] && extra=" packets=source($(npk "$work/vod.ours.$t.flv")/$src_n)"
    row_a "rtmps rtmpdump vod ${tname[$t]}" $t "$(vod_ok ours $t)" "$(vod_ok ref $t)" $same \
        "$(vod_desc ours $t)$extra" "$(vod_desc ref $t)"
done

# ---------------------------------------------------------------------------------------------
# A2. rtmpdump live: six subscribers (ours/system x plain/TLS 1.2/TLS 1.3), then ffmpeg publishes
#     the clip in real time over plain rtmp://; nginx-rtmp keeps a subscriber's connection open
#     after the stream ends, so each subscriber stops at its receive timeout (-m 4). Over
#     TLS a side must get what it gets over plain rtmp:// (bytes and exit code), all packets equal
#     to the source's.
stage "A2 live"
for side in ours ref; do
    for t in plain tls12 tls13; do
        LD_LIBRARY_PATH=$(libof $side) timeout 40 rtmpdump -v -m 4 -r "${base[$t]}/live/x" \
            -o "$work/live.$side.$t.flv" > "$work/live.$side.$t.log" 2>&1 &
        eval "lpid_${side}_$t=$!"; BG="$BG $!"
    done
done
sleep 1.5
ffmpeg -nostdin -hide_banner -loglevel error -re -i "$src" -c copy -f flv "${base[plain]}/live/x" \
    || die "ffmpeg publish (live)"
for side in ours ref; do
    for t in plain tls12 tls13; do
        eval "wait \$lpid_${side}_$t"; echo $? > "$work/live.$side.$t.rc"
    done
done
# live_ok SIDE T: bytes equal to the side's plain run, packets = source; for ours also the exit
# code. The system librtmp's exit code over TLS is not stable: its TLS read returns GnuTLS error
# codes where its socket code expects -1 (GNUTLS_E_AGAIN is added to the buffer size instead of
# marking a timeout), so rtmpdump's "Download complete / may be incomplete" verdict at the end of a
# live stream varies from run to run there; it is shown, not judged.
live_ok() {
    local f="$work/live.$1.$2.flv"
    packets_ok "$f" && cmp -s "$f" "$work/live.$1.plain.flv" &&
        { [ "$1" = ref ] || [ "$(rc "$work/live.$1.$2.rc")" = "$(rc "$work/live.$1.plain.rc")" ]; } &&
        echo 1 || echo 0
}
live_desc() {
    local f="$work/live.$1.$2.flv" p="$work/live.$1.plain" d
    d=$(fsum "$f" "$work/live.$1.$2.rc")
    if [ "$(live_ok "$1" "$2")" = 1 ]; then
        d="$d =plain packets=source($(npk "$f")/$src_n)"
        [ "$(rc "$work/live.$1.$2.rc")" = "$(rc "$p.rc")" ] || d="$d (plain rc=$(rc "$p.rc"))"
    else
        d="$d (plain: $(sz "$p.flv") $(h "$p.flv") rc=$(rc "$p.rc")) [$(errline "$work/live.$1.$2.log")]"
    fi
    echo "$d"
}
tls_rows live "rtmps rtmpdump live"

# ---------------------------------------------------------------------------------------------
# A3. curl rtmps:// play (curl opens the socket, RTMP_Connect1 does TLS). As in play.sh, curl
#     polls its socket before calling RTMP_Read, so the tail of a VOD that the library has already
#     read can wait until curl's -m limit (rc 28): a run passes with rc 0 or 28 and a non-empty
#     prefix of what rtmpdump downloaded. The four runs go in parallel (they mostly wait).
stage "A3 curl"
curl_pids=""
# Debian's curl lists "rtmp" among its protocols for the whole librtmp family (rtmps included)
curl_rtmp=1; curl -V | grep -i '^Protocols:' | grep -qw 'rtmps\?' || curl_rtmp=0
[ $curl_rtmp = 1 ] && for side in ours ref; do
    for t in tls12 tls13; do
        ( LD_LIBRARY_PATH=$(libof $side) timeout 30 curl -s -S -m 5 -o "$work/curl.$side.$t.flv" \
            "${base[$t]}/vod/clip.flv" > "$work/curl.$side.$t.log" 2>&1
          echo $? > "$work/curl.$side.$t.rc" ) &
        curl_pids="$curl_pids $!"; BG="$BG $!"
    done
done
for p in $curl_pids; do wait "$p"; done
curl_ok() {
    local f="$work/curl.$1.$2.flv" n c
    n=$(sz "$f"); c=$(rc "$work/curl.$1.$2.rc")
    [ "$n" -gt 0 ] && cmp -s -n "$n" "$f" "$work/vod.$1.plain.flv" && { [ "$c" = 0 ] || [ "$c" = 28 ]; } \
        && echo 1 || echo 0
}
curl_desc() { desc curl "$1" "$2" "prefix of rtmpdump's"; }
[ $curl_rtmp = 1 ] || rows_a+=("$(printf '%-4s %-40s %s' SKIP "rtmps curl play" "(curl -V lists no rtmp protocol: curl is not built with librtmp)")")
[ $curl_rtmp = 1 ] && tls_rows curl "rtmps curl play" 1

# ---------------------------------------------------------------------------------------------
# Publishing: ffmpeg (native client, plain rtmp://) subscribes to live/NAME and records while the
# publisher sends the clip over rtmps:// into nginx-rtmp; every source packet must arrive intact
# and in order (publish.sh's check). The four publishers of a kind run in parallel.
# publish_all TAG COMMAND...: @URL in COMMAND stands for rtmps://.../live/TAG<side><t>
publish_all() {
    local tag=$1 side t a args pids="" recs="" p
    shift
    for side in ours ref; do
        for t in tls12 tls13; do
            ffmpeg -nostdin -hide_banner -loglevel error -rw_timeout 3000000 \
                -i "${base[plain]}/live/$tag$side$t" -c copy -f flv -y "$work/$tag.$side.$t.flv" \
                > "$work/${tag}rec.$side.$t.log" 2>&1 &
            recs="$recs $!"; BG="$BG $!"
        done
    done
    sleep 1
    for side in ours ref; do
        for t in tls12 tls13; do
            args=()
            for a in "$@"; do args+=("${a//@URL/${base[$t]}/live/$tag$side$t}"); done
            ( LD_LIBRARY_PATH=$(libof $side) timeout 30 "${args[@]}" > "$work/$tag.$side.$t.log" 2>&1
              echo $? > "$work/$tag.$side.$t.rc" ) &
            pids="$pids $!"; BG="$BG $!"
        done
    done
    for p in $pids; do wait "$p"; done
    stage "  $tag: publishers done"
    # ffmpeg's RTMP client keeps waiting after nginx ends the stream, until -rw_timeout (3 s; a
    # signal would cut the file short once data flows): the recorder of a publisher that failed
    # is stopped at once (it has not started writing), the others end by themselves
    set -- $recs
    for side in ours ref; do
        for t in tls12 tls13; do
            [ "$(rc "$work/$tag.$side.$t.rc")" = 0 ] || kill -INT "$1" 2>/dev/null
            shift
        done
    done
    await_or_interrupt $recs
    stage "  $tag: recorders stopped"
}
pub_ok() { [ "$(rc "$work/$1.$2.$3.rc")" = 0 ] && all_arrived "$work/$1.$2.$3.flv" && echo 1 || echo 0; }
pub_desc() {
    local f="$work/$1.$2.$3.flv"
    if [ "$(pub_ok "$1" "$2" "$3")" = 1 ]; then
        echo "rc=0 received all $src_n packets"
    else
        echo "rc=$(rc "$work/$1.$2.$3.rc") received $(payloads "$f" | wc -l)/$src_n packets [$(errline "$work/$1.$2.$3.log")]"
    fi
}
pub_rows() { # TAG NAME
    local t
    for t in tls12 tls13; do
        row_a "$2 ${tname[$t]}" $t "$(pub_ok "$1" ours $t)" "$(pub_ok "$1" ref $t)" 1 \
            "$(pub_desc "$1" ours $t)" "$(pub_desc "$1" ref $t)"
    done
}

# A4. curl -T (RTMP_Write), paced at about 3x real time (unpaced, nginx drops frames for a
#     subscriber whose queue is full, whichever library publishes)
stage "A4 curl -T"
rate=$(( $(sz "$src") * 3 / 5 / 1024 + 1 ))k
if [ $curl_rtmp = 1 ]; then
    publish_all curlT curl -s -S --limit-rate "$rate" -T "$src" @URL
    pub_rows curlT "rtmps curl -T publish"
else
    rows_a+=("$(printf '%-4s %-40s %s' SKIP "rtmps curl -T publish" "(curl is not built with librtmp)")")
fi

# A5. python3-librtmp play (RTMP_Connect + ConnectStream + Read) over plain, TLS 1.2, TLS 1.3
stage "A5 py play"
for side in ours ref; do
    for t in plain tls12 tls13; do
        LD_LIBRARY_PATH=$(libof $side) timeout 30 /usr/bin/python3 "$py_play" "${base[$t]}/vod/clip.flv" \
            "$work/py.$side.$t.flv" > "$work/py.$side.$t.log" 2>&1
        echo $? > "$work/py.$side.$t.rc"
    done
done
py_ok() {
    local f="$work/py.$1.$2.flv"
    [ -s "$f" ] && cmp -s "$f" "$work/py.$1.plain.flv" && [ "$(rc "$work/py.$1.$2.rc")" = 0 ] && echo 1 || echo 0
}
py_desc() { desc py "$1" "$2" "=plain"; }
tls_rows py "rtmps python3-librtmp play"

# A6. python3-librtmp publish (RTMP_Write through its stream object), one FLV tag per write
#     (librtmp 2.4 loses data when a write ends inside a tag header), paced at about 3x real time
stage "A6 py publish"
cat > "$work/py_pub.py" <<'PY'
import sys, time, librtmp
data = open(sys.argv[2], "rb").read()
c = librtmp.RTMP(sys.argv[1], live=True, timeout=10)
c.connect()
s = c.create_stream(writeable=True)
pos, start, t0 = 13, 0, time.monotonic()
while pos + 11 <= len(data):
    end = pos + 11 + int.from_bytes(data[pos + 1:pos + 4], "big") + 4
    ts = int.from_bytes(data[pos + 4:pos + 7], "big") | data[pos + 7] << 24
    time.sleep(max(0.0, t0 + ts / 3000.0 - time.monotonic()))
    s.write(data[start:end])   # the first write carries the FLV file header too
    pos = start = end
s.close()
c.close()
PY
publish_all pypub /usr/bin/python3 "$work/py_pub.py" @URL "$src"
pub_rows pypub "rtmps python3-librtmp publish"

# ---------------------------------------------------------------------------------------------
# A7. rtmpsrv as the TLS server (RTMP_TLS_AllocServerContext + RTMP_TLS_Accept + RTMP_Serve), one
#     session per key format; "system" = the same session with rtmpsrv on the system librtmp.
#     Clients: FFmpeg's own rtmps client, and rtmpdump on OUR library checking the server's
#     certificate against the test CA. Pass: rtmpsrv printed the rtmpdump command line of the
#     request (rtmps tcUrl and the playpath).
stage "A7 rtmpsrv"
if ! netns_ok; then
    rows_a+=("$(printf '%-4s %-40s %s' SKIP "rtmps rtmpsrv" "(no private network namespace here: unshare -n / ip link set lo up failed; rtmpsrv binds the hard-coded port 1935)")")
else
    srv_ok() { # DIR CLIENT: the request of CLIENT was printed as an rtmpdump command line
        grep -qF "rtmpdump -r \"rtmps://127.0.0.1:1935/vod\" -a \"vod\"" "$1/srv.out" 2>/dev/null &&
            grep -q -- "-y \"$2-play\"" "$1/srv.out" && echo 1 || echo 0
    }
    srv_desc() {
        local d=$1 c=$2 line
        if [ "$(srv_ok "$d" "$c")" = 1 ]; then
            line=$(grep -m 1 -- "-y \"$c-play\"" "$d/srv.out" | cut -c1-70)
            echo "printed: $line..."
        else
            line=$(grep -m 1 -iE 'error|symbol|fail' "$d/srv.err" 2>/dev/null | cut -c1-80)
            [ -n "$line" ] || line=$(errline "$d/$c.log")
            echo "no command line printed (client rc=$(rc "$d/$c.rc")) [${line:-see $d}]"
        fi
    }
    # key formats: pkcs8 = RSA key in PKCS#8, pkcs1 = RSA key in PKCS#1, sec1 = EC P-256 key in SEC1
    for k in pkcs8:server pkcs1:server-rsa1 sec1:server-ec; do
        IFS=: read -r kname kfile <<< "$k"
        for side in ours ref; do
            rtmpsrv_session "$(libof $side)" "$ours" "$certs/$kfile.pem" "$certs/$kfile.key" "$certs/ca.pem" \
                "$work/srv.$kname.$side"
        done
        for c in ffmpeg rtmpdump; do
            peer="ffmpeg"; [ $c = rtmpdump ] && peer="rtmpdump(ours)"
            row_a "rtmps rtmpsrv $kname <- $peer" srv "$(srv_ok "$work/srv.$kname.ours" $c)" \
                "$(srv_ok "$work/srv.$kname.ref" $c)" 1 \
                "$(srv_desc "$work/srv.$kname.ours" $c)" "$(srv_desc "$work/srv.$kname.ref" $c)"
        done
    done
fi

# ---------------------------------------------------------------------------------------------
# B. certificate verification, ours only (rtmpdump VOD over TLS 1.2 unless said otherwise)
stage "B verify"
# vrun TAG CAFILE URL [ENV...]: rtmpdump on our library, SSL_CERT_FILE=CAFILE ("-": unset), with
# the ENV assignments; -i passes the URL with its options to RTMP_SetupURL (-r would hand it to
# RTMP_ParseURL, which keeps " tlsVerify=0" as part of the playpath)
vrun() {
    local tag=$1 ca=$2 url=$3 cav=(SSL_CERT_FILE="$2")
    shift 3
    [ "$ca" = - ] && cav=(-u SSL_CERT_FILE)
    env "${cav[@]}" LD_LIBRARY_PATH="$ours" "$@" timeout 30 rtmpdump -i "$url" \
        -o "$work/v.$tag.flv" > "$work/v.$tag.log" 2>&1
    echo $? > "$work/v.$tag.rc"
}
# works TAG: the same download as over plain rtmp:// (bytes and exit code)
works() {
    [ -s "$work/v.$1.flv" ] && cmp -s "$work/v.$1.flv" "$work/vod.ours.plain.flv" &&
        [ "$(rc "$work/v.$1.rc")" = "$(rc "$work/vod.ours.plain.rc")" ]
}
# refused TAG WORD: rtmpdump failed, no media came through, an ERROR line contains WORD
refused() {
    [ "$(rc "$work/v.$1.rc")" != 0 ] && [ "$(npk "$work/v.$1.flv")" = 0 ] &&
        grep -i '^ERROR' "$work/v.$1.log" | grep -qi -- "$2"
}
line_of() { grep -i -m 1 "^$2.*$3" "$work/v.$1.log" | cut -c1-170; }
vdesc() { echo "rc=$(rc "$work/v.$1.rc") $(sz "$work/v.$1.flv") bytes"; }

s12="rtmps://127.0.0.1:$TLS12_PORT/vod/clip.flv"
vrun trusted "$certs/ca.pem" "$s12"
if works trusted; then row_b PASS "trusted CA" "works, = plain download ($(vdesc trusted))"
else row_b FAIL "trusted CA" "$(vdesc trusted) [$(errline "$work/v.trusted.log")]"; fi

vrun byname "$certs/ca.pem" "rtmps://localhost:$TLS12_PORT/vod/clip.flv"
if works byname; then row_b PASS "by name (localhost)" "works, = plain download ($(vdesc byname))"
else row_b FAIL "by name (localhost)" "$(vdesc byname) [$(errline "$work/v.byname.log")]"; fi

vrun tls13 "$certs/ca.pem" "rtmps://127.0.0.1:$TLS13_PORT/vod/clip.flv"
if works tls13; then row_b PASS "trusted CA, TLS 1.3" "works, = plain download ($(vdesc tls13))"
else row_b FAIL "trusted CA, TLS 1.3" "$(vdesc tls13) [$(errline "$work/v.tls13.log")]"; fi

mkdir -p "$work/cadir"; cp "$certs/ca.pem" "$work/cadir/"; openssl rehash "$work/cadir" 2>/dev/null
vrun cadir - "$s12" SSL_CERT_DIR="$work/cadir"
if works cadir; then row_b PASS "trusted CA via SSL_CERT_DIR" "works, = plain download ($(vdesc cadir))"
else row_b FAIL "trusted CA via SSL_CERT_DIR" "$(vdesc cadir) [$(errline "$work/v.cadir.log")]"; fi

# SNI (nginx logs the name each client sent): the name when connecting by name, never an IP
# address (RFC 6066), as librtmp 2.4 does
for _ in $(seq 20); do grep -q "^$TLS12_PORT TLSv1.2 sni=localhost\$" "$work/ngx/logs/stream.log" && break; sleep 0.1; done
sni_ip=$(grep -c "sni=127\.0\.0\.1" "$work/ngx/logs/stream.log")
if grep -q "^$TLS12_PORT TLSv1.2 sni=localhost\$" "$work/ngx/logs/stream.log" && [ "$sni_ip" = 0 ]; then
    row_b PASS "SNI" "by name: sni=localhost; by address: no SNI ($(wc -l < "$work/ngx/logs/stream.log") sessions logged)"
else
    row_b FAIL "SNI" "by name: $(grep -c "sni=localhost" "$work/ngx/logs/stream.log") sessions with sni=localhost; $sni_ip sessions sent the IP address as SNI"
fi

# refusal rows: TAG NAME CAFILE URL WORD
refusal() {
    vrun "$1" "$3" "$4"
    if refused "$1" "$5"; then row_b PASS "$2 refused" "$(vdesc "$1") (ERROR line: $(line_of "$1" ERROR "$5"))"
    else row_b FAIL "$2 refused" "$(vdesc "$1"), no ERROR line with '$5' [$(errline "$work/v.$1.log")]"; fi
}
refusal unknown "unknown-issuer" "$certs/other-ca.pem" "$s12" "unknown issuer"
refusal wrong "wrong-name" "$certs/ca.pem" "rtmps://127.0.0.1:$WRONG_PORT/vod/clip.flv" "not for"
refusal wrongname "wrong-name (localhost)" "$certs/ca.pem" "rtmps://localhost:$WRONG_PORT/vod/clip.flv" "not for"
# the names the certificate is valid for should read as in the certificate
if grep -qE '^ERROR.*(DnsName|IpAddress|ServerName)\(' "$work/v.wrong.log" "$work/v.wrongname.log" 2>/dev/null; then
    notes+=("wrong-name ERROR line shows the certificate's names in Rust Debug form: $(grep -h -m 1 -o 'valid for .*, not for' "$work/v.wrong.log")")
fi
refusal expired "expired" "$certs/ca.pem" "rtmps://127.0.0.1:$EXPIRED_PORT/vod/clip.flv" "expired"

# checking off: works with an untrusted chain, and says so in a WARNING line
checkoff() { # TAG NAME URL [ENV...]
    local tag=$1 name=$2 url=$3
    shift 3
    vrun "$tag" "$certs/other-ca.pem" "$url" "$@"
    if works "$tag" && grep -i '^WARNING' "$work/v.$tag.log" | grep -qi "checking is off"; then
        row_b PASS "$name" "works, = plain download ($(vdesc "$tag")) (WARNING line: $(line_of "$tag" WARNING "checking is off"))"
    else
        row_b FAIL "$name" "$(vdesc "$tag"), must work with a WARNING 'checking is off' [$(errline "$work/v.$tag.log")]"
    fi
}
# without SSL_CERT_FILE / SSL_CERT_DIR the system trust store is used: it has no test CA
refusal nostore "system trust store" - "$s12" "unknown issuer"

checkoff envoff "LIBRTMP_TLS_VERIFY=0" "$s12" LIBRTMP_TLS_VERIFY=0
checkoff urloff "URL option tlsVerify=0" "$s12 tlsVerify=0"

# a server that does not speak TLS (nginx-rtmp's plain port waits for 1537 handshake bytes): the
# TLS handshake must give up at the connection timeout (-m 3), not hang
t0=$SECONDS
SSL_CERT_FILE="$certs/ca.pem" LD_LIBRARY_PATH="$ours" timeout 30 rtmpdump -m 3 \
    -r "rtmps://127.0.0.1:$PORT/vod/clip.flv" -o "$work/v.notls.flv" > "$work/v.notls.log" 2>&1
echo $? > "$work/v.notls.rc"; el=$((SECONDS - t0))
if [ "$(rc "$work/v.notls.rc")" != 0 ] && [ "$(rc "$work/v.notls.rc")" != 124 ] && [ $el -le 6 ] &&
    grep -q '^ERROR' "$work/v.notls.log"; then
    row_b PASS "no TLS server, -m 3" "gave up after ${el}s, rc=$(rc "$work/v.notls.rc") ($(errline "$work/v.notls.log"))"
else
    row_b FAIL "no TLS server, -m 3" "rc=$(rc "$work/v.notls.rc") after ${el}s [$(errline "$work/v.notls.log")]"
fi

# ---------------------------------------------------------------------------------------------
stage "done"
echo "A. rtmps scenarios (ours = build/lib, system = $ref_lib; nginx-rtmp behind nginx stream TLS)"
printf '%s\n' "${rows_a[@]}"
echo "B. certificate verification (ours only)"
printf '%s\n' "${rows_b[@]}"
for n in "${notes[@]}"; do echo "note: $n"; done
[ $fail -eq 0 ] && echo "integration tls: all passed" || echo "integration tls: FAILED"
exit $fail
