// Symbolic shapes for the rnnjit IR.
//
// A dimension is a symbol (B, T, N, or a per-gate / per-input width such as K.actions, I.stimulus)
// with a size bound at compile time where the spec fixes it (N, K, I) and left open (-1) where only
// the run decides (B, T). Kernels are specialised on the bound sizes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rnnjit::ir {

struct Dim {
  std::string symbol;  // "B", "T", "N", "K.actions", "I.stimulus", "1"
  int64_t size = -1;   // -1: not known until run time

  bool bound() const { return size >= 0; }
  bool operator==(const Dim&) const = default;
};

using Shape = std::vector<Dim>;

inline Dim dim_b() { return {"B", -1}; }
inline Dim dim_t() { return {"T", -1}; }
inline Dim dim_n(int64_t n) { return {"N", n}; }
inline Dim dim_k(const std::string& gate, int64_t k) { return {"K." + gate, k}; }
inline Dim dim_i(const std::string& input, int64_t i) { return {"I." + input, i}; }

// "[B,N=256]" style: bound symbolic dims print their size so the IR text is self-describing.
std::string to_string(const Dim& d);
std::string to_string(const Shape& s);

}  // namespace rnnjit::ir
