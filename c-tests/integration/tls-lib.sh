# Helpers of the RTMPS integration scenarios and of bench-tls.sh (sourced after lib.sh): a
# throw-away PKI made with the openssl command, and an nginx whose stream module terminates TLS on
# free loopback ports in front of nginx-rtmp (plain RTMP on $PORT).

# ossl ARGS...: openssl, quiet unless it fails
ossl() {
    local out
    out=$(openssl "$@" 2>&1) || die "openssl $1: $out"
}

# make_certs DIR: writes into DIR
#   ca.pem ca.key                 the test CA (RSA 2048, key in PKCS#8)
#   other-ca.pem other-ca.key     a second CA that signs nothing used here (unknown issuer)
#   server.pem server.key         localhost + 127.0.0.1, RSA 2048, PKCS#8 key
#   wrong.pem wrong.key           DNS:wrong.example only (EC P-256, PKCS#8)
#   expired.pem expired.key       localhost + 127.0.0.1, valid 2020-01-01 .. 2020-01-02 (EC, PKCS#8)
#   server-rsa1.pem/.key          localhost + 127.0.0.1, RSA 2048, PKCS#1 key ("RSA PRIVATE KEY")
#   server-ec.pem/.key            localhost + 127.0.0.1, EC P-256, SEC1 key ("EC PRIVATE KEY")
# Every leaf is signed by the test CA with `openssl ca` (which can backdate: -startdate/-enddate).
make_certs() {
    local d=$1 db
    db="$d/ca-db"
    mkdir -p "$d" "$db/new"
    : > "$db/index.txt"
    echo "unique_subject = no" > "$db/index.txt.attr"
    echo 1000 > "$db/serial"
    cat > "$d/openssl.cnf" <<CNF
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ ca ]
default_ca = testca
[ testca ]
database = $db/index.txt
serial = $db/serial
new_certs_dir = $db/new
default_md = sha256
default_days = 3650
policy = any
copy_extensions = none
email_in_dn = no
[ any ]
commonName = supplied
[ leaf_local ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1
[ leaf_wrong ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example
CNF
    # the two CAs
    ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/ca.key"
    ossl req -config "$d/openssl.cnf" -new -x509 -key "$d/ca.key" -subj "/CN=librtmp-rs test CA" \
        -days 3650 -sha256 -extensions v3_ca -out "$d/ca.pem"
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/other-ca.key"
    ossl req -config "$d/openssl.cnf" -new -x509 -key "$d/other-ca.key" -subj "/CN=librtmp-rs other CA" \
        -days 3650 -sha256 -extensions v3_ca -out "$d/other-ca.pem"
    # leaf keys: PKCS#8 (genpkey's default), one PKCS#1 RSA key, one SEC1 EC key
    ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/server.key"
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/wrong.key"
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/expired.key"
    ossl genrsa -traditional -out "$d/server-rsa1.key" 2048
    ossl ecparam -name prime256v1 -genkey -noout -out "$d/server-ec.key"
    grep -q "BEGIN PRIVATE KEY" "$d/server.key" || die "server.key is not PKCS#8"
    grep -q "BEGIN RSA PRIVATE KEY" "$d/server-rsa1.key" || die "server-rsa1.key is not PKCS#1"
    grep -q "BEGIN EC PRIVATE KEY" "$d/server-ec.key" || die "server-ec.key is not SEC1"
    # leaf certificates, signed by the test CA
    local spec name cn ext dates
    for spec in server:localhost:leaf_local: server-rsa1:localhost:leaf_local: \
        server-ec:localhost:leaf_local: wrong:wrong.example:leaf_wrong: \
        expired:localhost:leaf_local:expired; do
        IFS=: read -r name cn ext dates <<< "$spec"
        ossl req -config "$d/openssl.cnf" -new -key "$d/$name.key" -subj "/CN=$cn ($name)" -out "$d/$name.csr"
        # valid from yesterday (no clock-rounding surprise right after creation), or long expired
        if [ -n "$dates" ]; then dates="-startdate 20200101000000Z -enddate 20200102000000Z"
        else dates="-startdate $(date -u -d '1 day ago' +%Y%m%d%H%M%SZ) -days 3650"; fi
        # shellcheck disable=SC2086
        ossl ca -config "$d/openssl.cnf" -batch -notext -cert "$d/ca.pem" -keyfile "$d/ca.key" \
            -extensions "$ext" $dates -in "$d/$name.csr" -out "$d/$name.pem"
    done
    # sanity: the chain and the dates are what the scenarios expect
    ossl verify -CAfile "$d/ca.pem" -verify_hostname localhost "$d/server.pem"
    ossl verify -CAfile "$d/ca.pem" -verify_ip 127.0.0.1 "$d/server-rsa1.pem" "$d/server-ec.pem"
    ! openssl verify -CAfile "$d/ca.pem" "$d/expired.pem" >/dev/null 2>&1 || die "expired.pem verifies"
    ! openssl verify -CAfile "$d/ca.pem" -verify_hostname localhost "$d/wrong.pem" >/dev/null 2>&1 \
        || die "wrong.pem verifies for localhost"
    ! openssl verify -CAfile "$d/other-ca.pem" "$d/server.pem" >/dev/null 2>&1 \
        || die "server.pem verifies with other-ca.pem"
}

# start_tls_nginx DIR [TERMINATORS [SERVER-DIRECTIVES [RTMP-DIRECTIVES]]]: lib.sh's nginx-rtmp on
# $PORT (applications live and vod, vod root DIR/vod; the optional directives as in start_nginx),
# plus nginx's stream module terminating TLS on free loopback ports and passing the plain bytes to
# $PORT, one port per name in TERMINATORS (default: all four):
#   tls12     $TLS12_PORT    TLSv1.2 only, $SERVER_CERT.pem
#   tls13     $TLS13_PORT    TLSv1.3 only, $SERVER_CERT.pem
#   wrong     $WRONG_PORT    TLSv1.2 + 1.3, wrong.pem (valid for wrong.example only)
#   expired   $EXPIRED_PORT  TLSv1.2 + 1.3, expired.pem
# SERVER_CERT names one of make_certs' localhost + 127.0.0.1 certificates: server (the default,
# RSA), server-rsa1 or server-ec (EC P-256).
# Each TLS session is logged to DIR/logs/stream.log as "PORT PROTOCOL sni=NAME" when it ends.
# The certificates come from make_certs, in $CERTS (default DIR/certs, made when missing).
# Sets $NGX_PID (stopped by lib.sh's stop_nginx / end_scenarios trap).
start_tls_nginx() {
    local ngx=$1 certs=${CERTS:-$1/certs} names=${2:-tls12 tls13 wrong expired} t p protos cert
    local servers="" ports=""
    [ -f "$certs/server.pem" ] || make_certs "$certs"
    PORT=$(free_port); HPORT=$(free_port)
    TLS12_PORT=$(free_port); TLS13_PORT=$(free_port); WRONG_PORT=$(free_port); EXPIRED_PORT=$(free_port)
    # free_port can hand out the same port twice (each probe closes its socket): insist on distinct
    [ "$(printf '%s\n' "$PORT" "$HPORT" "$TLS12_PORT" "$TLS13_PORT" "$WRONG_PORT" "$EXPIRED_PORT" | sort -u | wc -l)" -eq 6 ] \
        || { start_tls_nginx "$@"; return; }
    for t in $names; do
        case $t in
            tls12) p=$TLS12_PORT protos=TLSv1.2 cert=${SERVER_CERT:-server} ;;
            tls13) p=$TLS13_PORT protos=TLSv1.3 cert=${SERVER_CERT:-server} ;;
            wrong) p=$WRONG_PORT protos="TLSv1.2 TLSv1.3" cert=wrong ;;
            expired) p=$EXPIRED_PORT protos="TLSv1.2 TLSv1.3" cert=expired ;;
            *) die "start_tls_nginx: no terminator '$t'" ;;
        esac
        ports="$ports $p"
        servers="$servers
  server { listen 127.0.0.1:$p ssl; ssl_protocols $protos;
    ssl_certificate $certs/$cert.pem; ssl_certificate_key $certs/$cert.key;
    proxy_pass 127.0.0.1:$PORT; }"
    done
    write_nginx_conf "$ngx" "${3:-}" "${4:-}" "load_module /usr/lib/nginx/modules/ngx_stream_module.so;
stream {
  # one line per TLS session: port, protocol, the SNI name the client sent (empty: none)
  log_format tls '\$server_port \$ssl_protocol sni=\$ssl_server_name';
  access_log $ngx/logs/stream.log tls;
  ssl_session_cache off;
  proxy_connect_timeout 5s;$servers
}"
    # shellcheck disable=SC2086
    run_nginx "$ngx" "$PORT" $ports
}

# tls_probe PORT: the TLS version and the certificate subject the terminator on PORT offers
tls_probe() {
    timeout 5 openssl s_client -connect "127.0.0.1:$1" -servername localhost </dev/null 2>/dev/null |
        awk '/^subject=/ { s = substr($0, 9) } /^New, / { p = $2 } END { sub(",", "", p); print p, s }'
}

# netns_ok: private network namespaces work here (rtmpsrv's port 1935 is hard-coded)
netns_ok() {
    unshare -n sh -c 'ip link set lo up' >/dev/null 2>&1
}

# rtmpsrv_session SRVLIB CLIENTLIB CERT KEY CA DIR: inside a private network namespace (its own
# loopback, so 1935 is free and nothing outside is reached) runs `rtmpsrv -c CERT -k KEY` on
# SRVLIB's librtmp, then two rtmps clients one after the other:
#   FFmpeg's native rtmps client (no certificate check)   -> vod/ffmpeg-play
#   rtmpdump on CLIENTLIB's librtmp, SSL_CERT_FILE=CA      -> vod/rtmpdump-play
# rtmpsrv prints the rtmpdump command line of every play request to its stdout (DIR/srv.out);
# the rtmpdump it then spawns through PATH is a stub that records its arguments (DIR/spawn.*).
# Client logs and exit codes: DIR/{ffmpeg,rtmpdump}.{log,rc}. Everything started in there is
# stopped by PID before the namespace goes away.
rtmpsrv_session() {
    local srvlib=$1 clib=$2 cert=$3 key=$4 ca=$5 dir=$6
    mkdir -p "$dir/stub"
    cat > "$dir/stub/rtmpdump" <<'STUB'
#!/bin/sh
# stands in for the rtmpdump that rtmpsrv spawns for each request: records the arguments only
n=0; while [ -e "$RTMPSRV_SPAWN_DIR/spawn.$n" ]; do n=$((n + 1)); done
printf '%s\n' "$@" > "$RTMPSRV_SPAWN_DIR/spawn.$n"
STUB
    chmod +x "$dir/stub/rtmpdump"
    cat > "$dir/session.sh" <<'SESSION'
set -u
srvlib=$1 clib=$2 cert=$3 key=$4 ca=$5 dir=$6
ip link set lo up || { echo "ip link set lo up failed" > "$dir/srv.err"; exit 1; }
cd "$dir" || exit 1
rm -f srv.in; mkfifo srv.in; exec 9<>srv.in   # rtmpsrv reads commands from stdin: a blocking one
PATH="$dir/stub:$PATH" RTMPSRV_SPAWN_DIR=$dir LD_LIBRARY_PATH=$srvlib \
    rtmpsrv -c "$cert" -k "$key" < srv.in > srv.out 2> srv.err &
spid=$!
trap 'kill "$spid" 2>/dev/null' EXIT TERM
for _ in $(seq 50); do
    grep -q ':078F 00000000:0000 0A' /proc/net/tcp && break
    kill -0 "$spid" 2>/dev/null || break
    sleep 0.1
done
timeout 10 ffmpeg -nostdin -hide_banner -loglevel info -tls_verify 0 \
    -i rtmps://127.0.0.1:1935/vod/ffmpeg-play -t 1 -f null - > ffmpeg.log 2>&1
echo $? > ffmpeg.rc
sleep 0.2
SSL_CERT_FILE=$ca LD_LIBRARY_PATH=$clib timeout 10 /usr/bin/rtmpdump -m 5 \
    -r rtmps://127.0.0.1:1935/vod/rtmpdump-play -o rtmpdump.flv > rtmpdump.log 2>&1
echo $? > rtmpdump.rc
sleep 0.2
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
exec 9>&-
exit 0
SESSION
    timeout 60 unshare -n bash "$dir/session.sh" "$srvlib" "$clib" "$cert" "$key" "$ca" "$dir" \
        > "$dir/session.log" 2>&1
}
