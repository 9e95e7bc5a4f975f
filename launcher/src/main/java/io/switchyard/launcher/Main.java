package io.switchyard.launcher;

/** Entry point of dist/switchyard.jar. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.err.println("switchyard: not implemented yet");
        System.exit(2);
    }
}
