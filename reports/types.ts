import type { Report } from '../src/model/report';

/** Options every renderer accepts. */
export interface RenderOptions {
  /** Use ANSI colours (terminal only). Default false. */
  color?: boolean;
  /** Terminal width in columns. Default 100. */
  width?: number;
}

/** A renderer turns the report model into one format. It formats; it never computes. */
export interface Renderer {
  /** Format name used on the command line (`--format`). */
  name: string;
  /** File extension for this format. */
  extension: string;
  render(report: Report, options?: RenderOptions): string;
}
