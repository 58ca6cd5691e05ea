#ifndef DUPC_ENGINE_STATUS_H
#define DUPC_ENGINE_STATUS_H

/* Collection reporting shared by the commands. */

#include <stdbool.h>

struct session;

/* status_print(s, force): the collection-status block (level 8 unless
 * ${force}, as duplicity logs it at the start of every run). */
void status_print(const struct session *, bool);

/* status_warn(s): duplicity's warnings about orphans and leftovers. */
void status_warn(const struct session *);

#endif
