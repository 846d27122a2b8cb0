/** What a command may touch: only the CLI receives these. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** How the CLI wants the process to end. */
export interface CliResult {
  exitCode: number;
  /** Re-raise this signal (the profiled command was killed by it). */
  signal?: NodeJS.Signals;
}
