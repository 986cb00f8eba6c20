// `kunlun report ID --format md|json|html`: the final report with the rounds and the lineage, as a
// file a person can share. The HTML is one self-contained file: the same charts as the web page
// (Chart.js and KunlunCharts inlined, the data as JSON), every text escaped.
import { chartData, inlineChartScripts } from '@kunlun/charts';
import type { BranchRecord, FinalReport, LineageLine, RoundOutcome, Spend } from '@kunlun/contracts';
import { lineageLines, severityLines, sparkline } from './sparkline.js';

export const REPORT_FORMATS = ['text', 'md', 'json', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** What a shared report says: the report, every round of the line, the lineage. */
export interface ReportBundle {
  simulationId: string;
  report: FinalReport;
  rounds: RoundOutcome[];
  lineage: { branches: BranchRecord[]; tree: LineageLine };
}

const scores = (rounds: readonly RoundOutcome[]) => chartData.scorePoints(rounds).map((p) => p.score);

/** What something cost, on one line (a round's in `kunlun rounds`, the simulation's in a report). */
export function spendLine(s: Spend): string {
  const reused = s.reusedSteps ? `, ${s.reusedSteps} steps reused (saved $${s.savedUsd})` : '';
  return `$${s.costUsd}, ${s.promptTokens}+${s.completionTokens} tokens, ${s.calls} calls${reused}`;
}

const spendText = (b: ReportBundle): string | null => (b.report.spend ? spendLine(b.report.spend) : null);

/** Markdown: headings, a score table with its sparkline, the critiques, the lineage as a tree. */
export function reportMarkdown(b: ReportBundle): string {
  const r = b.report;
  const md: string[] = [`# ${mdText(r.issue)}`, '', `Simulation \`${b.simulationId}\``, '', mdText(r.summary), ''];
  const spend = spendText(b);
  if (spend) md.push(`**Spend:** ${spend}`, '');
  if (r.strongest)
    md.push(
      `## Strongest hypothesis (round ${r.strongest.round}, score ${r.strongest.score})`,
      '',
      quote(r.strongest.hypothesis),
      '',
    );
  md.push(
    '## Score per round',
    '',
    `\`${sparkline(scores(b.rounds))}\``,
    '',
    '| round | score | verdict | mark |',
    '| --- | --- | --- | --- |',
  );
  chartData.scorePoints(b.rounds).forEach((p, i) => {
    const round = b.rounds[i]!;
    const verdict = round.status === 'completed' ? round.evaluation.verdict : '';
    md.push(`| ${p.round} | ${p.score ?? '—'} | ${verdict} | ${p.mark === 'scored' ? '' : cell(p.note)} |`);
  });
  md.push('', '## Severity per critic', '', ...fenced(severityLines(b.rounds)), '');
  if (r.unresolvedCritiques.length) {
    md.push('## Unresolved critiques', '');
    for (const c of r.unresolvedCritiques)
      md.push(`- **${c.criticId}** (${c.focus}, severity ${c.severity}, round ${c.round}): ${mdText(c.text)}`);
    md.push('');
  }
  md.push('## Lineage', '', ...fenced(lineageLines(b.lineage.tree).map(oneLine)), '', '## Rounds', '');
  for (const round of b.rounds) {
    if (round.status === 'skipped') {
      md.push(`### Round ${round.round}: skipped`, '', mdText(round.reason), '');
      continue;
    }
    const won = round.branch ? `, won by branch ${round.branch}` : '';
    const decision = round.approval ? `, ${round.approval.decision}` : '';
    md.push(`### Round ${round.round}: ${round.evaluation.score}/10, ${round.evaluation.verdict}${won}${decision}`, '');
    md.push(quote(round.hypothesis.text), '');
    for (const c of round.critiques)
      md.push(`- **${c.criticId}** (${c.focus}, severity ${c.severity}): ${mdText(c.text)}`);
    md.push('');
  }
  return `${md.join('\n').trimEnd()}\n`;
}

export function reportJson(b: ReportBundle): string {
  return `${JSON.stringify(b, null, 2)}\n`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text as HTML text: agents and people write anything, none of it is markup. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
/** JSON inside a script element: `<` escaped so no text can close it. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** One HTML file with the charts drawn on open (no network: the libraries are inside). */
export function reportHtml(b: ReportBundle): string {
  const r = b.report;
  const h = escapeHtml;
  const spend = spendText(b);
  const rounds = b.rounds
    .map((round) => {
      if (round.status === 'skipped')
        return `<li><strong>Round ${round.round}</strong>: skipped (${h(round.reason)})</li>`;
      const won = round.branch ? `, won by branch ${h(round.branch)}` : '';
      const decision = round.approval ? `, ${h(round.approval.decision)}` : '';
      const critiques = round.critiques
        .map((c) => `<li><strong>${h(c.criticId)}</strong> [${h(c.focus)}, severity ${c.severity}]: ${h(c.text)}</li>`)
        .join('');
      return `<li><strong>Round ${round.round}</strong>: ${round.evaluation.score}/10, ${h(round.evaluation.verdict)}${won}${decision}<p>${h(round.hypothesis.text)}</p><ul>${critiques}</ul></li>`;
    })
    .join('\n');
  const unresolved = r.unresolvedCritiques
    .map(
      (c) =>
        `<li><strong>${h(c.criticId)}</strong> (${h(c.focus)}, severity ${c.severity}, round ${c.round}): ${h(c.text)}</li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(previewLine(r.issue, 80))} — Kunlun Mirror report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 1.5rem; color: #1d2230; }
.chart { position: relative; height: 260px; }
.chart.tree { height: ${Math.max(140, chartData.lineageNodes(b.lineage.tree).length * 30 + 40)}px; }
.chart.strip { height: ${Math.max(90, chartData.severityCells(b.rounds).critics.length * 28 + 56)}px; }
blockquote { border-left: 4px solid #3d7bfd; margin: 0.5rem 0; padding: 0.2rem 0.8rem; background: #f3f5fa; }
li { margin: 0.3rem 0; }
</style>
</head>
<body>
<h1>${h(r.issue)}</h1>
<p>Simulation <code>${h(b.simulationId)}</code> · ${r.roundsCompleted} rounds completed${r.roundsSkipped.length ? `, ${r.roundsSkipped.length} skipped` : ''}</p>
<p>${h(r.summary)}</p>
${spend ? `<p><strong>Spend:</strong> ${h(spend)}</p>` : ''}
${r.strongest ? `<h2>Strongest hypothesis (round ${r.strongest.round}, score ${r.strongest.score})</h2><blockquote>${h(r.strongest.hypothesis)}</blockquote>` : ''}
<h2>Score per round</h2>
<div class="chart"><canvas id="score-chart" role="img" aria-label="score per round"></canvas></div>
<h2>Severity per critic</h2>
<div class="chart strip"><canvas id="severity-chart" role="img" aria-label="severity per critic and round"></canvas></div>
<h2>Spend over the rounds</h2>
<div class="chart"><canvas id="spend-chart" role="img" aria-label="spend per round"></canvas></div>
<h2>Lineage</h2>
<div class="chart tree"><canvas id="lineage-chart" role="img" aria-label="lineage tree"></canvas></div>
${unresolved ? `<h2>Unresolved critiques</h2><ul>${unresolved}</ul>` : ''}
<h2>Rounds</h2>
<ol class="rounds">
${rounds}
</ol>
<script type="application/json" id="report-data">${scriptJson({ rounds: b.rounds, tree: b.lineage.tree })}</script>
<script>${inlineChartScripts()}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var K = window.KunlunCharts;
  K.register(window.Chart, window.ChartGraphs);
  K.draw(Chart, document.getElementById('score-chart'), K.scoreChartConfig(data.rounds));
  K.draw(Chart, document.getElementById('severity-chart'), K.severityStripConfig(data.rounds));
  K.draw(Chart, document.getElementById('spend-chart'), K.spendChartConfig(data.rounds, null));
  K.draw(Chart, document.getElementById('lineage-chart'), K.lineageChartConfig(data.tree, null));
  document.body.dataset.charts = 'drawn';
})();
</script>
</body>
</html>
`;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
/** Text as Markdown text: what agents and people write is never markup (no HTML, links, emphasis, code). */
const mdText = (text: string) => oneLine(text).replace(/[\\`*_{}[\]()<>#|!~]/g, '\\$&');
/** A fence longer than any run of backticks inside, so the block cannot be closed from within. */
const fenced = (lines: string[]) => {
  const runs = lines.flatMap((l) => (l.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(Math.max(3, ...runs.map((n) => n + 1)));
  return [fence, ...lines, fence];
};
const previewLine = (text: string, n: number) =>
  oneLine(text).length > n ? `${oneLine(text).slice(0, n)}…` : oneLine(text);
const quote = (text: string) => `> ${mdText(text)}`;
const cell = (text: string) => mdText(text);
