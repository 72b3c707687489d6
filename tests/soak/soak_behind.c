/* SPDX-License-Identifier: MIT */
/*
 * Writes behind scall's back: always built without the toolchain, like a
 * library that was handed a key's address.  Its stores are neither checked
 * nor converted, so the key's sites keep their old target until
 * scall_resync() (scall.h).
 */
#include "soak.h"

#if SCALL_HAVE_PLUGIN
#error "soak_behind.c must be built without the scall plugin"
#endif

void soak_behind_write(int key, void *target)
{
	void **a;

	switch (key) {
	case K_P: a = (void **)&kp; break;
	case K_Q: a = (void **)&kq; break;
	case K_C: a = (void **)&kc; break;
	case K_OA: a = (void **)&ops.a; break;
	case K_OC: a = (void **)&ops.in.c; break;
	case K_OH: a = (void **)&ops.in.hook; break;
	case K_HX: a = (void **)&hooks.x; break;
	case K_HY: a = (void **)&hooks.y; break;
	default: a = (void **)&kr; break;
	}
	__atomic_store_n(a, target, __ATOMIC_RELEASE);
}
