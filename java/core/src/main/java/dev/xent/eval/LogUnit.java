package dev.xent.eval;

/** Unit of a log-likelihood: natural log (nats) or log base 2 (bits = nats / ln 2). */
public enum LogUnit {
    NATS(1.0),
    BITS(1.0 / Math.log(2.0));

    private final double perNat;

    LogUnit(double perNat) {
        this.perNat = perNat;
    }

    /** A quantity in nats expressed in this unit. */
    public double fromNats(double nats) {
        return nats * perNat;
    }
}
