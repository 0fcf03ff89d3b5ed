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
#define XENT_ABI_VERSION 2

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
 *  logit_scale              s > 0, finite (1: none): the loss sees s * z
 *  softcap                  c > 0, finite, or 0 for none: the loss sees z' = c tanh(s z / c); a -inf
 *                           logit stays -inf (masked classes stay masked). The gradient is taken
 *                           with respect to z: dL/dz = dL/dz' * s (1 - tanh^2(s z / c)).
 *  z_loss                   lambda >= 0, finite (0: none): row i adds lambda w[y_i] lse_i^2 (lse of
 *                           z'; ignored rows none, so MEAN keeps its denominator); probability
 *                           targets add lambda lse_i^2. The lse the forward calls write, and the
 *                           backward calls take, is that of z'.
 *  row_z_loss               fp32 per-row z-loss out (the part of row_loss it is), or NULL; with
 *                           it workspace[3] holds the z-loss part of workspace[0], reduced the
 *                           same way (0 without it)
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
    float logit_scale, float softcap, float z_loss,
    int32_t reduction, float* row_loss, float* row_z_loss, float* lse, float* workspace,
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
    float logit_scale, float softcap, float z_loss,
    int32_t reduction, const float* upstream, const float* lse, float* workspace,
    int64_t* error_info, void* stream);

/* Forward and backward fused: each logit read once, each gradient written once. */
XENT_API int32_t xent_ce_forward_backward(
    int32_t dtype, const void* logits, void* grad,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    int32_t label_type, const void* labels,
    const float* weight, int64_t ignore_index, float label_smoothing,
    float logit_scale, float softcap, float z_loss,
    int32_t reduction, const float* upstream,
    float* row_loss, float* row_z_loss, float* lse, float* workspace,
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
    float logit_scale, float softcap, float z_loss,
    int32_t reduction, float* row_loss, float* row_z_loss, float* lse, float* workspace, void* stream);

XENT_API int32_t xent_ce_soft_backward(
    int32_t dtype, const void* logits, void* grad,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    const void* targets, const float* weight, float label_smoothing,
    float logit_scale, float softcap, float z_loss,
    int32_t reduction, const float* upstream, const float* lse, float* workspace, void* stream);

XENT_API int32_t xent_ce_soft_forward_backward(
    int32_t dtype, const void* logits, void* grad,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    const void* targets, const float* weight, float label_smoothing,
    float logit_scale, float softcap, float z_loss,
    int32_t reduction, const float* upstream,
    float* row_loss, float* row_z_loss, float* lse, float* workspace, void* stream);

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

/* ---- NLL loss on log-probabilities ------------------------------------------------------------ */
/*
 * PyTorch's F.nll_loss: input holds log-probabilities x (any layout above), labels one class index
 * per row. loss_i = -w[y_i] x[i, y_i]; rows labelled ignore_index give 0; MEAN divides by the sum
 * of w[y_i] over rows not ignored (all ignored: NaN). The forward reads one element per row.
 * Arguments as for cross-entropy; workspace: xent_workspace_floats(rows, classes) floats, [0] the
 * reduced loss (NONE: the sum), [1] the denominator. row_loss may be NULL. error_info as above.
 */
XENT_API int32_t xent_nll_forward(
    int32_t dtype, const void* input,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    int32_t label_type, const void* labels,
    const float* weight, int64_t ignore_index,
    int32_t reduction, float* row_loss, float* workspace,
    int64_t* error_info, void* stream);

/*
 * Forward and gradient: grad (input's dtype and layout, may be the input itself) gets
 * -s_i w[y_i] at y_i and 0 everywhere else (every element written; ignored and bad rows all 0),
 * s_i = upstream[0] (SUM), upstream[0] / denominator (MEAN), upstream[i] (NONE); NULL means 1.
 */
XENT_API int32_t xent_nll_forward_backward(
    int32_t dtype, const void* input, void* grad,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    int32_t label_type, const void* labels,
    const float* weight, int64_t ignore_index,
    int32_t reduction, const float* upstream, float* row_loss, float* workspace,
    int64_t* error_info, void* stream);

/* ---- distillation, KL, entropy, Jensen-Shannon --------------------------------------------- */
/*
 * Two logit tensors of the same dtype and layout: teacher z_t and student z_s, temperature tau > 0.
 * p = softmax(z_t / tau), q = softmax(z_s / tau) per row; KL_i = sum_k p_k (log p_k - log q_k),
 * soft cross-entropy H(p, q)_i = KL_i + H(p)_i, H(p)_i the teacher's entropy (all in nats, at
 * temperature tau, not scaled). Optional hard labels of the student (alpha < 1) add PyTorch's
 * cross-entropy of z_s (temperature 1, ignore_index, no weights): CE_i.
 *   loss = alpha tau^2 R_kl(KL) + (1 - alpha) R_ce(CE)
 * with R_kl = sum / outer under MEAN (KLDivLoss 'batchmean': the batch N, also for (N, C, d..)), R_ce = sum / rows not ignored under
 * MEAN; SUM: plain sums; NONE: row_loss_i = alpha tau^2 KL_i + (1 - alpha) CE_i, workspace[0] their
 * sum. A term with coefficient 0 is left out. The teacher's softmax is never stored.
 *  temperature              tau, finite and > 0
 *  alpha                    in [0, 1]; 1: no hard term, labels may be NULL
 *  label_type, labels       one class index per row (needed when alpha < 1), ignore_index as for
 *                           cross-entropy; error_info records a label outside [0, C)
 *  row_loss, row_kl, row_soft_ce, row_teacher_entropy   fp32 per row, each may be NULL
 *  workspace                xent_distill_workspace_floats(rows) floats: [0] the reduced loss,
 *                           [1] the KL denominator, [2] the hard-label denominator
 * A class masked (-inf) in the teacher has p = 0 and contributes 0; one masked in the student only
 * gives KL = +inf.
 */
XENT_API int64_t xent_distill_workspace_floats(int64_t rows);

XENT_API int32_t xent_distill_forward(
    int32_t dtype, const void* teacher, const void* student,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    float temperature, float alpha,
    int32_t label_type, const void* labels, int64_t ignore_index,
    int32_t reduction,
    float* row_loss, float* row_kl, float* row_soft_ce, float* row_teacher_entropy,
    float* workspace, int64_t* error_info, void* stream);

/*
 * Forward and the gradient w.r.t. the student's logits, written once per element into grad
 * (student's dtype and layout, may be the student itself):
 *   grad_k = alpha tau s_kl (q_k - p_k) + (1 - alpha) s_ce (softmax(z_s)_k - [k = y])
 * with s = the upstream value (NONE: upstream[i]; NULL: 1) divided by the term's MEAN denominator.
 */
XENT_API int32_t xent_distill_forward_backward(
    int32_t dtype, const void* teacher, const void* student, void* grad,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    float temperature, float alpha,
    int32_t label_type, const void* labels, int64_t ignore_index,
    int32_t reduction, const float* upstream,
    float* row_loss, float* row_kl, float* row_soft_ce, float* row_teacher_entropy,
    float* workspace, int64_t* error_info, void* stream);

/*
 * out[r] = H(softmax(z_r)) = lse_r - sum_k p_rk z_rk (fp32, one per row; 0 log 0 = 0). With grad
 * non-NULL also grad_k = -u_r p_k (z_k - sum_j p_j z_j) in the logits' dtype and layout (may be the
 * logits), u_r = upstream[r] (NULL: 1); masked classes get 0.
 */
XENT_API int32_t xent_entropy(
    int32_t dtype, const void* logits, void* grad,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    const float* upstream, float* out, void* stream);

/*
 * out[r] = JS(p_r, q_r) = (KL(p || m) + KL(q || m)) / 2 with m = (p + q) / 2, p = softmax(p_logits),
 * q = softmax(q_logits) (same dtype and layout); fp32, one per row. Forward only.
 */
XENT_API int32_t xent_js(
    int32_t dtype, const void* p_logits, const void* q_logits,
    int64_t outer, int64_t classes, int64_t inner, int64_t outer_stride,
    float* out, void* stream);

/* ---- element-wise losses ------------------------------------------------------------------ */
/*
 * BCE with logits, Gaussian, Laplace and Poisson negative log-likelihood: one loss per element of
 * a dense input of any shape (count elements, last_dim the length of its last axis; count must be
 * a multiple of last_dim). PyTorch's formulas (docs/ARCHITECTURE.md), fp32 arithmetic:
 *  - BCE:      w [(1-y) x + (1 + (pw-1) y)(log1p(exp(-|x|)) + max(-x, 0))], y in [0, 1];
 *              d/dx = w [sigmoid(x)(1 + (pw-1) y) - pw y]
 *  - Gaussian: 0.5 (log v + (x-t)^2 / v) (+ 0.5 log(2 pi) if full), v = max(var, eps);
 *              d/dx = (x-t)/v, d/dvar = 0.5 (1/v - (x-t)^2/v^2) (through the clamp, as PyTorch)
 *  - Laplace:  log b + |x-t| / b (+ log 2 if full), b = max(scale, eps);
 *              d/dx = sign(x-t)/b (0 at x = t), d/dscale = 1/b - |x-t|/b^2
 *  - Poisson:  log_input: exp(x) - t x, d/dx = exp(x) - t; else x - t log(x + eps),
 *              d/dx = 1 - t/(x + eps); full adds t log t - t + 0.5 log(2 pi t) where t > 1.
 * Common arguments:
 *  dtype, input, target     storage type of input, target and grad; target has the input's shape
 *  grad                     d loss / d input in dtype, or NULL for the forward alone; may equal input
 *  reduction                NONE, SUM or MEAN (MEAN divides the sum by count; count 0: NaN)
 *  upstream                 NULL for 1; SUM and MEAN: 1 fp32; NONE: count fp32 (one per element)
 *  loss                     count fp32 per-element losses out, or NULL
 *  workspace                xent_elementwise_workspace_floats(count) fp32 of device memory; on return
 *                           [0] holds the reduced loss (NONE: the sum) and [1] count
 *  error_info               2 int64, or NULL. A bad element (BCE target outside [0, 1] or NaN;
 *                           negative var or scale; negative Poisson target; negative Poisson input
 *                           when log_input is 0) gives loss 0 and gradient 0 and, if error_info[0]
 *                           is still -1, stores error_info[0] = its flat index and error_info[1] =
 *                           (tensor << 32) | (IEEE bits of its fp32 value), tensor 0 = target,
 *                           1 = var / scale, 2 = input. The caller sets both to -1 beforehand and
 *                           reads them at its own synchronisation. Only this device-side check
 *                           exists in the C ABI; the Java API checks host inputs before the call.
 * The fp32 aux tensors (weight, pos_weight, var, scale) are indexed per xent_broadcast.
 */

typedef enum xent_broadcast {
    XENT_PER_ELEMENT = 0, /* count values, the input's shape */
    XENT_PER_LAST = 1,    /* last_dim values, one per entry of the last axis (one per class) */
    XENT_PER_ROW = 2,     /* count / last_dim values: the input's shape with last axis 1 */
    XENT_SCALAR = 3       /* one value */
} xent_broadcast;

/* fp32 elements of the workspace an element-wise call over count elements needs (always >= 5). */
XENT_API int64_t xent_elementwise_workspace_floats(int64_t count);

/* BCE with logits. weight: NULL or PER_ELEMENT / PER_LAST; pos_weight: NULL or last_dim values. */
XENT_API int32_t xent_bce_with_logits(
    int32_t dtype, const void* input, const void* target, void* grad,
    int64_t count, int64_t last_dim,
    const float* weight, int32_t weight_broadcast, const float* pos_weight,
    int32_t reduction, const float* upstream, float* loss, float* workspace,
    int64_t* error_info, void* stream);

/*
 * Gaussian NLL. var: PER_ELEMENT, PER_ROW or SCALAR, never NULL when count > 0. var_grad: NULL,
 * or (with grad, and a PER_ELEMENT var) count fp32 out: d loss / d var, upstream applied. eps > 0.
 */
XENT_API int32_t xent_gaussian_nll(
    int32_t dtype, const void* input, const void* target, void* grad,
    int64_t count, int64_t last_dim,
    const float* var, int32_t var_broadcast, float* var_grad, int32_t full, float eps,
    int32_t reduction, const float* upstream, float* loss, float* workspace,
    int64_t* error_info, void* stream);

/* Laplace NLL: as xent_gaussian_nll with the scale b in place of the variance. */
XENT_API int32_t xent_laplace_nll(
    int32_t dtype, const void* input, const void* target, void* grad,
    int64_t count, int64_t last_dim,
    const float* scale, int32_t scale_broadcast, float* scale_grad, int32_t full, float eps,
    int32_t reduction, const float* upstream, float* loss, float* workspace,
    int64_t* error_info, void* stream);

/* Poisson NLL. log_input: 1 if input is log(rate), 0 if it is the rate; eps >= 0. */
XENT_API int32_t xent_poisson_nll(
    int32_t dtype, const void* input, const void* target, void* grad,
    int64_t count, int32_t log_input, int32_t full, float eps,
    int32_t reduction, const float* upstream, float* loss, float* workspace,
    int64_t* error_info, void* stream);

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
