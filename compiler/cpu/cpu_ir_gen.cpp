// LLVM IR for one cell: the forward pass, the adjoint recurrence and the bank weight gradient.
//
// All three are built around one register-tiled product  C[P x Q] (+)= L[P x R] * Rm[R x Q]:
//   forward   s_t      = A_t  * Wf   with A_t[b] = [c_0(b,t) z_b, .., c_{M-1}(b,t) z_b, scale*u_b]
//             (z = r_{t-1}, or its spike-noise draw from a host call, cpu_abi.hpp)
//   adjoint   out_t    = delta_t * Wb, out = [bank_0^T delta, .., bank_{M-1}^T delta, W_in^T delta]
//   gradient  dBank_m  = sum_(b,t) delta^T (c_m z)
// Each register tile holds tp rows x qv vectors of accumulators; the weight vectors are loaded
// once per reduction index and every row's scalar is broadcast into a fused multiply-add.
// Pointwise work (activation, derivative, leak, adjoint of the leak) is fused into the epilogues.
#include "compiler/cpu/cpu_ir_gen.hpp"

#include <functional>
#include <vector>

#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>

#include "compiler/cpu/cpu_math_ir.hpp"

namespace rnnjit::cpu {
namespace {

using llvm::BasicBlock;
using llvm::Value;

class Gen {
 public:
  Gen(llvm::LLVMContext& ctx, llvm::Module& mod, const CellPlan& plan, const CpuLayout& layout,
      bool fp64)
      : C(ctx), M(mod), b(ctx), P(plan), L(layout), fp64_(fp64) {
    E = fp64 ? b.getDoubleTy() : b.getFloatTy();
    V = llvm::FixedVectorType::get(E, static_cast<unsigned>(L.vw));
    i64 = b.getInt64Ty();
    ptr = b.getPtrTy();
    esize = fp64 ? 8 : 4;
  }

  llvm::Function* begin(const std::string& name, const std::string& cpu,
                        const std::string& features) {
    auto* ft = llvm::FunctionType::get(b.getVoidTy(), {ptr, i64, i64, i64, i64, ptr}, false);
    F = llvm::Function::Create(ft, llvm::GlobalValue::ExternalLinkage, name, M);
    F->addFnAttr("target-cpu", cpu);
    F->addFnAttr("target-features", features);
    F->addFnAttr(llvm::Attribute::NoUnwind);
    for (unsigned i : {0u, 5u}) F->addParamAttr(i, llvm::Attribute::NoAlias);
    entry = BasicBlock::Create(C, "entry", F);
    b.SetInsertPoint(entry);
    auto it = F->arg_begin();
    args = &*it++;
    lo = &*it++;
    hi = &*it++;
    nB = &*it++;
    nT = &*it++;
    scratch = &*it++;
    return F;
  }
  void end() { b.CreateRetVoid(); }

  // ---- small helpers ----
  Value* c64(int64_t v) { return llvm::ConstantInt::get(i64, static_cast<uint64_t>(v), true); }
  Value* ce(double v) { return llvm::ConstantFP::get(E, v); }
  Value* splat(Value* s) { return b.CreateVectorSplat(static_cast<unsigned>(L.vw), s); }
  Value* cv(double v) { return splat(ce(v)); }
  Value* at(Value* base, Value* idx) { return b.CreateInBoundsGEP(E, base, idx); }
  Value* ld(Value* p) { return b.CreateAlignedLoad(E, p, llvm::Align(esize)); }
  void st(Value* v, Value* p) { b.CreateAlignedStore(v, p, llvm::Align(esize)); }
  Value* ldv(Value* p) { return b.CreateAlignedLoad(V, p, llvm::Align(esize)); }
  void stv(Value* v, Value* p) { b.CreateAlignedStore(v, p, llvm::Align(esize)); }
  Value* add(Value* x, Value* y) { return b.CreateAdd(x, y, "", false, true); }
  Value* mul(Value* x, Value* y) { return b.CreateMul(x, y, "", false, true); }
  Value* fma(Value* x, Value* y, Value* z) {
    return b.CreateIntrinsic(llvm::Intrinsic::fma, {x->getType()}, {x, y, z});
  }
  Value* arg_ptr(int64_t slot) {
    Value* p = b.CreateInBoundsGEP(ptr, args, c64(slot));
    return b.CreateAlignedLoad(ptr, p, llvm::Align(8));
  }
  Value* alloca_entry(llvm::Type* t) {
    llvm::IRBuilder<> eb(entry, entry->begin());
    return eb.CreateAlloca(t);
  }
  // Lane mask for the last, partial vector of a row of n elements (nullptr when rows are whole).
  Value* tail_mask(int64_t n) {
    const int64_t rem = n % L.vw;
    if (rem == 0) return nullptr;
    std::vector<llvm::Constant*> bits;
    for (int64_t i = 0; i < L.vw; ++i) bits.push_back(b.getInt1(i < rem));
    return llvm::ConstantVector::get(bits);
  }
  void zero(Value* p, Value* elems) {
    b.CreateMemSet(p, b.getInt8(0), mul(elems, c64(esize)), llvm::MaybeAlign(esize));
  }
  Value* hsum(Value* v) { return b.CreateFAddReduce(ce(0.0), v); }

  // for (i = lo; i < hi; i += step) body(i)
  void loop(Value* from, Value* to, int64_t step, const std::function<void(Value*)>& body) {
    BasicBlock* pre = b.GetInsertBlock();
    BasicBlock* head = BasicBlock::Create(C, "loop", F);
    BasicBlock* bodyb = BasicBlock::Create(C, "body", F);
    BasicBlock* exit = BasicBlock::Create(C, "exit", F);
    b.CreateBr(head);
    b.SetInsertPoint(head);
    llvm::PHINode* i = b.CreatePHI(i64, 2);
    i->addIncoming(from, pre);
    b.CreateCondBr(b.CreateICmpSLT(i, to), bodyb, exit);
    b.SetInsertPoint(bodyb);
    body(i);
    Value* next = add(i, c64(step));
    i->addIncoming(next, b.GetInsertBlock());
    b.CreateBr(head);
    b.SetInsertPoint(exit);
  }
  // Vector loop over a row of n logical elements stored with whole vectors: body(j, mask) with
  // mask == nullptr for whole vectors and the tail mask for the last, partial one.
  void row_loop(int64_t n, const std::function<void(Value*, Value*)>& body) {
    const int64_t whole = n / L.vw;
    if (whole > 0) loop(c64(0), c64(whole * L.vw), L.vw, [&](Value* j) { body(j, nullptr); });
    if (Value* mk = tail_mask(n)) body(c64(whole * L.vw), mk);
  }
  Value* load_row(Value* p, Value* mask) {
    if (!mask) return ldv(p);
    return b.CreateMaskedLoad(V, p, llvm::Align(esize), mask, cv(0.0));
  }
  void store_row(Value* v, Value* p, Value* mask) {
    if (!mask) return stv(v, p);
    b.CreateMaskedStore(v, p, llvm::Align(esize), mask);
  }

  // C[p][q] += sum_r l(p, r) * Rm[r][q] for p < rows (a multiple of tp, runtime), q < qvecs*vw,
  // r < rlen (runtime). l(p, r) = lbase[p*lsp + r*lsr]. The reduction is split in chunks of kc so
  // the panel slice of one column block stays in the first-level cache.
  void gemm(Value* lbase, int64_t lsp, int64_t lsr, Value* rbase, int64_t ldr, Value* cbase,
            int64_t ldc, Value* rows, Value* rlen, int64_t qvecs, int64_t kc) {
    const int64_t full = qvecs / L.qv, tailv = qvecs % L.qv;
    loop(c64(0), rlen, kc, [&](Value* r0) {
      Value* rend = b.CreateSelect(b.CreateICmpSLT(add(r0, c64(kc)), rlen), add(r0, c64(kc)), rlen);
      auto tile_cols = [&](Value* q0, int64_t nv) {
        loop(c64(0), rows, L.tp, [&](Value* p0) {
          tile(lbase, lsp, lsr, rbase, ldr, cbase, ldc, p0, q0, nv, r0, rend);
        });
      };
      if (full > 0)
        loop(c64(0), c64(full * L.qv * L.vw), L.qv * L.vw, [&](Value* q0) { tile_cols(q0, L.qv); });
      if (tailv > 0) tile_cols(c64(full * L.qv * L.vw), tailv);
    });
  }

  void tile(Value* lbase, int64_t lsp, int64_t lsr, Value* rbase, int64_t ldr, Value* cbase,
            int64_t ldc, Value* p0, Value* q0, int64_t nv, Value* r0, Value* rend) {
    const int64_t tp = L.tp;
    std::vector<Value*> acc(static_cast<size_t>(tp * nv));
    std::vector<Value*> cptr(static_cast<size_t>(tp * nv));
    for (int64_t p = 0; p < tp; ++p)
      for (int64_t v = 0; v < nv; ++v) {
        Value* a = alloca_entry(V);
        Value* cp = at(cbase, add(mul(add(p0, c64(p)), c64(ldc)), add(q0, c64(v * L.vw))));
        b.CreateStore(ldv(cp), a);
        acc[static_cast<size_t>(p * nv + v)] = a;
        cptr[static_cast<size_t>(p * nv + v)] = cp;
      }
    Value* lrow = at(lbase, mul(p0, c64(lsp)));
    loop(r0, rend, 1, [&](Value* r) {
      Value* rrow = at(rbase, add(mul(r, c64(ldr)), q0));
      std::vector<Value*> w;
      for (int64_t v = 0; v < nv; ++v) w.push_back(ldv(at(rrow, c64(v * L.vw))));
      Value* lr = at(lrow, mul(r, c64(lsr)));
      for (int64_t p = 0; p < tp; ++p) {
        Value* s = splat(ld(at(lr, c64(p * lsp))));
        for (int64_t v = 0; v < nv; ++v) {
          Value* a = acc[static_cast<size_t>(p * nv + v)];
          b.CreateStore(fma(s, w[static_cast<size_t>(v)], b.CreateLoad(V, a)), a);
        }
      }
    });
    for (size_t k = 0; k < acc.size(); ++k) stv(b.CreateLoad(V, acc[k]), cptr[k]);
  }

  Value* alpha_vec(Value* j) {
    if (P.alpha_vector) return ldv(at(arg_ptr(kAlpha), j));
    return cv(P.alpha);
  }
  // Coefficient of bank slot m for trial b at step t (a scalar).
  Value* slot_coef(size_t m, Value* bt) {
    const PlanSlot& s = P.slots[m];
    if (s.gate < 0) return ce(s.coef);
    const int64_t k = P.gates[static_cast<size_t>(s.gate)].width;
    Value* g = ld(at(arg_ptr(L.gate_slot(s.gate)), add(mul(bt, c64(k)), c64(s.channel))));
    return s.coef == 1.0 ? g : b.CreateFMul(ce(s.coef), g);
  }

  llvm::Module& M_() { return M; }
  void forward();
  void backward();
  void weight_gradient();

  llvm::LLVMContext& C;
  llvm::Module& M;
  llvm::IRBuilder<> b;
  const CellPlan& P;
  const CpuLayout& L;
  bool fp64_;
  llvm::Type* E;
  llvm::FixedVectorType* V;
  llvm::IntegerType* i64;
  llvm::PointerType* ptr;
  int64_t esize;
  llvm::Function* F = nullptr;
  BasicBlock* entry = nullptr;
  Value *args, *lo, *hi, *nB, *nT, *scratch;
};

void Gen::forward() {
  const int64_t n = L.n, np = L.np, kc = L.kcols;
  const int ng = static_cast<int>(P.gates.size()), ni = static_cast<int>(P.inputs.size());
  Value* nb = b.CreateSub(hi, lo);
  Value* nbp = mul(b.CreateSDiv(add(nb, c64(L.tp - 1)), c64(L.tp)), c64(L.tp));
  Value* A = scratch;
  Value* St = at(A, mul(nbp, c64(kc)));
  Value* Acc = at(St, mul(nbp, c64(np)));
  Value* Rs = at(Acc, mul(nbp, c64(np)));
  zero(A, mul(nbp, c64(kc)));
  zero(St, mul(nbp, c64(np)));
  zero(Rs, nbp);
  Value *r0 = arg_ptr(kR0), *rout = arg_ptr(kROut), *dsave = arg_ptr(kDSave),
        *zsave = arg_ptr(kZSave);
  Value* phisave = P.alpha_vector ? arg_ptr(kPhiSave) : nullptr;
  Value* bias = P.has_bias() ? arg_ptr(kBias) : nullptr;
  Value* wf = arg_ptr(kWf);
  llvm::FunctionCallee noise_fn;
  Value *noise_ctx = nullptr, *dzsave = nullptr;
  if (P.has_noise()) {
    auto* ft = llvm::FunctionType::get(b.getVoidTy(), {ptr, ptr, ptr, ptr, i64, i64}, false);
    noise_fn = M.getOrInsertFunction(
        fp64_ ? "rnnjit_cpu_spike_noise_f64" : "rnnjit_cpu_spike_noise_f32", ft);
    noise_ctx = arg_ptr(kNoiseCtx);
    dzsave = arg_ptr(kDzSave);
  }
  loop(c64(0), nb, 1, [&](Value* p) {
    Value* src = at(r0, mul(add(lo, p), c64(n)));
    Value* dst = at(St, mul(p, c64(np)));
    row_loop(n, [&](Value* j, Value* mk) { stv(load_row(at(src, j), mk), at(dst, j)); });
  });
  loop(c64(0), nT, 1, [&](Value* t) {
    // Stage 1: the product's left operand A_t, z_t saved for the adjoint, the rowsum.
    loop(c64(0), nb, 1, [&](Value* p) {
      Value* bt = add(mul(add(lo, p), nT), t);
      Value* z = at(St, mul(p, c64(np)));
      Value* zs = at(zsave, mul(bt, c64(np)));
      if (noise_fn) {
        // z_t = nu(r_{t-1}) and dz/dr written by the host straight into the saved rows; the
        // contraction reads z, the leak below still reads r_{t-1} (St).
        b.CreateCall(noise_fn, {noise_ctx, z, zs, at(dzsave, mul(bt, c64(np))), t, add(lo, p)});
        z = zs;
      }
      Value* arow = at(A, mul(p, c64(kc)));
      std::vector<Value*> coefs;
      for (size_t m = 0; m < P.slots.size(); ++m) coefs.push_back(splat(slot_coef(m, bt)));
      Value* sumv = alloca_entry(V);
      b.CreateStore(cv(0.0), sumv);
      loop(c64(0), c64(np), L.vw, [&](Value* j) {
        Value* zv = ldv(at(z, j));
        if (!noise_fn) stv(zv, at(zs, j));
        if (P.has_rowsum) b.CreateStore(b.CreateFAdd(b.CreateLoad(V, sumv), zv), sumv);
        for (size_t m = 0; m < coefs.size(); ++m)
          stv(b.CreateFMul(coefs[m], zv), at(arow, add(j, c64(static_cast<int64_t>(m) * np))));
      });
      if (P.has_rowsum) st(b.CreateFMul(ce(P.rowsum), hsum(b.CreateLoad(V, sumv))), at(Rs, p));
      for (int q = 0; q < ni; ++q) {
        const PlanInput& in = P.inputs[static_cast<size_t>(q)];
        Value* u = at(arg_ptr(L.input_slot(q, ng)), mul(bt, c64(in.width)));
        Value* dst = at(arow, c64(L.m * np + in.offset));
        loop(c64(0), c64(in.width), 1,
             [&](Value* i) { st(b.CreateFMul(ce(in.scale), ld(at(u, i))), at(dst, i)); });
      }
    });
    // Stage 2: the contraction for every trial of the range at once.
    zero(Acc, mul(nbp, c64(np)));
    if (kc > 0) gemm(A, kc, 1, wf, L.ldf, Acc, np, nbp, c64(kc), np / L.vw, 256);
    // Stage 3: bias, rowsum, activation and its derivative, leak; outputs written.
    loop(c64(0), nb, 1, [&](Value* p) {
      Value* bt = add(mul(add(lo, p), nT), t);
      Value* rs = P.has_rowsum ? splat(ld(at(Rs, p))) : nullptr;
      Value* acc = at(Acc, mul(p, c64(np)));
      Value* z = at(St, mul(p, c64(np)));
      Value* ro = at(rout, mul(bt, c64(n)));
      Value* ds = at(dsave, mul(bt, c64(np)));
      Value* ps = phisave ? at(phisave, mul(bt, c64(np))) : nullptr;
      row_loop(n, [&](Value* j, Value* mk) {
        Value* s = ldv(at(acc, j));
        if (bias) s = b.CreateFAdd(s, ldv(at(bias, j)));
        if (rs) s = b.CreateFAdd(s, rs);
        auto [phi, dphi] = emit_activation(b, M, P.activation, P.rate, s, fp64_);
        Value* a = alpha_vec(j);
        Value* zv = ldv(at(z, j));
        Value* r = fma(a, phi, b.CreateFMul(b.CreateFSub(cv(1.0), a), zv));
        if (mk) r = b.CreateSelect(mk, r, cv(0.0));  // padding lanes stay exactly zero
        stv(r, at(z, j));
        stv(dphi, at(ds, j));
        if (ps) stv(b.CreateFSub(phi, zv), at(ps, j));  // d alpha's factor phi - r_{t-1}
        store_row(r, at(ro, j), mk);
      });
    });
  });
}

void Gen::backward() {
  const int64_t n = L.n, np = L.np, kc = L.kcols;
  const int ng = static_cast<int>(P.gates.size()), ni = static_cast<int>(P.inputs.size());
  Value* nb = b.CreateSub(hi, lo);
  Value* nbp = mul(b.CreateSDiv(add(nb, c64(L.tp - 1)), c64(L.tp)), c64(L.tp));
  Value* Lam = scratch;
  Value* Dl = at(Lam, mul(nbp, c64(np)));
  Value* Out = at(Dl, mul(nbp, c64(np)));
  zero(Lam, mul(nbp, c64(np)));
  zero(Dl, mul(nbp, c64(np)));
  Value *dr = arg_ptr(kDr), *dsave = arg_ptr(kDSave), *zsave = arg_ptr(kZSave),
        *delta = arg_ptr(kDelta);
  Value* wb = arg_ptr(kWb);
  Value* phisave = P.alpha_vector ? arg_ptr(kPhiSave) : nullptr;
  Value* dalpha = P.alpha_vector ? arg_ptr(kDalphaB) : nullptr;
  Value* dzsave = P.has_noise() ? arg_ptr(kDzSave) : nullptr;
  if (dalpha) zero(at(dalpha, mul(lo, c64(np))), mul(nb, c64(np)));
  loop(c64(0), nT, 1, [&](Value* tt) {
    Value* t = b.CreateSub(b.CreateSub(nT, c64(1)), tt);
    // lambda_t = carry + e_t;  delta_t = alpha phi'(s_t) lambda_t.
    loop(c64(0), nb, 1, [&](Value* p) {
      Value* bt = add(mul(add(lo, p), nT), t);
      Value* lam = at(Lam, mul(p, c64(np)));
      Value* dl = at(Dl, mul(p, c64(np)));
      Value* e = at(dr, mul(bt, c64(n)));
      Value* ds = at(dsave, mul(bt, c64(np)));
      Value* dsv = at(delta, mul(bt, c64(np)));
      row_loop(n, [&](Value* j, Value* mk) {
        Value* l = b.CreateFAdd(ldv(at(lam, j)), load_row(at(e, j), mk));
        Value* d = b.CreateFMul(b.CreateFMul(alpha_vec(j), ldv(at(ds, j))), l);
        stv(l, at(lam, j));
        stv(d, at(dl, j));
        stv(d, at(dsv, j));
        if (dalpha) {
          Value* diff = ldv(at(phisave, add(mul(bt, c64(np)), j)));
          Value* da = at(dalpha, add(mul(add(lo, p), c64(np)), j));
          stv(fma(l, diff, ldv(da)), da);
        }
      });
    });
    // out = delta * Wb: per-slot bank^T delta and W_in^T delta.
    if (kc > 0) {
      zero(Out, mul(nbp, c64(kc)));
      gemm(Dl, np, 1, wb, L.ldb, Out, kc, nbp, c64(np), kc / L.vw, 256);
    }
    // zeta, gate and input gradients, carry = (1 - alpha) lambda + zeta.
    loop(c64(0), nb, 1, [&](Value* p) {
      Value* bt = add(mul(add(lo, p), nT), t);
      Value* lam = at(Lam, mul(p, c64(np)));
      Value* orow = at(Out, mul(p, c64(kc)));
      Value* zr = at(zsave, mul(bt, c64(np)));
      Value* rsd = nullptr;
      if (P.has_rowsum) {
        Value* sumv = alloca_entry(V);
        b.CreateStore(cv(0.0), sumv);
        Value* dl = at(Dl, mul(p, c64(np)));
        loop(c64(0), c64(np), L.vw, [&](Value* j) {
          b.CreateStore(b.CreateFAdd(b.CreateLoad(V, sumv), ldv(at(dl, j))), sumv);
        });
        rsd = splat(b.CreateFMul(ce(P.rowsum), hsum(b.CreateLoad(V, sumv))));
      }
      std::vector<Value*> coefs;
      for (size_t m = 0; m < P.slots.size(); ++m) {
        coefs.push_back(splat(slot_coef(m, bt)));
        const PlanSlot& s = P.slots[m];
        if (s.gate < 0) continue;
        // dL/dg = coef * (bank_m^T delta) . z
        Value* dotv = alloca_entry(V);
        b.CreateStore(cv(0.0), dotv);
        Value* om = at(orow, c64(static_cast<int64_t>(m) * np));
        loop(c64(0), c64(np), L.vw, [&](Value* j) {
          b.CreateStore(fma(ldv(at(om, j)), ldv(at(zr, j)), b.CreateLoad(V, dotv)), dotv);
        });
        const int64_t k = P.gates[static_cast<size_t>(s.gate)].width;
        Value* dg = at(arg_ptr(L.dgate_slot(s.gate, ng, ni)), add(mul(bt, c64(k)), c64(s.channel)));
        st(b.CreateFAdd(ld(dg), b.CreateFMul(ce(s.coef), hsum(b.CreateLoad(V, dotv)))), dg);
      }
      for (int q = 0; q < ni; ++q) {
        const PlanInput& in = P.inputs[static_cast<size_t>(q)];
        Value* du = at(arg_ptr(L.dinput_slot(q, ng, ni)), mul(bt, c64(in.width)));
        Value* src = at(orow, c64(L.m * np + in.offset));
        loop(c64(0), c64(in.width), 1, [&](Value* i) {
          st(b.CreateFAdd(ld(at(du, i)), b.CreateFMul(ce(in.scale), ld(at(src, i)))), at(du, i));
        });
      }
      Value* dzr = dzsave ? at(dzsave, mul(bt, c64(np))) : nullptr;
      row_loop(n, [&](Value* j, Value* mk) {
        Value* zeta = rsd ? rsd : cv(0.0);
        for (size_t m = 0; m < coefs.size(); ++m)
          zeta = fma(coefs[m], ldv(at(orow, add(j, c64(static_cast<int64_t>(m) * np)))), zeta);
        if (dzr) zeta = b.CreateFMul(zeta, ldv(at(dzr, j)));  // dL/dr_{t-1} = dz/dr .* dL/dz
        Value* a = alpha_vec(j);
        Value* c = fma(b.CreateFSub(cv(1.0), a), ldv(at(lam, j)), zeta);
        if (mk) c = b.CreateSelect(mk, c, cv(0.0));
        stv(c, at(lam, j));
      });
    });
  });
  Value* dr0 = arg_ptr(kDr0);
  loop(c64(0), nb, 1, [&](Value* p) {
    Value* lam = at(Lam, mul(p, c64(np)));
    Value* dst = at(dr0, mul(add(lo, p), c64(n)));
    row_loop(n, [&](Value* j, Value* mk) { store_row(ldv(at(lam, j)), at(dst, j), mk); });
  });
}

void Gen::weight_gradient() {
  const int64_t np = L.np, rc = L.rchunk, M = L.m;
  if (M == 0) return;
  Value* R = mul(nB, nT);
  Value* Zs = scratch;
  Value *delta = arg_ptr(kDelta), *zsave = arg_ptr(kZSave), *dbank = arg_ptr(kDBank);
  Value* rows = b.CreateSub(hi, lo);
  // The slots are a run-time loop over constant tables (K can be 32 or more; one copy of the
  // product loop nest keeps the JIT fast): coef, the args slot of the gate input (or a constant 1
  // with stride 0), its width and the channel.
  const int ng = static_cast<int>(P.gates.size()), ni = static_cast<int>(P.inputs.size());
  (void)ni;
  std::vector<llvm::Constant*> coef, slot, width, chan;
  for (auto& sl : P.slots) {
    coef.push_back(llvm::ConstantFP::get(E, sl.coef));
    const bool gated = sl.gate >= 0;
    slot.push_back(
        llvm::ConstantInt::get(i64, gated ? static_cast<uint64_t>(L.gate_slot(sl.gate)) : ~0ull));
    width.push_back(llvm::ConstantInt::get(
        i64, gated ? static_cast<uint64_t>(P.gates[static_cast<size_t>(sl.gate)].width) : 0));
    chan.push_back(llvm::ConstantInt::get(i64, gated ? static_cast<uint64_t>(sl.channel) : 0));
  }
  (void)ng;
  auto table = [&](llvm::Type* t, std::vector<llvm::Constant*>& v, const char* name) {
    auto* at_ = llvm::ArrayType::get(t, v.size());
    return new llvm::GlobalVariable(M_(), at_, true, llvm::GlobalValue::PrivateLinkage,
                                    llvm::ConstantArray::get(at_, v), F->getName() + name);
  };
  Value* tcoef = table(E, coef, ".coef");
  Value* tslot = table(i64, slot, ".slot");
  Value* twidth = table(i64, width, ".width");
  Value* tchan = table(i64, chan, ".chan");
  Value* one = new llvm::GlobalVariable(M_(), E, true, llvm::GlobalValue::PrivateLinkage,
                                        llvm::ConstantFP::get(E, 1.0), F->getName() + ".one");
  loop(c64(0), c64(M), 1, [&](Value* m) {
    Value* cm = ld(at(tcoef, m));
    Value* sidx = b.CreateAlignedLoad(i64, b.CreateInBoundsGEP(i64, tslot, m), llvm::Align(8));
    Value* gated = b.CreateICmpSGE(sidx, c64(0));
    Value* safe_idx = b.CreateSelect(gated, sidx, c64(0));
    Value* gp = b.CreateSelect(
        gated, b.CreateAlignedLoad(ptr, b.CreateInBoundsGEP(ptr, args, safe_idx), llvm::Align(8)),
        one);
    Value* stride = b.CreateAlignedLoad(i64, b.CreateInBoundsGEP(i64, twidth, m), llvm::Align(8));
    Value* ch = b.CreateAlignedLoad(i64, b.CreateInBoundsGEP(i64, tchan, m), llvm::Align(8));
    Value* out = at(dbank, add(mul(m, c64(np * np)), mul(lo, c64(np))));
    zero(out, mul(rows, c64(np)));
    loop(c64(0), R, rc, [&](Value* r0) {
      Value* rn = b.CreateSelect(b.CreateICmpSLT(add(r0, c64(rc)), R), c64(rc), b.CreateSub(R, r0));
      // z rows of this chunk scaled by the slot coefficient c_m(b,t) (index r = b*T + t).
      loop(c64(0), rn, 1, [&](Value* r) {
        Value* g = ld(at(gp, add(mul(add(r0, r), stride), ch)));
        Value* c = splat(b.CreateFMul(cm, g));
        Value* src = at(zsave, mul(add(r0, r), c64(np)));
        Value* dst = at(Zs, mul(r, c64(L.ldz)));
        loop(c64(0), c64(np), L.vw,
             [&](Value* j) { stv(b.CreateFMul(c, ldv(at(src, j))), at(dst, j)); });
      });
      Value* lbase = at(delta, add(mul(r0, c64(np)), lo));
      gemm(lbase, 1, np, Zs, L.ldz, out, np, rows, rn, np / L.vw, rc);
    });
  });
}

}  // namespace

std::unique_ptr<llvm::Module> build_cell_module(llvm::LLVMContext& ctx, const CellPlan& plan,
                                                const CpuLayout& layout, bool fp64,
                                                const KernelNames& names, const std::string& cpu,
                                                const std::string& features) {
  auto mod = std::make_unique<llvm::Module>("rnnjit_cell", ctx);
  {
    Gen g(ctx, *mod, plan, layout, fp64);
    g.begin(names.fwd, cpu, features);
    g.forward();
    g.end();
  }
  {
    Gen g(ctx, *mod, plan, layout, fp64);
    g.begin(names.bwd, cpu, features);
    g.backward();
    g.end();
  }
  {
    Gen g(ctx, *mod, plan, layout, fp64);
    g.begin(names.wgrad, cpu, features);
    g.weight_gradient();
    g.end();
  }
  return mod;
}

}  // namespace rnnjit::cpu
