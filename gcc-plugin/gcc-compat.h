// SPDX-License-Identifier: MIT
//
// gcc-compat.h - every GCC header the scall plugin needs, in the order GCC
// wants them, plus the few shims for differences between GCC versions.
// Everything version-dependent lives here; scall.cc uses only the names
// defined below.
#ifndef SCALL_GCC_COMPAT_H
#define SCALL_GCC_COMPAT_H

#include "gcc-plugin.h"
#include "plugin-version.h"
#include "config.h"
#include "system.h"
#include "coretypes.h"
#include "backend.h"
#include "tree.h"
#include "gimple.h"
#include "tree-pass.h"
#include "context.h"
#include "ssa.h"
#include "cgraph.h"
#include "gimple-iterator.h"
#include "gimple-walk.h"
#include "tree-cfg.h"
#include "tree-eh.h"
#include "tree-ssa-operands.h"
#include "stringpool.h"
#include "attribs.h"
#include "diagnostic-core.h"
#include "fold-const.h"
#include "varasm.h"
#include "output.h"
#include "memmodel.h"
#include "rtl.h"
#include "emit-rtl.h"
#include "tm_p.h"
#include "target.h"
#include "toplev.h"
#include "langhooks.h"
#include "intl.h"

#if BUILDING_GCC_VERSION < 10000
#error "the scall plugin needs GCC 10 or later"
#endif

// GCC 12 renamed its sources to .cc but not these helpers; keep one name.
static inline const char *scall_decl_asm_name(tree decl)
{
	const char *n = IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(decl));
	return targetm.strip_name_encoding(n);
}

#endif
