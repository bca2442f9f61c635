// The C API (rnnjit/rnnjit.h) over the C++ API: opaque handles, status codes, the thread's last
// error message; no exception crosses it (every entry point runs its body through guard()).
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include <nlohmann/json.hpp>

#include "rnnjit/rnnjit.h"
#include "rnnjit/rnnjit.hpp"

struct rnnjit_spec {
  rnnjit::Spec spec;
};
struct rnnjit_cell {
  rnnjit::Cell cell;
  std::string backend;
};
struct rnnjit_tensors {
  rnnjit::TensorMap map;
};

namespace {

thread_local std::string last_error;

rnnjit_status fail(rnnjit_status s, const std::string& message) {
  last_error = message;
  return s;
}

// Runs `body`, mapping each kind of error to its status and keeping its message.
template <class F>
rnnjit_status guard(F&& body) {
  try {
    body();
    return RNNJIT_OK;
  } catch (const rnnjit::SpecError& e) {
    return fail(RNNJIT_ERROR_SPEC, e.what());
  } catch (const rnnjit::ShapeError& e) {
    return fail(RNNJIT_ERROR_SHAPE, e.what());
  } catch (const rnnjit::UsageError& e) {
    return fail(RNNJIT_ERROR_USAGE, e.what());
  } catch (const nlohmann::json::parse_error& e) {
    return fail(RNNJIT_ERROR_USAGE,
                "options_json is not JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const nlohmann::json::exception&) {
    return fail(RNNJIT_ERROR_USAGE,
                "options_json: a value has the wrong type (steps: integer, backend: string, "
                "overwrite/figures/verbose: true or false, settings: an object)");
  } catch (const std::bad_alloc&) {
    return fail(RNNJIT_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::logic_error& e) {
    return fail(RNNJIT_ERROR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (const std::exception& e) {
    return fail(RNNJIT_ERROR_RUNTIME, e.what());
  } catch (...) {
    return fail(RNNJIT_ERROR_INTERNAL, "internal error: an unknown exception");
  }
}

// NULL arguments are reported by name before anything runs.
#define RNNJIT_REQUIRE(arg)                                                                    \
  do {                                                                                         \
    if ((arg) == nullptr)                                                                      \
      return fail(RNNJIT_ERROR_NULL_ARGUMENT, std::string(__func__) + ": " + #arg " is NULL"); \
  } while (0)

rnnjit::DType to_dtype(rnnjit_dtype d) {
  if (d == RNNJIT_F32) return rnnjit::DType::F32;
  if (d == RNNJIT_F64) return rnnjit::DType::F64;
  throw rnnjit::UsageError("unknown dtype " + std::to_string(static_cast<int>(d)));
}

char* copy_string(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (!out) throw std::bad_alloc();
  std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

const rnnjit::Tensor& find(const rnnjit_tensors* t, const char* name) {
  auto it = t->map.find(name);
  if (it == t->map.end()) throw rnnjit::ShapeError(std::string("no tensor '") + name + "'");
  return it->second;
}

// Copies `t` as `dtype` into `dst` of `count` elements.
void copy_out(const rnnjit::Tensor& t, rnnjit_dtype dtype, void* dst, size_t count) {
  if (static_cast<size_t>(t.numel()) != count)
    throw rnnjit::ShapeError("the destination holds " + std::to_string(count) +
                             " elements but the tensor " + t.shape_str() + " has " +
                             std::to_string(t.numel()));
  const rnnjit::Tensor c = t.to(to_dtype(dtype));
  std::memcpy(dst, c.raw(), c.nbytes());
}

rnnjit::TrainOptions train_options(const char* options_json, rnnjit_progress_fn on_step,
                                   void* user) {
  rnnjit::TrainOptions o;
  if (options_json) {
    const auto j = nlohmann::json::parse(options_json);
    if (!j.is_object()) throw rnnjit::UsageError("options_json must be a JSON object");
    for (auto& [key, v] : j.items()) {
      if (key == "steps")
        o.steps = v.get<int64_t>();
      else if (key == "backend")
        o.backend = v.get<std::string>();
      else if (key == "overwrite")
        o.overwrite = v.get<bool>();
      else if (key == "figures")
        o.figures = v.get<bool>();
      else if (key == "verbose")
        o.verbose = v.get<bool>();
      else if (key == "settings")
        for (auto& [k, s] : v.items())
          o.settings[k] = s.is_string() ? s.get<std::string>() : s.dump();
      else
        throw rnnjit::UsageError("options_json: unknown key '" + key +
                                 "' (steps, backend, overwrite, figures, verbose, settings)");
    }
  }
  if (on_step)
    o.on_step = [on_step, user](const rnnjit::TrainProgress& p) {
      const rnnjit_progress c{p.step, p.last_step, p.loss, p.error, p.seconds};
      on_step(&c, user);
    };
  return o;
}

}  // namespace

extern "C" {

const char* rnnjit_version(void) {
  return rnnjit::version();
}
const char* rnnjit_last_error(void) {
  return last_error.c_str();
}
void rnnjit_string_free(char* s) {
  std::free(s);
}

rnnjit_status rnnjit_spec_load(const char* path, rnnjit_spec** out) {
  RNNJIT_REQUIRE(path);
  RNNJIT_REQUIRE(out);
  *out = nullptr;
  return guard([&] { *out = new rnnjit_spec{rnnjit::Spec::from_file(path)}; });
}

rnnjit_status rnnjit_spec_parse(const char* yaml, const char* name, rnnjit_spec** out) {
  RNNJIT_REQUIRE(yaml);
  RNNJIT_REQUIRE(out);
  *out = nullptr;
  return guard(
      [&] { *out = new rnnjit_spec{rnnjit::Spec::from_string(yaml, name ? name : "<string>")}; });
}

void rnnjit_spec_free(rnnjit_spec* spec) {
  delete spec;
}

rnnjit_status rnnjit_spec_neurons(const rnnjit_spec* spec, int64_t* out) {
  RNNJIT_REQUIRE(spec);
  RNNJIT_REQUIRE(out);
  *out = spec->spec.neurons();
  return RNNJIT_OK;
}

rnnjit_status rnnjit_spec_trainer(const rnnjit_spec* spec, const char** out) {
  RNNJIT_REQUIRE(spec);
  RNNJIT_REQUIRE(out);
  *out = spec->spec.trainer() == "vwm" ? "vwm" : "ring";
  return RNNJIT_OK;
}

rnnjit_status rnnjit_tensors_new(rnnjit_tensors** out) {
  RNNJIT_REQUIRE(out);
  return guard([&] { *out = new rnnjit_tensors{}; });
}

void rnnjit_tensors_free(rnnjit_tensors* tensors) {
  delete tensors;
}

rnnjit_status rnnjit_tensors_set(rnnjit_tensors* tensors, const char* name, rnnjit_dtype dtype,
                                 int rank, const int64_t* shape, const void* data) {
  RNNJIT_REQUIRE(tensors);
  RNNJIT_REQUIRE(name);
  if (rank > 0) RNNJIT_REQUIRE(shape);
  return guard([&] {
    if (rank < 0) throw rnnjit::ShapeError("rank " + std::to_string(rank) + " is negative");
    const std::vector<int64_t> dims(shape, shape + rank);
    rnnjit::Tensor t(to_dtype(dtype), dims);  // checks the dimensions
    if (t.numel() > 0 && data == nullptr)
      throw rnnjit::UsageError(std::string(__func__) + ": data is NULL");
    if (t.numel() > 0) std::memcpy(t.raw(), data, t.nbytes());
    tensors->map[name] = std::move(t);
  });
}

rnnjit_status rnnjit_tensors_count(const rnnjit_tensors* tensors, size_t* out) {
  RNNJIT_REQUIRE(tensors);
  RNNJIT_REQUIRE(out);
  *out = tensors->map.size();
  return RNNJIT_OK;
}

rnnjit_status rnnjit_tensors_name(const rnnjit_tensors* tensors, size_t index, const char** out) {
  RNNJIT_REQUIRE(tensors);
  RNNJIT_REQUIRE(out);
  if (index >= tensors->map.size())
    return fail(RNNJIT_ERROR_USAGE, "rnnjit_tensors_name: index " + std::to_string(index) +
                                        " is past the " + std::to_string(tensors->map.size()) +
                                        " tensors");
  *out = std::next(tensors->map.begin(), static_cast<std::ptrdiff_t>(index))->first.c_str();
  return RNNJIT_OK;
}

rnnjit_status rnnjit_tensors_info(const rnnjit_tensors* tensors, const char* name,
                                  rnnjit_dtype* dtype, int* rank, const int64_t** shape,
                                  size_t* count) {
  RNNJIT_REQUIRE(tensors);
  RNNJIT_REQUIRE(name);
  return guard([&] {
    const rnnjit::Tensor& t = find(tensors, name);
    if (dtype) *dtype = t.dtype() == rnnjit::DType::F32 ? RNNJIT_F32 : RNNJIT_F64;
    if (rank) *rank = static_cast<int>(t.rank());
    if (shape) *shape = t.shape().data();
    if (count) *count = static_cast<size_t>(t.numel());
  });
}

rnnjit_status rnnjit_tensors_read(const rnnjit_tensors* tensors, const char* name,
                                  rnnjit_dtype dtype, void* dst, size_t count) {
  RNNJIT_REQUIRE(tensors);
  RNNJIT_REQUIRE(name);
  RNNJIT_REQUIRE(dst);
  return guard([&] { copy_out(find(tensors, name), dtype, dst, count); });
}

rnnjit_status rnnjit_tensors_load(const char* path, rnnjit_tensors** out) {
  RNNJIT_REQUIRE(path);
  RNNJIT_REQUIRE(out);
  *out = nullptr;
  return guard([&] { *out = new rnnjit_tensors{rnnjit::read_safetensors(path)}; });
}

rnnjit_status rnnjit_tensors_save(const rnnjit_tensors* tensors, const char* path) {
  RNNJIT_REQUIRE(tensors);
  RNNJIT_REQUIRE(path);
  return guard([&] { rnnjit::write_safetensors(path, tensors->map); });
}

rnnjit_status rnnjit_cell_compile(const rnnjit_spec* spec, const char* backend,
                                  const char* precision, rnnjit_cell** out) {
  RNNJIT_REQUIRE(spec);
  RNNJIT_REQUIRE(out);
  *out = nullptr;
  return guard([&] {
    rnnjit::CompileOptions o;
    if (backend) o.backend = backend;
    if (precision) o.precision = precision;
    rnnjit::Cell cell = rnnjit::Cell::compile(spec->spec, o);
    const std::string name = cell.backend();
    *out = new rnnjit_cell{std::move(cell), name};
  });
}

void rnnjit_cell_free(rnnjit_cell* cell) {
  delete cell;
}

rnnjit_status rnnjit_cell_backend(const rnnjit_cell* cell, const char** out) {
  RNNJIT_REQUIRE(cell);
  RNNJIT_REQUIRE(out);
  *out = cell->backend.c_str();
  return RNNJIT_OK;
}

rnnjit_status rnnjit_cell_init_params(const rnnjit_cell* cell, uint64_t seed,
                                      rnnjit_tensors** out) {
  RNNJIT_REQUIRE(cell);
  RNNJIT_REQUIRE(out);
  *out = nullptr;
  return guard([&] { *out = new rnnjit_tensors{cell->cell.init_params(seed)}; });
}

rnnjit_status rnnjit_cell_random_inputs(const rnnjit_cell* cell, int64_t batch, int64_t steps,
                                        uint64_t seed, rnnjit_tensors** out) {
  RNNJIT_REQUIRE(cell);
  RNNJIT_REQUIRE(out);
  *out = nullptr;
  return guard([&] { *out = new rnnjit_tensors{cell->cell.random_inputs(batch, steps, seed)}; });
}

rnnjit_status rnnjit_cell_forward(rnnjit_cell* cell, const rnnjit_tensors* params,
                                  const rnnjit_tensors* inputs, uint64_t noise_seed,
                                  rnnjit_tensors** out) {
  RNNJIT_REQUIRE(cell);
  RNNJIT_REQUIRE(params);
  RNNJIT_REQUIRE(inputs);
  RNNJIT_REQUIRE(out);
  *out = nullptr;
  return guard([&] {
    rnnjit::RunOptions o;
    o.noise_seed = noise_seed;
    rnnjit::TensorMap r;
    r["r"] = cell->cell.forward(params->map, inputs->map, o);
    *out = new rnnjit_tensors{std::move(r)};
  });
}

rnnjit_status rnnjit_cell_forward_into(rnnjit_cell* cell, const rnnjit_tensors* params,
                                       const rnnjit_tensors* inputs, uint64_t noise_seed,
                                       rnnjit_dtype dtype, void* r, size_t count) {
  RNNJIT_REQUIRE(cell);
  RNNJIT_REQUIRE(params);
  RNNJIT_REQUIRE(inputs);
  RNNJIT_REQUIRE(r);
  return guard([&] {
    rnnjit::RunOptions o;
    o.noise_seed = noise_seed;
    copy_out(cell->cell.forward(params->map, inputs->map, o), dtype, r, count);
  });
}

rnnjit_status rnnjit_cell_backward(rnnjit_cell* cell, const rnnjit_tensors* dr,
                                   rnnjit_tensors** out) {
  RNNJIT_REQUIRE(cell);
  RNNJIT_REQUIRE(dr);
  RNNJIT_REQUIRE(out);
  *out = nullptr;
  return guard([&] {
    const rnnjit::Tensor& c = find(dr, "r");
    *out = new rnnjit_tensors{cell->cell.backward(c)};
  });
}

rnnjit_status rnnjit_train(const rnnjit_spec* spec, const char* out_dir, const char* options_json,
                           rnnjit_progress_fn on_step, void* user, char** summary_json) {
  RNNJIT_REQUIRE(spec);
  RNNJIT_REQUIRE(out_dir);
  if (summary_json) *summary_json = nullptr;
  return guard([&] {
    rnnjit::TrainOptions o = train_options(options_json, on_step, user);
    o.out_dir = out_dir;
    const rnnjit::TrainResult r = rnnjit::train_model(spec->spec, o);
    if (summary_json) *summary_json = copy_string(r.summary_json);
  });
}

rnnjit_status rnnjit_resume(const char* run_dir, const char* options_json,
                            rnnjit_progress_fn on_step, void* user, char** summary_json) {
  RNNJIT_REQUIRE(run_dir);
  if (summary_json) *summary_json = nullptr;
  return guard([&] {
    const rnnjit::TrainOptions o = train_options(options_json, on_step, user);
    const rnnjit::TrainResult r = rnnjit::resume_training(run_dir, o);
    if (summary_json) *summary_json = copy_string(r.summary_json);
  });
}

}  // extern "C"
