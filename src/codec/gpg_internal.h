#ifndef DUPC_CODEC_GPG_INTERNAL_H
#define DUPC_CODEC_GPG_INTERNAL_H

/*
 * Pieces shared by the gpg codec's files (gpg*.c) and its unit test only.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <gpgme.h>

struct dupc_err;
struct gpg_options;

/* --- gpg.c: options, contexts, passphrases, messages --- */

/*
 * The options of a stream in the form gpgme takes them, copied out of a
 * struct gpg_options.  Invariants: passphrase and sign_passphrase are NULL
 * or private copies wiped by gpg_conf_release(); sign_key is NULL or 8, 16
 * or 40 upper-case hex digits; recpstring is NULL exactly when symmetric
 * is set or the options are for decryption (which uses neither).
 */
struct gpg_conf {
	bool symmetric;
	bool use_agent;
	bool armor; /* --gpg-options --armor */
	bool auto_key_retrieve;
	bool ignore_mdc_error;
	bool wrap; /* the input is dupc's own OpenPGP packets */
	gpgme_encrypt_flags_t flags;
	char *recpstring; /* gpgme_op_encrypt_ext() lines */
	char *sign_key;
	char *passphrase;
	char *sign_passphrase;
	char *gpg_binary;
	char *homedir;
	char *trust_model;
	char *auto_key_locate;
};

/*
 * gpg_conf_init(conf, opts, encrypt, err):
 * Check ${opts} as gpg_options_check() documents and fill ${conf}.  When
 * ${encrypt} is false the choice of symmetric or recipients is neither
 * checked nor kept (the data says what it needs).  On failure ${conf}
 * holds nothing to release.
 */
int gpg_conf_init(struct gpg_conf *, const struct gpg_options *, bool,
    struct dupc_err *);

/* gpg_conf_release(conf): wipe the passphrases and free everything. */
void gpg_conf_release(struct gpg_conf *);

/*
 * What the passphrase callback saw during one gpg operation.  The callback
 * runs on the worker thread; the stream reads these fields only after
 * joining it.
 */
struct gpg_pass {
	const struct gpg_conf *conf;
	bool signing;   /* key passphrases unlock the signing key */
	int asked;      /* times gpg asked */
	bool sym_asked; /* asked for the symmetric passphrase */
	bool key_asked; /* asked for a secret key's passphrase */
	bool missing;   /* asked, but no passphrase was given */
	bool bad;       /* gpg rejected a passphrase it was given */
	char keyid[17]; /* the secret key last asked for, or "" */
};

/*
 * gpg_ctx_new(conf, pass, err):
 * A gpgme context for OpenPGP on ${conf}'s engine and home, binary unless
 * --armor, with the symmetric-key cache off and passphrases supplied by a
 * loopback callback recording into ${pass} (unless use_agent).  Both
 * arguments must outlive the context.  Returns NULL with E_GPG_FAILED.
 */
gpgme_ctx_t gpg_ctx_new(const struct gpg_conf *, struct gpg_pass *,
    struct dupc_err *);

/*
 * gpg_errtext(gerr, buf, size):
 * gpgme's text for ${gerr} in ${buf} (thread-safe); returns ${buf}.
 */
const char *gpg_errtext(gpgme_error_t, char *, size_t);

/*
 * gpg_log_diag(ctx):
 * Log what gpg printed during the last operation on ${ctx} (its
 * --logger-fd output), a capped number of lines with unprintable bytes
 * replaced, as duplicity shows the GnuPG log when gpg fails.
 */
void gpg_log_diag(gpgme_ctx_t);

/*
 * gpg_keyid_match(want, have):
 * duplicity's signature check (dup_main.py restore_add_sig_check): true
 * when the last min(len(want), len(have)) hex digits agree, ignoring case
 * and a "0x" prefix on ${want}.  Empty strings never match.
 */
bool gpg_keyid_match(const char *, const char *);

/* --- gpg_job.c: one gpgme operation on a worker thread --- */

/*
 * gpgme's synchronous operations pull input and push output through data
 * callbacks that run on the calling thread.  A job runs the operation on a
 * worker thread and turns each callback into a request that the stream's
 * own thread serves: READ asks for up to len bytes in buf (reply with the
 * count, 0 for end of data), WRITE hands over len bytes at buf (reply with
 * len once they are consumed).  While a request is pending the worker
 * waits, so buf stays valid; only one request is ever pending.  The
 * worker batches gpgme's small calls through two 128 KiB buffers.  The
 * caller's next stage is therefore only touched by the caller's thread,
 * and memory use is those buffers whatever the stream's size.
 */
enum gpg_req_kind {
	GPG_REQ_DONE = 0, /* the operation has ended: call gpg_job_join() */
	GPG_REQ_READ,
	GPG_REQ_WRITE,
};

struct gpg_req {
	enum gpg_req_kind kind;
	void *buf;
	size_t len;
};

typedef gpgme_error_t gpg_job_fn(gpgme_ctx_t, gpgme_data_t, gpgme_data_t,
    void *);

/*
 * An operation of another library (RNP) run the same way: it moves data
 * with gpg_job_read() and gpg_job_write() and returns 0 or its own
 * error code.
 */
struct gpg_job;
typedef unsigned gpg_job_raw_fn(struct gpg_job *, void *);

/*
 * Where an async job's output goes (gpg_job_start_async): called on the
 * worker with each piece of output; 0, or -1 to fail the operation.
 */
typedef int gpg_job_out_fn(void *, const void *, size_t);

/*
 * Invariants: when started, lock/to_main/to_worker/in/out are live and the
 * worker runs until done; req is GPG_REQ_DONE when no request is pending;
 * abort is only ever set, and makes every pending and future request fail.
 */
struct gpg_job {
	bool started;
	bool joined;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t to_main;
	pthread_cond_t to_worker;
	gpgme_ctx_t ctx;
	gpgme_data_t in;
	gpgme_data_t out;
	struct gpgme_data_cbs in_cbs;
	struct gpgme_data_cbs out_cbs;
	gpg_job_fn *fn;
	gpg_job_raw_fn *raw_fn;
	void *arg;
	/* Guarded by lock. */
	enum gpg_req_kind req;
	void *req_buf;
	size_t req_len;
	bool replied;
	ssize_t reply;
	bool abort;
	bool done;
	/* Written by the worker before done; read after the join. */
	gpgme_error_t result;
	/*
	 * The worker's own buffers: gpgme moves data 4 KiB at a time, and a
	 * request per call would cost two thread switches each; reads are
	 * served from ibuf, refilled by one request of up to GPG_JOB_BUF
	 * bytes, and writes gathered in obuf, handed over when it fills and
	 * at the end.  Used by the worker only.
	 */
	unsigned char *ibuf, *obuf;
	size_t ilen, ioff, olen;
	bool ieof;
	/*
	 * Async jobs only (out_fn set): ibuf is a ring of GPG_JOB_RING bytes
	 * holding rlen bytes from rhead, filled by gpg_job_put() on the
	 * stream's thread and drained by the worker, so neither waits for
	 * the other while there is room; rend marks the end of the input.
	 * rhead, rlen and rend are guarded by lock; each side copies outside
	 * it, into or out of the part of the ring only it owns.  Output goes
	 * to out_fn(out_arg, ...) on the worker.
	 */
	gpg_job_out_fn *out_fn;
	void *out_arg;
	size_t rhead, rlen;
	bool rend;
};

#define GPG_JOB_BUF (128u << 10)
#define GPG_JOB_RING (256u << 10)

/*
 * gpg_job_start(job, ctx, fn, arg, err):
 * Start fn(ctx, in, out, arg) on a new thread, where in and out are data
 * objects served through gpg_job_next().  ${job} must be zeroed; ${ctx}
 * is used by the worker only until the job is joined.  Returns -1 with
 * E_GPG_FAILED when the thread or data objects cannot be made.
 */
int gpg_job_start(struct gpg_job *, gpgme_ctx_t, gpg_job_fn *, void *,
    struct dupc_err *);

/*
 * gpg_job_start_raw(job, fn, arg, err):
 * Start fn(job, arg) on a new thread; it reads its input with
 * gpg_job_read() and writes its output with gpg_job_write(), which are
 * served through gpg_job_next() as for gpgme.  Errors as gpg_job_start.
 */
int gpg_job_start_raw(struct gpg_job *, gpg_job_raw_fn *, void *,
    struct dupc_err *);

/*
 * gpg_job_start_async(job, fn, arg, out_fn, out_arg, err):
 * Start fn(job, arg) as gpg_job_start_raw does, but with its input fed by
 * gpg_job_put() and gpg_job_end_input() without waiting for the worker
 * (unless the ring is full), and its output passed to out_fn on the
 * worker, which then owns whatever out_fn writes to until the job is
 * joined.  There are no requests: wait for the end with gpg_job_join().
 */
int gpg_job_start_async(struct gpg_job *, gpg_job_raw_fn *, void *,
    gpg_job_out_fn *, void *, struct dupc_err *);

/*
 * gpg_job_put(job, buf, size): copy ${size} bytes of input into an async
 * job's ring, waiting while it is full.  -1 when the worker has ended
 * (or the job was aborted) first: join it to learn why.
 */
int gpg_job_put(struct gpg_job *, const void *, size_t);

/* gpg_job_end_input(job): an async job's input is complete. */
void gpg_job_end_input(struct gpg_job *);

/*
 * gpg_job_read(job, buf, size), gpg_job_write(job, buf, size):
 * For the worker only: read up to ${size} bytes of input (0 at its end),
 * or write ${size} bytes of output.  Return the count, or -1 when the job
 * is aborted.
 */
ssize_t gpg_job_read(struct gpg_job *, void *, size_t);
ssize_t gpg_job_write(struct gpg_job *, const void *, size_t);

/*
 * gpg_job_next(job, req):
 * Wait for the next request, or for the end of the operation (kind
 * GPG_REQ_DONE).  A WRITE request may be left pending across calls; it is
 * returned again until replied to.
 */
void gpg_job_next(struct gpg_job *, struct gpg_req *);

/*
 * gpg_job_reply(job, n):
 * Complete the pending request with ${n} (bytes, or -1 to fail it).
 */
void gpg_job_reply(struct gpg_job *, ssize_t);

/*
 * gpg_job_join(job):
 * After GPG_REQ_DONE: join the worker and return the operation's result.
 */
gpgme_error_t gpg_job_join(struct gpg_job *);

/*
 * gpg_job_release(job):
 * Abort the operation if it is still running (its requests fail, gpg is
 * left to exit on the broken pipes), join the worker and free the job's
 * resources.  Safe on a zeroed job and idempotent.
 */
void gpg_job_release(struct gpg_job *);

/* --- gpg_rnp.c: OpenPGP in the process through RNP --- */

struct gpg_packet_guard;
struct gpg_rnp;

/*
 * gpg_rnp_can_encrypt(conf): whether RNP can write what ${conf} asks for
 * (no signing, no agent pinentry, no armor, no option only gpg knows).
 */
bool gpg_rnp_can_encrypt(const struct gpg_conf *);

/*
 * gpg_rnp_can_decrypt(conf, guard): whether RNP can read a message whose
 * first packets ${guard} has seen: passphrase session keys only, then
 * integrity-protected data, a passphrase at hand and no signature to check.
 */
bool gpg_rnp_can_decrypt(const struct gpg_conf *,
    const struct gpg_packet_guard *);

/*
 * gpg_rnp_new(conf, encrypt, err):
 * An RNP context for one message on ${conf} (borrowed; must outlive it).
 * For encryption to public keys, the recipients are looked up and
 * exported through gpgme here (once per run), so a missing or untrusted
 * key fails before any data is written.  NULL with E_GPG_FAILED.
 */
struct gpg_rnp *gpg_rnp_new(const struct gpg_conf *, bool, struct dupc_err *);

/* gpg_rnp_start_decrypt(r, job, err): run the decryption on ${job}. */
int gpg_rnp_start_decrypt(struct gpg_rnp *, struct gpg_job *,
    struct dupc_err *);

/*
 * gpg_rnp_start_encrypt(r, job, out_fn, out_arg, err):
 * Run the encryption on an async ${job} (gpg_job_start_async).
 */
int gpg_rnp_start_encrypt(struct gpg_rnp *, struct gpg_job *, gpg_job_out_fn *,
    void *, struct dupc_err *);

/* gpg_rnp_free(r): after the job is released; NULL is fine. */
void gpg_rnp_free(struct gpg_rnp *);

/* gpg_rnp_enc_error(r, rc, err), gpg_rnp_dec_error(r, rc, what, err):
 * describe a failed operation (${rc} from gpg_job_join); return -1. */
int gpg_rnp_enc_error(const struct gpg_rnp *, unsigned, struct dupc_err *);
int gpg_rnp_dec_error(const struct gpg_rnp *, unsigned, const char *,
    struct dupc_err *);

/* --- gpg_packet.c: what kind of encrypted data gpg wrote --- */

/*
 * duplicity 0.8.22 runs whatever gpg the system has, which may be a 2.2
 * that cannot read the AEAD (OCB) packets a newer gpg writes by default
 * for symmetric encryption.  The guard parses the packet headers at the
 * start of binary output and accepts only encrypted session keys followed
 * by a version 1 SEIPD packet (encrypted data with MDC).
 */
enum gpg_packet_verdict {
	GPG_PACKET_PENDING = 0,
	GPG_PACKET_OK,
	GPG_PACKET_NOT_OPENPGP, /* not a packet header */
	GPG_PACKET_AEAD,        /* AEAD (tag 20) or SEIPD v2 */
	GPG_PACKET_NO_MDC,      /* legacy encrypted data (tag 9) */
	GPG_PACKET_UNEXPECTED,  /* another packet before the encrypted data */
	GPG_PACKET_TRUNCATED,   /* ended before the encrypted data began */
};

struct gpg_packet_guard {
	enum gpg_packet_verdict verdict;
	int state;
	uint8_t hdr[6];
	size_t nhdr;
	uint64_t skip;
	int tag;
	int npkesk; /* public-key session key packets seen */
	int nskesk; /* passphrase session key packets seen */
};

/* gpg_packet_guard_init(g): expect the first byte of a message. */
void gpg_packet_guard_init(struct gpg_packet_guard *);

/*
 * gpg_packet_guard_feed(g, p, n):
 * Inspect the next ${n} bytes of output.  Returns the verdict so far
 * (GPG_PACKET_PENDING until the encrypted data packet has been seen);
 * once decided it no longer changes.
 */
enum gpg_packet_verdict gpg_packet_guard_feed(struct gpg_packet_guard *,
    const void *, size_t);

/* gpg_packet_guard_end(g): the verdict at end of output (never PENDING). */
enum gpg_packet_verdict gpg_packet_guard_end(struct gpg_packet_guard *);

/* gpg_packet_verdict_text(v): a short description for error messages. */
const char *gpg_packet_verdict_text(enum gpg_packet_verdict);

#endif
