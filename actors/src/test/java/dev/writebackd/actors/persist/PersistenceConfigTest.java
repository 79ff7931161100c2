package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PersistenceConfigTest {
    @TempDir
    Path dataDir;

    @Test
    void theJournalIsAnH2FileInTheDataDirectoryWithWriteDelayZero() {
        Config config = PersistenceConfig.forDataDir(dataDir);

        String url = "jdbc:h2:file:" + dataDir.toAbsolutePath() + "/journal;WRITE_DELAY=0";
        assertThat(config.getString("writebackd.persistence.url")).isEqualTo(url);
        assertThat(config.getString("pekko-persistence-jdbc.shared-databases.writebackd.db.url")).isEqualTo(url);
        assertThat(JournalDatabase.fromConfig(config).url()).isEqualTo(url);
    }

    @Test
    void theEnginesSettingsWinOverPekkosDefaults() {
        Config config = PersistenceConfig.forDataDir(dataDir);

        assertThat(config.getString("pekko.persistence.journal.plugin")).isEqualTo("jdbc-journal");
        assertThat(config.getString("pekko.persistence.snapshot-store.plugin")).isEqualTo("jdbc-snapshot-store");
        assertThat(config.getString("jdbc-journal.use-shared-db")).isEqualTo("writebackd");
        assertThat(config.getString("jdbc-snapshot-store.use-shared-db")).isEqualTo("writebackd");
        assertThat(config.getInt("pekko.persistence.typed.stash-capacity")).isEqualTo(16384);
        assertThat(config.getString("pekko.actor.serialization-bindings.\"dev.writebackd.actors.persist.CborSerializable\""))
                .isEqualTo("jackson-cbor");
        PersistenceSettings settings = PersistenceSettings.fromConfig(config);
        assertThat(settings.maxOutstandingCommands()).isLessThanOrEqualTo(settings.stashCapacity());
    }

    @Test
    void overridesSitAboveTheDataDirectory() {
        Config config = PersistenceConfig.forDataDir(dataDir,
                ConfigFactory.parseString("writebackd.persistence { snapshot-every = 7, database-name = meta }"));

        assertThat(PersistenceSettings.fromConfig(config).snapshotEvery()).isEqualTo(7);
        assertThat(config.getString("writebackd.persistence.url")).endsWith(dataDir.toAbsolutePath() + "/meta;WRITE_DELAY=0");
    }

    @Test
    void anH2UrlWithoutWriteDelayZeroIsRefused() {
        Config unsafe = ConfigFactory.parseString("writebackd.persistence.url = \"jdbc:h2:file:/tmp/x/journal\"");

        assertThatThrownBy(() -> PersistenceConfig.forDataDir(dataDir, unsafe))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("WRITE_DELAY=0");
    }

    @Test
    void moreOutstandingCommandsThanTheStashHoldsIsRefused() {
        Config dropping = ConfigFactory.parseString("pekko.persistence.typed.stash-capacity = 100");

        assertThatThrownBy(() -> PersistenceConfig.forDataDir(dataDir, dropping))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max-outstanding-commands");
    }

    @Test
    void aDataDirectoryThatWouldBreakTheUrlIsRefused() {
        assertThatThrownBy(() -> PersistenceConfig.forDataDir(dataDir.resolve("a;b")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
