package io.switchyard.controlplane.api;

import io.switchyard.config.ConfigException;
import io.switchyard.config.Violation;

import java.util.List;
import java.util.Map;

/**
 * A request the API refuses, carrying everything of its problem+json answer (RFC 9457):
 * {@code type}, {@code title}, {@code status}, {@code detail}, {@code errors[]} with {@code field}
 * and {@code message}, plus optional extension members.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String title;
    private final List<Violation> errors;
    private final Map<String, Object> extensions;

    public ApiException(int status, String type, String title, String detail, List<Violation> errors, Map<String, Object> extensions) {
        super(detail, null, false, false);
        this.status = status;
        this.type = type;
        this.title = title;
        this.errors = List.copyOf(errors);
        this.extensions = extensions == null ? Map.of() : Map.copyOf(extensions);
    }

    public ApiException(int status, String type, String title, String detail) {
        this(status, type, title, detail, List.of(), null);
    }

    /** 400: the body (or a parameter) failed validation; one error per bad field. */
    public static ApiException invalid(List<Violation> errors) {
        String detail = errors.size() == 1 ? errors.get(0).toString() : errors.size() + " fields are invalid: "
                + String.join("; ", errors.stream().map(Violation::toString).toList());
        return new ApiException(400, "invalid-request", "Invalid request", detail, errors, null);
    }

    public static ApiException invalid(ConfigException e) {
        return invalid(e.violations());
    }

    public static ApiException invalid(String field, String message) {
        return invalid(List.of(new Violation(field, message)));
    }

    public static ApiException notFound(String detail) {
        return new ApiException(404, "not-found", "Not found", detail);
    }

    public static ApiException conflict(String detail, List<Violation> errors) {
        return new ApiException(409, "conflict", "Conflict", detail, errors, null);
    }

    public static ApiException preconditionFailed(String detail) {
        return new ApiException(412, "precondition-failed", "Precondition failed", detail);
    }

    public static ApiException unprocessable(String detail, List<Violation> errors) {
        return new ApiException(422, "unprocessable", "Unprocessable", detail, errors, null);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    public List<Violation> errors() {
        return errors;
    }

    public Map<String, Object> extensions() {
        return extensions;
    }
}
