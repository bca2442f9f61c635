#include "runtime/ring/ring_trainer.hpp"

#include "compiler/spec_canonical.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/ring/ring_run.hpp"
#include "runtime/train/distributed.hpp"

namespace rnnjit::train::ring {

namespace {

void check_folder(const RingTrainOptions& opt) {
  if (opt.out_dir.empty()) throw UsageError("no run folder (--out DIR)");
}

// Under data parallelism rank 0 opens the run folder (checks, locks, sets a corrupt checkpoint
// aside); a failure there stops every rank. The other ranks then read the checkpoint it resumes
// from, and write nothing.
OpenRun open_on_every_rank(const std::function<OpenRun()>& open, const RingTrainOptions& opt,
                           RunRecord fresh) {
  Communicator& comm = communicator();
  if (comm.size() == 1) return open();
  OpenRun run;
  std::string error;
  if (comm.rank() == 0) {
    try {
      run = open();
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  comm.agree(error);
  if (comm.rank() == 0) return run;
  run.record = std::move(fresh);
  if (opt.resume) {
    run.checkpoint = newest_readable_checkpoint(opt.out_dir);
    if (!run.checkpoint)
      throw std::runtime_error(opt.out_dir + ": rank " + std::to_string(comm.rank()) +
                               " finds no checkpoint that reads (is the folder shared?)");
    if (auto r = RunRecord::from_metadata(run.checkpoint->metadata, run.checkpoint->path))
      run.record = std::move(*r);
  }
  return run;
}

}  // namespace

double ring_step_bytes(int64_t neurons, int64_t gates, int64_t batch, int64_t seq_len) {
  const double n = static_cast<double>(neurons), k = static_cast<double>(gates);
  const double states = static_cast<double>(batch) * static_cast<double>(seq_len) * n;
  // r, s and the cotangent in float32 and their float64 copies; parameters, gradients and two
  // moments in float64 plus the executor's float32 copy.
  return states * (3 * 4 + 3 * 8) + (k + 1) * n * n * (4 * 8 + 4);
}

RingTrainResult train_ring(const ModelSpec& spec, const RingTrainOptions& opt) {
  check_folder(opt);
  OpenRun open = open_on_every_rank(
      [&] {
        return open_run(opt.out_dir, opt.resume, opt.overwrite, fresh_ring_record(spec),
                        canonical_spec(spec), spec.path, ring_warner(opt));
      },
      opt, fresh_ring_record(spec));
  return RingRun(spec, opt, std::move(open)).run();
}

RingTrainResult resume_ring(const RingTrainOptions& opt) {
  check_folder(opt);
  RingTrainOptions resumed = opt;
  resumed.resume = true;
  OpenRun open = open_on_every_rank(
      [&] {
        return open_run(opt.out_dir, true, false, RunRecord{.model = "ring"}, std::nullopt, "",
                        ring_warner(opt));
      },
      resumed, RunRecord{.model = "ring"});
  if (open.record.spec_text.empty())
    throw UsageError(open.checkpoint->path +
                     " holds no copy of its spec (it predates run records): resume with the spec "
                     "file, rnnjit train SPEC --resume " +
                     opt.out_dir);
  const ModelSpec spec =
      parse_spec_string(open.record.spec_text, open.checkpoint->path + " (the run's stored spec)");
  return RingRun(spec, opt, std::move(open)).run();
}

}  // namespace rnnjit::train::ring
