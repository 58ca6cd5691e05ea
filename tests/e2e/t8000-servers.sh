#!/usr/bin/env bash
# t8000-servers: the test servers of tests/servers/ answer real clients
# (OpenSSH, paramiko, boto3, curl, rclone), keep to their accounts and
# certificates, stop for good, and duplicity 0.8.22 backs up to and
# restores from each of them (the interop tests of the network backends
# rely on it).
#
# needs-server: sshd ceph webdav ftp rclone
. "$(dirname "$0")/lib.sh"

# It tests the servers, not dupc: once per run is enough.
test_have_prereq UNSANITIZED ||
	test_skip_all "tests the servers, not dupc: runs in the non-ASan pass"
need_server sshd ceph webdav ftp rclone

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
SERVERS=$TEST_TOP/tests/servers
# the servers are shared with other scripts: everything goes under $u
u=t8000-$$

SSH_OPTS=(-F /dev/null -o Port="$DUPC_SSHD_PORT"
	-o UserKnownHostsFile="$DUPC_SSHD_KNOWN_HOSTS"
	-o StrictHostKeyChecking=yes -o IdentityAgent=none
	-o IdentitiesOnly=yes -o ConnectTimeout=10)
SSH_DEST=$DUPC_SSHD_USER@$DUPC_SSHD_HOST

# askpass prints the file $ASKPASS_FILE: OpenSSH reads a passphrase or a
# password from it with SSH_ASKPASS_REQUIRE=force, never from argv.
printf '#!/bin/sh\ncat "$ASKPASS_FILE"\n' >"$TRASH/askpass"
chmod +x "$TRASH/askpass"

# curl reads the WebDAV and FTP credentials from a file, not argv.
printf 'user = "%s:%s"\n' "$DUPC_WEBDAV_USER" "$DUPC_WEBDAV_PASSWORD" \
    >"$TRASH/dav.curl"
printf 'user = "%s:%s"\n' "$DUPC_FTP_USER" "$DUPC_FTP_PASSWORD" \
    >"$TRASH/ftp.curl"

cat >"$TRASH/sftp_password.py" <<'EOF'
# sftp_password.py PASSWORD_FILE DIR: log in with the password (paramiko,
# as duplicity's sftp backend does), put a file in DIR (relative to the
# home), list DIR.  Exit 3 when the password is refused.
import os, sys
import paramiko

pw = open(sys.argv[1]).read().rstrip("\n")
c = paramiko.SSHClient()
c.load_host_keys(os.environ["DUPC_SSHD_KNOWN_HOSTS"])
try:
    c.connect(os.environ["DUPC_SSHD_HOST"],
              port=int(os.environ["DUPC_SSHD_PORT"]),
              username=os.environ["DUPC_SSHD_USER"], password=pw,
              allow_agent=False, look_for_keys=False)
except paramiko.AuthenticationException:
    sys.exit(3)
s = c.open_sftp()
s.chdir(sys.argv[2])
with s.open("by-password", "w") as f:
    f.write("paramiko\n")
print(" ".join(sorted(s.listdir("."))))
c.close()
EOF

cat >"$TRASH/s3.py" <<'EOF'
# s3.py CMD ARGS: boto3 against the run's radosgw.
#   check BUCKET      put/get/list as the user; the other user and
#                     anonymous requests are refused
#   mkbucket BUCKET   create it
#   put ENDPOINT BUCKET KEY FILE / get ENDPOINT BUCKET KEY FILE
import os, sys, urllib.request
import boto3, botocore

e = os.environ


def client(endpoint=None, who="DUPC_RGW"):
    return boto3.client("s3", endpoint_url=endpoint or e["DUPC_RGW_ENDPOINT"],
                        aws_access_key_id=e[who + "_ACCESS_KEY"],
                        aws_secret_access_key=e[who + "_SECRET_KEY"],
                        region_name=e["DUPC_RGW_REGION"])


def refused(fn, **kw):
    try:
        fn(**kw)
    except botocore.exceptions.ClientError as x:
        return x.response["Error"]["Code"] == "AccessDenied"
    return False


cmd = sys.argv[1]
if cmd == "mkbucket":
    client().create_bucket(Bucket=sys.argv[2])
elif cmd == "check":
    b = sys.argv[2]
    s3 = client()
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="dir/a.txt", Body=b"hello s3\n")
    assert s3.get_object(Bucket=b, Key="dir/a.txt")["Body"].read() == b"hello s3\n"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]]
    assert keys == ["dir/a.txt"], keys
    other = client(who="DUPC_RGW_OTHER")
    assert refused(other.get_object, Bucket=b, Key="dir/a.txt"), "other get"
    assert refused(other.list_objects_v2, Bucket=b), "other list"
    assert refused(other.put_object, Bucket=b, Key="x", Body=b"x"), "other put"
    assert b not in [x["Name"] for x in other.list_buckets()["Buckets"]]
    body = urllib.request.urlopen(e["DUPC_RGW_ENDPOINT"] + "/").read()
    assert b"ListAllMyBucketsResult" in body, body
    try:
        urllib.request.urlopen(e["DUPC_RGW_ENDPOINT"] + "/" + b + "/dir/a.txt")
        sys.exit("anonymous get allowed")
    except urllib.error.HTTPError as x:
        assert x.code == 403, x.code
elif cmd in ("put", "get"):
    s3 = client(sys.argv[2])
    if cmd == "put":
        s3.create_bucket(Bucket=sys.argv[3])
        s3.upload_file(sys.argv[5], sys.argv[3], sys.argv[4])
    else:
        s3.download_file(sys.argv[3], sys.argv[4], sys.argv[5])
EOF

test_expect_success 'sshd: sftp with the key; relative paths land in its home' '
	echo hello >f &&
	printf "mkdir %s\nput f %s/f\nls %s\nget %s/f g\n" $u $u $u $u >batch &&
	sftp -b batch "${SSH_OPTS[@]}" -o BatchMode=yes \
	    -i "$DUPC_SSHD_KEY" "$SSH_DEST" >out &&
	test_cmp f g &&
	test_cmp f "$DUPC_SSHD_HOME/$u/f" &&
	test "$(stat -c %u "$DUPC_SSHD_HOME/$u/f")" = \
	    "$(stat -c %u "$DUPC_SSHD_HOME")" &&
	test "$(stat -c %u "$DUPC_SSHD_HOME")" -ne 0
'

test_expect_success 'sshd: the protected key with its passphrase, not without' '
	echo "ls $u" >batch &&
	ASKPASS_FILE=$DUPC_SSHD_KEY_PASSPHRASE_FILE SSH_ASKPASS=$TRASH/askpass \
	    SSH_ASKPASS_REQUIRE=force setsid -w ssh "${SSH_OPTS[@]}" \
	    -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
	    -i "$DUPC_SSHD_KEY_PROTECTED" "$SSH_DEST" "cat $u/f" >out &&
	test_cmp f out &&
	echo wrong >badphrase &&
	test_must_fail env ASKPASS_FILE=badphrase SSH_ASKPASS=$TRASH/askpass \
	    SSH_ASKPASS_REQUIRE=force setsid -w ssh "${SSH_OPTS[@]}" \
	    -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
	    -o NumberOfPasswordPrompts=1 \
	    -i "$DUPC_SSHD_KEY_PROTECTED" "$SSH_DEST" true
'

test_expect_success 'sshd: password login (OpenSSH and paramiko); a wrong one is refused' '
	printf "%s\n" "$DUPC_SSHD_PASSWORD" >pw &&
	ASKPASS_FILE=pw SSH_ASKPASS=$TRASH/askpass SSH_ASKPASS_REQUIRE=force \
	    setsid -w ssh "${SSH_OPTS[@]}" -o PubkeyAuthentication=no \
	    -o PreferredAuthentications=password "$SSH_DEST" "cat $u/f" >out &&
	test_cmp f out &&
	"$PY" "$TRASH/sftp_password.py" pw $u >out &&
	echo "by-password f" >expect &&
	test_cmp expect out &&
	echo wrong >badpw &&
	test_expect_code 3 "$PY" "$TRASH/sftp_password.py" badpw $u &&
	test_must_fail env ASKPASS_FILE=badpw SSH_ASKPASS=$TRASH/askpass \
	    SSH_ASKPASS_REQUIRE=force setsid -w ssh "${SSH_OPTS[@]}" \
	    -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 \
	    -o PreferredAuthentications=password "$SSH_DEST" true
'

test_expect_success 'sshd: host key fingerprints and known_hosts match the server' '
	ssh-keyscan -T 10 -p "$DUPC_SSHD_PORT" -t ed25519,rsa "$DUPC_SSHD_HOST" \
	    2>/dev/null >scanned &&
	test_line_count scanned = 2 &&
	ssh-keygen -l -E sha256 -f scanned >fps &&
	grep -F " $DUPC_SSHD_HOSTKEY_SHA256 " fps | grep ED25519 &&
	grep -F " $DUPC_SSHD_HOSTKEY_RSA_SHA256 " fps | grep RSA &&
	sort scanned >a && sort "$DUPC_SSHD_KNOWN_HOSTS" >b && test_cmp a b
'

test_expect_success 'ceph: S3 put, get and list; the other user and anonymous refused' '
	"$PY" "$TRASH/s3.py" check $u
'

test_expect_success 'webdav: PUT, PROPFIND and GET over HTTP and HTTPS (CA checked)' '
	head -c 100000 /dev/urandom >blob &&
	for url in "$DUPC_WEBDAV_URL" "$DUPC_WEBDAVS_URL"; do
		c="curl -sS -f -K $TRASH/dav.curl --cacert $DUPC_TEST_CA" &&
		$c -X MKCOL "$url$u-${url%%:*}/" >/dev/null &&
		$c -X MKCOL "$url$u-${url%%:*}/sub/" >/dev/null &&
		$c -T blob "$url$u-${url%%:*}/sub/blob" >/dev/null &&
		$c -X PROPFIND -H "Depth: 1" "$url$u-${url%%:*}/sub/" >props &&
		grep -q "sub/blob</D:href>" props &&
		$c -o got "$url$u-${url%%:*}/sub/blob" &&
		test_cmp blob got || return 1
	done &&
	test_cmp blob "$DUPC_WEBDAV_ROOT/$u-https/sub/blob"
'

test_expect_success 'webdav: no password, a wrong one, an unknown CA: refused' '
	code=$(curl -s -o /dev/null -w "%{http_code}" "$DUPC_WEBDAV_URL") &&
	test "$code" = 401 &&
	printf "user = \"%s:wrong\"\n" "$DUPC_WEBDAV_USER" >bad.curl &&
	code=$(curl -s -K bad.curl -o /dev/null -w "%{http_code}" \
	    "$DUPC_WEBDAV_URL") &&
	test "$code" = 401 &&
	test_expect_code 60 curl -sS -K "$TRASH/dav.curl" "$DUPC_WEBDAVS_URL"
'

test_expect_success 'ftp: upload, list and download over ftp, ftpes and ftps' '
	head -c 100000 /dev/urandom >blob &&
	c="curl -sS -K $TRASH/ftp.curl --cacert $DUPC_TEST_CA" &&
	$c -T blob --ftp-create-dirs \
	    "ftp://$DUPC_FTP_HOST:$DUPC_FTP_PORT/$u/ftp/blob" &&
	$c --ssl-reqd -T blob --ftp-create-dirs \
	    "ftp://$DUPC_FTP_HOST:$DUPC_FTP_PORT/$u/ftpes/blob" &&
	$c -T blob --ftp-create-dirs \
	    "ftps://$DUPC_FTP_HOST:$DUPC_FTPS_PORT/$u/ftps/blob" &&
	$c --list-only "ftps://$DUPC_FTP_HOST:$DUPC_FTPS_PORT/$u/" | sort >out &&
	printf "ftp\nftpes\nftps\n" >expect &&
	test_cmp expect out &&
	for k in ftp ftpes ftps; do
		test_cmp blob "$DUPC_FTP_HOME/$u/$k/blob" || return 1
	done &&
	$c -o got1 "ftp://$DUPC_FTP_HOST:$DUPC_FTP_PORT/$u/ftps/blob" &&
	$c --ssl-reqd -o got2 "ftp://$DUPC_FTP_HOST:$DUPC_FTP_PORT/$u/ftp/blob" &&
	$c -o got3 "ftps://$DUPC_FTP_HOST:$DUPC_FTPS_PORT/$u/ftpes/blob" &&
	test_cmp blob got1 && test_cmp blob got2 && test_cmp blob got3 &&
	grep -q "FTP command: .*\"AUTH \(SSL\|TLS\)\"" "$DUPC_SERVERS_DIR/ftp/ftp.log"
'

# vsftpd 3.0.3 fails about half the uploads over TLS 1.3 (426); the
# server is held to TLS 1.2, and a series of uploads shows it holds.
test_expect_success 'ftp: ten TLS uploads in a row succeed (TLS 1.2)' '
	head -c 300000 /dev/urandom >blob &&
	c="curl -sS -K $TRASH/ftp.curl --cacert $DUPC_TEST_CA" &&
	for i in 1 2 3 4 5; do
		$c --ssl-reqd -T blob \
		    "ftp://$DUPC_FTP_HOST:$DUPC_FTP_PORT/$u/ftpes/b$i" &&
		$c -T blob "ftps://$DUPC_FTP_HOST:$DUPC_FTPS_PORT/$u/ftps/b$i" &&
		test_cmp blob "$DUPC_FTP_HOME/$u/ftpes/b$i" &&
		test_cmp blob "$DUPC_FTP_HOME/$u/ftps/b$i" || return 1
	done &&
	$c -v --list-only "ftps://$DUPC_FTP_HOST:$DUPC_FTPS_PORT/" 2>err >/dev/null &&
	grep "SSL connection using TLSv1.2" err
'

test_expect_success 'ftp: a wrong password, an unknown CA: refused' '
	printf "user = \"%s:wrong\"\n" "$DUPC_FTP_USER" >bad.curl &&
	test_expect_code 67 curl -sS -K bad.curl \
	    "ftp://$DUPC_FTP_HOST:$DUPC_FTP_PORT/" &&
	test_expect_code 60 curl -sS -K "$TRASH/ftp.curl" --ssl-reqd \
	    "ftp://$DUPC_FTP_HOST:$DUPC_FTP_PORT/"
'

test_expect_success 'rclone: lsjson on the local and the sftp remote' '
	echo remote >r &&
	rclone copyto r "$DUPC_RCLONE_LOCAL_REMOTE:$u/r" &&
	rclone copyto r "$DUPC_RCLONE_SFTP_REMOTE:$u/rc/r" &&
	rclone lsjson "$DUPC_RCLONE_LOCAL_REMOTE:$u" >l1 &&
	rclone lsjson "$DUPC_RCLONE_SFTP_REMOTE:$u/rc" >l2 &&
	grep -q "\"Path\":\"r\",\"Name\":\"r\",\"Size\":7" l1 &&
	grep -q "\"Path\":\"r\",\"Name\":\"r\",\"Size\":7" l2 &&
	test_cmp r "$DUPC_RCLONE_LOCAL_DIR/$u/r" &&
	test_cmp r "$DUPC_RCLONE_SFTP_DIR/$u/rc/r" &&
	rclone --config "$DUPC_RCLONE_CONFIG" lsf "$DUPC_RCLONE_SFTP_REMOTE:$u/rc" >l3 &&
	echo r >expect && test_cmp expect l3
'

# --- stopping, and restart-rgw, on servers of this script's own ----------

own=$TRASH/own
test_expect_success 'own servers: start; restart-rgw keeps the data' '
	start_servers "$own" sshd ceph webdav ftp &&
	head -c 300000 /dev/urandom >obj &&
	(
		. "$own/ceph/env" &&
		"$PY" "$TRASH/s3.py" put "$DUPC_RGW_ENDPOINT" keep k obj &&
		"$SERVERS/ceph" restart-rgw "$own/ceph" &&
		"$PY" "$TRASH/s3.py" get "$DUPC_RGW_ENDPOINT" keep k obj2
	) &&
	test_cmp obj obj2 &&
	"$SERVERS/ceph" status "$own/ceph"
'

# ns_procs FILE: "pid state comm" of every process in the mount
# namespaces listed in FILE, zombies excepted.
ns_procs() {
	local pid
	stat -c %N /proc/[0-9]*/ns/mnt 2>/dev/null | grep -F -f "$1" |
		sed "s#^.*/proc/\([0-9]*\)/ns/mnt.*#\1#" |
		while read -r pid; do
			sed -n "s/^[0-9]* (\(.*\)) \([A-Z]\) .*/$pid \2 \1/p" \
			    "/proc/$pid/stat" 2>/dev/null
		done | grep -v "^[0-9]* Z "
	return 0
}

test_expect_success 'own servers: they listen on 127.0.0.1 only' '
	cat "$own"/*/*.mntns >namespaces &&
	test_line_count namespaces = 4 &&
	{ cut -d" " -f1 "$own"/ceph/*.pid && ns_procs namespaces | cut -d" " -f1; } |
		sort -u >pids &&
	ss -Hltunp >socks &&
	while read -r pid; do
		grep "pid=$pid," socks || :
	done <pids >ours &&
	for c in sshd ceph-mon ceph-osd radosgw apache2 vsftpd; do
		grep -q "((\"$c\"," ours || return 1
	done &&
	{ awk "{ print \$5 }" ours | grep -v "^127\.0\.0\.1:" || :; } >bad &&
	test_line_count bad = 0
'

test_expect_success 'own servers: stop stops them all, sessions included' '
	sed -n "s/^DUPC_[A-Z]*_PORT=.\([0-9]*\).$/\1/p" "$own"/*/env >ports &&
	test_line_count ports = 6 &&
	(
		. "$own/sshd/env" &&
		exec setsid ssh -F /dev/null -p "$DUPC_SSHD_PORT" \
		    -o UserKnownHostsFile="$DUPC_SSHD_KNOWN_HOSTS" \
		    -o BatchMode=yes -i "$DUPC_SSHD_KEY" \
		    "$DUPC_SSHD_USER@$DUPC_SSHD_HOST" "sleep 600"
	) </dev/null >/dev/null 2>&1 &
	client=$! &&
	for i in $(seq 1 100); do
		ns_procs namespaces >procs
		grep -q " S sleep$" procs && break
		sleep 0.1
	done &&
	grep " sleep$" procs &&
	grep " vsftpd$" procs && grep " apache2$" procs &&
	stop_servers "$own" &&
	for p in $(cat ports); do
		test_must_fail bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" ||
			return 1
	done &&
	ns_procs namespaces >left &&
	test_line_count left = 0 &&
	ps -eo stat=,args= >all &&
	{ grep -v "^Z" all | grep -F "$own/" || true; } >left &&
	test_line_count left = 0 &&
	{ wait $client || true; } &&
	test_must_fail "$SERVERS/sshd" status "$own/sshd" &&
	test_must_fail "$SERVERS/ceph" status "$own/ceph" &&
	test_path_is_missing "$own/ceph/env"
'

# --- duplicity 0.8.22 through every server ----------------------------------

mkdir -p src/sub
head -c 300000 /dev/urandom >src/big
echo small >src/sub/small
ln -s big src/link

# dup_cycle URL [OPTION...]: duplicity backs src up to URL and restores
# it, without retries (a retry would hide a failure, and costs 30 s).
dup_cycle() {
	local url=$1
	shift
	rm -rf restored &&
	duplicity full --no-encryption -v2 --num-retries 1 "$@" src "$url" &&
	duplicity restore --no-encryption -v2 --num-retries 1 "$@" "$url" \
	    restored &&
	diff -r src restored
}

test_expect_success DUPLICITY 'duplicity: paramiko+sftp:// (key)' '
	dup_cycle "paramiko+sftp://$DUPC_SSHD_USER@$DUPC_SSHD_HOST:$DUPC_SSHD_PORT/$u/dup" \
	    --ssh-options="-oIdentityFile=$DUPC_SSHD_KEY -oUserKnownHostsFile=$DUPC_SSHD_KNOWN_HOSTS" &&
	ls "$DUPC_SSHD_HOME/$u/dup" | grep -q "^duplicity-full\..*\.manifest$"
'

test_expect_success DUPLICITY 'duplicity: boto3+s3:// on radosgw' '
	"$PY" "$TRASH/s3.py" mkbucket $u-dup &&
	AWS_ACCESS_KEY_ID=$DUPC_RGW_ACCESS_KEY \
	AWS_SECRET_ACCESS_KEY=$DUPC_RGW_SECRET_KEY \
	    dup_cycle "boto3+s3://$u-dup/some/prefix" \
	    --s3-endpoint-url "$DUPC_RGW_ENDPOINT" \
	    --s3-region-name "$DUPC_RGW_REGION"
'

test_expect_success DUPLICITY 'duplicity: webdav:// and webdavs://' '
	FTP_PASSWORD=$DUPC_WEBDAV_PASSWORD dup_cycle \
	    "webdav://$DUPC_WEBDAV_USER@$DUPC_WEBDAV_HOST:$DUPC_WEBDAV_PORT/dav/$u/dup" &&
	FTP_PASSWORD=$DUPC_WEBDAV_PASSWORD dup_cycle \
	    "webdavs://$DUPC_WEBDAV_USER@$DUPC_WEBDAV_HOST:$DUPC_WEBDAVS_PORT/dav/$u/dups" \
	    --ssl-cacert-file "$DUPC_TEST_CA" &&
	ls "$DUPC_WEBDAV_ROOT/$u/dups" | grep -q "^duplicity-full\..*\.manifest$"
'

# duplicity's lftp backend runs "mkdir -p DIR/" when its first listing
# finds no DIR: lftp sends MKD DIR, then MKD DIR/, which vsftpd refuses
# (the directory exists), so the listing fails and duplicity retries 30 s
# later.  The target directories are made first, as a user would.
test_expect_success DUPLICITY 'duplicity: lftp+ftp://, ftpes:// and ftps://' '
	for d in dup dupes dups; do
		curl -sS -K "$TRASH/ftp.curl" -Q "MKD $u/$d" \
		    "ftp://$DUPC_FTP_HOST:$DUPC_FTP_PORT/" >/dev/null || return 1
	done &&
	FTP_PASSWORD=$DUPC_FTP_PASSWORD dup_cycle \
	    "lftp+ftp://$DUPC_FTP_USER@$DUPC_FTP_HOST:$DUPC_FTP_PORT/$u/dup" &&
	FTP_PASSWORD=$DUPC_FTP_PASSWORD dup_cycle \
	    "ftpes://$DUPC_FTP_USER@$DUPC_FTP_HOST:$DUPC_FTP_PORT/$u/dupes" \
	    --ssl-cacert-file "$DUPC_TEST_CA" &&
	FTP_PASSWORD=$DUPC_FTP_PASSWORD dup_cycle \
	    "ftps://$DUPC_FTP_USER@$DUPC_FTP_HOST:$DUPC_FTPS_PORT/$u/dups" \
	    --ssl-cacert-file "$DUPC_TEST_CA" &&
	ls "$DUPC_FTP_HOME/$u/dupes" | grep -q "^duplicity-full\..*\.manifest$"
'

test_expect_success DUPLICITY 'duplicity: rclone:// on both remotes' '
	dup_cycle "rclone://$DUPC_RCLONE_LOCAL_REMOTE:$u/dup" &&
	dup_cycle "rclone://$DUPC_RCLONE_SFTP_REMOTE:$u/dupr" &&
	ls "$DUPC_RCLONE_LOCAL_DIR/$u/dup" | grep -q "^duplicity-full\..*\.manifest$" &&
	ls "$DUPC_RCLONE_SFTP_DIR/$u/dupr" | grep -q "^duplicity-full\..*\.manifest$"
'

test_done
