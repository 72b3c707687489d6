# sqlite-annotate.sed - turn SQLite 3.40.1's function-pointer globals into
# scall keys by adding an annotation to their declarations (and nothing
# else).  Applied to src/*.c and src/*.h before the amalgamation is made;
# <scall.h> comes in through -include scall.h in the compiler flags.
#
# Rules are grouped.  sqlite.sh keeps a group only when the GCC plugin has
# every feature its "# group: NAME needs: FEATURE..." line names (each one
# probed with a small file, see sqlite.sh).  One rule is one declaration
# (definition and extern alike): adding a key is adding one line.

# group: hooks needs: struct-keys convert-stores
# fault.c: the benign-malloc hooks, a file-static struct of two function
# pointers set by sqlite3_test_control(SQLITE_TESTCTRL_BENIGN_MALLOC_HOOKS).
s/^} sqlite3Hooks = { 0, 0 };/} sqlite3Hooks SCALL_KEY = { 0, 0 };/

# group: config needs: struct-keys convert-stores local-aliases key-escapes
# The global configuration: its members m (sqlite3_mem_methods), mutex
# (sqlite3_mutex_methods), pcache2 (sqlite3_pcache_methods2), xLog, ... are
# called on every allocation, mutex enter/leave and page fetch.  Needs:
#   SCALL_KEY_ESCAPES for date.c:1339 (sqliteInt.h's PURE_DATE):
#     (void*)&sqlite3Config stored in the static aDateTimeFuncs[] as a
#     marker, never written through (plain SCALL_KEY: an escape, an error);
#   local aliases for mutex.c:228: `sqlite3_mutex_methods *pTo =
#     &sqlite3GlobalConfig.mutex; pTo->xMutexInit = pFrom->xMutexInit; ...`:
#     its stores must be converted.  SCALL_KEY_ESCAPES alone would accept
#     pTo, but its stores would then be invisible and SQLite never calls
#     scall_resync() (sqlite.sh runs the suite under SCALL_CHECK=1 for that).
# Accepted already: os.c's memcpy from &sqlite3Config.iPrngSeed, main.c's
# memset(&sqlite3GlobalConfig.m, ...) (under SQLITE_ENABLE_MEMSYS3/5 only).
s/^\(SQLITE_WSD struct Sqlite3Config sqlite3Config\) = {/\1 SCALL_KEY_ESCAPES = {/
s/^\(extern SQLITE_WSD struct Sqlite3Config sqlite3Config\);/\1 SCALL_KEY_ESCAPES;/

# group: syscalls needs: struct-keys convert-stores array-keys
# os_unix.c: the overridable system calls, an array of {name, current,
# default} called by constant index (osRead is aSyscall[8].pCurrent cast).
# Stores: unixSetSystemCall (the VFS's xSetSystemCall; syscall.test) writes
# aSyscall[i].pCurrent with a variable i: a converted store of the whole
# array.  Without arrays of keys the attribute itself is the error
# (os_unix.c:388: not a function pointer or a struct of them).
# (Not os_win.c's nor test_syscall.c's table of the same name.)
/^static struct unix_syscall {/,/^} aSyscall\[\] = {/s/^} aSyscall\[\] = {/} aSyscall[] SCALL_KEY = {/
