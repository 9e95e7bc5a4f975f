package io.switchyard.controlplane.api;

import io.javalin.http.Context;
import io.javalin.router.JavalinDefaultRouting;
import io.switchyard.config.Certificate;
import io.switchyard.config.Config;
import io.switchyard.config.ConfigException;
import io.switchyard.config.Route;
import io.switchyard.config.Upstream;
import io.switchyard.config.Violation;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.switchyard.controlplane.api.Http.entity;
import static io.switchyard.controlplane.api.Http.enc;
import static io.switchyard.controlplane.api.Http.json;
import static io.switchyard.controlplane.api.Http.parse;

/**
 * One named collection of the document (upstreams, routes, certificates) served the same way:
 * {@code GET/POST /{path}} and {@code GET/PUT/DELETE /{path}/{name}}, with 201 and {@code Location}
 * on create, 409 for a name that exists, 404 for one that does not, {@code If-Match} on the entity's
 * ETag, and one new version per write. What differs per kind is data: how an entity is stored and
 * shown, what an accepted entity becomes, and what forbids a delete. Immutable; thread-safe.
 *
 * @param <T> the entity type
 */
final class NamedCollection<T> {
    /** What an incoming entity becomes when stored (e.g. a certificate keeps its stored key). */
    @FunctionalInterface
    interface Accept<T> {
        /** @param stored the entity of the same name it replaces, or null on create */
        T accept(T incoming, T stored, Instant now);
    }

    /** Refuses (with an {@link ApiException}) to delete the entity {@code name} from {@code config}. */
    @FunctionalInterface
    interface DeleteCheck {
        void check(Config config, String name);
    }

    private final String kind;
    private final String path;
    private final Class<T> type;
    private final Function<T, String> name;
    private final Function<Config, List<T>> list;
    private final BiFunction<Config, List<T>, Config> with;
    private final Function<T, Object> stored;
    private final BiFunction<T, Instant, Object> shown;
    private final Accept<T> accept;
    private final DeleteCheck deleteCheck;
    private final Pattern fieldPrefix;

    private NamedCollection(String kind, String path, Class<T> type, Function<T, String> name, Function<Config, List<T>> list,
                            BiFunction<Config, List<T>, Config> with, Function<T, Object> stored, BiFunction<T, Instant, Object> shown,
                            Accept<T> accept, DeleteCheck deleteCheck) {
        this.kind = kind;
        this.path = path;
        this.type = type;
        this.name = name;
        this.list = list;
        this.with = with;
        this.stored = stored;
        this.shown = shown;
        this.accept = accept;
        this.deleteCheck = deleteCheck;
        this.fieldPrefix = Pattern.compile("^" + path + "\\[\\d+]\\.?");
    }

    /** Upstreams: stored and shown as given; one that a route uses cannot be deleted. */
    static NamedCollection<Upstream> upstreams() {
        return new NamedCollection<>("upstream", "upstreams", Upstream.class, Upstream::name, Config::upstreams, Config::withUpstreams,
                u -> u, (u, now) -> u, (in, old, now) -> in, (config, n) -> {
            List<String> users = config.routes().stream().filter(r -> r.upstream().equals(n)).map(Route::name).toList();
            if (!users.isEmpty())
                throw ApiException.conflict("upstream " + n + " is used by route" + (users.size() > 1 ? "s " : " ")
                        + String.join(", ", users) + "; change or delete those routes first", List.of());
        });
    }

    /** Routes: stored and shown as given. */
    static NamedCollection<Route> routes() {
        return new NamedCollection<>("route", "routes", Route.class, Route::name, Config::routes, Config::withRoutes,
                r -> r, (r, now) -> r, (in, old, now) -> in, (config, n) -> { });
    }

    /**
     * Certificates: tagged without their key, shown as {@link CertificateView} (what was read from the
     * chain, never the key), and accepted by {@link Certificates#accept}.
     */
    static NamedCollection<Certificate> certificates() {
        return new NamedCollection<>("certificate", "certificates", Certificate.class, Certificate::name, Config::certificates,
                Config::withCertificates, Certificate::redacted, CertificateView::of,
                (in, old, now) -> Certificates.accept(in, old, now, ""), (config, n) -> { });
    }

    /** Registers the five endpoints under {@code base}. */
    void register(JavalinDefaultRouting r, String base, VersionedStore store, Clock clock) {
        String collection = base + "/" + path;
        r.get(collection, ctx -> {
            Instant now = clock.instant();
            json(ctx, list.apply(store.read(ctx).config()).stream().map(t -> shown.apply(t, now)).toList());
        });
        r.post(collection, ctx -> create(ctx, collection, store, clock.instant()));
        r.get(collection + "/{name}", ctx -> {
            T t = find(store.read(ctx).config(), ctx.pathParam("name"));
            entity(ctx, 200, stored.apply(t), shown.apply(t, clock.instant()));
        });
        r.put(collection + "/{name}", ctx -> replace(ctx, store, clock.instant()));
        r.delete(collection + "/{name}", ctx -> delete(ctx, store));
    }

    /** The entity {@code n} of {@code config}, or 404. */
    T find(Config config, String n) {
        for (T t : list.apply(config)) if (name.apply(t).equals(n)) return t;
        throw ApiException.notFound("no " + kind + " named " + n);
    }

    /** {@code config} with the entity of {@code t}'s name replaced by {@code t}. */
    Config replaced(Config config, T t) {
        String n = name.apply(t);
        return with.apply(config, list.apply(config).stream().map(x -> name.apply(x).equals(n) ? t : x).toList());
    }

    private void create(Context ctx, String collection, VersionedStore store, Instant now) {
        T incoming = parse(ctx, type, null);
        String n = name.apply(incoming);
        var w = store.write(ctx, null, (version, before) -> {
            if (list.apply(before).stream().anyMatch(x -> name.apply(x).equals(n)))
                throw ApiException.conflict(kind + " " + n + " already exists", List.of(new Violation("name", "\"" + n + "\" (already exists)")));
            T t = accept.accept(incoming, null, now);
            List<T> added = new ArrayList<>(list.apply(before));
            added.add(t);
            return rebuild(() -> with.apply(before, added));
        });
        T saved = find(w.after(), n);
        ctx.header("Location", collection + "/" + enc(n));
        entity(ctx, 201, stored.apply(saved), shown.apply(saved, now));
    }

    private void replace(Context ctx, VersionedStore store, Instant now) {
        String n = ctx.pathParam("name");
        T incoming = parse(ctx, type, n);
        String ifMatch = ctx.header("If-Match");
        var w = store.write(ctx, null, (version, before) -> {
            T old = find(before, n);
            Preconditions.checkEntity(ifMatch, stored.apply(old));
            T t = accept.accept(incoming, old, now);
            return rebuild(() -> replaced(before, t));
        });
        T saved = find(w.after(), n);
        entity(ctx, 200, stored.apply(saved), shown.apply(saved, now));
    }

    private void delete(Context ctx, VersionedStore store) {
        String n = ctx.pathParam("name");
        String ifMatch = ctx.header("If-Match");
        store.write(ctx, null, (version, before) -> {
            Preconditions.checkEntity(ifMatch, stored.apply(find(before, n)));
            deleteCheck.check(before, n);
            return with.apply(before, list.apply(before).stream().filter(x -> !name.apply(x).equals(n)).toList());
        });
        ctx.status(204);
    }

    /**
     * Builds the next document; a cross-reference failure such as {@code routes[3].upstream} is
     * reported under the entity's own field name ({@code upstream}), since only this entity changed.
     */
    private Config rebuild(java.util.function.Supplier<Config> build) {
        try {
            return build.get();
        } catch (ConfigException e) {
            List<Violation> out = new ArrayList<>();
            for (Violation v : e.violations()) {
                Matcher m = fieldPrefix.matcher(v.field());
                out.add(m.find() ? new Violation(v.field().substring(m.end()), v.message()) : v);
            }
            throw ApiException.invalid(out);
        }
    }
}
