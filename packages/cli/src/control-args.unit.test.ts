// The CLI's controls come from the registry: any control by name with FIELD=VALUE read as its
// schema types it, sent to its method and path; today's commands build requests the registry accepts.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CONTROL_NAMES, CONTROLS, parseControlRequest } from '@kunlun/contracts';
import { Api, type CliError } from './api.js';
import { CONTROL_ALIASES, type AliasInput } from './control-aliases.js';
import { controlNamed, controlsHelp, requestFromArgs } from './control-args.js';

const options: AliasInput['options'] = { 'at-boundary': false };

describe('CLI controls', () => {
  it('names a control as the registry does or in kebab-case', () => {
    assert.equal(controlNamed('fastForward'), 'fastForward');
    assert.equal(controlNamed('revert-override'), 'revertOverride');
    assert.throws(
      () => controlNamed('explode'),
      (e: CliError) => e.exitCode === 2 && /fast-forward/.test(e.message),
    );
  });

  it('reads each FIELD=VALUE as the type the request schema gives that field', () => {
    assert.deepEqual(requestFromArgs('fastForward', ['toRound=3']), { toRound: 3 });
    assert.deepEqual(requestFromArgs('revertOverride', ['overrideId=12']), { overrideId: 12 });
    assert.deepEqual(requestFromArgs('pause', ['at=round-boundary', 'reason=lunch = soon']), {
      at: 'round-boundary',
      reason: 'lunch = soon',
    });
    assert.deepEqual(
      requestFromArgs('overrideAgent', ['agentId=7', 'params.temperature=1.5', 'params.persona=42']),
      { agentId: '7', params: { temperature: 1.5, persona: '42' } },
      'text fields stay text even when they look like numbers',
    );
    assert.deepEqual(
      requestFromArgs('branch', [
        'branches.0.label=a',
        'branches.1.label=b',
        'branches.1.overrides.proposer.temperature=2',
      ]),
      {
        branches: [{ label: 'a' }, { label: 'b', overrides: { proposer: { temperature: 2 } } }],
      },
    );
    assert.deepEqual(requestFromArgs('branch', ['atRound=2'], '{"branches":[{"label":"a"},{"label":"b"}]}'), {
      branches: [{ label: 'a' }, { label: 'b' }],
      atRound: 2,
    });
    // What is not a number stays as given: the gateway answers with the registry's message.
    assert.deepEqual(requestFromArgs('pauseAt', ['round=two']), { round: 'two' });
    assert.throws(() => requestFromArgs('branch', ['branches=[nope']), /branches: expected JSON/);
    assert.throws(() => requestFromArgs('pause', ['at']), /expected FIELD=VALUE/);
    assert.throws(() => requestFromArgs('pause', [], '[1]'), /--body: expected a JSON object/);
  });

  it('help lists every control of the registry with its summary', () => {
    const help = controlsHelp();
    for (const name of CONTROL_NAMES) assert.ok(help.includes(CONTROLS[name].summary), name);
    assert.match(help, /^ {2}fast-forward toRound=N$/m);
    assert.match(help, /^ {2}override-agent agentId=TEXT params=JSON \[reason=TEXT\]$/m);
  });

  it("today's commands build requests the registry accepts", () => {
    const cases: Array<[string, string[], Partial<AliasInput['options']>, Record<string, unknown>]> = [
      ['pause', [], { 'at-boundary': true }, { at: 'round-boundary' }],
      ['resume', [], {}, {}],
      ['fast-forward', ['4'], {}, { toRound: 4 }],
      ['pause-at', ['2'], {}, { round: 2 }],
      [
        'tune',
        ['critic-logic', 'strictness=0.9', 'focus=risk'],
        {},
        { agentId: 'critic-logic', params: { strictness: 0.9, focus: 'risk' } },
      ],
      ['revert', ['3'], {}, { overrideId: 3 }],
      [
        'branch',
        ['calm', 'bold:proposer.temperature=1.5,critic-logic.strictness=1'],
        { at: '3', reason: 'try' },
        {
          branches: [
            { label: 'calm', overrides: {} },
            { label: 'bold', overrides: { proposer: { temperature: 1.5 }, 'critic-logic': { strictness: 1 } } },
          ],
          atRound: 3,
          reason: 'try',
        },
      ],
      ['backtrack', ['0'], { reason: 'again' }, { toRound: 0, reason: 'again' }],
      ['approve', [], {}, {}],
      ['reject', [], { reason: 'weak' }, { reason: 'weak' }],
      ['amend', [], { hypothesis: 'h' }, { hypothesis: 'h' }],
    ];
    assert.deepEqual(cases.map((c) => c[0]).sort(), Object.keys(CONTROL_ALIASES).sort());
    for (const [command, args, opts, expected] of cases) {
      const alias = CONTROL_ALIASES[command]!;
      const request = alias.request({ args, options: { ...options, ...opts } });
      assert.deepEqual(request, expected, command);
      const parsed = parseControlRequest(alias.control, { ...request, by: 'alice' });
      assert.ok(parsed.ok, `${command}: ${parsed.ok ? '' : parsed.problem}`);
    }
    assert.throws(
      () => CONTROL_ALIASES['fast-forward']!.request({ args: ['two'], options }),
      /ROUND must be a whole number/,
    );
    assert.throws(
      () => CONTROL_ALIASES.branch!.request({ args: ['calm', 'bold:temperature'], options }),
      /AGENT.PARAM=VALUE in branch "bold"/,
    );
  });

  describe('sending', () => {
    let server: Server;
    let api: Api;
    const seen: Array<{ method: string; url: string; body: unknown }> = [];
    before(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          seen.push({ method: req.method!, url: req.url!, body: JSON.parse(body) as unknown });
          res.setHeader('content-type', 'application/json').end(JSON.stringify({ message: 'ok' }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      api = new Api(`http://127.0.0.1:${port}`, 'key');
    });
    after(() => new Promise((resolve) => server.close(resolve)));

    it("puts the path's fields in the path and the rest in the body", async () => {
      seen.length = 0;
      await api.control('sim-1', 'overrideAgent', { agentId: 'critic logic', params: { strictness: 1 } });
      await api.control('sim-1', 'revertOverride', { overrideId: 4 });
      await api.control('sim-1', 'pause', {});
      assert.deepEqual(seen, [
        { method: 'PATCH', url: '/v1/simulations/sim-1/agents/critic%20logic', body: { params: { strictness: 1 } } },
        { method: 'POST', url: '/v1/simulations/sim-1/overrides/4/revert', body: {} },
        { method: 'POST', url: '/v1/simulations/sim-1/pause', body: {} },
      ]);
      await assert.rejects(api.control('sim-1', 'revertOverride', {}), /revertOverride needs overrideId=/);
    });
  });
});
