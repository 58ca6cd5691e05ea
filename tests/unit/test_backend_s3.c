/*
 * s3:// against the backend conformance suite (backend_suite.h) on a real
 * Ceph RADOS Gateway (tests/servers/ceph), path-style and virtual-host
 * addressing, and what only S3 has: multipart uploads with parts in
 * parallel (the ETag's part count), an interrupted upload resumed without
 * sending its stored parts again, unfinished uploads aborted (but never a
 * deeper prefix's), a failed part that leaves nothing behind, buckets
 * created on the first put, refused credentials, and a listing paged past
 * 1000 keys.
 *
 * needs-server: ceph
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/s3/s3_internal.h"
#include "backend_suite.h"
#include "bt_server.h"
#include "bt_util.h"
#include "unit.h"
#include "util/err.h"
#include "util/stream.h"

static char port[16];
static char bucket[64];

/* The credentials reach the backend as its own environment. */
static struct backend_opt env[4];
static struct backend_opt path_opt[] = {
	{ "s3-unencrypted-connection", NULL },
	{ "s3-multipart-chunk-size", "5" },
	{ "s3-multipart-max-procs", "3" },
};
static char vhost_endpoint[64];
static struct backend_opt vhost_opt[] = {
	{ "s3-endpoint-url", vhost_endpoint },
	{ "s3-use-new-style", NULL },
	{ "s3-multipart-chunk-size", "5" },
};
static struct backend_options path_opts = { .num_retries = 3,
	.retry_delay = 0.01,
	.timeout = 10,
	.opts = path_opt,
	.nopts = 3,
	.env = env,
	.nenv = 4,
	.writes = true };
static struct backend_options vhost_opts = { .num_retries = 3,
	.retry_delay = 0.01,
	.timeout = 10,
	.opts = vhost_opt,
	.nopts = 3,
	.env = env,
	.nenv = 4,
	.writes = true };

static void
path_url(char *buf, size_t size, unsigned serial, void *arg)
{
	(void)arg;
	snprintf(buf, size, "s3://127.0.0.1:%s/%s/suite/p%u/a", port, bucket,
	    serial);
}

static void
vhost_url(char *buf, size_t size, unsigned serial, void *arg)
{
	(void)arg;
	snprintf(buf, size, "s3://%s/suite/v%u/b", bucket, serial);
}

/* An object in a deeper prefix, as another host's backup would be. */
static void
subfolder(const char *url, const struct backend_options *o)
{
	char sub[600];
	struct backend *be;
	struct dupc_err err;

	snprintf(sub, sizeof(sub), "%s/subdir", url);
	err_clear(&err);
	if (backend_open_raw(sub, o, &be, &err) != 0)
		fail_msg("open %s: %s", sub, err.msg);
	bt_put(be, "x", "deeper", 6);
	backend_close(be);
}

static void
path_subfolder(const char *url, void *arg)
{
	(void)arg;
	subfolder(url, &path_opts);
}

static void
vhost_subfolder(const char *url, void *arg)
{
	(void)arg;
	subfolder(url, &vhost_opts);
}

/* ------------------------------------------------------------------ */
/* helpers on the raw backend */

static struct s3_backend *
open_s3(const char *url, const struct backend_options *o)
{
	struct backend *be;
	struct dupc_err err;

	err_clear(&err);
	if (backend_open_raw(url, o, &be, &err) != 0)
		fail_msg("open %s: %s", url, err.msg);
	/* S3 is BACKEND_CONCURRENT: the raw instance is the S3 backend */
	assert_ptr_equal(be->ops, backend_lookup("s3"));
	return (struct s3_backend *)be;
}

/* One request; the answer's status, and the wanted header in ${hval}. */
static long
call(struct s3_backend *be, const char *method, const char *key,
    const char *query, const char *want, char *hval, size_t hsize, char **body)
{
	const char *const wants[] = { want, NULL };
	struct http_body hb = { 0 };
	struct s3_call c = { .method = method,
		.key = key,
		.query = query,
		.what = method,
		.want = want ? wants : NULL,
		.body = strcmp(method, "POST") == 0 ? &hb : NULL };
	struct http_resp resp;
	struct dupc_err err;
	struct http *h = http_pool_take(&be->pool, &err);
	long status;

	assert_non_null(h);
	http_resp_init(&resp);
	err_clear(&err);
	if (s3_perform(be, h, &c, &resp, &err) != 0)
		fail_msg("%s %s: %s", method, key ? key : "", err.msg);
	if (hval != NULL)
		snprintf(hval, hsize, "%s", resp.hval[0]);
	if (body != NULL)
		*body = strdup(resp.body ? resp.body : "");
	status = resp.status;
	http_resp_release(&resp, false);
	http_pool_give(&be->pool, h);
	return status;
}

/* Start a multipart upload of ${key}; its id into ${id}. */
static void
start_upload(struct s3_backend *be, const char *key, char *id, size_t size)
{
	struct dupc_err err;
	char *body = NULL;

	assert_int_equal(
	    call(be, "POST", key, "uploads=", NULL, NULL, 0, &body), 200);
	err_clear(&err);
	if (s3_xml_initiate(body, strlen(body), id, size, &err) != 0)
		fail_msg("initiate: %s", err.msg);
	free(body);
}

/* The unfinished uploads of the bucket whose key starts with ${prefix}. */
static unsigned
count_uploads(struct s3_backend *be, const char *prefix)
{
	char *body = NULL, *p;
	char needle[300];
	unsigned n = 0;

	assert_int_equal(
	    call(be, "GET", NULL, "uploads=", NULL, NULL, 0, &body), 200);
	snprintf(needle, sizeof(needle), "<Key>%s", prefix);
	for (p = body; (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(body);
	return n;
}

/* A file of ${n} bytes as bt_put_file writes them for ${seed} (the
 * generator's state carries over), at offset 0. */
static int
data_file(uint64_t n, unsigned seed)
{
	char path[] = "/tmp/dupc-s3-XXXXXX", *block = malloc(1 << 20);
	uint64_t done = 0;
	int fd = mkstemp(path);

	assert_true(fd >= 0 && block != NULL);
	unlink(path);
	while (done < n) {
		size_t k = n - done < (1u << 20) ? (size_t)(n - done)
						 : 1u << 20,
		       i;

		for (i = 0; i < k; i++) {
			seed = seed * 1103515245u + 12345u;
			block[i] = (char)(seed >> 16);
		}
		assert_int_equal(write(fd, block, k), (ssize_t)k);
		done += k;
	}
	free(block);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* A source that counts what is read at offsets (what parts send). */
struct counting {
	struct source base;
	struct source *inner;
	pthread_mutex_t mu;
	uint64_t pread_bytes;
	uint64_t fail_at; /* pread past this offset fails (0: never) */
};

static int
c_read(struct source *s, void *p, size_t cap, size_t *got, struct dupc_err *err)
{
	return source_read(((struct counting *)s)->inner, p, cap, got, err);
}

static int
c_rewind(struct source *s, struct dupc_err *err)
{
	return source_rewind(((struct counting *)s)->inner, err);
}

static int
c_pread(struct source *s, void *p, size_t cap, uint64_t off, size_t *got,
    struct dupc_err *err)
{
	struct counting *c = (struct counting *)s;

	if (c->fail_at != 0 && off + cap > c->fail_at)
		return err_set(err, E_GENERIC, "simulated read error");
	if (source_pread(c->inner, p, cap, off, got, err) < 0)
		return -1;
	pthread_mutex_lock(&c->mu);
	c->pread_bytes += *got;
	pthread_mutex_unlock(&c->mu);
	return 0;
}

static const struct source_ops counting_ops = { c_read, c_rewind, NULL,
	c_pread };

/* ------------------------------------------------------------------ */
/* S3's own cases */

/* A file above the chunk size goes in parts, side by side; the ETag
 * names the part count and the object reads back whole. */
static void
test_multipart(void **state)
{
	char url[300], key[300], etag[256];
	struct s3_backend *raw;
	struct backend *be;
	struct dupc_err err;
	uint64_t n = 13u << 20;

	(void)state;
	snprintf(url, sizeof(url), "s3://127.0.0.1:%s/%s/multipart", port,
	    bucket);
	err_clear(&err);
	assert_int_equal(backend_open(url, &path_opts, &be, &err), 0);
	bt_put_file(be, "vol1.difftar.gpg", n, 77);
	bt_expect_file(be, "vol1.difftar.gpg", n, 77);
	backend_close(be);
	raw = open_s3(url, &path_opts);
	snprintf(key, sizeof(key), "multipart/vol1.difftar.gpg");
	assert_int_equal(
	    call(raw, "HEAD", key, NULL, "etag", etag, sizeof(etag), NULL),
	    200);
	if (strlen(etag) < 3 || strcmp(etag + strlen(etag) - 3, "-3\"") != 0)
		fail_msg("ETag %s does not say 3 parts", etag);
	backend_close(&raw->base);
}

/* An upload an earlier run left with part 1 stored is resumed: only the
 * other parts are read and sent, and no upload is left after. */
static void
test_resume(void **state)
{
	char url[300], key[300], id[512], q[700], eid[600];
	struct s3_backend *be;
	struct counting c;
	struct dupc_err err;
	struct source *fsrc;
	uint64_t n = 12u << 20;
	int fd = data_file(n, 5);

	(void)state;
	snprintf(url, sizeof(url), "s3://127.0.0.1:%s/%s/resume", port, bucket);
	snprintf(key, sizeof(key), "resume/vol2.difftar.gz");
	be = open_s3(url, &path_opts);
	start_upload(be, key, id, sizeof(id));
	/* part 1 as the killed run stored it */
	{
		struct source *part;
		struct http_body hb = { 0 };
		struct http_resp resp;
		struct http *h = http_pool_take(&be->pool, &err);
		struct s3_call call1 = { .method = "PUT",
			.key = key,
			.query = q,
			.what = "UploadPart",
			.body = &hb };

		fsrc = fd_source_new(fd, "data");
		part = range_source_new(fsrc, 0, 5u << 20);
		assert_int_equal(s3_encode(id, false, eid, sizeof(eid)), 0);
		snprintf(q, sizeof(q), "partNumber=1&uploadId=%s", eid);
		hb.src = part;
		hb.len = 5u << 20;
		http_resp_init(&resp);
		assert_int_equal(s3_perform(be, h, &call1, &resp, &err), 0);
		assert_int_equal(resp.status, 200);
		http_resp_release(&resp, false);
		http_pool_give(&be->pool, h);
		source_free(part);
		source_free(fsrc);
	}
	backend_close(&be->base);

	/* the next run puts the same file */
	be = open_s3(url, &path_opts);
	memset(&c, 0, sizeof(c));
	c.base.ops = &counting_ops;
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	c.inner = fd_source_new(fd, "data");
	pthread_mutex_init(&c.mu, NULL);
	err_clear(&err);
	if (be->base.ops->put(&be->base, "vol2.difftar.gz", &c.base, n, &err) !=
	    0)
		fail_msg("put: %s", err.msg);
	assert_int_equal(c.pread_bytes, n - (5u << 20));
	source_free(c.inner);
	pthread_mutex_destroy(&c.mu);
	assert_int_equal(count_uploads(be, "resume/"), 0);
	backend_close(&be->base);
	assert_int_equal(
	    backend_open(url, &path_opts, (struct backend **)&be, &err), 0);
	bt_expect_file(&be->base, "vol2.difftar.gz", n, 5);
	backend_close(&be->base);
	close(fd);
}

/* Unfinished uploads directly in the location are aborted when a writing
 * session closes; a deeper prefix's (another host's) are left alone. */
static void
test_orphans(void **state)
{
	char url[300], id[512], deep_id[512], q[700], eid[600];
	struct s3_backend *be;
	struct backend *w;
	struct dupc_err err;

	(void)state;
	snprintf(url, sizeof(url), "s3://127.0.0.1:%s/%s/orphans", port,
	    bucket);
	be = open_s3(url, &path_opts);
	start_upload(be, "orphans/vol9.difftar.gz", id, sizeof(id));
	start_upload(be, "orphans/other-host/vol1.difftar.gz", deep_id,
	    sizeof(deep_id));
	assert_int_equal(count_uploads(be, "orphans/"), 2);
	backend_close(&be->base);

	err_clear(&err);
	assert_int_equal(backend_open(url, &path_opts, &w, &err), 0);
	bt_put(w, "duplicity-full.20240101T000000Z.manifest", "m", 1);
	backend_close(w);

	be = open_s3(url, &path_opts);
	assert_int_equal(count_uploads(be, "orphans/vol9"), 0);
	assert_int_equal(count_uploads(be, "orphans/other-host/"), 1);
	assert_int_equal(s3_encode(deep_id, false, eid, sizeof(eid)), 0);
	snprintf(q, sizeof(q), "uploadId=%s", eid);
	assert_int_equal(call(be, "DELETE",
			     "orphans/other-host/vol1.difftar.gz", q, NULL,
			     NULL, 0, NULL),
	    204);
	backend_close(&be->base);
}

/* A part that cannot be read fails the put at once (a permanent cause)
 * and its upload is aborted, not left to cost. */
static void
test_failed_part(void **state)
{
	char url[300];
	struct s3_backend *be;
	struct counting c;
	struct dupc_err err;
	uint64_t n = 11u << 20, size;
	int fd = data_file(n, 9);

	(void)state;
	snprintf(url, sizeof(url), "s3://127.0.0.1:%s/%s/failpart", port,
	    bucket);
	be = open_s3(url, &path_opts);
	memset(&c, 0, sizeof(c));
	c.base.ops = &counting_ops;
	c.inner = fd_source_new(fd, "data");
	c.fail_at = 7u << 20;
	pthread_mutex_init(&c.mu, NULL);
	err_clear(&err);
	assert_int_equal(
	    be->base.ops->put(&be->base, "vol3.difftar.gz", &c.base, n, &err),
	    -1);
	assert_non_null(strstr(err.msg, "simulated read error"));
	assert_int_not_equal(err.cls, ERR_TRANSIENT);
	assert_int_equal(count_uploads(be, "failpart/"), 0);
	err_clear(&err);
	assert_int_equal(
	    be->base.ops->size(&be->base, "vol3.difftar.gz", &size, &err), -1);
	assert_int_equal(err.cls, ERR_NOT_FOUND);
	source_free(c.inner);
	pthread_mutex_destroy(&c.mu);
	backend_close(&be->base);
	close(fd);
}

/* The server checks each body's Content-MD5: a wrong one is refused
 * (BadDigest), and dupc takes that for a transient failure. */
static void
test_md5_checked(void **state)
{
	static const char *const hdr[] = {
		"Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==", /* MD5 of "" */
		NULL
	};
	char url[300];
	struct s3_backend *be;
	struct source *src = mem_source_new("not empty", 9);
	struct http_body hb = { 0 };
	struct s3_call c = { .method = "PUT",
		.key = "md5/x",
		.headers = hdr,
		.body = &hb,
		.what = "PutObject" };
	struct http_resp resp;
	struct dupc_err err;
	struct http *h;

	(void)state;
	snprintf(url, sizeof(url), "s3://127.0.0.1:%s/%s/md5", port, bucket);
	be = open_s3(url, &path_opts);
	h = http_pool_take(&be->pool, &err);
	assert_non_null(h);
	hb.src = src;
	hb.len = 9;
	http_resp_init(&resp);
	assert_int_equal(s3_perform(be, h, &c, &resp, &err), 0);
	assert_int_equal(resp.status, 400);
	err_clear(&err);
	s3_fail(be, &err, "PutObject", &resp);
	assert_non_null(strstr(err.msg, "BadDigest"));
	assert_int_equal(err.cls, ERR_TRANSIENT);
	http_resp_release(&resp, false);
	http_pool_give(&be->pool, h);
	source_free(src);
	backend_close(&be->base);
}

/* A bucket that does not exist lists as empty and is made by a put. */
static void
test_new_bucket(void **state)
{
	char url[300], got[64];
	struct backend *be;
	struct dupc_err err;
	uint64_t size;

	(void)state;
	snprintf(url, sizeof(url), "s3://127.0.0.1:%s/%s-new/p", port, bucket);
	err_clear(&err);
	assert_int_equal(backend_open(url, &path_opts, &be, &err), 0);
	assert_int_equal(bt_list(be, got, sizeof(got)), 0);
	err_clear(&err);
	assert_int_equal(backend_size(be, "x", &size, &err), -1);
	assert_int_equal(err.cls, ERR_NOT_FOUND);
	bt_put(be, "x", "made", 4);
	bt_expect(be, "x", "made", 4);
	backend_close(be);
}

static int
count_one(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	(void)name;
	(void)size;
	(void)err;
	(*(unsigned *)arg)++;
	return 0;
}

/* Refused credentials: permanent, code 51, one line, no secret. */
static void
test_refused(void **state)
{
	static const char secret[] = "not-the-secret-at-all-0123456789";
	struct backend_opt bad_env[4];
	struct backend_options o = path_opts;
	char url[300];
	unsigned n = 0;
	struct backend *be;
	struct dupc_err err;
	size_t i;

	(void)state;
	memcpy(bad_env, env, sizeof(env));
	o.env = bad_env;
	snprintf(url, sizeof(url), "s3://127.0.0.1:%s/%s/refused", port,
	    bucket);
	for (i = 0; i < 3; i++) {
		const char *want;

		memcpy(bad_env, env, sizeof(env));
		if (i == 0) {
			bad_env[1].value = secret;
			want = "SignatureDoesNotMatch";
		} else if (i == 1) {
			bad_env[0].value = "NOSUCHACCESSKEY00000";
			want = "InvalidAccessKeyId";
		} else {
			/* another user's bucket */
			bad_env[0].value =
			    bt_server_env("ceph", "DUPC_RGW_OTHER_ACCESS_KEY");
			bad_env[1].value =
			    bt_server_env("ceph", "DUPC_RGW_OTHER_SECRET_KEY");
			want = "AccessDenied";
		}
		err_clear(&err);
		assert_int_equal(backend_open(url, &o, &be, &err), 0);
		err_clear(&err);
		assert_int_equal(backend_list(be, count_one, &n, &err), -1);
		backend_close(be);
		if (strstr(err.msg, want) == NULL)
			fail_msg("case %zu: '%s' lacks %s", i, err.msg, want);
		assert_int_equal(err.cls, ERR_PERMANENT);
		assert_int_equal(err.code, E_BACKEND_PERMISSION_DENIED);
		assert_null(strstr(err.msg, secret));
		assert_null(strstr(err.msg, bad_env[1].value));
		assert_null(strchr(err.msg, '\n'));
	}
}

/* ------------------------------------------------------------------ */
/* a listing of 10 000 objects */

struct filler {
	struct backend *be;
	unsigned from, to;
	char msg[256];
};

static void *
fill(void *arg)
{
	struct filler *f = arg;
	struct dupc_err err;
	char name[32];
	unsigned i;

	for (i = f->from; i < f->to && f->msg[0] == '\0'; i++) {
		struct source *src;

		snprintf(name, sizeof(name), "obj-%05u", i);
		src = mem_source_new(name, strlen(name));
		err_clear(&err);
		if (backend_put(f->be, name, src, strlen(name), &err) != 0)
			snprintf(f->msg, sizeof(f->msg), "%s: %.200s", name,
			    err.msg);
		source_free(src);
	}
	return NULL;
}

struct seen {
	unsigned char *hit;
	unsigned n, bad;
};

static int
seen_one(const char *name, uint64_t size, void *arg, struct dupc_err *err)
{
	struct seen *s = arg;
	unsigned i;

	(void)err;
	if (sscanf(name, "obj-%05u", &i) != 1 || i >= 10000 || s->hit[i] ||
	    size != strlen(name))
		s->bad++;
	else
		s->hit[i] = 1;
	s->n++;
	return 0;
}

static void
test_ten_thousand(void **state)
{
	char url[300];
	struct backend *be;
	struct filler f[8];
	pthread_t th[8];
	struct seen s = { calloc(10000, 1), 0, 0 };
	struct dupc_err err;
	unsigned i;

	(void)state;
	assert_non_null(s.hit);
	snprintf(url, sizeof(url), "s3://127.0.0.1:%s/%s/many", port, bucket);
	err_clear(&err);
	assert_int_equal(backend_open_raw(url, &path_opts, &be, &err), 0);
	for (i = 0; i < 8; i++) {
		f[i] = (struct filler){ be, i * 1250, (i + 1) * 1250, "" };
		assert_int_equal(pthread_create(&th[i], NULL, fill, &f[i]), 0);
	}
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 8; i++)
		if (f[i].msg[0] != '\0')
			fail_msg("%s", f[i].msg);
	/* a deeper prefix is not part of the listing */
	subfolder(url, &path_opts);
	err_clear(&err);
	if (backend_list(be, seen_one, &s, &err) != 0)
		fail_msg("list: %s", err.msg);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.n, 10000);
	backend_close(be);
	free(s.hit);
}

/* ------------------------------------------------------------------ */

int
main(void)
{
	static const struct suite_target t[] = {
		{ "s3 path-style", path_url, NULL, path_subfolder, true, false,
		    1100, &path_opts },
		{ "s3 virtual-host", vhost_url, NULL, vhost_subfolder, true,
		    false, 0, &vhost_opts },
	};
	const struct CMUnitTest extra[] = {
		cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_orphans),
		cmocka_unit_test(test_failed_part),
		cmocka_unit_test(test_md5_checked),
		cmocka_unit_test(test_new_bucket),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_ten_thousand),
	};

	unit_init();
	if (bt_server_need("ceph") != 0)
		return 1;
	snprintf(port, sizeof(port), "%s",
	    bt_server_env("ceph", "DUPC_RGW_PORT"));
	snprintf(bucket, sizeof(bucket), "dupc-unit-%ld", (long)getpid());
	snprintf(vhost_endpoint, sizeof(vhost_endpoint), "http://localhost:%s",
	    port);
	env[0] = (struct backend_opt){ "AWS_ACCESS_KEY_ID",
		bt_server_env("ceph", "DUPC_RGW_ACCESS_KEY") };
	env[1] = (struct backend_opt){ "AWS_SECRET_ACCESS_KEY",
		bt_server_env("ceph", "DUPC_RGW_SECRET_KEY") };
	/* nothing of the machine's own AWS setup */
	env[2] = (struct backend_opt){ "AWS_PROFILE", "" };
	env[3] = (struct backend_opt){ "AWS_SHARED_CREDENTIALS_FILE",
		"/nonexistent" };
	return backend_suite_run("s3", t, 2, extra,
	    sizeof(extra) / sizeof(extra[0]), NULL, NULL);
}
