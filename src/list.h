#ifndef IOVBED_LIST_H
#define IOVBED_LIST_H

#include "matrix.h"
#include "profile.h"

/* iovbed list: one line per selected case (its flavour on the profile's
 * kernel, what it does, its tags), or with --json every case with its
 * path class, flavour, tags and default/self-test status. */
int list_cases(const struct matrix *m, const struct profile *prof, int json);

#endif
