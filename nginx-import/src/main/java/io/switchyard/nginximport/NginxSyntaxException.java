package io.switchyard.nginximport;

import java.nio.file.Path;

/** A configuration nginx itself would refuse to read, with the file and line where reading stopped. */
public final class NginxSyntaxException extends RuntimeException {
    private final Path file;
    private final int line;

    public NginxSyntaxException(Path file, int line, String message) {
        super(message);
        this.file = file;
        this.line = line;
    }

    public Path file() {
        return file;
    }

    public int line() {
        return line;
    }
}
