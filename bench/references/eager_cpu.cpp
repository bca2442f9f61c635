// The CPU eager reference: an op-by-op float32 interpreter of the IR on Eigen (see eager_cpu.hpp).
#include "bench/references/eager_cpu.hpp"

#include <fmt/core.h>

#include <Eigen/Dense>
#include <map>
#include <stdexcept>
#include <thread>

#include "compiler/activation_table.hpp"
#include "runtime/cpu/flush_denormals.hpp"

namespace rnnjit::bench {

namespace {

using ir::OpKind;
using ir::Role;
using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Parameters as matrices: [n] -> 1 x n, [a,b] -> a x b, [k,a,b] -> (k*a) x b (row k*a + i).
Mat to_mat(const Tensor& t) {
  const auto& s = t.shape();
  int64_t rows = 1, cols = s.empty() ? 1 : s.back();
  for (size_t i = 0; i + 1 < s.size(); ++i) rows *= s[i];
  Mat m(rows, cols);
  for (int64_t i = 0; i < t.numel(); ++i) m.data()[i] = static_cast<float>(t.at_f64(i));
  return m;
}

Tensor to_tensor(const Mat& m, std::vector<int64_t> shape) {
  Tensor t(DType::F32, std::move(shape));
  std::copy(m.data(), m.data() + m.size(), t.data<float>());
  return t;
}

// Slice t of a [B,T,C] tensor as a B x C matrix.
Mat step_slice(const Tensor& x, int64_t t) {
  const int64_t b = x.dim(0), steps = x.dim(1), c = x.dim(2);
  Mat m(b, c);
  for (int64_t i = 0; i < b; ++i)
    for (int64_t j = 0; j < c; ++j) m(i, j) = static_cast<float>(x.at_f64((i * steps + t) * c + j));
  return m;
}

void add_step_slice(Tensor& x, int64_t t, const Mat& m) {
  const int64_t steps = x.dim(1), c = x.dim(2);
  float* p = x.data<float>();
  for (int64_t i = 0; i < m.rows(); ++i)
    for (int64_t j = 0; j < c; ++j) p[(i * steps + t) * c + j] += m(i, j);
}

bool is_parameter_level(Role r) {
  return r == Role::Param || r == Role::Buffer || r == Role::Derived;
}

class EagerCpu final : public CellExecutor {
 public:
  EagerCpu(const ir::Module& m, int threads) : m_(m) {
    for (auto& op : m_.step)
      if (op.kind == OpKind::Noise)
        throw std::runtime_error("eager-cpu reference: spike noise is not supported");
    threads_ =
        threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  std::string backend() const override { return "eager-cpu"; }
  std::string device() const override {
    return fmt::format("CPU, Eigen {} thread(s)", Eigen::nbThreads());
  }
  DType dtype() const override { return DType::F32; }

  // Subnormals are flushed as in the CPU JIT backend (runtime/cpu/flush_denormals.hpp), so the
  // speedups compare kernels, not floating-point modes.
  Tensor forward(const TensorMap& params, const TensorMap& inputs, const RunOptions& opt) override {
    const cpu::FlushDenormals ftz;
    Eigen::setNbThreads(threads_);
    const size_t nv = m_.values.size();
    p_.assign(nv, Mat());
    for (auto& v : m_.values)
      if (v.role == Role::Param || v.role == Role::Buffer)
        p_[v.id] = to_mat(require(params, v.name, "eager-cpu"));
    for (auto& op : m_.prologue) prologue_forward(op);

    const Tensor& r0 = require(inputs, "r0", "eager-cpu");
    batch_ = r0.dim(0);
    steps_ = opt.steps;
    gate_inputs_.clear();
    for (auto& v : m_.values)
      if (v.role == Role::GateIn || v.role == Role::InputIn) {
        const Tensor& x = require(inputs, v.name, "eager-cpu");
        steps_ = x.dim(1);
        gate_inputs_[v.id] = x.shape();
      }
    if (steps_ < 1)
      throw std::runtime_error("eager-cpu: no gate or input fixes T; pass RunOptions::steps");
    const int64_t n = m_.neurons;
    tape_.assign(static_cast<size_t>(steps_), std::vector<Mat>(nv));
    Tensor out(DType::F32, {batch_, steps_, n});
    Mat state = to_mat(r0);
    for (int64_t t = 0; t < steps_; ++t) {
      std::vector<Mat>& v = tape_[t];
      v[m_.state_in] = state;
      for (auto& [id, shape] : gate_inputs_) v[id] = step_slice(inputs.at(m_.value(id).name), t);
      for (auto& op : m_.step) step_forward(op, v);
      state = v[m_.state_out];
      float* o = out.data<float>();
      for (int64_t b = 0; b < batch_; ++b)
        std::copy(state.row(b).data(), state.row(b).data() + n, o + (b * steps_ + t) * n);
    }
    have_forward_ = true;
    return out;
  }

  TensorMap backward(const Tensor& dr) override {
    const cpu::FlushDenormals ftz;
    if (!have_forward_) throw std::logic_error("eager-cpu: backward() before forward()");
    check_shape("dr", dr, {batch_, steps_, m_.neurons});
    Eigen::setNbThreads(threads_);
    const size_t nv = m_.values.size();
    dp_.assign(nv, Mat());
    for (auto& v : m_.values)
      if (is_parameter_level(v.role) && p_[v.id].size())
        dp_[v.id] = Mat::Zero(p_[v.id].rows(), p_[v.id].cols());
    TensorMap grads;
    for (auto& [id, shape] : gate_inputs_) grads[m_.value(id).name] = Tensor(DType::F32, shape);
    Mat lambda = Mat::Zero(batch_, m_.neurons);  // dL/dr_t carried from step t+1
    for (int64_t t = steps_ - 1; t >= 0; --t) {
      const std::vector<Mat>& v = tape_[t];
      std::vector<Mat> d(nv);
      d[m_.state_out] = lambda + step_slice(dr, t);
      for (auto it = m_.step.rbegin(); it != m_.step.rend(); ++it) step_adjoint(*it, v, d);
      lambda = d[m_.state_in].size() ? d[m_.state_in] : Mat::Zero(batch_, m_.neurons);
      for (auto& [id, shape] : gate_inputs_)
        if (d[id].size()) add_step_slice(grads[m_.value(id).name], t, d[id]);
    }
    for (auto it = m_.prologue.rbegin(); it != m_.prologue.rend(); ++it) prologue_adjoint(*it);
    grads["r0"] = to_tensor(lambda, {batch_, m_.neurons});
    for (auto& v : m_.values)
      if ((v.role == Role::Param || v.role == Role::Buffer) && v.learn)
        grads[v.name] = to_tensor(dp_[v.id], shape_of(v.id));
    return grads;
  }

 private:
  std::vector<int64_t> shape_of(int id) const {
    std::vector<int64_t> s;
    for (auto& d : m_.value(id).shape) s.push_back(d.size);
    return s;
  }

  // ---- prologue ----------------------------------------------------------------------------
  void prologue_forward(const ir::Op& op) {
    Mat& out = p_[op.result];
    const int64_t n = m_.neurons;
    switch (op.kind) {
      case OpKind::DaleMask:
        out = p_[op.operands[0]];
        for (int64_t j = op.attrs.excitatory; j < n; ++j) out.col(j) *= -1.0f;
        break;
      case OpKind::AlphaFromTau:
        out = p_[op.operands[0]].unaryExpr(
            [&](float tau) { return static_cast<float>(op.attrs.dt / tau); });
        break;
      case OpKind::ConstFill:
        out = Mat::Constant(n, n, static_cast<float>(op.attrs.value));
        break;
      case OpKind::StackBank: {
        int64_t rows = 0;
        for (int id : op.operands) rows += p_[id].rows();
        out.resize(rows, n);
        int64_t r = 0;
        for (int id : op.operands) {
          out.middleRows(r, p_[id].rows()) = p_[id];
          r += p_[id].rows();
        }
        break;
      }
      default:
        throw std::runtime_error(
            fmt::format("eager-cpu: {} is not a prologue op", ir::name(op.kind)));
    }
  }

  void prologue_adjoint(const ir::Op& op) {
    const Mat& dout = dp_[op.result];
    const int64_t n = m_.neurons;
    switch (op.kind) {
      case OpKind::DaleMask: {
        Mat g = dout;
        for (int64_t j = op.attrs.excitatory; j < n; ++j) g.col(j) *= -1.0f;
        dp_[op.operands[0]] += g;
        break;
      }
      case OpKind::AlphaFromTau: {  // d(dt/tau)/dtau = -dt / tau^2
        const Mat& tau = p_[op.operands[0]];
        dp_[op.operands[0]] +=
            (dout.array() * (-static_cast<float>(op.attrs.dt) / tau.array().square())).matrix();
        break;
      }
      case OpKind::ConstFill:
        break;
      case OpKind::StackBank: {
        int64_t r = 0;
        for (int id : op.operands) {
          dp_[id] += dout.middleRows(r, p_[id].rows());
          r += p_[id].rows();
        }
        break;
      }
      default:
        break;
    }
  }

  // ---- step ops: forward ---------------------------------------------------------------------
  const Mat& val(int id, const std::vector<Mat>& v) const {
    return is_parameter_level(m_.value(id).role) ? p_[id] : v[id];
  }

  // c_m(b) of a bank slot: the constant times the gate channel when gated.
  Eigen::VectorXf slot_coef(const ir::Op& op, const ir::BankSlot& s,
                            const std::vector<Mat>& v) const {
    Eigen::VectorXf c = Eigen::VectorXf::Constant(batch_, static_cast<float>(s.coef));
    if (s.gate_operand >= 0)
      c = c.cwiseProduct(Eigen::VectorXf(val(op.operands[s.gate_operand], v).col(s.channel)));
    return c;
  }

  void step_forward(const ir::Op& op, std::vector<Mat>& v) {
    const int64_t n = m_.neurons;
    auto in = [&](size_t k) -> const Mat& { return val(op.operands[k], v); };
    Mat& out = v[op.result];
    const float scale = static_cast<float>(op.attrs.scale);
    switch (op.kind) {
      case OpKind::MatVec:
        out.noalias() = scale * in(1) * in(0).transpose();
        break;
      case OpKind::InputMatVec:
        out.noalias() = scale * in(1) * in(0).transpose();
        break;
      case OpKind::GatedMatVec: {
        const Mat &w = in(0), &g = in(1), &z = in(2);
        out = Mat::Zero(batch_, n);
        for (int64_t k = 0; k < g.cols(); ++k) {
          Mat y = z * w.middleRows(k * n, n).transpose();  // one GEMM per channel, kept apart
          out += g.col(k).asDiagonal() * y;
        }
        break;
      }
      case OpKind::BankMatVec: {
        // One GEMM against the whole stacked bank, [B,N] x [N,M*N], then the weighted sum per slot.
        const Mat &bank = in(0), &z = in(1);
        Mat y = z * bank.transpose();
        out = Mat::Zero(batch_, n);
        for (size_t m = 0; m < op.attrs.slots.size(); ++m)
          out += slot_coef(op, op.attrs.slots[m], v).asDiagonal() * y.middleCols(m * n, n);
        break;
      }
      case OpKind::RowSum:
        out = (static_cast<float>(op.attrs.value) * in(0).rowwise().sum()).replicate(1, n);
        break;
      case OpKind::AddBias:
        out = in(0).rowwise() + Eigen::RowVectorXf(in(1).row(0));
        break;
      case OpKind::Add:
        out = in(0);
        for (size_t k = 1; k < op.operands.size(); ++k) out += in(k);
        break;
      case OpKind::Act: {
        const float rate = static_cast<float>(op.attrs.rate);
        out = in(0).unaryExpr(
            [&](float x) { return act_forward<float>(op.attrs.activation, x, rate); });
        break;
      }
      case OpKind::Leak:
        if (op.operands.size() > 2) {
          const Eigen::RowVectorXf a = in(2).row(0);
          out = in(0) + ((in(1) - in(0)).array().rowwise() * a.array()).matrix();
        } else {
          const float a = static_cast<float>(op.attrs.alpha);
          out = (1.0f - a) * in(0) + a * in(1);
        }
        break;
      default:
        throw std::runtime_error(
            fmt::format("eager-cpu: unsupported step op {}", ir::name(op.kind)));
    }
  }

  // ---- step ops: adjoint (DESIGN.md section 3, one op at a time) -------------------------------
  // Adds g into the gradient of value `id`: step values in `d`, parameter-level ones in dp_.
  void accumulate(int id, const Mat& g, std::vector<Mat>& d) {
    Mat& target = is_parameter_level(m_.value(id).role) ? dp_[id] : d[id];
    if (target.size() == 0)
      target = g;
    else
      target += g;
  }

  void step_adjoint(const ir::Op& op, const std::vector<Mat>& v, std::vector<Mat>& d) {
    if (d[op.result].size() == 0) return;  // nothing downstream reads this value
    const Mat& dy = d[op.result];
    const int64_t n = m_.neurons;
    auto in = [&](size_t k) -> const Mat& { return val(op.operands[k], v); };
    auto id = [&](size_t k) { return op.operands[k]; };
    const float scale = static_cast<float>(op.attrs.scale);
    switch (op.kind) {
      case OpKind::MatVec:
      case OpKind::InputMatVec:  // y = s x W^T: dx = s dy W, dW = s dy^T x
        accumulate(id(1), scale * dy * in(0), d);
        accumulate(id(0), scale * dy.transpose() * in(1), d);
        break;
      case OpKind::GatedMatVec: {
        const Mat &w = in(0), &g = in(1), &z = in(2);
        Mat dz = Mat::Zero(batch_, n), dg(batch_, g.cols()), dw(w.rows(), n);
        for (int64_t k = 0; k < g.cols(); ++k) {
          Mat p = dy * w.middleRows(k * n, n);  // W_k^T dy per trial
          dg.col(k) = p.cwiseProduct(z).rowwise().sum();
          dz += g.col(k).asDiagonal() * p;
          dw.middleRows(k * n, n).noalias() = (g.col(k).asDiagonal() * dy).transpose() * z;
        }
        accumulate(id(0), dw, d);
        accumulate(id(1), dg, d);
        accumulate(id(2), dz, d);
        break;
      }
      case OpKind::BankMatVec: {
        const Mat &bank = in(0), &z = in(1);
        Mat dz = Mat::Zero(batch_, n), dbank(bank.rows(), n);
        std::map<int, Mat> dgates;
        for (size_t m = 0; m < op.attrs.slots.size(); ++m) {
          const ir::BankSlot& s = op.attrs.slots[m];
          const Eigen::VectorXf c = slot_coef(op, s, v);
          Mat p = dy * bank.middleRows(m * n, n);  // bank_m^T dy per trial
          if (s.gate_operand >= 0) {
            Mat& dg = dgates[s.gate_operand];
            if (dg.size() == 0) dg = Mat::Zero(batch_, in(s.gate_operand).cols());
            dg.col(s.channel) += static_cast<float>(s.coef) * p.cwiseProduct(z).rowwise().sum();
          }
          dz += c.asDiagonal() * p;
          dbank.middleRows(m * n, n).noalias() = (c.asDiagonal() * dy).transpose() * z;
        }
        accumulate(id(0), dbank, d);
        accumulate(id(1), dz, d);
        for (auto& [k, dg] : dgates) accumulate(id(k), dg, d);
        break;
      }
      case OpKind::RowSum:
        accumulate(id(0), (static_cast<float>(op.attrs.value) * dy.rowwise().sum()).replicate(1, n),
                   d);
        break;
      case OpKind::AddBias:
        accumulate(id(0), dy, d);
        accumulate(id(1), dy.colwise().sum(), d);
        break;
      case OpKind::Add:
        for (size_t k = 0; k < op.operands.size(); ++k) accumulate(id(k), dy, d);
        break;
      case OpKind::Act: {
        const float rate = static_cast<float>(op.attrs.rate);
        Mat ds = in(0).unaryExpr(
            [&](float x) { return act_derivative<float>(op.attrs.activation, x, rate); });
        accumulate(id(0), ds.cwiseProduct(dy), d);
        break;
      }
      case OpKind::Leak:
        if (op.operands.size() > 2) {
          const Eigen::RowVectorXf a = in(2).row(0);
          accumulate(id(0), (dy.array().rowwise() * (1.0f - a.array())).matrix(), d);
          accumulate(id(1), (dy.array().rowwise() * a.array()).matrix(), d);
          accumulate(id(2), (dy.cwiseProduct(in(1) - in(0))).colwise().sum(), d);
        } else {
          const float a = static_cast<float>(op.attrs.alpha);
          accumulate(id(0), (1.0f - a) * dy, d);
          accumulate(id(1), a * dy, d);
        }
        break;
      default:
        throw std::runtime_error(
            fmt::format("eager-cpu: unsupported step op {}", ir::name(op.kind)));
    }
  }

  ir::Module m_;
  int threads_ = 1;
  int64_t batch_ = 0, steps_ = 0;
  bool have_forward_ = false;
  std::vector<Mat> p_, dp_;                          // parameter-level values and their gradients
  std::vector<std::vector<Mat>> tape_;               // [t][value id]: every step value kept
  std::map<int, std::vector<int64_t>> gate_inputs_;  // gate / input value id -> [B,T,C]
};

}  // namespace

std::unique_ptr<CellExecutor> make_eager_cpu_reference(const ir::Module& m, int threads) {
  return std::make_unique<EagerCpu>(m, threads);
}

}  // namespace rnnjit::bench
