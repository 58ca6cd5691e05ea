/*
 * The test-server helper (bt_server.h) against the real servers:
 * bt_server_env() gives the ports tests/servers published, and each
 * server answers there with its own protocol's greeting.
 *
 * needs-server: sshd ftp webdav
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bt_server.h"
#include "unit.h"

/* port_of(server, key): the port in the env file, or fail the test. */
static int
port_of(const char *server, const char *key)
{
	const char *v = bt_server_env(server, key);
	char *end;
	long p;

	if (v == NULL)
		fail_msg("%s has no %s", server, key);
	p = strtol(v, &end, 10);
	if (*end != '\0' || p <= 0 || p > 65535)
		fail_msg("%s: %s='%s' is not a port", server, key, v);
	return (int)p;
}

/*
 * greeting(port, send, buf, n): connect to 127.0.0.1:port, send ${send}
 * (may be NULL) and read what the server says first into ${buf}.
 */
static void
greeting(int port, const char *send, char *buf, size_t n)
{
	struct sockaddr_in sa;
	struct pollfd p;
	ssize_t r;
	size_t got = 0;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		fail_msg("nothing listens on 127.0.0.1:%d", port);
	if (send != NULL)
		assert_int_equal(write(fd, send, strlen(send)),
		    (ssize_t)strlen(send));
	p.fd = fd;
	p.events = POLLIN;
	while (got + 1 < n && memchr(buf, '\n', got) == NULL) {
		if (poll(&p, 1, 10000) != 1)
			break;
		r = read(fd, buf + got, n - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	close(fd);
}

static void
test_sshd_banner(void **state)
{
	char buf[256];

	(void)state;
	greeting(port_of("sshd", "DUPC_SSHD_PORT"), NULL, buf, sizeof(buf));
	assert_true(strncmp(buf, "SSH-2.0-OpenSSH", 15) == 0);
	assert_string_equal(bt_server_env("sshd", "DUPC_SSHD_USER"),
	    "dupctest");
}

static void
test_ftp_banners(void **state)
{
	char buf[256];

	(void)state;
	greeting(port_of("ftp", "DUPC_FTP_PORT"), NULL, buf, sizeof(buf));
	assert_true(strncmp(buf, "220 ", 4) == 0);
	/* the implicit-TLS port speaks TLS first: no plain greeting */
	greeting(port_of("ftp", "DUPC_FTPS_PORT"), "QUIT\r\n", buf,
	    sizeof(buf));
	assert_true(strncmp(buf, "220 ", 4) != 0);
}

static void
test_webdav_http(void **state)
{
	char buf[256];

	(void)state;
	greeting(port_of("webdav", "DUPC_WEBDAV_PORT"),
	    "OPTIONS /dav/ HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	/* Basic authentication is required */
	assert_true(strncmp(buf, "HTTP/1.1 401 ", 13) == 0);
}

static void
test_env_lookup(void **state)
{
	const char *url;

	(void)state;
	assert_null(bt_server_env("sshd", "DUPC_NO_SUCH_KEY"));
	assert_null(bt_server_env("sshd", "DUPC_SSHD"));
	assert_null(bt_server_env("no-such-server", "DUPC_SSHD_PORT"));
	url = bt_server_env("webdav", "DUPC_WEBDAVS_URL");
	assert_non_null(url);
	assert_true(strncmp(url, "https://127.0.0.1:", 18) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sshd_banner),
		cmocka_unit_test(test_ftp_banners),
		cmocka_unit_test(test_webdav_http),
		cmocka_unit_test(test_env_lookup),
	};

	unit_init();
	if (bt_server_need("sshd") != 0 || bt_server_need("ftp") != 0 ||
	    bt_server_need("webdav") != 0)
		return 1;
	return cmocka_run_group_tests_name("servers", tests, NULL, NULL);
}
