// The C API (rnnjit/rnnjit.h): the same results as the C++ API, and every error path answers with
// a status and a message instead of an exception or a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "rnnjit/rnnjit.h"
#include "rnnjit/rnnjit.hpp"

namespace {

namespace fs = std::filesystem;

const std::string kRing = std::string(RNNJIT_SOURCE_DIR) + "/examples/ring.yaml";

std::string ring_yaml(int n) {
  return "version: 1\nname: c\nneurons: " + std::to_string(n) +
         "\nactivation: tanh\nalpha: 0.15\ngates: {actions: 2}\nrecurrent:\n"
         "  - {name: Wo, scale: 0.1, learn: true}\n  - {name: Wa, gated_by: actions, learn: "
         "true}\n";
}

std::string last() {
  return rnnjit_last_error();
}

TEST(CApi, ForwardAndBackwardMatchTheCppApi) {
  rnnjit_spec* spec = nullptr;
  ASSERT_EQ(rnnjit_spec_parse(ring_yaml(9).c_str(), "c.yaml", &spec), RNNJIT_OK) << last();
  rnnjit_cell* cell = nullptr;
  ASSERT_EQ(rnnjit_cell_compile(spec, "reference", nullptr, &cell), RNNJIT_OK) << last();
  rnnjit_tensors *params = nullptr, *inputs = nullptr, *r = nullptr;
  ASSERT_EQ(rnnjit_cell_init_params(cell, 11, &params), RNNJIT_OK);
  ASSERT_EQ(rnnjit_cell_random_inputs(cell, 2, 6, 12, &inputs), RNNJIT_OK);
  ASSERT_EQ(rnnjit_cell_forward(cell, params, inputs, 0, &r), RNNJIT_OK) << last();

  const rnnjit::Spec cpp_spec = rnnjit::Spec::from_string(ring_yaml(9), "c.yaml");
  rnnjit::Cell cpp = rnnjit::Cell::compile(cpp_spec, {.backend = "reference"});
  const rnnjit::Tensor expected = cpp.forward(cpp.init_params(11), cpp.random_inputs(2, 6, 12));
  size_t n = 0;
  int rank = 0;
  const int64_t* shape = nullptr;
  ASSERT_EQ(rnnjit_tensors_info(r, "r", nullptr, &rank, &shape, &n), RNNJIT_OK);
  ASSERT_EQ(rank, 3);
  EXPECT_EQ(std::vector<int64_t>(shape, shape + 3), expected.shape());
  std::vector<double> got(n);
  ASSERT_EQ(rnnjit_tensors_read(r, "r", RNNJIT_F64, got.data(), n), RNNJIT_OK);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], expected.at_f64(static_cast<int64_t>(i)));
  std::vector<double> into(n);
  ASSERT_EQ(rnnjit_cell_forward_into(cell, params, inputs, 0, RNNJIT_F64, into.data(), n),
            RNNJIT_OK);
  EXPECT_EQ(into, got);

  // Backward of L = sum(w * r) for random w, against the C++ API.
  std::mt19937_64 rng(13);
  std::normal_distribution<double> g;
  std::vector<double> w(n);
  for (double& x : w) x = g(rng);
  rnnjit_tensors *dr = nullptr, *grads = nullptr;
  ASSERT_EQ(rnnjit_tensors_new(&dr), RNNJIT_OK);
  ASSERT_EQ(rnnjit_tensors_set(dr, "r", RNNJIT_F64, rank, shape, w.data()), RNNJIT_OK);
  ASSERT_EQ(rnnjit_cell_backward(cell, dr, &grads), RNNJIT_OK) << last();
  const rnnjit::TensorMap cpp_grads = cpp.backward(rnnjit::Tensor::f64(expected.shape(), w));
  size_t count = 0;
  ASSERT_EQ(rnnjit_tensors_count(grads, &count), RNNJIT_OK);
  EXPECT_EQ(count, cpp_grads.size());
  for (size_t i = 0; i < count; ++i) {
    const char* name = nullptr;
    ASSERT_EQ(rnnjit_tensors_name(grads, i, &name), RNNJIT_OK);
    const rnnjit::Tensor& want = cpp_grads.at(name);
    std::vector<double> have(static_cast<size_t>(want.numel()));
    ASSERT_EQ(rnnjit_tensors_read(grads, name, RNNJIT_F64, have.data(), have.size()), RNNJIT_OK);
    for (size_t e = 0; e < have.size(); ++e)
      ASSERT_EQ(have[e], want.at_f64(static_cast<int64_t>(e))) << name;
  }
  rnnjit_tensors_free(grads);
  rnnjit_tensors_free(dr);
  rnnjit_tensors_free(r);
  rnnjit_tensors_free(inputs);
  rnnjit_tensors_free(params);
  rnnjit_cell_free(cell);
  rnnjit_spec_free(spec);
}

TEST(CApi, ABadSpecStringGivesTheLocation) {
  rnnjit_spec* spec = reinterpret_cast<rnnjit_spec*>(1);
  EXPECT_EQ(rnnjit_spec_parse("version: 1\nneurons: [3\n", "broken.yaml", &spec),
            RNNJIT_ERROR_SPEC);
  EXPECT_EQ(spec, nullptr);
  EXPECT_EQ(last().rfind("broken.yaml:", 0), 0u) << last();
  EXPECT_EQ(
      rnnjit_spec_parse("version: 1\nname: t\nneurons: 4\nactivation: relux\n", "typo.yaml", &spec),
      RNNJIT_ERROR_SPEC);
  EXPECT_NE(last().find("typo.yaml:4:"), std::string::npos) << last();
  EXPECT_NE(last().find("relu"), std::string::npos) << last();  // the suggestion
  EXPECT_EQ(rnnjit_spec_load("/nonexistent/spec.yaml", &spec), RNNJIT_ERROR_SPEC);
  EXPECT_NE(last().find("/nonexistent/spec.yaml"), std::string::npos) << last();
}

TEST(CApi, WrongShapesNameBothShapes) {
  rnnjit_spec* spec = nullptr;
  ASSERT_EQ(rnnjit_spec_parse(ring_yaml(5).c_str(), nullptr, &spec), RNNJIT_OK);
  rnnjit_cell* cell = nullptr;
  ASSERT_EQ(rnnjit_cell_compile(spec, "reference", "fp32", &cell), RNNJIT_OK) << last();
  rnnjit_tensors *params = nullptr, *inputs = nullptr, *r = nullptr;
  ASSERT_EQ(rnnjit_cell_init_params(cell, 1, &params), RNNJIT_OK);
  ASSERT_EQ(rnnjit_cell_random_inputs(cell, 2, 3, 1, &inputs), RNNJIT_OK);
  const int64_t bad[] = {2, 3, 4};
  const std::vector<float> zeros(24, 0.5f);
  ASSERT_EQ(rnnjit_tensors_set(inputs, "actions", RNNJIT_F32, 3, bad, zeros.data()), RNNJIT_OK);
  EXPECT_EQ(rnnjit_cell_forward(cell, params, inputs, 0, &r), RNNJIT_ERROR_SHAPE);
  EXPECT_EQ(r, nullptr);
  EXPECT_NE(last().find("[2,3,4]"), std::string::npos) << last();
  EXPECT_NE(last().find("[2,3,2]"), std::string::npos) << last();
  // A destination of the wrong size, and a tensor that is not there.
  rnnjit_tensors_free(inputs);
  ASSERT_EQ(rnnjit_cell_random_inputs(cell, 2, 3, 1, &inputs), RNNJIT_OK);
  std::vector<float> small(3);
  EXPECT_EQ(rnnjit_cell_forward_into(cell, params, inputs, 0, RNNJIT_F32, small.data(), 3),
            RNNJIT_ERROR_SHAPE);
  EXPECT_NE(last().find("30"), std::string::npos) << last();
  EXPECT_EQ(rnnjit_tensors_read(params, "nope", RNNJIT_F32, small.data(), 3), RNNJIT_ERROR_SHAPE);
  EXPECT_NE(last().find("nope"), std::string::npos) << last();
  size_t count = 0;
  ASSERT_EQ(rnnjit_tensors_count(params, &count), RNNJIT_OK);
  const char* name = nullptr;
  EXPECT_EQ(rnnjit_tensors_name(params, count, &name), RNNJIT_ERROR_USAGE);
  const int64_t negative[] = {2, -1};
  EXPECT_EQ(rnnjit_tensors_set(params, "x", RNNJIT_F32, 2, negative, zeros.data()),
            RNNJIT_ERROR_SHAPE);
  rnnjit_tensors_free(inputs);
  rnnjit_tensors_free(params);
  rnnjit_cell_free(cell);
  rnnjit_spec_free(spec);
}

TEST(CApi, NullHandlesAreNamed) {
  rnnjit_cell* cell = nullptr;
  EXPECT_EQ(rnnjit_cell_compile(nullptr, "cpu", "fp32", &cell), RNNJIT_ERROR_NULL_ARGUMENT);
  EXPECT_NE(last().find("spec is NULL"), std::string::npos) << last();
  EXPECT_EQ(rnnjit_spec_load(nullptr, nullptr), RNNJIT_ERROR_NULL_ARGUMENT);
  EXPECT_NE(last().find("path is NULL"), std::string::npos) << last();
  rnnjit_tensors* t = nullptr;
  EXPECT_EQ(rnnjit_cell_forward(nullptr, nullptr, nullptr, 0, &t), RNNJIT_ERROR_NULL_ARGUMENT);
  EXPECT_EQ(rnnjit_tensors_set(nullptr, "r", RNNJIT_F32, 0, nullptr, nullptr),
            RNNJIT_ERROR_NULL_ARGUMENT);
  EXPECT_EQ(rnnjit_resume(nullptr, nullptr, nullptr, nullptr, nullptr), RNNJIT_ERROR_NULL_ARGUMENT);
  rnnjit_spec_free(nullptr);  // freeing NULL is a no-op
  rnnjit_cell_free(nullptr);
  rnnjit_tensors_free(nullptr);
}

TEST(CApi, BadOptionsAndBackendsAreReported) {
  rnnjit_spec* spec = nullptr;
  ASSERT_EQ(rnnjit_spec_parse(ring_yaml(6).c_str(), nullptr, &spec), RNNJIT_OK);
  rnnjit_cell* cell = nullptr;
  EXPECT_EQ(rnnjit_cell_compile(spec, "tpu", nullptr, &cell), RNNJIT_ERROR_RUNTIME);
  EXPECT_NE(last().find("tpu"), std::string::npos) << last();
  const std::string dir = (fs::temp_directory_path() / "rnnjit-capi-opts").string();
  EXPECT_EQ(rnnjit_train(spec, dir.c_str(), "{\"steps\": ", nullptr, nullptr, nullptr),
            RNNJIT_ERROR_USAGE);
  EXPECT_NE(last().find("not JSON"), std::string::npos) << last();
  EXPECT_EQ(last().find("json.exception"), std::string::npos) << last();
  EXPECT_EQ(rnnjit_train(spec, dir.c_str(), "{\"stepz\": 3}", nullptr, nullptr, nullptr),
            RNNJIT_ERROR_USAGE);
  EXPECT_NE(last().find("stepz"), std::string::npos) << last();
  EXPECT_EQ(rnnjit_train(spec, dir.c_str(), "{\"steps\": \"many\"}", nullptr, nullptr, nullptr),
            RNNJIT_ERROR_USAGE);
  rnnjit_spec_free(spec);
  fs::remove_all(dir);
}

TEST(CApi, TrainsWithAProgressCallback) {
  rnnjit_spec* spec = nullptr;
  ASSERT_EQ(rnnjit_spec_parse(ring_yaml(8).c_str(), "c.yaml", &spec), RNNJIT_OK);
  const std::string dir = (fs::temp_directory_path() / "rnnjit-capi-train").string();
  fs::remove_all(dir);
  int calls = 0;
  char* summary = nullptr;
  const char* options =
      R"({"backend": "reference", "figures": false, "settings": {"steps": 2, "batch": 3,
          "seq_len": 5, "eval_trials": 4}})";
  ASSERT_EQ(rnnjit_train(
                spec, dir.c_str(), options,
                [](const rnnjit_progress* p, void* user) {
                  ++*static_cast<int*>(user);
                  EXPECT_EQ(p->last_step, 2);
                },
                &calls, &summary),
            RNNJIT_OK)
      << last();
  EXPECT_EQ(calls, 2);
  ASSERT_NE(summary, nullptr);
  EXPECT_NE(std::string(summary).find("\"run_id\""), std::string::npos);
  rnnjit_string_free(summary);
  // The folder now holds a run: a second fresh run is refused with the reason.
  EXPECT_EQ(rnnjit_train(spec, dir.c_str(), options, nullptr, nullptr, nullptr),
            RNNJIT_ERROR_USAGE);
  EXPECT_NE(last().find("--resume"), std::string::npos) << last();
  ASSERT_EQ(rnnjit_resume(dir.c_str(), R"({"steps": 3, "backend": "reference", "figures": false})",
                          nullptr, nullptr, nullptr),
            RNNJIT_OK)
      << last();
  rnnjit_spec_free(spec);
  fs::remove_all(dir);
}

// rnnjit_last_error is per thread: another thread's failure does not overwrite this one's.
TEST(CApi, TheLastErrorBelongsToTheThread) {
  rnnjit_spec* spec = nullptr;
  ASSERT_EQ(rnnjit_spec_parse("neurons: 0\n", "mine.yaml", &spec), RNNJIT_ERROR_SPEC);
  std::thread other([] {
    rnnjit_spec* s = nullptr;
    EXPECT_EQ(rnnjit_spec_parse("neurons: 0\n", "theirs.yaml", &s), RNNJIT_ERROR_SPEC);
  });
  other.join();
  EXPECT_EQ(last().rfind("mine.yaml", 0), 0u) << last();
}

}  // namespace
