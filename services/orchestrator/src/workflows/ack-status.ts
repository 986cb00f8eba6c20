// A control's answer is stored in the workflow's history with every control (hundreds per run):
// it carries the status with its growing lists cut to their newest items, so a control late in a
// long, much-steered simulation costs the history as little as one early on.
import { ACK_LIST_ITEMS, PREVIEW_CHARS, previewOf, type SimulationStatus } from '@kunlun/contracts';

export function ackStatus(status: SimulationStatus, items = ACK_LIST_ITEMS): SimulationStatus {
  const omitted: NonNullable<SimulationStatus['omitted']> = {};
  const newest = <T>(list: T[], key: 'scores' | 'overrides' | 'branches'): T[] => {
    if (list.length <= items) return list;
    omitted[key] = list.length - items;
    return list.slice(-items);
  };
  const scores = newest(status.scores, 'scores');
  const overrides = newest(status.overrides, 'overrides');
  const branches = newest(status.branches, 'branches');
  const issue = status.issue.length > PREVIEW_CHARS ? previewOf(status.issue) : status.issue;
  if (issue !== status.issue) omitted.issueChars = status.issue.length;
  if (Object.keys(omitted).length === 0) return status;
  return { ...status, issue, scores, overrides, branches, omitted };
}
