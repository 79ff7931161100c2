package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.actors.persist.Namespace.Command;
import dev.writebackd.actors.persist.Namespace.Create;
import dev.writebackd.actors.persist.Namespace.Created;
import java.time.Duration;
import java.util.List;
import java.util.stream.LongStream;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An entity stashes the commands that arrive while it persists; what does not fit is dropped.
 * Commands fired without waiting for answers, up to the outstanding bound callers keep, must all
 * be answered. The stash does not depend on the journal, so these run on Pekko's in-memory test
 * journal (events and snapshots still serialized), with the engine's reference.conf for the rest;
 * JournalTest and KillRecoveryTest cover the H2 journal.
 */
class StashCapacityTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private ActorTestKit testKit;
    private PersistenceSettings settings;

    @BeforeEach
    void start() {
        testKit = ActorTestKit.create("stash", EventSourcedBehaviorTestKit.config());
        settings = PersistenceSettings.fromConfig(testKit.system().settings().config());
    }

    @AfterEach
    void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void everyCommandOfAFullOutstandingWindowIsAnswered() {
        int window = settings.maxOutstandingCommands();
        assertThat(window).isGreaterThanOrEqualTo(10_000);
        ActorRef<Command> namespace = testKit.spawn(Namespace.create("dev0", settings));
        TestProbe<StatusReply<Created>> replies = testKit.createTestProbe();

        for (int i = 0; i < window; i++) {
            namespace.tell(new Create(String.format("f%05d", i), replies.ref()));
        }
        List<StatusReply<Created>> answers = replies.receiveSeveralMessages(window, TIMEOUT);

        assertThat(answers).allMatch(StatusReply::isSuccess);
        assertThat(answers.stream().mapToLong(answer -> answer.getValue().inode()).sorted().toArray())
                .containsExactly(LongStream.rangeClosed(1, window).toArray());
    }

    @Test
    void aStashSmallerThanTheCommandsInFlightDropsCommands() {
        PersistenceSettings small = new PersistenceSettings(settings.snapshotEvery(), settings.keepSnapshots(),
                settings.minBackoff(), settings.maxBackoff(), settings.randomFactor(), 64, 64);
        TestProbe<Dropped> dropped = testKit.createTestProbe();
        testKit.system().eventStream().tell(new EventStream.Subscribe<>(Dropped.class, dropped.ref()));
        // The subscription is asynchronous: see a marker come through before causing real drops.
        Dropped marker = new Dropped("marker", "subscription check", org.apache.pekko.actor.ActorRef.noSender(),
                org.apache.pekko.actor.ActorRef.noSender());
        testKit.system().eventStream().tell(new EventStream.Publish<>(marker));
        assertThat(dropped.receiveMessage(TIMEOUT).reason()).isEqualTo("subscription check");
        ActorRef<Command> namespace = testKit.spawn(Namespace.create("dev1", small));
        TestProbe<StatusReply<Created>> replies = testKit.createTestProbe();

        for (int i = 0; i < 200; i++) {
            namespace.tell(new Create("f" + i, replies.ref()));
        }

        Dropped drop = dropped.receiveMessage(TIMEOUT);
        assertThat(drop.reason()).contains("Stash buffer is full");
        assertThat(drop.message().toString()).contains("Create[");
    }
}
