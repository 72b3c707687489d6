; A module without key calls gets nothing.
; RUN: %opt -load-pass-plugin=%plugin -passes=scall -S %s | %FileCheck %s --check-prefixes=CHECK,%mode
target triple = "x86_64-pc-linux-gnu"
@fp = global void ()* null
define void @f() {
  %k = load void ()*, void ()** @fp
  call void %k()
  ret void
}
; CHECK-NOT: module asm
; CHECK-NOT: __scall
; CHECK: call void %k()
