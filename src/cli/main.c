/*
 * dupc's main(): parse the command line, resolve what the engine needs
 * (times, source path as duplicity records it, hostname, passphrase), run
 * one command, and print its one error line.  Exit codes are duplicity's.
 */
#define _DEFAULT_SOURCE
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "delta/rsync.h"
#include "format/dtime.h"
#include "format/tar.h"
#include "select/select.h"
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

static int
setup_logging(struct cli *c, struct dupc_err *err)
{
	if (c->log_fd >= 0) {
		if (fcntl(c->log_fd, F_GETFD) < 0)
			return err_set(err, E_COMMAND_LINE,
			    "--log-fd %d is not an open file descriptor",
			    c->log_fd);
		log_set_machine_fd(c->log_fd);
	}
	if (c->log_file != NULL) {
		int fd = open(c->log_file,
		    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		if (fd < 0)
			return err_errno(err, E_COMMAND_LINE,
			    "cannot open --log-file %s", c->log_file);
		log_set_machine_fd(fd);
	}
	return 0;
}

static bool
is_backup(enum cmd_id cmd)
{
	return cmd == CMD_FULL || cmd == CMD_INC || cmd == CMD_BACKUP;
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
			    "expected SOURCE_DIR TARGET_URL or SOURCE_URL TARGET_DIR; see dupc --help");
		c->cmd = url_looks_like(c->args[0]) ? CMD_RESTORE : CMD_BACKUP;
	}
	if (c->cmd == CMD_COLLECTION_STATUS || c->cmd == CMD_LIST_CURRENT_FILES ||
	    c->cmd == CMD_CLEANUP || c->cmd == CMD_REMOVE_OLDER_THAN ||
	    c->cmd == CMD_REMOVE_ALL_BUT_N_FULL ||
	    c->cmd == CMD_REMOVE_ALL_INC_OF_BUT_N_FULL)
		want = 1;
	if (c->nargs != want)
		return err_set(err, E_COMMAND_LINE,
		    "wrong number of arguments (%zu, expected %zu); see dupc help",
		    c->nargs, want);
	if (is_backup(c->cmd)) {
		o->local = c->args[0];
		o->url = c->args[1];
		if (url_looks_like(o->local))
			return err_set(err, E_COMMAND_LINE,
			    "a backup goes from a directory to a URL; '%s' is a URL (to restore, give the URL first)",
			    o->local);
	} else if (want == 2) {
		o->url = c->args[0];
		o->local = c->args[1];
	} else {
		o->url = c->args[0];
	}
	if (!url_looks_like(o->url))
		return err_set(err, E_BAD_URL,
		    "'%s' is not a URL; use file:///path or mf://user%%40example.com@mediafire.com/folder",
		    o->url);
	return 0;
}

static int
resolve_source(struct cli *c, int code, struct dupc_err *err)
{
	struct stat st;

	if (stat(c->o.local, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, code,
		    "%s directory %s does not exist or is not a directory",
		    code == E_BACKUP_DIR_DOESNT_EXIST ? "Backup source"
						      : "Verify",
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
		    cli_passphrases(c, c->cmd, err) < 0)
			return -1;
		kind = c->cmd == CMD_FULL ? BACKUP_FULL
		    : c->cmd == CMD_INC	  ? BACKUP_INC
					  : BACKUP_AUTO;
		return engine_backup(o, kind, err);
	case CMD_RESTORE:
		if (resolve_restore_path(c, err) < 0 ||
		    cli_passphrases(c, c->cmd, err) < 0)
			return -1;
		return engine_restore(o, err);
	case CMD_VERIFY:
		if (resolve_source(c, E_VERIFY_DIR_DOESNT_EXIST, err) < 0 ||
		    resolve_restore_path(c, err) < 0 ||
		    cli_passphrases(c, c->cmd, err) < 0)
			return -1;
		if (engine_verify(o, &diffs, err) < 0)
			return -1;
		return diffs > 0 ? err_set(err, E_GENERIC, "%s", "") : 0;
	case CMD_COLLECTION_STATUS:
		return engine_collection_status(o, err);
	case CMD_LIST_CURRENT_FILES:
		if (cli_passphrases(c, c->cmd, err) < 0)
			return -1;
		return engine_list_current_files(o, err);
	case CMD_CLEANUP:
		if (cli_passphrases(c, c->cmd, err) < 0)
			return -1;
		return engine_cleanup(o, err);
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
		return err_set(err, E_COMMAND_LINE, "no command; see dupc --help");
	}
}

int
main(int argc, char **argv)
{
	struct dupc_err err;
	struct cli c;
	int rc;

	err_clear(&err);
	cli_take_secrets();
	interrupt_install();
	tar_init_locale();
	delta_init();
	if (cli_parse(&c, argc, argv, &err) < 0)
		goto fail;
	if (c.show_version) {
		printf("dupc %s\n", DUPC_VERSION);
		cli_release(&c);
		return 0;
	}
	if (c.show_help || c.cmd == CMD_HELP) {
		if (c.cmd == CMD_HELP && c.nargs == 1) {
			rc = cli_help_command(c.args[0]);
			cli_release(&c);
			return rc < 0 ? E_COMMAND_LINE : 0;
		}
		cli_usage();
		cli_release(&c);
		return 0;
	}
	if (setup_logging(&c, &err) < 0 || resolve_args(&c, &err) < 0 ||
	    resolve_times(&c, &err) < 0)
		goto fail;
	c.o.be.password = cli_ftp_password();
	c.o.be.interactive = isatty(STDIN_FILENO);
	if (run(&c, &err) < 0)
		goto fail;
	cli_release(&c);
	cli_drop_secrets();
	log_flush();
	tempdir_cleanup();
	return 0;
fail:
	if (err.msg[0] != '\0')
		log_msg(LOG_ERROR, err.code ? err.code : E_GENERIC, NULL, "%s",
		    err.msg);
	cli_release(&c);
	cli_drop_secrets();
	log_flush();
	tempdir_cleanup();
	return err.code ? err.code : E_GENERIC;
}
