package dev.writebackd.actors.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.actors.engine.CompletionActor.EndedWrite;
import dev.writebackd.actors.engine.CompletionActor.Flushed;
import dev.writebackd.actors.engine.CompletionActor.WritesEnded;
import dev.writebackd.actors.engine.FailedWritePolicy.Action;
import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.actors.io.BioResult;
import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.Segment;
import dev.writebackd.config.ErrorPolicy;
import dev.writebackd.error.Errno;
import dev.writebackd.mpage.Errseq;
import dev.writebackd.mpage.SubmittedBio;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class CompletionActorTest {
    private static final ActorTestKit testKit = ActorTestKit.create();
    private static final Duration QUIET = Duration.ofMillis(200);

    @AfterAll
    static void shutDown() {
        testKit.shutdownTestKit();
    }

    /** A completion actor whose bio actor is a probe: the test answers the submits itself. */
    private static final class Rig {
        final TestProbe<BioDispatcher.Command> bios = testKit.createTestProbe();
        final Errseq device = new Errseq();
        final ActorRef<CompletionActor.Command> completions;

        Rig(ErrorPolicy policy) {
            completions = testKit.spawn(CompletionActor.create(bios.ref(), device, InodeFixture.policy(policy)));
        }

        TestProbe<WritesEnded> register(long inode, Errseq errseq) {
            TestProbe<WritesEnded> probe = testKit.createTestProbe();
            completions.tell(new CompletionActor.Register(inode, errseq, probe.ref()));
            return probe;
        }

        BioDispatcher.Submit submit(long inode, SubmittedBio... writes) {
            completions.tell(new CompletionActor.SubmitWrites(inode, List.of(writes)));
            return bios.expectMessageClass(BioDispatcher.Submit.class);
        }

        /** Completes {@code submit}'s bios as the bio actor would, each with its error. */
        void complete(BioDispatcher.Submit submit, Errno... errors) {
            List<BioResult> results = new ArrayList<>();
            for (int i = 0; i < submit.bios().size(); i++) {
                results.add(new BioResult(submit.bios().get(i), errors.length > i ? errors[i] : null));
            }
            submit.replyTo().tell(new BioDispatcher.Completed(results));
        }
    }

    private static SubmittedBio pages(long inode, long firstPage, int count) {
        List<Segment> segments = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            segments.add(Segment.ofPage(ByteBuffer.allocate(4096), firstPage + i, i));
        }
        return SubmittedBio.pages(new Bio(BioOp.WRITE, 8 * (firstPage + 1), segments, Set.of(BioFlag.BACKGROUND),
                inode), 0);
    }

    private static SubmittedBio buffer(long inode, long page) {
        Bio bio = new Bio(BioOp.WRITE, 8 * (page + 1), List.of(Segment.ofPage(ByteBuffer.allocate(1024), page, 0)),
                Set.of(), inode);
        return SubmittedBio.buffer(bio, 0);
    }

    @Test
    @DisplayName("E2 a failed bio is recorded in its file's errseq and the device's; each inode gets one batch")
    void failedBioIsRecordedForTheFileAndTheDevice() {
        Rig rig = new Rig(ErrorPolicy.LINUX);
        Errseq fileA = new Errseq();
        Errseq fileB = new Errseq();
        TestProbe<WritesEnded> a = rig.register(1, fileA);
        TestProbe<WritesEnded> b = rig.register(2, fileB);
        SubmittedBio a1 = pages(1, 0, 2);
        SubmittedBio a2 = pages(1, 10, 1);
        SubmittedBio b1 = pages(2, 0, 1);

        BioDispatcher.Submit submitA = rig.submit(1, a1, a2);
        BioDispatcher.Submit submitB = rig.submit(2, b1);
        List<BioResult> batch = List.of(new BioResult(a1.bio(), Errno.ENOSPC), new BioResult(a2.bio(), null),
                new BioResult(b1.bio(), null));
        submitA.replyTo().tell(new BioDispatcher.Completed(batch));

        WritesEnded endedA = a.receiveMessage();
        assertThat(endedA.writes()).extracting(EndedWrite::bio).containsExactly(a1, a2);
        assertThat(endedA.writes().get(0).error()).isEqualTo(Errno.ENOSPC);
        assertThat(endedA.writes().get(0).verdicts()).extracting(FailedWritePolicy.Verdict::page).containsExactly(0L, 1L);
        assertThat(endedA.writes().get(1).verdicts()).isEmpty();
        assertThat(b.receiveMessage().writes()).extracting(EndedWrite::bio).containsExactly(b1);
        a.expectNoMessage(QUIET);
        assertThat(Errseq.errnoOf(fileA.current())).isEqualTo(Errno.ENOSPC);
        assertThat(fileB.current()).isZero();
        assertThat(Errseq.errnoOf(rig.device.current())).isEqualTo(Errno.ENOSPC);
        assertThat(submitB.bios()).containsExactly(b1.bio());
    }

    @Test
    @DisplayName("B4 a failed buffer write is recorded as EIO whatever the device said")
    void failedBufferWriteIsRecordedAsEio() {
        Rig rig = new Rig(ErrorPolicy.LINUX);
        Errseq file = new Errseq();
        TestProbe<WritesEnded> inode = rig.register(1, file);

        rig.complete(rig.submit(1, buffer(1, 3)), Errno.ENOSPC);

        assertThat(inode.receiveMessage().writes().get(0).verdicts()).singleElement()
                .satisfies(v -> assertThat(v.error()).isEqualTo(Errno.EIO));
        assertThat(Errseq.errnoOf(file.current())).isEqualTo(Errno.EIO);
    }

    @Test
    @DisplayName("E5 verdicts per policy: linux drops the page, sticky holds it, redirty retries it with a growing backoff")
    void verdictsFollowThePolicy() {
        assertThat(verdict(ErrorPolicy.LINUX, 1).action()).isEqualTo(Action.DROP);
        assertThat(verdict(ErrorPolicy.STICKY, 1).action()).isEqualTo(Action.HOLD);
        List<FailedWritePolicy.Verdict> redirty = verdicts(ErrorPolicy.REDIRTY, 3);
        assertThat(redirty).extracting(FailedWritePolicy.Verdict::action)
                .containsExactly(Action.RETRY, Action.RETRY, Action.DROP); // retry limit 2
        assertThat(redirty.get(0).retryAfter()).isEqualTo(Duration.ofMillis(100));
        assertThat(redirty.get(1).retryAfter()).isEqualTo(Duration.ofMillis(200));
    }

    private static FailedWritePolicy.Verdict verdict(ErrorPolicy policy, int failures) {
        return verdicts(policy, failures).get(failures - 1);
    }

    private static List<FailedWritePolicy.Verdict> verdicts(ErrorPolicy policy, int failures) {
        Rig rig = new Rig(policy);
        TestProbe<WritesEnded> inode = rig.register(1, new Errseq());
        List<FailedWritePolicy.Verdict> verdicts = new ArrayList<>();
        for (int i = 0; i < failures; i++) {
            rig.complete(rig.submit(1, pages(1, 5, 1)), Errno.EIO);
            verdicts.addAll(inode.receiveMessage().writes().get(0).verdicts());
        }
        return verdicts;
    }

    @Test
    void completionsOfAnUnregisteredInodeAreDropped() {
        Rig rig = new Rig(ErrorPolicy.LINUX);
        TestProbe<WritesEnded> inode = rig.register(1, new Errseq());
        BioDispatcher.Submit submit = rig.submit(1, pages(1, 0, 1));
        rig.completions.tell(new CompletionActor.Unregister(1));

        rig.complete(submit, Errno.EIO);

        inode.expectNoMessage(QUIET);
        assertThat(Errseq.errnoOf(rig.device.current())).isEqualTo(Errno.EIO);
    }

    @Test
    void flushRequestsArrivingWhileOneIsInFlightShareTheNextFlush() {
        Rig rig = new Rig(ErrorPolicy.LINUX);
        TestProbe<Flushed> first = testKit.createTestProbe();
        TestProbe<Flushed> second = testKit.createTestProbe();
        TestProbe<Flushed> third = testKit.createTestProbe();

        rig.completions.tell(new CompletionActor.RequestFlush(first.ref()));
        BioDispatcher.Submit flush1 = rig.bios.expectMessageClass(BioDispatcher.Submit.class);
        rig.completions.tell(new CompletionActor.RequestFlush(second.ref()));
        rig.completions.tell(new CompletionActor.RequestFlush(third.ref()));
        rig.bios.expectNoMessage(QUIET);
        rig.complete(flush1);

        assertThat(first.receiveMessage().error()).isNull();
        second.expectNoMessage(QUIET);
        BioDispatcher.Submit flush2 = rig.bios.expectMessageClass(BioDispatcher.Submit.class);
        assertThat(flush2.bios()).singleElement().satisfies(b -> assertThat(b.op()).isEqualTo(BioOp.FLUSH));
        rig.complete(flush2, Errno.EIO);
        assertThat(second.receiveMessage().error()).isEqualTo(Errno.EIO);
        assertThat(third.receiveMessage().error()).isEqualTo(Errno.EIO);
        assertThat(Errseq.errnoOf(rig.device.current())).isEqualTo(Errno.EIO);
    }

    @Test
    void statsCountCompletedBiosPagesAndErrors() {
        Rig rig = new Rig(ErrorPolicy.LINUX);
        rig.register(1, new Errseq());
        rig.complete(rig.submit(1, pages(1, 0, 3), pages(1, 10, 2)), null, Errno.EIO);
        TestProbe<CompletionActor.Stats> stats = testKit.createTestProbe();

        rig.completions.tell(new CompletionActor.GetStats(stats.ref()));

        assertThat(stats.receiveMessage()).isEqualTo(new CompletionActor.Stats(2, 3, 1, 0));
    }
}
