// xent_api.cu: the C ABI of native/include/xent.h over the kernels in cuda/.
//
// Compiled twice: by nvcc into libxent_cuda.so, and by the host C++ compiler (through
// cuda/compat.cuh -> the emulator) into libxent_emu.so (XENT_EMULATOR defined). Every entry point
// checks its arguments, catches everything, maps errors to an xent_status and keeps a message
// per thread for xent_last_error(). Compute calls only enqueue work on the caller's stream.
#include <cmath>
#include "api_support.h"
#include "cross_entropy.cuh"
#include "softmax.cuh"

// One instantiation per storage type.
template cudaError_t xent::launch_ce<float>(int, xent::CeArgs, cudaStream_t);
template cudaError_t xent::launch_ce<xent::bf16>(int, xent::CeArgs, cudaStream_t);
template cudaError_t xent::launch_ce<xent::f16>(int, xent::CeArgs, cudaStream_t);

namespace {

using namespace xent_api;

struct CeCall {
    const char* fn;
    int op;
    int32_t dtype;
    const void* logits;
    void* grad;
    int64_t outer, classes, inner, outer_stride;
    int32_t label_type;
    const void* labels;
    const void* targets;
    const float* weight;
    int64_t ignore_index;
    float label_smoothing;
    float logit_scale;
    float softcap;
    float z_loss;
    int32_t reduction;
    const float* upstream;
    const float* lse_in;
    float* row_loss;
    float* row_z_loss;
    float* lse_out;
    float* workspace;
    int64_t* error_info;
    void* stream;
};

int32_t run_ce(const CeCall& c) {
    const char* fn = c.fn;
    const bool soft = c.op == xent::SOFT_FWD || c.op == xent::SOFT_FUSED || c.op == xent::SOFT_BWD;
    const bool writes_grad = c.op == xent::CE_FUSED || c.op == xent::CE_BWD || c.op == xent::SOFT_FUSED ||
                             c.op == xent::SOFT_BWD;
    const bool from_lse = c.op == xent::CE_BWD || c.op == xent::SOFT_BWD;
    int64_t rows = 0;
    XENT_TRY(check_dtype(fn, c.dtype));
    XENT_TRY(check_layout(fn, c.outer, c.classes, c.inner, c.outer_stride, &rows));
    if (!soft && c.label_type != XENT_I32 && c.label_type != XENT_I64)
        return invalid(fn, "label_type: unknown value " + num(c.label_type));
    if (c.reduction != XENT_REDUCTION_NONE && c.reduction != XENT_REDUCTION_SUM &&
        c.reduction != XENT_REDUCTION_MEAN)
        return invalid(fn, "reduction: unknown value " + num(c.reduction));
    if (!(c.label_smoothing >= 0.0f && c.label_smoothing <= 1.0f))
        return invalid(fn, "label_smoothing must be in [0, 1] (got " + std::to_string(c.label_smoothing) + ")");
    if (!(c.logit_scale > 0.0f && std::isfinite(c.logit_scale)))
        return invalid(fn, "logit_scale must be finite and > 0 (got " + std::to_string(c.logit_scale) + ")");
    if (!(c.softcap >= 0.0f && std::isfinite(c.softcap)))
        return invalid(fn, "softcap must be finite and > 0, or 0 for none (got " + std::to_string(c.softcap) + ")");
    if (!(c.z_loss >= 0.0f && std::isfinite(c.z_loss)))
        return invalid(fn, "z_loss must be finite and >= 0 (got " + std::to_string(c.z_loss) + ")");
    if (c.workspace == nullptr) return invalid(fn, "workspace is null");
    if (rows > 0) {
        if (c.logits == nullptr) return invalid(fn, "logits is null");
        if (!soft && c.labels == nullptr) return invalid(fn, "labels is null");
        if (soft && c.targets == nullptr) return invalid(fn, "targets is null");
        if (writes_grad && c.grad == nullptr) return invalid(fn, "grad is null");
        if (from_lse && c.lse_in == nullptr) return invalid(fn, "lse is null");
    }
    xent::CeArgs A;
    A.x = c.logits;
    A.g = c.grad;
    A.tgt = c.targets;
    A.labels = c.labels;
    A.lab64 = c.label_type == XENT_I64 ? 1 : 0;
    A.reduction = c.reduction;
    A.weight = c.weight;
    A.C = c.classes;
    A.inner = c.inner;
    A.ostride = c.outer_stride;
    A.rows = rows;
    A.ignore_index = c.ignore_index;
    A.eps = c.label_smoothing;
    A.smooth = c.label_smoothing > 0.0f ? 1 : 0;
    A.upstream = c.upstream;
    A.lse_in = c.lse_in;
    A.row_loss = c.row_loss ? c.row_loss : c.workspace + xent::WS_ROWS;
    A.lse_out = c.lse_out;
    A.scale = c.logit_scale;
    A.cap = c.softcap;
    A.zl = c.z_loss;
    A.row_z = c.row_z_loss;
    A.ws = c.workspace;
    A.err = c.error_info;
    A.chunk_len = c.classes;
    A.chunks = 1;
    cudaError_t e;
    switch (c.dtype) {
        case XENT_F32: e = xent::launch_ce<float>(c.op, A, as_stream(c.stream)); break;
        case XENT_BF16: e = xent::launch_ce<xent::bf16>(c.op, A, as_stream(c.stream)); break;
        default: e = xent::launch_ce<xent::f16>(c.op, A, as_stream(c.stream)); break;
    }
    return from_cuda(fn, e);
}

template <int OP>
cudaError_t softmax_dispatch(int32_t dtype, const xent::SmArgs& A, cudaStream_t st) {
    switch (dtype) {
        case XENT_F32: return xent::launch_softmax<float, OP>(A, st);
        case XENT_BF16: return xent::launch_softmax<xent::bf16, OP>(A, st);
        default: return xent::launch_softmax<xent::f16, OP>(A, st);
    }
}

template <int OP>
int32_t run_softmax(const char* fn, int32_t dtype, const void* in, void* out, float* lse, int64_t outer,
                    int64_t classes, int64_t inner, int64_t outer_stride, void* stream) {
    int64_t rows = 0;
    XENT_TRY(check_dtype(fn, dtype));
    XENT_TRY(check_layout(fn, outer, classes, inner, outer_stride, &rows));
    if (rows > 0) {
        if (in == nullptr) return invalid(fn, "in is null");
        if (OP != xent::SM_LSE && out == nullptr) return invalid(fn, "out is null");
        if (OP == xent::SM_LSE && lse == nullptr) return invalid(fn, "out is null");
    }
    xent::SmArgs A;
    A.x = in;
    A.out = out;
    A.lse = lse;
    A.C = classes;
    A.inner = inner;
    A.ostride = outer_stride;
    A.rows = rows;
    return from_cuda(fn, softmax_dispatch<OP>(dtype, A, as_stream(stream)));
}

}  // namespace

extern "C" {

// ---- library ---------------------------------------------------------------------------------

XENT_API int32_t xent_abi_version(void) { return XENT_ABI_VERSION; }

XENT_API const char* xent_last_error(void) { return xent_api::last_error().c_str(); }

XENT_API int32_t xent_is_emulator(void) {
#if defined(XENT_EMULATOR)
    return 1;
#else
    return 0;
#endif
}

// ---- devices and memory --------------------------------------------------------------------

XENT_API int32_t xent_device_count(int32_t* count) {
    return guarded("xent_device_count", [&]() -> int32_t {
        if (count == nullptr) return invalid("xent_device_count", "count is null");
        *count = 0;
        int n = 0;
        cudaError_t e = cudaGetDeviceCount(&n);
        if (e != cudaSuccess) {
            cudaGetLastError();  // clear it: "no device" is an answer, not a sticky failure
            return from_cuda("xent_device_count", e);
        }
        *count = n;
        return XENT_OK;
    });
}

XENT_API int32_t xent_device_name(int32_t device, char* name, int64_t capacity) {
    return guarded("xent_device_name", [&]() -> int32_t {
        if (name == nullptr) return invalid("xent_device_name", "name is null");
        if (capacity < 1) return invalid("xent_device_name", "capacity must be >= 1 (got " + num(capacity) + ")");
        name[0] = '\0';
        if (device < 0) return invalid("xent_device_name", "device must be >= 0 (got " + num(device) + ")");
        cudaDeviceProp prop;
        cudaError_t e = cudaGetDeviceProperties(&prop, device);
        if (e != cudaSuccess) return from_cuda("xent_device_name", e);
        int64_t n = 0;
        const int64_t limit = (int64_t)sizeof(prop.name);
        while (n < limit && prop.name[n] != '\0' && n < capacity - 1) {
            name[n] = prop.name[n];
            ++n;
        }
        name[n] = '\0';
        return XENT_OK;
    });
}

XENT_API int32_t xent_set_device(int32_t device) {
    return guarded("xent_set_device", [&]() -> int32_t {
        if (device < 0) return invalid("xent_set_device", "device must be >= 0 (got " + num(device) + ")");
        return from_cuda("xent_set_device", cudaSetDevice(device));
    });
}

XENT_API int32_t xent_malloc(void** ptr, int64_t bytes) {
    return guarded("xent_malloc", [&]() -> int32_t {
        if (ptr == nullptr) return invalid("xent_malloc", "ptr is null");
        *ptr = nullptr;
        if (bytes < 0) return invalid("xent_malloc", "bytes must be >= 0 (got " + num(bytes) + ")");
        if (bytes == 0) return XENT_OK;
        void* p = nullptr;
        cudaError_t e = cudaMalloc(&p, (size_t)bytes);
        if (e != cudaSuccess) {
            cudaGetLastError();
            return from_cuda("xent_malloc", e);
        }
        *ptr = p;
        return XENT_OK;
    });
}

XENT_API int32_t xent_free(void* ptr) {
    return guarded("xent_free", [&]() -> int32_t {
        if (ptr == nullptr) return XENT_OK;
        return from_cuda("xent_free", cudaFree(ptr));
    });
}

XENT_API int32_t xent_copy_to_device(void* device_dst, const void* host_src, int64_t bytes, void* stream) {
    return guarded("xent_copy_to_device", [&]() -> int32_t {
        const char* fn = "xent_copy_to_device";
        if (bytes < 0) return invalid(fn, "bytes must be >= 0 (got " + num(bytes) + ")");
        if (bytes == 0) return XENT_OK;
        if (device_dst == nullptr) return invalid(fn, "device_dst is null");
        if (host_src == nullptr) return invalid(fn, "host_src is null");
        cudaStream_t s = as_stream(stream);
        XENT_TRY(from_cuda(fn, cudaMemcpyAsync(device_dst, host_src, (size_t)bytes, cudaMemcpyHostToDevice, s)));
        return from_cuda(fn, cudaStreamSynchronize(s));
    });
}

XENT_API int32_t xent_copy_to_host(void* host_dst, const void* device_src, int64_t bytes, void* stream) {
    return guarded("xent_copy_to_host", [&]() -> int32_t {
        const char* fn = "xent_copy_to_host";
        if (bytes < 0) return invalid(fn, "bytes must be >= 0 (got " + num(bytes) + ")");
        if (bytes == 0) return XENT_OK;
        if (host_dst == nullptr) return invalid(fn, "host_dst is null");
        if (device_src == nullptr) return invalid(fn, "device_src is null");
        cudaStream_t s = as_stream(stream);
        XENT_TRY(from_cuda(fn, cudaMemcpyAsync(host_dst, device_src, (size_t)bytes, cudaMemcpyDeviceToHost, s)));
        return from_cuda(fn, cudaStreamSynchronize(s));
    });
}

XENT_API int32_t xent_memset(void* device_ptr, int32_t value, int64_t bytes, void* stream) {
    return guarded("xent_memset", [&]() -> int32_t {
        const char* fn = "xent_memset";
        if (bytes < 0) return invalid(fn, "bytes must be >= 0 (got " + num(bytes) + ")");
        if (bytes == 0) return XENT_OK;
        if (device_ptr == nullptr) return invalid(fn, "device_ptr is null");
        return from_cuda(fn, cudaMemsetAsync(device_ptr, value, (size_t)bytes, as_stream(stream)));
    });
}

XENT_API int32_t xent_stream_synchronize(void* stream) {
    return guarded("xent_stream_synchronize", [&]() -> int32_t {
        return from_cuda("xent_stream_synchronize", cudaStreamSynchronize(as_stream(stream)));
    });
}

XENT_API int64_t xent_workspace_floats(int64_t rows, int64_t classes) {
    return xent::ce_workspace_floats(rows, classes);
}

// ---- cross-entropy with class-index targets --------------------------------------------------

XENT_API int32_t xent_ce_forward(int32_t dtype, const void* logits, int64_t outer, int64_t classes, int64_t inner,
                                 int64_t outer_stride, int32_t label_type, const void* labels, const float* weight,
                                 int64_t ignore_index, float label_smoothing, float logit_scale, float softcap,
                                 float z_loss, int32_t reduction, float* row_loss, float* row_z_loss, float* lse,
                                 float* workspace, int64_t* error_info, void* stream) {
    return guarded("xent_ce_forward", [&]() -> int32_t {
        CeCall c{"xent_ce_forward", xent::CE_FWD, dtype, logits, nullptr, outer, classes, inner, outer_stride,
                 label_type, labels, nullptr, weight, ignore_index, label_smoothing, logit_scale, softcap, z_loss,
                 reduction, nullptr, nullptr, row_loss, row_z_loss, lse, workspace, error_info, stream};
        return run_ce(c);
    });
}

XENT_API int32_t xent_ce_backward(int32_t dtype, const void* logits, void* grad, int64_t outer, int64_t classes,
                                  int64_t inner, int64_t outer_stride, int32_t label_type, const void* labels,
                                  const float* weight, int64_t ignore_index, float label_smoothing, float logit_scale,
                                  float softcap, float z_loss, int32_t reduction, const float* upstream,
                                  const float* lse, float* workspace, int64_t* error_info, void* stream) {
    return guarded("xent_ce_backward", [&]() -> int32_t {
        CeCall c{"xent_ce_backward", xent::CE_BWD, dtype, logits, grad, outer, classes, inner, outer_stride,
                 label_type, labels, nullptr, weight, ignore_index, label_smoothing, logit_scale, softcap, z_loss,
                 reduction, upstream, lse, nullptr, nullptr, nullptr, workspace, error_info, stream};
        return run_ce(c);
    });
}

XENT_API int32_t xent_ce_forward_backward(int32_t dtype, const void* logits, void* grad, int64_t outer,
                                          int64_t classes, int64_t inner, int64_t outer_stride, int32_t label_type,
                                          const void* labels, const float* weight, int64_t ignore_index,
                                          float label_smoothing, float logit_scale, float softcap, float z_loss,
                                          int32_t reduction, const float* upstream, float* row_loss,
                                          float* row_z_loss, float* lse, float* workspace, int64_t* error_info,
                                          void* stream) {
    return guarded("xent_ce_forward_backward", [&]() -> int32_t {
        CeCall c{"xent_ce_forward_backward", xent::CE_FUSED, dtype, logits, grad, outer, classes, inner,
                 outer_stride, label_type, labels, nullptr, weight, ignore_index, label_smoothing, logit_scale,
                 softcap, z_loss, reduction, upstream, nullptr, row_loss, row_z_loss, lse, workspace, error_info,
                 stream};
        return run_ce(c);
    });
}

// ---- cross-entropy with probability targets --------------------------------------------------

XENT_API int32_t xent_ce_soft_forward(int32_t dtype, const void* logits, int64_t outer, int64_t classes,
                                      int64_t inner, int64_t outer_stride, const void* targets, const float* weight,
                                      float label_smoothing, float logit_scale, float softcap, float z_loss,
                                      int32_t reduction, float* row_loss, float* row_z_loss, float* lse,
                                      float* workspace, void* stream) {
    return guarded("xent_ce_soft_forward", [&]() -> int32_t {
        CeCall c{"xent_ce_soft_forward", xent::SOFT_FWD, dtype, logits, nullptr, outer, classes, inner, outer_stride,
                 XENT_I32, nullptr, targets, weight, 0, label_smoothing, logit_scale, softcap, z_loss, reduction,
                 nullptr, nullptr, row_loss, row_z_loss, lse, workspace, nullptr, stream};
        return run_ce(c);
    });
}

XENT_API int32_t xent_ce_soft_backward(int32_t dtype, const void* logits, void* grad, int64_t outer,
                                       int64_t classes, int64_t inner, int64_t outer_stride, const void* targets,
                                       const float* weight, float label_smoothing, float logit_scale, float softcap,
                                       float z_loss, int32_t reduction, const float* upstream, const float* lse,
                                       float* workspace, void* stream) {
    return guarded("xent_ce_soft_backward", [&]() -> int32_t {
        CeCall c{"xent_ce_soft_backward", xent::SOFT_BWD, dtype, logits, grad, outer, classes, inner, outer_stride,
                 XENT_I32, nullptr, targets, weight, 0, label_smoothing, logit_scale, softcap, z_loss, reduction,
                 upstream, lse, nullptr, nullptr, nullptr, workspace, nullptr, stream};
        return run_ce(c);
    });
}

XENT_API int32_t xent_ce_soft_forward_backward(int32_t dtype, const void* logits, void* grad, int64_t outer,
                                               int64_t classes, int64_t inner, int64_t outer_stride,
                                               const void* targets, const float* weight, float label_smoothing,
                                               float logit_scale, float softcap, float z_loss, int32_t reduction,
                                               const float* upstream, float* row_loss, float* row_z_loss,
                                               float* lse, float* workspace, void* stream) {
    return guarded("xent_ce_soft_forward_backward", [&]() -> int32_t {
        CeCall c{"xent_ce_soft_forward_backward", xent::SOFT_FUSED, dtype, logits, grad, outer, classes, inner,
                 outer_stride, XENT_I32, nullptr, targets, weight, 0, label_smoothing, logit_scale, softcap, z_loss,
                 reduction, upstream, nullptr, row_loss, row_z_loss, lse, workspace, nullptr, stream};
        return run_ce(c);
    });
}

// ---- softmax family ----------------------------------------------------------------------------

XENT_API int32_t xent_log_softmax(int32_t dtype, const void* in, void* out, int64_t outer, int64_t classes,
                                  int64_t inner, int64_t outer_stride, void* stream) {
    return guarded("xent_log_softmax", [&]() -> int32_t {
        return run_softmax<xent::SM_LOG_SOFTMAX>("xent_log_softmax", dtype, in, out, nullptr, outer, classes, inner,
                                                 outer_stride, stream);
    });
}

XENT_API int32_t xent_softmax(int32_t dtype, const void* in, void* out, int64_t outer, int64_t classes,
                              int64_t inner, int64_t outer_stride, void* stream) {
    return guarded("xent_softmax", [&]() -> int32_t {
        return run_softmax<xent::SM_SOFTMAX>("xent_softmax", dtype, in, out, nullptr, outer, classes, inner,
                                             outer_stride, stream);
    });
}

XENT_API int32_t xent_logsumexp(int32_t dtype, const void* in, float* out, int64_t outer, int64_t classes,
                                int64_t inner, int64_t outer_stride, void* stream) {
    return guarded("xent_logsumexp", [&]() -> int32_t {
        return run_softmax<xent::SM_LSE>("xent_logsumexp", dtype, in, nullptr, out, outer, classes, inner,
                                         outer_stride, stream);
    });
}

}  // extern "C"
