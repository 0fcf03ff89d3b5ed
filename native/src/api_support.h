// api_support.h: what every translation unit of the C ABI shares: the per-thread error message,
// argument checks that name the function and the value, the CUDA error mapping, and `guarded`,
// which turns any exception into a status so nothing ever escapes into the caller.
#pragma once

#include "xent.h"
#include "compat.cuh"

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

inline std::string num(int64_t v) { return std::to_string((long long)v); }

inline cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }

inline constexpr int64_t I64_MAX = 0x7fffffffffffffffLL;

// Checks a layout; on success *rows = outer * inner.
inline int32_t check_layout(const char* fn, int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
                     int64_t* rows) {
    if (outer < 0) return invalid(fn, "outer must be >= 0 (got " + num(outer) + ")");
    if (classes < 1) return invalid(fn, "classes must be >= 1 (got " + num(classes) + ")");
    if (inner < 0) return invalid(fn, "inner must be >= 0 (got " + num(inner) + ")");
    if (inner > 0 && classes > I64_MAX / inner)
        return invalid(fn, "classes * inner overflows int64 (classes " + num(classes) + ", inner " + num(inner) + ")");
    if (inner > 0 && outer > I64_MAX / inner)
        return invalid(fn, "outer * inner overflows int64 (outer " + num(outer) + ", inner " + num(inner) + ")");
    const int64_t row_span = classes * inner;
    if (outer_stride < row_span)
        return invalid(fn, "outer_stride (" + num(outer_stride) + ") < classes * inner (" + num(row_span) + ")");
    if (outer > 1 && outer_stride > 0 && outer - 1 > (I64_MAX - row_span) / outer_stride)
        return invalid(fn, "the tensor's extent overflows int64 (outer " + num(outer) + ", outer_stride " +
                               num(outer_stride) + ")");
    *rows = outer * inner;
    if (*rows > 2147483647LL) return invalid(fn, "more than 2^31 - 1 rows (" + num(*rows) + ")");
    return XENT_OK;
}

inline int32_t check_dtype(const char* fn, int32_t dtype) {
    if (dtype != XENT_F32 && dtype != XENT_BF16 && dtype != XENT_F16)
        return invalid(fn, "dtype: unknown value " + num(dtype));
    return XENT_OK;
}

#define XENT_TRY(expr)                   \
    do {                                 \
        int32_t xent_st_ = (expr);       \
        if (xent_st_ != XENT_OK) return xent_st_; \
    } while (0)

}  // namespace xent_api
