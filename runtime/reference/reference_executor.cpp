// The interpreter: binds the run's tensors to the module's values, evaluates the prologue once and
// the step ops T times (forward), then walks the steps and their ops in reverse calling each op's
// adjoint (backward), exactly the recurrence of DESIGN.md section 3:
//   lambda_T = e_T,  lambda_{t-1} = e_{t-1} + (dL/d r_{t-1} through step t's ops).
#include "runtime/reference/reference_executor.hpp"

#include <stdexcept>
#include <string>


namespace rnnjit::reference {

using ir::Role;

namespace {

constexpr const char* kWhere = "reference backend";

bool is_run_input(Role r) {
  return r == Role::GateIn || r == Role::InputIn;
}
bool is_stored_param(Role r) {
  return r == Role::Param || r == Role::Buffer;
}

// The concrete shape of a value once B and T are known; -1 where a dim is still open.
std::vector<int64_t> concrete(const ir::Shape& s, int64_t batch, int64_t steps) {
  std::vector<int64_t> out;
  for (const ir::Dim& d : s) {
    if (d.symbol == "B")
      out.push_back(batch);
    else if (d.symbol == "T")
      out.push_back(steps);
    else
      out.push_back(d.size);
  }
  return out;
}

std::string concrete_str(const std::vector<int64_t>& s, const ir::Shape& symbolic) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ",";
    out += s[i] >= 0 ? std::to_string(s[i]) : symbolic[i].symbol;
  }
  return out + "]";
}

// Throws ShapeError naming the tensor, its shape, and the shape the module needs (concrete and
// symbolic), e.g. "tensor 'Wo' has shape [3,4] but the module needs [7,7] ([N=7,N=7])".
void check_tensor(const std::string& name, const Tensor& t, const ir::Shape& symbolic,
                  int64_t batch, int64_t steps) {
  const std::vector<int64_t> want = concrete(symbolic, batch, steps);
  if (t.shape() == want) return;
  throw ShapeError(std::string(kWhere) + ": tensor '" + name + "' has shape " + t.shape_str() +
                   " but the module needs " + concrete_str(want, symbolic) + " (" +
                   ir::to_string(symbolic) + ")");
}

Buffer to_buffer(const Tensor& t) {
  const Tensor f = t.to(DType::F64);
  auto s = f.span<double>();
  return Buffer(s.begin(), s.end());
}

}  // namespace

ReferenceExecutor::ReferenceExecutor(ir::Module m) : m_(std::move(m)) {
  ir::verify(m_);
}

bool ReferenceExecutor::per_step(int id) const {
  const Role r = m_.value(id).role;
  return r == Role::StateIn || r == Role::GateIn || r == Role::InputIn || r == Role::Temp;
}

int64_t ReferenceExecutor::batch() const {
  return run_ ? run_->batch : -1;
}
int64_t ReferenceExecutor::steps() const {
  return run_ ? static_cast<int64_t>(run_->frames.size()) : -1;
}

const Buffer& ReferenceExecutor::value_at(int64_t t, int id) const {
  if (!run_) throw std::logic_error(std::string(kWhere) + ": value_at() before forward()");
  if (!per_step(id)) return run_->fixed.at(static_cast<size_t>(id));
  return run_->frames.at(static_cast<size_t>(t)).at(static_cast<size_t>(id));
}

std::vector<const Buffer*> ReferenceExecutor::operands(const ir::Op& op, const Run& run,
                                                       int64_t t) const {
  std::vector<const Buffer*> in;
  for (int v : op.operands)
    in.push_back(per_step(v) ? &run.frames[static_cast<size_t>(t)][static_cast<size_t>(v)]
                             : &run.fixed[static_cast<size_t>(v)]);
  return in;
}

Tensor ReferenceExecutor::forward(const TensorMap& params, const TensorMap& inputs,
                                  const RunOptions& opt) {
  const int64_t n = m_.neurons;
  Run run;
  run.fixed.resize(m_.values.size());

  // Parameters and buffers: every one must be present with exactly its module shape.
  for (const ir::Value& v : m_.values) {
    if (!is_stored_param(v.role)) continue;
    const Tensor& t = require(params, v.name, kWhere);
    check_tensor(v.name, t, v.shape, -1, -1);
    run.fixed[static_cast<size_t>(v.id)] = to_buffer(t);
  }

  // B from r0; T from the first gate or input (or RunOptions::steps when there is none).
  const ir::Shape r0_shape = m_.value(m_.state_in).shape;  // [B,N]
  const Tensor& r0 = require(inputs, "r0", kWhere);
  if (r0.rank() != 2) check_tensor("r0", r0, r0_shape, -1, -1);
  run.batch = r0.dim(0);
  check_tensor("r0", r0, r0_shape, run.batch, -1);
  int64_t steps = -1;
  std::string steps_from;
  for (const ir::Value& v : m_.values) {
    if (!is_run_input(v.role)) continue;
    const Tensor& t = require(inputs, v.name, kWhere);
    if (steps < 0 && t.rank() == 3) {
      steps = t.dim(1);
      steps_from = "input '" + v.name + "'";
    }
  }
  if (opt.steps >= 0) {
    if (steps >= 0 && steps != opt.steps)
      throw ShapeError(std::string(kWhere) + ": RunOptions::steps is " + std::to_string(opt.steps) +
                       " but " + steps_from + " has T = " + std::to_string(steps));
    steps = opt.steps;
  }
  bool has_run_inputs = false;
  for (const ir::Value& v : m_.values) {
    if (!is_run_input(v.role)) continue;
    has_run_inputs = true;
    // [B,K] per step in the module; [B,T,K] in the file.
    const ir::Shape file_shape{v.shape[0], ir::dim_t(), v.shape[1]};
    check_tensor(v.name, inputs.at(v.name), file_shape, run.batch, steps);
  }
  if (steps < 0 && !has_run_inputs)
    throw std::runtime_error(std::string(kWhere) + ": cell @" + m_.name +
                             " has no gate or input to fix the number of steps T; set "
                             "RunOptions::steps");

  const OpSizes sz{run.batch, n};
  for (const ir::Op& op : m_.prologue) {
    const std::vector<const Buffer*> in = operands(op, run, 0);
    forward_op(op, in, run.fixed[static_cast<size_t>(op.result)], sz);
  }

  Tensor r(DType::F64, {run.batch, steps, n});
  double* r_out = r.data<double>();
  const Buffer r0_values = to_buffer(r0);
  run.frames.resize(static_cast<size_t>(steps));
  run.saved.resize(static_cast<size_t>(steps));
  run.noise_seed = opt.noise_seed;
  for (int64_t t = 0; t < steps; ++t) {
    std::vector<Buffer>& frame = run.frames[static_cast<size_t>(t)];
    frame.resize(m_.values.size());
    frame[static_cast<size_t>(m_.state_in)] =
        t == 0 ? r0_values
               : run.frames[static_cast<size_t>(t - 1)][static_cast<size_t>(m_.state_out)];
    for (const ir::Value& v : m_.values) {
      if (!is_run_input(v.role)) continue;
      const Tensor& whole = inputs.at(v.name);  // [B,T,W], slice [:, t, :]
      const int64_t width = v.shape[1].size;
      Buffer& slice = frame[static_cast<size_t>(v.id)];
      slice.resize(static_cast<size_t>(run.batch * width));
      for (int64_t b = 0; b < run.batch; ++b)
        for (int64_t k = 0; k < width; ++k)
          slice[b * width + k] = whole.at_f64((b * steps + t) * width + k);
    }
    std::vector<Buffer>& saved = run.saved[static_cast<size_t>(t)];
    saved.resize(m_.step.size());
    for (size_t k = 0; k < m_.step.size(); ++k) {
      const ir::Op& op = m_.step[k];
      const std::vector<const Buffer*> in = operands(op, run, t);
      const OpSizes step_sz{run.batch, n, t, opt.noise_seed, &saved[k]};
      forward_op(op, in, frame[static_cast<size_t>(op.result)], step_sz);
    }
    const Buffer& r_t = frame[static_cast<size_t>(m_.state_out)];
    for (int64_t b = 0; b < run.batch; ++b)
      for (int64_t i = 0; i < n; ++i) r_out[(b * steps + t) * n + i] = r_t[b * n + i];
  }
  run_ = std::move(run);
  return r;
}

TensorMap ReferenceExecutor::backward(const Tensor& dr_in) {
  if (!run_)
    throw std::logic_error(std::string(kWhere) + ": backward() called before any forward()");
  const Run& run = *run_;
  const int64_t n = m_.neurons, batch = run.batch, steps = this->steps();
  check_tensor("dr", dr_in, {ir::dim_b(), ir::dim_t(), ir::dim_n(n)}, batch, steps);
  const Buffer dr = to_buffer(dr_in);
  const OpSizes sz{batch, n};

  // Gradients of the prologue-level values, summed over every step.
  std::vector<Buffer> dfixed(m_.values.size());
  for (size_t id = 0; id < m_.values.size(); ++id) dfixed[id].assign(run.fixed[id].size(), 0.0);

  TensorMap grads;
  for (const ir::Value& v : m_.values)
    if (is_run_input(v.role))
      grads[v.name] =
          Tensor(DType::F64, concrete({v.shape[0], ir::dim_t(), v.shape[1]}, batch, steps));

  // lambda: dL/dr_t coming from the steps after t (zero after the last step).
  Buffer lambda(static_cast<size_t>(batch * n), 0.0);
  for (int64_t t = steps - 1; t >= 0; --t) {
    const std::vector<Buffer>& frame = run.frames[static_cast<size_t>(t)];
    std::vector<Buffer> dframe(m_.values.size());
    for (size_t id = 0; id < m_.values.size(); ++id) dframe[id].assign(frame[id].size(), 0.0);

    // dL/dr_t = e_t + lambda_t.
    Buffer& dr_t = dframe[static_cast<size_t>(m_.state_out)];
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < n; ++i)
        dr_t[b * n + i] += dr[(b * steps + t) * n + i] + lambda[b * n + i];

    for (size_t k = m_.step.size(); k-- > 0;) {
      const ir::Op* op = &m_.step[k];
      const std::vector<const Buffer*> in = operands(*op, run, t);
      std::vector<Buffer*> din;
      for (int v : op->operands)
        din.push_back(per_step(v) ? &dframe[static_cast<size_t>(v)]
                                  : &dfixed[static_cast<size_t>(v)]);
      // The forward's saved slopes are read only (the scratch pointer is non-const by type).
      Buffer* saved = const_cast<Buffer*>(&run.saved[static_cast<size_t>(t)][k]);
      const OpSizes step_sz{batch, n, t, run.noise_seed, saved};
      adjoint_op(*op, in, frame[static_cast<size_t>(op->result)],
                 dframe[static_cast<size_t>(op->result)], din, step_sz);
    }

    lambda = dframe[static_cast<size_t>(m_.state_in)];
    for (const ir::Value& v : m_.values) {
      if (!is_run_input(v.role)) continue;
      const int64_t width = v.shape[1].size;
      const Buffer& d = dframe[static_cast<size_t>(v.id)];
      double* out = grads[v.name].data<double>();
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t k = 0; k < width; ++k) out[(b * steps + t) * width + k] = d[b * width + k];
    }
  }
  grads["r0"] = Tensor::f64({batch, n}, lambda);

  // The prologue in reverse: bank -> its parts, W_eff -> W, alpha -> tau.
  for (auto op = m_.prologue.rbegin(); op != m_.prologue.rend(); ++op) {
    const std::vector<const Buffer*> in = operands(*op, run, 0);
    std::vector<Buffer*> din;
    for (int v : op->operands) din.push_back(&dfixed[static_cast<size_t>(v)]);
    adjoint_op(*op, in, run.fixed[static_cast<size_t>(op->result)],
               dfixed[static_cast<size_t>(op->result)], din, sz);
  }
  for (const ir::Value& v : m_.values)
    if (is_stored_param(v.role) && v.learn)
      grads[v.name] = Tensor::f64(concrete(v.shape, -1, -1), dfixed[static_cast<size_t>(v.id)]);
  return grads;
}

}  // namespace rnnjit::reference

namespace rnnjit {

std::unique_ptr<CellExecutor> make_reference_executor(const ir::Module& m) {
  return std::make_unique<reference::ReferenceExecutor>(m);
}

}  // namespace rnnjit
