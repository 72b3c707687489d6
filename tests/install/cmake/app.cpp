// A C++ program using a shared and a static library built with scall.
#include <cstdio>

#include <scall.h>

#include "codec.h"
#include "shape.h"

static int failures;
#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			std::fprintf(stderr, "app: FAIL: %s (line %d)\n", #c,  \
				     __LINE__);                                \
			failures++;                                            \
		}                                                              \
	} while (0)

int main()
{
	CHECK(shape_area(6) == 36 && shape_perimeter(6) == 24);
	CHECK(shape_use(1) == 0);
	CHECK(shape_area(6) == 18 && shape_perimeter(6) == 18);

	CHECK(codec_encode(1) == 2);
	codec_notify(5);
	CHECK(codec_notified() == 0);
	CHECK(codec_hook_on(1) == 0);
	codec_notify(5);
	CHECK(codec_notified() == 5);
	codec_use_xor();
	CHECK(codec_encode(1) == (1 ^ 0x55));

	struct scall_stats st;
	CHECK(scall_stats(&st) == 0);
	std::printf("app: %zu modules, %zu sites, %zu direct, writer %s\n",
		    st.modules, st.sites, st.sites_direct, st.writer);
#ifdef SCALL_TEST_TOOLCHAIN
	// the executable (libcodec's sites) and libshape, every site patched
	CHECK(st.modules == 2 && st.sites >= 4 && st.sites_direct == st.sites);
#endif
	return failures != 0;
}
