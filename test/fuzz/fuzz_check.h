// test/fuzz/fuzz_check.h — how a fuzz target reports a broken invariant: a message naming it on
// stderr, then abort(), which libFuzzer records as a crash and keeps the input that caused it
// (scripts/fuzz.mjs moves it to build-fuzz/findings/). Not an assert: it must fire whatever the
// build type.
#pragma once
#include <cstdio>
#include <cstdlib>

#define XVS_FUZZ_CHECK(condition, ...)                                              \
  do {                                                                              \
    if (!(condition)) {                                                             \
      std::fprintf(stderr, "\ninvariant broken at %s:%d: %s\n  ", __FILE__, __LINE__, #condition); \
      std::fprintf(stderr, __VA_ARGS__);                                            \
      std::fprintf(stderr, "\n");                                                   \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
