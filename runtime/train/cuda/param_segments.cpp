#include "runtime/train/cuda/param_segments.hpp"

#include <cmath>
#include <stdexcept>

namespace rnnjit::cuda {

namespace {

bool learned(const ir::Value& v) {
  return (v.role == ir::Role::Param || v.role == ir::Role::Buffer) && v.learn;
}

std::vector<int64_t> fixed_shape(const ir::Shape& s) {
  std::vector<int64_t> out;
  for (const ir::Dim& d : s) out.push_back(d.size);
  return out;
}

}  // namespace

std::vector<ParamSegment> plan_segments(const CellPlan& p, const ir::Module& m,
                                        const std::set<std::string>& nonnegative,
                                        const std::set<std::string>* only) {
  std::vector<ParamSegment> out;
  int64_t offset = 0;
  const int n = static_cast<int>(p.n);
  auto add = [&](int value, opt::SegmentKind kind, int64_t count) -> opt::SegmentView& {
    const ir::Value& v = m.value(value);
    for (const ParamSegment& s : out)
      if (s.name == v.name)
        throw std::runtime_error("device optimiser: parameter '" + v.name +
                                 "' is read in two places of the cell; not supported yet");
    ParamSegment seg;
    seg.name = v.name;
    seg.shape = fixed_shape(v.shape);
    seg.offset = offset;
    seg.view = opt::SegmentView{};
    seg.view.kind = kind;
    seg.view.n = n;
    seg.view.count = count;
    seg.view.excitatory = n;
    seg.view.project = nonnegative.count(v.name) ? 1 : 0;
    offset += count;
    out.push_back(std::move(seg));
    return out.back().view;
  };
  auto want = [&](int value) {
    return value >= 0 && learned(m.value(value)) && (!only || only->count(m.value(value).name));
  };
  for (const PlanBankPart& part : p.bank_parts) {
    if (!want(part.param_value)) continue;
    opt::SegmentView& v = add(part.param_value, opt::kSegBank, part.count * p.n * p.n);
    v.first = static_cast<int>(part.first);
    if (part.dale) v.excitatory = static_cast<int>(part.excitatory);
  }
  for (const PlanInput& in : p.inputs) {
    if (!want(in.weight_value)) continue;
    opt::SegmentView& v = add(in.weight_value, opt::kSegInput, p.n * in.width);
    v.cols = static_cast<int>(p.input_columns);
    v.col_offset = static_cast<int>(in.offset);
    v.width = static_cast<int>(in.width);
    v.scale = in.scale;
  }
  if (want(p.bias_value)) add(p.bias_value, opt::kSegBias, p.n);
  if (p.alpha_vector && want(p.tau_value)) add(p.tau_value, opt::kSegTau, p.n).scale = p.dt;
  return out;
}

void append_extra_segment(std::vector<ParamSegment>& segs, const std::string& name,
                          const std::vector<int64_t>& shape, bool nonnegative) {
  for (const ParamSegment& s : segs)
    if (s.view.kind == opt::kSegPlain)
      throw std::logic_error("device optimiser: only one tensor outside the cell is supported");
  ParamSegment seg;
  seg.name = name;
  seg.shape = shape;
  seg.offset = total_elements(segs);
  seg.view = opt::SegmentView{};
  seg.view.kind = opt::kSegPlain;
  seg.view.count = 1;
  for (int64_t d : shape) seg.view.count *= d;
  seg.view.project = nonnegative ? 1 : 0;
  segs.push_back(std::move(seg));
}

int64_t total_elements(const std::vector<ParamSegment>& segs) {
  return segs.empty() ? 0 : segs.back().offset + segs.back().view.count;
}

opt::SegmentView bind_segment(const ParamSegment& seg, const PackedBufferPtrs& b) {
  opt::SegmentView v = seg.view;
  switch (v.kind) {
    case opt::kSegBank:
      v.grad = b.dbank, v.out = b.bank, v.out_t = b.bank_t;
      break;
    case opt::kSegInput:
      v.grad = b.dw_in, v.out = b.w_in;
      break;
    case opt::kSegBias:
      v.grad = b.dbias_part, v.out = b.bias, v.cols = static_cast<int>(b.parts);
      break;
    case opt::kSegPlain:
      v.grad = b.dextra, v.out = b.extra;
      break;
    default:
      v.grad = b.dalpha_part, v.out = b.alpha, v.cols = static_cast<int>(b.parts);
      break;
  }
  return v;
}

std::vector<float> masters_from(const std::vector<ParamSegment>& segs, const TensorMap& params) {
  std::vector<float> out(static_cast<size_t>(total_elements(segs)));
  for (const ParamSegment& s : segs) {
    const Tensor& t = require(params, s.name, "device optimiser");
    check_shape(s.name, t, s.shape);
    for (int64_t e = 0; e < s.view.count; ++e)
      out[static_cast<size_t>(s.offset + e)] = static_cast<float>(t.at_f64(e));
  }
  return out;
}

void masters_to(const std::vector<ParamSegment>& segs, const std::vector<float>& masters,
                TensorMap& params) {
  for (const ParamSegment& s : segs) {
    Tensor t(DType::F64, s.shape);
    double* d = t.data<double>();
    for (int64_t e = 0; e < s.view.count; ++e) d[e] = masters[static_cast<size_t>(s.offset + e)];
    params[s.name] = std::move(t);
  }
}

opt::AdamStep adam_step_scalars(const train::AdamConfig& cfg, int64_t t, double clip_scale) {
  if (t < 1) throw std::logic_error("adam_step_scalars: step numbers start at 1");
  opt::AdamStep a{};
  a.lr = static_cast<float>(cfg.lr);
  a.beta1 = static_cast<float>(cfg.beta1);
  a.beta2 = static_cast<float>(cfg.beta2);
  a.eps = static_cast<float>(cfg.eps);
  a.bc1 = static_cast<float>(1.0 - std::pow(cfg.beta1, static_cast<double>(t)));
  a.bc2 = static_cast<float>(1.0 - std::pow(cfg.beta2, static_cast<double>(t)));
  a.clip_scale = static_cast<float>(clip_scale);
  return a;
}

double twin_sumsq(const opt::SegmentView& s, const float* masters) {
  double sum = 0;
  for (long long e = 0; e < s.count; ++e) {
    const float g = opt::segment_grad_at(s, e, masters[e]);
    sum += static_cast<double>(g) * g;
  }
  return sum;
}

void twin_adam(const opt::SegmentView& s, float* masters, float* m, float* v,
               const opt::AdamStep& a) {
  for (long long e = 0; e < s.count; ++e) opt::segment_adam(s, e, masters, m, v, a);
}

}  // namespace rnnjit::cuda
