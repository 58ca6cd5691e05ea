/*
 * Reading a message pgp_seal.c wrote (pgp_open.h).
 *
 * Three layers, each pulled by the one above when it runs dry:
 *
 *   the SEIPD body    chunks of partial lengths read from head[] and then
 *                     the inner source, decrypted (AES-256 CFB); the last
 *                     22 plaintext bytes are held back, since at the end
 *                     they are the MDC packet; the first 18 are the
 *                     prefix, whose repeated bytes check the key;
 *   the compressed    its 2-byte header (old format, indeterminate
 *   packet            length, ZIP), then raw DEFLATE through zlib;
 *   the literal       tag, new-format lengths (partial, then definite),
 *   packet            its header (format, name, date), then the data.
 *
 * Only what pgp_seal.c and pgp.c write is accepted; anything else is
 * reported as damage.  The SHA-1 covers the prefix and every plaintext
 * byte up to the MDC packet's own two header bytes.
 */
#include "codec/pgp_open.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <zlib.h>

#include "codec/pgp.h"
#include "codec/pgp_seal.h"
#include "util/err.h"
#include "util/stream.h"

#define SKESK_LEN 48 /* the whole session key packet */
#define KEYLEN 32
#define PREFIX_LEN 18
#define MDC_LEN 22
#define BUF (64u << 10)

bool
pgp_open_matches(const unsigned char *h, size_t n)
{
	/* new-format tag 3, length 46, version 4, AES-256, S2K 3, SHA-256 */
	static const unsigned char skesk[6] = { 0xC3, 46, 4, 9, 3, 8 };

	return n > SKESK_LEN && memcmp(h, skesk, sizeof(skesk)) == 0 &&
	       h[14] == 0xFF && h[SKESK_LEN] == 0xD2;
}

enum lit_state { L_TAG, L_LEN, L_HDR, L_DATA, L_END };

struct open_src {
	struct source base;
	struct source *inner;
	char what[256];
	char *pass; /* secure memory, until the key is got */
	bool started, failed, eof;
	/* raw bytes: the rest of head[], then the inner source */
	unsigned char *head;
	size_t nhead, hoff;
	/* the SEIPD body */
	uint64_t chunk; /* bytes left in the current chunk */
	bool last_chunk, body_done;
	gcry_cipher_hd_t cipher;
	gcry_md_hd_t md;
	unsigned char prefix[PREFIX_LEN];
	size_t nprefix;
	unsigned char tail[MDC_LEN]; /* held back: maybe the MDC packet */
	size_t ntail;
	unsigned char cbuf[MDC_LEN + BUF]; /* room for the tail before */
	/* released plaintext: the compressed packet */
	const unsigned char *pend;
	size_t npend;
	int zhdr; /* bytes of its header seen */
	z_stream zs;
	bool zready, zend, zfull;
	unsigned char obuf[BUF];
	size_t olen, opos;
	/* the literal packet */
	enum lit_state lit;
	unsigned char lenb[5];
	size_t nlenb;
	uint64_t lchunk;
	bool llast;
	size_t hdr_seen, hdr_need;
};

static int
damaged(struct open_src *o, struct dupc_err *err)
{
	o->failed = true;
	return err_set(err, E_GPG_FAILED,
	    "gpg: cannot decrypt %s: the encrypted data is damaged or cut short (corrupted or truncated volume?)",
	    o->what);
}

static int
bad_pass(struct open_src *o, struct dupc_err *err)
{
	o->failed = true;
	return err_set(err, E_GPG_FAILED,
	    "gpg: bad passphrase for %s (check PASSPHRASE)", o->what);
}

static int
raw_read(struct open_src *o, unsigned char *p, size_t n, size_t *got,
    struct dupc_err *err)
{
	if (o->hoff < o->nhead) {
		size_t k = o->nhead - o->hoff < n ? o->nhead - o->hoff : n;

		memcpy(p, o->head + o->hoff, k);
		o->hoff += k;
		*got = k;
		return 0;
	}
	if (source_read(o->inner, p, n, got, err) < 0) {
		o->failed = true;
		return -1;
	}
	return 0;
}

static int
raw_full(struct open_src *o, unsigned char *p, size_t n, struct dupc_err *err)
{
	while (n > 0) {
		size_t got;

		if (raw_read(o, p, n, &got, err) < 0)
			return -1;
		if (got == 0)
			return damaged(o, err);
		p += got;
		n -= got;
	}
	return 0;
}

/* The next chunk's new-format length. */
static int
body_len(struct open_src *o, struct dupc_err *err)
{
	unsigned char b[5];

	if (raw_full(o, b, 1, err) < 0 ||
	    raw_full(o, b + 1, pgp_length_size(b[0]) - 1, err) < 0)
		return -1;
	o->chunk = pgp_length_get(b, &o->last_chunk);
	o->last_chunk = !o->last_chunk;
	return 0;
}

/* Up to ${n} bytes of the body; 0 at its end. */
static int
body_read(struct open_src *o, unsigned char *p, size_t n, size_t *got,
    struct dupc_err *err)
{
	*got = 0;
	while (o->chunk == 0) {
		if (o->last_chunk)
			return 0;
		if (body_len(o, err) < 0)
			return -1;
	}
	if (n > o->chunk)
		n = (size_t)o->chunk;
	if (raw_read(o, p, n, got, err) < 0)
		return -1;
	if (*got == 0)
		return damaged(o, err);
	o->chunk -= *got;
	return 0;
}

/* The session key, the data cipher, and the body's version byte. */
static int
start(struct open_src *o, struct dupc_err *err)
{
	const unsigned char *kek;
	unsigned char *plain = NULL, v;
	gcry_cipher_hd_t esk = NULL;
	size_t got;
	int rc = -1;

	o->started = true;
	kek = pgp_seal_kek(o->pass, o->head + 6, err);
	gcry_free(o->pass);
	o->pass = NULL;
	if (kek == NULL) {
		o->failed = true;
		return -1;
	}
	if ((plain = gcry_malloc_secure(1 + KEYLEN)) == NULL ||
	    gcry_cipher_open(&esk, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CFB,
		GCRY_CIPHER_SECURE) != 0 ||
	    gcry_cipher_setkey(esk, kek, KEYLEN) != 0 ||
	    gcry_cipher_setiv(esk, NULL, 0) != 0 ||
	    gcry_cipher_decrypt(esk, plain, 1 + KEYLEN, o->head + 15,
		1 + KEYLEN) != 0 ||
	    gcry_cipher_open(&o->cipher, GCRY_CIPHER_AES256,
		GCRY_CIPHER_MODE_CFB, GCRY_CIPHER_SECURE) != 0 ||
	    gcry_md_open(&o->md, GCRY_MD_SHA1, 0) != 0) {
		o->failed = true;
		err_set(err, E_GPG_FAILED,
		    "gpg: cannot decrypt %s: libgcrypt failed", o->what);
		goto out;
	}
	/* a wrong passphrase decrypts the session key to noise */
	if (plain[0] != 9) {
		bad_pass(o, err);
		goto out;
	}
	if (gcry_cipher_setkey(o->cipher, plain + 1, KEYLEN) != 0 ||
	    gcry_cipher_setiv(o->cipher, NULL, 0) != 0) {
		damaged(o, err);
		goto out;
	}
	o->hoff = SKESK_LEN + 1;
	if (body_read(o, &v, 1, &got, err) < 0)
		goto out;
	if (got != 1 || v != 1) {
		damaged(o, err);
		goto out;
	}
	if (inflateInit2(&o->zs, -15) != Z_OK) {
		err_set(err, E_GENERIC, "out of memory");
		o->failed = true;
		goto out;
	}
	o->zready = true;
	rc = 0;
out:
	gcry_cipher_close(esk);
	gcry_free(plain);
	return rc;
}

/* Decrypt more of the body into pend; at its end, check the MDC. */
static int
more_plain(struct open_src *o, struct dupc_err *err)
{
	unsigned char *dst = o->cbuf + MDC_LEN, *p;
	size_t got, total, rel, k;

	if (body_read(o, dst, BUF, &got, err) < 0)
		return -1;
	if (got == 0) {
		o->body_done = true;
		if (o->nprefix < PREFIX_LEN || o->ntail != MDC_LEN ||
		    o->tail[0] != 0xD3 || o->tail[1] != 0x14)
			return damaged(o, err);
		gcry_md_write(o->md, o->tail, 2);
		if (memcmp(gcry_md_read(o->md, GCRY_MD_SHA1), o->tail + 2,
			20) != 0)
			return damaged(o, err);
		return 0;
	}
	if (gcry_cipher_decrypt(o->cipher, dst, got, NULL, 0) != 0)
		return damaged(o, err);
	p = dst - o->ntail;
	memcpy(p, o->tail, o->ntail);
	total = o->ntail + got;
	if (total <= MDC_LEN) {
		memcpy(o->tail, p, total);
		o->ntail = total;
		return 0;
	}
	rel = total - MDC_LEN;
	memcpy(o->tail, p + rel, MDC_LEN);
	o->ntail = MDC_LEN;
	gcry_md_write(o->md, p, rel);
	if (o->nprefix < PREFIX_LEN) {
		k = PREFIX_LEN - o->nprefix < rel ? PREFIX_LEN - o->nprefix
						  : rel;
		memcpy(o->prefix + o->nprefix, p, k);
		o->nprefix += k;
		p += k;
		rel -= k;
		if (o->nprefix == PREFIX_LEN &&
		    (o->prefix[14] != o->prefix[16] ||
			o->prefix[15] != o->prefix[17]))
			return bad_pass(o, err);
	}
	o->pend = p;
	o->npend = rel;
	return 0;
}

/* Inflate released plaintext (after the compressed packet's header). */
static int
inflate_more(struct open_src *o, struct dupc_err *err)
{
	static const unsigned char hdr[2] = { 0xA3, 0x01 };
	size_t before;
	int zr;

	while (o->zhdr < 2 && o->npend > 0) {
		if (*o->pend != hdr[o->zhdr])
			return damaged(o, err);
		o->pend++;
		o->npend--;
		o->zhdr++;
	}
	if (o->zhdr < 2)
		return 0;
	before = o->npend;
	o->zs.next_in = (unsigned char *)(uintptr_t)o->pend;
	o->zs.avail_in = (uInt)o->npend;
	o->zs.next_out = o->obuf;
	o->zs.avail_out = BUF;
	zr = inflate(&o->zs, Z_NO_FLUSH);
	o->pend += before - o->zs.avail_in;
	o->npend = o->zs.avail_in;
	o->olen = BUF - o->zs.avail_out;
	o->opos = 0;
	o->zfull = o->zs.avail_out == 0;
	if (zr == Z_STREAM_END)
		o->zend = true;
	else if (zr != Z_OK && zr != Z_BUF_ERROR)
		return damaged(o, err);
	return 0;
}

/* The literal packet's current chunk is used up. */
static int
lit_chunk_end(struct open_src *o, struct dupc_err *err)
{
	if (!o->llast) {
		o->lit = L_LEN;
		o->nlenb = 0;
		return 0;
	}
	if (o->hdr_seen < o->hdr_need)
		return damaged(o, err); /* the header was cut */
	o->lit = L_END;
	return 0;
}

/* One framing byte of the literal packet (tag, length or header). */
static int
lit_byte(struct open_src *o, unsigned char b, struct dupc_err *err)
{
	switch (o->lit) {
	case L_TAG:
		if (b != 0xCB) /* new format, tag 11 */
			return damaged(o, err);
		o->lit = L_LEN;
		o->nlenb = 0;
		o->hdr_need = 2; /* format and name length, at least */
		return 0;
	case L_LEN:
		o->lenb[o->nlenb++] = b;
		if (o->nlenb < pgp_length_size(o->lenb[0]))
			return 0;
		o->lchunk = pgp_length_get(o->lenb, &o->llast);
		o->llast = !o->llast;
		o->lit = o->hdr_seen < o->hdr_need ? L_HDR : L_DATA;
		return o->lchunk == 0 ? lit_chunk_end(o, err) : 0;
	case L_HDR:
		if (o->hdr_seen == 1)
			/* format, name length, name, 4-byte date */
			o->hdr_need = 2 + (size_t)b + 4;
		o->hdr_seen++;
		o->lchunk--;
		if (o->hdr_seen == o->hdr_need)
			o->lit = L_DATA;
		return o->lchunk == 0 ? lit_chunk_end(o, err) : 0;
	case L_DATA: /* handled by the caller */
	case L_END:
		break;
	}
	return damaged(o, err); /* bytes after the literal packet */
}

static int
open_read(struct source *s, void *buf, size_t size, size_t *got,
    struct dupc_err *err)
{
	struct open_src *o = (struct open_src *)s;

	*got = 0;
	if (o->failed)
		return err_set(err, E_GPG_FAILED,
		    "gpg: decrypted stream used after it failed");
	if (o->eof || size == 0)
		return 0;
	if (!o->started && start(o, err) < 0)
		return -1;
	for (;;) {
		if (o->opos < o->olen && o->lit == L_DATA) {
			size_t k = o->olen - o->opos;

			if (k > size)
				k = size;
			if (k > o->lchunk)
				k = (size_t)o->lchunk;
			memcpy(buf, o->obuf + o->opos, k);
			o->opos += k;
			o->lchunk -= k;
			*got = k;
			return o->lchunk == 0 ? lit_chunk_end(o, err) : 0;
		}
		if (o->opos < o->olen) {
			if (lit_byte(o, o->obuf[o->opos++], err) < 0)
				return -1;
			continue;
		}
		/* plaintext after the compressed packet */
		if (o->zend && o->npend > 0)
			return damaged(o, err);
		if (!o->zend && (o->npend > 0 || o->zfull)) {
			if (inflate_more(o, err) < 0)
				return -1;
			continue;
		}
		if (!o->body_done) {
			if (more_plain(o, err) < 0)
				return -1;
			continue;
		}
		/* all read, the MDC good: the packets must be complete */
		if (!o->zend || o->lit != L_END)
			return damaged(o, err);
		o->eof = true;
		return 0;
	}
}

static void
open_free(struct source *s)
{
	struct open_src *o = (struct open_src *)s;

	gcry_cipher_close(o->cipher);
	gcry_md_close(o->md);
	if (o->zready)
		inflateEnd(&o->zs);
	gcry_free(o->pass);
	free(o->head);
	free(o);
}

static const struct source_ops open_ops = {
	.read = open_read,
	.rewind = NULL,
	.free = open_free,
};

struct source *
pgp_open_source_new(const char *pass, const unsigned char *head, size_t nhead,
    struct source *inner, const char *what, struct dupc_err *err)
{
	struct open_src *o;
	size_t n = strlen(pass);

	if (!pgp_open_matches(head, nhead) || !pgp_seal_available()) {
		err_set(err, E_GPG_FAILED,
		    "gpg: cannot decrypt %s: not a message dupc can read itself",
		    what);
		return NULL;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->head = malloc(nhead)) == NULL ||
	    (o->pass = gcry_malloc_secure(n + 1)) == NULL) {
		if (o != NULL)
			free(o->head);
		free(o);
		err_set(err, E_GENERIC, "out of memory");
		return NULL;
	}
	memcpy(o->pass, pass, n + 1);
	memcpy(o->head, head, nhead);
	o->nhead = nhead;
	o->inner = inner;
	snprintf(o->what, sizeof(o->what), "%s", what);
	o->base.ops = &open_ops;
	return &o->base;
}
