#include "compiler/cpu/cpu_math_ir.hpp"

#include <initializer_list>
#include <string>

#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Intrinsics.h>

#include "compiler/activation_table.hpp"

namespace rnnjit::cpu {
namespace {

using llvm::Value;

// Elementwise math on a vector of float or double.
// - exact mode (fp64 kernels, and fp32 kernels of activations that use log1p or pow):
//   transcendentals call the C library's double functions lane by lane (resolved from the host
//   process by the JIT), the functions the float64 reference calls.
// - fast mode (fp32 kernels): exp, tanh and erf are vector polynomials in float, accurate to a few
//   1e-7 absolute (exp: Cephes' expf reduction and polynomial, ~1 ulp; erf: Abramowitz & Stegun
//   7.1.26, |error| < 1.5e-7; tanh: odd Taylor series below 0.25, 1 - 2/(e^2x + 1) above), far
//   inside the fp32 contract (relative L2 1e-5) and without a libm call per lane.
struct VMath {
  llvm::IRBuilder<>& b;
  llvm::Module& m;
  llvm::FixedVectorType* vt;
  bool fast = false;

  unsigned lanes() const { return vt->getNumElements(); }
  llvm::Type* elem() const { return vt->getElementType(); }
  Value* c(double v) { return b.CreateVectorSplat(lanes(), llvm::ConstantFP::get(elem(), v)); }
  Value* add(Value* x, Value* y) { return b.CreateFAdd(x, y); }
  Value* sub(Value* x, Value* y) { return b.CreateFSub(x, y); }
  Value* mul(Value* x, Value* y) { return b.CreateFMul(x, y); }
  Value* div(Value* x, Value* y) { return b.CreateFDiv(x, y); }
  Value* fma(Value* x, Value* y, Value* z) {
    return b.CreateIntrinsic(llvm::Intrinsic::fma, {vt}, {x, y, z});
  }
  Value* gt(Value* x, Value* y) { return b.CreateFCmpOGT(x, y); }
  Value* sel(Value* k, Value* x, Value* y) { return b.CreateSelect(k, x, y); }
  Value* minv(Value* x, Value* y) { return b.CreateBinaryIntrinsic(llvm::Intrinsic::minnum, x, y); }
  Value* maxv(Value* x, Value* y) { return b.CreateBinaryIntrinsic(llvm::Intrinsic::maxnum, x, y); }
  Value* abs(Value* x) { return b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x); }
  Value* copysign(Value* mag, Value* sgn) {
    return b.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, mag, sgn);
  }
  Value* poly(Value* x, std::initializer_list<double> coef_high_to_low) {
    Value* acc = nullptr;
    for (double k : coef_high_to_low) acc = acc ? fma(acc, x, c(k)) : c(k);
    return acc;
  }

  Value* call(const char* fn, Value* x) {
    llvm::FunctionCallee f = m.getOrInsertFunction(
        fn, llvm::FunctionType::get(b.getDoubleTy(), {b.getDoubleTy()}, false));
    Value* out = llvm::UndefValue::get(vt);
    for (unsigned i = 0; i < lanes(); ++i) {
      llvm::CallInst* ci = b.CreateCall(f, {b.CreateExtractElement(x, i)});
      ci->setDoesNotThrow();
      ci->setOnlyAccessesInaccessibleMemory();
      out = b.CreateInsertElement(out, ci, i);
    }
    return out;
  }
  Value* call2(const char* fn, Value* x, Value* y) {
    llvm::FunctionCallee f = m.getOrInsertFunction(
        fn, llvm::FunctionType::get(b.getDoubleTy(), {b.getDoubleTy(), b.getDoubleTy()}, false));
    Value* out = llvm::UndefValue::get(vt);
    for (unsigned i = 0; i < lanes(); ++i) {
      llvm::CallInst* ci =
          b.CreateCall(f, {b.CreateExtractElement(x, i), b.CreateExtractElement(y, i)});
      ci->setDoesNotThrow();
      ci->setOnlyAccessesInaccessibleMemory();
      out = b.CreateInsertElement(out, ci, i);
    }
    return out;
  }

  // e^x in float: x = n ln2 + r, |r| <= ln2/2, e^r by a degree-7 polynomial, 2^n by exponent bits.
  Value* fast_exp(Value* x) {
    x = maxv(minv(x, c(88.0)), c(-87.3365447505531));  // 2^n stays a normal float
    Value* n =
        b.CreateUnaryIntrinsic(llvm::Intrinsic::floor, fma(x, c(1.44269504088896341), c(0.5)));
    Value* r = fma(n, c(-0.693359375), x);
    r = fma(n, c(2.12194440e-4), r);
    Value* r2 = mul(r, r);
    Value* p = poly(r, {1.9875691500E-4, 1.3981999507E-3, 8.3334519073E-3, 4.1665795894E-2,
                        1.6666665459E-1, 5.0000001201E-1});
    p = add(fma(p, r2, r), c(1.0));
    auto* vi = llvm::FixedVectorType::get(b.getInt32Ty(), lanes());
    Value* ni = b.CreateFPToSI(n, vi);
    Value* bits = b.CreateShl(b.CreateAdd(ni, b.CreateVectorSplat(lanes(), b.getInt32(127))), 23);
    return mul(p, b.CreateBitCast(bits, vt));
  }
  Value* fast_tanh(Value* x) {
    Value* ax = abs(x);
    Value* x2 = mul(x, x);
    // tanh x = x (1 - x^2/3 + 2x^4/15 - 17x^6/315 + 62x^8/2835 - 1382x^10/155925), |x| < 0.25
    Value* small = mul(x, poly(x2, {-1382.0 / 155925.0, 62.0 / 2835.0, -17.0 / 315.0, 2.0 / 15.0,
                                    -1.0 / 3.0, 1.0}));
    Value* big = sub(c(1.0), div(c(2.0), add(fast_exp(mul(c(2.0), ax)), c(1.0))));
    return sel(b.CreateFCmpOLT(ax, c(0.25)), small, copysign(big, x));
  }
  Value* fast_erf(Value* x) {
    Value* ax = abs(x);
    Value* t = div(c(1.0), fma(ax, c(0.3275911), c(1.0)));
    Value* p = mul(t, poly(t, {1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592}));
    Value* y = sub(c(1.0), mul(p, fast_exp(mul(c(-1.0), mul(ax, ax)))));
    return copysign(y, x);
  }

  Value* exp(Value* x) { return fast ? fast_exp(x) : call("exp", x); }
  Value* tanh(Value* x) { return fast ? fast_tanh(x) : call("tanh", x); }
  Value* erf(Value* x) { return fast ? fast_erf(x) : call("erf", x); }
  Value* log1p(Value* x) { return call("log1p", x); }
  Value* pow(Value* x, Value* y) { return call2("pow", x, y); }
  // sigmoid without overflow: x >= 0: 1 / (1 + e^-x); else e^x / (1 + e^x).
  Value* sigmoid(Value* x) {
    Value* e = exp(mul(c(-1.0), abs(x)));  // e^-|x|
    Value* pos = div(c(1.0), add(c(1.0), e));
    Value* neg = div(e, add(c(1.0), e));
    return sel(b.CreateFCmpOGE(x, c(0.0)), pos, neg);
  }
};

// The expression language of compiler/activation_expr.hpp as LLVM IR: every operation emits its
// instructions at once, through VMath (a condition is an i1 vector).
struct Lv {
  VMath* M;
  Value* v;

  Lv constant(double k) const { return {M, M->c(k)}; }
  Lv add(const Lv& o) const { return {M, M->add(v, o.v)}; }
  Lv sub(const Lv& o) const { return {M, M->sub(v, o.v)}; }
  Lv mul(const Lv& o) const { return {M, M->mul(v, o.v)}; }
  Lv div(const Lv& o) const { return {M, M->div(v, o.v)}; }
  Lv exp() const { return {M, M->exp(v)}; }
  Lv tanh() const { return {M, M->tanh(v)}; }
  Lv erf() const { return {M, M->erf(v)}; }
  Lv log1p() const { return {M, M->log1p(v)}; }
  Lv pow(double k) const { return {M, M->pow(v, M->c(k))}; }
  Lv abs() const { return {M, M->abs(v)}; }
  Lv sigmoid() const { return {M, M->sigmoid(v)}; }
  Lv gt(const Lv& o) const { return {M, M->gt(v, o.v)}; }
  Lv select(const Lv& a, const Lv& b) const { return {M, M->sel(v, a.v, b.v)}; }
};

}  // namespace

std::pair<Value*, Value*> emit_activation(llvm::IRBuilder<>& b, llvm::Module& m,
                                          ir::Activation activation, double rate, Value* s,
                                          bool fp64) {
  auto* vin = llvm::cast<llvm::FixedVectorType>(s->getType());
  auto* vd = llvm::FixedVectorType::get(b.getDoubleTy(), vin->getNumElements());
  // fp32 kernels compute in float with the vector approximations, except for activations that need
  // a primitive without one (log1p, pow: a vector log): those widen to double and call the C
  // library.
  uint32_t uses = 0;
  act::visit(activation, [&](auto def) { decltype(def)::emit(act::Uses{&uses}, rate); });
  const bool fast = !fp64 && !(uses & (act::kLog1p | act::kPow));
  const bool widen = !fp64 && !fast;
  VMath M{b, m, widen ? vd : vin, fast};
  Value* x = widen ? b.CreateFPExt(s, vd) : s;
  const act::Pair<Lv> out = act::visit(activation, [&](auto def) {
    return decltype(def)::emit(Lv{&M, x}, rate);
  });
  Value *phi = out.phi.v, *d = out.dphi.v;
  if (widen) {
    phi = b.CreateFPTrunc(phi, vin);
    d = b.CreateFPTrunc(d, vin);
  }
  return {phi, d};
}

}  // namespace rnnjit::cpu
