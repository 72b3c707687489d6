; Bursts of converted stores (here !scall.convert.stores): consecutive
; converted stores of one basic block with nothing between them that may
; call out or publish (a call, inline asm, a fence, an atomic operation on
; other memory, a volatile access) are followed by one runtime call after
; the last of them: __scall_stored for one key object, __scall_stored_n
; over a constant table of {&key, sizeof key} for several, in first-stored
; order.  Plain loads and stores of other memory and lifetime markers do
; not end a burst; seq_cst and release stores into keys belong to it.
; RUN: %opt -load-pass-plugin=%plugin -passes=scall-convert -S %s | %FileCheck %s --check-prefixes=CHECK,%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall-convert -S %s | %opt -O2 -S | %opt -load-pass-plugin=%plugin -passes=scall-auto -S | %FileCheck %s --check-prefixes=O2,O2-%mode

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%struct.ops = type { i32 (i32)*, i64, %struct.inner, [120 x i8], i32 (i32)*, [2 x void ()*], %union.anon }
%struct.inner = type { i64, i32 (i32)*, void (i32)* }
%union.anon = type { i32 (i32)* }

@ops = dso_local global %struct.ops zeroinitializer, align 8
@k = dso_local global i32 (i32)* null, align 8
@flag = dso_local global i32 0, align 4
@.str = private unnamed_addr constant [10 x i8] c"scall_key\00", section "llvm.metadata"
@.file = private unnamed_addr constant [4 x i8] c"t.c\00", section "llvm.metadata"
@llvm.global.annotations = appending global [1 x { i8*, i8*, i8*, i32, i8* }] [
  { i8*, i8*, i8*, i32, i8* } { i8* bitcast (i32 (i32)** @k to i8*), i8* getelementptr inbounds ([10 x i8], [10 x i8]* @.str, i32 0, i32 0), i8* getelementptr inbounds ([4 x i8], [4 x i8]* @.file, i32 0, i32 0), i32 1, i8* null }], section "llvm.metadata"

declare void @g()
declare void @llvm.lifetime.start.p0i8(i64 immarg, i8* nocapture)
declare void @llvm.lifetime.end.p0i8(i64 immarg, i8* nocapture)

; The tables, one per burst into several objects.
; TYPED: @__scall_ranges = private unnamed_addr constant [2 x { i8*, i64 }] [{ i8*, i64 } { i8* bitcast (%struct.ops* @ops to i8*), i64 200 }, { i8*, i64 } { i8* bitcast (i32 (i32)** @k to i8*), i64 8 }]
; OPAQUE: @__scall_ranges = private unnamed_addr constant [2 x { ptr, i64 }] [{ ptr, i64 } { ptr @ops, i64 200 }, { ptr, i64 } { ptr @k, i64 8 }]
; TYPED: @__scall_ranges.1 = private unnamed_addr constant [2 x { i8*, i64 }] [{ i8*, i64 } { i8* bitcast (i32 (i32)** @k to i8*), i64 8 }, { i8*, i64 } { i8* bitcast (%struct.ops* @ops to i8*), i64 200 }]
; OPAQUE: @__scall_ranges.1 = private unnamed_addr constant [2 x { ptr, i64 }] [{ ptr, i64 } { ptr @k, i64 8 }, { ptr, i64 } { ptr @ops, i64 200 }]

; zlib-ng's functable init: seq_cst stores into members, one call.
; CHECK-LABEL: define void @init(
; CHECK-NEXT: store atomic
; CHECK-NEXT: store atomic
; CHECK-NEXT: store atomic
; TYPED-NEXT: call i32 @__scall_stored(i8* bitcast (%struct.ops* @ops to i8*), i64 200)
; OPAQUE-NEXT: call i32 @__scall_stored(ptr @ops, i64 200)
; CHECK-NEXT: ret void
; O2-LABEL: define void @init(
; O2: call i32 @__scall_stored(
; O2-NOT: __scall_stored
; O2: ret void
define void @init(i32 (i32)* %f) {
  store atomic i32 (i32)* %f, i32 (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 0) seq_cst, align 8
  store atomic i32 (i32)* %f, i32 (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 2, i32 1) seq_cst, align 8
  store atomic i32 (i32)* %f, i32 (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 4) seq_cst, align 8
  ret void
}

; Two objects, a data member's store, a plain load and store of other
; memory and lifetime markers between them: one __scall_stored_n.
; CHECK-LABEL: define void @two(
; CHECK-NEXT: %a = alloca
; CHECK-NEXT: store atomic
; CHECK-NEXT: store i64 3,
; CHECK-NEXT: %v = load i32
; CHECK-NEXT: store i32 %v,
; CHECK-NEXT: %ap = bitcast
; CHECK-NEXT: call void @llvm.lifetime.start
; CHECK-NEXT: store
; CHECK-NEXT: call void @llvm.lifetime.end
; CHECK-NEXT: store
; TYPED-NEXT: call i32 @__scall_stored_n(i8* bitcast ([2 x { i8*, i64 }]* @__scall_ranges to i8*), i64 2)
; OPAQUE-NEXT: call i32 @__scall_stored_n(ptr @__scall_ranges, i64 2)
; CHECK-NEXT: ret void
; O2-LABEL: define void @two(
; O2: call i32 @__scall_stored_n(
; O2-NOT: __scall_stored
; O2: ret void
define void @two(i32 (i32)* %f) {
  %a = alloca i64, align 8
  store atomic i32 (i32)* %f, i32 (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 4) seq_cst, align 8
  store i64 3, i64* getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 1), align 8
  %v = load i32, i32* @flag, align 4
  store i32 %v, i32* @flag, align 4
  %ap = bitcast i64* %a to i8*
  call void @llvm.lifetime.start.p0i8(i64 8, i8* %ap)
  store i32 (i32)* %f, i32 (i32)** @k, align 8
  call void @llvm.lifetime.end.p0i8(i64 8, i8* %ap)
  store atomic i32 (i32)* %f, i32 (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 0) release, align 8
  ret void
}

; A key stored again in the burst is named once; the table is in
; first-stored order.
; CHECK-LABEL: define void @again(
; CHECK-NEXT: store
; CHECK-NEXT: store
; CHECK-NEXT: store
; TYPED-NEXT: call i32 @__scall_stored_n(i8* bitcast ([2 x { i8*, i64 }]* @__scall_ranges.1 to i8*), i64 2)
; OPAQUE-NEXT: call i32 @__scall_stored_n(ptr @__scall_ranges.1, i64 2)
; CHECK-NEXT: ret void
define void @again(i32 (i32)* %f) {
  store i32 (i32)* %f, i32 (i32)** @k, align 8
  store i32 (i32)* %f, i32 (i32)** getelementptr inbounds (%struct.ops, %struct.ops* @ops, i32 0, i32 0), align 8
  store i32 (i32)* null, i32 (i32)** @k, align 8
  ret void
}

; Each of these ends the burst: the stores before it are patched first.
; CHECK-LABEL: define void @ends(
; CHECK-NEXT: store
; TYPED-NEXT: call i32 @__scall_stored(i8* bitcast (i32 (i32)** @k to i8*), i64 8)
; OPAQUE-NEXT: call i32 @__scall_stored(ptr @k, i64 8)
; CHECK-NEXT: call void @g()
; CHECK-NEXT: store
; CHECK-NEXT: call i32 @__scall_stored(
; CHECK-NEXT: fence seq_cst
; CHECK-NEXT: store
; CHECK-NEXT: call i32 @__scall_stored(
; CHECK-NEXT: load volatile
; CHECK-NEXT: store
; CHECK-NEXT: call i32 @__scall_stored(
; CHECK-NEXT: store volatile i32
; CHECK-NEXT: store
; CHECK-NEXT: call i32 @__scall_stored(
; CHECK-NEXT: load atomic i32
; CHECK-NEXT: store
; CHECK-NEXT: call i32 @__scall_stored(
; CHECK-NEXT: store atomic i32
; CHECK-NEXT: store
; CHECK-NEXT: call i32 @__scall_stored(
; CHECK-NEXT: atomicrmw
; CHECK-NEXT: store
; CHECK-NEXT: call i32 @__scall_stored(
; CHECK-NEXT: cmpxchg
; CHECK-NEXT: store
; CHECK-NEXT: call i32 @__scall_stored(
; CHECK-NEXT: call void asm sideeffect
; CHECK-NEXT: store
; CHECK-NEXT: call i32 @__scall_stored(
; CHECK-NEXT: br label %next
; CHECK: next:
; CHECK-NEXT: store
; CHECK-NEXT: call i32 @__scall_stored(
; CHECK-NEXT: ret void
; O2-LABEL: define void @ends(
; O2-COUNT-11: call i32 @__scall_stored(
; O2-NOT: __scall_stored
; O2: ret void
define void @ends(i32 (i32)* %f) {
  store i32 (i32)* %f, i32 (i32)** @k, align 8
  call void @g()
  store i32 (i32)* %f, i32 (i32)** @k, align 8
  fence seq_cst
  store i32 (i32)* %f, i32 (i32)** @k, align 8
  %v = load volatile i32, i32* @flag, align 4
  store i32 (i32)* %f, i32 (i32)** @k, align 8
  store volatile i32 1, i32* @flag, align 4
  store i32 (i32)* %f, i32 (i32)** @k, align 8
  %w = load atomic i32, i32* @flag acquire, align 4
  store i32 (i32)* %f, i32 (i32)** @k, align 8
  store atomic i32 2, i32* @flag release, align 4
  store i32 (i32)* %f, i32 (i32)** @k, align 8
  %x = atomicrmw add i32* @flag, i32 1 seq_cst
  store i32 (i32)* %f, i32 (i32)** @k, align 8
  %y = cmpxchg i32* @flag, i32 0, i32 1 seq_cst seq_cst
  store i32 (i32)* %f, i32 (i32)** @k, align 8
  call void asm sideeffect "", "~{memory}"()
  store i32 (i32)* %f, i32 (i32)** @k, align 8
  br label %next
next:
  store i32 (i32)* %f, i32 (i32)** @k, align 8
  ret void
}

!scall.convert.stores = !{}
!scall.struct.keys = !{!0}
!0 = !{%struct.ops* @ops, i64 200, i64 0, i64 24, i64 32, i64 160}
