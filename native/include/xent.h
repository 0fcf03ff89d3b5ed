/*
 * xent.h: the C ABI of the xent native libraries (libxent_cuda.so, and libxent_emu.so, the same
 * kernel sources run on the host by a CUDA-semantics emulator for tests).
 *
 * The contract between Java (FFM bindings generated from this file) and native code:
 *  - Plain C: functions, enums, scalars, pointers and plain structs of those, passed by pointer.
 *    One call per op family; what the call does (forward, backward, fused; which target kind;
 *    which element-wise loss) is a field or an enum argument, never a separate symbol.
 *  - Every function but xent_abi_version, xent_last_error and the *_workspace_floats sizes
 *    returns an xent_status; on failure xent_last_error() returns a message for the calling thread
 *    that names the function and the field. Nothing ever prints or exits.
 *  - Shapes and offsets are int64_t. Pointers to tensors are device addresses (host addresses
 *    for the emulator). A stream is an opaque cudaStream_t; NULL is the default stream.
 *  - Compute calls only enqueue work on the stream: no host synchronisation, no allocation, so
 *    they can be captured in a CUDA graph. The structs are read during the call only.
 *
 * Semantics are PyTorch's (see docs/ARCHITECTURE.md): natural log, fp32 arithmetic whatever the
 * storage type, losses in fp32, gradients in the storage type of what they differentiate.
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

/* Bumped whenever a signature, a struct or a meaning below changes. */
#define XENT_ABI_VERSION 5

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

/* Which part of a loss a call computes. */
typedef enum xent_pass {
    XENT_FORWARD = 0,          /* losses (and lse) only */
    XENT_BACKWARD = 1,         /* the gradient from what the forward saved (cross-entropy: lse) */
    XENT_FORWARD_BACKWARD = 2  /* both, fused: each input read once, each gradient written once */
} xent_pass;

typedef enum xent_target_kind {
    XENT_TARGET_CLASSES = 0,      /* one class index per row */
    XENT_TARGET_PROBABILITIES = 1 /* a dense distribution per row */
} xent_target_kind;

/*
 * A tensor of rows = outer * inner rows of `classes` elements: element k of row r lives at element
 * offset (r / inner) * outer_stride + (r % inner) + k * inner from data.
 *  (N, C):          outer = N, inner = 1, outer_stride = the row stride >= C.
 *  (N, C, d1..dk):  outer = N, inner = d1*..*dk, outer_stride = C * inner.
 * The element-wise losses take dense tensors of any shape as outer rows of classes = the length of
 * the last axis, inner = 1, outer_stride = classes.
 */
typedef struct xent_tensor {
    void* data;
    int32_t dtype;         /* xent_dtype */
    int64_t outer;
    int64_t classes;
    int64_t inner;
    int64_t outer_stride;
} xent_tensor;

/*
 * What a row is compared with. Classes: data holds rows int32 or int64 (index_type) class
 * indices. Probabilities: data holds dense targets in the logits' dtype with the logits' shape
 * (outer_stride = classes * inner); index_type is ignored.
 */
typedef struct xent_targets {
    int32_t kind;          /* xent_target_kind */
    int32_t index_type;    /* xent_index_type, for XENT_TARGET_CLASSES */
    const void* data;
} xent_targets;

/*
 * error_info, wherever it appears: 2 int64, or NULL. A bad input element makes its row (or
 * element) contribute nothing and, if error_info[0] is still -1, stores what and where (each
 * family says how). The caller sets both to -1 beforehand (xent_memset with 0xFF) and reads them
 * at its own synchronisation.
 *
 * workspace, wherever it appears: fp32 device memory of the size the family's *_workspace_floats
 * gives; on return [0] holds the reduced loss (NONE: the sum of the per-row losses) and [1] the
 * MEAN denominator. Calls that share a workspace must be ordered (the same stream).
 *
 * upstream, wherever it appears: NULL for 1; SUM and MEAN: 1 fp32; NONE: one fp32 per row (per
 * element for the element-wise losses). The gradient is that of the reduced loss times upstream.
 */

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
/* The calling thread's current device (cudaGetDevice). */
XENT_API int32_t xent_get_device(int32_t* device);
/* The device whose memory ptr points into, or -1 when it is not device memory (host memory, pinned
 * or not, or an address CUDA does not know). The emulator counts as device memory what
 * xent_malloc returned. */
XENT_API int32_t xent_pointer_device(const void* ptr, int32_t* device);

/* ---- streams ----------------------------------------------------------------------------- */
/*
 * A stream xent creates is a non-blocking stream (cudaStreamNonBlocking) on the current device:
 * it does not wait for the legacy default stream, as PyTorch's streams do not.
 */
XENT_API int32_t xent_stream_create(void** stream);
XENT_API int32_t xent_stream_destroy(void* stream);
/* The device a stream belongs to; NULL (the default stream) belongs to the current device. */
XENT_API int32_t xent_stream_device(void* stream, int32_t* device);
/*
 * How many host-synchronising runtime calls this library has made since it was loaded (stream,
 * event and device synchronisation, synchronous copies, cudaMalloc, cudaFree), counted by the
 * emulator's runtime itself; -1 from the CUDA library, which does not count them. A test of the
 * enqueue-only promise above: a compute call leaves it unchanged.
 */
XENT_API int64_t xent_synchronizing_calls(void);

/* ---- cross-entropy ----------------------------------------------------------------------- */
/*
 * PyTorch's F.cross_entropy over the logits z (any layout above):
 *  classes:       loss_i = (1-eps) w[y_i] (lse_i - z_{i,y_i}) + (eps / C) sum_k w_k (lse_i - z_ik);
 *                 rows labelled ignore_index give 0 and no gradient; MEAN divides by the sum of
 *                 w[y_i] over rows not ignored (all ignored: NaN). A label outside [0, C) that is
 *                 not ignore_index stores (row, label) in error_info.
 *  probabilities: loss_i = -sum_k w_k t'_ik logp_ik with t' = (1 - eps) t + eps / C; MEAN divides by
 *                 the row count.
 * Precision: a row's loss is (m - z_y) + log s (m the row max, s = sum exp(z - m)), exact where
 * p_y underflows. Gradient: grad = s_i d loss_i / d z_i, s_i = upstream[0] (SUM), upstream[0] /
 * denominator (MEAN) or upstream[i] (NONE); grad has the logits' dtype and layout and may be the
 * logits' data itself.
 */
typedef struct xent_ce_options {
    const float* weight;     /* C fp32 class weights, or NULL for all ones */
    int64_t ignore_index;    /* classes: rows labelled so give loss 0 and gradient 0 */
    float label_smoothing;   /* eps in [0, 1] */
    float logit_scale;       /* s > 0, finite (1: none): the loss sees s * z */
    float softcap;           /* c > 0, finite, or 0 for none: the loss sees z' = c tanh(s z / c); a
                                -inf logit stays -inf. Gradients are with respect to z:
                                dL/dz = dL/dz' * s (1 - tanh^2(s z / c)). */
    float z_loss;            /* lambda >= 0, finite (0: none): row i adds lambda w[y_i] lse_i^2 (lse
                                of z'; ignored rows none, so MEAN keeps its denominator);
                                probability targets add lambda lse_i^2 */
    int32_t reduction;       /* xent_reduction */
} xent_ce_options;

typedef struct xent_ce_outputs {
    void* grad;              /* BACKWARD, FORWARD_BACKWARD: the gradient (see above) */
    float* row_loss;         /* FORWARD, FORWARD_BACKWARD: fp32 per-row loss, or NULL */
    float* row_z_loss;       /* fp32 per-row z-loss (the part of row_loss it is), or NULL; with it
                                workspace[3] holds the z-loss part of workspace[0], reduced the same
                                way (0 without it) */
    float* lse;              /* fp32 per row, of z': FORWARD and FORWARD_BACKWARD write it (may be
                                NULL), BACKWARD reads it (required) */
    float* workspace;        /* xent_workspace_floats(rows, classes) floats; [2] the class-weight sum */
    int64_t* error_info;     /* classes: (row, label) of the first bad label */
} xent_ce_outputs;

/* fp32 elements of the workspace a cross-entropy, NLL or softmax call over rows x classes needs
   (always >= 4). */
XENT_API int64_t xent_workspace_floats(int64_t rows, int64_t classes);

XENT_API int32_t xent_ce(int32_t pass, const xent_tensor* logits, const xent_targets* targets,
                         const xent_ce_options* options, const float* upstream,
                         const xent_ce_outputs* outputs, void* stream);

/* ---- softmax family ------------------------------------------------------------------------ */

typedef enum xent_softmax_op {
    XENT_LOG_SOFTMAX = 0, /* out = z - lse(z): the input's dtype and layout; out may equal in */
    XENT_SOFTMAX = 1,     /* out = exp(z - lse(z)): the input's dtype and layout; out may equal in */
    XENT_LOGSUMEXP = 2    /* out[r] = log sum_k exp z_rk: fp32, one per row */
} xent_softmax_op;

XENT_API int32_t xent_softmax(int32_t op, const xent_tensor* in, void* out, void* stream);

/* ---- NLL loss on log-probabilities ------------------------------------------------------------ */
/*
 * PyTorch's F.nll_loss: input holds log-probabilities x (any layout above), targets class indices.
 * loss_i = -w[y_i] x[i, y_i]; rows labelled ignore_index give 0; MEAN divides by the sum of w[y_i]
 * over rows not ignored (all ignored: NaN). The forward reads one element per row. Passes: FORWARD
 * and FORWARD_BACKWARD (nothing to save, so no BACKWARD). The gradient (input's dtype and layout,
 * may be the input itself) gets -s_i w[y_i] at y_i and 0 everywhere else (every element written;
 * ignored and bad rows all 0). error_info: (row, label) of the first bad label.
 * workspace: xent_workspace_floats(rows, classes) floats.
 */
typedef struct xent_nll_options {
    const float* weight;     /* C fp32 class weights, or NULL */
    int64_t ignore_index;
    int32_t reduction;
} xent_nll_options;

typedef struct xent_nll_outputs {
    void* grad;              /* FORWARD_BACKWARD */
    float* row_loss;         /* fp32 per row, or NULL */
    float* workspace;
    int64_t* error_info;
} xent_nll_outputs;

XENT_API int32_t xent_nll(int32_t pass, const xent_tensor* input, const xent_targets* targets,
                          const xent_nll_options* options, const float* upstream,
                          const xent_nll_outputs* outputs, void* stream);

/* ---- distillation, entropy, Jensen-Shannon --------------------------------------------------- */
/*
 * Two logit tensors of the same dtype and layout: teacher z_t and student z_s, temperature tau > 0.
 * p = softmax(z_t / tau), q = softmax(z_s / tau) per row; KL_i = sum_k p_k (log p_k - log q_k),
 * soft cross-entropy H(p, q)_i = KL_i + H(p)_i, H(p)_i the teacher's entropy (all in nats, at
 * temperature tau, not scaled). Optional class-index targets of the student (alpha < 1) add
 * PyTorch's cross-entropy of z_s (temperature 1, ignore_index, class weights w, all ones when
 * options.weight is NULL): CE_i = w[y_i] (lse_i - z_{i,y_i}), 0 for ignored rows.
 *   loss = alpha tau^2 R_kl(KL) + (1 - alpha) R_ce(CE)
 * with R_kl = sum / outer under MEAN (KLDivLoss 'batchmean': the batch N, also for (N, C, d..)),
 * R_ce = sum / (sum of w[y_i] over rows not ignored) under MEAN (0: NaN, as PyTorch); SUM: plain
 * sums; NONE: row_loss_i = alpha tau^2 KL_i + (1 - alpha) CE_i, workspace[0] their sum. A term with coefficient 0 is left out. The teacher's
 * softmax is never stored. A class masked (-inf) in the teacher has p = 0 and contributes 0; one
 * masked in the student only gives KL = +inf.
 * Passes: FORWARD and FORWARD_BACKWARD; the gradient w.r.t. the student's logits is written once
 * per element into grad (student's dtype and layout, may be the student's data itself):
 *   grad_k = alpha tau s_kl (q_k - p_k) + (1 - alpha) s_ce w[y] (softmax(z_s)_k - [k = y])
 * with s = the upstream value divided by the term's MEAN denominator.
 * targets: NULL when alpha = 1; else class indices (error_info: (row, label) of the first bad one).
 * workspace: xent_distill_workspace_floats(rows) floats: [0] the reduced loss, [1] the KL
 * denominator, [2] the hard-label denominator.
 * options.weight is read only when alpha < 1, by the kernels (device memory; the emulator's host
 * memory): it must hold C finite values. This side cannot inspect it and checks neither its length
 * nor its values (the Java API does).
 */
typedef struct xent_distill_options {
    float temperature;       /* tau, finite and > 0 */
    float alpha;             /* in [0, 1]; 1: no hard term */
    int64_t ignore_index;
    int32_t reduction;
    const float* weight;     /* C fp32 class weights of the hard term, or NULL */
} xent_distill_options;

typedef struct xent_distill_outputs {
    void* grad;                  /* FORWARD_BACKWARD */
    float* row_loss;             /* fp32 per row, each of these four may be NULL */
    float* row_kl;
    float* row_soft_ce;
    float* row_teacher_entropy;
    float* workspace;
    int64_t* error_info;
} xent_distill_outputs;

XENT_API int64_t xent_distill_workspace_floats(int64_t rows);

XENT_API int32_t xent_distill(int32_t pass, const xent_tensor* teacher, const xent_tensor* student,
                              const xent_targets* targets, const xent_distill_options* options,
                              const float* upstream, const xent_distill_outputs* outputs, void* stream);

/*
 * out[r] = H(softmax(z_r)) = lse_r - sum_k p_rk z_rk (fp32, one per row; 0 log 0 = 0). Passes:
 * FORWARD, and FORWARD_BACKWARD, which also writes grad_k = -u_r p_k (z_k - sum_j p_j z_j) in the
 * logits' dtype and layout (grad may be the logits' data), u_r = upstream[r] (NULL: 1); masked
 * classes get 0.
 */
XENT_API int32_t xent_entropy(int32_t pass, const xent_tensor* logits, const float* upstream,
                              float* out, void* grad, void* stream);

/*
 * out[r] = JS(p_r, q_r) = (A_r + B_r) / 2, A = KL(p || m) = sum_k p_k (log p_k - log m_k),
 * B = KL(q || m), m = (p + q) / 2, p = softmax(p_logits), q = softmax(q_logits) (same dtype and
 * layout); fp32, one per row, never below 0 (rounding below is written as 0; NaN stays NaN).
 * Passes: FORWARD, and FORWARD_BACKWARD, which also writes the gradients w.r.t. the logits
 *   grad_p_k = u_r / 2 p_k ((log p_k - log m_k) - A_r),  grad_q_k = u_r / 2 q_k ((log q_k - log m_k) - B_r)
 * (0 for masked classes, p_k = 0 resp. q_k = 0), u_r = upstream[r] (NULL: 1). Each gradient has
 * its logits' dtype and layout and may be its own logits' data (in place); either may be NULL (not
 * wanted), not both.
 */
XENT_API int32_t xent_js(int32_t pass, const xent_tensor* p_logits, const xent_tensor* q_logits,
                         const float* upstream, float* out, void* grad_p, void* grad_q, void* stream);

/* ---- element-wise losses ------------------------------------------------------------------ */
/*
 * BCE with logits, Gaussian, Laplace and Poisson negative log-likelihood: one loss per element of
 * a dense input of any shape (a tensor of outer rows of classes = the last axis' length, inner 1,
 * outer_stride = classes; count = outer * classes). PyTorch's formulas, fp32 arithmetic:
 *  - BCE:      w [(1-y) x + (1 + (pw-1) y)(log1p(exp(-|x|)) + max(-x, 0))], y in [0, 1];
 *              d/dx = w [sigmoid(x)(1 + (pw-1) y) - pw y]
 *  - Gaussian: 0.5 (log v + (x-t)^2 / v) (+ 0.5 log(2 pi) if full), v = max(var, eps);
 *              d/dx = (x-t)/v, d/dvar = 0.5 (1/v - (x-t)^2/v^2) (through the clamp, as PyTorch)
 *  - Laplace:  log b + |x-t| / b (+ log 2 if full), b = max(scale, eps);
 *              d/dx = sign(x-t)/b (0 at x = t), d/dscale = 1/b - |x-t|/b^2
 *  - Poisson:  log_input: exp(x) - t x, d/dx = exp(x) - t; else x - t log(x + eps),
 *              d/dx = 1 - t/(x + eps); full adds t log t - t + 0.5 log(2 pi t) where t > 1.
 * target has the input's dtype and shape. Passes: FORWARD and FORWARD_BACKWARD (grad, in the
 * input's dtype, may equal the input's data). MEAN divides the sum by count (count 0: NaN).
 * error_info: a bad element (BCE target outside [0, 1] or NaN; negative var or scale; negative
 * Poisson target; negative Poisson input when log_input is 0) gives loss 0 and gradient 0 and
 * stores error_info[0] = its flat index and error_info[1] = (tensor << 32) | (IEEE bits of its
 * fp32 value), tensor 0 = target, 1 = var / scale, 2 = input. Only this device-side check exists
 * in the C ABI; the Java API checks host inputs before the call.
 * workspace: xent_elementwise_workspace_floats(count) floats; [1] receives count.
 */
typedef enum xent_elementwise_op {
    XENT_BCE_WITH_LOGITS = 0,
    XENT_GAUSSIAN_NLL = 1,
    XENT_LAPLACE_NLL = 2,
    XENT_POISSON_NLL = 3
} xent_elementwise_op;

/* How an fp32 auxiliary tensor (weight, var, scale) is indexed. */
typedef enum xent_broadcast {
    XENT_PER_ELEMENT = 0, /* count values, the input's shape */
    XENT_PER_LAST = 1,    /* classes values, one per entry of the last axis */
    XENT_PER_ROW = 2,     /* outer values: the input's shape with last axis 1 */
    XENT_SCALAR = 3       /* one value */
} xent_broadcast;

typedef struct xent_elementwise_options {
    int32_t op;                  /* xent_elementwise_op */
    int32_t reduction;
    const float* weight;         /* BCE: NULL, or PER_ELEMENT / PER_LAST per weight_broadcast */
    int32_t weight_broadcast;
    const float* pos_weight;     /* BCE: NULL, or classes values */
    const float* scale;          /* Gaussian: the variance; Laplace: the scale b. PER_ELEMENT,
                                    PER_ROW or SCALAR per scale_broadcast; never NULL when count > 0 */
    int32_t scale_broadcast;
    int32_t full;                /* Gaussian, Laplace, Poisson: 1 adds the constant terms */
    float eps;                   /* Gaussian, Laplace: > 0, the clamp; Poisson: >= 0 */
    int32_t log_input;           /* Poisson: 1 if the input is log(rate), 0 if it is the rate */
} xent_elementwise_options;

typedef struct xent_elementwise_outputs {
    void* grad;                  /* FORWARD_BACKWARD */
    float* scale_grad;           /* Gaussian, Laplace: NULL, or (FORWARD_BACKWARD) d loss / d var (or
                                    scale), upstream applied, fp32 in the scale's shape: count values
                                    (PER_ELEMENT), outer (PER_ROW) or 1 (SCALAR); a broadcast entry
                                    is the sum over the elements sharing it, in a fixed order (no
                                    atomics: bitwise reproducible). Not aliasing any other buffer */
    float* loss;                 /* count fp32 per-element losses, or NULL */
    float* workspace;
    int64_t* error_info;
} xent_elementwise_outputs;

/* fp32 elements of the workspace an element-wise call over count elements needs (always >= 5). */
XENT_API int64_t xent_elementwise_workspace_floats(int64_t count);

XENT_API int32_t xent_elementwise(int32_t pass, const xent_tensor* input, const void* target,
                                  const xent_elementwise_options* options, const float* upstream,
                                  const xent_elementwise_outputs* outputs, void* stream);

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
 * A bad label gives the row loss 0 and rank -1, and error_info (row, label).
 */
typedef enum xent_row_stat {
    XENT_STAT_LSE = 0,
    XENT_STAT_LOSS = 1,
    XENT_STAT_CONFIDENCE = 2,
    XENT_STAT_MEAN = 3,
    XENT_STAT_VARIANCE = 4,
    XENT_ROW_STATS_FLOATS = 5
} xent_row_stat;

typedef struct xent_row_stats_options {
    int64_t ignore_index;
    float logit_scale;           /* s, finite and > 0 */
} xent_row_stats_options;

typedef struct xent_row_stats_outputs {
    float* stats;                /* XENT_ROW_STATS_FLOATS * rows fp32 */
    int64_t* indices;            /* 2 * rows int64 */
    int64_t* error_info;
} xent_row_stats_outputs;

XENT_API int32_t xent_row_stats(const xent_tensor* logits, const xent_targets* targets,
                                const xent_row_stats_options* options,
                                const xent_row_stats_outputs* outputs, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* XENT_H */
