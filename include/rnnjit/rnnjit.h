/* rnnjit's C API: compile a model spec, run the JIT kernels forward and backward, train networks.
 * What other languages bind (the Python package binds it too).
 *
 * Conventions:
 *   - Every call returns an rnnjit_status; RNNJIT_OK is 0. On failure rnnjit_last_error() gives
 *     the one-line message (SpecError's file:line:column, both shapes of a shape mismatch, ...)
 *     of the calling thread's last failed call; no C++ exception crosses this API.
 *   - Objects are opaque handles created by rnnjit_*_new / _load / _parse / _compile and released
 *     by the matching _free (which accepts NULL). Strings returned through char** are released
 *     with rnnjit_string_free; const char* results live as long as the object they came from.
 *   - Tensor data is copied in (rnnjit_tensors_set) and copied out (rnnjit_tensors_read,
 *     rnnjit_cell_forward_into) into buffers the caller owns; shapes are int64_t arrays.
 *   - A cell is used by one thread at a time; distinct cells may run in different threads.
 */
#ifndef RNNJIT_RNNJIT_H
#define RNNJIT_RNNJIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rnnjit_status {
  RNNJIT_OK = 0,
  RNNJIT_ERROR_SPEC = 1,          /* a bad spec or config: file:line:column and the field */
  RNNJIT_ERROR_SHAPE = 2,         /* a tensor of the wrong shape, or missing */
  RNNJIT_ERROR_USAGE = 3,         /* a call that cannot be honoured as asked */
  RNNJIT_ERROR_RUNTIME = 4,       /* files, backends, training: the message says which */
  RNNJIT_ERROR_NULL_ARGUMENT = 5, /* a required pointer was NULL */
  RNNJIT_ERROR_OUT_OF_MEMORY = 6,
  RNNJIT_ERROR_INTERNAL = 7 /* a bug in rnnjit: please report the message */
} rnnjit_status;

typedef enum rnnjit_dtype { RNNJIT_F32 = 0, RNNJIT_F64 = 1 } rnnjit_dtype;

typedef struct rnnjit_spec rnnjit_spec;
typedef struct rnnjit_cell rnnjit_cell;
typedef struct rnnjit_tensors rnnjit_tensors; /* a name -> tensor map */

const char* rnnjit_version(void);
/* The message of the calling thread's last failed call ("" if none failed yet). */
const char* rnnjit_last_error(void);
void rnnjit_string_free(char* s);

/* ---- specs ---- */
rnnjit_status rnnjit_spec_load(const char* path, rnnjit_spec** out);
rnnjit_status rnnjit_spec_parse(const char* yaml, const char* name, rnnjit_spec** out);
void rnnjit_spec_free(rnnjit_spec* spec);
rnnjit_status rnnjit_spec_neurons(const rnnjit_spec* spec, int64_t* out);
/* "ring" or "vwm": the trainer of the spec's model. */
rnnjit_status rnnjit_spec_trainer(const rnnjit_spec* spec, const char** out);

/* ---- tensor maps ---- */
rnnjit_status rnnjit_tensors_new(rnnjit_tensors** out);
void rnnjit_tensors_free(rnnjit_tensors* tensors);
/* Copies `data` (rank dims in `shape`, row-major) in under `name`, replacing any tensor of that
 * name. rank 0 is a scalar. */
rnnjit_status rnnjit_tensors_set(rnnjit_tensors* tensors, const char* name, rnnjit_dtype dtype,
                                 int rank, const int64_t* shape, const void* data);
rnnjit_status rnnjit_tensors_count(const rnnjit_tensors* tensors, size_t* out);
/* The name of the index-th tensor (names in sorted order). */
rnnjit_status rnnjit_tensors_name(const rnnjit_tensors* tensors, size_t index, const char** out);
/* The dtype, rank, shape (valid until the map changes) and element count of a tensor. */
rnnjit_status rnnjit_tensors_info(const rnnjit_tensors* tensors, const char* name,
                                  rnnjit_dtype* dtype, int* rank, const int64_t** shape,
                                  size_t* count);
/* Copies a tensor out as `dtype` (converting) into `dst`, which holds `count` elements: exactly the
 * tensor's element count, or RNNJIT_ERROR_SHAPE. */
rnnjit_status rnnjit_tensors_read(const rnnjit_tensors* tensors, const char* name,
                                  rnnjit_dtype dtype, void* dst, size_t count);
rnnjit_status rnnjit_tensors_load(const char* safetensors_path, rnnjit_tensors** out);
rnnjit_status rnnjit_tensors_save(const rnnjit_tensors* tensors, const char* safetensors_path);

/* ---- compiled cells ---- */
/* backend: "reference", "cpu", "cuda" or "auto" (NULL: auto); precision: "fp32" or "fp64" (NULL:
 * fp32). */
rnnjit_status rnnjit_cell_compile(const rnnjit_spec* spec, const char* backend,
                                  const char* precision, rnnjit_cell** out);
void rnnjit_cell_free(rnnjit_cell* cell);
rnnjit_status rnnjit_cell_backend(const rnnjit_cell* cell, const char** out);
rnnjit_status rnnjit_cell_init_params(const rnnjit_cell* cell, uint64_t seed, rnnjit_tensors** out);
rnnjit_status rnnjit_cell_random_inputs(const rnnjit_cell* cell, int64_t batch, int64_t steps,
                                        uint64_t seed, rnnjit_tensors** out);
/* The forward pass: *out holds "r" [B,T,N]. */
rnnjit_status rnnjit_cell_forward(rnnjit_cell* cell, const rnnjit_tensors* params,
                                  const rnnjit_tensors* inputs, uint64_t noise_seed,
                                  rnnjit_tensors** out);
/* The same, writing r [B,T,N] as `dtype` into the caller's `r` of `count` elements. */
rnnjit_status rnnjit_cell_forward_into(rnnjit_cell* cell, const rnnjit_tensors* params,
                                       const rnnjit_tensors* inputs, uint64_t noise_seed,
                                       rnnjit_dtype dtype, void* r, size_t count);
/* The adjoint of the cell's last forward: `dr` holds "r" = dL/dr [B,T,N]; *out gets dL/d(every
 * learned parameter), "r0" and every input by name. */
rnnjit_status rnnjit_cell_backward(rnnjit_cell* cell, const rnnjit_tensors* dr,
                                   rnnjit_tensors** out);

/* ---- training ---- */
typedef struct rnnjit_progress {
  int64_t step, last_step;
  double loss, error, seconds;
} rnnjit_progress;
typedef void (*rnnjit_progress_fn)(const rnnjit_progress* progress, void* user);

/* Trains `spec` into out_dir. options_json (NULL: defaults) is a JSON object with any of
 * "steps", "backend", "overwrite", "figures", "verbose" and "settings" (an object of the spec's
 * `train:` keys). *summary_json (if not NULL) gets summary.json's text. */
rnnjit_status rnnjit_train(const rnnjit_spec* spec, const char* out_dir, const char* options_json,
                           rnnjit_progress_fn on_step, void* user, char** summary_json);
/* Continues the run in run_dir; options_json as above ("steps", "backend", "figures"). */
rnnjit_status rnnjit_resume(const char* run_dir, const char* options_json,
                            rnnjit_progress_fn on_step, void* user, char** summary_json);

#ifdef __cplusplus
}
#endif

#endif /* RNNJIT_RNNJIT_H */
