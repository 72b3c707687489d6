; Struct keys: calls through key members (constant offsets, nested, offset 0
; straight from @S, scall_cond) become member trampolines S__O; arrays,
; unions, data members and volatile loads stay.  The members come from
; !scall.struct.keys (the AST half's offsets, kept for later runs).
; RUN: %opt -load-pass-plugin=%plugin -passes=scall -S %s | %FileCheck %s --check-prefixes=CHECK,%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall,scall -S %s | %FileCheck %s --check-prefixes=CHECK,%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall-convert,scall -S %s | %opt -load-pass-plugin=%plugin -passes=scall -S | %FileCheck %s --check-prefixes=CHECK,%mode

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%struct.ops = type { i32 (i32)*, i64, %struct.inner, [120 x i8], i32 (i32)*, [2 x void ()*], %union.anon }
%struct.inner = type { i64, i32 (i32)*, void (i32)* }
%union.anon = type { i32 (i32)* }

@ops = dso_local global %struct.ops zeroinitializer, align 8
@sops = internal global { i32 (i32)*, i32 (i32)* } zeroinitializer, align 8

declare void @__scall_nop()

; movq O(%r11): none at 0, disp8 below 128, disp32 from 128; .quad S+O.
; CHECK: module asm "\09.pushsection .text.__scall_tramp_ops__0,
; CHECK: module asm "\09.long 0"
; CHECK-NEXT: module asm "\09movq (%r11), %r11"
; CHECK-NEXT: module asm "\09jmpq *%r11"
; CHECK: module asm "\09.quad ops"
; CHECK: module asm "\09.pushsection .text.__scall_tramp_ops__24,
; CHECK: module asm "\09.long 0"
; CHECK-NEXT: module asm "\09.byte 0x4d, 0x8b, 0x5b, 24"
; CHECK-NEXT: module asm "\09jmpq *%r11"
; CHECK: module asm "\09.quad ops+24"
; CHECK: module asm "\09.pushsection .text.__scall_tramp_ops__160,
; CHECK: module asm "\09.long 0"
; CHECK-NEXT: module asm "\09.byte 0x4d, 0x8b, 0x9b"
; CHECK-NEXT: module asm "\09.long 160"
; CHECK-NEXT: module asm "\09jmpq *%r11"
; CHECK: module asm "\09.quad ops+160"
; CHECK: module asm "\09.pushsection .text.__scall_ctramp_ops__32,
; CHECK: module asm "\09.byte 0x4d, 0x8b, 0x5b, 32"
; CHECK-NEXT: module asm "\09testq %r11, %r11"
; CHECK: module asm "\09.quad ops+32"
; CHECK: module asm "\09.pushsection .text.__scall_tramp_sops__8.scall.[[H:[0-9a-f]+]],
; CHECK: module asm "\09.reloc ., R_X86_64_GOTPCREL, sops.scall.[[H]]-4"
; CHECK: module asm "\09.byte 0x4d, 0x8b, 0x5b, 8"
; CHECK: module asm "\09.quad sops.scall.[[H]]+8"
; CHECK: module asm "# scall-end"
; CHECK-NOT: scall-begin

; CHECK: @sops.scall.[[H]] = hidden global
; CHECK: @llvm.compiler.used = appending global {{.*}}@ops{{.*}}@sops.scall.[[H]]

; CHECK-LABEL: define i32 @f_add(
; CHECK: call i32 @__scall_tramp_ops__0(i32 %x)
; CHECK-NEXT: call void asm sideeffect ""
; CHECK-NEXT: call i32 @__scall_tramp_ops__0(i32 %r)
define i32 @f_add(i32 %x) {
  %f = load i32 (i32)*, i32 (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 0), align 8
  %r = call i32 %f(i32 %x)
  %g = load i32 (i32)*, i32 (i32)** bitcast (%struct.ops* @ops to i32 (i32)**), align 8
  %s = call i32 %g(i32 %r)
  ret i32 %s
}

; CHECK-LABEL: define i32 @f_mul(
; CHECK: call i32 @__scall_tramp_ops__24(i32 %x)
; CHECK: call i32 @__scall_tramp_ops__160(i32 %r)
define i32 @f_mul(i32 %x) {
  %f = load i32 (i32)*, i32 (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 2, i32 1), align 8
  %r = call i32 %f(i32 %x)
  %p = getelementptr inbounds %struct.ops, %struct.ops* @ops, i64 0, i32 4
  %g = load i32 (i32)*, i32 (i32)** %p, align 8
  %s = call i32 %g(i32 %r)
  ret i32 %s
}

; scall_cond after inlining: select on member == null.
; CHECK-LABEL: define void @f_hook(
; CHECK-NOT: select
; CHECK: call void @__scall_ctramp_ops__32(i32 %x)
define void @f_hook(i32 %x) {
  %h = load void (i32)*, void (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 2, i32 2), align 8
  %z = icmp eq void (i32)* %h, null
  %t = select i1 %z, void (i32)* bitcast (void ()* @__scall_nop to void (i32)*), void (i32)* %h
  call void %t(i32 %x)
  ret void
}

; Not keys: array elements, a union member, a data member, volatile.
; CHECK-LABEL: define i32 @f_not(
; CHECK-NOT: __scall_
; CHECK: ret i32
define i32 @f_not(i64 %i, i32 %x) {
  %e = getelementptr inbounds %struct.ops, %struct.ops* @ops, i64 0, i32 5, i64 %i
  %a = load void ()*, void ()** %e, align 8
  call void %a()
  %b = load void ()*, void ()** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 5, i64 1), align 8
  call void %b()
  %u = load i32 (i32)*, i32 (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 6, i32 0), align 8
  %r = call i32 %u(i32 %x)
  %d = load i32 (i32)*, i32 (i32)** bitcast (i64* getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 1) to i32 (i32)**), align 8
  %s = call i32 %d(i32 %r)
  %v = load volatile i32 (i32)*, i32 (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 4), align 8
  %t = call i32 %v(i32 %s)
  ret i32 %t
}

; A file-static struct key: hidden, renamed; the unit suffix goes last.
; CHECK-LABEL: define i32 @f_static(
; CHECK: call i32 @__scall_tramp_sops__8.scall.[[H]](i32 %x)
define i32 @f_static(i32 %x) {
  %f = load i32 (i32)*, i32 (i32)** getelementptr inbounds ({ i32 (i32)*, i32 (i32)* }, { i32 (i32)*, i32 (i32)* }* @sops, i32 0, i32 1), align 8
  %r = call i32 %f(i32 %x)
  ret i32 %r
}

; The members, kept for later runs; each trampoline's offset.
; CHECK: !scall.struct.keys = !{![[A:[0-9]+]], ![[B:[0-9]+]]}
; CHECK: !scall.tramps = !{
; TYPED: ![[A]] = !{%struct.ops* @ops, i64 200, i64 0, i64 24, i64 32, i64 160}
; OPAQUE: ![[A]] = !{ptr @ops, i64 200, i64 0, i64 24, i64 32, i64 160}
; CHECK: ![[B]] = !{{{.*}} @sops.scall.[[H]], i64 16, i64 0, i64 8}
; TYPED: = !{i32 (i32)* @__scall_tramp_ops__24, %struct.ops* @ops, i32 0, i64 24}
; OPAQUE: = !{ptr @__scall_tramp_ops__24, ptr @ops, i32 0, i64 24}
!scall.struct.keys = !{!0, !1}
!0 = !{%struct.ops* @ops, i64 200, i64 0, i64 24, i64 32, i64 160}
!1 = !{{ i32 (i32)*, i32 (i32)* }* @sops, i64 16, i64 0, i64 8}
