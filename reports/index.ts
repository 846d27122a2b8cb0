export { RENDERERS, getRenderer } from './registry';
export type { Renderer, RenderOptions } from './types';
export { jsonRenderer } from './json';
export { terminalRenderer } from './terminal';
