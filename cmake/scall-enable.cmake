# scall_enable(<target> [CONVERT_STORES] [NO_VALIDATE])
#
# Builds the C sources of <target> with the scall plugin of the project's C
# compiler and links libscall; on an executable, a shared library or a
# module, runs scall-ld on the linked file after each link (POST_BUILD).
# Included by scallConfig.cmake, which sets the SCALL_* paths it uses.
#
#   GCC    -fplugin=<SCALL_GCC_PLUGIN>, also when linking: under -flto the
#          plugin runs again at link time.
#   Clang  -fplugin= and -fpass-plugin= of SCALL_CLANG_PLUGIN (its two
#          halves).  Under INTERPROCEDURAL_OPTIMIZATION the target is built
#          with full LTO (CMake's default for clang, ThinLTO, is not
#          supported) and linked by lld with the pass's link-time half.
#   CONVERT_STORES  -fplugin-arg-scall-convert-stores: stores to keys
#          become runtime updates instead of compile errors.
#   NO_VALIDATE     no scall-ld step.
#
# The target links scall::scall, unless it already links scall::scall_static
# (link that before calling scall_enable to get the static runtime).  A
# static or object library passes libscall, and its LTO link flags, on to
# what links it.

function(_scall_enable_fail target msg)
  message(FATAL_ERROR "scall_enable(${target}): ${msg}")
endfunction()

function(scall_enable target)
  cmake_parse_arguments(PARSE_ARGV 1 _se "CONVERT_STORES;NO_VALIDATE" "" "")
  if(_se_UNPARSED_ARGUMENTS)
    _scall_enable_fail(${target} "unknown arguments ${_se_UNPARSED_ARGUMENTS} (takes CONVERT_STORES, NO_VALIDATE)")
  endif()
  if(NOT TARGET ${target})
    _scall_enable_fail(${target} "no such target")
  endif()
  get_target_property(type ${target} TYPE)
  get_target_property(imported ${target} IMPORTED)
  if(imported OR NOT type MATCHES "^(EXECUTABLE|SHARED_LIBRARY|MODULE_LIBRARY|STATIC_LIBRARY|OBJECT_LIBRARY)$")
    _scall_enable_fail(${target} "not a target that is compiled here (${type})")
  endif()

  # The plugins convert C: scall.h's macros are C11.
  set(id "${CMAKE_C_COMPILER_ID}")
  set(version "${CMAKE_C_COMPILER_VERSION}")
  set(args "")
  set(link "")
  set(ipo_link "")
  set(ipo_compile "")
  if(id STREQUAL "")
    _scall_enable_fail(${target} "the project has no C compiler: enable the C language")
  elseif(id STREQUAL "GNU")
    if(SCALL_GCC_PLUGIN STREQUAL "")
      _scall_enable_fail(${target} "this scall install has no GCC plugin (built without it, or its package is not installed)")
    endif()
    if(NOT version VERSION_EQUAL SCALL_GCC_PLUGIN_GCC_VERSION)
      _scall_enable_fail(${target} "the GCC plugin ${SCALL_GCC_PLUGIN} was built for GCC ${SCALL_GCC_PLUGIN_GCC_VERSION} and loads only into it; the C compiler is GCC ${version}")
    endif()
    set(args "-fplugin=${SCALL_GCC_PLUGIN}")
    set(link "-fplugin=${SCALL_GCC_PLUGIN}")
  elseif(id STREQUAL "Clang")
    if(SCALL_CLANG_PLUGIN STREQUAL "")
      _scall_enable_fail(${target} "this scall install has no Clang plugin (built without it, or its package is not installed)")
    endif()
    string(REGEX MATCH "^[0-9]+" major "${version}")
    if(NOT major STREQUAL SCALL_CLANG_PLUGIN_LLVM)
      _scall_enable_fail(${target} "the Clang plugin ${SCALL_CLANG_PLUGIN} was built for LLVM ${SCALL_CLANG_PLUGIN_LLVM} and runs only in its clang; the C compiler is clang ${version}")
    endif()
    set(args "-fplugin=${SCALL_CLANG_PLUGIN}" "-fpass-plugin=${SCALL_CLANG_PLUGIN}")
    set(ipo_compile "-flto=full")
    # lld 13 and 14 run the link-time half in their legacy LTO pipeline
    # (clang-pass/README.md, "-flto (lld)").
    if(major LESS_EQUAL 14)
      set(ipo_link "-flto=full" "-fuse-ld=lld" "-Wl,--lto-legacy-pass-manager"
                   "-Wl,-mllvm,-load=${SCALL_CLANG_PLUGIN}")
    else()
      set(ipo_link "-flto=full" "-fuse-ld=lld" "-Wl,--load-pass-plugin=${SCALL_CLANG_PLUGIN}")
    endif()
  else()
    _scall_enable_fail(${target} "no scall plugin for the C compiler ${id} (GCC and Clang have one)")
  endif()
  if(_se_CONVERT_STORES)
    if(id STREQUAL "Clang" AND major LESS_EQUAL 13)
      # clang 13's driver has no -fplugin-arg-
      list(APPEND args "SHELL:-Xclang -plugin-arg-scall -Xclang convert-stores")
    else()
      list(APPEND args "-fplugin-arg-scall-convert-stores")
    endif()
  endif()

  foreach(a IN LISTS args)
    target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:C>:${a}>")
  endforeach()
  # CMake's rule: INTERPROCEDURAL_OPTIMIZATION_<CONFIG> when set, else
  # INTERPROCEDURAL_OPTIMIZATION.  Evaluated on the target that links.
  set(per_config "INTERPROCEDURAL_OPTIMIZATION_$<UPPER_CASE:$<CONFIG>>")
  set(ipo "$<IF:$<STREQUAL:$<TARGET_PROPERTY:${per_config}>,>,$<BOOL:$<TARGET_PROPERTY:INTERPROCEDURAL_OPTIMIZATION>>,$<BOOL:$<TARGET_PROPERTY:${per_config}>>>")
  foreach(a IN LISTS ipo_compile)
    target_compile_options(${target} PRIVATE "$<${ipo}:${a}>")
  endforeach()
  set(link_opts "${link}")
  foreach(a IN LISTS ipo_link)
    list(APPEND link_opts "$<${ipo}:${a}>")
  endforeach()

  # Properties, not target_link_libraries: that one refuses to mix its plain
  # and keyword forms on one target, and the project may use either.
  get_target_property(libs ${target} LINK_LIBRARIES)
  get_target_property(ilibs ${target} INTERFACE_LINK_LIBRARIES)
  set(has_runtime FALSE)
  if("${libs};${ilibs}" MATCHES "(^|[;:])scall::scall(_static)?([;>]|$)")
    set(has_runtime TRUE)
  endif()
  if(type MATCHES "^(STATIC|OBJECT)_LIBRARY$")
    if(NOT has_runtime)
      # what target_link_libraries(PRIVATE) does: scall.h for its own
      # sources, libscall for what links it
      set_property(TARGET ${target} APPEND PROPERTY LINK_LIBRARIES scall::scall)
      set_property(TARGET ${target} APPEND PROPERTY INTERFACE_LINK_LIBRARIES "$<LINK_ONLY:scall::scall>")
    endif()
    set_property(TARGET ${target} APPEND PROPERTY INTERFACE_LINK_OPTIONS ${link_opts})
  else()
    if(NOT has_runtime)
      set_property(TARGET ${target} APPEND PROPERTY LINK_LIBRARIES scall::scall)
    endif()
    set_property(TARGET ${target} APPEND PROPERTY LINK_OPTIONS ${link_opts})
    if(NOT _se_NO_VALIDATE)
      if(SCALL_LD STREQUAL "")
        _scall_enable_fail(${target} "this scall install has no scall-ld to validate the linked file (built without it, or its package is not installed), or pass NO_VALIDATE")
      endif()
      add_custom_command(TARGET ${target} POST_BUILD
        COMMAND "${SCALL_LD}" "$<TARGET_FILE:${target}>"
        COMMENT "scall-ld: validating the call sites of ${target}"
        VERBATIM)
    endif()
  endif()
endfunction()
