// Pictures for a terminal: a sparkline of scores, one of severity per critic, the lineage as a
// tree of lines. The series come from @kunlun/charts, the page's own reading of the rounds.
import { chartData } from '@kunlun/charts';
import type { LineageLine, RoundOutcome } from '@kunlun/contracts';

const BARS = '▁▂▃▄▅▆▇█';

/** One character per value on 0…max; null (a skipped round, a failed critic) is a middle dot. */
export function sparkline(values: ReadonlyArray<number | null>, max = 10): string {
  return values
    .map((v) =>
      v === null ? '·' : BARS[Math.min(BARS.length - 1, Math.max(0, Math.round((v / max) * (BARS.length - 1))))],
    )
    .join('');
}

/** `scores   ▃▅▆█  last 7.5`: every round's score so far. */
export function scoreLine(rounds: readonly RoundOutcome[]): string {
  const points = chartData.scorePoints(rounds);
  const last = [...points].reverse().find((p) => p.score !== null);
  return `scores   ${sparkline(points.map((p) => p.score))}${last ? `  last ${last.score}` : ''}`;
}

/** One line per critic: its severity in every completed round (· where it failed or was absent). */
export function severityLines(rounds: readonly RoundOutcome[]): string[] {
  const { critics, rounds: numbers, cells } = chartData.severityCells(rounds);
  const width = Math.max(0, ...critics.map((c) => c.length));
  return critics.map((critic) => {
    const values = numbers.map((n) => cells.find((c) => c.round === n && c.critic === critic)?.severity ?? null);
    const last = [...values].reverse().find((v) => v !== null);
    return `${critic.padEnd(width)}  ${sparkline(values)}${last !== undefined ? `  last ${last}` : ''}`;
  });
}

const span = (r: { first: number; last: number } | null) =>
  !r ? 'no rounds of its own' : r.first === r.last ? `round ${r.first}` : `rounds ${r.first}–${r.last}`;
const roundList = (rounds: Array<{ round: number }>) =>
  rounds.length ? rounds.map((r) => r.round).join(', ') : 'none';

/** The lineage as a tree: lines (the first, one per backtrack), their tournaments and abandoned rounds. */
export function lineageLines(tree: LineageLine): string[] {
  const lines: string[] = [];
  const walk = (line: LineageLine, indent: string, head: string) => {
    const from = line.generation === 0 ? '' : ` (from round ${line.forkedAfterRound})`;
    lines.push(`${head}line ${line.generation}${from}: ${span(line.rounds)}${line.current ? '  ← current' : ''}`);
    const items: Array<{ text?: string; child?: LineageLine }> = [
      ...line.tournaments.map((t) => ({
        text: `round ${t.round} tournament: ${t.contenders.map((c) => `${c.outcome === 'won' ? '*' : ''}${c.label} (${c.outcome}${c.rounds[0]?.score !== undefined ? `, ${c.rounds[0].score}` : ''})`).join(', ')}`,
      })),
      ...line.abandoned.map((b) => ({
        text: `${b.id} back to round ${b.forkedAfterRound}: abandoned ${roundList(b.rounds)}${b.interruptedRound ? `, interrupted round ${b.interruptedRound}` : ''}${b.by ? ` (by ${b.by})` : ''} — ${b.reason}`,
      })),
      ...line.children.map((child) => ({ child })),
    ];
    items.forEach((item, i) => {
      const last = i === items.length - 1;
      if (item.child) walk(item.child, `${indent}${last ? '   ' : '│  '}`, `${indent}${last ? '└─ ' : '├─ '}`);
      else lines.push(`${indent}${last ? '└─ ' : '├─ '}${item.text}`);
    });
  };
  walk(tree, '', '');
  return lines;
}
