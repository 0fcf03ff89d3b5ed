package dev.xent.cli;

/** Adam (Kingma and Ba, 2015) over one flat parameter array, with bias correction. */
final class Adam {
    private final float learningRate;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float[] m;
    private final float[] v;
    private int t;

    Adam(int size, float learningRate) {
        this(size, learningRate, 0.9f, 0.999f, 1e-8f);
    }

    Adam(int size, float learningRate, float beta1, float beta2, float epsilon) {
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.m = new float[size];
        this.v = new float[size];
    }

    /** One update of {@code params} along {@code grads}. */
    void step(float[] params, float[] grads) {
        t++;
        double c1 = 1 - Math.pow(beta1, t);
        double c2 = 1 - Math.pow(beta2, t);
        float stepSize = (float) (learningRate * Math.sqrt(c2) / c1);
        for (int i = 0; i < params.length; i++) {
            float g = grads[i];
            m[i] = beta1 * m[i] + (1 - beta1) * g;
            v[i] = beta2 * v[i] + (1 - beta2) * g * g;
            params[i] -= stepSize * m[i] / ((float) Math.sqrt(v[i]) + epsilon);
        }
    }
}
