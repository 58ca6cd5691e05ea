/*
 * One gpgme operation on a worker thread, fed and drained by the stream's
 * thread.  gpgme_op_encrypt() and gpgme_op_decrypt_verify() only return at
 * the end of the data, and they move data by calling the read and write
 * callbacks of gpgme_data_new_from_cbs() objects.  Here those callbacks
 * post a request and wait; the stream's write or read function serves it
 * with the caller's own buffer or stage.  A request is served only while
 * the stream is being called, so gpg simply waits in between.  The worker
 * gathers gpgme's 4 KiB calls into 128 KiB requests (ibuf, obuf), so the
 * two threads meet a few times per MiB rather than hundreds.
 *
 * Stopping early: gpg_job_release() sets abort, which fails the pending
 * request and every later one.  gpgme then ends the operation with an
 * error and closes its pipes, gpg exits on the broken pipe, and gpgme
 * reaps it; the worker returns and is joined.  No request blocks on
 * anything but the stream's thread, so this cannot deadlock.
 */
#include "codec/gpg_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* Runs on the worker: post a request and wait for its reply. */
static ssize_t
job_request(struct gpg_job *job, enum gpg_req_kind kind, void *buf, size_t len)
{
	ssize_t r;

	pthread_mutex_lock(&job->lock);
	job->req = kind;
	job->req_buf = buf;
	job->req_len = len;
	job->replied = false;
	pthread_cond_signal(&job->to_main);
	while (!job->replied && !job->abort)
		pthread_cond_wait(&job->to_worker, &job->lock);
	r = job->replied ? job->reply : -1;
	job->req = GPG_REQ_DONE;
	pthread_mutex_unlock(&job->lock);
	if (r < 0)
		errno = EPIPE;
	return r;
}

/*
 * Async input: take up to ${size} bytes from the ring.  One producer (the
 * stream's thread) and one consumer (the worker): each copies outside the
 * lock, into or out of the part of the ring only it owns.
 */
static ssize_t
ring_take(struct gpg_job *job, void *buf, size_t size)
{
	size_t n;

	pthread_mutex_lock(&job->lock);
	while (job->rlen == 0 && !job->rend && !job->abort)
		pthread_cond_wait(&job->to_worker, &job->lock);
	if (job->abort) {
		pthread_mutex_unlock(&job->lock);
		errno = EPIPE;
		return -1;
	}
	n = job->rlen;
	pthread_mutex_unlock(&job->lock);
	if (n == 0)
		return 0; /* the end of the input */
	if (n > GPG_JOB_RING - job->rhead)
		n = GPG_JOB_RING - job->rhead;
	if (n > size)
		n = size;
	memcpy(buf, job->ibuf + job->rhead, n);
	pthread_mutex_lock(&job->lock);
	job->rhead = (job->rhead + n) % GPG_JOB_RING;
	job->rlen -= n;
	pthread_cond_signal(&job->to_main);
	pthread_mutex_unlock(&job->lock);
	return (ssize_t)n;
}

ssize_t
gpg_job_read(struct gpg_job *job, void *buf, size_t size)
{
	size_t n;

	if (job->out_fn != NULL)
		return ring_take(job, buf, size);
	if (job->ioff == job->ilen) {
		ssize_t r;

		if (job->ieof)
			return 0;
		r = job_request(job, GPG_REQ_READ, job->ibuf, GPG_JOB_BUF);
		if (r < 0)
			return -1;
		if (r == 0) {
			job->ieof = true;
			return 0;
		}
		job->ilen = (size_t)r;
		job->ioff = 0;
	}
	n = job->ilen - job->ioff;
	if (n > size)
		n = size;
	memcpy(buf, job->ibuf + job->ioff, n);
	job->ioff += n;
	return (ssize_t)n;
}

/* Hand everything gathered in obuf to the stream's thread. */
static int
job_flush(struct gpg_job *job)
{
	size_t off = 0;

	if (job->out_fn != NULL && job->olen > 0) {
		if (job->out_fn(job->out_arg, job->obuf, job->olen) < 0)
			return -1;
		job->olen = 0;
		return 0;
	}
	while (off < job->olen) {
		ssize_t r = job_request(job, GPG_REQ_WRITE, job->obuf + off,
		    job->olen - off);

		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	job->olen = 0;
	return 0;
}

ssize_t
gpg_job_write(struct gpg_job *job, const void *buf, size_t size)
{
	if (job->olen + size > GPG_JOB_BUF && job_flush(job) < 0)
		return -1;
	if (size > GPG_JOB_BUF && job->out_fn != NULL)
		return job->out_fn(job->out_arg, buf, size) < 0 ? -1
								: (ssize_t)size;
	if (size > GPG_JOB_BUF)
		/* larger than the buffer: handed over as it is; the stream's
		 * thread only reads it */
		return job_request(job, GPG_REQ_WRITE, (void *)(uintptr_t)buf,
		    size);
	memcpy(job->obuf + job->olen, buf, size);
	job->olen += size;
	return (ssize_t)size;
}

static ssize_t
job_read_cb(void *handle, void *buf, size_t size)
{
	return gpg_job_read(handle, buf, size);
}

static ssize_t
job_write_cb(void *handle, const void *buf, size_t size)
{
	return gpg_job_write(handle, buf, size);
}

static void *
job_main(void *arg)
{
	struct gpg_job *job = arg;
	gpgme_error_t result;

	if (job->raw_fn != NULL)
		result = job->raw_fn(job, job->arg);
	else
		result = job->fn(job->ctx, job->in, job->out, job->arg);
	if (job_flush(job) < 0 && result == 0)
		result = job->raw_fn != NULL ? (gpgme_error_t)-1
					     : gpgme_error_from_errno(EPIPE);
	pthread_mutex_lock(&job->lock);
	job->result = result;
	job->done = true;
	pthread_cond_signal(&job->to_main);
	pthread_mutex_unlock(&job->lock);
	return NULL;
}

static int
job_start(struct gpg_job *job, bool gpgme, struct dupc_err *err)
{
	int rc;

	job->req = GPG_REQ_DONE;
	job->ibuf = malloc(job->out_fn != NULL ? GPG_JOB_RING : GPG_JOB_BUF);
	job->obuf = malloc(GPG_JOB_BUF);
	if (job->ibuf == NULL || job->obuf == NULL)
		goto err0;
	job->in_cbs.read = job_read_cb;
	job->out_cbs.write = job_write_cb;
	if (pthread_mutex_init(&job->lock, NULL) != 0)
		goto err0;
	if (pthread_cond_init(&job->to_main, NULL) != 0)
		goto err1;
	if (pthread_cond_init(&job->to_worker, NULL) != 0)
		goto err2;
	if (gpgme && gpgme_data_new_from_cbs(&job->in, &job->in_cbs, job) != 0)
		goto err3;
	if (gpgme &&
	    gpgme_data_new_from_cbs(&job->out, &job->out_cbs, job) != 0)
		goto err4;
	if (gpgme) {
		gpgme_data_set_encoding(job->in, GPGME_DATA_ENCODING_BINARY);
		gpgme_data_set_encoding(job->out, GPGME_DATA_ENCODING_BINARY);
	}
	if ((rc = pthread_create(&job->thread, NULL, job_main, job)) != 0) {
		errno = rc;
		goto err5;
	}
	job->started = true;
	return 0;

err5:
	gpgme_data_release(job->out);
err4:
	gpgme_data_release(job->in);
err3:
	pthread_cond_destroy(&job->to_worker);
err2:
	pthread_cond_destroy(&job->to_main);
err1:
	pthread_mutex_destroy(&job->lock);
err0:
	free(job->ibuf);
	free(job->obuf);
	memset(job, 0, sizeof(*job));
	return err_errno(err, E_GPG_FAILED, "gpg: cannot start a gpg worker");
}

int
gpg_job_start(struct gpg_job *job, gpgme_ctx_t ctx, gpg_job_fn *fn, void *arg,
    struct dupc_err *err)
{
	job->ctx = ctx;
	job->fn = fn;
	job->arg = arg;
	return job_start(job, true, err);
}

int
gpg_job_start_raw(struct gpg_job *job, gpg_job_raw_fn *fn, void *arg,
    struct dupc_err *err)
{
	job->raw_fn = fn;
	job->arg = arg;
	return job_start(job, false, err);
}

int
gpg_job_start_async(struct gpg_job *job, gpg_job_raw_fn *fn, void *arg,
    gpg_job_out_fn *out_fn, void *out_arg, struct dupc_err *err)
{
	job->raw_fn = fn;
	job->arg = arg;
	job->out_fn = out_fn;
	job->out_arg = out_arg;
	return job_start(job, false, err);
}

int
gpg_job_put(struct gpg_job *job, const void *buf, size_t size)
{
	const unsigned char *c = buf;

	while (size > 0) {
		size_t tail, n;

		pthread_mutex_lock(&job->lock);
		while (job->rlen == GPG_JOB_RING && !job->done && !job->abort)
			pthread_cond_wait(&job->to_main, &job->lock);
		if (job->done || job->abort) {
			pthread_mutex_unlock(&job->lock);
			return -1;
		}
		tail = (job->rhead + job->rlen) % GPG_JOB_RING;
		n = GPG_JOB_RING - job->rlen;
		pthread_mutex_unlock(&job->lock);
		if (n > GPG_JOB_RING - tail)
			n = GPG_JOB_RING - tail;
		if (n > size)
			n = size;
		memcpy(job->ibuf + tail, c, n);
		pthread_mutex_lock(&job->lock);
		job->rlen += n;
		pthread_cond_signal(&job->to_worker);
		pthread_mutex_unlock(&job->lock);
		c += n;
		size -= n;
	}
	return 0;
}

void
gpg_job_end_input(struct gpg_job *job)
{
	pthread_mutex_lock(&job->lock);
	job->rend = true;
	pthread_cond_signal(&job->to_worker);
	pthread_mutex_unlock(&job->lock);
}

void
gpg_job_next(struct gpg_job *job, struct gpg_req *req)
{
	pthread_mutex_lock(&job->lock);
	while (!job->done && (job->req == GPG_REQ_DONE || job->replied))
		pthread_cond_wait(&job->to_main, &job->lock);
	if (job->req != GPG_REQ_DONE && !job->replied) {
		req->kind = job->req;
		req->buf = job->req_buf;
		req->len = job->req_len;
	} else {
		req->kind = GPG_REQ_DONE;
		req->buf = NULL;
		req->len = 0;
	}
	pthread_mutex_unlock(&job->lock);
}

void
gpg_job_reply(struct gpg_job *job, ssize_t n)
{
	pthread_mutex_lock(&job->lock);
	job->reply = n;
	job->replied = true;
	pthread_cond_signal(&job->to_worker);
	pthread_mutex_unlock(&job->lock);
}

gpgme_error_t
gpg_job_join(struct gpg_job *job)
{
	if (job->started && !job->joined) {
		pthread_join(job->thread, NULL);
		job->joined = true;
	}
	return job->result;
}

void
gpg_job_release(struct gpg_job *job)
{
	if (!job->started)
		return;
	if (!job->joined) {
		pthread_mutex_lock(&job->lock);
		job->abort = true;
		pthread_cond_signal(&job->to_worker);
		pthread_mutex_unlock(&job->lock);
		pthread_join(job->thread, NULL);
		job->joined = true;
	}
	if (job->out != NULL)
		gpgme_data_release(job->out);
	if (job->in != NULL)
		gpgme_data_release(job->in);
	pthread_cond_destroy(&job->to_worker);
	pthread_cond_destroy(&job->to_main);
	pthread_mutex_destroy(&job->lock);
	free(job->ibuf);
	free(job->obuf);
	memset(job, 0, sizeof(*job));
}
