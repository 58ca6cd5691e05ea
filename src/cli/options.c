/*
 * Command-line parsing.  Options may come before, between or after the
 * positional arguments, as with duplicity's optparse; "--opt=value" and
 * "--opt value" are both accepted; commands may be abbreviated to any
 * unique prefix.  Selection options are handed to the selection module in
 * command-line order, because first match wins.
 */
#define _DEFAULT_SOURCE
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "format/dtime.h"
#include "select/select.h"
#include "util/err.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/ratelimit.h"
#include "util/secret.h"

const char *cli_progname = "dupc";

static const struct {
	const char *name;
	enum cmd_id id;
} commands[] = {
	{ "full", CMD_FULL },
	{ "incremental", CMD_INC },
	{ "restore", CMD_RESTORE },
	{ "verify", CMD_VERIFY },
	{ "collection-status", CMD_COLLECTION_STATUS },
	{ "list-current-files", CMD_LIST_CURRENT_FILES },
	{ "cleanup", CMD_CLEANUP },
	{ "remove-older-than", CMD_REMOVE_OLDER_THAN },
	{ "remove-all-but-n-full", CMD_REMOVE_ALL_BUT_N_FULL },
	{ "remove-all-inc-of-but-n-full", CMD_REMOVE_ALL_INC_OF_BUT_N_FULL },
	{ "replicate", CMD_REPLICATE },
	{ "check", CMD_CHECK },
	{ "backup", CMD_BACKUP },
	{ "diff", CMD_DIFF },
	{ "mount", CMD_MOUNT },
	{ "help", CMD_HELP },
};

/* duplicity 3.x short aliases */
static const struct {
	const char *name;
	enum cmd_id id;
} aliases[] = {
	{ "bu", CMD_BACKUP },
	{ "fb", CMD_FULL },
	{ "ib", CMD_INC },
	{ "inc", CMD_INC },
	{ "incr", CMD_INC },
	{ "rb", CMD_RESTORE },
	{ "vb", CMD_VERIFY },
	{ "st", CMD_COLLECTION_STATUS },
	{ "ls", CMD_LIST_CURRENT_FILES },
	{ "cl", CMD_CLEANUP },
	{ "ro", CMD_REMOVE_OLDER_THAN },
	{ "ra", CMD_REMOVE_ALL_BUT_N_FULL },
	{ "ri", CMD_REMOVE_ALL_INC_OF_BUT_N_FULL },
};

const char *
cli_command_name(enum cmd_id id)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].id == id)
			return commands[i].name;
	return "dupc";
}

/* Resolve a command word; CMD_NONE when it is not one. */
static enum cmd_id
lookup_command(const char *w, bool *ambiguous)
{
	enum cmd_id found = CMD_NONE;
	size_t i, n = strlen(w), hits = 0;

	*ambiguous = false;
	if (n == 0 || strstr(w, "://") != NULL || strchr(w, '/') != NULL)
		return CMD_NONE;
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(w, aliases[i].name) == 0)
			return aliases[i].id;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(w, commands[i].name) == 0)
			return commands[i].id;
		if (strncmp(w, commands[i].name, n) == 0) {
			found = commands[i].id;
			hits++;
		}
	}
	if (hits > 1)
		*ambiguous = true;
	return hits == 1 ? found : CMD_NONE;
}

/* ARG2: two values (--rename FROM TO) */
enum opt_arg { NOARG, ARG, ARG2 };

enum opt_id {
	O_ALLOW_SOURCE_MISMATCH,
	O_ARCHIVE_DIR,
	O_ASYNC_UPLOAD,
	O_BACKEND_RETRY_DELAY,
	O_COMPARE_DATA,
	O_COMPRESS_LEVEL,
	O_CURRENT_TIME,
	O_DRY_RUN,
	O_ENCRYPT_KEY,
	O_ENCRYPT_SIGN_KEY,
	O_FAIL_ON_VOLUME,
	O_FILE_PREFIX,
	O_FILE_PREFIX_ARCHIVE,
	O_FILE_PREFIX_MANIFEST,
	O_FILE_PREFIX_SIGNATURE,
	O_FILE_TO_RESTORE,
	O_FORCE,
	O_FULL_IF_OLDER_THAN,
	O_GPG_BINARY,
	O_GPG_OPTIONS,
	O_HELP,
	O_HIDDEN_ENCRYPT_KEY,
	O_IGNORE_ERRORS,
	O_JSON,
	O_JSONSTAT,
	O_LOG_FD,
	O_LOG_FILE,
	O_LOG_TIMESTAMP,
	O_MAX_BLOCKSIZE,
	O_BACKEND,
	O_MOUNT_CACHE_MB,
	O_NAME,
	O_NO_COMPRESSION,
	O_NO_ENCRYPTION,
	O_NO_FILES_CHANGED,
	O_NO_PRINT_STATISTICS,
	O_NO_RESTORE_OWNERSHIP,
	O_NUM_RETRIES,
	O_NUMERIC_OWNER,
	O_PROGRESS,
	O_PROGRESS_RATE,
	O_SIGN_KEY,
	O_TEMPDIR,
	O_TIME,
	O_TIMEOUT,
	O_USE_AGENT,
	O_VERBOSITY,
	O_VERSION,
	O_VOLSIZE,
	O_SELECT,
	O_SELECT_SWITCH,
	O_NULL_SEPARATOR,
	O_METADATA_SYNC_MODE,
	O_IGNORED_ARG,
	O_IGNORED_FLAG,
	O_SELECT_OLD,
	O_SELECT_STDIN,
	O_RENAME,
	O_NAME_STYLE,
	O_NO_REMOTE_LOCK,
	O_BREAK_LOCK,
	O_LOCK_TIMEOUT,
	O_LIMIT_UPLOAD,
	O_LIMIT_DOWNLOAD,
	O_READ_DATA,
	O_READ_DATA_SUBSET,
};

static const struct opt {
	const char *name;
	enum opt_arg arg;
	enum opt_id id;
} options[] = {
	{ "allow-source-mismatch", NOARG, O_ALLOW_SOURCE_MISMATCH },
	{ "archive-dir", ARG, O_ARCHIVE_DIR },
	{ "asynchronous-upload", NOARG, O_ASYNC_UPLOAD },
	{ "backend-retry-delay", ARG, O_BACKEND_RETRY_DELAY },
	{ "break-lock", NOARG, O_BREAK_LOCK },
	{ "compare-data", NOARG, O_COMPARE_DATA },
	{ "compress-level", ARG, O_COMPRESS_LEVEL },
	{ "current-time", ARG, O_CURRENT_TIME },
	{ "dry-run", NOARG, O_DRY_RUN },
	{ "encrypt-key", ARG, O_ENCRYPT_KEY },
	{ "encrypt-sign-key", ARG, O_ENCRYPT_SIGN_KEY },
	{ "fail-on-volume", ARG, O_FAIL_ON_VOLUME },
	{ "file-prefix", ARG, O_FILE_PREFIX },
	{ "file-prefix-archive", ARG, O_FILE_PREFIX_ARCHIVE },
	{ "file-prefix-manifest", ARG, O_FILE_PREFIX_MANIFEST },
	{ "file-prefix-signature", ARG, O_FILE_PREFIX_SIGNATURE },
	{ "file-to-restore", ARG, O_FILE_TO_RESTORE },
	{ "path-to-restore", ARG, O_FILE_TO_RESTORE },
	{ "force", NOARG, O_FORCE },
	{ "full-if-older-than", ARG, O_FULL_IF_OLDER_THAN },
	{ "gpg-binary", ARG, O_GPG_BINARY },
	{ "gpg-options", ARG, O_GPG_OPTIONS },
	{ "help", NOARG, O_HELP },
	{ "hidden-encrypt-key", ARG, O_HIDDEN_ENCRYPT_KEY },
	{ "ignore-errors", NOARG, O_IGNORE_ERRORS },
	{ "json", NOARG, O_JSON },
	{ "jsonstat", NOARG, O_JSONSTAT },
	{ "limit-download", ARG, O_LIMIT_DOWNLOAD },
	{ "limit-upload", ARG, O_LIMIT_UPLOAD },
	{ "lock-timeout", ARG, O_LOCK_TIMEOUT },
	{ "log-fd", ARG, O_LOG_FD },
	{ "log-file", ARG, O_LOG_FILE },
	{ "log-timestamp", NOARG, O_LOG_TIMESTAMP },
	{ "max-blocksize", ARG, O_MAX_BLOCKSIZE },
	{ "metadata-sync-mode", ARG, O_METADATA_SYNC_MODE },
	{ "mount-cache-mb", ARG, O_MOUNT_CACHE_MB },
	{ "name", ARG, O_NAME },
	{ "no-compression", NOARG, O_NO_COMPRESSION },
	{ "no-encryption", NOARG, O_NO_ENCRYPTION },
	{ "no-files-changed", NOARG, O_NO_FILES_CHANGED },
	{ "no-print-statistics", NOARG, O_NO_PRINT_STATISTICS },
	{ "no-remote-lock", NOARG, O_NO_REMOTE_LOCK },
	{ "do-not-restore-ownership", NOARG, O_NO_RESTORE_OWNERSHIP },
	{ "no-restore-ownership", NOARG, O_NO_RESTORE_OWNERSHIP },
	{ "null-separator", NOARG, O_NULL_SEPARATOR },
	{ "num-retries", ARG, O_NUM_RETRIES },
	{ "numeric-owner", NOARG, O_NUMERIC_OWNER },
	{ "old-filenames", NOARG, O_NAME_STYLE },
	{ "progress", NOARG, O_PROGRESS },
	{ "progress-rate", ARG, O_PROGRESS_RATE },
	{ "read-data", NOARG, O_READ_DATA },
	{ "read-data-subset", ARG, O_READ_DATA_SUBSET },
	{ "rename", ARG2, O_RENAME },
	{ "restore-time", ARG, O_TIME },
	{ "time", ARG, O_TIME },
	{ "short-filenames", NOARG, O_NAME_STYLE },
	{ "sign-key", ARG, O_SIGN_KEY },
	{ "tempdir", ARG, O_TEMPDIR },
	{ "timeout", ARG, O_TIMEOUT },
	{ "use-agent", NOARG, O_USE_AGENT },
	{ "verbosity", ARG, O_VERBOSITY },
	{ "version", NOARG, O_VERSION },
	{ "volsize", ARG, O_VOLSIZE },
	/* selection, in order (select/select.c interprets them) */
	{ "include", ARG, O_SELECT },
	{ "exclude", ARG, O_SELECT },
	{ "include-regexp", ARG, O_SELECT },
	{ "exclude-regexp", ARG, O_SELECT },
	{ "include-filelist", ARG, O_SELECT },
	{ "exclude-filelist", ARG, O_SELECT },
	{ "files-from", ARG, O_SELECT },
	{ "exclude-if-present", ARG, O_SELECT },
	{ "exclude-older-than", ARG, O_SELECT },
	{ "exclude-other-filesystems", NOARG, O_SELECT_SWITCH },
	{ "exclude-device-files", NOARG, O_SELECT_SWITCH },
	{ "filter-globbing", NOARG, O_SELECT_SWITCH },
	{ "filter-ignorecase", NOARG, O_SELECT_SWITCH },
	{ "filter-literal", NOARG, O_SELECT_SWITCH },
	{ "filter-regexp", NOARG, O_SELECT_SWITCH },
	{ "filter-strictcase", NOARG, O_SELECT_SWITCH },
	/* duplicity 0.7's spellings, still sent by older front-ends */
	{ "exclude-globbing-filelist", ARG, O_SELECT_OLD },
	{ "include-globbing-filelist", ARG, O_SELECT_OLD },
	{ "exclude-filelist-stdin", NOARG, O_SELECT_STDIN },
	{ "include-filelist-stdin", NOARG, O_SELECT_STDIN },
	/* accepted for compatibility, meaningless for dupc's backends */
	{ "config-dir", ARG, O_IGNORED_ARG },
	{ "gio", NOARG, O_IGNORED_FLAG },
};

static int
push_str(char ***v, size_t *n, const char *s)
{
	char **p = realloc(*v, (*n + 2) * sizeof(*p));

	if (p == NULL)
		return -1;
	*v = p;
	p[*n] = strdup(s);
	if (p[*n] == NULL)
		return -1;
	p[++*n] = NULL;
	return 0;
}

static int
bad_value(struct dupc_err *err, const char *opt, const char *val,
    const char *want)
{
	return err_set(err, E_COMMAND_LINE,
	    "bad value '%s' for --%s: expected %s", val, opt, want);
}

static int
num_arg(const char *opt, const char *val, uint64_t lo, uint64_t hi,
    uint64_t *out, struct dupc_err *err)
{
	char want[96];

	if (parse_u64(val, out) < 0 || *out < lo || *out > hi) {
		snprintf(want, sizeof(want), "a whole number from %llu to %llu",
		    (unsigned long long)lo, (unsigned long long)hi);
		return bad_value(err, opt, val, want);
	}
	return 0;
}

/* --lock-timeout: seconds, or an interval such as 15m or 1h. */
static int
lock_timeout_arg(const char *opt, const char *val, unsigned *out,
    struct dupc_err *err)
{
	uint64_t n;
	int64_t t;

	if (parse_u64(val, &n) == 0)
		t = n > 7 * 86400 ? -1 : (int64_t)n;
	else if (dtime_interval(val, &t) < 0)
		t = -1;
	if (t < 1 || t > 7 * 86400)
		return bad_value(err, opt, val,
		    "seconds or an interval such as 15m or 2h, up to a week");
	*out = (unsigned)t;
	return 0;
}

/* --limit-upload / --limit-download KIB: a bucket of KIB KiB/s. */
static int
limit_arg(const char *opt, const char *val, struct ratelimit **rlp,
    struct dupc_err *err)
{
	uint64_t n;

	if (num_arg(opt, val, 1, UINT64_C(1) << 30, &n, err) < 0)
		return -1;
	ratelimit_free(*rlp);
	*rlp = ratelimit_new(n * 1024);
	return *rlp != NULL ? 0 : err_set(err, E_GENERIC, "out of memory");
}

/*
 * --read-data-subset: "N%" (a share of the volumes, 0 < N <= 100,
 * decimals allowed) or "K/M" (the K-th of M groups), as restic spells it.
 */
static int
subset_arg(const char *opt, const char *val, struct dupc_opts *o,
    struct dupc_err *err)
{
	const char *slash = strchr(val, '/');
	size_t n = strlen(val);
	uint64_t k, m;

	if (n > 1 && val[n - 1] == '%') {
		char num[32], *end;
		double pct;

		if (n - 1 >= sizeof(num) || strspn(val, "0123456789.") != n - 1)
			goto bad;
		memcpy(num, val, n - 1);
		num[n - 1] = '\0';
		pct = strtod(num, &end);
		if (*end != '\0' || !(pct > 0) || pct > 100)
			goto bad;
		o->check.fraction = pct / 100;
		o->check.group_m = 0;
		return 0;
	}
	if (slash != NULL && parse_u64_n(val, (size_t)(slash - val), &k) == 0 &&
	    parse_u64(slash + 1, &m) == 0 && k >= 1 && k <= m && m <= 1000000) {
		o->check.group_k = (unsigned)k;
		o->check.group_m = (unsigned)m;
		o->check.fraction = 0;
		return 0;
	}
bad:
	return bad_value(err, opt, val,
	    "a share such as 10% (more than 0, at most 100) or a group K/M such as 2/5");
}

/*
 * A backend's option (declared in its folder, found through the
 * registry): kept as a name/value pair for backend_opt_get, in
 * command-line order.
 */
static int
add_backend_opt(struct cli *c, const char *name, const char *val,
    struct dupc_err *err)
{
	struct backend_opt *p;

	p = realloc(c->beopts, (c->nbeopts + 1) * sizeof(*p));
	if (p == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	c->beopts = p;
	p[c->nbeopts].name = name;
	p[c->nbeopts].value = val;
	c->nbeopts++;
	return 0;
}

static int
apply(struct cli *c, const struct opt *op, const char *val,
    struct dupc_err *err)
{
	struct dupc_opts *o = &c->o;
	uint64_t n;

	switch (op->id) {
	case O_ALLOW_SOURCE_MISMATCH:
		o->allow_source_mismatch = true;
		break;
	case O_ARCHIVE_DIR:
		o->archive_dir = val;
		break;
	case O_ASYNC_UPLOAD:
		o->async_upload = true;
		break;
	case O_BACKEND_RETRY_DELAY: {
		char *end;
		double d = strtod(val, &end);

		if (*val == '\0' || *end != '\0' || d < 0 || d > 3600)
			return bad_value(err, op->name, val,
			    "seconds from 0 to 3600");
		o->be.retry_delay = d > 0 ? d : 1e-6;
		break;
	}
	case O_COMPARE_DATA:
		o->compare_data = true;
		break;
	case O_COMPRESS_LEVEL:
		if (num_arg(op->name, val, 1, 9, &n, err) < 0)
			return -1;
		o->compress_level = (int)n;
		break;
	case O_CURRENT_TIME:
		c->current_time_str = val;
		break;
	case O_DRY_RUN:
		o->dry_run = true;
		break;
	case O_ENCRYPT_KEY:
		if (push_str(&c->keys, &o->nencrypt_keys, val) < 0)
			goto nomem;
		break;
	case O_ENCRYPT_SIGN_KEY:
		if (push_str(&c->keys, &o->nencrypt_keys, val) < 0)
			goto nomem;
		o->sign_key = val;
		break;
	case O_FAIL_ON_VOLUME:
		if (num_arg(op->name, val, 1, 1u << 30, &n, err) < 0)
			return -1;
		o->fail_on_volume = (unsigned)n;
		break;
	case O_FILE_PREFIX:
		o->pfx.all = val;
		break;
	case O_FILE_PREFIX_ARCHIVE:
		o->pfx.archive = val;
		break;
	case O_FILE_PREFIX_MANIFEST:
		o->pfx.manifest = val;
		break;
	case O_FILE_PREFIX_SIGNATURE:
		o->pfx.signature = val;
		break;
	case O_FILE_TO_RESTORE:
		free(c->file_to_restore);
		c->file_to_restore = strdup(val);
		if (c->file_to_restore == NULL)
			goto nomem;
		break;
	case O_FORCE:
		o->force = true;
		break;
	case O_FULL_IF_OLDER_THAN:
		c->full_if_older_str = val;
		break;
	case O_GPG_BINARY:
		o->gpg_binary = val;
		break;
	case O_GPG_OPTIONS: {
		char *copy = strdup(val), *p, *save = NULL;

		if (copy == NULL)
			goto nomem;
		for (p = strtok_r(copy, " \t\n", &save); p != NULL;
		     p = strtok_r(NULL, " \t\n", &save))
			if (push_str(&c->gpgopts, &o->ngpg_options, p) < 0) {
				free(copy);
				goto nomem;
			}
		free(copy);
		break;
	}
	case O_HELP:
		c->show_help = true;
		break;
	case O_HIDDEN_ENCRYPT_KEY:
		if (push_str(&c->hidden, &o->nhidden_keys, val) < 0)
			goto nomem;
		break;
	case O_IGNORE_ERRORS:
		o->ignore_errors = true;
		break;
	case O_JSON:
		o->json = true;
		break;
	case O_JSONSTAT:
		o->jsonstat = true;
		break;
	case O_LOG_FD:
		if (num_arg(op->name, val, 0, 1u << 20, &n, err) < 0)
			return -1;
		c->log_fd = (int)n;
		break;
	case O_LOG_FILE:
		c->log_file = val;
		break;
	case O_LOG_TIMESTAMP:
		log_set_timestamp(1);
		break;
	case O_MAX_BLOCKSIZE:
		if (num_arg(op->name, val, 512, 1u << 24, &n, err) < 0)
			return -1;
		o->max_blocksize = (unsigned)n;
		break;
	case O_METADATA_SYNC_MODE:
		if (strcmp(val, "full") != 0 && strcmp(val, "partial") != 0)
			return bad_value(err, op->name, val, "full or partial");
		break;
	case O_MOUNT_CACHE_MB:
		if (num_arg(op->name, val, 1, 1u << 24, &n, err) < 0)
			return -1;
		o->mount_cache = n * 1024 * 1024;
		break;
	case O_NAME:
		o->name = val;
		break;
	case O_NO_COMPRESSION:
		o->compress = false;
		break;
	case O_NO_ENCRYPTION:
		o->encrypt = false;
		break;
	case O_NO_FILES_CHANGED:
		o->no_files_changed = true;
		break;
	case O_NO_PRINT_STATISTICS:
		o->print_statistics = false;
		break;
	case O_NO_RESTORE_OWNERSHIP:
		o->restore_ownership = false;
		break;
	case O_NULL_SEPARATOR:
		if (selection_add(c->sel, "null-separator", NULL, err) < 0)
			return -1;
		break;
	case O_NUM_RETRIES:
		if (num_arg(op->name, val, 1, 1000, &n, err) < 0)
			return -1;
		o->be.num_retries = (unsigned)n;
		break;
	case O_NUMERIC_OWNER:
		o->numeric_owner = true;
		break;
	case O_PROGRESS:
		c->progress = true;
		break;
	case O_PROGRESS_RATE:
		if (num_arg(op->name, val, 1, 3600, &n, err) < 0)
			return -1;
		c->progress_rate = (unsigned)n;
		break;
	case O_SIGN_KEY:
		o->sign_key = val;
		break;
	case O_TEMPDIR:
		o->tempdir = val;
		break;
	case O_TIME:
		c->time_str = val;
		break;
	case O_TIMEOUT:
		if (num_arg(op->name, val, 1, 86400, &n, err) < 0)
			return -1;
		o->be.timeout = (unsigned)n;
		break;
	case O_USE_AGENT:
		o->use_agent = true;
		break;
	case O_VERBOSITY: {
		int v;

		if (log_parse_verbosity(val, &v) < 0)
			return bad_value(err, op->name, val,
			    "0-9 or error, warning, notice, info, debug");
		log_set_verbosity(v);
		break;
	}
	case O_VERSION:
		c->show_version = true;
		break;
	case O_VOLSIZE:
		if (num_arg(op->name, val, 1, 1u << 20, &n, err) < 0)
			return -1;
		o->volsize = n * 1024 * 1024;
		break;
	case O_SELECT:
	case O_SELECT_SWITCH: {
		char t[32];

		if (strcmp(op->name, "exclude-older-than") == 0) {
			int64_t when;

			if (dtime_parse(val, (int64_t)time(NULL), &when, err) <
			    0)
				return -1;
			snprintf(t, sizeof(t), "%lld", (long long)when);
			val = t;
		}
		if (selection_add(c->sel, op->name, val, err) < 0)
			return -1;
		break;
	}
	case O_SELECT_OLD: {
		/* duplicity 0.7's names; the plain filelists take globs now */
		const char *now = op->name[0] == 'e' ? "exclude-filelist"
						     : "include-filelist";

		log_warn("Warning: option --%s is deprecated; use --%s",
		    op->name, now);
		if (selection_add(c->sel, now, val, err) < 0)
			return -1;
		break;
	}
	case O_SELECT_STDIN:
		if (selection_add(c->sel,
			op->name[0] == 'e' ? "exclude-filelist"
					   : "include-filelist",
			"/dev/stdin", err) < 0)
			return -1;
		break;
	case O_RENAME:
		/* two values: handled by long_option() */
		break;
	case O_BACKEND:
		return add_backend_opt(c, op->name,
		    op->arg == NOARG ? NULL : val, err);
	case O_NAME_STYLE:
		/* deprecated in duplicity 0.8 (commandline.py
		 * old_fn_deprecation); short names win over old ones there */
		log_warn(
		    "Warning: Option --%s is pending deprecation and will be removed in version 0.9.0.\nUse of default filenames is strongly suggested.",
		    op->name);
		if (op->name[1] == 'h')
			o->pfx.style = NAME_STYLE_SHORT;
		else if (o->pfx.style != NAME_STYLE_SHORT)
			o->pfx.style = NAME_STYLE_OLD;
		break;
	case O_NO_REMOTE_LOCK:
		c->no_remote_lock = true;
		break;
	case O_BREAK_LOCK:
		o->break_lock = true;
		break;
	case O_LOCK_TIMEOUT:
		return lock_timeout_arg(op->name, val, &o->lock_timeout, err);
	case O_LIMIT_UPLOAD:
		return limit_arg(op->name, val, &o->be.limit_up, err);
	case O_LIMIT_DOWNLOAD:
		return limit_arg(op->name, val, &o->be.limit_down, err);
	case O_READ_DATA:
		o->check.read_all = true;
		break;
	case O_READ_DATA_SUBSET:
		return subset_arg(op->name, val, o, err);
	case O_IGNORED_ARG:
	case O_IGNORED_FLAG:
		break;
	}
	return 0;
nomem:
	return err_set(err, E_GENERIC, "out of memory");
}

/* The backends' options, as entries of the table above (built once). */
#define BACKEND_OPTS_MAX 128
static struct opt backend_opts[BACKEND_OPTS_MAX];
static size_t nbackend_opts;

static void
load_backend_opts(void)
{
	const struct backend_option_group *g;
	const struct backend_option_spec *sp;
	size_t i;

	if (nbackend_opts > 0)
		return;
	for (i = 0; (g = backend_option_group_at(i)) != NULL; i++)
		for (sp = g->specs; sp->name != NULL; sp++) {
			if (nbackend_opts == BACKEND_OPTS_MAX)
				return;
			backend_opts[nbackend_opts].name = sp->name;
			backend_opts[nbackend_opts].arg =
			    sp->takes_value ? ARG : NOARG;
			backend_opts[nbackend_opts].id = O_BACKEND;
			nbackend_opts++;
		}
}

/* The i-th option of dupc's table followed by the backends'; NULL past. */
static const struct opt *
option_at(size_t i)
{
	size_t n = sizeof(options) / sizeof(options[0]);

	if (i < n)
		return &options[i];
	return i - n < nbackend_opts ? &backend_opts[i - n] : NULL;
}

/*
 * The option named by the ${n} bytes at ${name}: an exact name, or a
 * prefix of exactly one name (optparse and argparse accept abbreviations,
 * so front-ends and users may send them).
 */
static const struct opt *
find_option(const char *name, size_t n, struct dupc_err *err)
{
	const struct opt *hit = NULL, *o;
	char cands[256];
	size_t i, used = 0, hits = 0;

	load_backend_opts();
	for (i = 0; (o = option_at(i)) != NULL; i++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return o;
	cands[0] = '\0';
	for (i = 0; n > 0 && (o = option_at(i)) != NULL; i++) {
		if (strncmp(o->name, name, n) != 0)
			continue;
		hit = o;
		hits++;
		if (used < sizeof(cands))
			used +=
			    (size_t)snprintf(cands + used, sizeof(cands) - used,
				"%s--%s", used ? ", " : "", o->name);
	}
	if (hits == 1)
		return hit;
	if (hits > 1)
		err_set(err, E_COMMAND_LINE,
		    "ambiguous option --%.*s (could be %s); see %s --help",
		    (int)n, name, cands, cli_progname);
	else
		err_set(err, E_COMMAND_LINE,
		    "unknown option --%.*s; see %s --help", (int)n, name,
		    cli_progname);
	return NULL;
}

/* Short options: -v N, -vN, -t T, -r P, -h, -V. */
static int
short_option(struct cli *c, int argc, char **argv, int *i, struct dupc_err *err)
{
	const char *a = argv[*i];
	const char *val = a[2] ? a + 2 : NULL;
	const char *name;

	switch (a[1]) {
	case 'v':
		name = "verbosity";
		break;
	case 't':
		name = "time";
		break;
	case 'r':
		name = "file-to-restore";
		break;
	case 'h':
		c->show_help = true;
		return 0;
	case 'V':
		c->show_version = true;
		return 0;
	default:
		return err_set(err, E_COMMAND_LINE,
		    "unknown option %s; see %s --help", a, cli_progname);
	}
	if (val == NULL) {
		if (*i + 1 >= argc)
			return err_set(err, E_COMMAND_LINE,
			    "option %s needs a value", a);
		val = argv[++*i];
	}
	return apply(c, find_option(name, strlen(name), err), val, err);
}

static int
add_rename(struct cli *c, const char *from, const char *to,
    struct dupc_err *err)
{
	size_t nfrom = c->o.nrenames, nto = c->o.nrenames;

	if (push_str(&c->rename_from, &nfrom, from) < 0 ||
	    push_str(&c->rename_to, &nto, to) < 0)
		return err_set(err, E_GENERIC, "out of memory");
	c->o.nrenames = nfrom;
	return 0;
}

static int
long_option(struct cli *c, int argc, char **argv, int *i, struct dupc_err *err)
{
	const char *a = argv[*i] + 2;
	const char *eq = strchr(a, '=');
	size_t n = eq ? (size_t)(eq - a) : strlen(a);
	const struct opt *op = find_option(a, n, err);
	const char *val = eq ? eq + 1 : NULL;

	if (op == NULL)
		return -1;
	if (op->arg == NOARG) {
		if (val != NULL)
			return err_set(err, E_COMMAND_LINE,
			    "option --%s takes no value", op->name);
	} else if (op->arg == ARG2) {
		if (val != NULL || *i + 2 >= argc)
			return err_set(err, E_COMMAND_LINE,
			    "option --%s needs two values (--%s FROM TO)",
			    op->name, op->name);
		*i += 2;
		return add_rename(c, argv[*i - 1], argv[*i], err);
	} else if (val == NULL) {
		if (*i + 1 >= argc)
			return err_set(err, E_COMMAND_LINE,
			    "option --%s needs a value", op->name);
		val = argv[++*i];
	}
	return apply(c, op, val, err);
}

static void
set_defaults(struct cli *c)
{
	struct dupc_opts *o = &c->o;

	memset(c, 0, sizeof(*c));
	c->log_fd = -1;
	c->progress_rate = 3;
	o->encrypt = true;
	o->compress = true;
	o->volsize = 200ull * 1024 * 1024;
	o->max_blocksize = 2048;
	o->print_statistics = true;
	o->restore_ownership = true;
	o->mount_cache = 512ull * 1024 * 1024;
	o->pfx.all = o->pfx.manifest = o->pfx.archive = o->pfx.signature = "";
}

int
cli_parse(struct cli *c, int argc, char **argv, struct dupc_err *err)
{
	bool only_args = false, ambiguous;
	int i;

	set_defaults(c);
	c->sel = selection_new(err);
	if (c->sel == NULL)
		return -1;
	c->o.sel = c->sel;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!only_args && strcmp(a, "--") == 0) {
			only_args = true;
		} else if (!only_args && a[0] == '-' && a[1] == '-') {
			if (long_option(c, argc, argv, &i, err) < 0)
				return -1;
		} else if (!only_args && a[0] == '-' && a[1] != '\0') {
			if (short_option(c, argc, argv, &i, err) < 0)
				return -1;
		} else if (c->cmd == CMD_NONE && c->nargs == 0 &&
			   lookup_command(a, &ambiguous) != CMD_NONE) {
			c->cmd = lookup_command(a, &ambiguous);
			if ((c->cmd == CMD_REMOVE_OLDER_THAN ||
				c->cmd == CMD_REMOVE_ALL_BUT_N_FULL ||
				c->cmd == CMD_REMOVE_ALL_INC_OF_BUT_N_FULL)) {
				if (i + 1 >= argc)
					return err_set(err, E_COMMAND_LINE,
					    "%s needs an argument", a);
				c->cmd_arg = argv[++i];
			}
		} else {
			if (c->nargs == 0 && c->cmd == CMD_NONE &&
			    lookup_command(a, &ambiguous) == CMD_NONE &&
			    ambiguous)
				return err_set(err, E_COMMAND_LINE,
				    "ambiguous command '%s'; see %s --help", a,
				    cli_progname);
			if (c->nargs >= CLI_MAX_ARGS)
				return err_set(err, E_COMMAND_LINE,
				    "too many arguments; see %s --help",
				    cli_progname);
			c->args[c->nargs++] = a;
		}
	}
	c->o.encrypt_keys = (const char *const *)c->keys;
	c->o.hidden_keys = (const char *const *)c->hidden;
	c->o.gpg_options = (const char *const *)c->gpgopts;
	c->o.file_to_restore = c->file_to_restore;
	c->o.rename_from = (const char *const *)c->rename_from;
	c->o.rename_to = (const char *const *)c->rename_to;
	c->o.be.opts = c->beopts;
	c->o.be.nopts = c->nbeopts;
	return 0;
}

static void
free_strs(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void
cli_release(struct cli *c)
{
	free_strs(c->keys);
	free_strs(c->hidden);
	free_strs(c->gpgopts);
	free_strs(c->rename_from);
	free_strs(c->rename_to);
	free(c->file_to_restore);
	free(c->localdir);
	free(c->beopts);
	secret_free(c->o.passphrase);
	secret_free(c->o.sign_passphrase);
	ratelimit_free(c->o.be.limit_up);
	ratelimit_free(c->o.be.limit_down);
	selection_free(c->sel);
	memset(c, 0, sizeof(*c));
}
