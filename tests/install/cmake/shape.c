#include <scall.h>

#include "shape.h"

static long square_area(long s) { return s * s; }
static long square_perimeter(long s) { return 4 * s; }
static long triangle_area(long s) { return s * s / 2; }
static long triangle_perimeter(long s) { return 3 * s; }

struct shape_ops {
	long (*area)(long);
	long (*perimeter)(long);
} shape_ops SCALL_KEY = { square_area, square_perimeter };

long shape_area(long side) { return shape_ops.area(side); }
long shape_perimeter(long side) { return shape_ops.perimeter(side); }

int shape_use(int triangle)
{
	struct scall_update u[] = {
		SCALL_UPDATE(shape_ops.area, triangle ? triangle_area : square_area),
		SCALL_UPDATE(shape_ops.perimeter, triangle ? triangle_perimeter : square_perimeter),
	};
	return scall_update_batch(u, 2);
}
