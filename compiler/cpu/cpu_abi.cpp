#include "compiler/cpu/cpu_abi.hpp"

namespace rnnjit::cpu {

CpuLayout make_layout(const CellPlan& plan, int vector_bits, int elem_bytes) {
  CpuLayout l;
  l.n = plan.n;
  l.vw = std::max<int64_t>(1, vector_bits / (8 * elem_bytes));
  l.np = (plan.n + l.vw - 1) / l.vw * l.vw;
  // Register tile: tp trials x qv vectors of accumulators plus qv weight vectors and a broadcast
  // must fit the register file (16 registers with AVX2, 32 with AVX-512).
  if (vector_bits >= 512) {
    l.tp = 8;
    l.qv = 3;
  } else {
    l.tp = 4;
    l.qv = 3;
  }
  if (l.np % l.tp != 0) l.tp = l.vw;  // rows of the wgrad output are tiled over np
  l.m = plan.m();
  // Padded to whole vectors: the backward panel's rows are read as vectors too.
  l.kcols = (l.m * l.np + plan.input_columns + l.vw - 1) / l.vw * l.vw;
  const int64_t line = 64 / elem_bytes;
  l.ldf = l.np + line;
  l.ldb = l.kcols + line;
  l.ldz = l.np + line;
  return l;
}

}  // namespace rnnjit::cpu
