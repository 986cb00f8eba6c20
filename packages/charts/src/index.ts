// The charting scripts the page loads and the HTML report inlines: Chart.js, its tree and matrix
// plugins (UMD builds, no build step) and our configurations of them (kunlun-charts.cjs).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentSpec, BranchRecord, LineageLine, OverrideRecord, RoundOutcome } from '@kunlun/contracts';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(name));

export interface ChartAsset {
  /** Where the gateway serves it. */
  url: string;
  path: string;
}

/** In load order: the library, its plugins, then ours. */
export const CHART_ASSETS: readonly ChartAsset[] = [
  { url: '/vendor/chart.umd.min.js', path: join(packageDir('chart.js'), 'chart.umd.min.js') },
  {
    url: '/vendor/chartjs-chart-matrix.min.js',
    path: join(packageDir('chartjs-chart-matrix'), 'chartjs-chart-matrix.min.js'),
  },
  { url: '/vendor/chartjs-chart-graph.umd.min.js', path: join(packageDir('chartjs-chart-graph'), 'index.umd.min.js') },
  { url: '/kunlun-charts.js', path: fileURLToPath(new URL('./kunlun-charts.cjs', import.meta.url)) },
];

/**
 * Every script, in order, as one text for a self-contained page: nothing in it can end the script
 * element (`</script`, any case) or open an HTML comment (`<!--`) that would change how it is parsed.
 */
export function inlineChartScripts(): string {
  return CHART_ASSETS.map((a) =>
    readFileSync(a.path, 'utf8')
      .replace(/<\/script/gi, '<\\/script')
      .replace(/<!--/g, '<\\!--'),
  ).join('\n;\n');
}

export type RoundMark = 'scored' | 'skipped' | 'rejected' | 'amended' | 'tournament';
export interface ScorePoint {
  round: number;
  score: number | null;
  mark: RoundMark;
  note: string;
}
export interface SeverityCell {
  round: number;
  critic: string;
  severity: number | null;
  focus: string | null;
  failed: boolean;
}
export interface LineageNode {
  label: string;
  parent: number | undefined;
  kind: 'line' | 'current' | 'tournament' | 'won' | 'pruned' | 'failed' | 'abandoned';
  open:
    | { kind: 'line'; generation: number; rounds: LineageLine['rounds'] }
    | { kind: 'round'; round: number }
    | { kind: 'contender' | 'abandoned'; id: string };
}
export interface CompareRound {
  round: number;
  skipped?: true;
  score?: number;
  verdict?: string;
  hypothesis?: string;
  critiques?: Array<{ criticId: string; focus: string; severity: number; text: string }>;
  /** The backtrack that abandoned it. */
  abandoned?: string;
}
export interface CompareSide {
  title: string;
  params: Record<string, Record<string, unknown>>;
  rounds: CompareRound[];
  outcome: string;
  reason?: string;
}
export interface CompareData {
  tree: LineageLine;
  branches: BranchRecord[];
  rounds: RoundOutcome[];
  agents: AgentSpec[];
  overrides: OverrideRecord[];
}

/** The data half of kunlun-charts.cjs (the drawing half needs a browser's Chart). */
export interface KunlunChartData {
  scorePoints(rounds: readonly RoundOutcome[]): ScorePoint[];
  severityCells(rounds: readonly RoundOutcome[]): { critics: string[]; rounds: number[]; cells: SeverityCell[] };
  severityColor(severity: number | null): string;
  spendPoints(rounds: readonly RoundOutcome[]): Array<{ round: number; costUsd: number; tokens: number; at: string }>;
  lineageNodes(tree: LineageLine): LineageNode[];
  compareChoices(tree: LineageLine): Array<{ key: string; label: string }>;
  compareDefaults(tree: LineageLine): string[];
  compareSide(key: string, data: CompareData): CompareSide | null;
  paramDiff(
    a: CompareSide['params'],
    b: CompareSide['params'],
  ): Array<{ agentId: string; param: string; a: unknown; b: unknown }>;
  alignRounds(a: CompareSide, b: CompareSide): Array<{ round: number; a: CompareRound[]; b: CompareRound[] }>;
}

export const chartData = require('./kunlun-charts.cjs') as KunlunChartData;
