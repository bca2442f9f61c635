#include "runtime/core/memory_budget.hpp"

#include <unistd.h>

#include <fmt/core.h>

#include "runtime/core/errors.hpp"

namespace rnnjit {

double physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

void check_fits_in_memory(double bytes, const std::string& what) {
  const double have = physical_memory_bytes();
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  if (have > 0 && bytes > have)
    throw UsageError(fmt::format("{} needs about {:.1f} GiB of memory; this machine has {:.1f} GiB",
                                 what, bytes / kGiB, have / kGiB));
}

}  // namespace rnnjit
