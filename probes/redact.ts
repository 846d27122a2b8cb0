/** Credential redaction: see sanitize.ts, the one sanitizer. Kept as a module name older imports use. */
export { redactCredentials, redactCommandLine } from './sanitize';
