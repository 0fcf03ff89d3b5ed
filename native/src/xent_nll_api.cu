// xent_nll_api.cu: the C ABI of NLL loss on log-probabilities (native/include/xent.h) over
// cuda/nll.cuh. Compiled by nvcc and, for the emulator, by the host compiler (see xent_api.cu).
#include "api_support.h"
#include "nll.cuh"

namespace {

using namespace xent_api;

int32_t run_nll(int32_t pass, const xent_tensor* input, const xent_targets* targets, const xent_nll_options* o,
                const float* upstream, const xent_nll_outputs* out, void* stream) {
    const char* fn = "xent_nll";
    int64_t rows = 0;
    int lab64 = 0;
    XENT_TRY(check_pass(fn, pass, false));
    XENT_TRY(check_tensor(fn, "input", input, &rows));
    XENT_TRY(check_class_targets(fn, targets, rows, &lab64));
    XENT_TRY(require(fn, o, "options"));
    XENT_TRY(require(fn, out, "outputs"));
    XENT_TRY(check_reduction(fn, o->reduction));
    XENT_TRY(require(fn, out->workspace, "outputs.workspace"));
    const bool writes_grad = pass == XENT_FORWARD_BACKWARD;
    XENT_TRY(require(fn, out->grad, "outputs.grad", rows > 0 && writes_grad));
    xent::NllArgs A;
    A.input = input->data;
    A.grad = writes_grad ? out->grad : nullptr;
    A.labels = targets->data;
    A.lab64 = lab64;
    A.reduction = o->reduction;
    A.weight = o->weight;
    A.classes = input->classes;
    A.inner = input->inner;
    A.outer_stride = input->outer_stride;
    A.rows = rows;
    A.ignore_index = o->ignore_index;
    A.upstream = writes_grad ? upstream : nullptr;
    A.row_loss = out->row_loss ? out->row_loss : out->workspace + xent::NLL_WS_ROWS;
    A.workspace = out->workspace;
    A.error_info = out->error_info;
    return from_cuda(fn, by_dtype(input->dtype, [&](auto tag) {
        return xent::launch_nll<typename decltype(tag)::type>(A, as_stream(stream));
    }));
}

}  // namespace

extern "C" {

XENT_API int32_t xent_nll(int32_t pass, const xent_tensor* input, const xent_targets* targets,
                          const xent_nll_options* options, const float* upstream, const xent_nll_outputs* outputs,
                          void* stream) {
    return guarded("xent_nll", [&]() -> int32_t { return run_nll(pass, input, targets, options, upstream, outputs, stream); });
}

}  // extern "C"
