#include "runtime/cpu/thread_pool.hpp"

#include <cstdlib>
#include <string>

namespace rnnjit::cpu {

ThreadPool::ThreadPool(int threads) {
  for (int w = 1; w < threads; ++w) workers_.emplace_back([this, w] { work(w); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

ThreadPool& ThreadPool::shared() {
  static ThreadPool pool([] {
    if (const char* env = std::getenv("RNNJIT_CPU_THREADS")) {
      const int n = std::atoi(env);
      if (n >= 1) return n;
    }
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
  }());
  return pool;
}

// Takes tasks until none are left. Called with mu_ held; releases it while a task runs.
void ThreadPool::drain(int worker) {
  std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
  while (next_ < tasks_) {
    const int task = next_++;
    const auto* fn = fn_;
    lock.unlock();
    try {
      (*fn)(task, worker);
    } catch (...) {
      std::lock_guard<std::mutex> g(mu_);
      if (!error_) error_ = std::current_exception();
    }
    lock.lock();
    if (++finished_ == tasks_) done_.notify_all();
  }
  lock.release();
}

void ThreadPool::work(int worker) {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    lock.release();  // drain() adopts the held mutex and returns with it held
    drain(worker);
    lock = std::unique_lock<std::mutex>(mu_, std::adopt_lock);
  }
}

void ThreadPool::run(int tasks, const std::function<void(int, int)>& fn) {
  if (tasks <= 0) return;
  std::lock_guard<std::mutex> one(run_mu_);
  if (workers_.empty() || tasks == 1) {
    for (int t = 0; t < tasks; ++t) fn(t, 0);
    return;
  }
  std::unique_lock<std::mutex> lock(mu_);
  fn_ = &fn;
  tasks_ = tasks;
  next_ = 0;
  finished_ = 0;
  error_ = nullptr;
  ++generation_;
  wake_.notify_all();
  lock.release();
  drain(0);
  lock = std::unique_lock<std::mutex>(mu_, std::adopt_lock);
  done_.wait(lock, [&] { return finished_ == tasks_; });
  fn_ = nullptr;
  if (error_) std::rethrow_exception(error_);
}

}  // namespace rnnjit::cpu
