#!/usr/bin/env bash
# webdav:// and webdavs:// (and duplicity's http://, https:// spellings)
# on the real Apache mod_dav of tests/servers/webdav: the backup cycle
# encrypted and not, in several volumes; interop with duplicity 0.8.22's
# own webdav backend, mixed chains included; Digest authentication and
# redirects; a private CA refused in one line naming --ssl-cacert-file and
# accepted with it; wrong credentials in one line with duplicity's exit
# code.
#
# needs-server: webdav
. "$(dirname "$0")/lib.sh"
. "$TEST_TOP/tests/e2e/lib-interop.sh"
need_server webdav

hp=$DUPC_WEBDAV_HOST:$DUPC_WEBDAV_PORT
hps=$DUPC_WEBDAV_HOST:$DUPC_WEBDAVS_PORT
u=t8110-$$
export FTP_PASSWORD=$DUPC_WEBDAV_PASSWORD
CA=(--ssl-cacert-file "$DUPC_TEST_CA")

test_expect_success 'webdav://, unencrypted, several volumes' '
	backend_cycle "webdav://dupc@$hp/dav/$u/plain" --no-encryption --volsize 1
'

test_expect_success 'webdavs:// with the private CA, encrypted' '
	PASSPHRASE=cycle backend_cycle "webdavs://dupc@$hps/dav/$u/enc" "${CA[@]}"
'

test_expect_success 'https:// as duplicity spells it, password in the URL' '
	(
		unset FTP_PASSWORD &&
		backend_cycle "https://dupc:$DUPC_WEBDAV_PASSWORD@$hps/dav/$u/https" \
			--no-encryption "${CA[@]}"
	)
'

# the server's access log: "HOST USER [TIME] \"REQUEST\" STATUS BYTES USEC"
alog=$(dirname "$DUPC_WEBDAV_ROOT")/access.log

test_expect_success 'Digest authentication (a folder that takes no Basic)' '
	backend_cycle "webdav://dupc@$hp/dav/digest/$u" --no-encryption &&
	ls "$DUPC_WEBDAV_ROOT/digest/$u" | grep -q "\.manifest$" &&
	grep -q "^[^ ]* dupc .*\"PUT /dav/digest/$u/[^ ]* HTTP/1.1\" 201 " "$alog"
'

test_expect_success 'redirects followed: /moved/... answers 307 to /dav/...' '
	backend_cycle "webdav://dupc@$hp/moved/$u/redir" --no-encryption &&
	ls "$DUPC_WEBDAV_ROOT/$u/redir" | grep -q "\.manifest$" &&
	grep -q "\"PUT /moved/$u/redir/[^ ]* HTTP/1.1\" 307 " "$alog" &&
	grep -q "\"PROPFIND /moved/$u/redir/ HTTP/1.1\" 307 " "$alog"
'

test_expect_success 'uploads land under their names only: no temporary left' '
	ls "$DUPC_WEBDAV_ROOT/$u/plain" >names &&
	! grep -q "^\.dupc-part" names &&
	test $(ls -A "$DUPC_WEBDAV_ROOT/$u/plain" | grep -c "^\.") = 0
'

test_expect_success 'an unknown CA: one line naming --ssl-cacert-file, exit 38' '
	mkdir -p src && echo x >src/x &&
	test_expect_code 38 "$DUPC" --no-encryption --num-retries 5 \
		src "webdavs://dupc@$hps/dav/$u/ca" >out 2>err &&
	test_line_count err = 1 &&
	grep -q -- "--ssl-cacert-file" err &&
	! grep -q "Giving up" err
'

test_expect_success 'wrong credentials: one line, exit 51, no password shown' '
	FTP_PASSWORD=wrong-password test_expect_code 51 "$DUPC" --no-encryption \
		src "webdav://dupc@$hp/dav/$u/cred" >out 2>err &&
	test_line_count err = 1 &&
	grep -q "401" err && grep -q FTP_PASSWORD err &&
	! grep -q wrong-password err
'

test_have_prereq UNSANITIZED || {
	test_done
	exit 0
}

test_expect_success DUPLICITY 'duplicity full, dupc incremental, duplicity incremental (webdav://)' '
	interop_cycle duplicity "webdav://dupc@$hp/dav/$u/mixed1" --no-encryption
'

test_expect_success DUPLICITY 'dupc full, duplicity incremental, dupc incremental (webdavs://, encrypted)' '
	PASSPHRASE=mixed interop_cycle dupc "webdavs://dupc@$hps/dav/$u/mixed2" "${CA[@]}"
'

test_done
