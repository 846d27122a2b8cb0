import { round3 } from '../intervals';
import { connectionReuseSaving, medianMs } from './span-stats';
import type { Detector } from './types';
import { transferLabel } from '../../model/report';

/**
 * A new FTP connection and login per file: each costs a TCP handshake, the greeting, USER/PASS (and with
 * FTPS a TLS handshake), before the file's own PASV and STOR/RETR round trips. For SFTP, a new SSH session per
 * file: the TCP handshake, the key exchange (public-key crypto on both sides) and the authentication.
 *
 * Saving model: keeping one logged-in connection per stream the run used at once, saving = the connects'
 * time on the critical path minus that many connects at the median.
 */
export const ftpConnectionPerFile: Detector = {
  id: 'ftp-connection-per-file',
  detect(trace, ctx) {
    const connects = trace.spans.filter((s) => s.kind === 'ftp' && s.name === 'ftp.connect');
    const f = ctx.ftp;
    if (f.files === 0 || connects.length === 0) return { status: 'no-data', reason: 'no FTP or SFTP connects and transfers were recorded' };
    const t = ctx.thresholds;
    if (f.files < t.minSerialTransfers || connects.length < t.minSerialTransfers || connects.length < f.files / t.maxFilesPerFtpConnection) return { status: 'ran', findings: [] };
    const streams = Math.max(1, f.maxParallel);
    const label = transferLabel(f.protocols);
    const sftp = label === 'SFTP';
    const { p50, sole, saving } = connectionReuseSaving(medianMs(connects), ctx.soleMs(connects), streams);
    return {
      status: 'ran',
      findings: [{
        id: 'ftp-connection-per-file',
        kind: 'ftp-connection-per-file',
        title: sftp ? `A new SFTP session per file: ${connects.length} SSH logins for ${f.files} files` : `A new ${label} connection and login per file: ${connects.length} logins for ${f.files} files`,
        category: 'ftp',
        scope: ['ftp:connect'],
        estimatedSavingMs: round3(saving),
        confidence: 'high',
        savingModel: `${round3(sole)} ms of connects and logins on the critical path minus ${streams} connection(s) kept open at the median ${round3(p50)} ms`,
        evidence: {
          summary: `${connects.length} connects with login (median ${round3(p50)} ms) for ${f.files} transfers`,
          metrics: { connects: connects.length, files: f.files, connectP50Ms: round3(p50), criticalMs: round3(sole) },
        },
        recommendation: {
          summary: `Log in once per stream and send every file over that ${sftp ? 'session' : 'connection'}; close it at the end.`,
          code: sftp ? [
            `const sftp = new SftpClient();`,
            `await sftp.connect(options);            // once`,
            `try {`,
            `  for (const file of files) await sftp.put(file, path.basename(file));`,
            `} finally { await sftp.end(); }`,
          ].join('\n') : [
            `const client = new ftp.Client();`,
            `await client.access(options);          // once`,
            `try {`,
            `  for (const file of files) await client.uploadFrom(file, path.basename(file));`,
            `} finally { client.close(); }`,
          ].join('\n'),
        },
      }],
    };
  },
};
