import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { BatchDoctorError, SpawnError } from '../../errors';
import { startEmbeddedFtp, startEmbeddedPostgres, type EmbeddedServer } from '../../demo/embedded-servers';
import { commandHelp, DEMO, parseOptions } from '../options';
import type { CliIO, CliResult } from '../io';
import { profileCommand } from './profile';

/** The bundled sample pipeline (fixtures/pipelines/orders-export), relative to this file in dist/src/cli/commands. */
const SAMPLE_DIR = path.resolve(__dirname, '..', '..', '..', '..', 'fixtures', 'pipelines', 'orders-export');
/** Days exported against the embedded PostgreSQL (WebAssembly, slower than a server): a shorter run, the same findings. */
const EMBEDDED_EXPORT_DAYS = '7';

/**
 * `batch-doctor demo`: profiles the sample pipeline end to end and writes the HTML report. Servers named in the
 * environment (PGHOST, MYSQL_HOST, FTP_HOST, as the testbed's env.sh sets them) are used; without them it starts
 * PostgreSQL (PGlite) and an FTP server inside this process and skips the MySQL part, saying so.
 */
export async function demoCommand(args: string[], io: CliIO): Promise<CliResult> {
  const { values } = parseOptions(DEMO, args);
  if (values['help']) { io.stdout.write(commandHelp(DEMO)); return { exitCode: 0 }; }
  const started: EmbeddedServer[] = [];
  const env: NodeJS.ProcessEnv = { ...io.env };
  const say = (m: string) => io.stderr.write(`batch-doctor demo: ${m}\n`);
  try {
    if (io.env['PGHOST']) say(`PostgreSQL: ${io.env['PGHOST']}:${io.env['PGPORT'] ?? 5432} (from PGHOST)`);
    else {
      const pg = await startEmbeddedPostgres();
      started.push(pg);
      Object.assign(env, pg.env);
      env['EXPORT_DAYS'] ??= EMBEDDED_EXPORT_DAYS;
      say(`PostgreSQL: ${pg.label}`);
    }
    if (io.env['MYSQL_HOST']) say(`MySQL/MariaDB: ${io.env['MYSQL_HOST']}:${io.env['MYSQL_TCP_PORT'] ?? 3306} (from MYSQL_HOST)`);
    else {
      env['ORDERS_EXPORT_MYSQL'] = 'off';
      say('MySQL/MariaDB: not configured, the daily summaries step is skipped (set MYSQL_HOST, MYSQL_TCP_PORT, MYSQL_USER, MYSQL_PWD to include it)');
    }
    if (io.env['FTP_HOST']) say(`FTP: ${io.env['FTP_HOST']}:${io.env['FTP_PORT'] ?? 21} (from FTP_HOST)`);
    else {
      const ftp = await startEmbeddedFtp();
      started.push(ftp);
      Object.assign(env, ftp.env);
      say(`FTP: ${ftp.label}`);
    }
    env['OUT_DIR'] ??= path.join(path.resolve(io.cwd, (values['out'] as string | undefined) ?? 'batch-doctor-report'), 'demo-files');
    say('seeding the sample data...');
    await seed(env, io);
    const out = (values['out'] as string | undefined) ?? 'batch-doctor-report';
    const result = await profileCommand(['--out', out, '--format', (values['format'] as string | undefined) ?? 'table', '--', process.execPath, path.join(SAMPLE_DIR, 'main.cjs')], { ...io, env });
    if (result.exitCode === 0) say(`HTML report: ${path.resolve(io.cwd, out, 'report.html')}`);
    return result;
  } finally {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  }
}

/** Runs the sample's seed script against the chosen servers; its output goes to stderr. */
function seed(env: NodeJS.ProcessEnv, io: CliIO): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(SAMPLE_DIR, 'seed.cjs')], { env, cwd: io.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(io.stderr, { end: false });
    child.stderr.pipe(io.stderr, { end: false });
    child.once('error', (e) => reject(new SpawnError(process.execPath, e.message)));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new BatchDoctorError('BD_SPAWN',
      `The sample data could not be seeded (the seed script exited with code ${code}; its output is above). Check that the servers in PGHOST/MYSQL_HOST/FTP_HOST answer, or unset them to use the embedded ones, and run batch-doctor demo again.`))));
  });
}
