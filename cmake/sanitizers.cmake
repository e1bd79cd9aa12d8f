# Sanitizer and fuzzing builds (docs/testing.md, "Sanitizers and fuzzing").
#
#   -DCACHE_TIER_SANITIZE=address,undefined   ASan + UBSan on everything (gcc or clang)
#   -DCACHE_TIER_SANITIZE=thread              TSan on everything
#   -DCACHE_TIER_FUZZ=ON                      clang only: the fuzz_<target> executables of
#                                             tests/fuzz; the project's libraries get libFuzzer's
#                                             coverage hooks (-fsanitize=fuzzer-no-link) and, unless
#                                             CACHE_TIER_SANITIZE says otherwise, ASan + UBSan, so one
#                                             build serves both the test suite and the fuzzers.
set(CACHE_TIER_SANITIZE "" CACHE STRING "Sanitizers for every target: address,undefined | thread | empty")
option(CACHE_TIER_FUZZ "Build the libFuzzer targets of tests/fuzz (clang)" OFF)

if(CACHE_TIER_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CACHE_TIER_FUZZ=ON needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(CACHE_TIER_SANITIZE STREQUAL "")
    set(CACHE_TIER_SANITIZE "address,undefined")
  elseif(CACHE_TIER_SANITIZE MATCHES "thread")
    message(FATAL_ERROR "CACHE_TIER_FUZZ=ON runs under ASan/UBSan, not with CACHE_TIER_SANITIZE=thread")
  endif()
endif()

if(NOT CACHE_TIER_SANITIZE STREQUAL "")
  # A report must fail the run: no recovering from UB (UBSan would print and go on).
  add_compile_options(-fsanitize=${CACHE_TIER_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${CACHE_TIER_SANITIZE})
  if(CACHE_TIER_SANITIZE MATCHES "undefined" AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang links UBSan's C++ part (vptr checks) only when it links as C++;
    # say so for the mixed links CMake does.
    add_link_options(-fsanitize-link-c++-runtime)
  endif()
endif()

if(CACHE_TIER_FUZZ)
  # Coverage feedback from every project library, the libFuzzer runtime only in the fuzzers.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
