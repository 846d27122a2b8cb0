import { describe, expect, it } from 'vitest';
import { redactCredentials } from '../../probes/redact';
import { redactCommand } from '../../src/collect/redact-command';

const PW = 'p@ss:/w?rd#CANARY';

describe('credential redaction', () => {
  it('removes URL userinfo, password pairs and FTP PASS', () => {
    expect(redactCredentials(`postgres://bob:${encodeURIComponent(PW)}@db:5432/x`)).toBe('postgres://***@db:5432/x');
    expect(redactCredentials('host=db password=secret user=bob')).toBe('host=db password=*** user=bob');
    expect(redactCredentials('mysql://h/db?user=u&password=abc&ssl=1')).toBe('mysql://h/db?user=u&password=***&ssl=1');
    expect(redactCredentials('PASS hunter2')).toBe('PASS ***');
  });

  it('redacts the command line', () => {
    const out = redactCommand(['node', 'job.js', '--password', PW, `--db=postgres://u:${encodeURIComponent(PW)}@h/d`, `--token=${PW}`]).join(' ');
    expect(out).not.toContain('CANARY');
    expect(out).toContain('job.js');
  });
});
