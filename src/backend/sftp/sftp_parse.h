#ifndef DUPC_BACKEND_SFTP_SFTP_PARSE_H
#define DUPC_BACKEND_SFTP_SFTP_PARSE_H

/*
 * What the sftp:// backend reads from the user before it connects, with no
 * SSH library involved (so the unit tests and the fuzz target need none):
 * the host part of the URL, the words of --ssh-options, the subset of
 * ssh_config(5) it honours (HostName, User, Port, IdentityFile), and the
 * header of a private key file (its type, and whether it needs a
 * passphrase).  Every string here is owned by the struct that holds it and
 * freed by its _release function.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct dupc_err;

/* Up to this many identity or known-hosts files from one source. */
#define SFTP_FILES_MAX 16

/* A list of file names (owned), in the order given. */
struct sftp_files {
	char *v[SFTP_FILES_MAX];
	size_t n;
};

/* sftp_files_add(l, s): append a copy of ${s} unless already there; -1
 * when the list is full or out of memory. */
int sftp_files_add(struct sftp_files *, const char *);

/* sftp_files_release(l): free every name; the list is then empty. */
void sftp_files_release(struct sftp_files *);

/*
 * sftp_word(sp, out):
 * The next word of *${sp} into ${out} (room for strlen(*${sp}) + 1
 * bytes), as sh(1) and ssh_config(5) split: blanks separate, '...' and
 * "..." quote, a backslash escapes the next byte (inside "..." only
 * before " \ $ `).  Advances *${sp}.  Returns 1 with a word, 0 at the
 * end, -1 on an unterminated quote.
 */
int sftp_word(const char **, char *);

/*
 * sftp_split_host(s, host, port, err):
 * Split the host part of a URL: "host", "host:port", "[v6addr]" or
 * "[v6addr]:port".  *${host} is a new string without brackets, *${port}
 * the port or 0 when none was given.  E_BAD_URL on a missing host, a bad
 * port (not 1 to 65535) or stray brackets.
 */
int sftp_split_host(const char *, char **, int *, struct dupc_err *);

/* -oStrictHostKeyChecking: what to do with a host not yet known. */
enum sftp_strict {
	SFTP_STRICT_UNSET = 0,
	SFTP_STRICT_YES,        /* refuse (also "ask": dupc never prompts) */
	SFTP_STRICT_ACCEPT_NEW, /* add it to the known hosts and go on */
	SFTP_STRICT_NO,         /* the same (a changed key is still refused) */
};

/*
 * What --ssh-options says.  Unset fields are NULL, 0 or -1 as noted, so
 * the other sources (the URL, ~/.ssh/config, defaults) fill them later.
 */
struct sftp_sshopts {
	struct sftp_files identity;     /* -i FILE, -oIdentityFile= */
	struct sftp_files user_known;   /* -oUserKnownHostsFile= */
	struct sftp_files global_known; /* -oGlobalKnownHostsFile= */
	bool user_known_set; /* given ("none" leaves the list empty) */
	bool global_known_set;
	enum sftp_strict strict;
	int port;            /* -p, -P, -oPort= (0: unset) */
	char *user;          /* -l, -oUser= */
	char *hostname;      /* -oHostName= */
	int connect_timeout; /* -oConnectTimeout= seconds (0: unset) */
	int compression;     /* -C, -oCompression= (-1: unset) */
	int identities_only; /* -oIdentitiesOnly= (-1) */
	int batch_mode;      /* -oBatchMode= (-1) */
	char *config_file;   /* -F FILE (NULL: ~/.ssh/config) */
	/* the words dupc does not use, for one warning (NULL: none) */
	char *ignored;
};

/* sftp_sshopts_init(o): every field unset. */
void sftp_sshopts_init(struct sftp_sshopts *);

/* sftp_sshopts_release(o): free what ${o} holds. */
void sftp_sshopts_release(struct sftp_sshopts *);

/*
 * sftp_sshopts_parse(o, text, err):
 * Split ${text} into words as a shell would (blanks, '...', "...", and
 * backslash escapes) and read them as ssh(1) options into ${o}; call once
 * per --ssh-options value (they add up, as duplicity's do).  A later
 * value of a single-valued option replaces an earlier one.  Words dupc
 * does not use are collected in o->ignored.  E_COMMAND_LINE on an
 * unterminated quote, an option missing its value, or a bad value of an
 * option dupc uses (a port that is not a number, "maybe" for a yes/no).
 */
int sftp_sshopts_parse(struct sftp_sshopts *, const char *, struct dupc_err *);

/* What ~/.ssh/config says about one host (the first value wins, as in
 * ssh(1); IdentityFile values add up). */
struct sftp_hostcfg {
	char *hostname; /* raw: %h is expanded by sftp_expand */
	char *user;
	int port;                   /* 0: unset */
	struct sftp_files identity; /* raw */
};

/* sftp_hostcfg_release(c): free what ${c} holds. */
void sftp_hostcfg_release(struct sftp_hostcfg *);

/* How sftp_config_read finds and reads files. */
struct sftp_cfgctx {
	const char *home;    /* for ~ and relative Include paths */
	const char *sys_dir; /* relative Include paths in the system file */
	bool no_include;     /* Include is refused (the fuzz target) */
};

/*
 * sftp_config_parse(f, name, host, sys, ctx, c, err):
 * Read an ssh_config(5) file from ${f} (${name} for messages; ${sys}
 * when it is the system-wide file) and fill in ${c} for ${host}: Host
 * blocks with *, ? and !negated patterns, "Match all" (any other Match
 * block is passed over), Include with glob patterns (at most 16 deep),
 * keywords case-insensitive, "key value" or "key=value", quoted values.
 * Only HostName, User, Port and IdentityFile are kept; other keywords
 * are left to ssh(1).  Lines longer than 16 KiB are refused.  Errors
 * (E_USER_ERROR) name the file and line: a bad port, a missing value, an
 * unterminated quote, a line too long, Include nested too deep.
 */
int sftp_config_parse(FILE *, const char *, const char *, bool,
    const struct sftp_cfgctx *, struct sftp_hostcfg *, struct dupc_err *);

/*
 * sftp_config_read(path, host, sys, ctx, c, err):
 * sftp_config_parse on the file at ${path}; a missing file is no error.
 */
int sftp_config_read(const char *, const char *, bool,
    const struct sftp_cfgctx *, struct sftp_hostcfg *, struct dupc_err *);

/* The values the % tokens of ssh_config stand for. */
struct sftp_tokens {
	const char *home;  /* %d, and ~ at the start */
	const char *luser; /* %u: the local user */
	const char *host;  /* %h: the remote host name */
	const char *ruser; /* %r: the remote user */
	int port;          /* %p */
};

/*
 * sftp_expand(s, t, tilde, out, err):
 * *${out} = ${s} with %d %u %h %r %p %% replaced (and a leading ~ or ~/
 * when ${tilde}), a new string.  E_USER_ERROR on another token or a
 * ~user form.
 */
int sftp_expand(const char *, const struct sftp_tokens *, bool, char **,
    struct dupc_err *);

/* What the first bytes of a private key file tell. */
struct sftp_keyinfo {
	char type[32];  /* "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256",
			 * "ssh-dss", or "" when it cannot be told */
	bool encrypted; /* it needs a passphrase */
	bool known;     /* a private key format dupc recognised */
};

/*
 * sftp_key_probe(text, n, ki):
 * Read the header of a private key held in the ${n} bytes at ${text}:
 * OpenSSH's own format (openssh-key-v1: the cipher and the public key's
 * type) or PEM (RSA, EC, DSA, PKCS#8, with Proc-Type: 4,ENCRYPTED).
 * Never fails: what it cannot tell stays unknown.
 */
void sftp_key_probe(const char *, size_t, struct sftp_keyinfo *);

/*
 * sftp_base64_encode(p, n, out, outsz):
 * ${n} bytes in base64 without '=' padding (as ssh prints SHA256
 * fingerprints) into ${out}; returns ${out}, or NULL when it does not
 * fit.
 */
char *sftp_base64_encode(const void *, size_t, char *, size_t);

#endif
