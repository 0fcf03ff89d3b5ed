package dev.xent;

/**
 * Float64 reference of the element-wise losses, written from the definitions (negative
 * log-likelihoods of Bernoulli, Gaussian, Laplace and Poisson distributions) for clarity, not
 * from the library's formulas. Each method returns {loss, d loss/d input, d loss/d spread,
 * loss magnitude, input-gradient magnitude, spread-gradient magnitude}: the magnitudes are sums of
 * the absolute values of each quantity's terms, the scale an fp32 computation is accurate to.
 */
final class ElementwiseReference {
    private ElementwiseReference() {}

    /** log sigmoid(x), stable for any finite x. */
    static double logSigmoid(double x) {
        return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** -w [pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]. */
    static double[] bce(double x, double y, double w, double pw) {
        double logP = logSigmoid(x), logQ = logSigmoid(-x);
        double loss = -w * (pw * y * logP + (1 - y) * logQ);
        double dx = -w * (pw * y * sigmoid(-x) - (1 - y) * sigmoid(x)); // 1 - sigmoid(x) = sigmoid(-x)
        double mag = Math.abs(w) * (Math.abs(pw * y * logP) + Math.abs((1 - y) * logQ) + Math.abs(x) * (1 - y));
        return new double[] {loss, dx, 0, mag, Math.abs(w) * (sigmoid(x) * Math.abs(1 + (pw - 1) * y) + Math.abs(pw * y)), 0};
    }

    /** -log N(t; x, v) with v = max(var, eps), without the constant unless full. */
    static double[] gaussian(double x, double t, double var, double eps, boolean full) {
        double v = Math.max(var, eps);
        double d = x - t;
        double loss = 0.5 * Math.log(v) + d * d / (2 * v) + (full ? 0.5 * Math.log(2 * Math.PI) : 0);
        double dx = d / v;
        double dv = 1 / (2 * v) - d * d / (2 * v * v);
        return new double[] {loss, dx, dv, Math.abs(0.5 * Math.log(v)) + d * d / (2 * v) + 1, Math.abs(dx), 1 / (2 * v) + d * d / (2 * v * v)};
    }

    /** -log Laplace(t; x, b) with b = max(scale, eps), without log 2 unless full. */
    static double[] laplace(double x, double t, double scale, double eps, boolean full) {
        double b = Math.max(scale, eps);
        double d = x - t;
        double loss = Math.log(b) + Math.abs(d) / b + (full ? Math.log(2) : 0);
        double dx = Math.signum(d) / b;
        double db = 1 / b - Math.abs(d) / (b * b);
        return new double[] {loss, dx, db, Math.abs(Math.log(b)) + Math.abs(d) / b + 1, 1 / b, 1 / b + Math.abs(d) / (b * b)};
    }

    /**
     * -log Poisson(t; rate) up to log(t!), rate = exp(x) (logInput) or x + eps in the log; full adds
     * Stirling's t log t - t + 0.5 log(2 pi t) for t > 1 (PyTorch's convention).
     */
    static double[] poisson(double x, double t, boolean logInput, double eps, boolean full) {
        double loss, dx, mag, dxMag;
        if (logInput) {
            double rate = Math.exp(x);
            loss = rate - t * x;
            dx = rate - t;
            mag = rate + Math.abs(t * x);
            dxMag = rate + t;
        } else {
            double logRate = Math.log(x + eps);
            loss = x - t * logRate;
            dx = 1 - t / (x + eps);
            mag = Math.abs(x) + Math.abs(t * logRate);
            dxMag = 1 + t / (x + eps);
        }
        if (full && t > 1) {
            double stirling = t * Math.log(t) - t + 0.5 * Math.log(2 * Math.PI * t);
            loss += stirling;
            mag += Math.abs(t * Math.log(t)) + t + Math.abs(0.5 * Math.log(2 * Math.PI * t));
        }
        return new double[] {loss, dx, 0, mag, dxMag, 0};
    }
}
