package io.switchyard.config;

/**
 * One immutable, numbered version of the whole configuration: what the control plane stores, what
 * it pushes to every node, and what a node keeps in its state directory. Version 0 is reserved for
 * a document that did not come from a control plane (a {@code --config} file).
 */
public record Snapshot(long version, Config config) {
    public Snapshot {
        if (version < 0) throw new ConfigException("version", version + " (expected: >= 0)");
        if (config == null) throw new ConfigException("config", "null (expected: a config document)");
    }
}
