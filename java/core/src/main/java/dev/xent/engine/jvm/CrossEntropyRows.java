package dev.xent.engine.jvm;

import static dev.xent.engine.jvm.RowPasses.gradRow;
import static dev.xent.engine.jvm.RowPasses.scaleRow;
import static dev.xent.engine.jvm.RowPasses.scaleRowInto;
import static dev.xent.engine.jvm.RowPasses.stats;
import static dev.xent.engine.jvm.RowPasses.zeroRow;

import dev.xent.DType;
import dev.xent.Layout;
import dev.xent.Reduction;
import dev.xent.Targets;
import dev.xent.engine.CrossEntropyCall;
import dev.xent.engine.Pass;
import dev.xent.engine.jvm.RowScheduler.Scratch;
import java.lang.foreign.MemorySegment;

/**
 * Cross-entropy on the Java engine, one instance per call holding what its rows share. Each row
 * takes the {@link RowPasses} tile passes. For an fp32 gradient the exponentials go straight into
 * the gradient buffer together with each tile's running max, and a last pass rescales them into
 * the gradient: each logit is read once from memory, each gradient written once, one exp per
 * element. A 16-bit gradient gets the same treatment through the thread's fp32 scratch row (kept
 * in L2) that the last pass rounds into the gradient. Losses are taken as {@code (m - z_y) + log s}
 * in double per row and reduced in double in row order.
 */
final class CrossEntropyRows {
    /**
     * Runs the call: {@code kernels} take the layout's rows, {@code contiguous} the contiguous fp32
     * scratch rows of the logit scale and soft-cap.
     */
    static void run(RowScheduler scheduler, Kernels kernels, Kernels contiguous, CrossEntropyCall call) {
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
        Labels.checkWeights(weight, classes);
        if (weight != null) {
            weightSum = 0;
            for (long k = 0; k < classes; k++) weightSum += Elem.getF32(weight, k);
        }

        boolean hard = call.targets() instanceof Targets.ClassIndices;
        double denominator;
        if (call.reduction() != Reduction.MEAN) {
            denominator = 1;
        } else if (hard) {
            denominator = Labels.meanDenominator((Targets.ClassIndices) call.targets(), rows, classes, call.ignoreIndex(), weight);
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
        CrossEntropyRows ctx = new CrossEntropyRows(call, weight, (float) weightSum, denominator, lossOut, zLossOut);
        MemorySegment targetData = hard ? ((Targets.ClassIndices) call.targets()).data()
                : ((Targets.Probabilities) call.targets()).data();
        boolean share = RowScheduler.shareable(call.logits(), call.grad(), targetData, weight, call.upstream(), lossOut, zLossOut, call.lse());
        if (ctx.transformed) {
            // the transformed rows are fp32 and contiguous whatever the layout
            scheduler.forRows(rows, classes, share, (from, to, w) -> {
                for (long r = from; r < to; r++) ctx.transformedRow(kernels, contiguous, r, w);
            });
        } else {
            scheduler.forRows(rows, classes, share, (from, to, w) -> {
                for (long r = from; r < to; r++) ctx.row(kernels, r, w);
            });
        }

        MemorySegment reduced = call.reduced();
        if (reduced != null) {
            if (forward) {
                Elem.setF32(reduced, 0, RowScheduler.reduce(lossOut, rows, call.reduction(), denominator));
                if (reduced.byteSize() >= 3 * Float.BYTES) {
                    Elem.setF32(reduced, 2, zLossOut == null ? 0f : RowScheduler.reduce(zLossOut, rows, call.reduction(), denominator));
                }
            }
            Elem.setF32(reduced, 1, (float) denominator);
        }
    }

    private final Pass pass;
    private final Layout layout;
    private final Layout targetLayout;
    private final DType dt;
    private final long es;
    private final long cs;
    private final long classes;
    private final MemorySegment z;
    private final MemorySegment g;
    private final MemorySegment weight;
    private final float weightSum;
    private final Targets targets;
    private final long ignoreIndex;
    private final float eps;
    private final Reduction reduction;
    private final MemorySegment upstream;
    private final double denominator;
    private final MemorySegment rowLoss;
    private final MemorySegment lse;
    private final float scale;
    private final float cap;
    private final double zLoss;
    private final MemorySegment rowZLoss;
    /** A logit scale or soft-cap applies: rows go through {@link #transformedRow}. */
    private final boolean transformed;

    private CrossEntropyRows(CrossEntropyCall c, MemorySegment weight, float weightSum, double denominator, MemorySegment rowLoss,
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
    private void row(Kernels k, long r, Scratch w) {
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
    private void transformedRow(Kernels k, Kernels kf, long r, Scratch w) {
        long zb = layout.rowBase(r) * es;
        long step = cs * es;
        float[] zta = w.row(Scratch.ROW_LOGITS, classes);
        float[] chaina = w.row(Scratch.ROW_CHAIN, classes);
        for (long j = 0; j < classes; j += Kernels.TILE) {
            int n = (int) Math.min(Kernels.TILE, classes - j);
            k.transform(dt, z, zb + j * step, cs, n, scale, cap, zta, chaina, (int) j);
        }
        MemorySegment tt = null;
        if (targets instanceof Targets.Probabilities p) {
            float[] tta = w.row(Scratch.ROW_TARGETS, classes);
            tt = w.rowSegs[Scratch.ROW_TARGETS];
            long tb = targetLayout.rowBase(r) * es;
            for (int j = 0; j < classes; j++) tta[j] = Elem.get(dt, p.data(), tb + j * step);
        }
        MemorySegment zt = w.rowSegs[Scratch.ROW_LOGITS];
        float[] gta = pass == Pass.FORWARD ? null : w.row(Scratch.ROW_GRAD, classes);
        MemorySegment gt = gta == null ? null : w.rowSegs[Scratch.ROW_GRAD];
        if (tt == null) hardRow(kf, r, w, DType.F32, zt, 0, 1, gt);
        else softRow(kf, r, w, DType.F32, zt, 0, 1, gt, tt, 0);
        if (gt == null) return;
        for (long j = 0; j < classes; j += Kernels.TILE) {
            int n = (int) Math.min(Kernels.TILE, classes - j);
            k.chainInto(dt, gta, chaina, (int) j, g, zb + j * step, cs, n, w.tmp);
        }
    }

    /** lambda u lse^2 into the per-row z-loss (forward passes); returns it. */
    private double zLossOf(long r, double u, double rowLse) {
        if (zLoss == 0) return 0;
        double zl = u == 0 ? 0 : zLoss * u * rowLse * rowLse;
        if (rowZLoss != null) Elem.setF32(rowZLoss, r, (float) zl);
        return zl;
    }

    /** The z-loss's share of the coefficient of p in the gradient: 2 lambda u lse. */
    private double zLossCoef(double u, double rowLse) {
        return zLoss == 0 || u == 0 ? 0 : 2 * zLoss * u * rowLse;
    }

    /** s_i: the upstream gradient of this row's loss. */
    private double upstreamScale(long r) {
        double u = upstream == null ? 1 : Elem.getF32(upstream, reduction == Reduction.NONE ? r : 0);
        return reduction == Reduction.MEAN ? u / denominator : u;
    }

    private float w(long k) {
        return weight == null ? 1f : Elem.getF32(weight, k);
    }

    /**
     * One class-index row whose logits (dt, class stride cs) start at byte zb of z; the
     * gradient goes to g with the same type, stride and offset.
     */
    private void hardRow(Kernels k, long r, Scratch w, DType dt, MemorySegment z, long zb, long cs, MemorySegment g) {
        long es = dt.byteSize();
        long y = Labels.label((Targets.ClassIndices) targets, r);
        boolean ignored = y == ignoreIndex;
        if (!ignored) Labels.checkLabel(y, r, classes, ignoreIndex);
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
            stats(k, dt, z, zb, cs, classes, e, eb, smooth, weight, null, 0, 0f, 0f, w);
            m = w.m;
            logS = Math.log(w.s);
            Elem.setF32(lse, r, (float) (m + logS));
            double loss = 0;
            if (!ignored) {
                loss = (1 - eps) * wy * ((m - zy) + logS);
                if (smooth) loss += epsC * (weightSum * logS + w.acc[1]);  // sum_k w_k ((m - z_k) + log s)
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
    private void softRow(Kernels k, long r, Scratch w, DType dt, MemorySegment z, long zb, long cs, MemorySegment g,
            MemorySegment t, long tb) {
        long es = dt.byteSize();
        float c1 = 1 - eps;
        float c0 = eps / classes;
        double m;
        double logS;
        double tw;
        if (pass == Pass.BACKWARD) {
            m = Elem.getF32(lse, r);
            logS = 0;
            w.acc[0] = 0;
            w.acc[1] = 0;
            long step = cs * es;
            for (long j = 0; j < classes; j += Kernels.TILE) {
                int n = (int) Math.min(Kernels.TILE, classes - j);
                k.gapSums(dt, z, zb + j * step, cs, n, 0f, t, tb + j * step, c1, c0, weight, 4 * j, w.acc);  // only acc[0] counts
            }
            tw = w.acc[0];
        } else {
            stats(k, dt, z, zb, cs, classes, null, 0, true, weight, t, tb, c1, c0, w);
            m = w.m;
            logS = Math.log(w.s);
            tw = w.acc[0];
            Elem.setF32(lse, r, (float) (m + logS));
            // sum_k u_k ((m - z_k) + log s): both parts >= 0, so a confident, correct row stays >= 0 and exact
            double loss = tw * logS + w.acc[1] + zLossOf(r, 1, m + logS);
            Elem.setF32(rowLoss, r, (float) loss);
        }
        if (pass == Pass.FORWARD) return;
        double su = upstreamScale(r);
        float a = (float) (su * (tw + zLossCoef(1, m + logS)));
        float b1 = (float) (su * c1);
        float b0 = (float) (su * c0);
        long step = cs * es;
        for (long j = 0; j < classes; j += Kernels.TILE) {
            int n = (int) Math.min(Kernels.TILE, classes - j);
            k.gradTargets(dt, z, zb + j * step, g, zb + j * step, cs, n, (float) m, (float) logS, a, b1, b0,
                    t, tb + j * step, weight, 4 * j, w.tmp);
        }
    }
}
