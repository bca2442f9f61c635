// Ensembles of one cell (runtime/core/executor.hpp's EnsembleExecutor): make_ensemble_executor
// builds the backend's own when it has one, else the generic form, E executors run one after
// another (the float64 reference's oracle behaviour).
#pragma once

#include <memory>

#include "runtime/core/executor.hpp"

namespace rnnjit {

std::unique_ptr<EnsembleExecutor> make_ensemble_executor(const ir::Module& m, int members,
                                                         const ExecutorConfig& cfg);

// The generic ensemble over `members` executors (one per member, all of the same backend).
std::unique_ptr<EnsembleExecutor> make_sequential_ensemble(
    std::vector<std::unique_ptr<CellExecutor>> members);

}  // namespace rnnjit
