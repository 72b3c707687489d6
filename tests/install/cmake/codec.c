#include <stddef.h>

#include <scall.h>

#include "codec.h"

static int encode_plain(int x) { return x + 1; }
static int encode_xor(int x) { return x ^ 0x55; }
static int notified;
static void count(int x) { notified += x; }

SCALL_DEFINE(codec_key, encode_plain);
SCALL_DEFINE_NULL(codec_hook, count);

__attribute__((noinline)) int codec_encode(int x) { return scall(codec_key)(x); }
__attribute__((noinline)) void codec_notify(int x) { scall_cond(codec_hook)(x); }
int codec_notified(void) { return notified; }
int codec_hook_on(int on) { return scall_update(codec_hook, on ? count : NULL); }
void codec_use_xor(void) { codec_key = encode_xor; }
