/**
 * SQL fingerprinting that runs inside the profiled process, before anything is
 * written: literals become `?`, comments and whitespace fold, IN-lists and
 * multi-row VALUES collapse to one group, keywords are lower-cased. The
 * tokenizer knows PostgreSQL and MySQL/MariaDB quoting: '...' with '' and
 * backslash escapes, E'...', $tag$...$tag$, "..." (an identifier in PostgreSQL,
 * a string in MySQL), `...`, -- and # and /* *\/ comments.
 *
 * Placeholders of every style count as values: `$1`, `?`, `:name`, and from other languages' drivers `%s`,
 * `%(name)s` and (PostgreSQL dialect) `@p1`.
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

/**
 * One value position of a fingerprint (each `?`, `$n` or `(?+)` of its text, in order): a literal's hash
 * (a non-negative 32-bit integer; the value itself is never kept), a bind parameter's 0-based index as
 * `-(index + 1)` (`$2` is -2; the third `?` is -3), or null when the position holds a list of parameters
 * or a placeholder whose value cannot be found (`:name`).
 */
export type ValueSlot = number | null;

/** A statement's fingerprint. */
export interface SqlFingerprint {
  /** Normalized text, safe to show: it holds no literal of the original. */
  text: string;
  /** False when the tokenizer could not read the statement (text is then a placeholder). */
  parsed: boolean;
  /** Its value positions, in the order of the text (see {@link ValueSlot}); absent from uncached fingerprints. */
  slots?: readonly ValueSlot[];
}

/** Token kinds: a word (keyword or bare identifier, lower-cased), a literal, a parameter, a quoted identifier, punctuation. */
type TokKind = 'w' | 'lit' | 'param' | 'ident' | 'p' | 'xc';
type Tok = { readonly k: TokKind; readonly v: string; readonly h?: number };
/** Shared tokens for the commonest kinds: fewer allocations per statement. */
const LIT: Tok = { k: 'lit', v: '?' };
const QPARAM: Tok = { k: 'param', v: '?' };

// Character classes by char code: the tokenizer runs on every statement of a slow log (hundreds of
// thousands), so it reads char codes, never a regular expression per character.
const C_SPACE = 1, C_DIGIT = 2, C_WORD_START = 4, C_OP = 8;
const CLASS = new Uint8Array(128);
const mark = (code: number, bit: number) => { CLASS[code] = CLASS[code]! | bit; };
for (const c of ' \n\t\r\f') mark(c.charCodeAt(0), C_SPACE);
for (let c = 48; c <= 57; c++) mark(c, C_DIGIT);
for (let c = 65; c <= 90; c++) { mark(c, C_WORD_START); mark(c + 32, C_WORD_START); }
mark(95, C_WORD_START); // _
for (const c of '<>=!|&:-+*/%^~@') mark(c.charCodeAt(0), C_OP);
const cls = (code: number) => (code < 128 ? CLASS[code]! : code === code ? C_WORD_START : 0); // NaN (past the end) -> 0
const isDigitAt = (sql: string, i: number) => (cls(sql.charCodeAt(i)) & C_DIGIT) !== 0;
const isWordStartAt = (sql: string, i: number) => (cls(sql.charCodeAt(i)) & C_WORD_START) !== 0;
/** Letters, digits, `_`, `$` and anything non-ASCII. */
const isWordAt = (sql: string, i: number) => { const c = sql.charCodeAt(i); return (cls(c) & (C_WORD_START | C_DIGIT)) !== 0 || c === 36; };
const isHexAt = (sql: string, i: number) => { const c = sql.charCodeAt(i) | 32; return (c >= 48 && c <= 57) || (c >= 97 && c <= 102); };

/** The end of a Python DB-API placeholder (`%s`, `%(name)s`) starting at `i` (a `%`), or -1. */
function pyPlaceholderEnd(sql: string, i: number): number {
  const next = sql.charCodeAt(i + 1);
  if ((next | 32) === 115 && !isWordAt(sql, i + 2)) return i + 2;
  if (next === 40) {
    let j = i + 2; while (j < sql.length && isWordAt(sql, j)) j++;
    if (j > i + 2 && sql.charCodeAt(j) === 41 && (sql.charCodeAt(j + 1) | 32) === 115 && !isWordAt(sql, j + 2)) return j + 2;
  }
  return -1;
}

/** Murmur3's 32-bit finalizer: spreads a hash over all 32 bits (the distinct-value sketch needs uniform hashes). */
export function mix32(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over `s[from, to)`, mixed: a literal's identity without its value. */
export function hashChars(s: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  return mix32(h ^ (to - from));
}

/** Reads a quoted run starting at `i` (the opening quote). Returns the index after the close, or -1. */
function skipQuoted(sql: string, i: number, q: number, backslash: boolean): number {
  let j = i + 1;
  const n = sql.length;
  while (j < n) {
    const c = sql.charCodeAt(j);
    if (backslash && c === 92) { j += 2; continue; }
    if (c === q) {
      if (j + 1 < n && sql.charCodeAt(j + 1) === q) { j += 2; continue; }
      return j + 1;
    }
    j++;
  }
  return -1;
}

const Q1 = 39, Q2 = 34, BT = 96; // ' " `
/** A backquoted MySQL identifier that needs no quoting. */
const SIMPLE_IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

function tokenize(sql: string, dialect: SqlDialect, markExecutableComments = false, hashLiterals = false): Tok[] | null {
  const out: Tok[] = [];
  const my = dialect === 'mysql';
  // A literal token, with the hash of its text when the caller tracks values: a quoted literal's without its
  // quotes, so that 'abc' inlined and 'abc' bound hash alike (as 5 and '5' do; escapes are not undone).
  const lit = (from: number, to: number): Tok => {
    if (!hashLiterals) return LIT;
    const q = sql.charCodeAt(to - 1);
    if ((q === Q1 || q === Q2) && to - from >= 2) { const open = sql.indexOf(String.fromCharCode(q), from); return { k: 'lit', v: '?', h: hashChars(sql, open + 1, to - 1) }; }
    return { k: 'lit', v: '?', h: hashChars(sql, from, to) };
  };
  let execComments = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const code = sql.charCodeAt(i);
    const k = cls(code);
    if (k & C_SPACE) { i++; continue; }
    const next = sql.charCodeAt(i + 1);
    if ((code === 45 && next === 45) || (code === 35 && my)) { const e = sql.indexOf('\n', i); i = e < 0 ? n : e + 1; continue; } // -- and #
    // MySQL runs the text of /*!NNNNN ... */ and MariaDB of /*M!NNNNN ... */ (`SHOW /*!50002 GLOBAL */ STATUS`):
    // it is part of the statement, so it is read as SQL; its closing */ is skipped when reached.
    if (code === 47 && next === 42 && my && (sql.charCodeAt(i + 2) === 33 || (sql.charCodeAt(i + 2) === 77 && sql.charCodeAt(i + 3) === 33))) {
      if (markExecutableComments) out.push({ k: 'xc', v: '/*!' });
      let j = i + (sql.charCodeAt(i + 2) === 33 ? 3 : 4);
      while (isDigitAt(sql, j)) j++;
      execComments++;
      i = j; continue;
    }
    if (execComments > 0 && code === 42 && next === 47) { execComments--; i += 2; continue; }
    if (code === 47 && next === 42) { // /* */
      // PostgreSQL nests block comments; MySQL does not. Nesting depth only matters for PostgreSQL.
      let depth = 1; let j = i + 2;
      while (j < n && depth > 0) {
        const c = sql.charCodeAt(j);
        if (c === 42 && sql.charCodeAt(j + 1) === 47) { depth--; j += 2; continue; }
        if (!my && c === 47 && sql.charCodeAt(j + 1) === 42) { depth++; j += 2; continue; }
        j++;
      }
      if (depth > 0) return null;
      i = j; continue;
    }
    if (code === Q1) {
      const e = skipQuoted(sql, i, Q1, my);
      if (e < 0) return null;
      out.push(lit(i, e)); i = e; continue;
    }
    if (next === Q1) {
      const lc = code | 32;
      if (lc === 101 && !my) { // E'...'
        const e = skipQuoted(sql, i + 1, Q1, true);
        if (e < 0) return null;
        out.push(lit(i, e)); i = e; continue;
      }
      if (lc === 120 || lc === 98 || lc === 110) { // X'..', B'..', N'..'
        const e = skipQuoted(sql, i + 1, Q1, false);
        if (e < 0) return null;
        out.push(lit(i, e)); i = e; continue;
      }
    }
    if (code === Q2) {
      const e = skipQuoted(sql, i, Q2, my);
      if (e < 0) return null;
      out.push(my ? lit(i, e) : { k: 'ident', v: sql.slice(i, e) });
      i = e; continue;
    }
    if (code === BT) {
      const e = skipQuoted(sql, i, BT, false);
      if (e < 0) return null;
      // MySQL: `name` and name are one identifier (performance_schema digests quote every one): a plain name
      // loses its backticks and folds like an unquoted word; anything else stays quoted as written.
      const inner = sql.slice(i + 1, e - 1);
      out.push(my && SIMPLE_IDENT.test(inner) ? { k: 'w', v: inner.toLowerCase() } : { k: 'ident', v: sql.slice(i, e) });
      i = e; continue;
    }
    if (code === 36 && !my) { // $1, $tag$...$tag$
      if (isDigitAt(sql, i + 1)) {
        let j = i + 1; while (isDigitAt(sql, j)) j++;
        out.push({ k: 'param', v: sql.slice(i, j) }); i = j; continue;
      }
      let j = i + 1;
      if (isWordStartAt(sql, j) && sql.charCodeAt(j) < 128) { j++; while (j - i < 64 && sql.charCodeAt(j) < 128 && (isWordStartAt(sql, j) || isDigitAt(sql, j))) j++; }
      if (sql.charCodeAt(j) === 36) {
        const tag = sql.slice(i, j + 1);
        const e = sql.indexOf(tag, j + 1);
        if (e < 0) return null;
        out.push(lit(i, e + tag.length)); i = e + tag.length; continue;
      }
    }
    if ((k & C_DIGIT) || (code === 46 && isDigitAt(sql, i + 1))) {
      let j = i;
      if (code === 48 && (next | 32) === 120) { j += 2; while (j < n && isHexAt(sql, j)) j++; }
      else {
        // Bounded reads (here and in scanLiterals): a number ends most statements (`WHERE id = 42`), and a read past
        // the end, though it only gives NaN, makes V8 throw away the optimized tokenizer ("out of bounds" deopt) and
        // rebuild it, twice, while a fresh process reads its first few thousand statements slowly in between.
        while (j < n && (isDigitAt(sql, j) || sql.charCodeAt(j) === 46)) j++;
        if (j < n && (sql.charCodeAt(j) | 32) === 101) {
          const s1 = sql.charCodeAt(j + 1);
          if (isDigitAt(sql, j + 1) || ((s1 === 43 || s1 === 45) && isDigitAt(sql, j + 2))) { j += 2; while (isDigitAt(sql, j)) j++; }
        }
      }
      // A number glued to a word (t1, col2) is part of the word, handled below.
      out.push(lit(i, j)); i = j; continue;
    }
    if (k & C_WORD_START) {
      let j = i + 1; while (j < n && isWordAt(sql, j)) j++;
      const w = sql.slice(i, j).toLowerCase();
      // ASC is the default order: `ORDER BY name ASC` and `ORDER BY name` are one statement (as pg_stat_statements and
      // pt-query-digest group them). Unquoted, it is always the keyword (a reserved word in both dialects).
      if (w !== 'asc') out.push({ k: 'w', v: w });
      i = j; continue;
    }
    if (code === 40 && sql.startsWith('...)', i + 1)) { // (...): how performance_schema digests write a value list
      out.push({ k: 'p', v: '(' }, QPARAM, { k: 'p', v: ')' }); i += 5; continue;
    }
    if (code === 63) { // ?
      // "(?+)" is our own collapsed list: reading it again must give it back (fingerprinting is idempotent).
      out.push(QPARAM); i += next === 43 && sql.charCodeAt(i + 2) === 41 ? 2 : 1; continue;
    }
    if (code === 58 && isWordStartAt(sql, i + 1) && sql.charCodeAt(i - 1) !== 58) { // :name
      let j = i + 1; while (j < n && isWordAt(sql, j)) j++;
      out.push(QPARAM); i = j; continue;
    }
    // Placeholders of other languages' drivers, as they reach us in foreign traces: Python's %s and %(name)s
    // (psycopg, PyMySQL, MySQLdb), and @p1 (.NET, Go's mssql-style drivers) where @ is no MySQL variable.
    if (code === 37) { // %
      const e = pyPlaceholderEnd(sql, i);
      if (e > 0) { out.push(QPARAM); i = e; continue; }
    }
    if (code === 64 && !my && (next | 32) === 112 && isDigitAt(sql, i + 2)) { // @p1
      let j = i + 2; while (isDigitAt(sql, j)) j++;
      if (!isWordAt(sql, j)) { out.push(QPARAM); i = j; continue; }
    }
    // Operators: keep runs of operator characters together (::, <=, ->>), up to a placeholder (`=%s`).
    let j = i + 1;
    if (k & C_OP) while (j < n && (cls(sql.charCodeAt(j)) & C_OP) && !(sql.charCodeAt(j) === 37 && pyPlaceholderEnd(sql, j) > 0)) j++;
    out.push({ k: 'p', v: sql.slice(i, j) });
    i = j;
  }
  // An executable comment left open: the server would refuse the statement; so does the reader.
  if (execComments > 0) return null;
  return out;
}

/** A negative number literal after an operator or `(`/`,` folds into the literal. */
function foldSigns(toks: Tok[]): Tok[] {
  // Most statements have no sign before a literal at all: skip the copy.
  let any = false;
  for (let i = 0; i < toks.length - 1; i++) { const t = toks[i]!; if (t.k === 'p' && (t.v === '-' || t.v === '+') && toks[i + 1]!.k === 'lit') { any = true; break; } }
  if (!any) return toks;
  const out: Tok[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    const next = toks[i + 1];
    const prev = out[out.length - 1];
    if (t.k === 'p' && (t.v === '-' || t.v === '+') && next?.k === 'lit' &&
        (!prev || prev.k === 'p' && prev.v !== ')' || prev.k === 'w' && KEYWORDS_BEFORE_VALUE.has(prev.v))) {
      // -5 and 5 are different values: the sign goes into the literal's hash.
      if (t.v === '-' && next.h !== undefined) toks[i + 1] = { k: 'lit', v: '?', h: mix32(next.h ^ 0x2d2d2d2d) };
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
function collapseLists(toks: Tok[], slots: ValueSlot[] | null): string[] {
  const out: string[] = [];
  let i = 0;
  let ordinal = 0; // placeholders written `?` (and :name, %s, @p1) are numbered in order of appearance
  const slotOf = (t: Tok): ValueSlot => {
    if (t.k === 'lit') return t.h ?? null;
    if (t.k === 'param') {
      if (t.v.charCodeAt(0) === 36) return -Number(t.v.slice(1)); // $n
      return -(++ordinal);
    }
    return mix32(t.v.length * 0x9e3779b1 + t.v.charCodeAt(0)); // null, true, false, default: constants
  };
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
        // A list is one value position: its literals' hashes combined, or unknown when it holds a parameter
        // (the list's values would have to be read one by one; ordinals still advance past them).
        let h: ValueSlot = 0x1b873593;
        for (let m = i + 1; m < j; m++) {
          const v = toks[m]!;
          if (v.k === 'p') continue;
          const s1 = slotOf(v);
          h = h === null || s1 === null || s1 < 0 ? null : mix32((h ^ s1) + m);
        }
        // Second and later VALUES groups: "(?+)" "," "(" ... -> drop
        if (prevOut === ',' && prevPrev === '(?+)') {
          out.pop();
          if (slots) { const last = slots[slots.length - 1]; slots[slots.length - 1] = last === null || last === undefined || h === null ? null : mix32(last ^ h); }
        } else { out.push('(?+)'); slots?.push(h); }
        i = j + 1;
        continue;
      }
    }
    if (slots && (t.k === 'lit' || t.k === 'param')) slots.push(slotOf(t));
    out.push(t.v);
    i++;
  }
  return out;
}

/** Words after which `(` keeps its space: `in (`, `values (`, `exists (`. */
const SPACE_BEFORE_PAREN = new Set(['in', 'values', 'and', 'or', 'not', 'exists', 'on', 'as', 'from', 'join', 'where', 'select', 'set', 'using']);

function join(parts: string[]): string {
  let s = '';
  let last = '';
  for (const p of parts) {
    if (s === '') { s = p; last = p; continue; }
    const lastCh = last.charCodeAt(last.length - 1);
    let glue = ' ';
    if (p === ',' || p === ')' || p === '.' || p === '::' || lastCh === 40 /* ( */ || lastCh === 46 /* . */ || last.endsWith('::')) glue = '';
    else if (p === '(' || p === '(?+)') {
      // A function call or a column list glues to its name: count(, t(a, b).
      const c = lastCh;
      const nameEnd = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 34 || c === 96;
      if (nameEnd && !SPACE_BEFORE_PAREN.has(last)) glue = '';
    }
    s += glue + p;
    last = p;
  }
  return s;
}

/** A token of {@link sqlTokens}: kind and text (words lower-cased, literals and parameters as `?`). */
export interface SqlToken {
  /** w: word (keyword or bare identifier); ident: quoted identifier; lit: literal; param: placeholder; p: punctuation or operator; xc: a MySQL executable comment (`/*! ... *\/`). */
  readonly k: TokKind;
  readonly v: string;
}

/**
 * The statement's tokens, for readers that must know its structure without a full grammar (what a statement
 * calls, whether it writes a file); null when it cannot be tokenized (fail closed). A MySQL executable comment
 * (`/*! ... *\/`) is marked by an `xc` token before its text, which is read as SQL like the rest.
 */
export function sqlTokens(sql: string, dialect: SqlDialect): SqlToken[] | null {
  return typeof sql === 'string' ? tokenize(sql, dialect, true) : null;
}

/** Fingerprints by statement text, one map per dialect (the text itself is the key: no string built per call). */
const cachePg = new Map<string, SqlFingerprint>();
const cacheMy = new Map<string, SqlFingerprint>();
/** Most distinct statement texts kept in the fingerprint cache, per dialect (entries; a bound on memory, not a limit on output). */
export const FINGERPRINT_CACHE_MAX = 5000;

/**
 * Fingerprints one SQL statement. Pure; results for repeated texts are cached
 * (batch jobs repeat the same few texts thousands of times), and a text with its values inlined, new on every call,
 * is read through its literal template (see {@link scanLiterals}) in place of the full tokenizer.
 */
export function fingerprintSql(sql: string, dialect: SqlDialect): SqlFingerprint {
  // The last text, remembered apart: one call's text is fingerprinted by several readers in turn (the client probe,
  // the recorder, the value statistics, the EXPLAIN sampler). A text with its values inlined is new on every call,
  // so the cache below never holds it, and each reader would scan it again.
  if (sql === lastSql && dialect === lastDialect) return lastFp!;
  const fp = lookup(sql, dialect);
  lastSql = sql;
  lastDialect = dialect;
  lastFp = fp;
  return fp;
}
let lastSql: string | undefined;
let lastDialect: SqlDialect | undefined;
let lastFp: SqlFingerprint | undefined;

/** {@link fingerprintSql} through the cache of repeated texts and the literal templates. */
function lookup(sql: string, dialect: SqlDialect): SqlFingerprint {
  const cache = dialect === 'mysql' ? cacheMy : cachePg;
  const hit = cache.get(sql);
  if (hit) return hit;
  let fp: SqlFingerprint | undefined;
  const scan = typeof sql === 'string' ? scanLiterals(sql, dialect) : null;
  if (scan !== null) {
    const templates = dialect === 'mysql' ? templatesMy : templatesPg;
    const t = templates.get(scan.key);
    if (t) return fromTemplate(t, scan.hashes);
    if (t === undefined) {
      // The first text of this template: read in full, and the template kept when its value positions are its
      // literals one for one (or constants); the text itself is then not cached, its template stands for it.
      fp = computeFingerprint(sql, dialect, true);
      if (templates.size >= FINGERPRINT_CACHE_MAX) templates.clear();
      const made = templateOf(fp, scan.hashes);
      templates.set(scan.key, made);
      if (made !== null) return fp;
    }
  }
  fp ??= computeFingerprint(sql, dialect, true);
  if (cache.size >= FINGERPRINT_CACHE_MAX) cache.clear();
  cache.set(sql, fp);
  return fp;
}

/** The full fingerprint with value positions, without any cache or template: the reference {@link fingerprintSql} must equal. */
export function fingerprintSqlFull(sql: string, dialect: SqlDialect): SqlFingerprint {
  return computeFingerprint(sql, dialect, true);
}

/**
 * A statement's literal template: the text with each literal replaced by a marker, and the literals' hashes in
 * order. Texts that differ only in their literal values (an ORM or string concatenation inlining a key) share one
 * template, hence one fingerprint text and one layout of value positions: the slots are then the literals' hashes
 * placed by the template's recipe, with no tokens, no lower-casing and no joining per call.
 *
 * The scan reads only what it can read exactly as the tokenizer does: words, spaces, punctuation, operators,
 * placeholders (copied as they are), numbers, and quoted strings and identifiers. Anything else (comments, `$`,
 * an E'' or X'' prefix, a number glued to letters, a dot before digits) returns null: the full tokenizer reads it.
 */
interface LiteralScan { key: string; hashes: number[] }
/** A template: its fingerprint text, and per value position a literal's index (>= 0) or a constant slot ({@link TemplateSlot}). */
interface Template { text: string; recipe: TemplateSlot[] }
/** A value position of a template: the index of the literal whose hash it is, or a constant (a placeholder, null). */
type TemplateSlot = { lit: number } | { value: ValueSlot };
const templatesPg = new Map<string, Template | null>();
const templatesMy = new Map<string, Template | null>();
/** The marker a literal leaves in a template key: a control character, which no SQL text holds outside a quote. */
const MARK = '\u0001';

/** Literal templates held, per dialect (for tests and benches: whether texts took the template path). */
export function literalTemplateCount(dialect: SqlDialect): number {
  return [...(dialect === 'mysql' ? templatesMy : templatesPg).values()].filter((t) => t !== null).length;
}

function scanLiterals(sql: string, dialect: SqlDialect): LiteralScan | null {
  const my = dialect === 'mysql';
  const n = sql.length;
  const hashes: number[] = [];
  let key = '';
  let from = 0; // start of the text not yet copied into the key
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 1) return null;
    if (c === Q1 || (c === Q2 && my)) {
      // A quoted string. A letter just before it is a prefix (E'', X'', N'', B''): the tokenizer's business.
      if (i > 0 && isWordAt(sql, i - 1)) return null;
      const e = skipQuoted(sql, i, c, my);
      if (e < 0) return null;
      hashes.push(hashChars(sql, i + 1, e - 1));
      key += sql.slice(from, i) + MARK;
      i = from = e;
      continue;
    }
    if (c === Q2 || c === BT) { // a quoted identifier: part of the template
      const e = skipQuoted(sql, i, c, c === Q2 && my);
      if (e < 0) return null;
      i = e;
      continue;
    }
    if ((cls(c) & C_DIGIT) !== 0) {
      if (i > 0 && isWordAt(sql, i - 1)) { i++; continue; } // t1, col2: part of a word
      // A number: digits and dots, as the tokenizer reads them; hex, exponents and digits glued to letters are its business.
      if (c === 48 && i + 1 < n && (sql.charCodeAt(i + 1) | 32) === 120) return null;
      let j = i + 1;
      while (j < n && (isDigitAt(sql, j) || sql.charCodeAt(j) === 46)) j++;
      if (j < n && isWordAt(sql, j)) return null;
      hashes.push(hashChars(sql, i, j));
      key += sql.slice(from, i) + MARK;
      i = from = j;
      continue;
    }
    // Look-aheads bounded, as in the tokenizer's number loop (a read past the end deoptimizes this function).
    if (c === 45 && i + 1 < n && sql.charCodeAt(i + 1) === 45) return null; // -- comment
    if (c === 47 && i + 1 < n && sql.charCodeAt(i + 1) === 42) return null; // /* comment
    if (c === 46 && i + 1 < n && isDigitAt(sql, i + 1)) return null; // .5
    if (c === 35 && my) return null; // # comment
    if (c === 36) return null; // $1, $tag$
    i++;
  }
  return { key: from === 0 ? sql : key + sql.slice(from), hashes };
}

/** The template of a full fingerprint whose value positions are its literals in order (or constants); null otherwise. */
function templateOf(fp: SqlFingerprint, hashes: readonly number[]): Template | null {
  if (!fp.parsed || !fp.slots) return null;
  const recipe: TemplateSlot[] = [];
  let next = 0;
  for (const s of fp.slots) {
    if (s !== null && s >= 0) {
      // A literal's position: it must be the next literal's own hash (a list of literals combined, or a sign folded
      // into it, is not: such a template is read in full every time).
      if (next >= hashes.length || hashes[next] !== s) return null;
      recipe.push({ lit: next++ });
    } else recipe.push({ value: s });
  }
  return next === hashes.length ? { text: fp.text, recipe } : null;
}

function fromTemplate(t: Template, hashes: readonly number[]): SqlFingerprint {
  const slots: ValueSlot[] = new Array(t.recipe.length);
  for (let k = 0; k < t.recipe.length; k++) {
    const r = t.recipe[k]!;
    slots[k] = 'lit' in r ? hashes[r.lit]! : r.value;
  }
  return { text: t.text, parsed: true, slots };
}

/**
 * Fingerprints one SQL statement without the cache: for streams of statements
 * that rarely repeat word for word (slow logs, where literals differ).
 */
export function fingerprintSqlUncached(sql: string, dialect: SqlDialect): SqlFingerprint {
  return computeFingerprint(sql, dialect);
}

function computeFingerprint(sql: string, dialect: SqlDialect, withSlots = false): SqlFingerprint {
  if (typeof sql !== 'string') return { text: '<statement not captured>', parsed: false };
  if (sql.charCodeAt(0) === 60 && /^<unparseable [a-z ]*statement, redacted>$/.test(sql)) return { text: sql, parsed: false };
  const toks = tokenize(sql, dialect, false, withSlots);
  if (!toks) {
    const verb = /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toLowerCase();
    return { text: `<unparseable ${verb && /^(select|insert|update|delete|with|call|create|alter|drop|set|begin|commit|rollback|copy|replace|merge|explain|show)$/.test(verb) ? verb + ' ' : ''}statement, redacted>`, parsed: false };
  }
  // Drop a trailing semicolon so "x;" and "x" are one class.
  while (toks.length && toks[toks.length - 1]!.k === 'p' && toks[toks.length - 1]!.v === ';') toks.pop();
  if (!withSlots) return { text: join(collapseLists(foldSigns(toks), null)), parsed: true };
  const slots: ValueSlot[] = [];
  return { text: join(collapseLists(foldSigns(toks), slots)), parsed: true, slots };
}
