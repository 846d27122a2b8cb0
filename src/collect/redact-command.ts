import { redactCredentials } from '../../probes/redact';

const SECRET_FLAG = /^--?(password|passwd|pass|pwd|token|secret|api-?key)$/i;
const SECRET_FLAG_VALUE = /^(--?(?:password|passwd|pass|pwd|token|secret|api-?key)=).*/i;

/** The command line with credentials redacted: URL userinfo, password=..., and the value after --password-like flags. */
export function redactCommand(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (SECRET_FLAG.test(a) && i + 1 < argv.length) { out.push(a, '***'); i++; continue; }
    out.push(redactCredentials(a.replace(SECRET_FLAG_VALUE, '$1***')));
  }
  return out;
}
