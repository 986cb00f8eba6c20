// The control commands kunlun has always had (pause, fast-forward, tune, branch, …): shorter
// forms of `kunlun control ID NAME FIELD=VALUE ...` for everyday controls, each turning its own
// arguments into a registry control's request. A new control needs none: `kunlun control` sends it.
import type { ControlName } from '@kunlun/contracts';
import { CliError, EXIT } from './api.js';
import { fieldValue, intArg, setField } from './control-args.js';

export interface AliasInput {
  /** The arguments after the simulation id. */
  args: string[];
  options: { 'at-boundary': boolean; at?: string | undefined; reason?: string | undefined; hypothesis?: string };
}

export interface ControlAlias {
  control: ControlName;
  /** Its lines in the usage text. */
  usage: string;
  /** What it needs after the command, for "missing …" (default: the simulation id). */
  needs?: { count: number; what: string };
  request(input: AliasInput): Record<string, unknown>;
}

const withReason = (reason: string | undefined) => (reason ? { reason } : {});
const needsRound = { count: 2, what: 'simulation id and round' };

/** `bold:proposer.temperature=1.5,critic-logic.strictness=1` → a branch with its overrides. */
function parseBranch(spec: string): { label: string; overrides: Record<string, Record<string, unknown>> } {
  const [label = '', changes = ''] = spec.split(':', 2);
  const overrides: Record<string, Record<string, unknown>> = {};
  for (const change of changes.split(',').filter(Boolean)) {
    const m = /^([^.=]+)\.([^=]+)=(.*)$/.exec(change);
    if (!m)
      throw new CliError(
        `expected AGENT.PARAM=VALUE in branch ${JSON.stringify(label)}, got ${JSON.stringify(change)}`,
        EXIT.usage,
      );
    const [, agent, param, value] = m as unknown as [string, string, string, string];
    (overrides[agent] ??= {})[param] = fieldValue('branch', `branches.0.overrides.${agent}.${param}`, value);
  }
  return { label, overrides };
}

export const CONTROL_ALIASES: Record<string, ControlAlias> = {
  pause: {
    control: 'pause',
    usage: '  pause ID [--at-boundary]                    pause now (or after the current round)',
    request: ({ options }) => ({ at: options['at-boundary'] ? 'round-boundary' : 'now' }),
  },
  resume: { control: 'resume', usage: '  resume ID', request: () => ({}) },
  'fast-forward': {
    control: 'fastForward',
    usage: '  fast-forward ID ROUND                       skip to ROUND',
    needs: needsRound,
    request: ({ args }) => ({ toRound: intArg(args[0]!, 'ROUND') }),
  },
  'pause-at': {
    control: 'pauseAt',
    usage: '  pause-at ID ROUND                           run until ROUND is done, then pause',
    needs: needsRound,
    request: ({ args }) => ({ round: intArg(args[0]!, 'ROUND') }),
  },
  tune: {
    control: 'overrideAgent',
    usage: "  tune ID AGENT PARAM=VALUE [...]             change an agent's params from the next step",
    needs: { count: 2, what: 'simulation id and agent id' },
    request: ({ args: [agentId, ...pairs] }) => {
      if (pairs.length === 0) throw new CliError('tune needs PARAM=VALUE, e.g. strictness=0.9', EXIT.usage);
      const request: Record<string, unknown> = { agentId };
      for (const p of pairs) {
        const [k, v] = p.split('=', 2);
        if (!k || v === undefined) throw new CliError(`expected PARAM=VALUE, got ${JSON.stringify(p)}`, EXIT.usage);
        setField('overrideAgent', request, `params.${k}`, v);
      }
      return request;
    },
  },
  revert: {
    control: 'revertOverride',
    usage: '  revert ID OVERRIDE                          undo a recorded override',
    needs: { count: 2, what: 'simulation id and override id' },
    request: ({ args }) => ({ overrideId: intArg(args[0]!, 'OVERRIDE') }),
  },
  branch: {
    control: 'branch',
    usage: [
      '  branch ID LABEL[:AGENT.PARAM=VALUE,...] ... [--at ROUND]',
      '                                              run a round (default: the next) as a tournament',
      '                                              of branches, e.g. calm bold:proposer.temperature=1.5',
    ].join('\n'),
    request: ({ args, options }) => {
      if (args.length < 2)
        throw new CliError('branch needs at least two branches, e.g. calm bold:proposer.temperature=1.5', EXIT.usage);
      return {
        branches: args.map(parseBranch),
        ...(options.at !== undefined ? { atRound: intArg(options.at, '--at') } : {}),
        ...withReason(options.reason),
      };
    },
  },
  backtrack: {
    control: 'backtrack',
    usage: '  backtrack ID ROUND [--reason TEXT]          continue from the state after ROUND',
    needs: needsRound,
    request: ({ args, options }) => ({ toRound: intArg(args[0]!, 'ROUND'), ...withReason(options.reason) }),
  },
  approve: {
    control: 'approve',
    usage: '  approve ID                                  approve the hypothesis waiting for approval',
    request: ({ options }) => withReason(options.reason),
  },
  reject: {
    control: 'reject',
    usage: '  reject ID --reason TEXT                     reject it (the next round is told why)',
    request: ({ options }) => {
      if (!options.reason) throw new CliError('reject needs --reason "…" (the next round is told why)', EXIT.usage);
      return { reason: options.reason };
    },
  },
  amend: {
    control: 'amend',
    usage: '  amend ID --hypothesis TEXT                  replace it with an edited hypothesis',
    request: ({ options }) => {
      if (!options.hypothesis) throw new CliError('amend needs --hypothesis "…"', EXIT.usage);
      return { ...withReason(options.reason), hypothesis: options.hypothesis };
    },
  },
};
