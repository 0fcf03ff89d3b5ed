// xent_elementwise_api.cu: the C ABI of the element-wise losses (xent.h, "element-wise losses")
// over cuda/elementwise.cuh. Same conventions as xent_api.cu: the entry point checks its
// arguments, catches everything and only enqueues work on the caller's stream.
#include "api_support.h"
#include "elementwise.cuh"

namespace {

using namespace xent_api;

int32_t check_broadcast(const char* fn, const char* field, int32_t mode, bool per_last_ok, bool per_row_ok) {
    const bool ok = mode == XENT_PER_ELEMENT || (mode == XENT_PER_LAST && per_last_ok) ||
                    (mode == XENT_PER_ROW && per_row_ok) || (mode == XENT_SCALAR && per_row_ok);
    if (!ok) return invalid(fn, std::string(field) + ": value " + num(mode) + " does not apply here");
    return XENT_OK;
}

template <int OP>
cudaError_t launch_ew_op(int32_t dtype, const xent::EwArgs& A, cudaStream_t st) {
    return by_dtype(dtype, [&](auto tag) { return xent::launch_ew<typename decltype(tag)::type, OP>(A, st); });
}

int32_t run_ew(int32_t pass, const xent_tensor* input, const void* target, const xent_elementwise_options* o,
               const float* upstream, const xent_elementwise_outputs* out, void* stream) {
    const char* fn = "xent_elementwise";
    int64_t rows = 0;
    XENT_TRY(check_pass(fn, pass, false));
    XENT_TRY(check_tensor(fn, "input", input, &rows, false));
    if (input->inner != 1 || input->outer_stride != input->classes)
        return invalid(fn, "input: the element-wise losses take a dense tensor (inner 1, outer_stride = classes; got "
                           "inner " + num(input->inner) + ", outer_stride " + num(input->outer_stride) + ")");
    XENT_TRY(require(fn, o, "options"));
    XENT_TRY(require(fn, out, "outputs"));
    const int32_t op = o->op;
    if (op != XENT_BCE_WITH_LOGITS && op != XENT_GAUSSIAN_NLL && op != XENT_LAPLACE_NLL && op != XENT_POISSON_NLL)
        return invalid(fn, "options.op: unknown value " + num(op));
    const bool has_scale = op == XENT_GAUSSIAN_NLL || op == XENT_LAPLACE_NLL;
    const int64_t count = rows * input->classes;
    XENT_TRY(check_reduction(fn, o->reduction));
    if (op == XENT_BCE_WITH_LOGITS && o->weight != nullptr)
        XENT_TRY(check_broadcast(fn, "options.weight_broadcast", o->weight_broadcast, true, false));
    if (has_scale) {
        XENT_TRY(check_broadcast(fn, "options.scale_broadcast", o->scale_broadcast, false, true));
        if (!(o->eps > 0.0f && o->eps < 3.4e38f))
            return invalid(fn, "options.eps must be positive and finite (got " + std::to_string(o->eps) + ")");
    }
    if (op == XENT_POISSON_NLL && !(o->eps >= 0.0f && o->eps < 3.4e38f))
        return invalid(fn, "options.eps must be >= 0 and finite (got " + std::to_string(o->eps) + ")");
    XENT_TRY(require(fn, out->workspace, "outputs.workspace"));
    const bool writes_grad = pass == XENT_FORWARD_BACKWARD;
    if (out->scale_grad != nullptr && !writes_grad)
        return invalid(fn, "outputs.scale_grad needs pass XENT_FORWARD_BACKWARD");
    if (out->scale_grad != nullptr && !has_scale)
        return invalid(fn, "outputs.scale_grad needs a Gaussian or Laplace loss (the gradient w.r.t. options.scale)");
    XENT_TRY(require(fn, target, "target", count > 0));
    XENT_TRY(require(fn, out->grad, "outputs.grad", count > 0 && writes_grad));
    XENT_TRY(require(fn, o->scale, "options.scale", count > 0 && has_scale));
    xent::EwArgs A{};
    A.input = input->data;
    A.target = target;
    A.grad = writes_grad ? out->grad : nullptr;  // the launcher picks the fused kernel by it
    A.weight = op == XENT_BCE_WITH_LOGITS ? o->weight : nullptr;
    A.weight_broadcast = o->weight_broadcast;
    A.pos_weight = op == XENT_BCE_WITH_LOGITS ? o->pos_weight : nullptr;
    A.scale = has_scale ? o->scale : nullptr;
    A.scale_broadcast = o->scale_broadcast;
    A.scale_grad = out->scale_grad;
    A.count = count;
    A.classes = input->classes;
    A.reduction = o->reduction;
    A.upstream = writes_grad ? upstream : nullptr;
    A.loss = out->loss;
    A.workspace = out->workspace;
    A.error_info = out->error_info;
    A.full = o->full ? 1 : 0;
    A.log_input = o->log_input ? 1 : 0;
    A.eps = o->eps;
    const cudaStream_t st = as_stream(stream);
    switch (op) {
        case XENT_BCE_WITH_LOGITS: return from_cuda(fn, launch_ew_op<xent::EW_BCE>(input->dtype, A, st));
        case XENT_GAUSSIAN_NLL: return from_cuda(fn, launch_ew_op<xent::EW_GAUSSIAN>(input->dtype, A, st));
        case XENT_LAPLACE_NLL: return from_cuda(fn, launch_ew_op<xent::EW_LAPLACE>(input->dtype, A, st));
        default: return from_cuda(fn, launch_ew_op<xent::EW_POISSON>(input->dtype, A, st));
    }
}

}  // namespace

extern "C" {

XENT_API int64_t xent_elementwise_workspace_floats(int64_t count) { return xent::ew_workspace_floats(count); }

XENT_API int32_t xent_elementwise(int32_t pass, const xent_tensor* input, const void* target,
                                  const xent_elementwise_options* options, const float* upstream,
                                  const xent_elementwise_outputs* outputs, void* stream) {
    return guarded("xent_elementwise", [&]() -> int32_t {
        return run_ew(pass, input, target, options, upstream, outputs, stream);
    });
}

}  // extern "C"
