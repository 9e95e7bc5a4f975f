package io.switchyard.controlplane.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.config.Certificate;
import io.switchyard.config.Config;
import io.switchyard.config.ConfigMapper;
import io.switchyard.config.Route;
import io.switchyard.config.Upstream;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * What changed between two configuration documents, entity by entity: names added, removed, and
 * changed (with the top-level fields that differ). Private keys are compared but never shown:
 * a changed key appears only as the field name {@code key_pem}. Immutable.
 *
 * @param upstreams    upstream changes
 * @param routes       route changes
 * @param certificates certificate changes
 * @param timeouts     the global timeout fields that differ (empty when equal)
 * @param settings     the other global fields that differ, such as {@code max_tunnels} (empty when equal)
 */
public record ConfigDiff(EntityChanges upstreams, EntityChanges routes, EntityChanges certificates, List<String> timeouts,
                         List<String> settings) {
    private static final ObjectMapper MAPPER = ConfigMapper.mapper();
    private static final int SUMMARY_ITEMS = 6;

    /** Changes of one kind of entity. */
    public record EntityChanges(List<String> added, List<String> removed, List<Changed> changed) {
    }

    /** One entity present on both sides with different content. */
    public record Changed(String name, List<String> fields) {
    }

    public static ConfigDiff between(Config from, Config to) {
        return new ConfigDiff(
                entities(from.upstreams(), to.upstreams(), Upstream::name),
                entities(from.routes(), to.routes(), Route::name),
                entities(from.certificates(), to.certificates(), Certificate::name),
                fields(MAPPER.valueToTree(from.timeouts()), MAPPER.valueToTree(to.timeouts())),
                fields(GlobalSettings.of(from), GlobalSettings.of(to)));
    }

    /**
     * One line for the history list, e.g. {@code added upstream chat; changed route ws (hosts)} or
     * {@code changed settings (max_tunnels, trusted_proxies)}.
     */
    public String summary() {
        List<String> items = new ArrayList<>();
        describe(items, "upstream", upstreams);
        describe(items, "route", routes);
        describe(items, "certificate", certificates);
        if (!timeouts.isEmpty()) items.add("changed timeouts (" + String.join(", ", timeouts) + ")");
        if (!settings.isEmpty()) items.add("changed settings (" + String.join(", ", settings) + ")");
        if (items.isEmpty()) return "no change";
        if (items.size() <= SUMMARY_ITEMS) return String.join("; ", items);
        return String.join("; ", items.subList(0, SUMMARY_ITEMS)) + "; and " + (items.size() - SUMMARY_ITEMS) + " more";
    }

    private static void describe(List<String> items, String kind, EntityChanges c) {
        for (String n : c.added()) items.add("added " + kind + " " + n);
        for (Changed ch : c.changed()) items.add("changed " + kind + " " + ch.name() + " (" + String.join(", ", ch.fields()) + ")");
        for (String n : c.removed()) items.add("removed " + kind + " " + n);
    }

    private static <T> EntityChanges entities(List<T> from, List<T> to, Function<T, String> name) {
        Map<String, T> before = new LinkedHashMap<>();
        for (T t : from) before.put(name.apply(t), t);
        Map<String, T> after = new LinkedHashMap<>();
        for (T t : to) after.put(name.apply(t), t);
        List<String> added = new ArrayList<>();
        List<Changed> changed = new ArrayList<>();
        for (Map.Entry<String, T> e : after.entrySet()) {
            T old = before.get(e.getKey());
            if (old == null) {
                added.add(e.getKey());
            } else if (!old.equals(e.getValue())) {
                changed.add(new Changed(e.getKey(), fields(MAPPER.valueToTree(old), MAPPER.valueToTree(e.getValue()))));
            }
        }
        List<String> removed = before.keySet().stream().filter(n -> !after.containsKey(n)).toList();
        return new EntityChanges(List.copyOf(added), removed, List.copyOf(changed));
    }

    private static List<String> fields(JsonNode a, JsonNode b) {
        Set<String> names = new LinkedHashSet<>();
        for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) names.add(it.next());
        for (Iterator<String> it = b.fieldNames(); it.hasNext(); ) names.add(it.next());
        List<String> out = new ArrayList<>();
        for (String n : names) if (!Objects.equals(a.get(n), b.get(n))) out.add(n);
        return List.copyOf(out);
    }
}
