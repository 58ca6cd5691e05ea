/*
 * What the header of a private key file says, before the SSH library is
 * asked to load it: whether it needs a passphrase (so dupc asks for one
 * only when it must) and the key's type (so RSA keys, which libssh2 1.10
 * can sign only with SHA-1, are tried last and named in the error).  The
 * key material itself is never decoded here: only OpenSSH's clear header
 * (magic, cipher, KDF, the public key) or PEM's armour lines.
 */
#include "backend/sftp/sftp_parse.h"

#include <stdint.h>
#include <string.h>

/* Decoded header bytes looked at; the public key comes early. */
#define HEADER_MAX 2048

static const char openssh_begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
static const char openssh_magic[] = "openssh-key-v1";

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Base64 from ${p} (${n} bytes, blanks skipped, stopping at '=' or '-')
 * into ${out}; the number of bytes decoded (at most ${cap}). */
static size_t
b64_decode(const char *p, size_t n, unsigned char *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, o = 0;
	int v;

	for (i = 0; i < n && o < cap; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
			continue;
		v = b64_value(c);
		if (v < 0)
			break;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

/* A cursor over decoded bytes. */
struct rd {
	const unsigned char *p;
	size_t n;
};

static int
rd_u32(struct rd *r, uint32_t *v)
{
	if (r->n < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	     (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->n -= 4;
	return 0;
}

/* An SSH string: its bytes at *${s}, its length in *${len}. */
static int
rd_str(struct rd *r, const unsigned char **s, uint32_t *len)
{
	if (rd_u32(r, len) < 0 || *len > r->n)
		return -1;
	*s = r->p;
	r->p += *len;
	r->n -= *len;
	return 0;
}

static void
set_type(struct sftp_keyinfo *ki, const unsigned char *s, uint32_t len)
{
	uint32_t i;

	if (len == 0 || len >= sizeof(ki->type))
		return;
	for (i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return;
	memcpy(ki->type, s, len);
	ki->type[len] = '\0';
}

/* openssh-key-v1: magic, cipher, KDF, KDF options, key count, then the
 * first public key, whose first string is its type. */
static void
probe_openssh(const char *body, size_t n, struct sftp_keyinfo *ki)
{
	unsigned char buf[HEADER_MAX];
	struct rd r;
	const unsigned char *s;
	uint32_t len, count, pklen;

	r.p = buf;
	r.n = b64_decode(body, n, buf, sizeof(buf));
	if (r.n < sizeof(openssh_magic) ||
	    memcmp(buf, openssh_magic, sizeof(openssh_magic)) != 0)
		return;
	r.p += sizeof(openssh_magic);
	r.n -= sizeof(openssh_magic);
	if (rd_str(&r, &s, &len) < 0)
		return;
	ki->known = true;
	ki->encrypted = !(len == 4 && memcmp(s, "none", 4) == 0);
	if (rd_str(&r, &s, &len) < 0 || rd_str(&r, &s, &len) < 0 ||
	    rd_u32(&r, &count) < 0 || count == 0 || rd_u32(&r, &pklen) < 0)
		return;
	/* the public key's first string is its type; the rest of it may
	 * lie beyond what was decoded */
	if (pklen < r.n)
		r.n = pklen;
	if (rd_str(&r, &s, &len) == 0)
		set_type(ki, s, len);
}

/* The first occurrence of ${needle} in the ${n} bytes at ${hay}. */
static const char *
find(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; k <= n && i <= n - k; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return hay + i;
	return NULL;
}

void
sftp_key_probe(const char *text, size_t n, struct sftp_keyinfo *ki)
{
	static const struct {
		const char *armour, *type;
		bool encrypted;
	} pem[] = {
		{ "-----BEGIN RSA PRIVATE KEY-----", "ssh-rsa", false },
		{ "-----BEGIN DSA PRIVATE KEY-----", "ssh-dss", false },
		{ "-----BEGIN EC PRIVATE KEY-----", "ecdsa", false },
		{ "-----BEGIN ENCRYPTED PRIVATE KEY-----", "", true },
		{ "-----BEGIN PRIVATE KEY-----", "", false },
	};
	const char *p;
	size_t i;

	memset(ki, 0, sizeof(*ki));
	p = find(text, n, openssh_begin);
	if (p != NULL) {
		p += sizeof(openssh_begin) - 1;
		probe_openssh(p, n - (size_t)(p - text), ki);
		return;
	}
	for (i = 0; i < sizeof(pem) / sizeof(pem[0]); i++) {
		if (find(text, n, pem[i].armour) == NULL)
			continue;
		ki->known = true;
		snprintf(ki->type, sizeof(ki->type), "%s", pem[i].type);
		ki->encrypted = pem[i].encrypted ||
				find(text, n, "Proc-Type: 4,ENCRYPTED") != NULL;
		return;
	}
}
