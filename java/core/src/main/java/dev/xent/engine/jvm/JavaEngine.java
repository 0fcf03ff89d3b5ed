package dev.xent.engine.jvm;

import dev.xent.DType;
import dev.xent.IndexType;
import dev.xent.Layout;
import dev.xent.Reduction;
import dev.xent.Targets;
import dev.xent.engine.CrossEntropyCall;
import dev.xent.engine.DistillCall;
import dev.xent.engine.ElementwiseLossCall;
import dev.xent.engine.Engine;
import dev.xent.engine.NllCall;
import dev.xent.engine.Pass;
import dev.xent.engine.RowStatsCall;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * The pure-Java engine: every op on host memory (heap arrays or native segments), fp32, bf16 and
 * fp16 storage, any {@link Layout}.
 *
 * <p>Each row is read in tiles of {@link #TILE} classes: a tile's max, then its exponentials
 * against the running max (online softmax at tile granularity: one exp per element, the tile
 * read a second time from L1). For an fp32 gradient the exponentials go straight into the
 * gradient buffer together with each tile's running max, and a last pass rescales them into the
 * gradient: each logit is read once from memory, each gradient written once, one exp per
 * element. A 16-bit gradient gets the same treatment through a per-thread fp32 scratch row (kept
 * in L2) that the last pass rounds into the gradient. Per-thread scratch is reused across calls
 * (no allocation per call); the vector kernels run array loops on heap segments and a table-driven
 * exp (see {@code VectorKernels}). Losses are taken as {@code (m - z_y) + log s} in double per row and reduced in double
 * in row order, so results do not depend on the thread count. Rows are split across the common
 * ForkJoin pool above {@link #PARALLEL_THRESHOLD} elements (never for thread-confined segments).
 *
 * <p>Modes: {@link Mode#VECTOR} uses {@code jdk.incubator.vector} for row-contiguous layouts when
 * the module is present (pass {@code --add-modules jdk.incubator.vector}) and the system property
 * {@code xent.java.vector} is not {@code false}; otherwise, and for strided (N, C, d..) layouts,
 * plain scalar loops.
 */
public final class JavaEngine implements Engine {
    public static final String NAME = "java";
    /** Classes per tile of a row. */
    static final int TILE = 2048;
    /** rows * C above which rows are split across threads. */
    static final long PARALLEL_THRESHOLD = 1L << 16;

    private static final System.Logger LOG = System.getLogger("dev.xent");
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;
    /** A thread that is never started: a segment it may access is not confined to one thread. */
    private static final Thread OTHER_THREAD = new Thread(() -> {});

    /** How the inner loops run. */
    public enum Mode {
        VECTOR,
        SCALAR
    }

    private final Kernels kernels;
    private final Mode mode;
    private final int threads;
    private final String why;

    private JavaEngine(Kernels kernels, Mode mode, int threads, String why) {
        this.kernels = kernels;
        this.mode = mode;
        this.threads = threads;
        this.why = why;
    }

    /** The engine with the Vector API when it can run here, else scalar (the reason in {@link #description()}). */
    public static JavaEngine create() {
        int cores = Runtime.getRuntime().availableProcessors();
        return VectorSupport.KERNELS != null
                ? new JavaEngine(VectorSupport.KERNELS, Mode.VECTOR, cores, null)
                : new JavaEngine(ScalarKernels.INSTANCE, Mode.SCALAR, cores, VectorSupport.REASON);
    }

    /** The engine forced to plain scalar loops. */
    public static JavaEngine scalar() {
        return new JavaEngine(ScalarKernels.INSTANCE, Mode.SCALAR, Runtime.getRuntime().availableProcessors(), "forced scalar");
    }

    /** The same engine using at most {@code threads} threads (1: the calling thread only). Results do not change. */
    public JavaEngine withThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        return new JavaEngine(kernels, mode, threads, why);
    }

    public Mode mode() {
        return mode;
    }

    public int threads() {
        return threads;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        String base = mode == Mode.VECTOR
                ? "java: Vector API, " + VectorSupport.BITS + "-bit preferred species"
                : "java: scalar (" + why + ")";
        return base + ", " + threads + " thread" + (threads == 1 ? "" : "s");
    }

    @Override
    public String toString() {
        return description();
    }

    // ------------------------------------------------------------------------------------------
    // Vector API detection, isolated so that nothing here links jdk.incubator.vector directly.

    private static final class VectorSupport {
        static final Kernels KERNELS;
        static final String REASON;
        static final int BITS;

        static {
            Kernels k = null;
            String reason = null;
            int bits = 0;
            if ("false".equalsIgnoreCase(System.getProperty("xent.java.vector", "true").trim())) {
                reason = "Vector API disabled by -Dxent.java.vector=false";
            } else if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                reason = "module jdk.incubator.vector is not present; pass --add-modules jdk.incubator.vector";
            } else {
                try {
                    Class<?> c = Class.forName("dev.xent.engine.jvm.VectorKernels");
                    k = (Kernels) c.getDeclaredConstructor().newInstance();
                    bits = (Integer) c.getDeclaredMethod("bitSize").invoke(null);
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    Throwable cause = e.getCause() != null ? e.getCause() : e;
                    reason = "Vector API unusable (" + cause + "); pass --add-modules jdk.incubator.vector";
                    k = null;
                }
            }
            if (k == null) {
                LOG.log(System.Logger.Level.INFO, "xent java engine runs scalar loops: {0}", reason);
            }
            KERNELS = k;
            REASON = reason;
            BITS = bits;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Per-thread scratch, one per range of rows.

    static final class Work {
        float[] tileMax = new float[0];
        float[] scratch = new float[0];
        MemorySegment scratchSeg = MemorySegment.ofArray(scratch);
        final float[] tmp = new float[64];
        final double[] acc = new double[2];
        float m;
        double s;
        /** fp32 rows of the transformed-logits path: logits, chain factors, gradient, targets. */
        final float[][] rows = new float[4][0];
        final MemorySegment[] rowSegs = new MemorySegment[4];

        Work sizedFor(long classes) {
            int tiles = (int) ((classes + TILE - 1) / TILE);
            if (tileMax.length < tiles) tileMax = new float[tiles];
            return this;
        }

        /** An fp32 row of at least {@code classes} elements: a 16-bit gradient's exponentials, kept in L2. */
        MemorySegment scratch(long classes) {
            if (scratch.length < classes) {
                scratch = new float[Math.toIntExact(classes)];
                scratchSeg = MemorySegment.ofArray(scratch);
            }
            return scratchSeg;
        }

        /** fp32 row {@code slot} (one of the ROW_* indices) of at least {@code classes} elements. */
        float[] row(int slot, long classes) {
            if (rows[slot].length < classes || rowSegs[slot] == null) {
                rows[slot] = new float[Math.toIntExact(Math.max(classes, rows[slot].length))];
                rowSegs[slot] = MemorySegment.ofArray(rows[slot]);
            }
            return rows[slot];
        }
    }

    private static final int ROW_LOGITS = 0;
    private static final int ROW_CHAIN = 1;
    private static final int ROW_GRAD = 2;
    private static final int ROW_TARGETS = 3;

    /**
     * One Work per thread, reused across calls: no allocation per call or per task. A task runs to
     * completion before its thread takes another, so a thread never uses its Work twice at once.
     */
    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    private static Work work(long classes) {
        return WORK.get().sizedFor(classes);
    }

    @FunctionalInterface
    interface RowRange {
        void run(long from, long to, Work work);
    }

    private Kernels kernelsFor(Layout layout) {
        return layout.isRowContiguous() ? kernels : ScalarKernels.INSTANCE;
    }

    static boolean shareable(MemorySegment... segments) {
        for (MemorySegment s : segments) {
            if (s != null && !s.isAccessibleBy(OTHER_THREAD)) return false;
        }
        return true;
    }

    void forRows(long rows, long classes, boolean shareable, RowRange body) {
        long work = rows * classes;
        int tasks = 1;
        if (threads > 1 && shareable && rows > 1 && work >= PARALLEL_THRESHOLD) {
            tasks = (int) Math.min(rows, Math.min(4L * threads, Math.max(2, work / (PARALLEL_THRESHOLD / 4))));
        }
        if (tasks == 1) {
            if (rows > 0) body.run(0, rows, work(classes));
            return;
        }
        int n = tasks;
        IntStream.range(0, n).parallel().forEach(t -> body.run(rows * t / n, rows * (t + 1) / n, work(classes)));
    }

    // ------------------------------------------------------------------------------------------
    // Row statistics: m = max, s = sum exp(z - m), optional extra sums, optional stored exps.

    private static final int EXTRA_NONE = 0;
    private static final int EXTRA_SHIFTED = 1;
    private static final int EXTRA_TARGETS = 2;

    /**
     * One pass over a row (zb: byte offset of class 0). Leaves m and s in {@code w}; with
     * {@code e} non-null stores exp(z - running max) into it (fp32, same class stride) and each
     * tile's running max in {@code w.tileMax}. extra: EXTRA_SHIFTED accumulates sum w_k (z_k -
     * ref) into acc[1]; EXTRA_TARGETS accumulates sum wt and sum wt (z - ref) into acc[0], acc[1].
     */
    private static void stats(Kernels k, DType dt, MemorySegment z, long zb, long cs, long classes,
            MemorySegment e, long eb, int extra, float ref, MemorySegment weight,
            MemorySegment t, long tb, float c1, float c0, Work w) {
        long step = cs * dt.byteSize();
        long eStep = cs * 4;
        float m = NEG_INF;
        double s = 0;
        w.acc[0] = 0;
        w.acc[1] = 0;
        int tile = 0;
        for (long j = 0; j < classes; j += TILE, tile++) {
            int n = (int) Math.min(TILE, classes - j);
            long zo = zb + j * step;
            if (extra == EXTRA_SHIFTED) {
                w.acc[1] += k.shiftedSum(dt, z, zo, cs, n, ref, weight, 4 * j);
            } else if (extra == EXTRA_TARGETS) {
                k.targetSums(dt, z, zo, cs, n, ref, t, tb + j * step, c1, c0, weight, 4 * j, w.acc);
            }
            float mNew = Math.max(m, k.max(dt, z, zo, cs, n));
            if (mNew == NEG_INF && hasNaN(dt, z, zo, cs, n)) mNew = Float.NaN;  // the vector max skips NaN
            if (mNew == NEG_INF) {
                if (e != null) zeroRow(DType.F32, e, eb + j * eStep, cs, n);
                w.tileMax[tile] = NEG_INF;
                continue;
            }
            if (mNew != m) s *= Math.exp((double) m - mNew);
            m = mNew;
            s += k.expSum(dt, z, zo, cs, n, m, e, e == null ? 0 : eb + j * eStep);
            w.tileMax[tile] = m;
        }
        w.m = m;
        w.s = s;
    }

    private static boolean hasNaN(DType dt, MemorySegment z, long zb, long cs, int n) {
        long step = cs * dt.byteSize();
        for (int j = 0; j < n; j++) {
            if (Float.isNaN(Elem.get(dt, z, zb + j * step))) return true;
        }
        return false;
    }

    /** Turns the stored exps of a row into a * softmax - b * w (fp32, in place). */
    private static void scaleRow(Kernels k, MemorySegment e, long eb, long cs, long classes, double m, double logS,
            double a, float b, MemorySegment weight, Work w) {
        long eStep = cs * 4;
        int tile = 0;
        for (long j = 0; j < classes; j += TILE, tile++) {
            int n = (int) Math.min(TILE, classes - j);
            float at = (float) (a * Math.exp((w.tileMax[tile] - m) - logS));
            k.scaleE(e, eb + j * eStep, cs, n, at, b, weight, 4 * j);
        }
    }

    /** As {@link #scaleRow} from a contiguous fp32 scratch row {@code e} into a contiguous row of g in dt. */
    private static void scaleRowInto(Kernels k, DType dt, MemorySegment e, MemorySegment g, long gb, long classes,
            double m, double logS, double a, float b, MemorySegment weight, Work w) {
        long es = dt.byteSize();
        int tile = 0;
        for (long j = 0; j < classes; j += TILE, tile++) {
            int n = (int) Math.min(TILE, classes - j);
            float at = (float) (a * Math.exp((w.tileMax[tile] - m) - logS));
            k.scaleInto(dt, e, 4 * j, g, gb + j * es, n, at, b, weight, 4 * j, w.tmp);
        }
    }

    private static void gradRow(Kernels k, DType dt, MemorySegment z, long zb, MemorySegment g, long gb, long cs,
            long classes, float m, float logS, float a, float b, MemorySegment weight, Work w) {
        long step = cs * dt.byteSize();
        for (long j = 0; j < classes; j += TILE) {
            int n = (int) Math.min(TILE, classes - j);
            k.grad(dt, z, zb + j * step, g, gb + j * step, cs, n, m, logS, a, b, weight, 4 * j, w.tmp);
        }
    }

    static void zeroRow(DType dt, MemorySegment g, long gb, long cs, long classes) {
        long es = dt.byteSize();
        if (cs == 1) {
            g.asSlice(gb, classes * es).fill((byte) 0);
        } else {
            for (long j = 0; j < classes; j++) Elem.set(dt, g, gb + j * cs * es, 0f);
        }
    }

    private static float refOf(DType dt, MemorySegment z, long zb) {
        float r = Elem.get(dt, z, zb);
        return Float.isFinite(r) ? r : 0f;
    }

    // ------------------------------------------------------------------------------------------
    // Cross-entropy

    @Override
    public void crossEntropy(CrossEntropyCall call) {
        Objects.requireNonNull(call, "call");
        Layout layout = call.layout();
        long rows = layout.rows();
        long classes = layout.classes();
        Pass pass = call.pass();
        boolean forward = pass != Pass.BACKWARD;
        boolean backward = pass != Pass.FORWARD;
        if (backward && call.grad() == null) throw new IllegalArgumentException(pass + " needs a gradient buffer");
        if (pass == Pass.BACKWARD && call.lse() == null) throw new IllegalArgumentException("BACKWARD needs the saved lse");

        MemorySegment weight = call.weight();
        double weightSum = classes;
        if (weight != null) {
            if (weight.byteSize() < 4 * classes) {
                throw new IllegalArgumentException("weight holds " + weight.byteSize() / 4 + " values, C = " + classes);
            }
            weightSum = 0;
            for (long k = 0; k < classes; k++) weightSum += Elem.getF32(weight, k);
        }

        boolean hard = call.targets() instanceof Targets.ClassIndices;
        double denominator;
        if (call.reduction() != Reduction.MEAN) {
            denominator = 1;
        } else if (hard) {
            denominator = meanDenominator((Targets.ClassIndices) call.targets(), rows, classes, call.ignoreIndex(), weight);
        } else {
            denominator = rows;
        }

        MemorySegment rowLoss = call.rowLoss();
        if (forward && rowLoss == null) rowLoss = MemorySegment.ofArray(new float[Math.toIntExact(rows)]);
        MemorySegment lossOut = forward ? rowLoss : null;

        MemorySegment zLossOut = null;
        if (forward && call.zLoss() > 0) {
            zLossOut = call.rowZLoss() != null ? call.rowZLoss() : MemorySegment.ofArray(new float[Math.toIntExact(rows)]);
        }
        RowCtx ctx = new RowCtx(call, weight, (float) weightSum, denominator, lossOut, zLossOut);
        MemorySegment targetData = hard ? ((Targets.ClassIndices) call.targets()).data()
                : ((Targets.Probabilities) call.targets()).data();
        boolean share = shareable(call.logits(), call.grad(), targetData, weight, call.upstream(), lossOut, zLossOut, call.lse());
        if (ctx.transformed) {
            // the transformed rows are fp32 and contiguous whatever the layout
            Kernels k = kernelsFor(layout);
            forRows(rows, classes, share, (from, to, w) -> {
                for (long r = from; r < to; r++) ctx.transformedRow(k, kernels, r, w);
            });
        } else {
            Kernels k = kernelsFor(layout);
            forRows(rows, classes, share, (from, to, w) -> {
                for (long r = from; r < to; r++) ctx.row(k, r, w);
            });
        }

        MemorySegment reduced = call.reduced();
        if (reduced != null) {
            if (forward) {
                Elem.setF32(reduced, 0, reduce(lossOut, rows, call.reduction(), denominator));
                if (reduced.byteSize() >= 3 * Float.BYTES) {
                    Elem.setF32(reduced, 2, zLossOut == null ? 0f : reduce(zLossOut, rows, call.reduction(), denominator));
                }
            }
            Elem.setF32(reduced, 1, (float) denominator);
        }
    }

    /** Sum of per-row values in double, in row order; divided by the denominator under MEAN. */
    private static float reduce(MemorySegment perRow, long rows, Reduction reduction, double denominator) {
        double sum = 0;
        for (long r = 0; r < rows; r++) sum += Elem.getF32(perRow, r);
        return (float) (reduction == Reduction.MEAN ? sum / denominator : sum);
    }

    static long label(Targets.ClassIndices idx, long r) {
        return idx.type() == IndexType.I32
                ? idx.data().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, r)
                : idx.data().getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r);
    }

    private static double meanDenominator(Targets.ClassIndices idx, long rows, long classes, long ignoreIndex, MemorySegment weight) {
        double d = 0;
        for (long r = 0; r < rows; r++) {
            long y = label(idx, r);
            if (y == ignoreIndex) continue;
            checkLabel(y, r, classes, ignoreIndex);
            d += weight == null ? 1 : Elem.getF32(weight, y);
        }
        return d;
    }

    static void checkLabel(long y, long r, long classes, long ignoreIndex) {
        if (y < 0 || y >= classes) {
            throw new IllegalArgumentException("target " + y + " at row " + r + " is out of range [0, " + classes
                    + ") and is not ignoreIndex (" + ignoreIndex + ")");
        }
    }

    /** What every row of one cross-entropy call shares. */
    private static final class RowCtx {
        final Pass pass;
        final Layout layout;
        final Layout targetLayout;
        final DType dt;
        final long es;
        final long cs;
        final long classes;
        final MemorySegment z;
        final MemorySegment g;
        final MemorySegment weight;
        final float weightSum;
        final Targets targets;
        final long ignoreIndex;
        final float eps;
        final Reduction reduction;
        final MemorySegment upstream;
        final double denominator;
        final MemorySegment rowLoss;
        final MemorySegment lse;
        final float scale;
        final float cap;
        final double zLoss;
        final MemorySegment rowZLoss;
        /** A logit scale or soft-cap applies: rows go through {@link #transformedRow}. */
        final boolean transformed;

        RowCtx(CrossEntropyCall c, MemorySegment weight, float weightSum, double denominator, MemorySegment rowLoss,
                MemorySegment rowZLoss) {
            this.pass = c.pass();
            this.layout = c.layout();
            this.targetLayout = layout.dense();
            this.dt = c.dtype();
            this.es = dt.byteSize();
            this.cs = layout.classStride();
            this.classes = layout.classes();
            this.z = c.logits();
            this.g = c.grad();
            this.weight = weight;
            this.weightSum = weightSum;
            this.targets = c.targets();
            this.ignoreIndex = c.ignoreIndex();
            this.eps = c.labelSmoothing();
            this.reduction = c.reduction();
            this.upstream = c.upstream();
            this.denominator = denominator;
            this.rowLoss = rowLoss;
            this.lse = c.lse();
            this.scale = c.logitScale();
            this.cap = c.softcap();
            this.zLoss = c.zLoss();
            this.rowZLoss = rowZLoss;
            this.transformed = scale != 1f || cap != 0f;
        }

        /** A row of the untransformed logits, where they are. */
        void row(Kernels k, long r, Work w) {
            long zb = layout.rowBase(r) * es;
            MemorySegment t = targets instanceof Targets.Probabilities p ? p.data() : null;
            if (t == null) hardRow(k, r, w, dt, z, zb, cs, g);
            else softRow(k, r, w, dt, z, zb, cs, g, t, targetLayout.rowBase(r) * es);
        }

        /**
         * A row through the logit scale and soft-cap: z' = c tanh(s z / c) (or s z) and the chain
         * factor dz'/dz go into fp32 rows of the thread's scratch (probability targets too), the
         * plain row code runs on them with a contiguous fp32 gradient row, and the gradient is
         * multiplied by the chain factor as it is stored. A separate path, so that the plain one
         * keeps its loops untouched. {@code k} reads and writes the layout's rows, {@code kf} the
         * contiguous fp32 scratch rows.
         */
        void transformedRow(Kernels k, Kernels kf, long r, Work w) {
            long zb = layout.rowBase(r) * es;
            long step = cs * es;
            float[] zta = w.row(ROW_LOGITS, classes);
            float[] chaina = w.row(ROW_CHAIN, classes);
            for (long j = 0; j < classes; j += TILE) {
                int n = (int) Math.min(TILE, classes - j);
                k.transform(dt, z, zb + j * step, cs, n, scale, cap, zta, chaina, (int) j);
            }
            MemorySegment tt = null;
            if (targets instanceof Targets.Probabilities p) {
                float[] tta = w.row(ROW_TARGETS, classes);
                tt = w.rowSegs[ROW_TARGETS];
                long tb = targetLayout.rowBase(r) * es;
                for (int j = 0; j < classes; j++) tta[j] = Elem.get(dt, p.data(), tb + j * step);
            }
            MemorySegment zt = w.rowSegs[ROW_LOGITS];
            float[] gta = pass == Pass.FORWARD ? null : w.row(ROW_GRAD, classes);
            MemorySegment gt = gta == null ? null : w.rowSegs[ROW_GRAD];
            if (tt == null) hardRow(kf, r, w, DType.F32, zt, 0, 1, gt);
            else softRow(kf, r, w, DType.F32, zt, 0, 1, gt, tt, 0);
            if (gt == null) return;
            for (long j = 0; j < classes; j += TILE) {
                int n = (int) Math.min(TILE, classes - j);
                k.chainInto(dt, gta, chaina, (int) j, g, zb + j * step, cs, n, w.tmp);
            }
        }

        /** lambda u lse^2 into the per-row z-loss (forward passes); returns it. */
        double zLossOf(long r, double u, double rowLse) {
            if (zLoss == 0) return 0;
            double zl = u == 0 ? 0 : zLoss * u * rowLse * rowLse;
            if (rowZLoss != null) Elem.setF32(rowZLoss, r, (float) zl);
            return zl;
        }

        /** The z-loss's share of the coefficient of p in the gradient: 2 lambda u lse. */
        double zLossCoef(double u, double rowLse) {
            return zLoss == 0 || u == 0 ? 0 : 2 * zLoss * u * rowLse;
        }

        /** s_i: the upstream gradient of this row's loss. */
        double upstreamScale(long r) {
            double u = upstream == null ? 1 : Elem.getF32(upstream, reduction == Reduction.NONE ? r : 0);
            return reduction == Reduction.MEAN ? u / denominator : u;
        }

        float w(long k) {
            return weight == null ? 1f : Elem.getF32(weight, k);
        }

        /**
         * One class-index row whose logits (dt, class stride cs) start at byte zb of z; the
         * gradient goes to g with the same type, stride and offset.
         */
        void hardRow(Kernels k, long r, Work w, DType dt, MemorySegment z, long zb, long cs, MemorySegment g) {
            long es = dt.byteSize();
            long y = label((Targets.ClassIndices) targets, r);
            boolean ignored = y == ignoreIndex;
            if (!ignored) checkLabel(y, r, classes, ignoreIndex);
            boolean smooth = eps > 0 && !ignored;
            float zy = ignored ? 0f : Elem.get(dt, z, zb + y * cs * es);
            float wy = ignored ? 0f : w(y);
            double su = pass == Pass.FORWARD ? 0 : upstreamScale(r);
            double epsC = (double) eps / classes;
            double m;
            double logS;
            boolean eStored = false;
            if (pass == Pass.BACKWARD) {
                m = Elem.getF32(lse, r);
                logS = 0;
            } else {
                // The exps go into the fp32 gradient itself, or for a 16-bit gradient of a
                // row-contiguous layout into the thread's fp32 scratch row: one exp per element.
                eStored = pass == Pass.FORWARD_BACKWARD && !ignored && (dt == DType.F32 || cs == 1);
                MemorySegment e = !eStored ? null : dt == DType.F32 ? g : w.scratch(classes);
                long eb = dt == DType.F32 ? zb / es * 4 : 0;
                float ref = smooth ? refOf(dt, z, zb) : 0f;
                stats(k, dt, z, zb, cs, classes, e, eb, smooth ? EXTRA_SHIFTED : EXTRA_NONE,
                        ref, weight, null, 0, 0f, 0f, w);
                m = w.m;
                logS = Math.log(w.s);
                Elem.setF32(lse, r, (float) (m + logS));
                double loss = 0;
                if (!ignored) {
                    loss = (1 - eps) * wy * ((m - zy) + logS);
                    if (smooth) loss += epsC * (weightSum * logS + ((m - ref) * weightSum - w.acc[1]));
                }
                loss += zLossOf(r, wy, m + logS);
                Elem.setF32(rowLoss, r, (float) loss);
            }
            if (pass == Pass.FORWARD) return;
            long gb = zb;
            if (ignored) {
                zeroRow(dt, g, gb, cs, classes);
                return;
            }
            double wsum = (1 - eps) * wy + epsC * weightSum + zLossCoef(wy, m + logS);
            double a = su * wsum;
            float b = (float) (su * epsC);
            if (eStored && dt == DType.F32) {
                scaleRow(k, g, gb, cs, classes, m, logS, a, b, weight, w);
            } else if (eStored) {
                scaleRowInto(k, dt, w.scratch(classes), g, gb, classes, m, logS, a, b, weight, w);
            } else {
                gradRow(k, dt, z, zb, g, gb, cs, classes, (float) m, (float) logS, (float) a, b, weight, w);
            }
            double py = Math.exp(((double) zy - m) - logS);
            double gy = a * py - (double) b * wy - su * (1 - eps) * wy;
            Elem.set(dt, g, gb + y * cs * es, (float) gy);
        }

        /** One probability row: logits and gradient as in {@link #hardRow}, targets (dt, cs) at byte tb of t. */
        void softRow(Kernels k, long r, Work w, DType dt, MemorySegment z, long zb, long cs, MemorySegment g,
                MemorySegment t, long tb) {
            long es = dt.byteSize();
            float c1 = 1 - eps;
            float c0 = eps / classes;
            float ref = refOf(dt, z, zb);
            double m;
            double logS;
            double tw;
            if (pass == Pass.BACKWARD) {
                m = Elem.getF32(lse, r);
                logS = 0;
                w.acc[0] = 0;
                w.acc[1] = 0;
                long step = cs * es;
                for (long j = 0; j < classes; j += TILE) {
                    int n = (int) Math.min(TILE, classes - j);
                    k.targetSums(dt, z, zb + j * step, cs, n, ref, t, tb + j * step, c1, c0, weight, 4 * j, w.acc);
                }
                tw = w.acc[0];
            } else {
                stats(k, dt, z, zb, cs, classes, null, 0, EXTRA_TARGETS, ref, weight, t, tb, c1, c0, w);
                m = w.m;
                logS = Math.log(w.s);
                tw = w.acc[0];
                Elem.setF32(lse, r, (float) (m + logS));
                double loss = tw * logS + ((m - ref) * tw - w.acc[1]) + zLossOf(r, 1, m + logS);
                Elem.setF32(rowLoss, r, (float) loss);
            }
            if (pass == Pass.FORWARD) return;
            double su = upstreamScale(r);
            float a = (float) (su * (tw + zLossCoef(1, m + logS)));
            float b1 = (float) (su * c1);
            float b0 = (float) (su * c0);
            long step = cs * es;
            for (long j = 0; j < classes; j += TILE) {
                int n = (int) Math.min(TILE, classes - j);
                k.gradTargets(dt, z, zb + j * step, g, zb + j * step, cs, n, (float) m, (float) logS, a, b1, b0,
                        t, tb + j * step, weight, 4 * j, w.tmp);
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Element-wise losses

    @Override
    public void elementwiseLoss(ElementwiseLossCall call) {
        boolean parallel = threads > 1 && call.count() >= PARALLEL_THRESHOLD
                && shareable(call.input(), call.target(), call.grad(), call.loss(), call.auxGrad());
        ElementwiseKernels.run(call, parallel ? 4 * threads : 1, mode == Mode.VECTOR);
    }

    // ------------------------------------------------------------------------------------------
    // Softmax family

    @Override
    public void logSoftmax(Layout layout, DType dt, MemorySegment in, MemorySegment out) {
        long es = dt.byteSize();
        long cs = layout.classStride();
        long classes = layout.classes();
        Kernels k = kernelsFor(layout);
        forRows(layout.rows(), classes, shareable(in, out), (from, to, w) -> {
            for (long r = from; r < to; r++) {
                long zb = layout.rowBase(r) * es;
                stats(k, dt, in, zb, cs, classes, null, 0, EXTRA_NONE, 0f, null, null, 0, 0f, 0f, w);
                float logS = (float) Math.log(w.s);
                long step = cs * es;
                for (long j = 0; j < classes; j += TILE) {
                    int n = (int) Math.min(TILE, classes - j);
                    k.logSoftmax(dt, in, zb + j * step, out, zb + j * step, cs, n, w.m, logS, w.tmp);
                }
            }
        });
    }

    @Override
    public void softmax(Layout layout, DType dt, MemorySegment in, MemorySegment out) {
        long es = dt.byteSize();
        long cs = layout.classStride();
        long classes = layout.classes();
        Kernels k = kernelsFor(layout);
        forRows(layout.rows(), classes, shareable(in, out), (from, to, w) -> {
            for (long r = from; r < to; r++) {
                long zb = layout.rowBase(r) * es;
                if (dt == DType.F32) {
                    stats(k, dt, in, zb, cs, classes, out, zb, EXTRA_NONE, 0f, null, null, 0, 0f, 0f, w);
                    scaleRow(k, out, zb, cs, classes, w.m, Math.log(w.s), 1.0, 0f, null, w);
                } else {
                    stats(k, dt, in, zb, cs, classes, null, 0, EXTRA_NONE, 0f, null, null, 0, 0f, 0f, w);
                    gradRow(k, dt, in, zb, out, zb, cs, classes, w.m, (float) Math.log(w.s), 1f, 0f, null, w);
                }
            }
        });
    }

    @Override
    public void logSumExp(Layout layout, DType dt, MemorySegment in, MemorySegment out) {
        long es = dt.byteSize();
        long cs = layout.classStride();
        long classes = layout.classes();
        Kernels k = kernelsFor(layout);
        forRows(layout.rows(), classes, shareable(in, out), (from, to, w) -> {
            for (long r = from; r < to; r++) {
                stats(k, dt, in, layout.rowBase(r) * es, cs, classes, null, 0, EXTRA_NONE, 0f, null, null, 0, 0f, 0f, w);
                Elem.setF32(out, r, (float) (w.m + Math.log(w.s)));
            }
        });
    }

    // ------------------------------------------------------------------------------------------
    // NLL loss, distillation, entropy, Jensen-Shannon (NllRows, DistillRows)

    @Override
    public void nll(NllCall call) {
        NllRows.run(this, Objects.requireNonNull(call, "call"));
    }

    @Override
    public void distill(DistillCall call) {
        DistillRows.distill(this, Objects.requireNonNull(call, "call"));
    }

    @Override
    public void entropy(Layout layout, DType dt, MemorySegment logits, MemorySegment upstream, MemorySegment grad, MemorySegment out) {
        DistillRows.entropy(this, layout, dt, logits, upstream, grad, out);
    }

    @Override
    public void jensenShannon(Layout layout, DType dt, MemorySegment p, MemorySegment q, MemorySegment out) {
        DistillRows.jensenShannon(this, layout, dt, p, q, out);
    }

    @Override
    public void rowStats(RowStatsCall call) {
        Objects.requireNonNull(call, "call");
        Layout layout = call.layout();
        RowStatsPass pass = new RowStatsPass(call, kernelsFor(layout));
        boolean share = shareable(call.logits(), call.targets().data(), call.stats(), call.indices());
        forRows(layout.rows(), layout.classes(), share, (from, to, w) -> pass.rows(from, to));
    }
}
