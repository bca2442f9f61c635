// End-to-end tests of the rnnjit command line: the binary is run as a user would run it.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "compiler/lower.hpp"
#include "runtime/backends/backends.hpp"
#include "runtime/core/safetensors.hpp"
#include "tests/cli/run_cli.hpp"

namespace fs = std::filesystem;
using namespace rnnjit;

namespace {

using Result = rnnjit::test::CliResult;

Result run(const std::string& args) {
  return rnnjit::test::run_rnnjit(args);
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("rnnjit_cli_" + std::to_string(rd()));
    fs::create_directories(dir);
    ring = std::string(RNNJIT_SOURCE_DIR) + "/examples/ring.yaml";
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  fs::path dir;
  std::string ring;
};

TEST_F(Cli, HelpListsEveryCommand) {
  Result r = run("--help");
  EXPECT_EQ(r.code, 0);
  const char* commands[] = {"compile", "init",  "inputs", "run",
                            "grad",    "train", "bench",  "analyze"};
  for (const char* c : commands) EXPECT_NE(r.output.find(c), std::string::npos) << c;
  for (const char* c : commands) {
    Result h = run(std::string(c) + " --help");
    EXPECT_EQ(h.code, 0) << c << ": " << h.output;
    EXPECT_NE(h.output.find("Usage"), std::string::npos) << h.output;
  }
}

TEST_F(Cli, UnknownCommandAndFlagExitWithTwo) {
  EXPECT_EQ(run("frobnicate").code, 2);
  Result r = run("compile " + ring + " --no-such-flag");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("no-such-flag"), std::string::npos) << r.output;
}

TEST_F(Cli, CompilePrintsOptimisedAndUnoptimisedIr) {
  Result r = run("compile " + ring + " --emit ir");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("bank_matvec"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rowsum"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[K.actions=2,N=256,N=256]"), std::string::npos) << r.output;
  Result u = run("compile " + ring + " --emit ir-unoptimized");
  ASSERT_EQ(u.code, 0) << u.output;
  EXPECT_NE(u.output.find("gated_matvec"), std::string::npos) << u.output;
  EXPECT_NE(u.output.find("constfill"), std::string::npos) << u.output;
}

TEST_F(Cli, InitWritesOneTensorPerTerm) {
  Result r = run("init " + ring + " --seed 3 -o " + path("p.safetensors"));
  ASSERT_EQ(r.code, 0) << r.output;
  TensorMap p = read_safetensors(path("p.safetensors"));
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p.at("Wo").shape(), (std::vector<int64_t>{256, 256}));
  EXPECT_EQ(p.at("Wa").shape(), (std::vector<int64_t>{2, 256, 256}));
  EXPECT_EQ(p.at("Wo").dtype(), DType::F32);
  // Same seed, same parameters; another seed, others.
  ASSERT_EQ(run("init " + ring + " --seed 3 -o " + path("q.safetensors")).code, 0);
  ASSERT_EQ(run("init " + ring + " --seed 4 -o " + path("s.safetensors")).code, 0);
  TensorMap q = read_safetensors(path("q.safetensors")),
            s = read_safetensors(path("s.safetensors"));
  EXPECT_EQ(p.at("Wo").at_f64(7), q.at("Wo").at_f64(7));
  EXPECT_NE(p.at("Wo").at_f64(7), s.at("Wo").at_f64(7));
}

TEST_F(Cli, RunAndGradThroughTheReferenceBackend) {
  ASSERT_EQ(run("init " + ring + " -o " + path("p.safetensors")).code, 0);
  Result in = run("inputs " + ring + " --batch 3 --steps 6 --seed 2 -o " + path("i.safetensors") +
                  " --cotangent " + path("c.safetensors"));
  ASSERT_EQ(in.code, 0) << in.output;
  Result r = run("run " + ring + " --backend reference --params " + path("p.safetensors") +
                 " --inputs " + path("i.safetensors") + " -o " + path("r.safetensors"));
  ASSERT_EQ(r.code, 0) << r.output;
  TensorMap out = read_safetensors(path("r.safetensors"));
  EXPECT_EQ(out.at("r").shape(), (std::vector<int64_t>{3, 6, 256}));
  EXPECT_EQ(out.at("r").dtype(), DType::F64);  // the reference backend writes float64

  Result g = run("grad " + ring + " --backend reference --params " + path("p.safetensors") +
                 " --inputs " + path("i.safetensors") + " --cotangent " + path("c.safetensors") +
                 " -o " + path("g.safetensors"));
  ASSERT_EQ(g.code, 0) << g.output;
  TensorMap grads = read_safetensors(path("g.safetensors"));
  EXPECT_EQ(grads.at("Wo").shape(), (std::vector<int64_t>{256, 256}));
  EXPECT_EQ(grads.at("Wa").shape(), (std::vector<int64_t>{2, 256, 256}));
  EXPECT_EQ(grads.at("r0").shape(), (std::vector<int64_t>{3, 256}));
  EXPECT_EQ(grads.at("actions").shape(), (std::vector<int64_t>{3, 6, 2}));

  // The CLI and the library give the same states bit for bit.
  TensorMap params = read_safetensors(path("p.safetensors")),
            inputs = read_safetensors(path("i.safetensors"));
  ExecutorConfig cfg;
  cfg.backend = "reference";
  auto exec = make_executor(compile_module(parse_spec_file(ring)), cfg);
  Tensor states = exec->forward(params, inputs);
  ASSERT_EQ(states.shape(), out.at("r").shape());
  for (int64_t i = 0; i < states.numel(); i += 97)
    ASSERT_EQ(states.at_f64(i), out.at("r").at_f64(i)) << i;
}

TEST_F(Cli, ShapeMismatchNamesTheTensorAndBothShapes) {
  ASSERT_EQ(run("init " + ring + " -o " + path("p.safetensors")).code, 0);
  ASSERT_EQ(run("inputs " + ring + " --batch 2 --steps 3 -o " + path("i.safetensors")).code, 0);
  TensorMap p = read_safetensors(path("p.safetensors"));
  p["Wo"] = Tensor(DType::F32, {3, 5});
  write_safetensors(path("bad.safetensors"), p);
  Result r = run("run " + ring + " --backend reference --params " + path("bad.safetensors") +
                 " --inputs " + path("i.safetensors") + " -o " + path("r.safetensors"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("'Wo'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[3,5]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[256,256]"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("r.safetensors")));  // nothing half-written
}

TEST_F(Cli, SpecErrorNamesFileLineColumn) {
  std::ofstream(path("bad.yaml"))
      << "version: 1\nname: ring\nnuerons: 8\nactivation: relu\nalpha: 0.5\n";
  Result r = run("compile " + path("bad.yaml"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find(path("bad.yaml") + ":3:1: error:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("neurons"), std::string::npos) << r.output;
}

TEST_F(Cli, UnknownBackendIsRejected) {
  ASSERT_EQ(run("init " + ring + " -o " + path("p.safetensors")).code, 0);
  ASSERT_EQ(run("inputs " + ring + " --batch 1 --steps 1 -o " + path("i.safetensors")).code, 0);
  Result r = run("run " + ring + " --backend quantum --params " + path("p.safetensors") +
                 " --inputs " + path("i.safetensors") + " -o " + path("r.safetensors"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("unknown backend 'quantum'"), std::string::npos) << r.output;
  // The trainers check the flag the same way, before any work.
  for (const std::string& spec :
       {ring, std::string(RNNJIT_SOURCE_DIR) + "/examples/vwm_small.yaml"}) {
    Result t = run("train " + spec + " --backend quantum --steps 1 --out " + path("t"));
    EXPECT_EQ(t.code, 2) << t.output;
    EXPECT_NE(t.output.find("unknown backend 'quantum'"), std::string::npos) << t.output;
  }
}

}  // namespace

namespace {

TEST_F(Cli, EmitsLlvmAndAssemblyWhenTheCpuBackendIsBuilt) {
  if (!have_llvm_backend()) GTEST_SKIP() << "built without LLVM";
  Result ll = run("compile " + ring + " --emit llvm");
  ASSERT_EQ(ll.code, 0) << ll.output;
  EXPECT_NE(ll.output.find("define"), std::string::npos);
  Result as = run("compile " + ring + " --emit asm");
  ASSERT_EQ(as.code, 0) << as.output.substr(0, 2000);
  EXPECT_NE(as.output.find("vfmadd"), std::string::npos)
      << "no fused multiply-add in the generated code";
}

TEST_F(Cli, EmitsCudaPtxAndCubinWithoutAGpu) {
  if (!have_cuda_backend()) GTEST_SKIP() << "built without CUDA headers";
  Result cu = run("compile " + ring + " --emit cuda");
  ASSERT_EQ(cu.code, 0) << cu.output.substr(0, 2000);
  EXPECT_NE(cu.output.find("__global__"), std::string::npos);
  Result ptx = run("compile " + ring + " --emit ptx --arch sm_90");
  ASSERT_EQ(ptx.code, 0) << ptx.output.substr(0, 4000);
  EXPECT_NE(ptx.output.find(".target sm_90"), std::string::npos);
  EXPECT_NE(ptx.output.find(".entry"), std::string::npos);
  Result cubin = run("compile " + ring + " --emit cubin --arch sm_80 -o " + path("k.cubin"));
  ASSERT_EQ(cubin.code, 0) << cubin.output.substr(0, 4000);
  std::ifstream in(path("k.cubin"), std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  EXPECT_EQ(std::string(magic, 4),
            "\x7f"
            "ELF");
  Result bad = run("compile " + ring + " --emit cuda --precision bf17");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("bf17"), std::string::npos) << bad.output;
}

}  // namespace
