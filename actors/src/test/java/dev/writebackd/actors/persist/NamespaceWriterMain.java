package dev.writebackd.actors.persist;

import com.typesafe.config.Config;
import dev.writebackd.actors.persist.Namespace.Command;
import dev.writebackd.actors.persist.Namespace.Create;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The child JVM of {@link KillRecoveryTest}: creates names in the namespace of a data directory
 * and prints each one, as {@code ACK <name>}, only after the namespace acknowledged it. The first
 * create is followed by a {@link JournalSync} and the line {@code SYNCED}; then creates run with
 * {@value #WINDOW} in flight until the process is killed.
 *
 * <p>Arguments: data directory, name prefix, number of names.
 */
public final class NamespaceWriterMain {
    static final String DEVICE = "dev0";
    static final String ACK = "ACK ";
    static final String SYNCED = "SYNCED";
    static final String DONE = "DONE";
    private static final int WINDOW = 64;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private NamespaceWriterMain() {}

    /** Names are the prefix and a seven-digit number, so a line cut short by the kill never parses. */
    static String name(String prefix, int i) {
        return String.format("%s-%07d", prefix, i);
    }

    public static void main(String[] args) throws Exception {
        Path dataDir = Path.of(args[0]);
        String prefix = args[1];
        int count = Integer.parseInt(args[2]);
        PrintStream out = System.out;

        Config config = PersistenceConfig.prepare(dataDir);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "writer", config);
        ActorRef<Command> namespace = system.systemActorOf(
                Namespace.create(DEVICE, PersistenceSettings.fromConfig(config)), "namespace", Props.empty());

        String first = name(prefix, 0);
        create(system, namespace, first).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        out.println(ACK + first);
        new JournalSync(JournalDatabase.fromConfig(config)).force();
        out.println(SYNCED);

        Semaphore window = new Semaphore(WINDOW);
        for (int i = 1; i < count; i++) {
            window.acquire();
            String name = name(prefix, i);
            create(system, namespace, name).whenComplete((created, failure) -> {
                out.println(failure == null ? ACK + name : "FAILED " + name + ": " + failure);
                window.release();
            });
        }
        window.acquire(WINDOW);
        out.println(DONE);
        system.terminate();
    }

    private static CompletionStage<Namespace.Created> create(
            ActorSystem<Void> system, ActorRef<Command> namespace, String name) {
        return AskPattern.askWithStatus(namespace, replyTo -> new Create(name, replyTo), TIMEOUT, system.scheduler());
    }
}
