/* Embedding rnnjit in a C program through its C API: compile a spec, run forward and backward, and
 * compare with the float64 reference backend. Build: see examples/embed/CMakeLists.txt. */
#include <math.h>
#include <rnnjit/rnnjit.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != RNNJIT_OK) {                                          \
      fprintf(stderr, "embed_c: %s: %s\n", #call, rnnjit_last_error()); \
      return 1;                                                         \
    }                                                                   \
  } while (0)

int main(int argc, char** argv) {
  rnnjit_spec* spec;
  rnnjit_cell *cell, *ref;
  rnnjit_tensors *params, *inputs, *r, *r_ref, *dr, *grads;
  CHECK(rnnjit_spec_load(argc > 1 ? argv[1] : "examples/ring.yaml", &spec));
  CHECK(rnnjit_cell_compile(spec, "auto", "fp32", &cell));
  CHECK(rnnjit_cell_compile(spec, "reference", NULL, &ref));
  CHECK(rnnjit_cell_init_params(cell, 1, &params));
  CHECK(rnnjit_cell_random_inputs(cell, 4, 10, 2, &inputs));
  CHECK(rnnjit_cell_forward(cell, params, inputs, 0, &r));
  CHECK(rnnjit_cell_forward(ref, params, inputs, 0, &r_ref));

  size_t n;
  int rank;
  const int64_t* shape;
  CHECK(rnnjit_tensors_info(r, "r", NULL, &rank, &shape, &n));
  double* a = malloc(n * sizeof(double));
  double* b = malloc(n * sizeof(double));
  CHECK(rnnjit_tensors_read(r, "r", RNNJIT_F64, a, n));
  CHECK(rnnjit_tensors_read(r_ref, "r", RNNJIT_F64, b, n));
  double checksum = 0, max_diff = 0;
  for (size_t i = 0; i < n; ++i) {
    checksum += a[i];
    max_diff = fmax(max_diff, fabs(a[i] - b[i]));
    a[i] = 1.0; /* dL/dr for L = sum(r) */
  }
  CHECK(rnnjit_tensors_new(&dr));
  CHECK(rnnjit_tensors_set(dr, "r", RNNJIT_F64, rank, shape, a));
  CHECK(rnnjit_cell_backward(cell, dr, &grads));
  const char* backend;
  CHECK(rnnjit_cell_backend(cell, &backend));
  printf(
      "rnnjit %s, %s backend: r [%lld,%lld,%lld] checksum %.6f, max |difference| vs reference "
      "%.3g\n",
      rnnjit_version(), backend, (long long)shape[0], (long long)shape[1], (long long)shape[2],
      checksum, max_diff);
  free(a), free(b);
  rnnjit_tensors_free(grads), rnnjit_tensors_free(dr), rnnjit_tensors_free(r_ref);
  rnnjit_tensors_free(r), rnnjit_tensors_free(inputs), rnnjit_tensors_free(params);
  rnnjit_cell_free(ref), rnnjit_cell_free(cell), rnnjit_spec_free(spec);
  return max_diff < 1e-2 ? 0 : 1;
}
