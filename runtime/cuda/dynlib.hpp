// dlopen / dlsym with errors that say what was missing. rnnjit never links libcuda or libnvrtc:
// one binary runs with and without a GPU, and only the headers are needed at build time.
#pragma once

#include <string>
#include <vector>

namespace rnnjit::cuda {

class DynLib {
 public:
  // Tries each name in order; `ok()` is false and `error()` says why when none loads.
  explicit DynLib(const std::vector<std::string>& names);
  ~DynLib();
  DynLib(const DynLib&) = delete;
  DynLib& operator=(const DynLib&) = delete;

  bool ok() const { return handle_ != nullptr; }
  const std::string& error() const { return error_; }
  const std::string& loaded_name() const { return name_; }
  // The symbol, or nullptr.
  void* symbol(const char* name) const;

 private:
  void* handle_ = nullptr;
  std::string name_, error_;
};

}  // namespace rnnjit::cuda
