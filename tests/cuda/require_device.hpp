// The GPU tests' guard: on a machine without a usable CUDA device the test prints and reports
// "SKIPPED: no CUDA device (<why>)" and passes, so the gpu label can run anywhere.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "runtime/backends/backends.hpp"

#ifdef RNNJIT_HAVE_CUDA
#define REQUIRE_CUDA_DEVICE()                                     \
  do {                                                            \
    std::string why;                                              \
    if (!::rnnjit::cuda_probe_device(&why)) {                     \
      std::printf("SKIPPED: no CUDA device (%s)\n", why.c_str()); \
      GTEST_SKIP() << "SKIPPED: no CUDA device (" << why << ")";  \
    }                                                             \
  } while (0)
#else
#define REQUIRE_CUDA_DEVICE()                                       \
  do {                                                              \
    std::printf("SKIPPED: no CUDA device (built without CUDA)\n");  \
    GTEST_SKIP() << "SKIPPED: no CUDA device (built without CUDA)"; \
  } while (0)
#endif
