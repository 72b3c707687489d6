; Conversion of calls through keys, and what must stay.
; RUN: %opt -load-pass-plugin=%plugin -passes=scall -S %s | %FileCheck %s --check-prefixes=CHECK,%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall,scall -S %s | %FileCheck %s --check-prefixes=CHECK,%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall-convert,scall,scall-convert,scall -S %s | %FileCheck %s --check-prefixes=CHECK,%mode

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@key = dso_local global i32 (i32)* @target, align 8
@skey = internal global void (i32)* null, align 8
@notkey = dso_local global i32 (i32)* @target, align 8
@.str = private unnamed_addr constant [10 x i8] c"scall_key\00", section "llvm.metadata"
@.file = private unnamed_addr constant [4 x i8] c"t.c\00", section "llvm.metadata"
@llvm.global.annotations = appending global [2 x { i8*, i8*, i8*, i32, i8* }] [
  { i8*, i8*, i8*, i32, i8* } { i8* bitcast (i32 (i32)** @key to i8*), i8* getelementptr inbounds ([10 x i8], [10 x i8]* @.str, i32 0, i32 0), i8* getelementptr inbounds ([4 x i8], [4 x i8]* @.file, i32 0, i32 0), i32 1, i8* null },
  { i8*, i8*, i8*, i32, i8* } { i8* bitcast (void (i32)** @skey to i8*), i8* getelementptr inbounds ([10 x i8], [10 x i8]* @.str, i32 0, i32 0), i8* getelementptr inbounds ([4 x i8], [4 x i8]* @.file, i32 0, i32 0), i32 2, i8* null }], section "llvm.metadata"

declare i32 @target(i32)
declare void @__scall_nop()

; The key is kept: nothing in the IR reads it after conversion.
; CHECK: @llvm.compiler.used = appending global {{.*}}@skey
; CHECK-LABEL: define i32 @plain(
; CHECK-NOT: load {{.*}} @key
; CHECK: call i32 @__scall_tramp_key(i32 %x)
; CHECK: tail call i32 @__scall_tramp_key(i32 %r)
; CHECK: ret i32
define i32 @plain(i32 %x) {
  %f = load i32 (i32)*, i32 (i32)** @key, align 8
  %r = call i32 %f(i32 %x)
  %g = load i32 (i32)*, i32 (i32)** @key, align 8
  %s = tail call i32 %g(i32 %r)
  ret i32 %s
}

; A non-key indirect call stays.
; CHECK-LABEL: define i32 @nonkey(
; TYPED: %f = load i32 (i32)*, i32 (i32)** @notkey
; OPAQUE: %f = load ptr, ptr @notkey
; CHECK: call i32 %f(i32 %x)
define i32 @nonkey(i32 %x) {
  %f = load i32 (i32)*, i32 (i32)** @notkey, align 8
  %r = call i32 %f(i32 %x)
  ret i32 %r
}

; A key read that is not a call stays (scall_query-like, or compare).
; TYPED-LABEL: define i32 (i32)* @read(
; OPAQUE-LABEL: define ptr @read(
; TYPED: %f = load i32 (i32)*, i32 (i32)** @key
; OPAQUE: %f = load ptr, ptr @key
; TYPED: ret i32 (i32)* %f
; OPAQUE: ret ptr %f
define i32 (i32)* @read() {
  %f = load i32 (i32)*, i32 (i32)** @key, align 8
  ret i32 (i32)* %f
}

; The value is both compared and called: the call converts, the read stays.
; CHECK-LABEL: define i32 @both(
; TYPED: %f = load i32 (i32)*, i32 (i32)** @key
; OPAQUE: %f = load ptr, ptr @key
; TYPED: icmp eq i32 (i32)* %f, null
; OPAQUE: icmp eq ptr %f, null
; CHECK: call i32 @__scall_tramp_key(i32 %x)
define i32 @both(i32 %x) {
  %f = load i32 (i32)*, i32 (i32)** @key, align 8
  %z = icmp eq i32 (i32)* %f, null
  br i1 %z, label %no, label %yes
yes:
  %r = call i32 %f(i32 %x)
  ret i32 %r
no:
  ret i32 0
}

; A naked function is skipped.
; CHECK-LABEL: define void @naked(
; TYPED: load i32 (i32)*, i32 (i32)** @key
; OPAQUE: load ptr, ptr @key
; CHECK: call i32 %f(i32 1)
define void @naked() naked {
  %f = load i32 (i32)*, i32 (i32)** @key, align 8
  %r = call i32 %f(i32 1)
  unreachable
}

; A volatile load is not a key call.
; CHECK-LABEL: define void @vol(
; CHECK: call i32 %f(i32 1)
define void @vol() {
  %f = load volatile i32 (i32)*, i32 (i32)** @key, align 8
  %r = call i32 %f(i32 1)
  ret void
}

; scall_cond at -O0: a call of the header's __scall_cond_target.
; CHECK-LABEL: define void @cond0(
; CHECK-NOT: __scall_cond_target
; CHECK: call void @[[CT:__scall_ctramp_skey\.scall\.[0-9a-f]+]](i32 %x)
; The helper, printed right after it when kept, is gone.
; CHECK-NOT: define {{.*}}@__scall_cond_target
define void @cond0(i32 %x) {
  %k = load void (i32)*, void (i32)** @skey, align 8
  %p = bitcast void (i32)* %k to i8*
  %t = call i8* @__scall_cond_target(i8* %p)
  %f = bitcast i8* %t to void (i32)*
  call void %f(i32 %x)
  ret void
}

define internal i8* @__scall_cond_target(i8* %f) {
  %z = icmp ne i8* %f, null
  %r = select i1 %z, i8* %f, i8* bitcast (void ()* @__scall_nop to i8*)
  ret i8* %r
}

; scall_cond after inlining: a select on key == null.
; CHECK-LABEL: define void @cond2(
; CHECK-NOT: select
; CHECK: call void @[[CT]](i32 %x)
; CHECK-NOT: select
; CHECK: call void @[[CT]](i32 %x)
define void @cond2(i32 %x) {
  %k = load void (i32)*, void (i32)** @skey, align 8
  %z = icmp eq void (i32)* %k, null
  %f = select i1 %z, void (i32)* bitcast (void ()* @__scall_nop to void (i32)*), void (i32)* %k
  call void %f(i32 %x)
  %k2 = load void (i32)*, void (i32)** @skey, align 8
  %z2 = icmp ne void (i32)* %k2, null
  %f2 = select i1 %z2, void (i32)* %k2, void (i32)* bitcast (void ()* @__scall_nop to void (i32)*)
  call void %f2(i32 %x)
  ret void
}

; A select that is not the scall_cond shape stays.
; CHECK-LABEL: define void @notcond(
; CHECK: select
; CHECK: call void %f(i32 %x)
define void @notcond(i32 %x, i1 %c) {
  %k = load void (i32)*, void (i32)** @skey, align 8
  %f = select i1 %c, void (i32)* bitcast (void ()* @__scall_nop to void (i32)*), void (i32)* %k
  call void %f(i32 %x)
  ret void
}

; The helper is gone; the trampolines are hidden declarations.
; TYPED-NOT: define internal i8* @__scall_cond_target
; OPAQUE-NOT: define internal ptr @__scall_cond_target
; CHECK-DAG: declare hidden i32 @__scall_tramp_key(i32)
; CHECK-DAG: declare hidden void @[[CT]](i32)
; The key is listed for later runs.
; CHECK-DAG: !scall.keys = !{
; CHECK-DAG: !scall.tramps = !{
