; -fno-plt (RtLibUseGOT) branches through the GOT; the LTO pre-link run adds
; the marker that only the link-time run removes; no key call, no output.
; RUN: %opt -load-pass-plugin=%plugin -passes=scall -S %s | %FileCheck %s --check-prefixes=NOPLT,NOPLT-%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall-prelink -S %s | %FileCheck %s --check-prefixes=PRE,PRE-%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall-prelink,scall -S %s | %FileCheck %s --check-prefixes=LINK,LINK-%mode

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@key = external global void ()*, align 8
!scall.keys = !{!0}
!0 = !{void ()** @key}
!llvm.module.flags = !{!1}
!1 = !{i32 7, !"RtLibUseGOT", i32 1}

define void @f() {
  %k = load void ()*, void ()** @key, align 8
  call void %k()
  ret void
}

; NOPLT: .reloc ., R_X86_64_GOTPCREL, key-4
; NOPLT: jmp *__scall_needs_libscall__link_with_lscall@GOTPCREL(%rip)
; NOPLT: jmp *__scall_unregister_module@GOTPCREL(%rip)
; PRE-NOT: module asm
; PRE: @"__scall_lto_link_needs_the_scall_pass{{.*}}" = external hidden global i8
; PRE: call void @__scall_tramp_key()
; LINK-NOT: @"__scall_lto_link_needs
; LINK: call void @__scall_tramp_key()
