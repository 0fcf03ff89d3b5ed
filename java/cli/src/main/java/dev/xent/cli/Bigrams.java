package dev.xent.cli;

/** Character pairs: {@code next[i]} followed {@code context[i]} in the text. */
record Bigrams(int[] context, int[] next) {

    Bigrams {
        if (context.length != next.length) throw new IllegalArgumentException("context and next differ in length");
    }

    int size() {
        return context.length;
    }

    /**
     * The mean cross-entropy of the best bigram model for these pairs, the empirical conditional
     * entropy H(next | context) in nats: a floor a trained model approaches on the same pairs.
     */
    double conditionalEntropy(int vocabularySize) {
        long[] pair = new long[vocabularySize * vocabularySize];
        long[] single = new long[vocabularySize];
        for (int i = 0; i < size(); i++) {
            pair[context[i] * vocabularySize + next[i]]++;
            single[context[i]]++;
        }
        double h = 0;
        for (int a = 0; a < vocabularySize; a++) {
            for (int b = 0; b < vocabularySize; b++) {
                long n = pair[a * vocabularySize + b];
                if (n > 0) h -= n * Math.log((double) n / single[a]);
            }
        }
        return h / size();
    }
}
