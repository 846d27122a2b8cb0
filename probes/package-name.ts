/**
 * The npm package a file path or script URL belongs to (`sequelize`, `@scope/name`), from its last node_modules
 * segment; null outside node_modules.
 */
export function packageOf(file: string): string | null {
  const i = file.lastIndexOf('/node_modules/');
  if (i < 0) return null;
  const m = /^(@[^/]+\/[^/]+|[^/]+)/.exec(file.slice(i + '/node_modules/'.length));
  return m ? m[1]! : null;
}
