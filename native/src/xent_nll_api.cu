// xent_nll_api.cu: the C ABI of NLL loss on log-probabilities (native/include/xent.h) over
// cuda/nll.cuh. Compiled by nvcc and, for the emulator, by the host compiler (see xent_api.cu).
#include "api_support.h"
#include "nll.cuh"

namespace {

using namespace xent_api;

int32_t run_nll(const char* fn, int32_t dtype, const void* input, void* grad, int64_t outer, int64_t classes,
                int64_t inner, int64_t outer_stride, int32_t label_type, const void* labels, const float* weight,
                int64_t ignore_index, int32_t reduction, const float* upstream, float* row_loss, float* workspace,
                int64_t* error_info, void* stream, bool writes_grad) {
    int64_t rows = 0;
    XENT_TRY(check_dtype(fn, dtype));
    XENT_TRY(check_layout(fn, outer, classes, inner, outer_stride, &rows));
    if (label_type != XENT_I32 && label_type != XENT_I64) return invalid(fn, "label_type: unknown value " + num(label_type));
    if (reduction != XENT_REDUCTION_NONE && reduction != XENT_REDUCTION_SUM && reduction != XENT_REDUCTION_MEAN)
        return invalid(fn, "reduction: unknown value " + num(reduction));
    if (workspace == nullptr) return invalid(fn, "workspace is null");
    if (rows > 0) {
        if (input == nullptr) return invalid(fn, "input is null");
        if (labels == nullptr) return invalid(fn, "labels is null");
        if (writes_grad && grad == nullptr) return invalid(fn, "grad is null");
    }
    xent::NllArgs A;
    A.x = input;
    A.g = writes_grad ? grad : nullptr;
    A.labels = labels;
    A.lab64 = label_type == XENT_I64 ? 1 : 0;
    A.reduction = reduction;
    A.weight = weight;
    A.C = classes;
    A.inner = inner;
    A.ostride = outer_stride;
    A.rows = rows;
    A.ignore_index = ignore_index;
    A.upstream = upstream;
    A.row_loss = row_loss ? row_loss : workspace + xent::NLL_WS_ROWS;
    A.ws = workspace;
    A.err = error_info;
    cudaError_t e;
    switch (dtype) {
        case XENT_F32: e = xent::launch_nll<float>(A, as_stream(stream)); break;
        case XENT_BF16: e = xent::launch_nll<xent::bf16>(A, as_stream(stream)); break;
        default: e = xent::launch_nll<xent::f16>(A, as_stream(stream)); break;
    }
    return from_cuda(fn, e);
}

}  // namespace

extern "C" {

XENT_API int32_t xent_nll_forward(int32_t dtype, const void* input, int64_t outer, int64_t classes, int64_t inner,
                                  int64_t outer_stride, int32_t label_type, const void* labels, const float* weight,
                                  int64_t ignore_index, int32_t reduction, float* row_loss, float* workspace,
                                  int64_t* error_info, void* stream) {
    return guarded("xent_nll_forward", [&]() -> int32_t {
        return run_nll("xent_nll_forward", dtype, input, nullptr, outer, classes, inner, outer_stride, label_type,
                       labels, weight, ignore_index, reduction, nullptr, row_loss, workspace, error_info, stream, false);
    });
}

XENT_API int32_t xent_nll_forward_backward(int32_t dtype, const void* input, void* grad, int64_t outer,
                                           int64_t classes, int64_t inner, int64_t outer_stride, int32_t label_type,
                                           const void* labels, const float* weight, int64_t ignore_index,
                                           int32_t reduction, const float* upstream, float* row_loss,
                                           float* workspace, int64_t* error_info, void* stream) {
    return guarded("xent_nll_forward_backward", [&]() -> int32_t {
        return run_nll("xent_nll_forward_backward", dtype, input, grad, outer, classes, inner, outer_stride,
                       label_type, labels, weight, ignore_index, reduction, upstream, row_loss, workspace, error_info,
                       stream, true);
    });
}

}  // extern "C"
