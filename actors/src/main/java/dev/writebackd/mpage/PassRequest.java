package dev.writebackd.mpage;

/** Stand-in for the writeback request until the shared request and reply types land. */
record PassRequest(boolean syncAll, long nrToWrite, long rangeStart, long rangeEnd, boolean cyclic,
        boolean background, boolean tagged) {}
