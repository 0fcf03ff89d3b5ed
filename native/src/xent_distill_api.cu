// xent_distill_api.cu: the C ABI of distillation, entropy and Jensen-Shannon between softmax
// distributions (native/include/xent.h) over cuda/distill.cuh. Compiled by nvcc and, for the
// emulator, by the host compiler (see xent_api.cu).
#include "api_support.h"
#include "distill.cuh"

namespace {

using namespace xent_api;

// The launcher's arguments for one (checked) tensor of rows rows at temperature 1; each call adds
// what it has.
xent::DistArgs dist_args(const xent_tensor* t, int64_t rows) {
    xent::DistArgs A{};
    A.teacher = t->data;
    A.classes = t->classes;
    A.inner = t->inner;
    A.outer_stride = t->outer_stride;
    A.rows = rows;
    A.temperature = 1.0f;
    A.inv_tau = 1.0f;
    A.alpha = 1.0f;
    A.reduction = XENT_REDUCTION_NONE;
    return A;
}

int32_t launch(const char* fn, int op, int32_t dtype, const xent::DistArgs& A, void* stream) {
    return from_cuda(fn, by_dtype(dtype, [&](auto tag) {
        return xent::launch_dist<typename decltype(tag)::type>(op, A, as_stream(stream));
    }));
}

int32_t run_distill(int32_t pass, const xent_tensor* teacher, const xent_tensor* student, const xent_targets* targets,
                    const xent_distill_options* o, const float* upstream, const xent_distill_outputs* out,
                    void* stream) {
    const char* fn = "xent_distill";
    int64_t rows = 0, student_rows = 0;
    XENT_TRY(check_pass(fn, pass, false));
    XENT_TRY(check_tensor(fn, "teacher", teacher, &rows));
    XENT_TRY(check_tensor(fn, "student", student, &student_rows));
    XENT_TRY(check_same_tensor_shape(fn, "teacher", teacher, "student", student));
    XENT_TRY(require(fn, o, "options"));
    XENT_TRY(require(fn, out, "outputs"));
    if (!(o->temperature > 0.0f && o->temperature <= 3.4028234663852886e38f))
        return invalid(fn, "options.temperature must be finite and > 0 (got " + std::to_string(o->temperature) + ")");
    if (!(o->alpha >= 0.0f && o->alpha <= 1.0f))
        return invalid(fn, "options.alpha must be in [0, 1] (got " + std::to_string(o->alpha) + ")");
    XENT_TRY(check_reduction(fn, o->reduction));
    const bool hard = o->alpha < 1.0f;  // alpha = 1: no hard term, targets unused
    int lab64 = 0;
    if (hard && targets == nullptr) return invalid(fn, "targets is null but options.alpha < 1");
    if (hard) XENT_TRY(check_class_targets(fn, targets, rows, &lab64));
    XENT_TRY(require(fn, out->workspace, "outputs.workspace"));
    const bool writes_grad = pass == XENT_FORWARD_BACKWARD;
    XENT_TRY(require(fn, out->grad, "outputs.grad", rows > 0 && writes_grad));
    xent::DistArgs A = dist_args(teacher, rows);
    A.student = student->data;
    A.grad = writes_grad ? out->grad : nullptr;
    A.labels = hard ? targets->data : nullptr;
    A.weight = hard ? o->weight : nullptr;  // a device pointer: neither its length nor its values can be checked here
    A.lab64 = lab64;
    A.ignore_index = o->ignore_index;
    A.temperature = o->temperature;
    A.inv_tau = 1.0f / o->temperature;
    A.alpha = o->alpha;
    A.reduction = o->reduction;
    A.upstream = writes_grad ? upstream : nullptr;
    A.row_loss = out->row_loss;
    A.row_kl = out->row_kl;
    A.row_soft_ce = out->row_soft_ce;
    A.row_teacher_entropy = out->row_teacher_entropy;
    A.workspace = out->workspace;
    A.error_info = out->error_info;
    return launch(fn, writes_grad ? xent::DIST_FUSED : xent::DIST_FWD, teacher->dtype, A, stream);
}

int32_t run_entropy(int32_t pass, const xent_tensor* logits, const float* upstream, float* out, void* grad,
                    void* stream) {
    const char* fn = "xent_entropy";
    int64_t rows = 0;
    XENT_TRY(check_pass(fn, pass, false));
    XENT_TRY(check_tensor(fn, "logits", logits, &rows));
    XENT_TRY(require(fn, out, "out", rows > 0));
    const bool writes_grad = pass == XENT_FORWARD_BACKWARD;
    XENT_TRY(require(fn, grad, "grad", rows > 0 && writes_grad));
    xent::DistArgs A = dist_args(logits, rows);
    A.grad = writes_grad ? grad : nullptr;
    A.upstream = writes_grad ? upstream : nullptr;
    A.out = out;
    return launch(fn, writes_grad ? xent::ENT_FUSED : xent::ENT_FWD, logits->dtype, A, stream);
}

int32_t run_js(int32_t pass, const xent_tensor* p_logits, const xent_tensor* q_logits, const float* upstream,
               float* out, void* grad_p, void* grad_q, void* stream) {
    const char* fn = "xent_js";
    int64_t rows = 0, q_rows = 0;
    XENT_TRY(check_pass(fn, pass, false));
    XENT_TRY(check_tensor(fn, "p_logits", p_logits, &rows));
    XENT_TRY(check_tensor(fn, "q_logits", q_logits, &q_rows));
    XENT_TRY(check_same_tensor_shape(fn, "p_logits", p_logits, "q_logits", q_logits));
    XENT_TRY(require(fn, out, "out", rows > 0));
    const bool writes_grad = pass == XENT_FORWARD_BACKWARD;
    if (writes_grad && rows > 0 && grad_p == nullptr && grad_q == nullptr)
        return invalid(fn, "grad_p and grad_q are both null for XENT_FORWARD_BACKWARD (at least one is needed)");
    xent::DistArgs A = dist_args(p_logits, rows);
    A.student = q_logits->data;
    A.grad = writes_grad ? grad_p : nullptr;
    A.grad_q = writes_grad ? grad_q : nullptr;
    A.upstream = writes_grad ? upstream : nullptr;
    A.out = out;
    return launch(fn, writes_grad ? xent::JS_FUSED : xent::JS_FWD, p_logits->dtype, A, stream);
}

}  // namespace

extern "C" {

XENT_API int64_t xent_distill_workspace_floats(int64_t rows) { return xent::dist_workspace_floats(rows); }

XENT_API int32_t xent_distill(int32_t pass, const xent_tensor* teacher, const xent_tensor* student,
                              const xent_targets* targets, const xent_distill_options* options,
                              const float* upstream, const xent_distill_outputs* outputs, void* stream) {
    return guarded("xent_distill", [&]() -> int32_t {
        return run_distill(pass, teacher, student, targets, options, upstream, outputs, stream);
    });
}

XENT_API int32_t xent_entropy(int32_t pass, const xent_tensor* logits, const float* upstream, float* out, void* grad,
                              void* stream) {
    return guarded("xent_entropy", [&]() -> int32_t { return run_entropy(pass, logits, upstream, out, grad, stream); });
}

XENT_API int32_t xent_js(int32_t pass, const xent_tensor* p_logits, const xent_tensor* q_logits, const float* upstream,
                         float* out, void* grad_p, void* grad_q, void* stream) {
    return guarded("xent_js", [&]() -> int32_t {
        return run_js(pass, p_logits, q_logits, upstream, out, grad_p, grad_q, stream);
    });
}

}  // extern "C"
