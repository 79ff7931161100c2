package dev.writebackd.actors.persist;

import java.nio.file.Path;

/**
 * The ext2 kill test's writer: {@link EngineWriterMain}'s workload on an engine with the
 * {@code ext2} layout on a file device of {@link Ext2KillTest#BLOCK}-byte blocks. Prints what
 * {@link EngineWriterMain} prints.
 */
public final class Ext2WriterMain {
    private Ext2WriterMain() {}

    public static void main(String[] args) {
        EngineWriterMain.run(Path.of(args[0]), Ext2KillTest.BLOCK, Ext2KillTest.settings(), Path.of(args[1]),
                Long.parseLong(args[2]));
    }
}
