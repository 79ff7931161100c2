package dev.writebackd.actors;

/**
 * An engine's counters at one moment.
 *
 * @param dirtyPages pages dirty
 * @param writebackPages pages under writeback
 * @param heldPages pages held after failed writes ({@code sticky})
 * @param cachedPages pages in the cache
 * @param backgroundThresholdPages dirty pages at which background writeback starts (T1)
 * @param dirtyThresholdPages dirty pages at which writers wait (T1)
 * @param biosSubmitted bios handed to the device since start
 * @param pagesWritten pages written back by multi-page bios since start
 * @param writeErrors write bios that failed since start
 * @param throttledWriters writes answered late, not answered yet
 * @param openHandles handles open
 * @param activeFiles files with an active actor
 * @param periodicPasses periodic writeback passes (expired inodes) ended since start
 * @param backgroundPasses background writeback passes (over the background threshold) ended since start
 * @param commitRounds metadata commit rounds since start (each a device flush, then the commits)
 * @param periodicCommits commit rounds the commit interval started
 * @param filesCommitted file metadata commits made by the rounds
 */
public record EngineStats(long dirtyPages, long writebackPages, long heldPages, long cachedPages,
        long backgroundThresholdPages, long dirtyThresholdPages, long biosSubmitted, long pagesWritten,
        long writeErrors, long throttledWriters, int openHandles, int activeFiles, long periodicPasses,
        long backgroundPasses, long commitRounds, long periodicCommits, long filesCommitted) {}
