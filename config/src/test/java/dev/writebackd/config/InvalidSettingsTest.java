package dev.writebackd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InvalidSettingsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            # config under writebackd                                  | key under writebackd              | value        | allowed
            page-cache.page-size = 3000                                | page-cache.page-size              | 3000         | a power of two from 4096 to 65536
            page-cache.page-size = 6144                                | page-cache.page-size              | 6144         | a power of two from 4096 to 65536
            page-cache.page-size = 2048                                | page-cache.page-size              | 2048         | a power of two from 4096 to 65536
            page-cache.page-size = 131072                              | page-cache.page-size              | 131072       | a power of two from 4096 to 65536
            page-cache.page-size = big                                 | page-cache.page-size              | "big"        | an integer
            page-cache.cache-budget = 32 KiB                           | page-cache.cache-budget           | 32768        | at least 16 pages (65536 bytes)
            page-cache { page-size = 65536, cache-budget = 512 KiB }   | page-cache.cache-budget           | 524288       | at least 16 pages (1048576 bytes)
            page-cache.cache-budget = -1 GiB                           | page-cache.cache-budget           | "-1 GiB"     | a size of 0 or more bytes
            device.block-size = 3000                                   | device.block-size                 | 3000         | 512, 1024, 2048, 4096
            device { block-size = 8192 }, page-cache.page-size = 65536 | device.block-size                 | 8192         | 512, 1024, 2048, 4096
            device.size = 4097                                         | device.size                       | 4097         | a positive multiple of the block size (4096 bytes)
            device { block-size = 512, size = 1000 }                   | device.size                       | 1000         | a positive multiple of the block size (512 bytes)
            device.size = 0                                            | device.size                       | 0            | a positive multiple of the block size (4096 bytes)
            device.queue-depth = 0                                     | device.queue-depth                | 0            | an integer from 1 to 1024
            device.queue-depth = -3                                    | device.queue-depth                | -3           | an integer from 1 to 1024
            device.queue-depth = 1025                                  | device.queue-depth                | 1025         | an integer from 1 to 1024
            page-cache.pretouch = -1                                   | page-cache.pretouch               | -1           | a size of 0 or more bytes
            page-cache.pretouch = 2 GiB                                | page-cache.pretouch               | 2147483648   | 0 to the cache budget (1073741824 bytes)
            device.preallocate = maybe                                 | device.preallocate                | "maybe"      | true or false
            device.direct-io = sometimes                               | device.direct-io                  | "sometimes"  | true or false
            device.path = ""                                           | device.path                       | ""           | a non-empty path
            layout = zfs                                               | layout                            | "zfs"        | extent, ext2
            preset = turbo                                             | preset                            | "turbo"      | "" (none) or durable, fault-lab, kernel-default, laptop, low-latency, throughput
            writeback.dirty-ratio = 101                                | writeback.dirty-ratio             | 101          | a percentage from 0 to 100
            writeback.dirty-background-ratio = -1                      | writeback.dirty-background-ratio  | -1           | a percentage from 0 to 100
            writeback.dirty-background-ratio = 100.5                   | writeback.dirty-background-ratio  | 100.5        | a percentage from 0 to 100
            writeback.dirty-ratio = 0                                  | writeback.dirty-ratio             | 0            | a percentage above 0 while dirty-bytes is 0
            writeback.dirty-ratio = high                               | writeback.dirty-ratio             | "high"       | a number
            writeback.dirty-bytes = -1                                 | writeback.dirty-bytes             | -1           | a size of 0 or more bytes
            writeback.dirty-background-bytes = -4 KiB                  | writeback.dirty-background-bytes  | "-4 KiB"     | a size of 0 or more bytes
            writeback.dirty-expire-interval = -1 s                     | writeback.dirty-expire-interval   | -1 s         | a duration of 0 or more
            writeback.dirty-expire-interval = soon                     | writeback.dirty-expire-interval   | "soon"       | a duration such as 100 ms or 30 s
            writeback.writeback-interval = -5 s                        | writeback.writeback-interval      | -5 s         | a duration of 0 or more
            writeback.commit-interval = 0 s                            | writeback.commit-interval         | 0 s          | a duration above 0
            writeback.max-bio-segments = 0                             | writeback.max-bio-segments        | 0            | an integer from 1 to 256
            writeback.max-bio-segments = 257                           | writeback.max-bio-segments        | 257          | an integer from 1 to 256
            writeback.min-chunk = 5000                                 | writeback.min-chunk               | 5000         | a positive multiple of the page size (4096 bytes)
            writeback.min-chunk = 0                                    | writeback.min-chunk               | 0            | more than 0 bytes
            page-cache.page-size = 8192, writeback.min-chunk = 12 KiB  | writeback.min-chunk               | 12288        | a positive multiple of the page size (8192 bytes)
            writeback.error-policy = retry                             | writeback.error-policy            | "retry"      | linux, redirty, sticky
            writeback.durability = fsync                               | writeback.durability              | "fsync"      | cached, journaled, synced
            writeback.retry-limit = -1                                 | writeback.retry-limit             | -1           | an integer of 0 or more
            writeback.retry-limit = 2.5                                | writeback.retry-limit             | 2.5          | an integer
            device.queue-depth = 10000000000                           | device.queue-depth                | 10000000000  | an integer
            writeback.redirty-backoff-initial = 0 ms                   | writeback.redirty-backoff-initial | 0 s          | a duration above 0
            writeback.redirty-backoff-max = 50 ms                      | writeback.redirty-backoff-max     | 50 ms        | a duration of at least redirty-backoff-initial (100 ms)
            readahead.max-window = 1000                                | readahead.max-window              | 1000         | a positive multiple of the page size (4096 bytes)
            readahead.max-window = 0                                   | readahead.max-window              | 0            | more than 0 bytes
            readahead { max-window = { pages = 32 } }                  | readahead.max-window              | {"pages":32} | a size of 0 or more bytes
            """)
    void invalidValueNamesKeyValueAndWhatIsAllowed(String userConfig, String relativeKey, String value, String allowed) {
        String key = "writebackd." + relativeKey;
        SettingsException e = catchThrowableOfType(SettingsException.class,
                () -> Settings.load(ConfigFactory.parseString("writebackd { " + userConfig + " }")));

        assertThat(e).hasMessageStartingWith(key + " = " + value + " is invalid: allowed " + allowed);
        assertThat(e.key()).isEqualTo(key);
        assertThat(e.value()).isEqualTo(value);
        assertThat(e.allowed()).startsWith(allowed);
    }
}
