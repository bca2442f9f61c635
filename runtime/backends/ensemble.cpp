#include "runtime/backends/ensemble.hpp"

#include <stdexcept>
#include <string>

#include "runtime/backends/backends.hpp"
#include "runtime/core/errors.hpp"

namespace rnnjit {

namespace {

class SequentialEnsemble final : public EnsembleExecutor {
 public:
  explicit SequentialEnsemble(std::vector<std::unique_ptr<CellExecutor>> members)
      : members_(std::move(members)) {
    if (members_.empty()) throw std::invalid_argument("an ensemble needs at least one member");
  }
  std::string backend() const override { return members_.front()->backend(); }
  DType dtype() const override { return members_.front()->dtype(); }
  int members() const override { return static_cast<int>(members_.size()); }

  std::vector<Tensor> forward(const std::vector<TensorMap>& params,
                              const std::vector<TensorMap>& inputs,
                              const std::vector<RunOptions>& options) override {
    check_count("params", params.size());
    check_count("inputs", inputs.size());
    check_count("options", options.size());
    std::vector<Tensor> out;
    out.reserve(members_.size());
    for (size_t e = 0; e < members_.size(); ++e)
      out.push_back(members_[e]->forward(params[e], inputs[e], options[e]));
    return out;
  }

  std::vector<TensorMap> backward(const std::vector<Tensor>& dr) override {
    check_count("dr", dr.size());
    std::vector<TensorMap> out;
    out.reserve(members_.size());
    for (size_t e = 0; e < members_.size(); ++e) out.push_back(members_[e]->backward(dr[e]));
    return out;
  }

 private:
  void check_count(const char* what, size_t n) const {
    if (n != members_.size())
      throw ShapeError(std::string("ensemble: ") + what + " has " + std::to_string(n) +
                       " members but the ensemble has " + std::to_string(members_.size()));
  }
  std::vector<std::unique_ptr<CellExecutor>> members_;
};

}  // namespace

std::unique_ptr<EnsembleExecutor> make_sequential_ensemble(
    std::vector<std::unique_ptr<CellExecutor>> members) {
  return std::make_unique<SequentialEnsemble>(std::move(members));
}

std::unique_ptr<EnsembleExecutor> make_ensemble_executor(const ir::Module& m, int members,
                                                         const ExecutorConfig& cfg) {
  if (members < 1)
    throw UsageError("an ensemble needs at least one member, got " + std::to_string(members));
  std::vector<std::unique_ptr<CellExecutor>> execs;
  execs.push_back(make_executor(m, cfg));
  ExecutorConfig same = cfg;  // every member on the backend the first one got ("auto")
  same.backend = execs.front()->backend();
  same.verbose = false;
  while (static_cast<int>(execs.size()) < members) execs.push_back(make_executor(m, same));
  return make_sequential_ensemble(std::move(execs));
}

}  // namespace rnnjit
