// xent_distill_api.cu: the C ABI of distillation, KL, entropy and Jensen-Shannon between softmax
// distributions (native/include/xent.h) over cuda/distill.cuh. Compiled by nvcc and, for the
// emulator, by the host compiler (see xent_api.cu).
#include "api_support.h"
#include "distill.cuh"

namespace {

using namespace xent_api;

struct DistCall {
    const char* fn;
    int op;
    int32_t dtype;
    const void* teacher;
    const void* student;
    void* grad;
    int64_t outer, classes, inner, outer_stride;
    float temperature, alpha;
    int32_t label_type;
    const void* labels;
    int64_t ignore_index;
    int32_t reduction;
    const float* upstream;
    float* row_loss;
    float* row_kl;
    float* row_soft_ce;
    float* row_entropy;
    float* workspace;
    int64_t* error_info;
    void* stream;
};

int32_t run_dist(const DistCall& c) {
    const char* fn = c.fn;
    const bool dist = c.op == xent::DIST_FWD || c.op == xent::DIST_FUSED;
    const bool two = dist || c.op == xent::JS_FWD;
    const bool writes_grad = c.op == xent::DIST_FUSED || c.op == xent::ENT_FUSED;
    int64_t rows = 0;
    XENT_TRY(check_dtype(fn, c.dtype));
    XENT_TRY(check_layout(fn, c.outer, c.classes, c.inner, c.outer_stride, &rows));
    if (!(c.temperature > 0.0f && c.temperature <= 3.4028234663852886e38f))
        return invalid(fn, "temperature must be finite and > 0 (got " + std::to_string(c.temperature) + ")");
    if (!(c.alpha >= 0.0f && c.alpha <= 1.0f))
        return invalid(fn, "alpha must be in [0, 1] (got " + std::to_string(c.alpha) + ")");
    if (c.reduction != XENT_REDUCTION_NONE && c.reduction != XENT_REDUCTION_SUM && c.reduction != XENT_REDUCTION_MEAN)
        return invalid(fn, "reduction: unknown value " + num(c.reduction));
    if (dist && c.labels != nullptr && c.label_type != XENT_I32 && c.label_type != XENT_I64)
        return invalid(fn, "label_type: unknown value " + num(c.label_type));
    if (dist && c.workspace == nullptr) return invalid(fn, "workspace is null");
    if (rows > 0) {
        if (c.teacher == nullptr) return invalid(fn, dist ? "teacher is null" : "logits is null");
        if (two && c.student == nullptr) return invalid(fn, dist ? "student is null" : "q_logits is null");
        if (dist && c.alpha < 1.0f && c.labels == nullptr) return invalid(fn, "labels is null but alpha < 1");
        if (writes_grad && c.grad == nullptr) return invalid(fn, "grad is null");
        if (!dist && c.row_entropy == nullptr) return invalid(fn, "out is null");
    }
    xent::DistArgs A;
    A.t = c.teacher;
    A.s = c.student;
    A.g = c.grad;
    A.labels = dist && c.alpha < 1.0f ? c.labels : nullptr;  // alpha = 1: no hard term
    A.lab64 = c.label_type == XENT_I64 ? 1 : 0;
    A.ignore_index = c.ignore_index;
    A.C = c.classes;
    A.inner = c.inner;
    A.ostride = c.outer_stride;
    A.rows = rows;
    A.tau = c.temperature;
    A.inv_tau = 1.0f / c.temperature;
    A.alpha = c.alpha;
    A.reduction = c.reduction;
    A.upstream = c.upstream;
    A.row_loss = c.row_loss;
    A.row_kl = c.row_kl;
    A.row_soft_ce = c.row_soft_ce;
    A.row_entropy = c.row_entropy;
    A.ws = c.workspace;
    A.err = c.error_info;
    cudaError_t e;
    switch (c.dtype) {
        case XENT_F32: e = xent::launch_dist<float>(c.op, A, as_stream(c.stream)); break;
        case XENT_BF16: e = xent::launch_dist<xent::bf16>(c.op, A, as_stream(c.stream)); break;
        default: e = xent::launch_dist<xent::f16>(c.op, A, as_stream(c.stream)); break;
    }
    return from_cuda(fn, e);
}

}  // namespace

extern "C" {

XENT_API int64_t xent_distill_workspace_floats(int64_t rows) { return xent::dist_workspace_floats(rows); }

XENT_API int32_t xent_distill_forward(int32_t dtype, const void* teacher, const void* student, int64_t outer,
                                      int64_t classes, int64_t inner, int64_t outer_stride, float temperature,
                                      float alpha, int32_t label_type, const void* labels, int64_t ignore_index,
                                      int32_t reduction, float* row_loss, float* row_kl, float* row_soft_ce,
                                      float* row_teacher_entropy, float* workspace, int64_t* error_info,
                                      void* stream) {
    return guarded("xent_distill_forward", [&]() -> int32_t {
        DistCall c{"xent_distill_forward", xent::DIST_FWD, dtype, teacher, student, nullptr, outer, classes, inner,
                   outer_stride, temperature, alpha, label_type, labels, ignore_index, reduction, nullptr, row_loss,
                   row_kl, row_soft_ce, row_teacher_entropy, workspace, error_info, stream};
        return run_dist(c);
    });
}

XENT_API int32_t xent_distill_forward_backward(int32_t dtype, const void* teacher, const void* student, void* grad,
                                               int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
                                               float temperature, float alpha, int32_t label_type,
                                               const void* labels, int64_t ignore_index, int32_t reduction,
                                               const float* upstream, float* row_loss, float* row_kl,
                                               float* row_soft_ce, float* row_teacher_entropy, float* workspace,
                                               int64_t* error_info, void* stream) {
    return guarded("xent_distill_forward_backward", [&]() -> int32_t {
        DistCall c{"xent_distill_forward_backward", xent::DIST_FUSED, dtype, teacher, student, grad, outer, classes,
                   inner, outer_stride, temperature, alpha, label_type, labels, ignore_index, reduction, upstream,
                   row_loss, row_kl, row_soft_ce, row_teacher_entropy, workspace, error_info, stream};
        return run_dist(c);
    });
}

XENT_API int32_t xent_entropy(int32_t dtype, const void* logits, void* grad, int64_t outer, int64_t classes,
                              int64_t inner, int64_t outer_stride, const float* upstream, float* out, void* stream) {
    return guarded("xent_entropy", [&]() -> int32_t {
        DistCall c{"xent_entropy", grad ? xent::ENT_FUSED : xent::ENT_FWD, dtype, logits, nullptr, grad, outer,
                   classes, inner, outer_stride, 1.0f, 1.0f, XENT_I32, nullptr, 0, XENT_REDUCTION_NONE, upstream,
                   nullptr, nullptr, nullptr, out, nullptr, nullptr, stream};
        return run_dist(c);
    });
}

XENT_API int32_t xent_js(int32_t dtype, const void* p_logits, const void* q_logits, int64_t outer, int64_t classes,
                         int64_t inner, int64_t outer_stride, float* out, void* stream) {
    return guarded("xent_js", [&]() -> int32_t {
        DistCall c{"xent_js", xent::JS_FWD, dtype, p_logits, q_logits, nullptr, outer, classes, inner, outer_stride,
                   1.0f, 1.0f, XENT_I32, nullptr, 0, XENT_REDUCTION_NONE, nullptr, nullptr, nullptr, nullptr, out,
                   nullptr, nullptr, stream};
        return run_dist(c);
    });
}

}  // extern "C"
