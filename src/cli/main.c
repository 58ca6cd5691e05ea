/*
 * dupc's main(): parse the command line, resolve what the engine needs
 * (times, source path as duplicity records it, hostname, passphrase), run
 * one command, and print its one error line, with the fix when the error
 * is one a user can cause.  Exit codes are duplicity's.  Run as
 * "duplicity" (the compatibility link), it answers --version as duplicity
 * 0.8.22 does, so that front-ends such as duply and deja-dup accept it.
 */
#define _DEFAULT_SOURCE
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "delta/rsync.h"
#include "engine/progress.h"
#include "engine/stats.h"
#include "format/dtime.h"
#include "format/tar.h"
#include "mount/mount.h"
#include "select/select.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/interrupt.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/path.h"
#include "util/secret.h"
#include "util/tempfile.h"
#include "util/url.h"

#ifndef DUPC_VERSION
#define DUPC_VERSION "0.1.0"
#endif

/* The duplicity release whose formats and command line dupc follows. */
#define DUPLICITY_COMPAT_VERSION "0.8.22"

/*
 * duplicity records the source as given, with "." components and
 * repeated or trailing slashes removed (path.py Path normalisation).
 */
static char *
canonical_local(const char *p)
{
	size_t n = strlen(p), o = 0, i = 0;
	char *out = malloc(n + 2);
	bool abs = p[0] == '/';

	if (out == NULL)
		return NULL;
	if (abs)
		out[o++] = '/';
	while (i < n) {
		size_t j = i;

		while (j < n && p[j] != '/')
			j++;
		if (j > i && !(j - i == 1 && p[i] == '.')) {
			if (o > 0 && out[o - 1] != '/')
				out[o++] = '/';
			memcpy(out + o, p + i, j - i);
			o += j - i;
		}
		i = j + 1;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}

static int
resolve_times(struct cli *c, struct dupc_err *err)
{
	struct dupc_opts *o = &c->o;
	uint64_t ct;

	o->now = (int64_t)time(NULL);
	if (c->current_time_str != NULL) {
		if (parse_u64(c->current_time_str, &ct) < 0 || ct > INT64_MAX)
			return err_set(err, E_COMMAND_LINE,
			    "bad value '%s' for --current-time: expected epoch seconds",
			    c->current_time_str);
		o->now = (int64_t)ct;
	}
	if (c->time_str != NULL) {
		if (dtime_parse(c->time_str, o->now, &o->time, err) < 0)
			return -1;
		o->have_time = true;
	}
	if (c->full_if_older_str != NULL) {
		int64_t t;

		if (dtime_parse(c->full_if_older_str, o->now, &t, err) < 0)
			return -1;
		o->full_if_older_than = o->now - t;
		if (o->full_if_older_than <= 0)
			o->full_if_older_than = 1;
	}
	return 0;
}

/*
 * --log-fd and --log-file take effect before anything else is parsed, so
 * that a front-end reading only the machine log (deja-dup sends stdout
 * and stderr to /dev/null) also sees a command-line error.
 */
static int
open_machine_logs(int argc, char **argv, struct dupc_err *err)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i], *v = NULL;
		uint64_t n;
		int fd;

		if (strncmp(a, "--log-fd=", 9) == 0 ||
		    strncmp(a, "--log-file=", 11) == 0)
			v = strchr(a, '=') + 1;
		else if ((strcmp(a, "--log-fd") == 0 ||
			     strcmp(a, "--log-file") == 0) &&
			 i + 1 < argc)
			v = argv[++i];
		else
			continue;
		if (a[7] == 'd') {
			/* log.py: "log-fd must be greater than zero" */
			if (parse_u64(v, &n) < 0 || n < 1 || n > 1u << 20)
				return err_set(err, E_COMMAND_LINE,
				    "bad value '%s' for --log-fd: expected an open file descriptor number from 1 up",
				    v);
			fd = (int)n;
			if (fcntl(fd, F_GETFD) < 0)
				return err_set(err, E_COMMAND_LINE,
				    "--log-fd %d is not an open file descriptor",
				    fd);
		} else {
			fd = open(v, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			    0600);
			if (fd < 0)
				return err_errno(err, E_COMMAND_LINE,
				    "cannot open --log-file %s", v);
		}
		if (log_add_machine_fd(fd) < 0)
			return err_set(err, E_COMMAND_LINE,
			    "too many --log-fd/--log-file options");
	}
	return 0;
}

static bool
is_backup(enum cmd_id cmd)
{
	return cmd == CMD_FULL || cmd == CMD_INC || cmd == CMD_BACKUP;
}

/*
 * deja-dup names local folders gio+file:///path (duplicity's gio backend);
 * dupc reads them as file:// URLs.  The archive dir keeps the name
 * duplicity derives from the URL as given, so both share one cache.
 */
static int
map_gio_url(struct cli *c, struct dupc_err *err)
{
	const char *u = c->o.url;
	char safe[1024], list[256];

	if (strncmp(u, "gio+", 4) != 0)
		return 0;
	if (strncmp(u + 4, "file://", 7) != 0)
		return err_set(err, E_BAD_URL,
		    "unsupported backend scheme '%.*s' in '%s'; dupc supports gio+file:// and %s",
		    (int)(strstr(u, "://") - u), u,
		    url_redact(u, safe, sizeof(safe)),
		    backend_schemes_line(list, sizeof(list)));
	if (c->o.name == NULL) {
		digest_hex(DIGEST_MD5, u, strlen(u), c->gio_name);
		c->o.name = c->gio_name;
	}
	c->o.url = u + 4;
	return 0;
}

/* Check positional arguments and fill url/local. */
static int
resolve_args(struct cli *c, struct dupc_err *err)
{
	struct dupc_opts *o = &c->o;
	size_t want = 2;

	if (c->cmd == CMD_NONE) {
		if (c->nargs != 2)
			return err_set(err, E_COMMAND_LINE,
			    "expected SOURCE_DIR TARGET_URL or SOURCE_URL TARGET_DIR; see %s --help",
			    cli_progname);
		c->cmd = url_looks_like(c->args[0]) ? CMD_RESTORE : CMD_BACKUP;
	}
	if (c->cmd == CMD_COLLECTION_STATUS ||
	    c->cmd == CMD_LIST_CURRENT_FILES || c->cmd == CMD_CLEANUP ||
	    c->cmd == CMD_CHECK || c->cmd == CMD_REMOVE_OLDER_THAN ||
	    c->cmd == CMD_REMOVE_ALL_BUT_N_FULL ||
	    c->cmd == CMD_REMOVE_ALL_INC_OF_BUT_N_FULL)
		want = 1;
	if (c->cmd == CMD_DIFF)
		want = 3;
	if (c->nargs != want)
		return err_set(err, E_COMMAND_LINE,
		    "wrong number of arguments (%zu, expected %zu); see %s --help",
		    c->nargs, want, cli_progname);
	if (is_backup(c->cmd)) {
		o->local = c->args[0];
		o->url = c->args[1];
		if (url_looks_like(o->local))
			return err_set(err, E_COMMAND_LINE,
			    "a backup goes from a directory to a URL; '%s' is a URL (to restore, give the URL first)",
			    o->local);
	} else if (c->cmd == CMD_REPLICATE) {
		/* duplicity replicate SOURCE_URL TARGET_URL */
		o->src_url = c->args[0];
		o->url = c->args[1];
		if (!url_looks_like(o->src_url))
			return err_set(err, E_BAD_URL,
			    "'%s' is not a URL; replicate copies from one URL to another",
			    o->src_url);
	} else if (c->cmd == CMD_DIFF) {
		o->url = c->args[2];
	} else if (want == 2) {
		o->url = c->args[0];
		o->local = c->args[1];
	} else {
		o->url = c->args[0];
	}
	if (!url_looks_like(o->url))
		return err_set(err, E_BAD_URL,
		    "'%s' is not a URL; use file:///path or another scheme of '%s help backends'",
		    o->url, cli_progname);
	return map_gio_url(c, err);
}

/*
 * The backup source or the verify target: any existing object, as
 * duplicity's process_local_dir accepts (a file, a symlink, not followed,
 * or a directory).
 */
static int
resolve_source(struct cli *c, int code, struct dupc_err *err)
{
	struct stat st;

	if (lstat(c->o.local, &st) < 0)
		return err_set(err, code, "%s %s does not exist",
		    code == E_BACKUP_DIR_DOESNT_EXIST
			? "Backup source directory"
			: "Verify directory",
		    c->o.local);
	/* rules are compiled against the root, after the last option */
	if (selection_set_root(c->sel, c->o.local, &st, err) < 0)
		return -1;
	c->localdir = canonical_local(c->o.local);
	if (c->localdir == NULL)
		return err_set(err, E_GENERIC, "out of memory");
	c->o.localdir = c->localdir;
	return 0;
}

static int
resolve_restore_path(struct cli *c, struct dupc_err *err)
{
	char *p = c->file_to_restore;
	size_t n;

	if (p == NULL)
		return 0;
	/* relative to the backup root, '/'-separated */
	while (*p == '/')
		memmove(p, p + 1, strlen(p));
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		p[--n] = '\0';
	if (!index_valid(p))
		return err_set(err, E_COMMAND_LINE,
		    "bad --file-to-restore '%s': give a path relative to the backup root",
		    c->file_to_restore);
	if (*p == '\0') {
		free(c->file_to_restore);
		c->file_to_restore = NULL;
		c->o.file_to_restore = NULL;
	}
	return 0;
}

/*
 * --rename FROM TO: both relative to the restore root ("./" components,
 * doubled and trailing slashes are dropped, as os.path.normpath does);
 * TO must stay inside the restore directory.
 */
static int
resolve_renames(struct cli *c, struct dupc_err *err)
{
	size_t i;

	for (i = 0; i < c->o.nrenames; i++) {
		char *from = canonical_local(c->rename_from[i]);
		char *to = canonical_local(c->rename_to[i]);
		bool ok = from != NULL && to != NULL && from[0] != '/' &&
			  to[0] != '/' && strcmp(from, ".") != 0;

		if (ok && strcmp(to, ".") == 0)
			to[0] = '\0';
		ok =
		    ok && index_valid(from) && (*to == '\0' || index_valid(to));
		if (from != NULL && to != NULL) {
			free(c->rename_from[i]);
			free(c->rename_to[i]);
			c->rename_from[i] = from;
			c->rename_to[i] = to;
		} else {
			free(from);
			free(to);
		}
		if (!ok)
			return err_set(err, E_COMMAND_LINE,
			    "bad --rename %s %s: give two paths relative to the backup root, without '..'",
			    c->rename_from[i], c->rename_to[i]);
	}
	return 0;
}

/*
 * Like duplicity's check_resources: a backup or restore needs room for a
 * volume and some signatures in the temporary directory (1.3 x --volsize).
 */
static int
check_temp_space(struct cli *c, struct dupc_err *err)
{
	struct statvfs sv;
	uint64_t avail, need = c->o.volsize + c->o.volsize * 3 / 10;
	char have_s[32], need_s[32];

	if (tempdir_init(c->o.tempdir, err) < 0)
		return -1;
	if (statvfs(tempdir_path(), &sv) < 0)
		return 0;
	avail = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	if (avail >= need)
		return 0;
	return err_set(err, E_NOT_ENOUGH_FREESPACE,
	    "not enough temporary space in %s: %s free, about %s needed (1.3 x --volsize); free some space, point --tempdir (or TMPDIR) at a bigger filesystem, or lower --volsize",
	    c->o.tempdir       ? c->o.tempdir
	    : getenv("TMPDIR") ? getenv("TMPDIR")
			       : "/tmp",
	    stats_bytes((int64_t)avail, have_s, sizeof(have_s)),
	    stats_bytes((int64_t)need, need_s, sizeof(need_s)));
}

/*
 * --json: one JSON document on stdout, so every log record goes to
 * stderr; only the reports have a document to print.
 */
static int
resolve_json(struct cli *c, struct dupc_err *err)
{
	if (!c->o.json)
		return 0;
	if (!is_backup(c->cmd) && c->cmd != CMD_COLLECTION_STATUS &&
	    c->cmd != CMD_LIST_CURRENT_FILES && c->cmd != CMD_DIFF)
		return err_set(err, E_COMMAND_LINE,
		    "--json is for collection-status, list-current-files, diff and backups; leave it out here");
	log_console_stderr(1);
	return 0;
}

static int
run(struct cli *c, struct dupc_err *err)
{
	struct dupc_opts *o = &c->o;
	uint64_t diffs = 0, n;
	enum backup_kind kind;

	if (gethostname(c->hostname, sizeof(c->hostname) - 1) < 0)
		c->hostname[0] = '\0';
	o->hostname = c->hostname;
	switch (c->cmd) {
	case CMD_FULL:
	case CMD_INC:
	case CMD_BACKUP:
		if (resolve_source(c, E_BACKUP_DIR_DOESNT_EXIST, err) < 0 ||
		    cli_passphrases(c, c->cmd, err) < 0 ||
		    check_temp_space(c, err) < 0)
			return -1;
		kind = c->cmd == CMD_FULL  ? BACKUP_FULL
		       : c->cmd == CMD_INC ? BACKUP_INC
					   : BACKUP_AUTO;
		return engine_backup(o, kind, err);
	case CMD_RESTORE:
		if (resolve_restore_path(c, err) < 0 ||
		    resolve_renames(c, err) < 0 ||
		    cli_passphrases(c, c->cmd, err) < 0 ||
		    check_temp_space(c, err) < 0)
			return -1;
		return engine_restore(o, err);
	case CMD_VERIFY:
		if (resolve_source(c, E_VERIFY_DIR_DOESNT_EXIST, err) < 0 ||
		    resolve_restore_path(c, err) < 0 ||
		    resolve_renames(c, err) < 0 ||
		    cli_passphrases(c, c->cmd, err) < 0)
			return -1;
		if (engine_verify(o, &diffs, err) < 0)
			return -1;
		return diffs > 0 ? err_set(err, E_GENERIC, "%s", "") : 0;
	case CMD_COLLECTION_STATUS:
		return engine_collection_status(o, err);
	case CMD_CHECK:
		/* never a passphrase: manifests in the archive dir are plain,
		 * volumes are checked as stored */
		if (engine_check(o, &diffs, err) < 0)
			return -1;
		return diffs > 0 ? err_set(err, E_GENERIC, "%s", "") : 0;
	case CMD_REPLICATE:
		if (cli_passphrases(c, c->cmd, err) < 0 ||
		    check_temp_space(c, err) < 0)
			return -1;
		return engine_replicate(o, err);
	case CMD_LIST_CURRENT_FILES:
		if (cli_passphrases(c, c->cmd, err) < 0)
			return -1;
		return engine_list_current_files(o, err);
	case CMD_CLEANUP:
		if (cli_passphrases(c, c->cmd, err) < 0)
			return -1;
		return engine_cleanup(o, err);
	case CMD_DIFF:
		if (dtime_parse(c->args[0], o->now, &o->diff_from, err) < 0 ||
		    dtime_parse(c->args[1], o->now, &o->diff_to, err) < 0 ||
		    cli_passphrases(c, c->cmd, err) < 0)
			return -1;
		return engine_diff(o, err);
	case CMD_MOUNT:
		if (cli_passphrases(c, c->cmd, err) < 0)
			return -1;
		return mount_run(o, err);
	case CMD_REMOVE_OLDER_THAN:
		if (dtime_parse(c->cmd_arg, o->now, &o->remove_time, err) < 0)
			return -1;
		return engine_remove_older_than(o, err);
	case CMD_REMOVE_ALL_BUT_N_FULL:
	case CMD_REMOVE_ALL_INC_OF_BUT_N_FULL:
		if (parse_u64(c->cmd_arg, &n) < 0 || n == 0 || n > 1000000)
			return err_set(err, E_COMMAND_LINE,
			    "bad count '%s': expected a whole number of full backups to keep (1 or more)",
			    c->cmd_arg);
		o->keep_n = (unsigned)n;
		return engine_remove_all_but_n_full(o,
		    c->cmd == CMD_REMOVE_ALL_INC_OF_BUT_N_FULL, err);
	default:
		return err_set(err, E_COMMAND_LINE, "no command; see %s --help",
		    cli_progname);
	}
}

/*
 * Does the command write or delete on the target, and so take the lock
 * there?  remove-* without --force only list; cleanup may drop an
 * interrupted set even without it (as duplicity does); a dry run writes
 * nothing.
 */
static void
set_writes(struct cli *c)
{
	enum cmd_id cmd = c->cmd;
	bool remove = cmd == CMD_REMOVE_OLDER_THAN ||
		      cmd == CMD_REMOVE_ALL_BUT_N_FULL ||
		      cmd == CMD_REMOVE_ALL_INC_OF_BUT_N_FULL;

	c->o.be.writes = is_backup(cmd) || cmd == CMD_CLEANUP || remove ||
			 cmd == CMD_REPLICATE;
	c->o.command = cli_command_name(cmd);
	c->o.remote_lock = c->o.be.writes && !c->no_remote_lock &&
			   !c->o.dry_run && !(remove && !c->o.force);
}

/* Append "; ${hint}" to the error line unless it already carries one. */
static void
add_hint(struct dupc_err *err, const char *hint)
{
	size_t n = strlen(err->msg);

	if (hint == NULL || strstr(err->msg, hint) != NULL)
		return;
	snprintf(err->msg + n, sizeof(err->msg) - n, "; %s", hint);
}

/*
 * The fix for failures the user can cause that the engine reports by
 * class rather than by cause: no network, refused credentials, a full
 * disk.  Keyed on the error code, errno and the URL's scheme, never on
 * the message text.
 */
static void
explain(const struct cli *c, struct dupc_err *err)
{
	const char *hint;

	if (err->code != E_BACKEND_NO_SPACE &&
	    (err->errnum == ENOSPC || err->errnum == EDQUOT)) {
		if (c->cmd == CMD_RESTORE)
			add_hint(err,
			    "a local disk is full: free space in the restore directory and the temporary directory (--tempdir)");
		else
			add_hint(err,
			    "a local disk is full: free space in the temporary directory (--tempdir) and the archive dir (--archive-dir)");
		return;
	}
	/* the scheme knows its own fixes (credentials, endpoints) */
	hint = c->o.url != NULL ? backend_hint(c->o.url, err) : NULL;
	if (hint != NULL) {
		add_hint(err, hint);
		return;
	}
	switch (err->code) {
	case E_CONNECTION_FAILED:
		/* a permanent one (a refused certificate, TLS missing) names
		 * its own fix */
		if (err->cls != ERR_PERMANENT)
			add_hint(err, "check the network connection");
		break;
	case E_BACKEND_PERMISSION_DENIED:
		add_hint(err, "check the permissions of the target");
		break;
	case E_BACKEND_NO_SPACE:
		add_hint(err,
		    "the target is full: free space there or back up elsewhere");
		break;
	case E_INC_WITHOUT_SIGS:
		add_hint(err, "run a full backup first");
		break;
	default:
		break;
	}
}

/* --version: dupc's own, or duplicity's line for front-ends. */
static void
print_version(void)
{
	if (strcmp(cli_progname, "duplicity") == 0)
		printf("duplicity %s\n", DUPLICITY_COMPAT_VERSION);
	else
		printf("dupc %s\n", DUPC_VERSION);
}

static const char *
base_name(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	return slash ? slash + 1 : argv0 ? argv0 : "dupc";
}

/*
 * Stopped by SIGINT or SIGTERM wherever the engine noticed it (a network
 * transfer cut short reports only that it failed): duplicity exits 4.
 */
static void
interrupted_error(const struct cli *c, struct dupc_err *err)
{
	int sig = interrupted();

	if (sig != 0 && err->code == E_NO_MANIFESTS &&
	    interrupt_reason() != NULL) {
		err_prefix(err, "%s", interrupt_reason());
		return;
	}
	if (sig == 0 || err->code == E_NO_MANIFESTS)
		return;
	if (interrupt_reason() != NULL)
		err_set(err, E_NO_MANIFESTS, "stopped: %s%s",
		    interrupt_reason(),
		    is_backup(c->cmd) ? "; run the backup again to resume"
				      : "");
	else if (is_backup(c->cmd))
		err_set(err, E_NO_MANIFESTS,
		    "interrupted by signal %d; run the backup again to resume",
		    sig);
	else if (c->cmd == CMD_RESTORE)
		err_set(err, E_NO_MANIFESTS,
		    "interrupted by signal %d; what is restored is incomplete: run the command again (with --force to overwrite)",
		    sig);
	else
		err_set(err, E_NO_MANIFESTS, "interrupted by signal %d", sig);
}

/* Print the one error line (ERROR records go to stderr) and its code. */
static int
fail(const struct cli *c, struct dupc_err *err)
{
	int code;

	progress_stop();
	if (c != NULL) {
		interrupted_error(c, err);
		explain(c, err);
	}
	code = err->code ? err->code : E_GENERIC;
	if (err->msg[0] != '\0')
		log_msg(LOG_ERROR, code, err->extra[0] ? err->extra : NULL,
		    "%s", err->msg);
	return code;
}

int
main(int argc, char **argv)
{
	struct dupc_err err;
	struct cli c;
	int rc = 0;

	err_clear(&err);
	/*
	 * glibc gives each thread that allocates an arena of its own, and
	 * what a short-lived worker (compression, encryption, a download)
	 * frees stays in its arena; it also raises its mmap threshold each
	 * time a large buffer is freed, so later large buffers come from
	 * the arenas and stay.  Two arenas and a fixed 128 KiB threshold
	 * (large buffers always mapped, and returned when freed) keep the
	 * peak memory of a run with a dozen threads near what it uses.
	 */
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	cli_take_secrets();
	if (strcmp(base_name(argv[0]), "duplicity") == 0)
		cli_progname = "duplicity";
	interrupt_install();
	tar_init_locale();
	delta_init();
	if (open_machine_logs(argc, argv, &err) < 0)
		return fail(NULL, &err);
	if (cli_parse(&c, argc, argv, &err) < 0) {
		rc = fail(NULL, &err);
		goto out;
	}
	if (c.show_version) {
		print_version();
		goto out;
	}
	if (c.show_help || c.cmd == CMD_HELP) {
		if (c.cmd == CMD_HELP && c.nargs == 1)
			rc = cli_help_command(c.args[0]) < 0 ? E_COMMAND_LINE
							     : 0;
		else
			cli_usage();
		goto out;
	}
	progress_configure(c.progress, c.progress_rate);
	if (resolve_args(&c, &err) < 0 || resolve_times(&c, &err) < 0 ||
	    resolve_json(&c, &err) < 0) {
		rc = fail(&c, &err);
		goto out;
	}
	c.o.be.password = cli_ftp_password();
	set_writes(&c);
	if (isatty(STDIN_FILENO))
		c.o.be.ask = cli_ask_secret;
	if (run(&c, &err) < 0)
		rc = fail(&c, &err);
out:
	progress_stop();
	cli_release(&c);
	cli_drop_secrets();
	log_flush();
	tempdir_cleanup();
	return rc;
}
