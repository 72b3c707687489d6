#include "../common/scall_asm.h"
	SCALL_MODULE
