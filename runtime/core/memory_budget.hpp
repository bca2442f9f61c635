// Refusing a job that cannot fit before allocating it: `--batch 1e8` or `--neurons 1e5` should end
// in one line that says how much memory the job needs, not in std::bad_alloc (or the kernel's OOM
// killer) minutes later. Estimates are rough (what the big tensors of a step take, not every
// temporary), so they only refuse jobs clearly larger than the machine.
#pragma once

#include <string>

namespace rnnjit {

// This machine's physical memory in bytes (sysconf), or 0 when it cannot be told.
double physical_memory_bytes();

// Throws UsageError "<what> needs about X GiB of memory; this machine has Y GiB" when `bytes`
// exceeds the machine's physical memory. `bytes` is a double so that the estimate itself cannot
// overflow.
void check_fits_in_memory(double bytes, const std::string& what);

}  // namespace rnnjit
