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
};
