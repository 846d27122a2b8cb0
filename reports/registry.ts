import { jsonRenderer } from './json';
import { terminalRenderer } from './terminal';
import { htmlRenderer } from './html';
import { markdownRenderer } from './markdown';
import type { Renderer } from './types';

/** Every output format, by its command-line name. */
export const RENDERERS: Readonly<Record<string, Renderer>> = {
  [terminalRenderer.name]: terminalRenderer,
  [jsonRenderer.name]: jsonRenderer,
  [htmlRenderer.name]: htmlRenderer,
  [markdownRenderer.name]: markdownRenderer,
};

/** The renderer for a format name, or undefined. */
export function getRenderer(name: string): Renderer | undefined {
  return Object.prototype.hasOwnProperty.call(RENDERERS, name) ? RENDERERS[name] : undefined;
}

export type { Renderer, RenderOptions } from './types';
