#!/usr/bin/env bash
# ftp://, ftpes:// (explicit TLS), ftps:// (implicit TLS) and their lftp+
# spellings on the real vsftpd of tests/servers/ftp: the backup cycle,
# encrypted and not; interop with duplicity 0.8.22's lftp backend (lftp
# itself does the transfers), mixed chains included; a private CA and
# wrong credentials in one line; --ftp-regular honoured (the server takes
# no PORT, so it fails, naming the option).
#
# needs-server: ftp
. "$(dirname "$0")/lib.sh"
. "$TEST_TOP/tests/e2e/lib-interop.sh"
need_server ftp

hp=$DUPC_FTP_HOST:$DUPC_FTP_PORT
hps=$DUPC_FTP_HOST:$DUPC_FTPS_PORT
user=$DUPC_FTP_USER
u=t8120-$$
export FTP_PASSWORD=$DUPC_FTP_PASSWORD
CA=(--ssl-cacert-file "$DUPC_TEST_CA")

test_expect_success 'ftp://, unencrypted, several volumes' '
	backend_cycle "ftp://$user@$hp/$u/plain" --no-encryption --volsize 1
'

test_expect_success 'ftpes:// with the private CA, encrypted' '
	PASSPHRASE=cycle backend_cycle "ftpes://$user@$hp/$u/ftpes" "${CA[@]}"
'

test_expect_success 'ftps:// (implicit TLS), unencrypted' '
	backend_cycle "ftps://$user@$hps/$u/ftps" --no-encryption "${CA[@]}"
'

test_expect_success 'lftp+ftpes:// is explicit TLS too (duplicity 0.8.22 cannot)' '
	backend_cycle "lftp+ftpes://$user@$hp/$u/lftpes" --no-encryption "${CA[@]}" &&
	grep -q "AUTH TLS\|AUTH SSL" "$(dirname "$DUPC_FTP_HOME")/ftp.log"
'

test_expect_success 'an absolute path (two slashes) is absolute' '
	backend_cycle "ftp://$user@$hp/$DUPC_FTP_HOME/$u/abs" --no-encryption &&
	ls "$DUPC_FTP_HOME/$u/abs" | grep -q manifest
'

test_expect_success 'uploads land under their names only: no temporary left' '
	test $(ls -A "$DUPC_FTP_HOME/$u/plain" | grep -c "^\.") = 0
'

test_expect_success 'an unknown CA: one line naming --ssl-cacert-file, exit 38' '
	mkdir -p src && echo x >src/x &&
	test_expect_code 38 "$DUPC" --no-encryption \
		src "ftpes://$user@$hp/$u/ca" >out 2>err &&
	test_line_count err = 1 &&
	grep -q -- "--ssl-cacert-file" err
'

test_expect_success 'wrong credentials: one line, exit 51, no password shown' '
	FTP_PASSWORD=wrong-password test_expect_code 51 "$DUPC" --no-encryption \
		src "ftp://$user@$hp/$u/cred" >out 2>err &&
	test_line_count err = 1 &&
	grep -q FTP_PASSWORD err &&
	! grep -q wrong-password err
'

test_expect_success '--ftp-regular is honoured: active mode, refused here' '
	test_expect_code 38 "$DUPC" --no-encryption --ftp-regular \
		src "ftp://$user@$hp/$u/active" >out 2>err &&
	test_line_count err = 1 &&
	grep -q -- "--ftp-regular" err &&
	"$DUPC" --no-encryption --ftp-regular --ftp-passive \
		src "ftp://$user@$hp/$u/active" >out
'

test_have_prereq UNSANITIZED || {
	test_done
	exit 0
}

test_expect_success DUPLICITY 'duplicity (lftp) full, dupc incremental, duplicity incremental (ftp://)' '
	interop_cycle duplicity "ftp://$user@$hp/$u/mixed1" --no-encryption
'

test_expect_success DUPLICITY 'dupc full, duplicity (lftp) incremental, dupc incremental (ftpes://, encrypted)' '
	PASSPHRASE=mixed interop_cycle dupc "ftpes://$user@$hp/$u/mixed2" "${CA[@]}"
'

test_expect_success DUPLICITY 'duplicity (lftp) and dupc take turns over ftps://' '
	interop_cycle duplicity "ftps://$user@$hps/$u/mixed3" --no-encryption "${CA[@]}"
'

test_done
