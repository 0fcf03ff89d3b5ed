package dev.xent.cli.bench;

import java.util.Map;

/**
 * One JMH result reduced to what the table needs: benchmark class (simple name) and method, its
 * parameters, and the time in milliseconds per operation: the median of the measured iterations,
 * with JMH's 99.9% error of their mean as the noise.
 */
public record Measurement(String benchClass, String method, Map<String, String> params, double ms, double error) {

    public String param(String name, String fallback) {
        String v = params.get(name);
        return v == null ? fallback : v;
    }
}
