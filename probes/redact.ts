/**
 * Credential redaction for any free text the probes record (error types,
 * server names). Covers URL userinfo (`proto://user:pass@`), `password=` and
 * `pwd=` pairs in query strings and key=value DSNs, and FTP `PASS` commands.
 */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)(\S*)@/gi; // greedy: a raw password may itself hold @ or /
const KV_SECRET = /\b(password|passwd|pwd|pass|secret|token|apikey|api_key)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,]*)/gi;
const FTP_PASS = /^(PASS\s+).*$/gim;

/** Returns `text` with credentials replaced by `***`. */
export function redactCredentials(text: string): string {
  return text
    .replace(URL_USERINFO, (_m, proto: string) => `${proto}***@`)
    .replace(KV_SECRET, (_m, k: string, sep: string) => `${k}${sep}***`)
    .replace(FTP_PASS, '$1***');
}
