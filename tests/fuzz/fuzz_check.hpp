#pragma once
// What the fuzz targets share: a check of a property the code under test promises, which
// stops the run (a crash that libFuzzer and the corpus replay report with the input) when
// it does not hold.
#include <cstdio>
#include <cstdlib>

#define SMUP_FUZZ_CHECK(condition)                                                                 \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, #condition);        \
      std::abort();                                                                                \
    }                                                                                              \
  } while (false)
