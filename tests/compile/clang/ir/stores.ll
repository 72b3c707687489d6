; Store conversion (-fplugin-arg-scall-convert-stores; here
; !scall.convert.stores): each burst of stores, memcpy/memset or sret calls
; writing a key, or key-holding bytes of a struct key, is followed by
; __scall_stored(&key, sizeof key) (bursts.ll: what ends a burst, several
; keys); data members are plain stores.  Only once: a second run (or the
; pipeline's last run) adds nothing.
; RUN: %opt -load-pass-plugin=%plugin -passes=scall-convert -S %s | %FileCheck %s --check-prefixes=CHECK,%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall-convert,scall-convert,scall -S %s | %FileCheck %s --check-prefixes=CHECK,%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall-convert -S %s | %opt -load-pass-plugin=%plugin -passes=scall-convert,scall -S | %FileCheck %s --check-prefixes=CHECK,%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall-convert -S %s | %opt -O2 -S | %opt -load-pass-plugin=%plugin -passes=scall-auto -S | %FileCheck %s --check-prefixes=O2,O2-%mode
; Without the request: no conversion (the AST half made such stores errors).
; RUN: sed /scall.convert.stores/d %s | %opt -load-pass-plugin=%plugin -passes=scall -S | %FileCheck %s --check-prefixes=OFF,OFF-%mode

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%struct.ops = type { i32 (i32)*, i64, %struct.inner, [120 x i8], i32 (i32)*, [2 x void ()*], %union.anon }
%struct.inner = type { i64, i32 (i32)*, void (i32)* }
%union.anon = type { i32 (i32)* }

@ops = dso_local global %struct.ops zeroinitializer, align 8
@k = dso_local global i32 (i32)* null, align 8
@.str = private unnamed_addr constant [10 x i8] c"scall_key\00", section "llvm.metadata"
@.file = private unnamed_addr constant [4 x i8] c"t.c\00", section "llvm.metadata"
@llvm.global.annotations = appending global [1 x { i8*, i8*, i8*, i32, i8* }] [
  { i8*, i8*, i8*, i32, i8* } { i8* bitcast (i32 (i32)** @k to i8*), i8* getelementptr inbounds ([10 x i8], [10 x i8]* @.str, i32 0, i32 0), i8* getelementptr inbounds ([4 x i8], [4 x i8]* @.file, i32 0, i32 0), i32 1, i8* null }], section "llvm.metadata"

declare void @llvm.memcpy.p0i8.p0i8.i64(i8* noalias nocapture writeonly, i8* noalias nocapture readonly, i64, i1 immarg)
declare void @llvm.memset.p0i8.i64(i8* nocapture writeonly, i8, i64, i1 immarg)
declare i8* @memcpy(i8*, i8*, i64)
declare void @mk(%struct.ops* sret(%struct.ops) align 8)

; CHECK-LABEL: define void @plain(
; TYPED-NEXT: store i32 (i32)* %f, i32 (i32)** @k
; OPAQUE-NEXT: store ptr %f, ptr @k
; TYPED-NEXT: store atomic i64 %i, i64* bitcast (i32 (i32)** @k to i64*) release
; OPAQUE-NEXT: store atomic i64 %i, ptr @k release
; TYPED-NEXT: call i8* @memcpy(
; OPAQUE-NEXT: call ptr @memcpy(
; TYPED-NEXT: call i32 @__scall_stored(i8* bitcast (i32 (i32)** @k to i8*), i64 8)
; OPAQUE-NEXT: call i32 @__scall_stored(ptr @k, i64 8)
; CHECK-NEXT: ret void
; O2-LABEL: define void @plain(
; O2-TYPED: call i32 @__scall_stored(i8* {{(nonnull )?}}bitcast (i32 (i32)** @k to i8*), i64 8)
; O2-OPAQUE: call i32 @__scall_stored(ptr {{(nonnull )?}}@k, i64 8)
; O2-NOT: __scall_stored
; O2: ret void
; OFF-LABEL: define void @plain(
; OFF-NOT: __scall_stored
; OFF: ret void
define void @plain(i32 (i32)* %f, i64 %i, i8* %src) {
  store i32 (i32)* %f, i32 (i32)** @k, align 8
  store atomic i64 %i, i64* bitcast (i32 (i32)** @k to i64*) release, align 8
  call i8* @memcpy(i8* bitcast (i32 (i32)** @k to i8*), i8* %src, i64 8)
  ret void
}

; Members, nested structs, whole-struct copies, memset, atomic, sret (a
; data member's plain store between them does not end the burst): one call
; after the last, over the whole struct key (200 bytes).
; CHECK-LABEL: define void @members(
; TYPED-NEXT: store i32 (i32)* %f, i32 (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 2, i32 1)
; OPAQUE-NEXT: store ptr %f, ptr getelementptr inbounds (%struct.ops, ptr @ops, i32 0, i32 2, i32 1)
; TYPED-NEXT: store i64 3, i64* getelementptr
; OPAQUE-NEXT: store i64 3, ptr getelementptr
; TYPED-NEXT: call void @llvm.memcpy.p0i8.p0i8.i64(i8* align 8 bitcast (%struct.ops* @ops to i8*)
; OPAQUE-NEXT: call void @llvm.memcpy.p0.p0.i64(ptr align 8 @ops,
; TYPED-NEXT: call void @llvm.memset.p0i8.i64(
; OPAQUE-NEXT: call void @llvm.memset.p0.i64(
; CHECK-NEXT: store atomic i64 %i,
; TYPED-NEXT: call void @llvm.memcpy.p0i8.p0i8.i64(i8* align 8 bitcast (%struct.inner* getelementptr
; OPAQUE-NEXT: call void @llvm.memcpy.p0.p0.i64(ptr align 8 getelementptr
; CHECK-NEXT: call void @mk(
; TYPED-NEXT: call i32 @__scall_stored(i8* bitcast (%struct.ops* @ops to i8*), i64 200)
; OPAQUE-NEXT: call i32 @__scall_stored(ptr @ops, i64 200)
; CHECK-NEXT: ret void
; OFF-LABEL: define void @members(
; OFF-NOT: __scall_stored
; OFF: ret void
define void @members(i32 (i32)* %f, i8* %src, i64 %i) {
  store i32 (i32)* %f, i32 (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 2, i32 1), align 8
  store i64 3, i64* getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 1), align 8
  call void @llvm.memcpy.p0i8.p0i8.i64(i8* align 8 bitcast (%struct.ops* @ops to i8*), i8* align 8 %src, i64 200, i1 false)
  call void @llvm.memset.p0i8.i64(i8* align 8 bitcast (%struct.ops* @ops to i8*), i8 0, i64 200, i1 false)
  store atomic i64 %i, i64* bitcast (i32 (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 4) to i64*) release, align 8
  call void @llvm.memcpy.p0i8.p0i8.i64(i8* align 8 bitcast (%struct.inner* getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 2) to i8*), i8* align 8 %src, i64 24, i1 false)
  call void @mk(%struct.ops* sret(%struct.ops) align 8 @ops)
  ret void
}

; Not key bytes: data members, the padding array, the function-pointer
; array (also at a variable index), the union.
; CHECK-LABEL: define void @data(
; CHECK-NOT: __scall_stored
; CHECK: ret void
define void @data(i64 %x, i64 %n, void ()* %g, i32 (i32)* %f) {
  store i64 %x, i64* getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 1), align 8
  store i64 %x, i64* getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 2, i32 0), align 8
  %p = getelementptr inbounds %struct.ops, %struct.ops* @ops, i64 0, i32 3, i64 %n
  store i8 0, i8* %p, align 1
  %t = getelementptr inbounds [2 x void ()*], [2 x void ()*]* getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 5), i64 0, i64 %n
  store void ()* %g, void ()** %t, align 8
  store i32 (i32)* %f, i32 (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 6, i32 0), align 8
  call void @llvm.memset.p0i8.i64(i8* align 8 getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 3, i64 0), i8 0, i64 120, i1 false)
  ret void
}

; Unbounded: an unknown offset into the struct key is converted.
; CHECK-LABEL: define void @unknown(
; CHECK-NEXT: %p = getelementptr
; TYPED-NEXT: store i64 0, i64* %p
; OPAQUE-NEXT: store i64 0, ptr %p
; TYPED-NEXT: call i32 @__scall_stored(i8* bitcast (%struct.ops* @ops to i8*), i64 200)
; OPAQUE-NEXT: call i32 @__scall_stored(ptr @ops, i64 200)
define void @unknown(i64 %n) {
  %p = getelementptr inbounds i64, i64* bitcast (%struct.ops* @ops to i64*), i64 %n
  store i64 0, i64* %p, align 8
  ret void
}

; TYPED: declare i32 @__scall_stored(i8*, i64)
; OPAQUE: declare i32 @__scall_stored(ptr, i64)
; CHECK: !scall.stores.converted = !{}
!scall.convert.stores = !{}
!scall.struct.keys = !{!0}
!0 = !{%struct.ops* @ops, i64 200, i64 0, i64 24, i64 32, i64 160}
