#include "runtime/cuda/dynlib.hpp"

#include <dlfcn.h>

namespace rnnjit::cuda {

DynLib::DynLib(const std::vector<std::string>& names) {
  std::string tried;
  for (const std::string& n : names) {
    handle_ = dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_) {
      name_ = n;
      return;
    }
    tried += (tried.empty() ? "" : ", ") + n;
  }
  error_ = tried;
}

DynLib::~DynLib() {
  // Deliberately not dlclose'd: driver libraries register atexit handlers and unloading them
  // while other static objects still hold handles crashes at exit.
}

void* DynLib::symbol(const char* n) const {
  return handle_ ? dlsym(handle_, n) : nullptr;
}

}  // namespace rnnjit::cuda
