; The marker before a converted call (clang-pass/README.md, "Emission"): an
; empty convergent asm, so that the backend never copies the call's block;
; none before a tail call that a conditional branch on a comparison reaches
; (the -Os conditional tail call); only where records are made; once.
; RUN: %opt -load-pass-plugin=%plugin -passes=scall -S %s | %FileCheck %s --check-prefixes=CHECK,%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall,scall,scall -S %s | %FileCheck %s --check-prefixes=CHECK,%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall -S %s | %opt -load-pass-plugin=%plugin -passes=scall -S | %FileCheck %s --check-prefixes=CHECK,%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall-convert -S %s | %FileCheck %s --check-prefix=NONE
; RUN: %opt -load-pass-plugin=%plugin -passes=scall-prelink -S %s | %FileCheck %s --check-prefix=NONE
; NONE-NOT: asm sideeffect

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@key = dso_local global i32 (i32)* @target, align 8
@.str = private unnamed_addr constant [10 x i8] c"scall_key\00", section "llvm.metadata"
@.file = private unnamed_addr constant [4 x i8] c"t.c\00", section "llvm.metadata"
@llvm.global.annotations = appending global [1 x { i8*, i8*, i8*, i32, i8* }] [
  { i8*, i8*, i8*, i32, i8* } { i8* bitcast (i32 (i32)** @key to i8*), i8* getelementptr inbounds ([10 x i8], [10 x i8]* @.str, i32 0, i32 0), i8* getelementptr inbounds ([4 x i8], [4 x i8]* @.file, i32 0, i32 0), i32 1, i8* null }], section "llvm.metadata"

declare i32 @target(i32)

; Three paths into one tail call (what SimplifyCFG makes of a switch of
; three tail calls through one key): marked.
; CHECK-LABEL: define i32 @merged(
; CHECK: join:
; CHECK-NEXT: %a = phi
; CHECK-NEXT: call void asm sideeffect "", ""() #[[CONV:[0-9]+]]
; CHECK-NEXT: %r = tail call i32 @__scall_tramp_key(i32 %a)
; CHECK-NEXT: ret i32 %r
define i32 @merged(i32 %sel, i32 %x) {
entry:
  switch i32 %sel, label %join [
    i32 0, label %one
    i32 1, label %two
  ]
one:
  %x1 = add i32 %x, 3
  br label %join
two:
  %x2 = add i32 %x, 5
  br label %join
join:
  %a = phi i32 [ %x, %entry ], [ %x1, %one ], [ %x2, %two ]
  %f = load i32 (i32)*, i32 (i32)** @key, align 8
  %r = tail call i32 %f(i32 %a)
  ret i32 %r
}

; A tail call alone in the block that `if (x == 3)` reaches: left as it is,
; so that the branch folder can make it `jcc trampoline`.
; CHECK-LABEL: define i32 @cond(
; CHECK: call:
; CHECK-NEXT: %r = tail call i32 @__scall_tramp_key(i32 3)
define i32 @cond(i32 %x) {
entry:
  %c = icmp eq i32 %x, 3
  br i1 %c, label %call, label %out
call:
  %f = load i32 (i32)*, i32 (i32)** @key, align 8
  %r = tail call i32 %f(i32 3)
  br label %out
out:
  %v = phi i32 [ %r, %call ], [ %x, %entry ]
  ret i32 %v
}

; The same after an `or` (two branches to the block once lowered), after
; another instruction of the block, and a call that is not a tail call:
; marked.
; CHECK-LABEL: define i32 @cond_or(
; CHECK: call:
; CHECK-NEXT: call void asm sideeffect "", ""() #[[CONV]]
; CHECK-NEXT: %r = tail call i32 @__scall_tramp_key(i32 3)
define i32 @cond_or(i32 %x, i32 %y) {
entry:
  %c1 = icmp eq i32 %x, 3
  %c2 = icmp sgt i32 %y, 7
  %c = or i1 %c1, %c2
  br i1 %c, label %call, label %out
call:
  %f = load i32 (i32)*, i32 (i32)** @key, align 8
  %r = tail call i32 %f(i32 3)
  br label %out
out:
  %v = phi i32 [ %r, %call ], [ %x, %entry ]
  ret i32 %v
}

; CHECK-LABEL: define i32 @cond_add(
; CHECK: call:
; CHECK-NEXT: %x1 = add i32 %x, 1
; CHECK-NEXT: call void asm sideeffect "", ""() #[[CONV]]
; CHECK-NEXT: %r = tail call i32 @__scall_tramp_key(i32 %x1)
define i32 @cond_add(i32 %x) {
entry:
  %c = icmp eq i32 %x, 3
  br i1 %c, label %call, label %out
call:
  %x1 = add i32 %x, 1
  %f = load i32 (i32)*, i32 (i32)** @key, align 8
  %r = tail call i32 %f(i32 %x1)
  br label %out
out:
  %v = phi i32 [ %r, %call ], [ %x, %entry ]
  ret i32 %v
}

; CHECK-LABEL: define i32 @cond_notail(
; CHECK: call:
; CHECK-NEXT: call void asm sideeffect "", ""() #[[CONV]]
; CHECK-NEXT: %r = call i32 @__scall_tramp_key(i32 3)
define i32 @cond_notail(i32 %x) {
entry:
  %c = icmp eq i32 %x, 3
  br i1 %c, label %call, label %out
call:
  %f = load i32 (i32)*, i32 (i32)** @key, align 8
  %r = call i32 %f(i32 3)
  br label %out
out:
  %v = phi i32 [ %r, %call ], [ %x, %entry ]
  ret i32 %v
}

; CHECK: attributes #[[CONV]] = { convergent nounwind }
