/* libcodec: a static library with a plain key and a NULL-able one. */
#ifndef CODEC_H
#define CODEC_H
#ifdef __cplusplus
extern "C" {
#endif
int codec_encode(int x);
void codec_notify(int x); /* calls the hook, if any */
int codec_notified(void); /* what the hook has added up */
int codec_hook_on(int on); /* scall_update's result */
void codec_use_xor(void);  /* a plain store to the key (CONVERT_STORES) */
#ifdef __cplusplus
}
#endif
#endif
