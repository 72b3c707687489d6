/* libshape: a shared library whose calls go through a struct key. */
#ifndef SHAPE_H
#define SHAPE_H
#ifdef __cplusplus
extern "C" {
#endif
long shape_area(long side);
long shape_perimeter(long side);
/* Retarget both members in one batch: 0 square, 1 triangle; returns
 * scall_update_batch's result. */
int shape_use(int triangle);
#ifdef __cplusplus
}
#endif
#endif
