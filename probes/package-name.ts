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

/**
 * Packages of the database and FTP clients whose calls the probes time: CPU inside them belongs to those calls
 * (inside their spans), never to the job function or the library that called them.
 */
export const IO_CLIENT_PACKAGES: readonly string[] = ['pg', 'pg-protocol', 'pg-pool', 'pg-cursor', 'pg-query-stream', 'pg-copy-streams', 'mysql2', 'mysql', 'postgres', 'basic-ftp', 'ftp', 'ssh2', 'ssh2-sftp-client'];
