// ORC LLJIT driver of the CPU backend: host target, optimisation pipeline, object code, the
// in-memory kernel cache and the optional store of objects between processes, and the --emit llvm /
// --emit asm text.
//
// A cell is compiled to an object file with the host's TargetMachine and linked into the JIT,
// rather than handed to the JIT as IR, so that an object another process made can be linked the
// same way, skipping the optimisation pipeline and code generation (0.15 to 0.5 s for the ring at
// N = 256 on two busy cores, against a few milliseconds for the load). Every cell is linked into a
// JITDylib of its own: the kernels of every cell carry the same three names, and an object loaded
// from the store cannot be renamed.
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>

#include <llvm/ADT/SmallString.h>
#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/MemoryBuffer.h>
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

// Position-independent code in the small code model: what LLJIT asks of code it links with
// JITLink, which the objects made here must suit as well.
std::unique_ptr<llvm::TargetMachine> host_target_machine() {
  init_native_target();
  auto jtmb = check(llvm::orc::JITTargetMachineBuilder::detectHost(), "detecting the host target");
  jtmb.setCPU(host().cpu);
  jtmb.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  jtmb.setRelocationModel(llvm::Reloc::PIC_);
  jtmb.setCodeModel(llvm::CodeModel::Small);
  return check(jtmb.createTargetMachine(), "creating the host target machine");
}

// The kernels' names inside each cell's module (and JITDylib); the emitted text shows the same.
const KernelNames kKernelNames{"rnnjit_fwd", "rnnjit_bwd", "rnnjit_wgrad"};

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

// The cell's module as generated, for `tm`'s data layout and triple, not yet optimised.
Built build(const ir::Module& m, bool fp64, llvm::TargetMachine& tm) {
  Built out;
  out.plan = plan_cell(m, "cpu backend");
  out.layout = make_layout(out.plan, host().vector_bits, fp64 ? 8 : 4);
  out.ctx = std::make_unique<llvm::LLVMContext>();
  out.mod = build_cell_module(*out.ctx, out.plan, out.layout, fp64, kKernelNames, host().cpu,
                              host().features);
  out.mod->setDataLayout(tm.createDataLayout());
  out.mod->setTargetTriple(tm.getTargetTriple().str());
  return out;
}

// Everything the object code depends on: the unoptimised module (which holds the plan's constants,
// the precision, the data layout and the functions' target attributes), the target machine, the
// LLVM that optimises and generates code, and the cache format (which stands for this file's
// pipeline and code generation options). The module goes in as bitcode, which holds what its text
// holds (LLVM's version, in the key, fixes the encoding) and is written in a millisecond where the
// text takes eight: the key is made on every load from the store.
std::string object_key(const llvm::Module& mod, const llvm::TargetMachine& tm) {
  std::string s;
  llvm::raw_string_ostream o(s);
  o << "rnnjit cpu object\nformat=" << kCpuObjectCacheFormat << "\nllvm=" << LLVM_VERSION_STRING
    << "\ntriple=" << tm.getTargetTriple().str() << "\ncpu=" << tm.getTargetCPU()
    << "\nfeatures=" << tm.getTargetFeatureString() << "\nhost-cpu=" << host().cpu
    << "\nhost-features=" << host().features
    << "\nopt=O3 codegen=aggressive reloc=pic code-model=small\nunoptimised-bitcode=\n";
  llvm::WriteBitcodeToFile(mod, o);
  return o.str();
}

// The host object file of the optimised module.
std::string emit_object(llvm::Module& mod, llvm::TargetMachine& tm) {
  llvm::SmallString<0> buf;
  llvm::raw_svector_ostream o(buf);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, o, nullptr, llvm::CodeGenFileType::ObjectFile))
    throw std::runtime_error("cpu backend: the host target cannot emit object code");
  pm.run(mod);
  return std::string(buf.str());
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

// The compiled cells of this process by the key compile_cpu_cell gives them, and the lock that
// makes compiling thread-safe (one cell at a time: the JIT's JITDylib names, the map).
std::mutex& cells_mutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, std::shared_ptr<const CompiledCpuCell>>& cells_in_memory() {
  static std::map<std::string, std::shared_ptr<const CompiledCpuCell>> cells;
  return cells;
}

// Links `object` into a JITDylib of its own and fills in the kernels' addresses.
llvm::Error link_kernels(const std::string& object, CompiledCpuCell& cell) {
  static int dylibs = 0;  // guarded by cells_mutex()
  auto& j = jit();
  const std::string name = "rnnjit_cell" + std::to_string(dylibs++);
  auto jd = j.createJITDylib(name);
  if (!jd) return jd.takeError();
  jd->addToLinkOrder(j.getMainJITDylib());  // the C library and the spike-noise host functions
  if (auto err = j.addObjectFile(*jd, llvm::MemoryBuffer::getMemBufferCopy(object, name)))
    return err;
  const std::pair<const std::string*, KernelFn*> kernels[] = {{&kKernelNames.fwd, &cell.fwd},
                                                              {&kKernelNames.bwd, &cell.bwd},
                                                              {&kKernelNames.wgrad, &cell.wgrad}};
  for (auto [kernel, fn] : kernels) {
    auto addr = j.lookup(*jd, *kernel);
    if (!addr) return addr.takeError();
    *fn = addr->toPtr<KernelFn>();
  }
  return llvm::Error::success();
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
                                                        bool* cache_hit,
                                                        CompiledObjectStore* store) {
  const bool fp64 = precision_is_fp64(precision);
  const std::string key =
      ir::print(m) + "\n" + plan_cell(m, "cpu backend").key() + "\n" + precision;
  std::lock_guard<std::mutex> lock(cells_mutex());
  auto& cells = cells_in_memory();
  if (auto it = cells.find(key); it != cells.end()) {
    if (cache_hit) *cache_hit = true;
    return it->second;
  }
  if (cache_hit) *cache_hit = false;
  const auto t0 = std::chrono::steady_clock::now();
  auto tm = host_target_machine();
  Built b = build(m, fp64, *tm);
  auto cell = std::make_shared<CompiledCpuCell>();
  cell->plan = b.plan;
  cell->layout = b.layout;
  cell->fp64 = fp64;
  const std::string object_id = store ? object_key(*b.mod, *tm) : std::string();
  if (store)
    if (auto object = store->find(object_id)) {
      if (auto err = link_kernels(*object, *cell))
        // An object that passed the store's checks and still does not link was not made by this
        // code; compiling the cell again replaces it (the failed JITDylib is never used).
        llvm::consumeError(std::move(err));
      else
        cell->origin = CpuCellOrigin::ObjectStore;
    }
  if (cell->origin != CpuCellOrigin::ObjectStore) {
    optimise(*b.mod, *tm);
    const std::string object = emit_object(*b.mod, *tm);
    if (auto err = link_kernels(object, *cell))
      throw std::runtime_error("cpu backend: linking the kernels: " + error_text(std::move(err)));
    if (store) store->keep(object_id, object);
  }
  cell->compile_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  cells[key] = cell;
  return cell;
}

void forget_cpu_cells_in_memory() {
  std::lock_guard<std::mutex> lock(cells_mutex());
  cells_in_memory().clear();
}

}  // namespace rnnjit::cpu

namespace rnnjit {

std::string emit_cpu_llvm_ir(const ir::Module& m, const std::string& precision) {
  const bool fp64 = cpu::precision_is_fp64(precision);
  auto tm = cpu::host_target_machine();
  cpu::Built b = cpu::build(m, fp64, *tm);
  cpu::optimise(*b.mod, *tm);
  std::string s;
  llvm::raw_string_ostream o(s);
  b.mod->print(o, nullptr);
  return o.str();
}

std::string emit_cpu_asm(const ir::Module& m, const std::string& precision) {
  const bool fp64 = cpu::precision_is_fp64(precision);
  auto tm = cpu::host_target_machine();
  cpu::Built b = cpu::build(m, fp64, *tm);
  cpu::optimise(*b.mod, *tm);
  llvm::SmallString<0> buf;
  llvm::raw_svector_ostream o(buf);
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, o, nullptr, llvm::CodeGenFileType::AssemblyFile))
    throw std::runtime_error("cpu backend: the host target cannot emit assembly");
  pm.run(*b.mod);
  return std::string(buf.str());
}

}  // namespace rnnjit
