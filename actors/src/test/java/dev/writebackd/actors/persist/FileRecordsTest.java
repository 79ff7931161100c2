package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.layout.Extent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
class FileRecordsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @JUnit5TestKit
    final ActorTestKit testKit = ActorTestKit.create(EventSourcedBehaviorTestKit.config());

    @Test
    void eachInodeReachesItsOwnRecordAndReadAllAnswersThemSortedByInode() throws Exception {
        ActorRef<FileRecords.Command> records = testKit.spawn(
                FileRecords.create("dev0", PersistenceSettings.fromConfig(testKit.system().settings().config())));
        TestProbe<StatusReply<FileRecord.Committed>> committed = testKit.createTestProbe();
        records.tell(new FileRecords.Deliver(2, new FileRecord.Commit(4096, List.of(new Extent(0, 7, 1)), List.of(),
                committed.ref())));
        assertThat(committed.receiveMessage(TIMEOUT).isSuccess()).isTrue();

        Map<Long, FileRecord.State> states = FileRecords.readAll(records, List.of(3L, 2L), TIMEOUT, testKit.scheduler())
                .toCompletableFuture().get();

        assertThat(states).containsExactly(
                Map.entry(2L, new FileRecord.State(4096, List.of(new Extent(0, 7, 1)), false)),
                Map.entry(3L, new FileRecord.State(0, List.of(), false)));
    }

    @Test
    void aNegativeInodeIsRefusedAtTheSender() {
        TestProbe<FileRecord.State> probe = testKit.createTestProbe();

        assertThatThrownBy(() -> new FileRecords.Deliver(-1, new FileRecord.Get(probe.ref())))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
