/**
 * A MySQL/MariaDB grammar (node-sql-parser's MariaDB build, a maintained PEG parser that covers both dialects'
 * SELECT/UPDATE/DELETE syntax) for what the analysis must know of a statement's shape: is it a lookup by key, and
 * which value positions hold the key. Loaded on first use (~60 ms); pure JavaScript, so it runs synchronously.
 */
import { createRequire } from 'node:module';
import type { KeyLookup } from './pg-parser';

type Raw = Record<string, unknown>;
interface SqlParser { astify(sql: string): unknown }

let parser: SqlParser | null | undefined;
function load(): SqlParser | null {
  if (parser !== undefined) return parser;
  try {
    const req = createRequire(__filename);
    const m = req('node-sql-parser/build/mariadb') as { Parser: new () => SqlParser };
    parser = new m.Parser();
  } catch { parser = null; }
  return parser;
}

/** A fingerprint's value positions (`?`, `(?+)`) as named parameters `:s0`, `:s1`... the grammar reads. */
function nameSlots(fingerprint: string): string {
  let k = 0;
  return fingerprint.replace(/\(\?\+\)|\?/g, (m) => (m === '(?+)' ? `(:s${k++})` : `:s${k++}`));
}

function colName(n: unknown): string | null {
  const r = n as Raw | null;
  if (!r || typeof r !== 'object') return null;
  if (r['type'] === 'cast') return colName(r['expr']);
  if (r['type'] !== 'column_ref') return null;
  const col = r['column'];
  const c = typeof col === 'string' ? col : ((col as Raw | null)?.['expr'] as Raw | undefined)?.['value'];
  if (typeof c !== 'string') return null;
  const t = r['table'];
  const q = typeof t === 'string' ? t : (t as Raw | null)?.['value'];
  return typeof q === 'string' ? `${q}.${c}` : c;
}

function slotOf(n: unknown): number | null {
  const r = n as Raw | null;
  if (!r || typeof r !== 'object') return null;
  if (r['type'] === 'param' && typeof r['value'] === 'string' && /^s\d+$/.test(r['value'])) return Number(r['value'].slice(1));
  if (r['type'] === 'cast') return slotOf(r['expr']);
  if (r['type'] === 'expr_list' && Array.isArray(r['value']) && r['value'].length === 1) return slotOf(r['value'][0]);
  return null;
}

function tableName(from: unknown): string | null {
  const f = Array.isArray(from) ? from : null;
  if (!f || f.length !== 1) return null;
  const t = (f[0] as Raw)['table'];
  return typeof t === 'string' && !(f[0] as Raw)['join'] ? t : null;
}

/**
 * A lookup by key read with the MySQL/MariaDB grammar, from a fingerprint (literals as `?`): one table and a WHERE
 * that is `column = value`, a conjunction of them (a composite key) or `column IN (...)`, with parentheses,
 * backquoted and qualified names, casts, ORDER BY, LIMIT and FOR UPDATE around it. SELECT, UPDATE and DELETE.
 * Null for anything else or when the grammar cannot read it. Never throws.
 */
export function mysqlKeyLookup(fingerprint: string): KeyLookup | null {
  const p = load();
  if (!p) return null;
  let ast: unknown;
  try { ast = p.astify(nameSlots(fingerprint)); } catch { return null; }
  const st = (Array.isArray(ast) ? (ast.length === 1 ? ast[0] : null) : ast) as Raw | null;
  if (!st) return null;
  let table: string | null;
  if (st['type'] === 'select') {
    if (st['groupby'] || st['having'] || st['with'] || st['_next'] || st['union']) return null;
    table = tableName(st['from']);
  } else if (st['type'] === 'update' || st['type'] === 'delete') {
    table = tableName(st['table'] ?? st['from']);
  } else return null;
  if (!table) return null;
  const preds: Raw[] = [];
  const walk = (n: Raw | null | undefined): boolean => {
    if (!n) return false;
    if (n['type'] === 'binary_expr' && n['operator'] === 'AND') return walk(n['left'] as Raw) && walk(n['right'] as Raw);
    preds.push(n);
    return true;
  };
  if (!walk(st['where'] as Raw | null) || preds.length > 4) return null;
  const out: KeyLookup = { columns: [], slots: [], table, form: 'eq' };
  for (const e of preds) {
    if (e['type'] !== 'binary_expr' || (e['operator'] !== '=' && e['operator'] !== 'IN')) return null;
    if (e['operator'] === 'IN') out.form = 'in';
    const l = colName(e['left']), r = colName(e['right']);
    const ls = slotOf(e['left']), rs = slotOf(e['right']);
    const col = l !== null && rs !== null ? l : r !== null && ls !== null && e['operator'] === '=' ? r : null;
    const slot = col === l ? rs : ls;
    if (col === null || slot === null) return null;
    out.columns.push(col);
    out.slots.push(slot);
  }
  return out;
}
