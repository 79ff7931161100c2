package dev.writebackd.layout;

import dev.writebackd.block.Bio;

/**
 * What the data path needs from the metadata buffer cache (device blocks holding ext2 map blocks):
 * alias cleaning (B8) and boundary-block writes (B7). Thread-safe: the cache is shared per device.
 */
public interface MetadataBuffers {

    /**
     * B8: block {@code block} was just mapped to a file's data; forget any cached metadata buffer of
     * it so it can never later overwrite the data.
     *
     * @return {@code true} if the buffer has a write in flight that the caller must wait for before
     *     writing the data block; {@code false} if nothing is pending
     */
    boolean cleanAlias(long block);

    /**
     * B7: if the cached metadata buffer of block {@code block} is dirty, marks it clean and under
     * write, and returns the write bio for it; otherwise {@code null}.
     */
    Bio writeIfDirty(long block);

    /** The engine's answer for a metadata write issued by {@link #writeIfDirty}: ends its write. */
    void writeCompleted(long block, boolean ok);

    /** No metadata at all: the extent layout, or tests. */
    MetadataBuffers NONE = new MetadataBuffers() {
        @Override
        public boolean cleanAlias(long block) {
            return false;
        }

        @Override
        public Bio writeIfDirty(long block) {
            return null;
        }

        @Override
        public void writeCompleted(long block, boolean ok) {}
    };
}
