/**
 * Detector thresholds, with units and reasons. Batch jobs tolerate what a web
 * request does not: these are per run, not per request.
 */
export interface Thresholds {
  /**
   * Fewest calls of one statement class before it is called an N+1 or a
   * row-by-row write. Default 20 calls: below that, batching saves under 20
   * round trips (a few ms on a LAN), not worth a code change.
   */
  minRepeatedCalls: number;
  /**
   * Least total time of a repeated class before it is reported, ms. Default
   * 100 ms: a batch run lasts seconds to hours; less is noise next to it.
   */
  minRepeatedTotalMs: number;
  /**
   * Most rows per call (mean) for a lookup to count as one-row-at-a-time.
   * Default 10 rows: a key lookup returns one row; a handful still gains from batching.
   */
  maxRowsPerLookup: number;
  /**
   * Keys per batched statement assumed by the saving model. Default 1000: large
   * enough to amortize the round trip, small enough for any server's packet
   * and parameter limits (PostgreSQL allows 65535 parameters; an array is one).
   */
  batchSize: number;
  /**
   * Server cost of one row in a batched statement, ms, when the run itself
   * gives no better figure. Default 0.01 ms (10 µs): a narrow row fetched by
   * index or inserted into a heap/InnoDB table on current hardware.
   */
  defaultPerRowMs: number;
  /**
   * Client-side cost of one statement that no server-side fix removes (network round trip, parse, bind,
   * protocol), ms, when the run gives no better figure. Default 0.2 ms: a round trip on loopback or a LAN
   * plus the extended-protocol messages.
   */
  defaultRoundTripMs: number;
  /** Fewest sequential FTP transfers before suggesting parallel streams. Default 3 files. */
  minSerialTransfers: number;
  /** Least union time of sequential transfers before reporting, ms. Default 200 ms. */
  minSerialTransferMs: number;
  /** Parallel streams suggested for FTP transfers. Default 4 (rclone's default --transfers). */
  ftpStreams: number;
  /**
   * Most writes per second of one progress row before they are called chatty, per second. Default 1: a
   * progress bar or dashboard is read by people; more than one refresh a second shows nothing new.
   */
  maxProgressWritesPerSecond: number;
  /**
   * Least estimated saving of a finding before it is reported, ms. Default 50 ms: less is within the
   * run-to-run spread of any real batch job, so nobody could see the fix work.
   */
  minSavingMs: number;
  /** Interval the chatty-progress fix writes at, ms. Default 1000 ms (the rate above). */
  progressIntervalMs: number;
  /**
   * Least time attributed to one function of the job in the CPU profile before it is reported, ms. Default
   * 200 ms: twenty 10 ms samples, enough to name it reliably, and a saving a batch run notices.
   */
  minHotFunctionMs: number;
  /**
   * Least share of the run's wall time attributed to one function before it is reported, 0..1. Default 0.05:
   * by Amdahl's law a function under 5% of the run cannot save more than 5%, rarely worth a code change.
   */
  minHotFunctionShare: number;
  /**
   * Most statements per connect (mean) for the run to count as connecting per query. Default 2: a pooled
   * job issues hundreds per connection; one or two means a new connection each time.
   */
  maxQueriesPerConnection: number;
  /** Most writes per COMMIT (mean) for a commit per row. Default 2 writes: a row and maybe its audit row. */
  maxWritesPerSmallTransaction: number;
  /** Most files per FTP login (mean) for a login per file. Default 1.25 files: one login per file, allowing some retries. */
  maxFilesPerFtpConnection: number;
  /**
   * Least size of a transfer for its throughput to count, bytes. Default 256 KiB: smaller transfers measure
   * command round trips and data-connection set-up, not bandwidth.
   */
  minTransferBytesForThroughput: number;
  /**
   * How many times slower than the run's 90th-percentile throughput on the same server a transfer must be to
   * count as stalled. Default 4: beyond the spread of TCP slow start and disk caching on one link.
   */
  slowTransferFactor: number;
  /** Least text data sent by FTP before compression is suggested, bytes. Default 1 MiB: below it the round trips dominate. */
  minCompressibleBytes: number;
  /** Longest wait between a failed call and the next one for it to count as a retry, ms. Default 60000 ms (back-off loops wait seconds). */
  maxRetryGapMs: number;
  /** Error rate of a call from which the finding also carries a data-loss risk, 0..1. Default 0.01 (1%). */
  minErrorRateRisk: number;
  /**
   * Least share of the wall time in GC pauses before GC pressure is reported, 0..1. Default 0.1: V8's own
   * scavenges cost a few percent in any allocating program; 10% means the allocation pattern is the problem.
   */
  minGcShare: number;
  /**
   * Longest event-loop stall before it is reported, ms. Default 1000 ms: keep-alives, lock waits and other
   * tasks' timers notice seconds, not milliseconds, in a batch job.
   */
  maxEventLoopBlockMs: number;
  /** Least duration of a statement for the overlap check of independent queries, ms. Default 200 ms: shorter ones save little run in parallel. */
  minOverlapQueryMs: number;
  /**
   * Longest gap between two queries for the second to be treated as not using the first's rows, ms.
   * Default 5 ms: too little time to process a large result.
   */
  maxIndependentGapMs: number;
  /** Least share of a stage's time in its main category for the stage to count as bound by it, 0..1. Default 0.5. */
  minStageDominance: number;
  /**
   * Most rows one SELECT call may return before it counts as read whole into memory. Default 100000 rows:
   * as JS objects that is tens to hundreds of MiB of heap at once.
   */
  largeResultRows: number;
  /**
   * Share of V8's heap limit (0..1) a process's peak heap may reach before it is a risk. Default 0.7: past it V8
   * runs full collections ever more often to make room (GC time climbs), and an input a half larger would not fit.
   */
  heapNearLimitShare: number;
  /**
   * Growth of a process's memory floor over its run, bytes, from which steady accumulation across records is reported.
   * Default 32 MiB: twice V8's default semi-space (16 MiB on 64-bit), the most garbage one young-generation cycle
   * can hold above what is live, so a smaller rise of the floor can be garbage not yet collected.
   */
  minAccumulationBytes: number;
  /**
   * How well a straight line must fit the floors (R², 0..1) to call the growth steady. Default 0.85: memory kept per
   * record climbs linearly with the records; one large read is a step (R² ~0.5-0.75 over ten bins), the GC's saw-tooth
   * leaves the floors scattered.
   */
  minAccumulationFit: number;
  /**
   * Size of a transferred file, bytes, from which holding it whole in memory is reported. Default 16 MiB: one
   * semi-space of V8's young generation (16 MiB on 64-bit), the swing the heap makes between two scavenges without
   * any file held, so a smaller file's growth cannot be told from garbage.
   */
  minHeldFileBytes: number;
}

/** The defaults documented on each field of {@link Thresholds}. */
export const DEFAULT_THRESHOLDS: Thresholds = {
  minRepeatedCalls: 20,
  minRepeatedTotalMs: 100,
  maxRowsPerLookup: 10,
  batchSize: 1000,
  defaultPerRowMs: 0.01,
  defaultRoundTripMs: 0.2,
  minSerialTransfers: 3,
  minSerialTransferMs: 200,
  ftpStreams: 4,
  maxProgressWritesPerSecond: 1,
  minSavingMs: 50,
  progressIntervalMs: 1000,
  minHotFunctionMs: 200,
  minHotFunctionShare: 0.05,
  maxQueriesPerConnection: 2,
  maxWritesPerSmallTransaction: 2,
  maxFilesPerFtpConnection: 1.25,
  minTransferBytesForThroughput: 262_144,
  slowTransferFactor: 4,
  minCompressibleBytes: 1_048_576,
  maxRetryGapMs: 60_000,
  minErrorRateRisk: 0.01,
  minGcShare: 0.1,
  maxEventLoopBlockMs: 1000,
  minOverlapQueryMs: 200,
  maxIndependentGapMs: 5,
  minStageDominance: 0.5,
  largeResultRows: 100_000,
  heapNearLimitShare: 0.7,
  minAccumulationBytes: 32 * 1048576,
  minAccumulationFit: 0.85,
  minHeldFileBytes: 16 * 1048576,
};
