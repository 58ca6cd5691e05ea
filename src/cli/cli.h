#ifndef DUPC_CLI_CLI_H
#define DUPC_CLI_CLI_H

/*
 * The command line: duplicity's commands and options (commandline.py),
 * parsed into engine options.  Only this folder prints errors.
 */

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"
#include "util/digest.h"

struct dupc_err;

enum cmd_id {
	CMD_NONE,
	CMD_FULL,
	CMD_INC,
	CMD_BACKUP, /* 3.x "backup": incremental when possible */
	CMD_RESTORE,
	CMD_VERIFY,
	CMD_COLLECTION_STATUS,
	CMD_LIST_CURRENT_FILES,
	CMD_CLEANUP,
	CMD_REMOVE_OLDER_THAN,
	CMD_REMOVE_ALL_BUT_N_FULL,
	CMD_REMOVE_ALL_INC_OF_BUT_N_FULL,
	CMD_REPLICATE,
	CMD_CHECK,
	CMD_DIFF,  /* diff TIME_A TIME_B URL */
	CMD_MOUNT, /* mount URL MOUNTPOINT */
	CMD_HELP,
};

#define CLI_MAX_ARGS 8

struct cli {
	enum cmd_id cmd;
	const char *cmd_arg; /* TIME or COUNT of remove-* */
	const char *args[CLI_MAX_ARGS];
	size_t nargs;
	struct dupc_opts o;
	/* collected before the engine options can be resolved */
	const char *time_str;
	const char *full_if_older_str;
	const char *current_time_str;
	const char *log_file;
	int log_fd;
	bool show_version;
	bool show_help;
	const char *help_topic;
	bool progress;
	unsigned progress_rate; /* seconds between progress reports */
	bool no_remote_lock;    /* --no-remote-lock */
	/* owned storage behind the const arrays in o */
	char **keys, **hidden, **gpgopts;
	char **rename_from, **rename_to;
	char *file_to_restore;
	char *localdir;
	struct backend_opt *beopts; /* backends' options, in order */
	size_t nbeopts;
	char gio_name[DIGEST_HEX_MAX]; /* --name from a gio+file:// URL */
	char hostname[256];
	struct selection *sel;
};

/*
 * The name the program was run as, for messages: "dupc", or "duplicity"
 * when run through the compatibility link (set by main()).
 */
extern const char *cli_progname;

/*
 * cli_parse(c, argc, argv, err):
 * Parse arguments into ${c}; E_COMMAND_LINE with a message naming the
 * argument and the fix on anything wrong.
 */
int cli_parse(struct cli *, int, char **, struct dupc_err *);

/* cli_command_name(id): the command's word ("backup", "cleanup"). */
const char *cli_command_name(enum cmd_id);

/* cli_release(c): free what cli_parse allocated (secrets wiped). */
void cli_release(struct cli *);

/*
 * cli_passphrases(c, cmd, err):
 * Find the GnuPG passphrases ${cmd} needs (environment, else a terminal
 * prompt), before anything touches the target.  E_GPG_FAILED when one is
 * needed and none can be had.
 */
int cli_passphrases(struct cli *, enum cmd_id, struct dupc_err *);

/*
 * cli_take_secrets(): move PASSPHRASE, SIGN_PASSPHRASE and FTP_PASSWORD
 * out of the environment (so no child process inherits them) into wiped
 * memory; cli_ftp_password() returns the last (borrowed);
 * cli_drop_secrets() wipes them.
 */
void cli_take_secrets(void);
const char *cli_ftp_password(void);
void cli_drop_secrets(void);

/*
 * cli_ask_secret(arg, prompt):
 * A backend's question for a password or a key's passphrase, asked on the
 * terminal without echo (a backend_ask_fn; ${arg} unused).  Returns a
 * secret string, or NULL.
 */
char *cli_ask_secret(void *, const char *);

/* cli_usage(f): the short grouped --help text. */
void cli_usage(void);

/* cli_help_command(name): detailed help for one command; -1 if unknown. */
int cli_help_command(const char *);

#endif
