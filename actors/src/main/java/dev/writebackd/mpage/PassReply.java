package dev.writebackd.mpage;

import dev.writebackd.error.Errno;

/** Stand-in for the writeback reply until the shared request and reply types land. */
record PassReply(long pagesWritten, long nrToWriteLeft, long pagesSkipped, boolean stillDirty, Errno firstError) {}
