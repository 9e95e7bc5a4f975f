package io.switchyard.launcher.node;

import io.switchyard.config.ConfigCodec;
import io.switchyard.config.Snapshot;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.channels.FileChannel;
import java.util.Optional;

/**
 * A node's last applied snapshot on disk, so a restarted node serves it when the control plane is
 * away. Written atomically (temp file, fsync, rename): a crash leaves either the old file or the new
 * one, never half of one. The file holds private keys, so it is readable by its owner only.
 */
public final class StateDir {
    static final String FILE = "snapshot.json";
    private final Path dir;

    public StateDir(Path dir) {
        this.dir = dir;
    }

    public Path file() {
        return dir.resolve(FILE);
    }

    /** The cached snapshot; empty when there is none. @throws IllegalStateException when it exists but is unreadable */
    public Optional<Snapshot> load() {
        Path f = file();
        if (!Files.exists(f)) return Optional.empty();
        try {
            return Optional.of(ConfigCodec.readSnapshot(Files.readAllBytes(f)));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot read cached snapshot " + f + ": " + e.getMessage());
        }
    }

    /** Writes and renames in one go. */
    public void save(Snapshot snapshot) throws IOException {
        commit(stage(snapshot));
    }

    /**
     * First half of a save: the snapshot written and fsynced to a temp file beside the real one. Split
     * from {@link #commit} so the write can run while the data plane compiles the same snapshot.
     */
    public Path stage(Snapshot snapshot) throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".snapshot-", ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // Not a POSIX file system: the directory's own permissions have to do.
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(ConfigCodec.writeBytes(snapshot)));
                ch.force(true);
            }
            return tmp;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** Second half: the staged file atomically becomes the cached snapshot. */
    public void commit(Path staged) throws IOException {
        try {
            Files.move(staged, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(staged, file(), StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(staged);
        }
    }

    /** A staged file that will not be committed (its snapshot was rejected). */
    public static void discard(Path staged) {
        try {
            Files.deleteIfExists(staged);
        } catch (IOException ignored) {
            // a stray temp file; the next stage in this directory does not depend on it
        }
    }
}
