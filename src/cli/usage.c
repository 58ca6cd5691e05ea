/*
 * Help texts: a short grouped overview for --help, and per-command detail
 * for "dupc help COMMAND".  The man page (docs/dupc.1) is the reference.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

void
cli_usage(void)
{
	fputs(
"Usage:\n"
"  dupc [full|incremental] [options] SOURCE_DIR TARGET_URL\n"
"  dupc [restore] [options] SOURCE_URL TARGET_DIR\n"
"  dupc verify [--compare-data] [options] SOURCE_URL TARGET_DIR\n"
"  dupc collection-status [options] TARGET_URL\n"
"  dupc list-current-files [-t TIME] [options] TARGET_URL\n"
"  dupc cleanup [--force] [options] TARGET_URL\n"
"  dupc remove-older-than TIME [--force] [options] TARGET_URL\n"
"  dupc remove-all-but-n-full COUNT [--force] [options] TARGET_URL\n"
"  dupc remove-all-inc-of-but-n-full COUNT [--force] [options] TARGET_URL\n"
"\n"
"URLs: file:///path, mf://user%40example.com@mediafire.com/folder\n"
"      (MediaFire password in FTP_PASSWORD; GnuPG passphrase in PASSPHRASE)\n"
"\n"
"Common options:\n"
"  --no-encryption          store gzip volumes instead of GnuPG ones\n"
"  --encrypt-key KEY        encrypt to a public key (repeatable)\n"
"  --sign-key KEY           sign volumes (SIGN_PASSPHRASE)\n"
"  -t, --time TIME          restore/verify/list at TIME (now, 3D, 2023-11-14...)\n"
"  -r, --file-to-restore P  restore only P (file or directory)\n"
"  --full-if-older-than T   start a new chain when the last full is older\n"
"  --volsize MB             volume size (default 200)\n"
"  --archive-dir DIR        metadata cache (default ~/.cache/duplicity)\n"
"  --include/--exclude ...  file selection, first match wins\n"
"  -v, --verbosity LEVEL    0-9 or error/warning/notice/info/debug\n"
"  --force                  delete for remove-*/cleanup; overwrite on restore\n"
"  --dry-run                show what a backup would do\n"
"  --version, --help        this text; 'dupc help COMMAND' for details\n",
	    stdout);
}

static const struct {
	const char *name;
	const char *text;
} details[] = {
	{ "full",
"dupc full [options] SOURCE_DIR TARGET_URL\n"
"  Start a new backup chain with a full backup of SOURCE_DIR.\n" },
	{ "incremental",
"dupc incremental [options] SOURCE_DIR TARGET_URL\n"
"  Back up only what changed since the chain's last set (rsync deltas).\n"
"  Fails (exit 17) when the target has no chain to continue.\n" },
	{ "restore",
"dupc [restore] [options] SOURCE_URL TARGET_DIR\n"
"  Restore the backup at -t TIME (default: the latest) into TARGET_DIR,\n"
"  which must be new or empty unless --force.  -r PATH restores one file\n"
"  or directory.\n" },
	{ "verify",
"dupc verify [--compare-data] [options] SOURCE_URL LOCAL_DIR\n"
"  Check every volume's hash; with --compare-data also compare type,\n"
"  permissions, owner, mtime, content and link targets with LOCAL_DIR.\n" },
	{ "collection-status",
"dupc collection-status [options] TARGET_URL\n"
"  Show the chains, sets and leftovers on the target.\n" },
	{ "list-current-files",
"dupc list-current-files [-t TIME] [options] TARGET_URL\n"
"  List the files in the backup at TIME, from the signatures only.\n" },
	{ "cleanup",
"dupc cleanup [--force] [options] TARGET_URL\n"
"  Delete leftovers of interrupted runs (list them without --force).\n" },
	{ "remove-older-than",
"dupc remove-older-than TIME [--force] [options] TARGET_URL\n"
"  Delete whole chains that end before TIME (never the current chain).\n" },
	{ "remove-all-but-n-full",
"dupc remove-all-but-n-full COUNT [--force] [options] TARGET_URL\n"
"  Keep the COUNT newest chains, delete older ones.\n" },
	{ "remove-all-inc-of-but-n-full",
"dupc remove-all-inc-of-but-n-full COUNT [--force] [options] TARGET_URL\n"
"  Delete the incrementals of chains older than the COUNT newest.\n" },
};

int
cli_help_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(details) / sizeof(details[0]); i++) {
		if (strcmp(details[i].name, name) == 0) {
			fputs(details[i].text, stdout);
			return 0;
		}
	}
	fprintf(stderr, "dupc: no help for '%s'; see dupc --help\n", name);
	return -1;
}
