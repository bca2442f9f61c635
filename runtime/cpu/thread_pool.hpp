// A small fixed pool of worker threads for the CPU backend: run(n, fn) calls fn(task, worker) for
// task = 0..n-1 spread over the workers and the calling thread, and returns when all are done.
// run() may be called from several threads at once (CPU executors on different threads share the
// process's pool): the runs take turns, whole. A task must not call run() itself.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rnnjit::cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads >= 1, counting the caller
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // Exceptions thrown by fn are rethrown here (the first one).
  void run(int tasks, const std::function<void(int task, int worker)>& fn);

  // The process-wide pool: RNNJIT_CPU_THREADS threads, else one per hardware thread.
  static ThreadPool& shared();

 private:
  void work(int worker);
  void drain(int worker);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int, int)>* fn_ = nullptr;
  int tasks_ = 0, next_ = 0, finished_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
  std::mutex run_mu_;  // one run() at a time
};

}  // namespace rnnjit::cpu
