// Where the CPU JIT keeps machine code between processes. Before it optimises a cell's module and
// generates code, compile_cpu_cell asks a store for the object file made from exactly that module
// on exactly this host, and it gives the store every object it generates. Only the interface lives
// here, so the compiler stays below the runtime's file handling: runtime/cpu/cpu_disk_cache.hpp
// keeps the objects in files.
#pragma once

#include <optional>
#include <string>

namespace rnnjit::cpu {

// Part of every key and of every entry's header. Bump it when what goes into the key, the layout
// of an entry, or the way an object is made from the IR (optimisation pipeline, code generation
// options) changes, so that older entries miss instead of being loaded.
inline constexpr unsigned kCpuObjectCacheFormat = 1;

class CompiledObjectStore {
 public:
  virtual ~CompiledObjectStore() = default;
  // The object file kept under exactly `key` (compared whole, not by a hash of it), or nullopt:
  // none kept, or one that fails the store's checks. Never throws.
  virtual std::optional<std::string> find(const std::string& key) = 0;
  // Keeps `object` under `key`, replacing what was there. Best effort, never throws: a store that
  // cannot write only costs the next process a compile.
  virtual void keep(const std::string& key, const std::string& object) = 0;
};

}  // namespace rnnjit::cpu
