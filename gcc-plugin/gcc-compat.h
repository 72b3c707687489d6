// SPDX-License-Identifier: MIT
//
// gcc-compat.h - every GCC header the scall plugin needs, in the order GCC
// wants them, plus the shims for differences between GCC versions.
// Everything version-dependent lives here; no other file of the plugin
// carries a version test.
//
// Tested: GCC 11 and 12.  Prepared, not tested: 13, 14, 15, from their
// documented changes (see each item); the root meson.build refuses any
// other version, and the #error below a build that bypasses it.
//  - GCC 13: gimple-fold.h needs gimple-iterator.h first (the kernel's
//    scripts/gcc-plugins/gcc-common.h, "Reorganize gimple includes for GCC
//    13").  The plugin uses no gimple-fold.h; the gimple headers below keep
//    that order should one be added.
//  - GCC 13 and later: libstdc++ headers pull in less of each other, and
//    system.h poisons identifiers (malloc, ...) that some of them use when
//    included after it; GCC's own INCLUDE_* requests (system.h, present from
//    GCC 11) have system.h include <map>, <string>, <vector> first.
//  - GCC 14: last_stmt was renamed last_nondebug_stmt (gcc-common.h); the
//    plugin calls neither.
// And for the tested GCC 11: scall_stmt_location (below).
#ifndef SCALL_GCC_COMPAT_H
#define SCALL_GCC_COMPAT_H

#define INCLUDE_MAP
#define INCLUDE_STRING
#define INCLUDE_VECTOR
#include "gcc-plugin.h"
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
#include "tree-dfa.h"
#include "cfgloop.h"
#include "tree-into-ssa.h"

#if BUILDING_GCC_VERSION < 11000 || BUILDING_GCC_VERSION >= 16000
#error "the scall plugin supports GCC 11 to 15"
#endif

// Where a statement is, for a diagnostic.  GCC 11's "lower" pass folds a
// small memset/memcpy into a plain store and leaves the new statement no
// location (GCC 12 gives it the call's); its operands keep theirs, so take
// the first one found there.
static inline tree scall_first_location(tree *tp, int *, void *data)
{
	if (EXPR_P(*tp) && EXPR_HAS_LOCATION(*tp)) {
		*static_cast<location_t *>(data) = EXPR_LOCATION(*tp);
		return *tp;
	}
	return NULL_TREE;
}
static inline location_t scall_stmt_location(gimple *stmt)
{
	location_t loc = gimple_location(stmt);
#if BUILDING_GCC_VERSION < 12000
	for (unsigned i = 0; loc == UNKNOWN_LOCATION && i < gimple_num_ops(stmt); i++)
		if (tree op = gimple_op(stmt, i))
			walk_tree(&op, scall_first_location, &loc, NULL);
#endif
	return loc;
}

#endif
