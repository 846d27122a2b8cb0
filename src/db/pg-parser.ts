/**
 * The real PostgreSQL parser (libpg_query, as WebAssembly through the
 * `libpg-query` package) for what needs a statement's structure: how many
 * statements a text holds, whether it is a plain SELECT (the only thing we
 * ever execute under EXPLAIN ANALYZE), and which columns its predicates use
 * (candidates for index advice).
 */

type Raw = Record<string, unknown>;
interface LibPgQuery { loadModule(): Promise<void>; parseSync(sql: string): { stmts?: { stmt: Raw }[] } }

let lib: LibPgQuery | null = null;
/** Loads the parser (WebAssembly, ~100 ms once). */
export async function loadPgParser(): Promise<void> {
  if (lib) return;
  const m = (await import('libpg-query')) as unknown as LibPgQuery & { default?: LibPgQuery };
  const l = typeof m.parseSync === 'function' ? m : m.default!;
  await l.loadModule();
  lib = l;
}

/** A predicate column: `qualifier.column op value`. */
export interface PredicateColumn {
  /** Table name or alias as written, or null when unqualified. */
  qualifier: string | null;
  column: string;
  /** eq: =, IN; range: <, >, BETWEEN, LIKE; join: column = column of another table. */
  use: 'eq' | 'range' | 'join';
}

/** What the parser says about a statement. */
export interface PgStatementInfo {
  /** False when libpg_query could not parse it; `reason` says why (no part of the statement). */
  parsed: boolean;
  statements: number;
  /** Node name of the (first) statement: SelectStmt, InsertStmt, ExplainStmt... */
  kind: string | null;
  /** A single SELECT with no INTO, no FOR UPDATE/SHARE and no data-modifying WITH: safe to execute read-only. */
  plainSelect: boolean;
  /** Why it is not a plain SELECT, in words. */
  reason: string | null;
  /** Tables in FROM / JOIN: name (schema-qualified when written so) and alias. */
  tables: { name: string; alias: string | null }[];
  predicates: PredicateColumn[];
  orderBy: { qualifier: string | null; column: string }[];
  /** Every function the statement calls by name (FuncCall nodes anywhere: SELECT list, WHERE, FROM, subqueries). */
  functions: { schema: string | null; name: string }[];
  /** Every operator it uses, by name (`=`, `~~`, a user-defined `@@@`): operators run functions too. */
  operators: string[];
  /** Every relation it names anywhere (tables, views, CTE names), for the functions views and policies call. */
  relations: { schema: string | null; name: string }[];
}

/** Function calls, operators, relations, and whether a locking or INTO clause appears at any depth. */
function collectCalls(node: unknown, info: PgStatementInfo, flags: { locking: boolean; into: boolean }, depth = 0): void {
  if (!node || typeof node !== 'object' || depth > 500) return;
  if (Array.isArray(node)) { for (const n of node) collectCalls(n, info, flags, depth + 1); return; }
  const n = node as Raw;
  const strs = (list: unknown) => ((list as Raw[] | undefined) ?? []).map((f) => (f['String'] as Raw | undefined)?.['sval']).filter((x): x is string => typeof x === 'string');
  const fc = n['FuncCall'] as Raw | undefined;
  if (fc) {
    const parts = strs(fc['funcname']);
    if (parts.length) info.functions.push({ schema: parts.length > 1 ? parts[parts.length - 2]! : null, name: parts[parts.length - 1]! });
  }
  const ae = n['A_Expr'] as Raw | undefined;
  if (ae) for (const op of strs(ae['name'])) if (!info.operators.includes(op)) info.operators.push(op);
  const rv = n['RangeVar'] as Raw | undefined;
  if (rv && typeof rv['relname'] === 'string') info.relations.push({ schema: typeof rv['schemaname'] === 'string' ? rv['schemaname'] : null, name: rv['relname'] });
  for (const [k, v] of Object.entries(n)) {
    if (k === 'lockingClause' && Array.isArray(v) && v.length) flags.locking = true;
    if (k === 'intoClause' && v) flags.into = true;
    collectCalls(v, info, flags, depth + 1);
  }
}

const DML = ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'];

/** True if any DML node appears anywhere in the tree (a data-modifying CTE, a DML inside a subquery). */
function containsDml(node: unknown, depth = 0): boolean {
  if (!node || typeof node !== 'object' || depth > 500) return depth > 500;
  if (Array.isArray(node)) return node.some((n) => containsDml(n, depth + 1));
  for (const [k, v] of Object.entries(node as Raw)) {
    if (DML.includes(k)) return true;
    if (containsDml(v, depth + 1)) return true;
  }
  return false;
}

function colRef(n: unknown): { qualifier: string | null; column: string } | null {
  const c = (n as Raw | null)?.['ColumnRef'] as Raw | undefined;
  if (!c) {
    const tc = (n as Raw | null)?.['TypeCast'] as Raw | undefined;
    return tc ? colRef(tc['arg']) : null;
  }
  const fields = (c['fields'] as Raw[] | undefined) ?? [];
  const names = fields.map((f) => ((f['String'] as Raw | undefined)?.['sval'] as string | undefined)).filter((x): x is string => typeof x === 'string');
  if (names.length === 0 || names.length !== fields.length) return null;
  return { qualifier: names.length > 1 ? names[names.length - 2]! : null, column: names[names.length - 1]! };
}

function collectPredicates(node: unknown, out: PredicateColumn[], depth = 0): void {
  if (!node || typeof node !== 'object' || depth > 200) return;
  const n = node as Raw;
  const b = n['BoolExpr'] as Raw | undefined;
  if (b) { if (b['boolop'] === 'AND_EXPR') for (const a of (b['args'] as unknown[]) ?? []) collectPredicates(a, out, depth + 1); return; }
  const e = n['A_Expr'] as Raw | undefined;
  if (e) {
    const op = (((e['name'] as Raw[] | undefined)?.[0]?.['String'] as Raw | undefined)?.['sval'] as string | undefined) ?? '';
    const l = colRef(e['lexpr']); const r = colRef(e['rexpr']);
    const kind = String(e['kind']);
    let use: PredicateColumn['use'] | null = null;
    if (kind === 'AEXPR_IN' || (kind === 'AEXPR_OP' && op === '=')) use = 'eq';
    else if ((kind === 'AEXPR_OP' && ['<', '>', '<=', '>='].includes(op)) || kind.startsWith('AEXPR_BETWEEN') || kind === 'AEXPR_LIKE') use = 'range';
    if (!use) return;
    if (l && r) { if (use === 'eq') { out.push({ ...l, use: 'join' }, { ...r, use: 'join' }); } return; }
    if (l) out.push({ ...l, use });
    else if (r && kind === 'AEXPR_OP') out.push({ ...r, use });
  }
  const nt = n['NullTest'] as Raw | undefined;
  if (nt) { const c = colRef(nt['arg']); if (c) out.push({ ...c, use: 'eq' }); }
}

function collectTables(from: unknown, out: PgStatementInfo['tables'], preds: PredicateColumn[], depth = 0): void {
  if (!Array.isArray(from) || depth > 50) return;
  for (const item of from as Raw[]) {
    const rv = item['RangeVar'] as Raw | undefined;
    if (rv) {
      const name = [rv['schemaname'], rv['relname']].filter((x) => typeof x === 'string').join('.');
      out.push({ name, alias: ((rv['alias'] as Raw | undefined)?.['aliasname'] as string | undefined) ?? null });
    }
    const j = item['JoinExpr'] as Raw | undefined;
    if (j) { collectTables([j['larg'], j['rarg']], out, preds, depth + 1); collectPredicates(j['quals'], preds); }
  }
}

/** Inspects a statement with the real parser. Never throws. */
export function inspectPgStatement(sql: string): PgStatementInfo {
  const none: PgStatementInfo = { parsed: false, statements: 0, kind: null, plainSelect: false, reason: null, tables: [], predicates: [], orderBy: [], functions: [], operators: [], relations: [] };
  if (!lib) return { ...none, reason: 'the PostgreSQL parser is not loaded' };
  let tree: { stmts?: { stmt: Raw }[] };
  try { tree = lib.parseSync(sql); } catch { return { ...none, reason: 'PostgreSQL cannot parse it (syntax error)' }; }
  const stmts = tree.stmts ?? [];
  const first = stmts[0]?.stmt ?? {};
  const kind = Object.keys(first)[0] ?? null;
  const info: PgStatementInfo = { ...none, parsed: true, statements: stmts.length, kind, functions: [], operators: [], relations: [] };
  if (stmts.length !== 1) return { ...info, reason: `it holds ${stmts.length} statements` };
  const flags = { locking: false, into: false };
  collectCalls(first, info, flags);
  const sel = first['SelectStmt'] as Raw | undefined;
  if (kind === 'SelectStmt' && sel) {
    if (flags.into) info.reason = 'SELECT INTO creates a table';
    else if (flags.locking) info.reason = 'FOR UPDATE/SHARE takes row locks';
    else if (containsDml(sel)) info.reason = 'it contains a data-modifying statement (WITH ... INSERT/UPDATE/DELETE)';
    else info.plainSelect = true;
  } else info.reason = `it is ${kind ?? 'not a statement'}, not a SELECT`;
  const body = (sel ?? first['UpdateStmt'] ?? first['DeleteStmt']) as Raw | undefined;
  if (body) {
    if (kind === 'UpdateStmt' || kind === 'DeleteStmt') {
      const rel = body['relation'] as Raw | undefined;
      if (rel) info.tables.push({ name: [rel['schemaname'], rel['relname']].filter((x) => typeof x === 'string').join('.'), alias: ((rel['alias'] as Raw | undefined)?.['aliasname'] as string | undefined) ?? null });
    }
    collectTables(body['fromClause'] ?? body['usingClause'], info.tables, info.predicates);
    collectPredicates(body['whereClause'], info.predicates);
    for (const s of (body['sortClause'] as Raw[] | undefined) ?? []) {
      const c = colRef((s['SortBy'] as Raw | undefined)?.['node']);
      if (c) info.orderBy.push(c);
    }
  }
  return info;
}

/** Whether {@link loadPgParser} has run: synchronous callers (the analysis) use the parser only then. */
export function isPgParserLoaded(): boolean {
  return lib !== null;
}

/** The value position a value node stands for (`$1001` is position 0 after {@link numberSlots}), or null. */
function slotOfValue(n: unknown): number | null {
  const r = n as Raw | null;
  if (!r || typeof r !== 'object') return null;
  const p = r['ParamRef'] as Raw | undefined;
  if (p) { const k = Number(p['number']); return k > SLOT_BASE ? k - SLOT_BASE - 1 : null; }
  const tc = r['TypeCast'] as Raw | undefined;
  if (tc) return slotOfValue(tc['arg']);
  const list = r['List'] as Raw | undefined;
  const items = list?.['items'] as unknown[] | undefined;
  if (Array.isArray(items) && items.length === 1) return slotOfValue(items[0]);
  return null;
}

const SLOT_BASE = 1000;

/** A fingerprint with every value position (`?`, `$n`, `(?+)`) as a parameter `$1001`, `$1002`... in order. */
export function numberSlots(fingerprint: string): string {
  let k = SLOT_BASE;
  return fingerprint.replace(/\(\?\+\)|\?|\$\d+/g, (m) => (m === '(?+)' ? `($${++k})` : `$${++k}`));
}

/** A lookup by key: the key columns and the value positions compared with them. */
export interface KeyLookup {
  /** Key columns as written (`c.id`, `id`), one per predicate. */
  columns: string[];
  /** The fingerprint's value position (0-based) compared with each column. */
  slots: number[];
  /** The table read or written. */
  table: string | null;
  /** `in`: one of the predicates is `IN (...)` / `= ANY(...)` (already a batched form when the list is long). */
  form: 'eq' | 'in';
}

/**
 * A lookup by key read with PostgreSQL's own parser, from a fingerprint (literals as `?`): one table, and a WHERE
 * that is `column = value` (or a conjunction of them: a composite key; `IN (...)`, `= ANY(...)`), however an ORM
 * writes it (`where (("Customer"."id" = $1)) limit ?`, quoted and schema-qualified names, casts, LIMIT/ORDER BY/FOR
 * UPDATE around it). SELECT, UPDATE and DELETE. Null when the parser is not loaded, the text does not parse, or
 * the statement is anything else. Never throws.
 */
export function pgKeyLookup(fingerprint: string): KeyLookup | null {
  if (!lib) return null;
  let tree: { stmts?: { stmt: Raw }[] };
  try { tree = lib.parseSync(numberSlots(fingerprint)); } catch { return null; }
  const stmts = tree.stmts ?? [];
  if (stmts.length !== 1) return null;
  const st = stmts[0]!.stmt;
  const sel = st['SelectStmt'] as Raw | undefined;
  const upd = (st['UpdateStmt'] ?? st['DeleteStmt']) as Raw | undefined;
  let where: unknown;
  let table: string | null = null;
  if (sel) {
    if (sel['groupClause'] || sel['havingClause'] || sel['withClause'] || sel['op'] && sel['op'] !== 'SETOP_NONE') return null;
    const from = sel['fromClause'] as Raw[] | undefined;
    if (!Array.isArray(from) || from.length !== 1 || !from[0]!['RangeVar']) return null;
    table = ((from[0]!['RangeVar'] as Raw)['relname'] as string | undefined) ?? null;
    where = sel['whereClause'];
  } else if (upd) {
    if (upd['fromClause'] && (upd['fromClause'] as unknown[]).length || upd['usingClause'] && (upd['usingClause'] as unknown[]).length || upd['withClause']) return null;
    table = ((upd['relation'] as Raw | undefined)?.['relname'] as string | undefined) ?? null;
    where = upd['whereClause'];
  } else return null;
  const preds: Raw[] = [];
  const w = where as Raw | undefined;
  const b = w?.['BoolExpr'] as Raw | undefined;
  if (b) { if (b['boolop'] !== 'AND_EXPR') return null; preds.push(...((b['args'] as Raw[] | undefined) ?? [])); }
  else if (w) preds.push(w);
  if (preds.length === 0 || preds.length > 4) return null;
  const out: KeyLookup = { columns: [], slots: [], table, form: 'eq' };
  for (const p of preds) {
    const e = p['A_Expr'] as Raw | undefined;
    if (!e) return null;
    const op = ((e['name'] as Raw[] | undefined)?.[0]?.['String'] as Raw | undefined)?.['sval'];
    if (op !== '=') return null;
    if (e['kind'] === 'AEXPR_IN' || e['kind'] === 'AEXPR_OP_ANY') out.form = 'in';
    else if (e['kind'] !== 'AEXPR_OP') return null;
    const l = colRef(e['lexpr']), r = colRef(e['rexpr']);
    const ls = slotOfValue(e['lexpr']), rs = slotOfValue(e['rexpr']);
    const col = l && rs !== null ? l : r && ls !== null && e['kind'] === 'AEXPR_OP' ? r : null;
    const slot = col === l ? rs : ls;
    if (!col || slot === null) return null;
    out.columns.push(col.qualifier ? `${col.qualifier}.${col.column}` : col.column);
    out.slots.push(slot);
  }
  return out;
}
