/*
 * Fuzz target: what the sftp:// backend reads from files and strings the
 * user (or whoever wrote them) controls before it connects: ssh_config
 * files (backend/sftp/sftp_config.c), --ssh-options words and % tokens
 * (sftp_opts.c), private key headers (sftp_key.c) and the URL's host part.
 *
 * Input: one option byte selects the reader (low two bits: 0 config,
 * 1 --ssh-options, 2 key header, 3 host part; bit 2: the config is the
 * system's), then the text.
 *
 * Properties: a config read for a host yields only what it can hold (a
 * port from 1 to 65535, at most 16 identity files); a host part splits
 * into a host without brackets and a valid port; a key type is printable.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "backend/sftp/sftp_parse.h"
#include "util/err.h"

static void
config(const uint8_t *data, size_t size, bool sys)
{
	static const struct sftp_cfgctx ctx = { "/nonexistent-home",
		"/nonexistent-etc", true };
	struct sftp_tokens t = { "/home/u", "me", "h.example.com", "bob", 22 };
	struct sftp_hostcfg c;
	struct dupc_err err;
	FILE *f;
	char *out;
	size_t i;

	if (size == 0)
		return;
	f = fmemopen((void *)(uintptr_t)data, size, "r");
	if (f == NULL)
		return;
	memset(&c, 0, sizeof(c));
	if (sftp_config_parse(f, "fuzz", "h.example.com", sys, &ctx, &c,
		&err) == 0) {
		FUZZ_ASSERT(c.port >= 0 && c.port <= 65535);
		FUZZ_ASSERT(c.identity.n <= SFTP_FILES_MAX);
		for (i = 0; i < c.identity.n; i++)
			if (sftp_expand(c.identity.v[i], &t, true, &out,
				&err) == 0)
				free(out);
		if (c.hostname != NULL &&
		    sftp_expand(c.hostname, &t, false, &out, &err) == 0)
			free(out);
	}
	sftp_hostcfg_release(&c);
	fclose(f);
}

static void
sshopts(const char *text)
{
	struct sftp_sshopts o;
	struct dupc_err err;

	sftp_sshopts_init(&o);
	if (sftp_sshopts_parse(&o, text, &err) == 0) {
		FUZZ_ASSERT(o.port >= 0 && o.port <= 65535);
		FUZZ_ASSERT(o.identity.n <= SFTP_FILES_MAX);
		FUZZ_ASSERT(o.ignored == NULL || strlen(o.ignored) <= 400);
	}
	sftp_sshopts_release(&o);
}

static void
key(const uint8_t *data, size_t size)
{
	struct sftp_keyinfo ki;
	size_t i;

	sftp_key_probe((const char *)data, size, &ki);
	for (i = 0; ki.type[i] != '\0'; i++)
		FUZZ_ASSERT(ki.type[i] > 0x20 && ki.type[i] < 0x7f);
}

static void
host(const char *text)
{
	struct dupc_err err;
	char *h = NULL;
	int port = -1;

	if (sftp_split_host(text, &h, &port, &err) == 0) {
		FUZZ_ASSERT(h != NULL && *h != '\0');
		FUZZ_ASSERT(strchr(h, ']') == NULL);
		FUZZ_ASSERT(port >= 0 && port <= 65535);
		free(h);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned opt = fuzz_take(&data, &size);
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	switch (opt & 3) {
	case 0:
		config(data, size, (opt & 4) != 0);
		break;
	case 1:
		sshopts(text);
		break;
	case 2:
		key(data, size);
		break;
	default:
		host(text);
		break;
	}
	free(text);
	return 0;
}
