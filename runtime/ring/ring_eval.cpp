#include "runtime/ring/ring_eval.hpp"

#include "runtime/train/distributed.hpp"

#include <algorithm>

namespace rnnjit::train::ring {

RingEval evaluate_ring(RingModel& model, int64_t trials, int64_t chunk) {
  const RingTrainConfig& cfg = model.config();
  const RingReadout& ro = model.readout();
  const int64_t n = model.neurons(), T = cfg.task.seq_len;
  Communicator& comm = communicator();
  RingEval ev;
  ev.trials = trials;
  std::vector<double> y(static_cast<size_t>(n));
  double err_pv = 0, err_am = 0;
  for (int64_t done = 0, part = 0; done < trials; done += chunk, ++part) {
    const int64_t b = std::min(chunk, trials - done);
    const AvBatch all =
        generate_av_batch(cfg.task, b, cfg.seed, kHeldOutStream + static_cast<uint64_t>(part));
    const auto [first, last] = trial_range(b, comm.rank(), comm.size());
    if (first == last) continue;
    const AvBatch d = comm.size() > 1 ? slice(all, first, last) : all;
    RingStepResult res = model.run(d, false);
    const double w = static_cast<double>(last - first) / static_cast<double>(trials);
    ev.loss += res.loss.total * w;
    ev.heading_loss += res.loss.heading * w;
    ev.bump_loss += res.loss.bump * w;
    const Tensor r = res.r.to(DType::F64);
    const double* rp = r.data<double>();
    for (int64_t i = 0; i < last - first; ++i)
      for (int64_t t = 0; t < T; ++t) {
        readout(ro, rp + (i * T + t) * n, y.data());
        const double target = d.angle[static_cast<size_t>(i * T + t)];
        const double pv = decode_population(ro, y.data()), am = decode_argmax(ro, y.data());
        err_pv += circular_distance(pv, target);
        err_am += circular_distance(am, target);
        if (done == 0 && first == 0 && i == 0) {
          RingTrial& ex = ev.example;
          ex.seq_len = T;
          ex.n = n;
          ex.r.insert(ex.r.end(), rp + t * n, rp + (t + 1) * n);
          ex.y.insert(ex.y.end(), y.begin(), y.end());
          ex.av.push_back(d.av[static_cast<size_t>(t)]);
          ex.angle.push_back(target);
          ex.decoded_pv.push_back(pv);
          ex.decoded_argmax.push_back(am);
        }
      }
  }
  if (comm.size() > 1) {
    std::vector<double> sums{ev.loss, ev.heading_loss, ev.bump_loss, err_pv, err_am};
    comm.sum(sums);
    ev.loss = sums[0], ev.heading_loss = sums[1], ev.bump_loss = sums[2];
    err_pv = sums[3], err_am = sums[4];
  }
  const double count = static_cast<double>(trials * T);
  ev.pv_error = err_pv / count;
  ev.argmax_error = err_am / count;
  return ev;
}

RingLossValue perfect_model_loss(RingModel& model, int64_t trials) {
  const RingTrainConfig& cfg = model.config();
  const AvBatch d = generate_av_batch(cfg.task, trials, cfg.seed, kHeldOutStream);
  const std::vector<double> base = base_gates(d, model.gate_channels(), cfg.gates);
  TensorMap cell;
  for (auto& [name, t] : model.params())
    if (name.rfind("gain", 0) != 0) cell[name] = t;
  for (auto& [name, t] : model.perfect_cell_params()) cell[name] = t;
  const Tensor r =
      model.forward_with(cell, Tensor::f64({d.batch, d.seq_len, model.gate_channels()}, base), d);
  return ring_loss(model.readout(), r, d.angle, cfg.bump_weight, nullptr);
}

}  // namespace rnnjit::train::ring
