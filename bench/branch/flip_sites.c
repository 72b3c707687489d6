/* SPDX-License-Identifier: MIT */
/* A thousand sites of bf10000 (built ten times, CHUNK=0..9). */
#include "flip_sites.h"

R1000(bf10000)
