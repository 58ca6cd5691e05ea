#!/usr/bin/env bash
# t8303-s3-tls: s3:// over HTTPS with a private CA.  A TLS relay (Python's
# ssl module, a certificate from a CA made here) in front of a real Ceph
# RADOS Gateway: the certificate is refused until --ssl-cacert-file or
# --ssl-cacert-path names the CA, or --ssl-no-check-certificate is given,
# and a backup and its restore then go through it, parts in parallel.
#
# needs-server: ceph
. "$(dirname "$0")/lib.sh"

need_server ceph

. "$TEST_TOP/tests/e2e/lib-s3.sh"

cat >"$TRASH/relay.py" <<'EOF'
# relay.py CERT KEY HOST PORT: TLS on a free loopback port (printed), each
# connection relayed in plain text to HOST:PORT.
import socket, ssl, sys, threading

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
target = (sys.argv[3], int(sys.argv[4]))
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(64)
print(ls.getsockname()[1], flush=True)

def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def serve(c):
    try:
        t = ctx.wrap_socket(c, server_side=True)
    except (OSError, ssl.SSLError):
        c.close()
        return
    u = socket.create_connection(target)
    threading.Thread(target=pump, args=(t, u), daemon=True).start()
    pump(u, t)

while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF

test_expect_success 'a CA, a certificate for 127.0.0.1, and the TLS relay' '
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout ca.key -out ca.pem -days 2 -subj "/CN=t8303 CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null &&
	printf "subjectAltName=IP:127.0.0.1\n" >server.ext &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
		-CAcreateserial -days 2 -extfile server.ext -out server.pem 2>/dev/null &&
	mkdir cadir && cp ca.pem cadir/ && openssl rehash cadir &&
	{ "$PY" relay.py server.pem server.key "$DUPC_RGW_HOST" "$DUPC_RGW_PORT" \
		>relay.port 2>relay.err & } &&
	relay_pid=$! &&
	for i in $(seq 1 50); do test -s relay.port && break; sleep 0.1; done &&
	test -s relay.port &&
	mkdir -p src && head -c 12000000 /dev/urandom >src/file
'
URL="s3://127.0.0.1:$(cat relay.port 2>/dev/null)/$B"
# the relay stops with the script, before lib.sh's own clean-up
eval "set -- $(trap -p EXIT)"
relay_pid=${relay_pid:-}
trap "[ -z \"\$relay_pid\" ] || kill \$relay_pid 2>/dev/null; ${3:-}" EXIT

test_expect_success 'a certificate from an unknown CA: one line naming --ssl-cacert-file, exit 38' '
	test_expect_code 38 "$DUPC" collection-status --archive-dir c0 \
		"$URL/p" >unknown.out 2>unknown.err &&
	grep -q -- "--ssl-cacert-file" unknown.err &&
	test "$(grep -c . unknown.err)" -eq 1
'

test_expect_success '--ssl-cacert-file: a backup in parts and its restore' '
	"$DUPC" --no-encryption --volsize 11 --s3-multipart-chunk-size 5 -v9 \
		--archive-dir c1 --ssl-cacert-file ca.pem src "$URL/file" >b1.out 2>&1 &&
	grep -q "S3 multipart upload of .*: 3 parts" b1.out &&
	"$DUPC" restore --no-encryption --archive-dir c1r --ssl-cacert-file ca.pem \
		"$URL/file" r1 &&
	cmp src/file r1/file
'

test_expect_success '--ssl-cacert-path: the same CA from a hashed directory' '
	"$DUPC" restore --no-encryption --archive-dir c2r --ssl-cacert-path cadir \
		"$URL/file" r2 &&
	cmp src/file r2/file
'

test_expect_success '--ssl-no-check-certificate: no check at all' '
	"$DUPC" restore --no-encryption --archive-dir c3r --ssl-no-check-certificate \
		"$URL/file" r3 &&
	cmp src/file r3/file
'

test_done
