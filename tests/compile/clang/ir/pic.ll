; -fPIC: a kind-4 record must not name a preemptible function (the linker
; would resolve it to the PLT): the body becomes internal under an alias.
; RUN: %opt -load-pass-plugin=%plugin -passes=scall -S %s | %FileCheck %s --check-prefixes=CHECK,%mode
; RUN: %opt -load-pass-plugin=%plugin -passes=scall,scall -S %s | %FileCheck %s --check-prefixes=CHECK,%mode

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@key = external global void ()*, align 8
!scall.keys = !{!0}
!0 = !{void ()** @key}
!llvm.module.flags = !{!1}
!1 = !{i32 7, !"PIC Level", i32 2}

define void @lib_call() {
  %k = load void ()*, void ()** @key, align 8
  call void %k()
  ret void
}

define hidden void @hidden_call() {
  %k = load void ()*, void ()** @key, align 8
  call void %k()
  ret void
}

define void @caller() {
  call void @lib_call()
  ret void
}

; CHECK: @__scall_sites.lib_call.scall = {{.*}} @lib_call.scall {{.*}} !associated ![[A:[0-9]+]]
; CHECK: @__scall_sites.hidden_call = {{.*}} @hidden_call {{.*}} !associated
; TYPED: @lib_call = alias void (), void ()* @lib_call.scall
; OPAQUE: @lib_call = alias void (), ptr @lib_call.scall
; CHECK-NOT: alias
; CHECK: define internal void @lib_call.scall()
; CHECK: define hidden void @hidden_call()
; CHECK: call void @lib_call()
; TYPED: ![[A]] = !{void ()* @lib_call.scall}
; OPAQUE: ![[A]] = !{ptr @lib_call.scall}
