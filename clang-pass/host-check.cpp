// SPDX-License-Identifier: MIT
//
// host-check.cpp - refuse to run inside a compiler of another LLVM version.
//
// LLVM's C++ API changes with every major version, and the plugin interfaces
// carry no version of their own (LLVM_PLUGIN_API_VERSION has been 1 since
// LLVM 9): clang-14 loading an object built for LLVM 16 registers its AST
// plugin and calls its pass callback with the wrong class layouts, and
// crashes.  So before any other initializer of this object runs (priority
// 101), look at the LLVM libraries the process has loaded: the host's, and
// the one this object needs (the AST half links libclang-cpp, which pulls in
// its libLLVM).  One of another major version is the host's: say so, naming
// both, and stop before anything is registered.  (A host with LLVM linked in
// statically loads none; it cannot load this object either way, since that
// would be a second LLVM.)

#include "llvm-compat.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <link.h>
#include <unistd.h>

namespace {

// The major version in the file name of an LLVM shared library, as Debian
// (libLLVM-16.so.1), upstream since 18 (libLLVM.so.18.1) and libclang-cpp
// (libclang-cpp.so.16) name them; 0 for any other file.
unsigned llvmMajorOf(const char *Path)
{
	const char *Base = strrchr(Path, '/');
	Base = Base ? Base + 1 : Path;
	for (const char *Prefix : {"libLLVM-", "libLLVM.so.", "libclang-cpp.so."}) {
		size_t N = strlen(Prefix);
		if (strncmp(Base, Prefix, N) == 0 && Base[N] >= '1' && Base[N] <= '9')
			return (unsigned)strtoul(Base + N, nullptr, 10);
	}
	return 0;
}

int findOther(struct dl_phdr_info *Info, size_t, void *Data)
{
	unsigned Major = Info->dlpi_name ? llvmMajorOf(Info->dlpi_name) : 0;
	if (Major && Major != scall_compat::LLVMMajor) {
		*static_cast<unsigned *>(Data) = Major;
		return 1;
	}
	return 0;
}

__attribute__((constructor(101))) void checkHost()
{
	unsigned Host = 0;
	dl_iterate_phdr(findOther, &Host);
	if (!Host)
		return;
	fprintf(stderr,
		"error: scall-clang.so was built for LLVM %u and cannot run in this "
		"compiler, which is LLVM %u: use a scall-clang.so built for LLVM %u "
		"(meson native file: [binaries] llvm-config = 'llvm-config-%u'), or "
		"clang-%u, opt-%u and ld.lld-%u with this one\n",
		scall_compat::LLVMMajor, Host, Host, Host, scall_compat::LLVMMajor,
		scall_compat::LLVMMajor, scall_compat::LLVMMajor);
	fflush(stderr);
	// A constructor cannot fail the dlopen, and returning would let the
	// registrations that follow run against the wrong LLVM.  _exit, not
	// exit: the static destructors of two LLVMs in one process crash.
	_exit(1);
}

} // namespace
