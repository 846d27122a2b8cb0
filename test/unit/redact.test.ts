import { describe, expect, it } from 'vitest';
import { escapeControl, escapeTerminalOutput, literalFreeMessage, redactCredentials, sanitizeSpanName } from '../../probes/sanitize';
import { redactCommandLine as redactCommand } from '../../probes/sanitize';

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

  // Each form a real command line carries a secret in; every one must go, and the rest must stay readable.
  const forms: [string, string[]][] = [
    ['PGPASSWORD= inside sh -c', ['sh', '-c', 'PGPASSWORD=CANARY psql -h db -c "select 1"']],
    ['MYSQL_PWD= inside sh -c', ['sh', '-c', 'MYSQL_PWD=CANARY node job.js']],
    ['a quoted assignment with a space', ['sh', '-c', "DB_PASSWORD='CANARY two' node job.js"]],
    ['*_TOKEN= and *_SECRET=', ['env', 'GITHUB_TOKEN=CANARY', 'AWS_SECRET_ACCESS_KEY=CANARY', 'CLIENT_SECRET=CANARY', 'node', 'job.js']],
    ['mysql -pSECRET', ['mysql', '-uroot', '-pCANARY', 'shop']],
    ['mysql -pSECRET inside sh -c', ['bash', '-lc', 'mysql -uroot -pCANARY shop < dump.sql && node job.js']],
    ['--pass x and --token x', ['node', 'job.js', '--pass', 'CANARY', '--token', 'CANARY']],
    ['--password x inside sh -c', ['sh', '-c', 'node job.js --password CANARY --verbose']],
    ['--db-password=x', ['node', 'job.js', '--db-password=CANARY']],
    ['--api-key x', ['node', 'job.js', '--api-key', 'CANARY']],
    ['a URL with userinfo', ['node', 'job.js', 'ftp://bob:CANARY@files.example/in']],
    ['password= in a DSN', ['node', 'job.js', 'host=db user=etl password=CANARY dbname=shop']],
  ];
  for (const [name, argv] of forms) {
    it(`redacts ${name}`, () => {
      const out = redactCommand(argv).join(' ');
      expect(out).not.toContain('CANARY');
      expect(out).toContain('***');
    });
  }

  it('leaves ordinary arguments alone', () => {
    expect(redactCommand(['node', 'job.js', '--days', '7', '--no-password', '-v', 'input.csv'])).toEqual(['node', 'job.js', '--days', '7', '--no-password', '-v', 'input.csv']);
    expect(redactCommand(['sh', '-c', 'node job.js --days 7'])).toEqual(['sh', '-c', 'node job.js --days 7']);
  });
});

describe('error texts, span names and control characters', () => {
  it('reduces database error texts to literal-free words', () => {
    expect(literalFreeMessage('invalid input syntax for type integer: "CANARY-42"')).toBe('invalid input syntax for type integer: "?"');
    expect(literalFreeMessage("Duplicate entry 'CANARY@x.com' for key 'email'")).toBe("Duplicate entry '?' for key '?'");
    expect(literalFreeMessage("Can't connect to MySQL server on '10.1.2.3' (111)")).toBe('Can’t connect to MySQL server on \'?\' (?)');
    expect(literalFreeMessage('value 123456789 out of range\nDETAIL: Key (id)=(CANARY) already exists.')).toBe('value ? out of range');
    expect(literalFreeMessage('unterminated quoted string at or near "\'CANARY')).not.toContain('CANARY');
    expect(literalFreeMessage(`connect failed for postgres://u:${PW}@h/d`)).not.toContain('CANARY');
  });

  it('fingerprints span names that are not fixed operation names', () => {
    expect(sanitizeSpanName('pg.query:SELECT shop', 'db')).toBe('pg.query:SELECT shop');
    expect(sanitizeSpanName('pg.query:get-user-CANARY shop', 'db')).toMatch(/^pg\.query:stmt-[0-9a-f]{8} shop$/);
    expect(sanitizeSpanName("SELECT*FROM(t)WHERE(x='CANARY')", 'db')).toMatch(/^stmt-[0-9a-f]{8}$/);
    expect(sanitizeSpanName('INSERT', 'db')).toBe('INSERT');
    expect(sanitizeSpanName('ftp.upload', 'ftp')).toBe('ftp.upload');
    expect(sanitizeSpanName('customer 4711 CANARY@example.com', 'other')).toMatch(/^span-[0-9a-f]{8}$/);
  });

  it('makes control characters visible', () => {
    expect(escapeControl('a\u001b]0;title\u0007b')).toBe('a\\u001b]0;title\\u0007b');
    expect(escapeControl('a\nb')).toBe('a\nb');
    expect(escapeControl('a\nb', true)).toBe('a\\u000ab');
    expect(escapeControl('x\u009b2J\u202e')).toBe('x\\u009b2J\\u202e');
    // The terminal guard keeps colours and erase-line, nothing else.
    expect(escapeTerminalOutput('\u001b[36mhead\u001b[39m\r\u001b[2K\u001b]8;;http://x\u001b\\')).toBe('\u001b[36mhead\u001b[39m\r\u001b[2K\\u001b]8;;http://x\\u001b\\');
  });
});
