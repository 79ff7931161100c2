package dev.writebackd.mpage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.error.Errno;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class WritePagesContractTest {

    @Test
    @DisplayName("C1 a cyclic request ignores its range: it is normalised to the whole file")
    void cyclicNormalisesRange() {
        WritePagesRequest r = new WritePagesRequest(SyncMode.NONE, 1024, 5, 9, true, WritebackReason.BACKGROUND, false);

        assertThat(r.rangeStart()).isZero();
        assertThat(r.rangeEnd()).isEqualTo(WritePagesRequest.WHOLE_FILE_END);
        assertThat(r.isWholeRange()).as("cyclic is not range_whole").isFalse();
    }

    @Test
    @DisplayName("C6 a non-cyclic request from 0 to the end of the file is a whole-range call")
    void wholeRange() {
        assertThat(WritePagesRequest.syncAll(WritebackReason.FSYNC).isWholeRange()).isTrue();
        assertThat(new WritePagesRequest(SyncMode.ALL, 10, 0, 99, false, WritebackReason.FSYNC, false).isWholeRange())
                .isFalse();
    }

    @Test
    @DisplayName("C2 sync mode and tagged calls visit only TOWRITE pages")
    void tagging() {
        WritePagesRequest fsync = WritePagesRequest.syncAll(WritebackReason.FSYNC);
        assertThat(fsync.mode()).isEqualTo(SyncMode.ALL);
        assertThat(fsync.nrToWrite()).isEqualTo(WritePagesRequest.UNLIMITED);
        assertThat(fsync.tagsToWrite()).isTrue();
        assertThat(new WritePagesRequest(SyncMode.NONE, 1, 0, 0, true, WritebackReason.SYNC, true).tagsToWrite()).isTrue();
        assertThat(new WritePagesRequest(SyncMode.NONE, 1, 0, 0, true, WritebackReason.SYNC, false).tagsToWrite())
                .isFalse();
    }

    @Test
    @DisplayName("W6 only background and periodic WB_SYNC_NONE calls are background writeback")
    void backgroundFlag() {
        assertThat(new WritePagesRequest(SyncMode.NONE, 1, 0, 0, true, WritebackReason.PERIODIC, false).isBackground())
                .isTrue();
        assertThat(new WritePagesRequest(SyncMode.NONE, 1, 0, 0, true, WritebackReason.BACKGROUND, false)
                .isBackground()).isTrue();
        assertThat(new WritePagesRequest(SyncMode.NONE, 1, 0, 0, true, WritebackReason.SYNC, false).isBackground())
                .isFalse();
        assertThat(WritePagesRequest.syncAll(WritebackReason.BACKGROUND).isBackground()).isFalse();
    }

    @Test
    @DisplayName("C5 pages consumed are nrToWrite minus nrToWriteLeft, never negative")
    void consumed() {
        WritePagesRequest chunk = new WritePagesRequest(SyncMode.NONE, 1024, 0, 0, true, WritebackReason.BACKGROUND, false);

        assertThat(new WritePagesReply(1000, 24, 0, true, null).pagesConsumed(chunk)).isEqualTo(1000);
        assertThat(new WritePagesReply(1024, 0, 0, true, null).pagesConsumed(chunk)).isEqualTo(1024);
        assertThat(new WritePagesReply(0, 2000, 0, true, null).pagesConsumed(chunk)).isZero();
        assertThat(new WritePagesReply(7, WritePagesRequest.UNLIMITED - 7, 0, false, null)
                .pagesConsumed(WritePagesRequest.syncAll(WritebackReason.FSYNC))).isEqualTo(7);
        assertThat(new WritePagesReply(0, 0, 0, false, Errno.EIO).firstError()).isEqualTo(Errno.EIO);
    }

    @Test
    @DisplayName("C1 bad ranges and counts are refused")
    void invalid() {
        assertThatThrownBy(() -> new WritePagesRequest(SyncMode.NONE, 1, 5, 4, false, WritebackReason.SYNC, false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WritePagesRequest(SyncMode.NONE, 1, -1, 4, false, WritebackReason.SYNC, false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WritePagesRequest(null, 1, 0, 4, false, WritebackReason.SYNC, false))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new WritePagesReply(-1, 0, 0, false, null)).isInstanceOf(IllegalArgumentException.class);
    }
}
