package io.switchyard.routing;

/**
 * A request path with no single meaning (see {@link RequestPaths#normalize}): the proxy answers 400
 * rather than guess how the upstream will read it. Carries no stack trace, since hostile clients can
 * make the proxy throw it at will and the reason alone says everything.
 */
public final class BadPathException extends RuntimeException {
    private final String reason;

    public BadPathException(String reason) {
        super(reason, null, false, false);
        this.reason = reason;
    }

    /** A short one-line reason, fit for a 400 body, e.g. {@code "encoded '/' in path"}. */
    public String reason() {
        return reason;
    }
}
