// xent_elementwise_api.cu: the C ABI of the element-wise losses (xent.h, "element-wise losses")
// over cuda/elementwise.cuh. Same conventions as xent_api.cu: every entry point checks its
// arguments, catches everything and only enqueues work on the caller's stream.
#include "api_support.h"
#include "elementwise.cuh"

namespace {

using namespace xent_api;

// What differs between the four entry points; the rest of the call is EwArgs.
struct EwCall {
    const char* fn;
    int op;
    int32_t dtype;
    const char* aux_name;  // "pos_weight", "var", "scale" or null
    xent::EwArgs A;
};

int32_t check_broadcast(const char* fn, const char* what, int32_t mode, bool per_last_ok, bool per_row_ok) {
    const bool ok = mode == XENT_PER_ELEMENT || (mode == XENT_PER_LAST && per_last_ok) ||
                    (mode == XENT_PER_ROW && per_row_ok) || (mode == XENT_SCALAR && per_row_ok);
    if (!ok) return invalid(fn, std::string(what) + "_broadcast: value " + num(mode) + " does not apply here");
    return XENT_OK;
}

template <int OP>
cudaError_t ew_dispatch(int32_t dtype, const xent::EwArgs& A, cudaStream_t st) {
    switch (dtype) {
        case XENT_F32: return xent::launch_ew<float, OP>(A, st);
        case XENT_BF16: return xent::launch_ew<xent::bf16, OP>(A, st);
        default: return xent::launch_ew<xent::f16, OP>(A, st);
    }
}

int32_t run_ew(const EwCall& c, void* stream) {
    const char* fn = c.fn;
    const xent::EwArgs& A = c.A;
    XENT_TRY(check_dtype(fn, c.dtype));
    if (A.n < 0) return invalid(fn, "count must be >= 0 (got " + num(A.n) + ")");
    if (A.last < 1) return invalid(fn, "last_dim must be >= 1 (got " + num(A.last) + ")");
    if (A.n % A.last != 0)
        return invalid(fn, "count (" + num(A.n) + ") is not a multiple of last_dim (" + num(A.last) + ")");
    if (A.reduction != XENT_REDUCTION_NONE && A.reduction != XENT_REDUCTION_SUM && A.reduction != XENT_REDUCTION_MEAN)
        return invalid(fn, "reduction: unknown value " + num(A.reduction));
    if ((c.op == xent::EW_GAUSSIAN || c.op == xent::EW_LAPLACE) && !(A.eps > 0.0f && A.eps < 3.4e38f))
        return invalid(fn, "eps must be positive and finite (got " + std::to_string(A.eps) + ")");
    if (c.op == xent::EW_POISSON && !(A.eps >= 0.0f && A.eps < 3.4e38f))
        return invalid(fn, "eps must be >= 0 and finite (got " + std::to_string(A.eps) + ")");
    if (A.ws == nullptr) return invalid(fn, "workspace is null");
    if (A.aux_grad != nullptr && A.g == nullptr)
        return invalid(fn, std::string(c.aux_name) + "_grad needs grad (the fused call)");
    if (A.aux_grad != nullptr && A.aux_mode != xent::EW_PER_ELEMENT)
        return invalid(fn, std::string(c.aux_name) + "_grad needs a per-element " + c.aux_name);
    if (A.n > 0) {
        if (A.x == nullptr) return invalid(fn, "input is null");
        if (A.t == nullptr) return invalid(fn, "target is null");
        if (c.op == xent::EW_GAUSSIAN || c.op == xent::EW_LAPLACE) {
            if (A.aux == nullptr) return invalid(fn, std::string(c.aux_name) + " is null");
        }
    }
    return from_cuda(fn, [&] {
        switch (c.op) {
            case xent::EW_BCE: return ew_dispatch<xent::EW_BCE>(c.dtype, A, as_stream(stream));
            case xent::EW_GAUSSIAN: return ew_dispatch<xent::EW_GAUSSIAN>(c.dtype, A, as_stream(stream));
            case xent::EW_LAPLACE: return ew_dispatch<xent::EW_LAPLACE>(c.dtype, A, as_stream(stream));
            default: return ew_dispatch<xent::EW_POISSON>(c.dtype, A, as_stream(stream));
        }
    }());
}

xent::EwArgs common_args(const void* input, const void* target, void* grad, int64_t count, int64_t last_dim,
                         int32_t reduction, const float* upstream, float* loss, float* workspace,
                         int64_t* error_info) {
    xent::EwArgs A{};
    A.x = input;
    A.t = target;
    A.g = grad;
    A.n = count;
    A.last = last_dim;
    A.reduction = reduction;
    A.upstream = upstream;
    A.loss = loss;
    A.ws = workspace;
    A.err = error_info;
    A.weight_mode = xent::EW_PER_ELEMENT;
    A.aux_mode = xent::EW_PER_ELEMENT;
    return A;
}

// Gaussian and Laplace take the same arguments.
int32_t run_nll(const char* fn, int op, const char* aux_name, int32_t dtype, const void* input, const void* target,
                void* grad, int64_t count, int64_t last_dim, const float* aux, int32_t aux_broadcast,
                float* aux_grad, int32_t full, float eps, int32_t reduction, const float* upstream, float* loss,
                float* workspace, int64_t* error_info, void* stream) {
    XENT_TRY(check_broadcast(fn, aux_name, aux_broadcast, false, true));
    EwCall c{fn, op, dtype, aux_name,
             common_args(input, target, grad, count, last_dim, reduction, upstream, loss, workspace, error_info)};
    c.A.aux = aux;
    c.A.aux_mode = aux_broadcast;
    c.A.aux_grad = aux_grad;
    c.A.full = full ? 1 : 0;
    c.A.eps = eps;
    return run_ew(c, stream);
}

}  // namespace

extern "C" {

XENT_API int64_t xent_elementwise_workspace_floats(int64_t count) { return xent::ew_workspace_floats(count); }

XENT_API int32_t xent_bce_with_logits(int32_t dtype, const void* input, const void* target, void* grad,
                                      int64_t count, int64_t last_dim, const float* weight,
                                      int32_t weight_broadcast, const float* pos_weight, int32_t reduction,
                                      const float* upstream, float* loss, float* workspace, int64_t* error_info,
                                      void* stream) {
    return guarded("xent_bce_with_logits", [&]() -> int32_t {
        const char* fn = "xent_bce_with_logits";
        if (weight != nullptr) XENT_TRY(check_broadcast(fn, "weight", weight_broadcast, true, false));
        EwCall c{fn, xent::EW_BCE, dtype, "pos_weight",
                 common_args(input, target, grad, count, last_dim, reduction, upstream, loss, workspace, error_info)};
        c.A.weight = weight;
        c.A.weight_mode = weight_broadcast;
        c.A.aux = pos_weight;
        c.A.aux_mode = xent::EW_PER_LAST;
        return run_ew(c, stream);
    });
}

XENT_API int32_t xent_gaussian_nll(int32_t dtype, const void* input, const void* target, void* grad, int64_t count,
                                   int64_t last_dim, const float* var, int32_t var_broadcast, float* var_grad,
                                   int32_t full, float eps, int32_t reduction, const float* upstream, float* loss,
                                   float* workspace, int64_t* error_info, void* stream) {
    return guarded("xent_gaussian_nll", [&]() -> int32_t {
        return run_nll("xent_gaussian_nll", xent::EW_GAUSSIAN, "var", dtype, input, target, grad, count, last_dim,
                       var, var_broadcast, var_grad, full, eps, reduction, upstream, loss, workspace, error_info,
                       stream);
    });
}

XENT_API int32_t xent_laplace_nll(int32_t dtype, const void* input, const void* target, void* grad, int64_t count,
                                  int64_t last_dim, const float* scale, int32_t scale_broadcast, float* scale_grad,
                                  int32_t full, float eps, int32_t reduction, const float* upstream, float* loss,
                                  float* workspace, int64_t* error_info, void* stream) {
    return guarded("xent_laplace_nll", [&]() -> int32_t {
        return run_nll("xent_laplace_nll", xent::EW_LAPLACE, "scale", dtype, input, target, grad, count, last_dim,
                       scale, scale_broadcast, scale_grad, full, eps, reduction, upstream, loss, workspace,
                       error_info, stream);
    });
}

XENT_API int32_t xent_poisson_nll(int32_t dtype, const void* input, const void* target, void* grad, int64_t count,
                                  int32_t log_input, int32_t full, float eps, int32_t reduction,
                                  const float* upstream, float* loss, float* workspace, int64_t* error_info,
                                  void* stream) {
    return guarded("xent_poisson_nll", [&]() -> int32_t {
        EwCall c{"xent_poisson_nll", xent::EW_POISSON, dtype, nullptr,
                 common_args(input, target, grad, count, count > 0 ? count : 1, reduction, upstream, loss, workspace,
                             error_info)};
        c.A.log_input = log_input ? 1 : 0;
        c.A.full = full ? 1 : 0;
        c.A.eps = eps;
        return run_ew(c, stream);
    });
}

}  // extern "C"
