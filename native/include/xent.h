/*
 * xent.h: the C ABI of the xent native libraries (libxent_cuda.so, and libxent_emu.so, the same
 * kernel sources run on the host by a CUDA-semantics emulator for tests).
 *
 * The contract between Java (FFM bindings generated from this file) and native code:
 *  - Plain C: functions, enums, scalars, pointers. No structs cross the boundary.
 *  - Every function but xent_abi_version and xent_last_error returns an xent_status; on failure
 *    xent_last_error() returns a message for the calling thread. Nothing ever prints or exits.
 *  - Shapes and offsets are int64_t. Pointers to tensors are device addresses (host addresses
 *    for the emulator). A stream is an opaque cudaStream_t; NULL is the default stream.
 *  - Compute calls only enqueue work on the stream: no host synchronisation, no allocation, so
 *    they can be captured in a CUDA graph.
 *
 * Layout of a logits tensor: rows = outer * inner rows of `classes` elements. Element k of row r
 * lives at element offset (r / inner) * outer_stride + (r % inner) + k * inner. (N, C): outer = N,
 * inner = 1, outer_stride = row stride >= C. (N, C, d1..dk): outer = N, inner = d1*..*dk,
 * outer_stride = C * inner. Gradients and log-softmax outputs use the input's layout; probability
 * targets are dense (outer_stride = classes * inner).
 *
 * Semantics are PyTorch's F.cross_entropy (see docs/ARCHITECTURE.md): natural log, fp32
 * arithmetic whatever the storage type, loss_i = (1-eps) w[y_i] (lse_i - z_{i,y_i})
 *   + (eps / C) sum_k w_k (lse_i - z_ik); mean divides by the sum of w[y_i] over rows not ignored.
 */
#ifndef XENT_H
#define XENT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define XENT_API __declspec(dllexport)
#else
#define XENT_API __attribute__((visibility("default")))
#endif

/* Bumped whenever a signature or a meaning below changes. */
#define XENT_ABI_VERSION 1

typedef enum xent_status {
    XENT_OK = 0,
    XENT_ERROR_INVALID_ARGUMENT = 1, /* a null pointer, a negative size, an unknown enum value */
    XENT_ERROR_CUDA = 2,             /* the CUDA runtime reported an error; see xent_last_error */
    XENT_ERROR_NO_DEVICE = 3,        /* no driver, or no device */
    XENT_ERROR_OUT_OF_MEMORY = 4
} xent_status;

typedef enum xent_dtype {
    XENT_F32 = 0,
    XENT_BF16 = 1,
    XENT_F16 = 2
} xent_dtype;

typedef enum xent_index_type {
    XENT_I32 = 0,
    XENT_I64 = 1
} xent_index_type;

typedef enum xent_reduction {
    XENT_REDUCTION_NONE = 0,
    XENT_REDUCTION_SUM = 1,
    XENT_REDUCTION_MEAN = 2
} xent_reduction;

/* ---- library ---------------------------------------------------------------------------- */

/* XENT_ABI_VERSION of the library actually loaded. */
XENT_API int32_t xent_abi_version(void);

/* Message of the last failed call on this thread ("" if none). Valid until the next call. */
XENT_API const char* xent_last_error(void);

/* 1 for the host emulator, 0 for real CUDA. */
XENT_API int32_t xent_is_emulator(void);

/* ---- devices and memory ------------------------------------------------------------------ */

XENT_API int32_t xent_device_count(int32_t* count);
/* Device name, NUL-terminated, truncated to capacity bytes. */
XENT_API int32_t xent_device_name(int32_t device, char* name, int64_t capacity);
XENT_API int32_t xent_set_device(int32_t device);
XENT_API int32_t xent_malloc(void** ptr, int64_t bytes);
XENT_API int32_t xent_free(void* ptr);
/* Synchronous copies (they wait for the stream's earlier work, then for the copy). */
XENT_API int32_t xent_copy_to_device(void* device_dst, const void* host_src, int64_t bytes, void* stream);
XENT_API int32_t xent_copy_to_host(void* host_dst, const void* device_src, int64_t bytes, void* stream);
/* Asynchronous byte fill on the stream. */
XENT_API int32_t xent_memset(void* device_ptr, int32_t value, int64_t bytes, void* stream);
XENT_API int32_t xent_stream_synchronize(void* stream);

/* fp32 elements of the workspace a compute call over rows x classes needs (always >= 2). */
XENT_API int64_t xent_workspace_floats(int64_t rows, int64_t classes);

/* ---- cross-entropy with class-index targets ---------------------------------------------- */
/*
 * Common arguments:
 *  dtype, logits            logits in storage type dtype, laid out as described above
 *  outer, classes, inner, outer_stride   the layout
 *  label_type, labels       one class index per row (rows = outer * inner), int32 or int64
 *  weight                   C fp32 class weights, or NULL for all ones
 *  ignore_index             rows labelled so give loss 0 and gradient 0
 *  label_smoothing          eps in [0, 1]
 *  reduction                NONE, SUM or MEAN
 *  workspace                xent_workspace_floats(rows, classes) fp32 of device memory the
 *                           call may use; on return [0] holds the reduced loss (NONE: the sum)
 *                           and [1] the denominator (MEAN: sum of w[y_i] over rows not ignored,
 *                           probability targets: rows; SUM and NONE: 1). Calls that share a
 *                           workspace must be ordered (the same stream).
 *  error_info               2 int64, or NULL: a label outside [0, C) that is not ignore_index
 *                           makes the row contribute nothing and, if error_info[0] is still -1,
 *                           stores (row, label) there. The caller sets both to -1 beforehand
 *                           (xent_memset with 0xFF) and reads them at its own synchronisation.
 *  stream                   cudaStream_t or NULL
 */

/* Per-row loss (fp32, rows) and per-row log-sum-exp (fp32, rows; lse may be NULL), reduction. */
XENT_API int32_t xent_ce_forward(
    int32_t dtype, const void* logits,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    int32_t label_type, const void* labels,
    const float* weight, int64_t ignore_index, float label_smoothing,
    int32_t reduction, float* row_loss, float* lse, float* workspace,
    int64_t* error_info, void* stream);

/*
 * Gradient of the reduced loss from the saved lse: grad = s_i * d loss_i / d z_i, where
 * s_i = upstream[0] (SUM), upstream[0] / denominator (MEAN) or upstream[i] (NONE); upstream NULL
 * means 1. grad has the logits' dtype and layout and may be the logits pointer itself.
 */
XENT_API int32_t xent_ce_backward(
    int32_t dtype, const void* logits, void* grad,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    int32_t label_type, const void* labels,
    const float* weight, int64_t ignore_index, float label_smoothing,
    int32_t reduction, const float* upstream, const float* lse, float* workspace,
    int64_t* error_info, void* stream);

/* Forward and backward fused: each logit read once, each gradient written once. */
XENT_API int32_t xent_ce_forward_backward(
    int32_t dtype, const void* logits, void* grad,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    int32_t label_type, const void* labels,
    const float* weight, int64_t ignore_index, float label_smoothing,
    int32_t reduction, const float* upstream,
    float* row_loss, float* lse, float* workspace,
    int64_t* error_info, void* stream);

/* ---- cross-entropy with probability targets ---------------------------------------------- */
/*
 * targets: dense probabilities in the logits' dtype, shape of the logits. loss_i =
 * -sum_k w_k t'_ik logp_ik with t' = (1 - eps) t + eps / C; MEAN divides by the row count.
 */

XENT_API int32_t xent_ce_soft_forward(
    int32_t dtype, const void* logits,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    const void* targets, const float* weight, float label_smoothing,
    int32_t reduction, float* row_loss, float* lse, float* workspace, void* stream);

XENT_API int32_t xent_ce_soft_backward(
    int32_t dtype, const void* logits, void* grad,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    const void* targets, const float* weight, float label_smoothing,
    int32_t reduction, const float* upstream, const float* lse, float* workspace, void* stream);

XENT_API int32_t xent_ce_soft_forward_backward(
    int32_t dtype, const void* logits, void* grad,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    const void* targets, const float* weight, float label_smoothing,
    int32_t reduction, const float* upstream,
    float* row_loss, float* lse, float* workspace, void* stream);

/* ---- softmax family ------------------------------------------------------------------------ */

/* out = z - lse(z), out in the input's dtype and layout; out may equal in. */
XENT_API int32_t xent_log_softmax(
    int32_t dtype, const void* in, void* out,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride, void* stream);

/* out = exp(z - lse(z)), out in the input's dtype and layout; out may equal in. */
XENT_API int32_t xent_softmax(
    int32_t dtype, const void* in, void* out,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride, void* stream);

/* out[r] = log sum_k exp z_rk, fp32, one per row. */
XENT_API int32_t xent_logsumexp(
    int32_t dtype, const void* in, float* out,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride, void* stream);

/* ---- evaluation: per-row statistics ------------------------------------------------------ */
/*
 * One fused pass per row over logits z with class-index targets y and a logit scale s > 0 (the
 * inverse temperature; 1 for the model as it is), p = softmax(s z), m the row max. Nothing is
 * reduced across rows: accuracy, top-k accuracy, NLL, ECE and the temperature fit are formed by
 * the caller from these. Per row r (fp32 arithmetic):
 *   stats[XENT_STAT_LSE * rows + r]        log sum_k exp(s z_k)
 *   stats[XENT_STAT_LOSS * rows + r]       s (m - z_y) + log sum_k exp(s (z_k - m)); 0 when ignored
 *   stats[XENT_STAT_CONFIDENCE * rows + r] max_k p_k
 *   stats[XENT_STAT_MEAN * rows + r]       E_p[z]   (NLL'(s) = mean over rows of E_p[z] - z_y)
 *   stats[XENT_STAT_VARIANCE * rows + r]   Var_p[z] (NLL''(s) = mean over rows of Var_p[z])
 *   indices[r]                             rank of the target: #{k : z_k > z_y} + #{k < y : z_k = z_y},
 *                                          so top-k is correct iff rank < k; -1 for an ignored row
 *                                          (or a bad label); C when z_y is NaN
 *   indices[rows + r]                      predicted class: the first k with z_k = m
 * stats holds XENT_ROW_STATS_FLOATS * rows fp32, indices 2 * rows int64. labels, ignore_index,
 * error_info and the layout arguments are as for xent_ce_forward; a bad label gives the row loss
 * 0 and rank -1.
 */
typedef enum xent_row_stat {
    XENT_STAT_LSE = 0,
    XENT_STAT_LOSS = 1,
    XENT_STAT_CONFIDENCE = 2,
    XENT_STAT_MEAN = 3,
    XENT_STAT_VARIANCE = 4,
    XENT_ROW_STATS_FLOATS = 5
} xent_row_stat;

XENT_API int32_t xent_row_stats(
    int32_t dtype, const void* logits,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    int32_t label_type, const void* labels, int64_t ignore_index, float scale,
    float* stats, int64_t* indices, int64_t* error_info, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* XENT_H */
