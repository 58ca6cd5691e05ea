/*
 * The server's host key against the known-hosts files, as ssh(1) holds
 * it: ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts (or the files of
 * -oUserKnownHostsFile= and -oGlobalKnownHostsFile=), looked up under
 * "host" for port 22 and "[host]:port" otherwise, hashed entries
 * included.  A changed or revoked key is always refused; an unknown host
 * is refused with the command that adds it, unless
 * -oStrictHostKeyChecking is accept-new or no, which add it and go on.
 * Nothing here ever prompts: a cron job must not hang on a question.
 *
 * libssh2 parses each line (libssh2_knownhost_readline); this file only
 * splits the files into lines, so one line it cannot read (a key type it
 * does not know, @cert-authority) does not hide the lines after it, as
 * libssh2_knownhost_readfile would.  A host known only by a key type the
 * server did not pick first is connected to again offering that type
 * (sftp_connect), as ssh(1) orders its algorithms by what it knows.
 */
#define _GNU_SOURCE
#include "backend/sftp/sftp_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"

/* Held while the known-hosts files are read and written. */
static pthread_mutex_t known_mu = PTHREAD_MUTEX_INITIALIZER;

/* Known-hosts lines longer than this are passed over. */
#define LINE_BYTES (64 * 1024)

static const struct keytype {
	const char *alg;   /* the algorithm libssh2 negotiates */
	int hosttype;      /* LIBSSH2_HOSTKEY_TYPE_* */
	int knownmask;     /* LIBSSH2_KNOWNHOST_KEY_* */
	const char *label; /* as ssh(1) names it in messages */
	const char *scan;  /* ssh-keyscan -t */
} types[SFTP_HOSTKEY_TYPES] = {
	{ "ssh-ed25519", LIBSSH2_HOSTKEY_TYPE_ED25519,
	    LIBSSH2_KNOWNHOST_KEY_ED25519, "ED25519", "ed25519" },
	{ "ecdsa-sha2-nistp256", LIBSSH2_HOSTKEY_TYPE_ECDSA_256,
	    LIBSSH2_KNOWNHOST_KEY_ECDSA_256, "ECDSA", "ecdsa" },
	{ "ecdsa-sha2-nistp384", LIBSSH2_HOSTKEY_TYPE_ECDSA_384,
	    LIBSSH2_KNOWNHOST_KEY_ECDSA_384, "ECDSA", "ecdsa" },
	{ "ecdsa-sha2-nistp521", LIBSSH2_HOSTKEY_TYPE_ECDSA_521,
	    LIBSSH2_KNOWNHOST_KEY_ECDSA_521, "ECDSA", "ecdsa" },
	{ "ssh-rsa", LIBSSH2_HOSTKEY_TYPE_RSA, LIBSSH2_KNOWNHOST_KEY_SSHRSA,
	    "RSA", "rsa" },
};

const char *
sftp_hostkey_prefs(unsigned tried, char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < SFTP_HOSTKEY_TYPES; i++) {
		if (tried & (1u << i))
			continue;
		used +=
		    (size_t)snprintf(buf + used, size > used ? size - used : 0,
			"%s%s", used ? "," : "", types[i].alg);
	}
	return used > 0 && used < size ? buf : NULL;
}

/* Feed the lines of ${path} to ${kh}, and those marked @revoked to
 * ${revoked}; a missing file holds nothing. */
static void
load(LIBSSH2_KNOWNHOSTS *kh, LIBSSH2_KNOWNHOSTS *revoked, const char *path,
    char *line)
{
	unsigned bad = 0, n = 0;
	size_t len;
	char *p;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		if (errno != ENOENT)
			log_debug("sftp: cannot read %s: %s", path,
			    strerror(errno));
		return;
	}
	while (fgets(line, LINE_BYTES, f) != NULL) {
		len = strlen(line);
		if (len == LINE_BYTES - 1 && line[len - 1] != '\n') {
			int c;

			while ((c = getc(f)) != EOF && c != '\n')
				;
			bad++;
			continue;
		}
		n++;
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (strncmp(p, "@revoked", 8) == 0 &&
		    (p[8] == ' ' || p[8] == '\t')) {
			if (libssh2_knownhost_readline(revoked, p + 9,
				strlen(p + 9), LIBSSH2_KNOWNHOST_FILE_OPENSSH))
				bad++;
		} else if (*p == '@') {
			bad++; /* @cert-authority: certificates are not used */
		} else if (libssh2_knownhost_readline(kh, p, strlen(p),
			       LIBSSH2_KNOWNHOST_FILE_OPENSSH)) {
			bad++;
		}
	}
	fclose(f);
	if (bad > 0)
		log_debug("sftp: %s: %u of %u lines passed over", path, bad,
		    n + bad);
}

/* The server's key fingerprint as ssh prints it: "SHA256:base64". */
static void
fingerprint(LIBSSH2_SESSION *s, char *out, size_t size)
{
	const char *h = libssh2_hostkey_hash(s, LIBSSH2_HOSTKEY_HASH_SHA256);

	snprintf(out, size, "SHA256:");
	if (h == NULL || sftp_base64_encode(h, 32, out + 7, size - 7) == NULL)
		snprintf(out, size, "(unknown fingerprint)");
}

/* A path for messages: ~/... when under $HOME. */
static const char *
short_path(const struct sftp_backend *be, const char *path, char *buf,
    size_t size)
{
	size_t n = strlen(be->home);

	if (strncmp(path, be->home, n) == 0 && path[n] == '/') {
		snprintf(buf, size, "~%s", path + n);
		return buf;
	}
	return path;
}

/* The user's first known-hosts file (where keys are added). */
static const char *
user_file(const struct sftp_backend *be)
{
	return be->known.n > 0 ? be->known.v[0] : NULL;
}

/* Append the host's key to the user's file, as accept-new does. */
static int
add_key(struct sftp_backend *be, LIBSSH2_KNOWNHOSTS *kh, const char *name,
    const char *key, size_t len, const struct keytype *t, struct dupc_err *err)
{
	struct libssh2_knownhost *node = NULL;
	const char *path = user_file(be);
	char line[16384], *slash, dir[4096];
	size_t outlen = 0;
	int fd;

	if (path == NULL)
		return err_set(err, E_USER_ERROR,
		    "cannot add the host key of %s: UserKnownHostsFile is none",
		    be->where);
	if (libssh2_knownhost_addc(kh, name, NULL, key, len, NULL, 0,
		LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
		    t->knownmask,
		&node) != 0 ||
	    libssh2_knownhost_writeline(kh, node, line, sizeof(line), &outlen,
		LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
		return err_set(err, E_GENERIC,
		    "cannot write the host key of %s", be->where);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return err_errno(err, E_USER_ERROR,
			    "cannot add the host key of %s: cannot create %s",
			    be->where, dir);
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line, outlen) != (ssize_t)outlen) {
		err_errno(err, E_USER_ERROR,
		    "cannot add the host key of %s to %s", be->where, path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return err_errno(err, E_USER_ERROR,
		    "cannot add the host key of %s to %s", be->where, path);
	log_warn(
	    "Warning: Permanently added '%s' (%s) to the list of known hosts.",
	    name, t->label);
	return 0;
}

/* The one-line refusal of an unknown host, with the command that adds
 * it. */
static int
unknown(struct sftp_backend *be, const char *name, const struct keytype *t,
    const char *fp, bool other_types, struct dupc_err *err)
{
	const char *path = user_file(be);
	char sp[512];

	if (path == NULL)
		path = "~/.ssh/known_hosts";
	else
		path = short_path(be, path, sp, sizeof(sp));
	if (other_types)
		return err_set(err, E_USER_ERROR,
		    "the host key of %s is known only in a form dupc cannot check (libssh2 1.10 checks Ed25519, ECDSA and SHA-1 RSA keys); if the %s key %s is the server's, add it with: ssh-keyscan -t %s -p %d %s >> %s",
		    name, t->label, fp, t->scan, be->port, be->host, path);
	return err_set(err, E_USER_ERROR,
	    "the host key of %s is not known (%s key %s); if that is the server's key, add it with: ssh-keyscan -p %d %s >> %s (or use --ssh-options=-oStrictHostKeyChecking=accept-new)",
	    name, t->label, fp, be->port, be->host, path);
}

static void
lookup_name(const struct sftp_backend *be, char *name, size_t size)
{
	size_t i;

	if (be->port == 22)
		snprintf(name, size, "%s", be->host);
	else
		snprintf(name, size, "[%s]:%d", be->host, be->port);
	for (i = 0; name[i] != '\0'; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
}

int
sftp_hostkey_unverifiable(struct sftp_backend *be, struct dupc_err *err)
{
	char name[300];

	lookup_name(be, name, sizeof(name));
	return unknown(be, name, &types[be->seen_type], be->seen_fp, true, err);
}

/* The refusal of a changed key, with the command that forgets the old
 * one (in the user's file; a global file is the administrator's). */
static int
changed(struct sftp_backend *be, const char *name, const struct keytype *t,
    const char *fp, struct dupc_err *err)
{
	const char *path = user_file(be);
	char def[4096], sp[512];

	snprintf(def, sizeof(def), "%s/.ssh/known_hosts", be->home);
	if (path == NULL || strcmp(path, def) == 0)
		return err_set(err, E_USER_ERROR,
		    "the host key of %s has changed (now %s key %s): someone may be intercepting the connection; if the change is expected, remove the old key with: ssh-keygen -R '%s'",
		    name, t->label, fp, name);
	return err_set(err, E_USER_ERROR,
	    "the host key of %s has changed (now %s key %s): someone may be intercepting the connection; if the change is expected, remove the old key with: ssh-keygen -R '%s' -f %s",
	    name, t->label, fp, name, short_path(be, path, sp, sizeof(sp)));
}

static int
check(LIBSSH2_KNOWNHOSTS *kh, const char *name, const char *key, size_t len,
    int mask)
{
	return libssh2_knownhost_check(kh, name, key, len,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | mask,
	    NULL);
}

/* The verdict on ${key} of type ${t} for ${name}; see the header. */
static int
verdict(struct sftp_backend *be, LIBSSH2_KNOWNHOSTS *kh,
    LIBSSH2_KNOWNHOSTS *revoked, const char *name, const char *key, size_t len,
    size_t ti, unsigned *tried, struct dupc_err *err)
{
	const struct keytype *t = &types[ti];
	char fp[80], prefs[256];
	int rc;

	fingerprint(be->c.ssh, fp, sizeof(fp));
	if (check(revoked, name, key, len, t->knownmask) ==
	    LIBSSH2_KNOWNHOST_CHECK_MATCH)
		return err_set(err, E_USER_ERROR,
		    "the host key of %s (%s key %s) is marked revoked in the known hosts; refusing to connect",
		    name, t->label, fp);
	rc = check(kh, name, key, len, t->knownmask);
	if (rc == LIBSSH2_KNOWNHOST_CHECK_MATCH)
		return 0;
	if (rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH)
		return changed(be, name, t, fp, err);
	if (rc != LIBSSH2_KNOWNHOST_CHECK_NOTFOUND)
		return err_set(err, E_GENERIC,
		    "cannot check the host key of %s", name);
	/* known by another type?  (a key of type 0 matches any entry's
	 * type, and no key of another type can equal this one) */
	if (check(kh, name, key, len, 0) == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
		if (sftp_hostkey_prefs(*tried | 1u << ti, prefs,
			sizeof(prefs)) == NULL)
			return unknown(be, name, t, fp, true, err);
		*tried |= 1u << ti;
		be->seen_type = (int)ti;
		snprintf(be->seen_fp, sizeof(be->seen_fp), "%s", fp);
		log_debug("sftp: %s is known by another key type than %s", name,
		    t->alg);
		return 1;
	}
	if (be->strict == SFTP_STRICT_ACCEPT_NEW ||
	    be->strict == SFTP_STRICT_NO)
		return add_key(be, kh, name, key, len, t, err);
	return unknown(be, name, t, fp, false, err);
}

int
sftp_hostkey_check(struct sftp_backend *be, unsigned *tried,
    struct dupc_err *err)
{
	LIBSSH2_KNOWNHOSTS *kh = NULL, *revoked = NULL;
	char name[300], *line = NULL;
	const char *key;
	size_t len, i, ti;
	int type, rc = -1;

	key = libssh2_session_hostkey(be->c.ssh, &len, &type);
	for (ti = 0; ti < SFTP_HOSTKEY_TYPES; ti++)
		if (key != NULL && types[ti].hosttype == type)
			break;
	if (ti == SFTP_HOSTKEY_TYPES)
		return err_set(err, E_USER_ERROR,
		    "%s offered a host key of a type dupc cannot check",
		    be->where);
	lookup_name(be, name, sizeof(name));
	/* instances connecting at once (a restore's fetchers) see the key
	 * one of them added, and add it once */
	pthread_mutex_lock(&known_mu);
	kh = libssh2_knownhost_init(be->c.ssh);
	revoked = libssh2_knownhost_init(be->c.ssh);
	line = malloc(LINE_BYTES);
	if (kh == NULL || revoked == NULL || line == NULL) {
		err_set(err, E_GENERIC, "out of memory");
		goto out;
	}
	for (i = 0; i < be->known.n; i++)
		load(kh, revoked, be->known.v[i], line);
	for (i = 0; i < be->gknown.n; i++)
		load(kh, revoked, be->gknown.v[i], line);
	rc = verdict(be, kh, revoked, name, key, len, ti, tried, err);
out:
	if (kh != NULL)
		libssh2_knownhost_free(kh);
	if (revoked != NULL)
		libssh2_knownhost_free(revoked);
	pthread_mutex_unlock(&known_mu);
	free(line);
	return rc;
}
