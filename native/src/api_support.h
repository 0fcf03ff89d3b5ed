// api_support.h: what every translation unit of the C ABI shares: the per-thread error message,
// argument checks that name the function and the value, the CUDA error mapping, and `guarded`,
// which turns any exception into a status so nothing ever escapes into the caller.
#pragma once

#include "xent.h"
#include "common.cuh"

#include <exception>
#include <new>
#include <string>

namespace xent_api {

// The message xent_last_error() returns, one per thread (one instance across the library's
// translation units: an inline function's static).
inline std::string& last_error() {
    thread_local std::string message;
    return message;
}

inline int32_t fail(int32_t status, const std::string& message) {
    last_error() = message;
    return status;
}

inline int32_t invalid(const char* fn, const std::string& what) {
    return fail(XENT_ERROR_INVALID_ARGUMENT, std::string(fn) + ": " + what);
}

inline int32_t from_cuda(const char* fn, cudaError_t e) {
    if (e == cudaSuccess) return XENT_OK;
    int32_t status = XENT_ERROR_CUDA;
    if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver) status = XENT_ERROR_NO_DEVICE;
    else if (e == cudaErrorMemoryAllocation) status = XENT_ERROR_OUT_OF_MEMORY;
    const char* msg = cudaGetErrorString(e);
    return fail(status, std::string(fn) + ": " + (msg ? msg : "CUDA error") + " (cudaError " +
                            std::to_string((int)e) + ")");
}

template <class F>
inline int32_t guarded(const char* fn, F&& body) {
    try {
        return body();
    } catch (const std::bad_alloc&) {
        return fail(XENT_ERROR_OUT_OF_MEMORY, std::string(fn) + ": out of host memory");
    } catch (const std::exception& ex) {
        return fail(XENT_ERROR_CUDA, std::string(fn) + ": internal error: " + ex.what());
    } catch (...) {
        return fail(XENT_ERROR_CUDA, std::string(fn) + ": internal error");
    }
}

#define XENT_TRY(expr)                   \
    do {                                 \
        int32_t xent_st_ = (expr);       \
        if (xent_st_ != XENT_OK) return xent_st_; \
    } while (0)

inline std::string num(int64_t v) { return std::to_string((long long)v); }

inline cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }

inline constexpr int64_t I64_MAX = 0x7fffffffffffffffLL;

// Checks a tensor (`name` as the caller knows it, e.g. "logits"): not null, a known dtype, a layout
// whose extent fits int64. On success *rows = outer * inner; with row_limit (the per-row families,
// which launch a grid over rows) rows must also stay below 2^31.
inline int32_t check_tensor(const char* fn, const char* name, const xent_tensor* t, int64_t* rows,
                            bool row_limit = true) {
    const std::string n(name);
    if (t == nullptr) return invalid(fn, n + " is null");
    if (t->dtype != XENT_F32 && t->dtype != XENT_BF16 && t->dtype != XENT_F16)
        return invalid(fn, n + ".dtype: unknown value " + num(t->dtype));
    const int64_t outer = t->outer, classes = t->classes, inner = t->inner, outer_stride = t->outer_stride;
    if (outer < 0) return invalid(fn, n + ".outer must be >= 0 (got " + num(outer) + ")");
    if (classes < 1) return invalid(fn, n + ".classes must be >= 1 (got " + num(classes) + ")");
    if (inner < 0) return invalid(fn, n + ".inner must be >= 0 (got " + num(inner) + ")");
    if (inner > 0 && classes > I64_MAX / inner)
        return invalid(fn, n + ": classes * inner overflows int64 (classes " + num(classes) + ", inner " + num(inner) + ")");
    if (inner > 0 && outer > I64_MAX / inner)
        return invalid(fn, n + ": outer * inner overflows int64 (outer " + num(outer) + ", inner " + num(inner) + ")");
    const int64_t row_span = classes * inner;
    if (outer_stride < row_span)
        return invalid(fn, n + ".outer_stride (" + num(outer_stride) + ") < classes * inner (" + num(row_span) + ")");
    if (outer > 1 && outer_stride > 0 && outer - 1 > (I64_MAX - row_span) / outer_stride)
        return invalid(fn, n + ": the tensor's extent overflows int64 (outer " + num(outer) + ", outer_stride " +
                               num(outer_stride) + ")");
    *rows = outer * inner;
    if (row_limit && *rows > 2147483647LL) return invalid(fn, n + ": more than 2^31 - 1 rows (" + num(*rows) + ")");
    if (*rows > 0 && t->data == nullptr) return invalid(fn, n + ".data is null");
    return XENT_OK;
}

// Two tensors read together (teacher and student, p and q) must agree in dtype and layout.
inline int32_t check_same_tensor_shape(const char* fn, const char* a_name, const xent_tensor* a, const char* b_name,
                                       const xent_tensor* b) {
    if (a->dtype != b->dtype || a->outer != b->outer || a->classes != b->classes || a->inner != b->inner ||
        a->outer_stride != b->outer_stride)
        return invalid(fn, std::string(b_name) + " must have the dtype and layout of " + a_name);
    return XENT_OK;
}

// `pass` is a known xent_pass, and one this family has (BACKWARD needs something a forward saved).
inline int32_t check_pass(const char* fn, int32_t pass, bool has_backward) {
    if (pass != XENT_FORWARD && pass != XENT_BACKWARD && pass != XENT_FORWARD_BACKWARD)
        return invalid(fn, "pass: unknown value " + num(pass));
    if (pass == XENT_BACKWARD && !has_backward)
        return invalid(fn, "pass: XENT_BACKWARD does not exist for this family (nothing is saved to start from); "
                           "use XENT_FORWARD_BACKWARD");
    return XENT_OK;
}

inline int32_t check_reduction(const char* fn, int32_t reduction) {
    if (reduction != XENT_REDUCTION_NONE && reduction != XENT_REDUCTION_SUM && reduction != XENT_REDUCTION_MEAN)
        return invalid(fn, "options.reduction: unknown value " + num(reduction));
    return XENT_OK;
}

inline int32_t check_target_kind(const char* fn, int32_t kind) {
    if (kind != XENT_TARGET_CLASSES && kind != XENT_TARGET_PROBABILITIES)
        return invalid(fn, "targets.kind: unknown value " + num(kind));
    return XENT_OK;
}

// Class-index targets of `rows` rows: on success *lab64 says whether they are int64.
inline int32_t check_class_targets(const char* fn, const xent_targets* t, int64_t rows, int* lab64) {
    if (t == nullptr) return invalid(fn, "targets is null");
    XENT_TRY(check_target_kind(fn, t->kind));
    if (t->kind != XENT_TARGET_CLASSES)
        return invalid(fn, "targets.kind: this family takes class indices (XENT_TARGET_CLASSES)");
    if (t->index_type != XENT_I32 && t->index_type != XENT_I64)
        return invalid(fn, "targets.index_type: unknown value " + num(t->index_type));
    if (rows > 0 && t->data == nullptr) return invalid(fn, "targets.data is null");
    *lab64 = t->index_type == XENT_I64 ? 1 : 0;
    return XENT_OK;
}

// A pointer the call needs (only when there is work: a call over 0 rows may pass NULL).
inline int32_t require(const char* fn, const void* p, const char* name, bool needed = true) {
    if (needed && p == nullptr) return invalid(fn, std::string(name) + " is null");
    return XENT_OK;
}

// Calls f(DtypeTag<T>{}) with T the storage type of an already checked xent_dtype.
template <class T>
struct DtypeTag {
    using type = T;
};
template <class F>
inline cudaError_t by_dtype(int32_t dtype, F&& f) {
    switch (dtype) {
        case XENT_F32: return f(DtypeTag<float>{});
        case XENT_BF16: return f(DtypeTag<xent::bf16>{});
        default: return f(DtypeTag<xent::f16>{});
    }
}

}  // namespace xent_api
