package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.actors.persist.Namespace.Created;
import dev.writebackd.actors.persist.Namespace.FileCreated;
import dev.writebackd.actors.persist.Namespace.FileRenamed;
import dev.writebackd.actors.persist.Namespace.FileUnlinked;
import dev.writebackd.actors.persist.Namespace.Listing;
import dev.writebackd.actors.persist.Namespace.Renamed;
import dev.writebackd.actors.persist.Namespace.State;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.Extent;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SerializationTest {
    @JUnit5TestKit
    final ActorTestKit testKit = ActorTestKit.create();

    static Stream<CborSerializable> persisted() {
        return Stream.of(
                new FileCreated("a", 1),
                new FileUnlinked("a", 1),
                new FileRenamed("a", "b", 1, OptionalLong.of(2)),
                new FileRenamed("a", "b", 1, OptionalLong.empty()),
                new State(Map.of("a", 1L, "\u20AC", 2L), 3),
                new Created("a", 1, true),
                new Renamed("a", "b", 1, OptionalLong.of(2)),
                new Listing(new TreeMap<>(Map.of("a", 1L, "b", 2L))),
                new FileRecord.MetadataCommitted(8192, List.of(new Extent(0, 10, 2)), List.of(new Extent(5, 3, 1))),
                new FileRecord.FileDeleted(List.of(new Extent(0, 10, 2), new Extent(9, 40, 7))),
                new FileRecord.State(8192, List.of(new Extent(0, 10, 2)), false),
                new FileRecord.State(0, List.of(), true),
                new FileRecord.Committed(8192, 2));
    }

    @ParameterizedTest
    @MethodSource("persisted")
    void eventsStatesAndRepliesTravelAsCbor(CborSerializable value) {
        assertThat(roundTrip(value)).isEqualTo(value);
    }

    @Test
    void anErrorReplyKeepsItsErrnoAcrossTheWire() {
        StatusReply<Created> reply = StatusReply.error(new FileError(Errno.ENOENT, "no such file: a"));

        StatusReply<?> back = (StatusReply<?>) roundTrip(reply);

        assertThat(back.getError()).isInstanceOfSatisfying(FileError.class, error -> {
            assertThat(error.errno()).isEqualTo(Errno.ENOENT);
            assertThat(error.detail()).isEqualTo("no such file: a");
        });
    }

    private Object roundTrip(Object value) {
        Serialization serialization = SerializationExtension.get(testKit.system());
        Serializer serializer = serialization.findSerializerFor(value);
        if (value instanceof CborSerializable) {
            assertThat(serializer.getClass().getSimpleName()).isEqualTo("JacksonCborSerializer");
        }
        byte[] bytes = serializer.toBinary(value);
        return serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, value)).get();
    }
}
