package dev.xent.engine.jvm;

import dev.xent.BinaryCrossEntropy;
import dev.xent.DenseTensor;
import dev.xent.Logits;
import dev.xent.Targets;
import dev.xent.Xent;
import java.util.Random;

/**
 * Run by {@link VectorizationTest} in a fresh JVM: one cross-entropy, one element-wise and one
 * distillation call on {@link JavaEngine#create()}, printing the mode, the probe's reason and
 * the losses' bits.
 */
final class ScalarPathMain {
    private ScalarPathMain() {}

    /** Heap fp32 inputs of the kinds each vector loop would take: contiguous rows, plain BCE. */
    static float[] losses(JavaEngine e) {
        int n = 5, c = 3001;
        Random rnd = new Random(7);
        float[] z = new float[n * c], q = new float[n * c];
        int[] y = new int[n];
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) (3 * rnd.nextGaussian());
            q[i] = (float) (3 * rnd.nextGaussian());
        }
        for (int r = 0; r < n; r++) y[r] = rnd.nextInt(c);
        float[] t = new float[z.length];
        for (int i = 0; i < t.length; i++) t[i] = rnd.nextFloat();
        Xent x = Xent.of(e);
        float ce = x.crossEntropy().forwardBackward(Logits.of(z, n, c), Targets.classes(y), Logits.of(new float[n * c], n, c)).value();
        float bce = x.binaryCrossEntropy().forward(DenseTensor.of(z, n, c), DenseTensor.of(t, n, c)).value();
        float kd = x.distillation().forward(Logits.of(z, n, c), Logits.of(q, n, c)).value();
        return new float[] {ce, bce, kd};
    }

    public static void main(String[] args) {
        JavaEngine e = JavaEngine.create();
        System.out.println("mode " + e.mode());
        System.out.println("reason " + JavaEngine.vectorSupport());
        StringBuilder bits = new StringBuilder("losses");
        for (float v : losses(e)) bits.append(' ').append(Integer.toHexString(Float.floatToIntBits(v)));
        System.out.println(bits);
    }
}
