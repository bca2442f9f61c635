// ORC LLJIT driver of the CPU backend: host target, optimisation pipeline, in-memory kernel cache,
// and the --emit llvm / --emit asm text.
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>

#include <llvm/ADT/SmallString.h>
#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include "compiler/cpu/cpu_codegen.hpp"
#include "compiler/cpu/cpu_ir_gen.hpp"

namespace rnnjit::cpu {
namespace {

std::string error_text(llvm::Error e) {
  std::string s;
  llvm::raw_string_ostream o(s);
  o << e;
  return o.str();
}

template <class T>
T check(llvm::Expected<T> v, const char* what) {
  if (!v)
    throw std::runtime_error(std::string("cpu backend: ") + what + ": " +
                             error_text(v.takeError()));
  return std::move(*v);
}

void init_native_target() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

struct HostInfo {
  std::string cpu, features;
  int vector_bits = 128;
  std::string summary;
};

const HostInfo& host() {
  static const HostInfo h = [] {
    HostInfo h;
    h.cpu = llvm::sys::getHostCPUName().str();
    auto feats = llvm::sys::getHostCPUFeatures();
    std::string list;
    for (auto& kv : feats) {
      if (!h.features.empty()) h.features += ",";
      h.features += (kv.second ? "+" : "-") + kv.first().str();
    }
    auto has = [&](const char* f) { return feats.count(f) && feats.lookup(f); };
    if (has("avx512f"))
      h.vector_bits = 512;
    else if (has("avx2") || has("avx"))
      h.vector_bits = 256;
    for (const char* f : {"avx512f", "avx2", "fma", "neon", "sve"})
      if (has(f)) list += (list.empty() ? "" : " ") + std::string(f);
    h.summary = h.cpu + " (" + (list.empty() ? "no wide vectors" : list) + ", " +
                std::to_string(h.vector_bits) + "-bit vectors)";
    return h;
  }();
  return h;
}

std::unique_ptr<llvm::TargetMachine> host_target_machine() {
  init_native_target();
  auto jtmb = check(llvm::orc::JITTargetMachineBuilder::detectHost(), "detecting the host target");
  jtmb.setCPU(host().cpu);
  jtmb.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return check(jtmb.createTargetMachine(), "creating the host target machine");
}

void optimise(llvm::Module& mod, llvm::TargetMachine& tm) {
  if (llvm::verifyModule(mod, &llvm::errs()))
    throw std::runtime_error(
        "cpu backend: generated LLVM IR does not verify (a code generator bug)");
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  mpm.run(mod, mam);
}

struct Built {
  std::unique_ptr<llvm::LLVMContext> ctx;
  std::unique_ptr<llvm::Module> mod;
  CellPlan plan;
  CpuLayout layout;
};

Built build(const ir::Module& m, bool fp64, const KernelNames& names, llvm::TargetMachine& tm) {
  Built out;
  out.plan = plan_cell(m, "cpu backend");
  out.layout = make_layout(out.plan, host().vector_bits, fp64 ? 8 : 4);
  out.ctx = std::make_unique<llvm::LLVMContext>();
  out.mod =
      build_cell_module(*out.ctx, out.plan, out.layout, fp64, names, host().cpu, host().features);
  out.mod->setDataLayout(tm.createDataLayout());
  out.mod->setTargetTriple(tm.getTargetTriple().str());
  optimise(*out.mod, tm);
  return out;
}

llvm::orc::LLJIT& jit() {
  // One JIT for the process, never destroyed (kernels may be called until exit).
  static llvm::orc::LLJIT* j = [] {
    init_native_target();
    auto jtmb =
        check(llvm::orc::JITTargetMachineBuilder::detectHost(), "detecting the host target");
    jtmb.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
    auto built =
        check(llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(jtmb)).create(),
              "creating the ORC LLJIT");
    auto gen = check(llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
                         built->getDataLayout().getGlobalPrefix()),
                     "exposing the C library to JIT code");
    built->getMainJITDylib().addGenerator(std::move(gen));
    // The spike-noise host functions by address: a static library's symbols need not be in the
    // process's dynamic symbol table, so the search generator alone might not find them.
    llvm::orc::SymbolMap host_fns;
    auto expose = [&](const char* name, void* fn) {
      host_fns[built->mangleAndIntern(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                                                llvm::JITSymbolFlags::Exported};
    };
    expose("rnnjit_cpu_spike_noise_f32", reinterpret_cast<void*>(&rnnjit_cpu_spike_noise_f32));
    expose("rnnjit_cpu_spike_noise_f64", reinterpret_cast<void*>(&rnnjit_cpu_spike_noise_f64));
    if (auto err = built->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(host_fns))))
      throw std::runtime_error("cpu backend: registering the spike-noise host functions: " +
                               error_text(std::move(err)));
    return built.release();
  }();
  return *j;
}

}  // namespace

bool precision_is_fp64(const std::string& precision) {
  if (precision == "fp32") return false;
  if (precision == "fp64") return true;
  throw std::runtime_error("backend 'cpu' does not support precision '" + precision +
                           "' (expected fp32 or fp64)");
}

std::string host_cpu_description() {
  return host().summary;
}
int host_vector_bits() {
  return host().vector_bits;
}

std::shared_ptr<const CompiledCpuCell> compile_cpu_cell(const ir::Module& m,
                                                        const std::string& precision,
                                                        bool* cache_hit) {
  const bool fp64 = precision_is_fp64(precision);
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const CompiledCpuCell>> cache;
  static int counter = 0;
  const std::string key =
      ir::print(m) + "\n" + plan_cell(m, "cpu backend").key() + "\n" + precision;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(key); it != cache.end()) {
    if (cache_hit) *cache_hit = true;
    return it->second;
  }
  if (cache_hit) *cache_hit = false;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string prefix = "rnnjit_cell" + std::to_string(counter++);
  KernelNames names{prefix + "_fwd", prefix + "_bwd", prefix + "_wgrad"};
  auto tm = host_target_machine();
  Built b = build(m, fp64, names, *tm);
  auto& j = jit();
  if (auto err = j.addIRModule(llvm::orc::ThreadSafeModule(std::move(b.mod), std::move(b.ctx))))
    throw std::runtime_error("cpu backend: adding the kernels to the JIT: " +
                             error_text(std::move(err)));
  auto cell = std::make_shared<CompiledCpuCell>();
  cell->plan = b.plan;
  cell->layout = b.layout;
  cell->fp64 = fp64;
  cell->fwd = check(j.lookup(names.fwd), "JIT-compiling the forward kernel").toPtr<KernelFn>();
  cell->bwd = check(j.lookup(names.bwd), "JIT-compiling the adjoint kernel").toPtr<KernelFn>();
  cell->wgrad =
      check(j.lookup(names.wgrad), "JIT-compiling the weight-gradient kernel").toPtr<KernelFn>();
  cell->compile_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  cache[key] = cell;
  return cell;
}

}  // namespace rnnjit::cpu

namespace rnnjit {

std::string emit_cpu_llvm_ir(const ir::Module& m, const std::string& precision) {
  const bool fp64 = cpu::precision_is_fp64(precision);
  auto tm = cpu::host_target_machine();
  cpu::Built b = cpu::build(m, fp64, {"rnnjit_fwd", "rnnjit_bwd", "rnnjit_wgrad"}, *tm);
  std::string s;
  llvm::raw_string_ostream o(s);
  b.mod->print(o, nullptr);
  return o.str();
}

std::string emit_cpu_asm(const ir::Module& m, const std::string& precision) {
  const bool fp64 = cpu::precision_is_fp64(precision);
  auto tm = cpu::host_target_machine();
  cpu::Built b = cpu::build(m, fp64, {"rnnjit_fwd", "rnnjit_bwd", "rnnjit_wgrad"}, *tm);
  llvm::SmallString<0> buf;
  llvm::raw_svector_ostream o(buf);
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, o, nullptr, llvm::CodeGenFileType::AssemblyFile))
    throw std::runtime_error("cpu backend: the host target cannot emit assembly");
  pm.run(*b.mod);
  return std::string(buf.str());
}

}  // namespace rnnjit
