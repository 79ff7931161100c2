package dev.writebackd.daemon.http;

import static dev.writebackd.daemon.http.Answers.answer;
import static dev.writebackd.daemon.http.Answers.methods;
import static dev.writebackd.daemon.http.Answers.noContent;
import static dev.writebackd.daemon.http.Answers.noQuery;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.put;

import dev.writebackd.actors.Engine;
import dev.writebackd.actors.FileInfo;
import dev.writebackd.actors.Handle;
import dev.writebackd.config.Durability;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The file routes: {@code /v1/handles…} (open, data, fsync, truncate, syncfs, close) and
 * {@code /v1/files…} (rename, the one-shot forms that open and close a handle per call, the
 * listing).
 */
final class DataRoutes {
    private final Answers answers;

    DataRoutes(Answers answers) {
        this.answers = answers;
    }

    Route route() {
        return concat(pathPrefix("handles", this::handles), pathPrefix("files", this::files));
    }

    // ---- /v1/handles -----------------------------------------------------------------------------

    private Route handles() {
        return concat(
                pathEnd(() -> methods(post(this::open))),
                pathPrefix(PathMatchers.segment(), this::handle));
    }

    private Route handle(String id) {
        return concat(
                pathEnd(() -> methods(delete(() -> noQuery(() -> noContent(answers.engine().close(answers.handle(id))))))),
                path("data", () -> methods(put(() -> writeRoute(false, id)), get(() -> readHandle(id)))),
                path("fsync", () -> methods(post(() -> noQuery(() -> noContent(answers.engine().fsync(answers.handle(id))))))),
                path("syncfs", () -> methods(post(() -> noQuery(() -> noContent(answers.engine().syncfs(answers.handle(id))))))),
                path("truncate", () -> methods(post(() -> truncate(id)))));
    }

    private Route readHandle(String id) {
        return parameterMap(params -> answer(() -> {
            Queries query = Queries.of(params, "offset", "length");
            long offset = query.required("offset");
            OptionalLong length = query.optional("length");
            return Download.read(answers.engine(), answers.handle(id), offset, length, () -> {});
        }));
    }

    private Route truncate(String id) {
        return parameterMap(params -> answer(() -> {
            long size = Queries.of(params, "size").required("size");
            return noContent(answers.engine().truncate(answers.handle(id), size));
        }));
    }

    private Route open() {
        return answers.withJson(Set.of("file", "create"), body -> {
            String name = Json.requiredString(body, "file");
            boolean create = Json.optionalBoolean(body, "create", false);
            return answers.engine().open(name, create).thenApply(handle -> Json.response(StatusCodes.CREATED,
                    Json.object("handle", handle.id(), "inode", handle.inode())));
        });
    }

    /**
     * PUT data: the whole body received within the limit, then written at {@code offset} of the
     * handle {@code target}, or — one-shot ({@code oneShot}) — of the file named {@code target},
     * opened (created if need be) and closed around the write. Bad parameters and an unknown
     * handle are refused before the body is read.
     */
    private Route writeRoute(boolean oneShot, String target) {
        return parameterMap(params -> {
            long offset;
            Durability durability;
            Engine engine;
            Handle handle;
            try {
                Queries query = Queries.of(params, "offset", "durability");
                offset = oneShot ? query.optional("offset").orElse(0) : query.required("offset");
                durability = query.durability().orElse(null);
                engine = answers.engine();
                handle = oneShot ? null : answers.handle(target);
            } catch (RuntimeException e) {
                return answer(() -> CompletableFuture.failedFuture(e));
            }
            return answers.withData(upload -> {
                CompletionStage<Long> written = oneShot
                        ? withHandle(engine, target, true, opened -> upload.writeTo(engine, opened, offset, durability))
                        : upload.writeTo(engine, handle, offset, durability);
                return written.thenApply(n -> Json.response(StatusCodes.OK, Json.object("written", n)));
            });
        });
    }

    // ---- /v1/files -------------------------------------------------------------------------------

    private Route files() {
        return concat(
                pathEnd(() -> methods(get(() -> noQuery(() -> answers.engine().files()
                        .thenApply(files -> Json.response(StatusCodes.OK, Json.object("files", listing(files)))))))),
                pathPrefix(PathMatchers.segment(), this::file));
    }

    private Route file(String name) {
        return concat(
                pathEnd(() -> methods(
                        put(() -> writeRoute(true, name)),
                        get(() -> readFile(name)),
                        delete(() -> noQuery(() -> noContent(answers.engine().unlink(name)))))),
                path("fsync", () -> methods(post(() -> noQuery(() -> {
                    Engine engine = answers.engine();
                    return noContent(withHandle(engine, name, false, engine::fsync));
                })))),
                path("rename", () -> methods(post(() -> answers.withJson(Set.of("to"), body ->
                        noContent(answers.engine().rename(name, Json.requiredString(body, "to"))))))));
    }

    private Route readFile(String name) {
        return parameterMap(params -> answer(() -> {
            Queries query = Queries.of(params, "offset", "length");
            long offset = query.optional("offset").orElse(0);
            OptionalLong length = query.optional("length");
            Engine engine = answers.engine();
            return engine.open(name, false).thenCompose(handle -> Download.read(engine, handle, offset, length,
                    () -> engine.close(handle)));
        }));
    }

    private static List<Map<String, Object>> listing(List<FileInfo> files) {
        return files.stream().map(file -> Json.object("name", file.name(), "inode", file.inode(), "size", file.size()))
                .toList();
    }

    /** Opens {@code name}, runs {@code action} with the handle, closes it whatever happened. */
    private static <T> CompletionStage<T> withHandle(Engine engine, String name, boolean create,
            Function<Handle, CompletionStage<T>> action) {
        return engine.open(name, create).thenCompose(handle -> {
            CompletionStage<T> result;
            try {
                result = action.apply(handle);
            } catch (RuntimeException e) {
                result = CompletableFuture.failedFuture(e);
            }
            return result.handle((value, failure) -> engine.close(handle).handle((closed, closeFailure) -> {
                if (failure != null) {
                    throw new CompletionException(ApiErrors.unwrap(failure));
                }
                return value;
            })).thenCompose(stage -> stage);
        });
    }
}
