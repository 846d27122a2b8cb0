/**
 * SQL fingerprinting that runs inside the profiled process, before anything is
 * written: literals become `?`, comments and whitespace fold, IN-lists and
 * multi-row VALUES collapse to one group, keywords are lower-cased. The
 * tokenizer knows PostgreSQL and MySQL/MariaDB quoting: '...' with '' and
 * backslash escapes, E'...', $tag$...$tag$, "..." (an identifier in PostgreSQL,
 * a string in MySQL), `...`, -- and # and /* *\/ comments.
 *
 * It fails closed: a statement it cannot tokenize (an unterminated quote or
 * comment) is never shown; the result then carries `parsed: false` and a
 * placeholder text without any of the statement's characters.
 */

/** SQL dialect; decides what `"..."` and `#` mean. */
export type SqlDialect = 'postgresql' | 'mysql';

/** The dialect of a `db.system` / `db.system.name` value: MySQL's quoting for mysql and mariadb, else PostgreSQL's. */
export function dialectForSystem(system: string): SqlDialect {
  return /mysql|maria/i.test(system) ? 'mysql' : 'postgresql';
}

/** A statement's fingerprint. */
export interface SqlFingerprint {
  /** Normalized text, safe to show: it holds no literal of the original. */
  text: string;
  /** False when the tokenizer could not read the statement (text is then a placeholder). */
  parsed: boolean;
}

type Tok = { k: 'w' | 'lit' | 'param' | 'ident' | 'p'; v: string };

const isSpace = (c: string) => c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f';
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isWordStart = (c: string) => /[A-Za-z_\u0080-\uffff]/.test(c);
const isWord = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

/** Reads a quoted run starting at `i` (the opening quote). Returns the index after the close, or -1. */
function skipQuoted(sql: string, i: number, q: string, backslash: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j];
    if (backslash && c === '\\') { j += 2; continue; }
    if (c === q) {
      if (sql[j + 1] === q) { j += 2; continue; }
      return j + 1;
    }
    j++;
  }
  return -1;
}

function tokenize(sql: string, dialect: SqlDialect): Tok[] | null {
  const out: Tok[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (isSpace(c)) { i++; continue; }
    if (c === '-' && sql[i + 1] === '-') { const e = sql.indexOf('\n', i); i = e < 0 ? n : e + 1; continue; }
    if (c === '#' && dialect === 'mysql') { const e = sql.indexOf('\n', i); i = e < 0 ? n : e + 1; continue; }
    if (c === '/' && sql[i + 1] === '*') {
      // PostgreSQL nests block comments; MySQL does not. Nesting depth only matters for PostgreSQL.
      let depth = 1; let j = i + 2;
      while (j < n && depth > 0) {
        if (sql[j] === '*' && sql[j + 1] === '/') { depth--; j += 2; continue; }
        if (dialect === 'postgresql' && sql[j] === '/' && sql[j + 1] === '*') { depth++; j += 2; continue; }
        j++;
      }
      if (depth > 0) return null;
      i = j; continue;
    }
    if (c === "'") {
      const e = skipQuoted(sql, i, "'", dialect === 'mysql');
      if (e < 0) return null;
      out.push({ k: 'lit', v: '?' }); i = e; continue;
    }
    if ((c === 'E' || c === 'e') && sql[i + 1] === "'" && dialect === 'postgresql') {
      const e = skipQuoted(sql, i + 1, "'", true);
      if (e < 0) return null;
      out.push({ k: 'lit', v: '?' }); i = e; continue;
    }
    if ((c === 'X' || c === 'x' || c === 'B' || c === 'b' || c === 'N' || c === 'n') && sql[i + 1] === "'") {
      const e = skipQuoted(sql, i + 1, "'", false);
      if (e < 0) return null;
      out.push({ k: 'lit', v: '?' }); i = e; continue;
    }
    if (c === '"') {
      const e = skipQuoted(sql, i, '"', dialect === 'mysql');
      if (e < 0) return null;
      if (dialect === 'mysql') out.push({ k: 'lit', v: '?' });
      else out.push({ k: 'ident', v: sql.slice(i, e) });
      i = e; continue;
    }
    if (c === '`') {
      const e = skipQuoted(sql, i, '`', false);
      if (e < 0) return null;
      out.push({ k: 'ident', v: sql.slice(i, e) }); i = e; continue;
    }
    if (c === '$' && dialect === 'postgresql') {
      if (isDigit(sql[i + 1])) {
        let j = i + 1; while (isDigit(sql[j])) j++;
        out.push({ k: 'param', v: sql.slice(i, j) }); i = j; continue;
      }
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (m) {
        const tag = m[0];
        const e = sql.indexOf(tag, i + tag.length);
        if (e < 0) return null;
        out.push({ k: 'lit', v: '?' }); i = e + tag.length; continue;
      }
    }
    if (isDigit(c) || (c === '.' && isDigit(sql[i + 1]))) {
      let j = i;
      if (c === '0' && (sql[i + 1] === 'x' || sql[i + 1] === 'X')) { j += 2; while (/[0-9a-fA-F]/.test(sql[j] ?? '')) j++; }
      else {
        while (isDigit(sql[j]) || sql[j] === '.') j++;
        if ((sql[j] === 'e' || sql[j] === 'E') && (isDigit(sql[j + 1]) || ((sql[j + 1] === '+' || sql[j + 1] === '-') && isDigit(sql[j + 2])))) {
          j += 2; while (isDigit(sql[j])) j++;
        }
      }
      // A number glued to a word (t1, col2) is part of the word, handled below.
      out.push({ k: 'lit', v: '?' }); i = j; continue;
    }
    if (isWordStart(c)) {
      let j = i + 1; while (isWord(sql[j])) j++;
      out.push({ k: 'w', v: sql.slice(i, j).toLowerCase() }); i = j; continue;
    }
    if (c === '?') {
      // "(?+)" is our own collapsed list: reading it again must give it back (fingerprinting is idempotent).
      out.push({ k: 'param', v: '?' }); i += sql[i + 1] === '+' && sql[i + 2] === ')' ? 2 : 1; continue;
    }
    if (c === ':' && isWordStart(sql[i + 1] ?? '') && sql[i - 1] !== ':') {
      let j = i + 1; while (isWord(sql[j])) j++;
      out.push({ k: 'param', v: '?' }); i = j; continue;
    }
    // Operators: keep runs of operator characters together (::, <=, ->>).
    let j = i + 1;
    if (/[<>=!|&:\-+*/%^~@]/.test(c)) while (j < n && /[<>=!|&:\-+*/%^~@]/.test(sql[j]!)) j++;
    out.push({ k: 'p', v: sql.slice(i, j) });
    i = j;
  }
  return out;
}

/** A negative number literal after an operator or `(`/`,` folds into the literal. */
function foldSigns(toks: Tok[]): Tok[] {
  const out: Tok[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    const next = toks[i + 1];
    const prev = out[out.length - 1];
    if (t.k === 'p' && (t.v === '-' || t.v === '+') && next?.k === 'lit' &&
        (!prev || prev.k === 'p' && prev.v !== ')' || prev.k === 'w' && KEYWORDS_BEFORE_VALUE.has(prev.v))) {
      continue;
    }
    out.push(t);
  }
  return out;
}
const KEYWORDS_BEFORE_VALUE = new Set(['select', 'where', 'and', 'or', 'values', 'set', 'by', 'then', 'else', 'when', 'in', 'between', 'limit', 'offset', 'return']);

const isValue = (t: Tok | undefined) => t !== undefined && (t.k === 'lit' || t.k === 'param' || (t.k === 'w' && (t.v === 'null' || t.v === 'true' || t.v === 'false' || t.v === 'default')));

/**
 * Collapses a parenthesized list of plain values `(?, ?, $3)` into `(?+)`, and a
 * run of such groups after VALUES into one group.
 */
function collapseLists(toks: Tok[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < toks.length) {
    const t = toks[i]!;
    if (t.k === 'p' && t.v === '(') {
      // Try to read ( value [, value]* )
      let j = i + 1; let ok = isValue(toks[j]);
      while (ok) {
        j++;
        const sep = toks[j];
        if (sep?.k === 'p' && sep.v === ')') break;
        if (sep?.k === 'p' && sep.v === ',' && isValue(toks[j + 1])) { j++; continue; }
        ok = false;
      }
      if (ok) {
        const prevOut = out[out.length - 1];
        const prevPrev = out[out.length - 2];
        // Second and later VALUES groups: "(?+)" "," "(" ... -> drop
        if (prevOut === ',' && prevPrev === '(?+)') { out.pop(); }
        else out.push('(?+)');
        i = j + 1;
        continue;
      }
    }
    out.push(t.v);
    i++;
  }
  return out;
}

function join(parts: string[]): string {
  let s = '';
  for (const p of parts) {
    if (s === '') { s = p; continue; }
    const last = s[s.length - 1]!;
    const glue = p === ',' || p === ')' || p === '.' || p === '::' || last === '(' || last === '.' || s.endsWith('::') || p === '(' && /[a-z0-9_"`]$/.test(s) && !/\b(in|values|and|or|not|exists|on|as|from|join|where|select|set|using)$/.test(s)
      ? '' : ' ';
    s += glue + p;
  }
  return s;
}

const cache = new Map<string, SqlFingerprint>();
/** Most distinct statement texts kept in the fingerprint cache (entries; a bound on memory, not a limit on output). */
export const FINGERPRINT_CACHE_MAX = 5000;

/**
 * Fingerprints one SQL statement. Pure; results for repeated texts are cached
 * (batch jobs repeat the same few texts thousands of times).
 */
export function fingerprintSql(sql: string, dialect: SqlDialect): SqlFingerprint {
  const key = dialect === 'mysql' ? 'm' + sql : 'p' + sql;
  const hit = cache.get(key);
  if (hit) return hit;
  const fp = computeFingerprint(sql, dialect);
  if (cache.size >= FINGERPRINT_CACHE_MAX) cache.clear();
  cache.set(key, fp);
  return fp;
}

function computeFingerprint(sql: string, dialect: SqlDialect): SqlFingerprint {
  if (typeof sql !== 'string') return { text: '<statement not captured>', parsed: false };
  if (/^<unparseable [a-z ]*statement, redacted>$/.test(sql)) return { text: sql, parsed: false };
  const toks = tokenize(sql, dialect);
  if (!toks) {
    const verb = /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toLowerCase();
    return { text: `<unparseable ${verb && /^(select|insert|update|delete|with|call|create|alter|drop|set|begin|commit|rollback|copy|replace|merge|explain|show)$/.test(verb) ? verb + ' ' : ''}statement, redacted>`, parsed: false };
  }
  // Drop a trailing semicolon so "x;" and "x" are one class.
  while (toks.length && toks[toks.length - 1]!.k === 'p' && toks[toks.length - 1]!.v === ';') toks.pop();
  return { text: join(collapseLists(foldSigns(toks))), parsed: true };
}
