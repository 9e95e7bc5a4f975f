package io.switchyard.launcher;

import picocli.CommandLine;

import java.time.Duration;

/** {@code 500ms}, {@code 10s}, {@code 2m}. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String v) {
        try {
            if (v.endsWith("ms")) return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            if (v.endsWith("s")) return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            if (v.endsWith("m")) return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw new CommandLine.TypeConversionException("\"" + v + "\" (expected: e.g. 500ms, 10s, 2m)");
    }
}
