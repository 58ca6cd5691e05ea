/*
 * Credentials, as the AWS tools (and duplicity's boto3) find them: the
 * environment first (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN; for gs://, GS_ACCESS_KEY_ID and GS_SECRET_ACCESS_KEY
 * first, as duplicity's boto did), else the profile named by AWS_PROFILE
 * (default "default") in ~/.aws/credentials, then ~/.aws/config.  The
 * profile also gives the region and the endpoint (s3_location.c).  The
 * secret and the token live in wiped buffers and reach libcurl only.
 */
#define _DEFAULT_SOURCE
#include "backend/s3/s3_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/secret.h"

/* A variable as this backend sees it (backend_env); NULL when empty. */
static const char *
env(const struct backend_options *opts, const char *name)
{
	const char *v = backend_env(opts, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* ${file} (an environment setting) or ~/.aws/${base}. */
static int
aws_file(const struct backend_options *opts, char *out, size_t size,
    const char *setting, const char *base)
{
	const char *home = env(opts, "HOME");
	int n;

	if (env(opts, setting) != NULL)
		n = snprintf(out, size, "%s", env(opts, setting));
	else if (home != NULL)
		n = snprintf(out, size, "%s/.aws/%s", home, base);
	else
		return -1;
	return n > 0 && (size_t)n < size ? 0 : -1;
}

int
s3_profile_load(struct s3_profile *pr, const struct backend_options *opts,
    struct dupc_err *err)
{
	const char *name = env(opts, "AWS_PROFILE");
	char path[4096], section[300];
	bool named;

	memset(pr, 0, sizeof(*pr));
	if (name == NULL)
		name = env(opts, "AWS_DEFAULT_PROFILE");
	named = name != NULL;
	if (name == NULL)
		name = "default";
	if (strlen(name) > 200 || strpbrk(name, "[]\n") != NULL)
		return err_set(err, E_USER_ERROR,
		    "AWS_PROFILE is not a profile name");
	if (aws_file(opts, path, sizeof(path), "AWS_SHARED_CREDENTIALS_FILE",
		"credentials") == 0 &&
	    s3_ini_read(path, name, pr, err) < 0)
		goto fail;
	/* the config file names profiles "[profile x]", but "[default]" */
	if (strcmp(name, "default") == 0)
		snprintf(section, sizeof(section), "default");
	else
		snprintf(section, sizeof(section), "profile %s", name);
	if (aws_file(opts, path, sizeof(path), "AWS_CONFIG_FILE", "config") ==
		0 &&
	    s3_ini_read(path, section, pr, err) < 0)
		goto fail;
	if (named && !pr->found) {
		err_set(err, E_USER_ERROR,
		    "AWS_PROFILE names profile '%s', which is in neither ~/.aws/credentials nor ~/.aws/config (or AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE)",
		    name);
		goto fail;
	}
	return 0;
fail:
	s3_profile_release(pr);
	return -1;
}

static int
set(struct s3_creds *c, const char *ak, const char *sk, const char *tok,
    const char *source)
{
	c->access_key = strdup(ak);
	c->secret_key = secret_dup(sk);
	c->token = tok != NULL ? secret_dup(tok) : NULL;
	c->source = strdup(source);
	if (c->access_key == NULL || c->secret_key == NULL ||
	    (tok != NULL && c->token == NULL) || c->source == NULL)
		return -1;
	return 0;
}

int
s3_creds_get(struct s3_creds *c, bool gcs, const struct s3_profile *pr,
    const struct backend_options *opts, struct dupc_err *err)
{
	char source[300];
	int rc;

	memset(c, 0, sizeof(*c));
	if (gcs && env(opts, "GS_ACCESS_KEY_ID") != NULL &&
	    env(opts, "GS_SECRET_ACCESS_KEY") != NULL)
		rc = set(c, env(opts, "GS_ACCESS_KEY_ID"),
		    env(opts, "GS_SECRET_ACCESS_KEY"), NULL,
		    "GS_ACCESS_KEY_ID");
	else if (env(opts, "AWS_ACCESS_KEY_ID") != NULL &&
		 env(opts, "AWS_SECRET_ACCESS_KEY") != NULL)
		rc = set(c, env(opts, "AWS_ACCESS_KEY_ID"),
		    env(opts, "AWS_SECRET_ACCESS_KEY"),
		    env(opts, "AWS_SESSION_TOKEN"), "AWS_ACCESS_KEY_ID");
	else if (pr->access_key != NULL && pr->secret_key != NULL) {
		snprintf(source, sizeof(source), "profile '%s'",
		    env(opts, "AWS_PROFILE") ? env(opts, "AWS_PROFILE")
		    : env(opts, "AWS_DEFAULT_PROFILE")
			? env(opts, "AWS_DEFAULT_PROFILE")
			: "default");
		rc = set(c, pr->access_key, pr->secret_key, pr->session_token,
		    source);
	} else {
		return err_set(err, E_BACKEND_PERMISSION_DENIED,
		    "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give the keys in ~/.aws/credentials%s",
		    pr->other_source
			? " (dupc does not run credential processes, SSO or role logins: export the keys they give)"
			: "");
	}
	if (rc < 0) {
		s3_creds_release(c);
		return err_set(err, E_GENERIC, "out of memory");
	}
	return 0;
}

void
s3_creds_release(struct s3_creds *c)
{
	free(c->access_key);
	secret_free(c->secret_key);
	secret_free(c->token);
	free(c->source);
	memset(c, 0, sizeof(*c));
}
