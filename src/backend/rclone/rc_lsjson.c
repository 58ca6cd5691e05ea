/*
 * The output of `rclone lsjson`: a JSON array of one object per entry.  A
 * folder of ten thousand files is megabytes of it, so it is never held
 * whole: a small state machine frames one array element at a time (the
 * braces outside strings are counted, nothing else is interpreted), and
 * jansson parses each element alone, with a cap on its size.  Only Name,
 * Size and IsDir are read; rclone's other fields are passed over.
 */
#include "backend/rclone/rc_internal.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/err.h"

enum state {
	S_START, /* before '[' */
	S_FIRST, /* after '[': an element or ']' */
	S_ITEM,  /* after ',': an element */
	S_IN,    /* inside an element */
	S_AFTER, /* after an element: ',' or ']' */
	S_END,   /* after ']' */
};

struct rc_lsjson {
	rc_entry_fn *fn;
	void *arg;
	enum state st;
	char *item; /* the element being framed */
	size_t len;
	unsigned depth; /* of braces and brackets, outside strings */
	bool in_string, escape;
};

struct rc_lsjson *
rc_lsjson_new(rc_entry_fn *fn, void *arg)
{
	struct rc_lsjson *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	if ((p->item = malloc(RC_ITEM_MAX)) == NULL) {
		free(p);
		return NULL;
	}
	p->fn = fn;
	p->arg = arg;
	return p;
}

void
rc_lsjson_free(struct rc_lsjson *p)
{
	if (p == NULL)
		return;
	free(p->item);
	free(p);
}

static int
bad(struct dupc_err *err, const char *why)
{
	return err_class_set(err, ERR_PERMANENT, E_BACKEND_ERROR,
	    "bad listing from rclone: %s", why);
}

/* One whole element: parse it and hand it over. */
static int
item_done(struct rc_lsjson *p, struct dupc_err *err)
{
	json_error_t jerr;
	json_t *o, *name, *size, *dir;
	json_int_t sz = 0;
	int rc = -1;

	o = json_loadb(p->item, p->len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL)
		return bad(err, "an entry is not JSON");
	name = json_object_get(o, "Name");
	size = json_object_get(o, "Size");
	dir = json_object_get(o, "IsDir");
	if (!json_is_object(o) || !json_is_string(name) ||
	    (size != NULL && !json_is_integer(size)) ||
	    (dir != NULL && !json_is_boolean(dir))) {
		bad(err,
		    "an entry without a Name, or with a bad Size or IsDir");
		goto out;
	}
	if (strlen(json_string_value(name)) != json_string_length(name)) {
		bad(err, "a name with a NUL byte");
		goto out;
	}
	if (size != NULL)
		sz = json_integer_value(size);
	/* rclone says -1 when the remote does not know */
	rc = p->fn(json_string_value(name), sz > 0 ? (uint64_t)sz : 0,
		 json_is_true(dir), p->arg, err) != 0
		 ? -1
		 : 0;
out:
	json_decref(o);
	return rc;
}

/* Frame one byte of an element. */
static int
frame(struct rc_lsjson *p, char c, struct dupc_err *err)
{
	if (p->len == RC_ITEM_MAX)
		return bad(err, "an entry longer than 64 KiB");
	p->item[p->len++] = c;
	if (p->in_string) {
		if (p->escape)
			p->escape = false;
		else if (c == '\\')
			p->escape = true;
		else if (c == '"')
			p->in_string = false;
		return 0;
	}
	if (c == '"') {
		p->in_string = true;
	} else if (c == '{' || c == '[') {
		p->depth++;
	} else if (c == '}' || c == ']') {
		if (--p->depth == 0) {
			p->st = S_AFTER;
			return item_done(p, err);
		}
	}
	return 0;
}

static bool
space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
step(struct rc_lsjson *p, char c, struct dupc_err *err)
{
	switch (p->st) {
	case S_START:
		if (c == '[')
			p->st = S_FIRST;
		else if (!space(c))
			return bad(err, "not a JSON array");
		return 0;
	case S_FIRST:
	case S_ITEM:
		if (space(c))
			return 0;
		if (c == ']' && p->st == S_FIRST) {
			p->st = S_END;
			return 0;
		}
		if (c != '{')
			return bad(err, "an entry that is not an object");
		p->st = S_IN;
		p->len = 0;
		p->depth = 0;
		p->in_string = p->escape = false;
		return frame(p, c, err);
	case S_IN:
		return frame(p, c, err);
	case S_AFTER:
		if (c == ',')
			p->st = S_ITEM;
		else if (c == ']')
			p->st = S_END;
		else if (!space(c))
			return bad(err, "junk between entries");
		return 0;
	case S_END:
		if (!space(c))
			return bad(err, "junk after the array");
		return 0;
	}
	return 0;
}

int
rc_lsjson_feed(struct rc_lsjson *p, const char *data, size_t n,
    struct dupc_err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (step(p, data[i], err) < 0)
			return -1;
	return 0;
}

int
rc_lsjson_finish(struct rc_lsjson *p, struct dupc_err *err)
{
	if (p->st != S_END)
		return bad(err, "the array is cut short");
	return 0;
}
