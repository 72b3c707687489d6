; -mretpoline: the trampolines jump through the shared retpoline thunk and
; their records carry SCALL_TRAMP_RETPOLINE; the registration branches
; through the PLT even with -fno-plt; -fcf-protection=branch puts endbr64
; on the constructor and destructor (called through .init_array).
; RUN: %opt -load-pass-plugin=%plugin -passes=scall -S %s | %FileCheck %s --check-prefixes=CHECK,%mode

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@key = external global void ()*, align 8
!scall.keys = !{!0}
!0 = !{void ()** @key}
!llvm.module.flags = !{!1, !2}
!1 = !{i32 7, !"RtLibUseGOT", i32 1}
!2 = !{i32 4, !"cf-protection-branch", i32 1}

declare i8* @__scall_cond_target(i8*)

define void @f() #0 {
  %k = load void ()*, void ()** @key, align 8
  call void %k()
  %p = bitcast void ()* %k to i8*
  %t = call i8* @__scall_cond_target(i8* %p)
  %c = bitcast i8* %t to void ()*
  call void %c()
  ret void
}
attributes #0 = { "target-features"="+retpoline-indirect-branches,+retpoline-indirect-calls" }

; CHECK: module asm "__scall_tramp_key:"
; CHECK: module asm "\09jmp __scall_indirect_thunk_r11"
; CHECK: module asm "\09.long 2"
; CHECK: module asm "__scall_ctramp_key:"
; CHECK: module asm "\09testq %r11, %r11"
; CHECK-NEXT: module asm "\09.byte 0x74, 0x05"
; CHECK-NEXT: module asm "\09jmp __scall_indirect_thunk_r11"
; CHECK-NEXT: module asm "\09retq"
; CHECK: module asm "\09.long 3"
; CHECK: module asm "__scall_indirect_thunk_r11:"
; CHECK: module asm "__scall_module_ctor:"
; CHECK-NEXT: module asm "\09.cfi_startproc"
; CHECK-NEXT: module asm "\09endbr64"
; CHECK-NEXT: module asm "\09leaq __scall_module(%rip), %rdi"
; CHECK-NEXT: module asm "\09jmp __scall_needs_libscall__link_with_lscall@PLT"
; CHECK: call void @__scall_tramp_key()
; CHECK: call void @__scall_ctramp_key()
