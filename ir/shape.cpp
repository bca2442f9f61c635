#include "ir/shape.hpp"

namespace rnnjit::ir {

std::string to_string(const Dim& d) {
  if (!d.bound() || d.symbol == std::to_string(d.size)) return d.symbol;
  return d.symbol + "=" + std::to_string(d.size);
}

std::string to_string(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ",";
    out += to_string(s[i]);
  }
  return out + "]";
}

}  // namespace rnnjit::ir
