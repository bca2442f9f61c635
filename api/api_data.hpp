// What the public API's handles hold (rnnjit/cell.hpp): the parsed spec with its optimised IR, and
// a compiled cell's executor. Shared by the C++ API's files and the C API.
#pragma once

#include <memory>

#include "compiler/spec.hpp"
#include "ir/module.hpp"
#include "rnnjit/cell.hpp"
#include "runtime/core/executor.hpp"

namespace rnnjit::detail {

struct SpecData {
  ModelSpec spec;
  ir::Module module;  // lowered and optimised once, for every cell compiled from it
  static Spec wrap(std::shared_ptr<const SpecData> d) { return Spec(std::move(d)); }
  static const SpecData& of(const Spec& s) { return *s.d_; }
};

struct CellData {
  Spec spec;
  std::unique_ptr<CellExecutor> exec;
};

// The SpecData behind a Spec (for the C API and the trainers).
inline const SpecData& data_of(const Spec& spec) {
  return SpecData::of(spec);
}

}  // namespace rnnjit::detail
