#include "runtime/train/cuda/device_optimizer.hpp"

#include <algorithm>

#include "compiler/cuda/cuda_codegen.hpp"
#include "runtime/cuda/kernel_cache.hpp"

namespace rnnjit::cuda {

namespace {

// One segment's moment from the host Adam, or zeros.
void moment_into(const train::Adam& adam, const ParamSegment& s, bool first,
                 std::vector<float>& out) {
  Tensor m, v;
  if (!adam.moments(s.name, &m, &v)) return;
  const Tensor& t = first ? m : v;
  check_shape("adam moment of " + s.name, t, s.shape);
  for (int64_t e = 0; e < s.view.count; ++e)
    out[static_cast<size_t>(s.offset + e)] = static_cast<float>(t.at_f64(e));
}

}  // namespace

DeviceOptimizer::DeviceOptimizer(std::vector<ParamSegment> segments, const TensorMap& params,
                                 const train::Adam& adam, CUstream stream)
    : segs_(std::move(segments)), stream_(stream), total_(total_elements(segs_)) {
  const Device& dev = device();
  const DriverApi& d = driver();
  const std::string cubin = KernelCache::instance().get(emit_optimizer_source(), dev.arch(), true);
  d.check(d.ModuleLoadData(&module_, cubin.data()), "cuModuleLoadData(optimizer)");
  d.check(d.ModuleGetFunction(&sumsq_, module_, kOptSumsqEntry), "cuModuleGetFunction(sumsq)");
  d.check(d.ModuleGetFunction(&adam_, module_, kOptAdamEntry), "cuModuleGetFunction(adam)");
  // Two CTAs of 256 threads per SM keep a memory-bound loop busy; more only adds partial sums.
  max_grid_ = static_cast<unsigned>(std::max(1, 2 * dev.sm_count));

  masters_.upload(masters_from(segs_, params));
  std::vector<float> m(static_cast<size_t>(total_), 0.f), v(m.size(), 0.f);
  for (const ParamSegment& s : segs_) {
    moment_into(adam, s, true, m);
    moment_into(adam, s, false, v);
  }
  m_.upload(m);
  v_.upload(v);
  partials_.reserve(std::max<size_t>(1, segs_.size() * max_grid_));
}

DeviceOptimizer::~DeviceOptimizer() {
  if (module_) driver().ModuleUnload(module_);
}

unsigned DeviceOptimizer::grid_for(int64_t count) const {
  const int64_t ctas = (count + kOptThreads - 1) / kOptThreads;
  return static_cast<unsigned>(std::clamp<int64_t>(ctas, 1, max_grid_));
}

double DeviceOptimizer::grad_sumsq(const PackedBufferPtrs& bufs) {
  const DriverApi& d = driver();
  std::vector<unsigned> grids;
  for (size_t k = 0; k < segs_.size(); ++k) {
    opt::SegmentView view = bind_segment(segs_[k], bufs);
    CUdeviceptr p = masters_.ptr() + static_cast<CUdeviceptr>(segs_[k].offset) * sizeof(float);
    CUdeviceptr part = partials_.ptr() + static_cast<CUdeviceptr>(k * max_grid_) * sizeof(float);
    void* args[] = {&view, &p, &part};
    const unsigned grid = grid_for(segs_[k].view.count);
    grids.push_back(grid);
    d.check(d.LaunchKernel(sumsq_, grid, 1, 1, kOptThreads, 1, 1, 0, stream_, args, nullptr),
            "cuLaunchKernel(rnnjit_opt_sumsq)");
  }
  d.check(d.StreamSynchronize(stream_), "cuStreamSynchronize(optimizer sumsq)");
  const std::vector<float> partial = partials_.download(segs_.size() * max_grid_);
  double sum = 0;
  for (size_t k = 0; k < segs_.size(); ++k)
    for (unsigned c = 0; c < grids[k]; ++c) sum += partial[k * max_grid_ + c];
  return sum;
}

void DeviceOptimizer::step(const PackedBufferPtrs& bufs, const opt::AdamStep& a_in) {
  const DriverApi& d = driver();
  opt::AdamStep a = a_in;
  for (const ParamSegment& s : segs_) {
    opt::SegmentView view = bind_segment(s, bufs);
    const CUdeviceptr off = static_cast<CUdeviceptr>(s.offset) * sizeof(float);
    CUdeviceptr p = masters_.ptr() + off, m = m_.ptr() + off, v = v_.ptr() + off;
    void* args[] = {&view, &p, &m, &v, &a};
    d.check(d.LaunchKernel(adam_, grid_for(s.view.count), 1, 1, kOptThreads, 1, 1, 0, stream_, args,
                           nullptr),
            "cuLaunchKernel(rnnjit_opt_adam)");
  }
}

void DeviceOptimizer::copy_to_host(TensorMap& params, train::Adam& adam) const {
  const DriverApi& d = driver();
  d.check(d.StreamSynchronize(stream_), "cuStreamSynchronize(optimizer copy)");
  const size_t total = static_cast<size_t>(total_);
  masters_to(segs_, masters_.download(total), params);
  TensorMap m, v;
  masters_to(segs_, m_.download(total), m);
  masters_to(segs_, v_.download(total), v);
  for (const ParamSegment& s : segs_) adam.set_moments(s.name, m.at(s.name), v.at(s.name));
}

}  // namespace rnnjit::cuda
