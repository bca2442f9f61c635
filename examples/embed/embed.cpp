// Embedding rnnjit in a C++ program: compile a spec, run the JIT kernels forward and backward,
// and compare with the float64 reference backend. Build: see examples/embed/CMakeLists.txt.
#include <rnnjit/rnnjit.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

int main(int argc, char** argv) {
  try {
    const char* path = argc > 1 ? argv[1] : "examples/ring.yaml";
    const rnnjit::Spec spec = rnnjit::Spec::from_file(path);
    rnnjit::Cell cell = rnnjit::Cell::compile(spec, {.backend = "auto"});
    rnnjit::Cell reference = rnnjit::Cell::compile(spec, {.backend = "reference"});

    const rnnjit::TensorMap params = cell.init_params(/*seed=*/1);
    const rnnjit::TensorMap inputs = cell.random_inputs(/*batch=*/4, /*steps=*/10, /*seed=*/2);
    const rnnjit::Tensor r = cell.forward(params, inputs);
    const rnnjit::Tensor r_ref = reference.forward(params, inputs);

    // L = sum(r): the cotangent dL/dr is all ones.
    rnnjit::Tensor ones = r.to(rnnjit::DType::F64);
    std::fill(ones.span<double>().begin(), ones.span<double>().end(), 1.0);
    const rnnjit::TensorMap grads = cell.backward(ones);
    const rnnjit::TensorMap grads_ref = reference.backward(ones);

    double checksum = 0, max_diff = 0;
    for (int64_t i = 0; i < r.numel(); ++i) {
      checksum += r.at_f64(i);
      max_diff = std::max(max_diff, std::fabs(r.at_f64(i) - r_ref.at_f64(i)));
    }
    for (const auto& [name, g] : grads)
      for (int64_t i = 0; i < g.numel(); ++i)
        max_diff = std::max(max_diff, std::fabs(g.at_f64(i) - grads_ref.at(name).at_f64(i)));
    std::printf("rnnjit %s, %s backend: r %s checksum %.6f, max |difference| vs reference %.3g\n",
                rnnjit::version(), cell.backend().c_str(), r.shape_str().c_str(), checksum,
                max_diff);
    return max_diff < 1e-2 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embed: %s\n", e.what());
    return 1;
  }
}
