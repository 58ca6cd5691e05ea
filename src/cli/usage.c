/*
 * Help texts: a short grouped overview for --help, and per-command detail
 * for "dupc help COMMAND".  The man page (docs/dupc.1) is the reference;
 * these texts stay short enough to read in a terminal.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "backend/backend.h"

static const char usage_text[] =
    "Usage:\n"
    "  @P@ [full|incremental] [options] SOURCE_DIR TARGET_URL\n"
    "  @P@ [restore] [options] SOURCE_URL TARGET_DIR\n"
    "  @P@ verify [--compare-data] [options] SOURCE_URL LOCAL_DIR\n"
    "  @P@ collection-status [options] TARGET_URL\n"
    "  @P@ list-current-files [-t TIME] [options] TARGET_URL\n"
    "  @P@ diff [options] TIME_A TIME_B TARGET_URL\n"
    "  @P@ mount [options] SOURCE_URL MOUNTPOINT\n"
    "  @P@ cleanup [--force] [options] TARGET_URL\n"
    "  @P@ remove-older-than TIME [--force] [options] TARGET_URL\n"
    "  @P@ remove-all-but-n-full COUNT [--force] [options] TARGET_URL\n"
    "  @P@ remove-all-inc-of-but-n-full COUNT [--force] [options] TARGET_URL\n"
    "  @P@ replicate [-t TIME] [options] SOURCE_URL TARGET_URL\n"
    "  @P@ check [--read-data | --read-data-subset N%|K/M] [options] TARGET_URL\n"
    "\n"
    "URLs ('@P@ help SCHEME' for each; passwords in FTP_PASSWORD, GnuPG's in\n"
    "PASSPHRASE):\n"
    "@U@"
    "\n"
    "Encryption:\n"
    "  --no-encryption          store gzip volumes instead of GnuPG ones\n"
    "  --encrypt-key KEY        encrypt to a public key (repeatable)\n"
    "  --sign-key KEY           sign volumes (SIGN_PASSPHRASE)\n"
    "Backup:\n"
    "  --full-if-older-than T   start a new chain when the last full is older\n"
    "  --volsize MB             volume size (default 200)\n"
    "  --include/--exclude ...  file selection, first match wins\n"
    "  --dry-run                show what a backup would do\n"
    "Restore:\n"
    "  -t, --time TIME          restore/verify/list at TIME (now, 3D, 2023-11-14...)\n"
    "  -r, --file-to-restore P  restore only P (file or directory)\n"
    "  --force                  overwrite on restore; delete for remove-*/cleanup\n"
    "Output:\n"
    "  -v, --verbosity LEVEL    0-9 or error/warning/notice/info/debug\n"
    "  --progress               live progress on stderr (--progress-rate SECONDS)\n"
    "  --log-fd N, --log-file F duplicity's machine-readable log\n"
    "  --json                   one JSON document on stdout (status, listing,\n"
    "                           diff, backup statistics)\n"
    "Several hosts, one target:\n"
    "  --lock-timeout T         a lock not refreshed for T is stale (default 15m)\n"
    "  --break-lock             break the target's lock; --no-remote-lock: take none\n"
    "  --limit-upload KIB       cap uploads at KIB KiB/s (--limit-download likewise)\n"
    "Other:\n"
    "  --archive-dir DIR        metadata cache (default ~/.cache/duplicity)\n"
    "  --tempdir DIR            temporary files (default $TMPDIR or /tmp)\n"
    "  --version, --help        '@P@ help COMMAND|SCHEME' for details; 'man dupc' for all\n";

/* An example URL of every scheme, as many to a line as fit in 78
 * columns, so that --help stays one screen as schemes are added. */
static void
put_examples(void)
{
	const struct backend_ops *ops;
	size_t i, col = 0, len;

	for (i = 0; (ops = backend_scheme_at(i)) != NULL; i++) {
		if (ops->example == NULL)
			continue;
		len = strlen(ops->example);
		if (col > 0 && col + 2 + len > 78) {
			putchar('\n');
			col = 0;
		}
		printf("  %s", ops->example);
		col += 2 + len;
	}
	if (col > 0)
		putchar('\n');
}

/* Write ${t} with every "@P@" replaced by the program's name and "@U@"
 * by the registered schemes' examples. */
static void
put_text(const char *t)
{
	const char *at;

	while ((at = strchr(t, '@')) != NULL) {
		fwrite(t, 1, (size_t)(at - t), stdout);
		if (strncmp(at, "@P@", 3) == 0)
			fputs(cli_progname, stdout);
		else if (strncmp(at, "@U@", 3) == 0)
			put_examples();
		else {
			fputc('@', stdout);
			t = at + 1;
			continue;
		}
		t = at + 3;
	}
	fputs(t, stdout);
}

void
cli_usage(void)
{
	put_text(usage_text);
}

static const struct {
	const char *name;
	const char *text;
} details[] = {
	{ "full",
	    "@P@ full [options] SOURCE_DIR TARGET_URL\n"
	    "  Start a new backup chain with a full backup of SOURCE_DIR.  Without a\n"
	    "  command, '@P@ SOURCE_DIR TARGET_URL' backs up incrementally when the\n"
	    "  target has a chain, else fully.\n"
	    "  Options: --volsize MB, --include/--exclude/--exclude-filelist F...,\n"
	    "  --encrypt-key KEY / --no-encryption, --progress, --dry-run.\n"
	    "  Example: @P@ full --exclude '**/.cache' /home/me file:///backups/me\n" },
	{ "incremental",
	    "@P@ incremental [options] SOURCE_DIR TARGET_URL\n"
	    "  Back up only what changed since the chain's last set (rsync deltas).\n"
	    "  Fails (exit 17) when the target has no chain to continue;\n"
	    "  --full-if-older-than TIME starts a new chain when the last is too old.\n"
	    "  An interrupted backup resumes where it stopped the next time.\n"
	    "  Example: @P@ incremental --full-if-older-than 1M /home/me file:///backups/me\n" },
	{ "restore",
	    "@P@ [restore] [options] SOURCE_URL TARGET_DIR\n"
	    "  Restore the backup at -t TIME (default: the latest) into TARGET_DIR,\n"
	    "  which must be new or empty unless --force.  -r PATH restores one file\n"
	    "  or directory (PATH relative to the backed-up directory) as TARGET_DIR.\n"
	    "  --rename FROM TO restores FROM as TO; --do-not-restore-ownership and\n"
	    "  --numeric-owner control owners.\n"
	    "  Example: @P@ restore -t 3D -r docs/report.odt file:///backups/me report.odt\n" },
	{ "verify",
	    "@P@ verify [--compare-data] [options] SOURCE_URL LOCAL_DIR\n"
	    "  Download every volume and check its hash; with --compare-data also\n"
	    "  compare type, permissions, owner, mtime, content and link targets with\n"
	    "  LOCAL_DIR.  Exit 1 when differences are found.\n"
	    "  Example: @P@ verify --compare-data file:///backups/me /home/me\n" },
	{ "collection-status",
	    "@P@ collection-status [options] TARGET_URL\n"
	    "  Show the chains, sets and leftovers on the target.  With --log-fd the\n"
	    "  record (info code 3) carries a machine-readable summary.\n" },
	{ "list-current-files",
	    "@P@ list-current-files [-t TIME] [options] TARGET_URL\n"
	    "  List the files in the backup at TIME, from the signatures only (no\n"
	    "  volume is downloaded): modification time and path, one per line.\n" },
	{ "cleanup",
	    "@P@ cleanup [--force] [options] TARGET_URL\n"
	    "  Delete leftovers of interrupted runs (list them without --force).\n"
	    "  An interrupted last set, which the next backup would resume, is\n"
	    "  deleted first, as duplicity does.\n" },
	{ "remove-older-than",
	    "@P@ remove-older-than TIME [--force] [options] TARGET_URL\n"
	    "  Delete whole chains that end before TIME (never the current chain);\n"
	    "  without --force only list what would go.\n" },
	{ "remove-all-but-n-full",
	    "@P@ remove-all-but-n-full COUNT [--force] [options] TARGET_URL\n"
	    "  Keep the COUNT newest chains, delete older ones.\n" },
	{ "remove-all-inc-of-but-n-full",
	    "@P@ remove-all-inc-of-but-n-full COUNT [--force] [options] TARGET_URL\n"
	    "  Delete the incrementals of chains older than the COUNT newest.\n" },
	{ "replicate",
	    "@P@ replicate [-t TIME] [options] SOURCE_URL TARGET_URL\n"
	    "  Copy the backup sets and signatures of SOURCE_URL older than TIME\n"
	    "  (default: all) to TARGET_URL, checking each volume against its\n"
	    "  manifest and encoding it as the options say for the target\n"
	    "  (--encrypt-key, PASSPHRASE or --no-encryption); sets the target has\n"
	    "  are skipped.\n"
	    "  Example: PASSPHRASE=... @P@ replicate file:///backups/me file:///mnt/usb/me\n" },
	{ "check",
	    "@P@ check [--read-data | --read-data-subset N%|K/M] [options] TARGET_URL\n"
	    "  Check the target without any passphrase or key: every manifest,\n"
	    "  volume and signature file of every set is there, not empty, and of\n"
	    "  the size it was stored with (read from the plain manifests and the\n"
	    "  record of stored files in the archive dir).  --read-data downloads\n"
	    "  every volume and checks it against its manifest's hash;\n"
	    "  --read-data-subset 10% a random tenth of them, 2/5 the second of five\n"
	    "  groups (all groups together cover every volume).  Where the backend\n"
	    "  reports content hashes (mf://), a volume recorded with one is checked\n"
	    "  without a download.  Each missing or damaged file is named with the\n"
	    "  backups it breaks; exit 1 when there is any.  Takes no lock.\n"
	    "  Example: @P@ check --read-data-subset 1/7 file:///backups/me\n" },
	{ "backup",
	    "@P@ backup [options] SOURCE_DIR TARGET_URL\n"
	    "  duplicity 3's spelling: incremental when the target has a chain,\n"
	    "  else full.\n" },
	{ "diff",
	    "@P@ diff [--json] [options] TIME_A TIME_B TARGET_URL\n"
	    "  What changed between two backup times (any form -t takes), from the\n"
	    "  signatures only: '+' new, '-' deleted, 'M' content changed, 'T' type\n"
	    "  changed, 'U' metadata only, one path per line, then a summary.\n"
	    "  Example: @P@ diff 2W now file:///backups/me\n" },
	{ "mount",
	    "@P@ mount [--mount-cache-mb MB] [options] SOURCE_URL MOUNTPOINT\n"
	    "  Every backup time as a read-only folder (FUSE), and 'latest'.  Listing\n"
	    "  reads only the signatures; opening a file restores just that file into\n"
	    "  a cache in --tempdir.  Stays until 'fusermount3 -u MOUNTPOINT' or\n"
	    "  Ctrl-C.\n"
	    "  Example: @P@ mount file:///backups/me /mnt/backups\n" },
};

/* The options a backend declares, one per line. */
static void
put_options(const struct backend_option_group *g)
{
	const struct backend_option_spec *sp;
	char name[64];

	printf("  Options (%s):\n", g->title);
	for (sp = g->specs; sp->name != NULL; sp++) {
		snprintf(name, sizeof(name), "--%s%s", sp->name,
		    sp->takes_value ? " X" : "");
		printf("    %-28s %s\n", name, sp->help);
	}
}

/* "help backends": every scheme with its example URL, then every
 * backend option. */
static void
put_backends(void)
{
	const struct backend_option_group *g;
	const struct backend_ops *ops;
	size_t i;

	printf("Backends (%s help SCHEME for one):\n", cli_progname);
	for (i = 0; (ops = backend_scheme_at(i)) != NULL; i++)
		if (ops->example != NULL)
			printf("  %-8s %s\n", ops->schemes[0], ops->example);
	for (i = 0; (g = backend_option_group_at(i)) != NULL; i++)
		put_options(g);
}

/* "help SCHEME": the backend's own text and options. */
static int
put_backend_help(const char *name)
{
	const struct backend_ops *ops = backend_lookup(name);

	if (ops == NULL || ops->example == NULL || ops->help == NULL)
		return -1;
	fputs(ops->help, stdout);
	if (ops->options != NULL)
		put_options(ops->options);
	return 0;
}

/* A command name, or a unique prefix of one, as on the command line; a
 * backend's scheme; or "backends". */
int
cli_help_command(const char *name)
{
	size_t i, n = strlen(name), hit = 0, hits = 0;

	if (strcmp(name, "backends") == 0) {
		put_backends();
		return 0;
	}
	if (put_backend_help(name) == 0)
		return 0;

	for (i = 0; i < sizeof(details) / sizeof(details[0]); i++) {
		if (strcmp(details[i].name, name) == 0) {
			hit = i;
			hits = 1;
			break;
		}
		if (n > 0 && strncmp(details[i].name, name, n) == 0) {
			hit = i;
			hits++;
		}
	}
	if (hits != 1) {
		fprintf(stderr, "%s: no help for '%s'; see %s --help\n",
		    cli_progname, name, cli_progname);
		return -1;
	}
	put_text(details[hit].text);
	return 0;
}
