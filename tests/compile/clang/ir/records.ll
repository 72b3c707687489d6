; The emitted module assembly: records, trampolines, header; once.
; RUN: %opt -load-pass-plugin=%plugin -passes=scall -S %s | %FileCheck %s --check-prefixes=CHECK,%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall,scall,scall -S %s | %FileCheck %s --check-prefixes=CHECK,%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall -S %s | %opt -load-pass-plugin=%plugin -passes=scall -S | %FileCheck %s --check-prefixes=CHECK,%mode

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@key = dso_local global i32 (i32)* @target, align 8
@.str = private unnamed_addr constant [10 x i8] c"scall_key\00", section "llvm.metadata"
@.file = private unnamed_addr constant [4 x i8] c"t.c\00", section "llvm.metadata"
@llvm.global.annotations = appending global [1 x { i8*, i8*, i8*, i32, i8* }] [
  { i8*, i8*, i8*, i32, i8* } { i8* bitcast (i32 (i32)** @key to i8*), i8* getelementptr inbounds ([10 x i8], [10 x i8]* @.str, i32 0, i32 0), i8* getelementptr inbounds ([4 x i8], [4 x i8]* @.file, i32 0, i32 0), i32 1, i8* null }], section "llvm.metadata"

declare i32 @target(i32)

define i32 @two(i32 %x) {
  %f = load i32 (i32)*, i32 (i32)** @key, align 8
  %r = call i32 %f(i32 %x)
  %g = load i32 (i32)*, i32 (i32)** @key, align 8
  %s = call i32 %g(i32 %r)
  ret i32 %s
}

define internal i32 @one(i32 %x) {
  %f = load i32 (i32)*, i32 (i32)** @key, align 8
  %r = call i32 %f(i32 %x)
  ret i32 %r
}

define i32 (i32)* @use_one() {
  ret i32 (i32)* @one
}

; CHECK: module asm "# scall-begin"
; CHECK-NEXT: module asm "\09.pushsection .text.__scall_tramp_key,\22axG\22,@progbits,__scall_tramp_key,comdat"
; CHECK-NEXT: module asm "\09.globl __scall_tramp_key"
; CHECK-NEXT: module asm "\09.hidden __scall_tramp_key"
; CHECK-NEXT: module asm "\09.type __scall_tramp_key,@function"
; CHECK-NEXT: module asm "\09.balign 16"
; CHECK-NEXT: module asm "__scall_tramp_key:"
; CHECK-NEXT: module asm "\09.cfi_startproc"
; CHECK-NEXT: module asm "\09.byte 0x4c, 0x8b, 0x1d"
; CHECK-NEXT: module asm "\09.reloc ., R_X86_64_GOTPCREL, key-4"
; CHECK-NEXT: module asm "\09.long 0"
; CHECK-NEXT: module asm "\09movq (%r11), %r11"
; CHECK-NEXT: module asm "\09jmpq *%r11"
; CHECK-NEXT: module asm "\09.cfi_endproc"
; CHECK-NEXT: module asm "\09.size __scall_tramp_key, .-__scall_tramp_key"
; CHECK-NEXT: module asm "\09.section scall_tramps,\22awoG\22,@progbits,__scall_tramp_key,comdat,__scall_tramp_key"
; CHECK-NEXT: module asm "\09.balign 8"
; CHECK-NEXT: module asm "\09.quad key"
; CHECK-NEXT: module asm "\09.long __scall_tramp_key - ."
; CHECK-NEXT: module asm "\09.long 0"
; CHECK-NEXT: module asm "\09.popsection"
; CHECK-NEXT: module asm "\09.ifndef __scall_module"
; CHECK-NEXT: module asm "\09.pushsection scall_module,\22awG\22,@progbits,__scall_module,comdat"
; CHECK-NEXT: module asm "\09.globl __scall_module"
; CHECK-NEXT: module asm "\09.hidden __scall_module"
; CHECK-NEXT: module asm "\09.type __scall_module,@object"
; CHECK-NEXT: module asm "\09.balign 8"
; CHECK-NEXT: module asm "__scall_module:"
; CHECK-NEXT: module asm "\09.long 0x4c414353"
; CHECK-NEXT: module asm "\09.short 1"
; CHECK-NEXT: module asm "\09.short 8"
; CHECK-NEXT: module asm "\09.long 0"
; CHECK-NEXT: module asm "\09.long 64"
; CHECK-NEXT: module asm "\09.weak __start_scall_sites"
; CHECK-NEXT: module asm "\09.hidden __start_scall_sites"
; CHECK-NEXT: module asm "\09.quad __start_scall_sites"
; CHECK: module asm "\09.quad __stop_scall_tramps"
; CHECK: module asm "\09.quad __stop_scall_branches"
; CHECK-NEXT: module asm "\09.size __scall_module, 64"
; CHECK: module asm "__scall_module_ctor:"
; CHECK-NEXT: module asm "\09.cfi_startproc"
; CHECK-NEXT: module asm "\09leaq __scall_module(%rip), %rdi"
; CHECK-NEXT: module asm "\09jmp __scall_needs_libscall__link_with_lscall@PLT"
; CHECK: module asm "__scall_module_dtor:"
; CHECK-NEXT: module asm "\09.cfi_startproc"
; CHECK-NEXT: module asm "\09leaq __scall_module(%rip), %rdi"
; CHECK-NEXT: module asm "\09jmp __scall_unregister_module@PLT"
; CHECK: module asm "\09.section .init_array,\22awG\22,@init_array,__scall_module,comdat"
; CHECK: module asm "\09.quad __scall_module_ctor"
; CHECK: module asm "\09.section .fini_array,\22awG\22,@fini_array,__scall_module,comdat"
; CHECK: module asm "\09.quad __scall_module_dtor"
; CHECK-NEXT: module asm "\09.popsection"
; CHECK-NEXT: module asm "\09.endif"
; CHECK-NEXT: module asm "# scall-end"
; CHECK-NOT: scall-begin

; Site records: one kind-4 record per call, PC-relative, linked to the
; function (SHF_LINK_ORDER via !associated), kept by llvm.compiler.used.
; TYPED: @[[R2:__scall_sites.two]] = private constant [2 x { i32, i32, i32 }] [{ i32, i32, i32 } { i32 trunc (i64 sub (i64 ptrtoint (i32 (i32)* @two to i64), i64 ptrtoint ([2 x { i32, i32, i32 }]* @[[R2]] to i64)) to i32), i32 trunc (i64 sub (i64 ptrtoint (i32 (i32)* @__scall_tramp_key to i64), i64 ptrtoint (i32* getelementptr inbounds ([2 x { i32, i32, i32 }], [2 x { i32, i32, i32 }]* @[[R2]], i32 0, i32 0, i32 1) to i64)) to i32), i32 4 }, { i32, i32, i32 } { {{.*}} @two {{.*}} i32 1, i32 0) {{.*}} @__scall_tramp_key {{.*}} i32 1, i32 1) to i64)) to i32), i32 4 }], section "scall_sites", align 4, !associated ![[A2:[0-9]+]]
; OPAQUE: @[[R2:__scall_sites.two]] = private constant [2 x { i32, i32, i32 }] [{ i32, i32, i32 } { i32 trunc (i64 sub (i64 ptrtoint (ptr @two to i64), i64 ptrtoint (ptr @[[R2]] to i64)) to i32), i32 trunc (i64 sub (i64 ptrtoint (ptr @__scall_tramp_key to i64), i64 ptrtoint (ptr getelementptr inbounds ([2 x { i32, i32, i32 }], ptr @[[R2]], i32 0, i32 0, i32 1) to i64)) to i32), i32 4 }, { i32, i32, i32 } { {{.*}} @two {{.*}} i32 1, i32 0) {{.*}} @__scall_tramp_key {{.*}} i32 1, i32 1) to i64)) to i32), i32 4 }], section "scall_sites", align 4, !associated ![[A2:[0-9]+]]
; CHECK: @[[R1:__scall_sites.one]] = private constant [1 x { i32, i32, i32 }] {{.*}} @one {{.*}} @__scall_tramp_key {{.*}} i32 4 }], section "scall_sites", align 4, !associated ![[A1:[0-9]+]]
; CHECK-NOT: __scall_sites.
; TYPED: @llvm.compiler.used = appending global [3 x i8*] {{.*}}@key{{.*}}@[[R2]]{{.*}}@[[R1]]
; OPAQUE: @llvm.compiler.used = appending global [3 x ptr] {{.*}}@key{{.*}}@[[R2]]{{.*}}@[[R1]]
; TYPED: ![[A2]] = !{i32 (i32)* @two}
; OPAQUE: ![[A2]] = !{ptr @two}
; TYPED: ![[A1]] = !{i32 (i32)* @one}
; OPAQUE: ![[A1]] = !{ptr @one}
