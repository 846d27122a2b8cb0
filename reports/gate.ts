import { escapeControl } from '../probes/sanitize';
import type { GateCheck, GateResult } from '../src/model/gate';

/**
 * Renderers of the gate's result (formatting only): terminal text, Markdown
 * (for $GITHUB_STEP_SUMMARY and PR comments), JUnit XML, GitHub workflow
 * annotations, JSON.
 */
export const GATE_RENDERERS: Readonly<Record<string, (r: GateResult) => string>> = {
  table: renderText,
  md: renderMarkdown,
  junit: renderJunit,
  github: renderAnnotations,
  json: (r) => JSON.stringify(r, null, 2) + '\n',
};

const MARK: Record<GateCheck['verdict'], string> = { fail: 'FAIL', inconclusive: 'INCONCLUSIVE', info: 'note', pass: 'ok' };

function headline(r: GateResult): string {
  return r.status === 'regression'
    ? `batch-doctor gate: REGRESSION in ${r.job}: ${r.summary.failed} check(s) failed`
    : `batch-doctor gate: ${r.job} passes (${r.summary.passed} checks${r.summary.inconclusive ? `, ${r.summary.inconclusive} inconclusive` : ''})`;
}

function renderText(r: GateResult): string {
  const lines = [headline(r)];
  for (const c of r.checks) if (c.verdict !== 'pass') lines.push(`  [${MARK[c.verdict]}] ${c.rule}: ${c.message}`);
  const passed = r.checks.filter((c) => c.verdict === 'pass');
  if (passed.length) lines.push(`  ${passed.length} check(s) passed${r.normalizedPerRecord ? ' (counters per declared record)' : ''}.`);
  return escapeControl(lines.join('\n')) + '\n';
}

/** Escapes text for a Markdown table cell. */
const md = (s: string) => escapeControl(s.replace(/\r?\n/g, ' '), true).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, ' ');

function renderMarkdown(r: GateResult): string {
  const out = [`### ${r.status === 'regression' ? ':x:' : ':white_check_mark:'} ${md(headline(r).replace(/^batch-doctor gate: /, 'batch-doctor: '))}`, ''];
  out.push('| result | rule | check | baseline | current |', '|---|---|---|---|---|');
  for (const c of r.checks) out.push(`| ${MARK[c.verdict]} | ${md(c.rule)} | ${md(c.message)} | ${md(String(c.baseline ?? ''))} | ${md(String(c.current ?? ''))} |`);
  out.push('', r.normalizedPerRecord ? '_Counters are per declared record._' : '', '');
  return out.join('\n');
}

/** Escapes text for XML attributes and content. */
const xml = (s: string) => s.replace(/[&<>"'\n\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\n': '&#10;', '\r': '&#13;' })[c]!)
  // Characters XML 1.0 cannot hold at all.
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

function renderJunit(r: GateResult): string {
  const cases = r.checks.filter((c) => c.verdict !== 'info');
  const out = ['<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="batch-doctor gate" tests="${cases.length}" failures="${r.summary.failed}">`,
    `  <testsuite name="${xml(r.job)}" tests="${cases.length}" failures="${r.summary.failed}" skipped="${r.summary.inconclusive}">`];
  for (const c of cases) {
    out.push(`    <testcase classname="${xml(`batch-doctor.${c.rule}`)}" name="${xml(c.name)}">`);
    if (c.verdict === 'fail') out.push(`      <failure message="${xml(c.message)}" type="${c.rule}-regression">${xml(c.message)}</failure>`);
    if (c.verdict === 'inconclusive') out.push(`      <skipped message="${xml(c.message)}"/>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}

/** GitHub workflow commands: the data part escapes %, CR and LF; properties also : and ,. */
const ghData = (s: string) => escapeControl(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const ghProp = (s: string) => ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function renderAnnotations(r: GateResult): string {
  const out: string[] = [];
  for (const c of r.checks) {
    // A finding with a call site is annotated on that file and line: the pull request's diff shows it where the N+1 was added.
    const at = c.location ? `file=${ghProp(c.location.file)},line=${Math.max(1, Math.floor(Number(c.location.line)) || 1)},` : '';
    if (c.verdict === 'fail') out.push(`::error ${at}title=${ghProp(`batch-doctor ${c.rule} regression`)}::${ghData(c.message)}`);
    else if (c.verdict === 'inconclusive' || c.verdict === 'info') out.push(`::warning ${at}title=${ghProp(`batch-doctor ${c.rule}`)}::${ghData(c.message)}`);
  }
  return out.length ? out.join('\n') + '\n' : '';
}
