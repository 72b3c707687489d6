/* SPDX-License-Identifier: MIT */
/*
 * rnd_check.h - the site check of the random programs (tests/random).
 *
 * run.py builds a program twice: without the toolchain, where RND_CHECK does
 * nothing, and with it, with -DRND_SITECHECK and sitecheck.c linked into each
 * module, where RND_CHECK reads the module's own code at every site that
 * scall-ld --json reported and fails the process unless each holds exactly
 * the instruction docs/format.md prescribes for its key's current value.
 * Hidden, so that the executable and the shared object each check their own.
 */
#ifndef RND_CHECK_H
#define RND_CHECK_H

#ifdef RND_SITECHECK
__attribute__((visibility("hidden"))) void rnd_sitecheck(const char *where, unsigned phase);
#define RND_CHECK(where, phase) rnd_sitecheck(where, phase)
#else
#define RND_CHECK(where, phase) ((void)(where), (void)(phase))
#endif

#endif
