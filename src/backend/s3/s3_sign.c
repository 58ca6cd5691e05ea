/*
 * AWS Signature Version 4 for S3 requests, with libcrypto's SHA-256 and
 * HMAC (util/digest).  libcurl 7.88 has a SigV4 signer, but it cannot
 * sign what S3 needs: it sorts the signed headers by "name:value" line
 * rather than by name, so x-amz-server-side-encryption and
 * x-amz-server-side-encryption-aws-kms-key-id (SSE-KMS) come out in the
 * wrong order and the server refuses the signature; it signs no
 * x-amz-content-sha256; and it signs the query string as it is sent.
 * Here every header dupc sends (but those libcurl adds itself: Accept,
 * User-Agent, Content-Length, Range) is signed, in the canonical order.
 *
 * The payload is always UNSIGNED-PAYLOAD: bodies are streamed from the
 * volume, and their integrity is what Content-MD5 gives the server to
 * check.  The derived signing key is computed for each request (four
 * HMACs); the secret's copies are wiped.
 */
#define _DEFAULT_SOURCE
#include "backend/s3/s3_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/secret.h"

#define SIGN_MAX (64u << 10) /* longest canonical request */

/* One header: its name lower-cased and its value trimmed. */
struct hdr {
	char name[64];
	const char *value;
	size_t vlen;
};

static int
cmp_hdr(const void *a, const void *b)
{
	return strcmp(((const struct hdr *)a)->name,
	    ((const struct hdr *)b)->name);
}

/* Split "Name: value" into ${h}; -1 when it is not a header line. */
static int
split_header(const char *line, struct hdr *h)
{
	const char *colon = strchr(line, ':');
	const char *v, *e;
	size_t n, i;

	if (colon == NULL || colon == line)
		return -1;
	n = (size_t)(colon - line);
	if (n >= sizeof(h->name))
		return -1;
	for (i = 0; i < n; i++)
		h->name[i] = (char)tolower((unsigned char)line[i]);
	h->name[n] = '\0';
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	e = v + strlen(v);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	h->value = v;
	h->vlen = (size_t)(e - v);
	return 0;
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char xd[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = xd[p[i] >> 4];
		out[2 * i + 1] = xd[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The signing key of ${date} (YYYYMMDD), region and service "s3". */
static int
signing_key(const char *secret, const char *date, const char *region,
    unsigned char *key)
{
	size_t n = strlen(secret) + 5;
	char *k = malloc(n);
	unsigned char a[DIGEST_HMAC_LEN], b[DIGEST_HMAC_LEN];
	int rc = -1;

	if (k == NULL)
		return -1;
	snprintf(k, n, "AWS4%s", secret);
	if (digest_hmac_sha256(k, n - 1, date, strlen(date), a) == 0 &&
	    digest_hmac_sha256(a, sizeof(a), region, strlen(region), b) == 0 &&
	    digest_hmac_sha256(b, sizeof(b), "s3", 2, a) == 0 &&
	    digest_hmac_sha256(a, sizeof(a), "aws4_request", 12, key) == 0)
		rc = 0;
	secret_wipe(k, n);
	secret_wipe(a, sizeof(a));
	secret_wipe(b, sizeof(b));
	free(k);
	return rc;
}

int
s3_sign(const struct s3_sign_in *in, char *auth, size_t size,
    struct dupc_err *err)
{
	struct hdr h[S3_SIGN_HEADERS];
	struct buf creq, signed_names;
	char date[9], scope[128], creq_hash[DIGEST_HEX_MAX], sig[65];
	unsigned char key[DIGEST_HMAC_LEN], mac[DIGEST_HMAC_LEN];
	struct buf sts;
	size_t n = 0, i;
	int rc = -1;

	buf_init(&creq, SIGN_MAX);
	buf_init(&signed_names, 4096);
	buf_init(&sts, 1024);
	for (i = 0; in->headers[i] != NULL; i++) {
		if (n == S3_SIGN_HEADERS ||
		    split_header(in->headers[i], &h[n]) < 0) {
			err_set(err, E_GENERIC, "cannot sign header '%.40s'",
			    in->headers[i]);
			goto out;
		}
		n++;
	}
	qsort(h, n, sizeof(h[0]), cmp_hdr);
	if (buf_addf(&creq, "%s\n%s\n%s\n", in->method,
		in->uri[0] ? in->uri : "/", in->query ? in->query : "") < 0)
		goto toolong;
	for (i = 0; i < n; i++) {
		if (buf_addf(&creq, "%s:%.*s\n", h[i].name, (int)h[i].vlen,
			h[i].value) < 0 ||
		    buf_addf(&signed_names, "%s%s", i ? ";" : "", h[i].name) <
			0)
			goto toolong;
	}
	if (buf_addf(&creq, "\n%s\n%s", buf_str(&signed_names),
		in->payload_hash) < 0)
		goto toolong;
	if (digest_hex(DIGEST_SHA256, creq.data, creq.len, creq_hash) < 0)
		goto crypto;
	snprintf(date, sizeof(date), "%.8s", in->amzdate);
	snprintf(scope, sizeof(scope), "%s/%s/s3/aws4_request", date,
	    in->region);
	if (buf_addf(&sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", in->amzdate, scope,
		creq_hash) < 0)
		goto toolong;
	if (signing_key(in->secret, date, in->region, key) < 0 ||
	    digest_hmac_sha256(key, sizeof(key), sts.data, sts.len, mac) < 0)
		goto crypto;
	hex(mac, sizeof(mac), sig);
	if (snprintf(auth, size,
		"AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		in->access_key, scope, buf_str(&signed_names),
		sig) >= (int)size)
		goto toolong;
	rc = 0;
	goto out;
toolong:
	err_set(err, E_GENERIC, "request too large to sign");
	goto out;
crypto:
	err_set(err, E_GENERIC, "libcrypto cannot sign the request");
out:
	secret_wipe(key, sizeof(key));
	buf_release(&creq);
	buf_release(&signed_names);
	buf_release(&sts);
	return rc;
}
