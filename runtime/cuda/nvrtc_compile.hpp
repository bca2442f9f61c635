// NVRTC compilation of generated CUDA source, with no GPU needed (CI compiles every generated
// kernel for sm_80 and sm_90; `rnnjit compile SPEC --emit ptx|cubin --arch sm_90` prints the
// result).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace rnnjit {

// NVRTC rejected the source. what() holds the NVRTC log and the path the source was written to.
class NvrtcCompileError : public std::runtime_error {
 public:
  NvrtcCompileError(const std::string& what, std::string log, std::string source_path)
      : std::runtime_error(what), log_(std::move(log)), source_path_(std::move(source_path)) {}
  const std::string& log() const { return log_; }
  const std::string& source_path() const { return source_path_; }

 private:
  std::string log_, source_path_;
};

// Compiles `source` for `arch` ("sm_80", "sm_90", "sm_90a"): PTX for the virtual architecture
// compute_XY, or with `cubin` SASS for sm_XY. Returns the PTX text or the cubin bytes. The NVRTC
// log (warnings included) goes to *log when given. Throws NvrtcCompileError on a compile error,
// std::runtime_error for a malformed arch or a missing libnvrtc. Uncached: see kernel_cache.hpp.
std::string nvrtc_compile(const std::string& source, const std::string& arch, bool cubin,
                          std::string* log = nullptr);

// "13.0": the NVRTC that nvrtc_compile uses (throws when libnvrtc is missing).
std::string nvrtc_version();

namespace cuda {
// The NVRTC options nvrtc_compile passes (part of the kernel cache key).
std::vector<std::string> nvrtc_options(const std::string& arch, bool cubin);
// Where a failed source is written: the cache directory when enabled, else the temp directory.
std::string write_failed_source(const std::string& source);
}  // namespace cuda

}  // namespace rnnjit
